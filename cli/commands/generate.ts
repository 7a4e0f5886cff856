// `selfextend generate MODEL.gguf --prompt "..." | --prompt-ids 1,2,3 [-n N] [--greedy] [--json]`
import type { CliCommand } from '../command';
import { parse, numberFlag } from '../args';
import { Engine } from '../../gpu/engine/index';
import { PROMPT_FLAGS, kvCacheTypeFlag, maxTokensFlag, optionalInt, progressToStderr, promptIds, selfExtendFrom } from './engine-flags';

const USAGE = `usage: selfextend generate MODEL.gguf (--prompt "text" | --prompt-ids 1,2,3) [options]
  -n N                 tokens to generate (default 128)
  --greedy             argmax decoding (default: temperature 0.8, top-k 40, top-p 0.95)
  --temperature T --top-k K --top-p P --repeat-penalty R --repeat-last-n N --seed S
  --stop STR           stop string (repeatable)
  --no-bos             use the ids exactly as given (otherwise BOS is prepended when the model asks for it)
  --group G --window W SelfExtend (W a multiple of G)
  --max-context N      KV-cache capacity in tokens; --chunk N prefill chunk size (default 512)
  --kv-cache-type T    KV cache element type: f16 (default), q8_0 (about half the memory) or f32
  --json               print {"ids":[...generated ids...],"prefill_tps":..,"decode_tps":..} instead of text`;

export const generate: CliCommand = {
  summary: 'generate text (or ids with --json) from a prompt on the GPU',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parse(
      argv,
      {
        ...PROMPT_FLAGS,
        n: { type: 'string', short: 'n' },
        greedy: { type: 'boolean' },
        temperature: { type: 'string' },
        'top-k': { type: 'string' },
        'top-p': { type: 'string' },
        'repeat-penalty': { type: 'string' },
        'repeat-last-n': { type: 'string' },
        seed: { type: 'string' },
        stop: { type: 'string', multiple: true },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new Error(`expected one MODEL.gguf path\n${USAGE}`);
    // Flag contracts are checked before the (slow) model load.
    const maxTokens = maxTokensFlag(values.n, 128);
    const selfExtend = selfExtendFrom(values);
    const model = await Engine.load(positionals[0]!, {
      maxContext: optionalInt(values['max-context'], '--max-context'),
      kvCacheType: kvCacheTypeFlag(values['kv-cache-type']),
      prefillChunk: optionalInt(values.chunk, '--chunk'),
      onProgress: progressToStderr(process.stderr.isTTY === true),
    });
    try {
      const ids = promptIds(values, model.tokenizer);
      const out: number[] = [];
      let prefillTps = 0;
      let decodeTps = 0;
      const ac = new AbortController();
      const onSigint = (): void => ac.abort();
      process.once('SIGINT', onSigint);
      try {
        for await (const c of model.generate(ids, {
          addBos: false, // promptIds applied the BOS rule already
          maxTokens,
          greedy: values.greedy === true,
          temperature: numberFlag(values.temperature, '--temperature'),
          topK: optionalInt(values['top-k'], '--top-k'),
          topP: numberFlag(values['top-p'], '--top-p'),
          repeatPenalty: numberFlag(values['repeat-penalty'], '--repeat-penalty'),
          repeatLastN: optionalInt(values['repeat-last-n'], '--repeat-last-n'),
          seed: optionalInt(values.seed, '--seed'),
          stop: values.stop,
          selfExtend,
          signal: ac.signal,
        })) {
          out.push(...c.ids);
          prefillTps = c.timings.prefillTps;
          decodeTps = c.timings.decodeTps;
          if (!values.json && c.text) process.stdout.write(c.text);
          if (c.finishReason && !values.json) process.stderr.write(`\n[${c.finishReason}: ${c.promptTokens} prompt tokens, ${c.generatedTokens} generated, prefill ${prefillTps.toFixed(1)} tok/s, decode ${decodeTps.toFixed(1)} tok/s]\n`);
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
      if (values.json) process.stdout.write(JSON.stringify({ ids: out, prefill_tps: round(prefillTps), decode_tps: round(decodeTps) }) + '\n');
      return 0;
    } finally {
      model.dispose();
    }
  },
};

const round = (x: number): number => Math.round(x * 100) / 100;
