// `selfextend logits MODEL.gguf --prompt-ids 1,2,3 [--json]`: teacher-forced logits per position.
import type { CliCommand } from '../command';
import { parse } from '../args';
import { Engine } from '../../gpu/engine/index';
import { PROMPT_FLAGS, kvCacheTypeFlag, optionalInt, promptIds, selfExtendFrom } from './engine-flags';

const USAGE = `usage: selfextend logits MODEL.gguf (--prompt-ids 1,2,3 | --prompt "text") [--json] [--no-bos] [--group G --window W] [--top N] [--kv-cache-type f16|q8_0|f32]
  For every position: the argmax and the top N (default 8) [id, logit] pairs of the next-token logits.
  --json prints {"positions":[{"argmax":id,"top":[[id,logit],...]}]}.`;

export const logits: CliCommand = {
  summary: 'teacher-forced next-token logits for every position',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parse(argv, { ...PROMPT_FLAGS, top: { type: 'string' } }, USAGE);
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new Error(`expected one MODEL.gguf path\n${USAGE}`);
    const topN = optionalInt(values.top, '--top') ?? 8;
    const selfExtend = selfExtendFrom(values);
    const model = await Engine.load(positionals[0]!, {
      maxContext: optionalInt(values['max-context'], '--max-context'),
      kvCacheType: kvCacheTypeFlag(values['kv-cache-type']),
      prefillChunk: optionalInt(values.chunk, '--chunk'),
    });
    try {
      const ids = promptIds(values, model.tokenizer);
      if (ids.length > model.maxContext) throw new Error(`${ids.length} ids exceed the context of ${model.maxContext}; pass --max-context`);
      const rows = await model.logits(ids, { selfExtend });
      const positions = rows.map((r) => {
        const top = topK(r, topN);
        return { argmax: top[0]![0], top };
      });
      if (values.json) {
        process.stdout.write(JSON.stringify({ positions }) + '\n');
      } else {
        positions.forEach((p, i) => {
          const tops = p.top.map(([id, l]) => `${id}:${l.toFixed(3)}`).join(' ');
          process.stdout.write(`${String(i).padStart(5)} ${String(ids[i]).padStart(7)} -> ${String(p.argmax).padStart(7)}  ${tops}\n`);
        });
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};

/** The n largest [id, logit] pairs, largest first (ties: lower id first). */
export function topK(r: Float32Array, n: number): Array<[number, number]> {
  const best: Array<[number, number]> = [];
  for (let i = 0; i < r.length; i++) {
    const v = r[i]!;
    if (best.length === n && v <= best[n - 1]![1]) continue;
    let j = best.length;
    while (j > 0 && best[j - 1]![1] < v) j--;
    best.splice(j, 0, [i, v]);
    if (best.length > n) best.pop();
  }
  return best;
}
