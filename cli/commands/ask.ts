// `selfextend ask --model M --repo DIR "question"`: the extension's chat path from the command line.
// It goes through the same backend entry point as the extension (extension/backend/client.ts): the
// engine, tokenizer, templates and packing run in the backend worker; this thread lists and reads files.
import * as path from 'node:path';
import type { CliCommand } from '../command';
import { parse, intFlag, numberFlag, rangeIntFlag, type Options } from '../args';
import { displayName, NodeFileSource, terminalSafe } from '../../extension/core/workspace';
import { DEFAULT_SETTINGS, normalizeSettings, settingRange, type AssistantSettings } from '../../extension/core/chat/settings';
import type { AnswerResult } from '../../extension/core/chat/chat-session';
import type { FileSource } from '../../extension/core/workspace/types';
import type { AnswerEvents, HistoryMessage } from '../../extension/vscode/answer-backend';
import { WorkerBackend } from '../../extension/backend/client';
import { isCancellation } from '../../extension/core/util/abort';
import { parseKvCacheType } from '../../gpu/attention/kv-layout';

/** A flag for a numeric setting: bounded by the settings table's range (the one the extension clamps to). */
function settingFlag(v: string | undefined, flag: string, def: number, name: Parameters<typeof settingRange>[0], lo?: number): number {
  const r = settingRange(name);
  return rangeIntFlag(v, flag, def, lo ?? r.minimum, r.maximum);
}

/** The CLI answers shorter and greedily by default (scripts compare runs); both are documented in the usage. */
const CLI_DEFAULT_MAX_NEW_TOKENS = 512;

/** Flags shared by `ask` and `summarize`. */
export const ASSISTANT_FLAGS = {
  model: { type: 'string', short: 'm' },
  json: { type: 'boolean' },
  group: { type: 'string' },
  window: { type: 'string' },
  plain: { type: 'boolean' },
  target: { type: 'string' },
  n: { type: 'string', short: 'n' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  'max-context': { type: 'string' },
  'kv-cache-type': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const ASSISTANT_USAGE = `  --model M            GGUF model file (required)
  --group G [--window W]  SelfExtend with group size G (W a multiple of G; default L/4)
  --plain              plain attention (no SelfExtend)
  --target N           with neither: choose G automatically so N tokens fit (default ${DEFAULT_SETTINGS.selfExtend.targetContext}, capped by the KV cache)
  -n N                 max new tokens (default ${CLI_DEFAULT_MAX_NEW_TOKENS})
  --temperature T      default 0 (greedy); --top-p P (default ${DEFAULT_SETTINGS.topP})
  --max-context N      KV-cache capacity in tokens (engine default: min(8 x trained window, 32768))
  --kv-cache-type T    KV cache element type: f16 (default), q8_0 (about half the memory) or f32
  --json               print one JSON object per answer on stdout; progress goes to stderr`;

export interface AssistantFlagValues {
  model?: string;
  group?: string;
  window?: string;
  plain?: boolean;
  target?: string;
  n?: string;
  temperature?: string;
  'top-p'?: string;
  'max-context'?: string;
  'kv-cache-type'?: string;
}

function numberSettingFlag(v: string | undefined, flag: string, def: number, name: 'temperature' | 'topP'): number {
  const x = numberFlag(v, flag);
  if (x === undefined) return def;
  const r = settingRange(name);
  if (x < r.minimum || x > r.maximum) throw new Error(`${flag} must be between ${r.minimum} and ${r.maximum} (got ${v})`);
  return x;
}

export function settingsFromFlags(v: AssistantFlagValues, extra: Partial<AssistantSettings> = {}): AssistantSettings {
  if (v.plain && (v.group !== undefined || v.window !== undefined)) throw new Error('--plain cannot be combined with --group/--window');
  // Out-of-range values are errors, not clamps: normalizeSettings would silently turn 65 into 64.
  // --group 0 would mean "automatic", which is what leaving the flag out says; so the flag starts at 1.
  const group = settingFlag(v.group, '--group', 0, 'groupSize', 1);
  if (v.window !== undefined && v.group === undefined) throw new Error('--window needs --group G');
  if (v.window !== undefined && group === 1) throw new Error('--window has no effect with --group 1 (plain attention); drop it or use --group >= 2');
  if (v.window !== undefined && settingFlag(v.window, '--window', 0, 'neighborWindow', 1) % group !== 0) throw new Error(`--window ${v.window} must be a multiple of --group ${group}`);
  return normalizeSettings({
    ...DEFAULT_SETTINGS,
    ...extra,
    modelPath: v.model ?? '',
    kvCacheType: v['kv-cache-type'] === undefined ? DEFAULT_SETTINGS.kvCacheType : parseKvCacheType(v['kv-cache-type'], '--kv-cache-type'),
    maxNewTokens: settingFlag(v.n, '-n', CLI_DEFAULT_MAX_NEW_TOKENS, 'maxNewTokens'),
    temperature: numberSettingFlag(v.temperature, '--temperature', 0, 'temperature'),
    topP: numberSettingFlag(v['top-p'], '--top-p', DEFAULT_SETTINGS.topP, 'topP'),
    selfExtend: {
      enabled: v.plain !== true,
      groupSize: group,
      neighborWindow: intFlag(v.window, '--window', 0),
      targetContext: settingFlag(v.target, '--target', DEFAULT_SETTINGS.selfExtend.targetContext, 'targetContext'),
    },
  });
}

/** The backend both `ask` and `summarize` use: the extension's own entry point, with the CLI's settings. */
export function cliBackend(v: AssistantFlagValues, usage: string, settings: AssistantSettings, source: FileSource | null): WorkerBackend {
  if (!v.model) throw new Error(`--model M is required\n${usage}`);
  const maxContext = v['max-context'] === undefined ? undefined : intFlag(v['max-context'], '--max-context', 0);
  const backend = new WorkerBackend({
    settings: () => settings, source: () => source, editor: () => undefined,
    log: (l) => process.stderr.write(`${terminalSafe(l)}\n`), worker: { maxContext },
  });
  let last = -1;
  backend.onStatus((s) => {
    if (s.phase !== 'loading') return;
    const pct = Math.floor(100 * (s.fraction ?? 0));
    if (pct >= last + 10 || (pct === 100 && last !== 100)) {
      last = pct;
      process.stderr.write(`loading model ${pct}%\n`);
    }
  });
  return backend;
}

/** Stage lines on stderr (model loading is reported from the status above). */
export function stderrEvents(onToken?: (t: string) => void): AnswerEvents {
  let lastKey = '';
  return {
    progress: (phase, fraction, detail) => {
      if (phase === 'idle' || phase === 'loading-model' || phase === 'generating') return;
      const pct = fraction === undefined ? '' : ` ${Math.floor(100 * fraction)}%`;
      const line = `${phase === 'reading-repository' ? 'reading repository' : phase}${detail ? `: ${detail}` : ''}${pct}`;
      if (line !== lastKey) {
        lastKey = line;
        process.stderr.write(`${terminalSafe(line)}\n`);
      }
    },
    context: () => undefined,
    token: (t) => onToken?.(t),
  };
}

export function sigintSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const on = (): void => ac.abort();
  process.once('SIGINT', on);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', on) };
}

const USAGE = `usage: selfextend ask --model M [--repo DIR] "question" [--follow-up "question"]... [options]
  --repo DIR           repository to read (default: current directory)
  --follow-up Q        ask Q next in the same chat (repeatable; reuses the cached repository prefix)
  --include GLOB / --exclude GLOB   repeatable file filters; --max-file-size BYTES (default 1 MiB)
${ASSISTANT_USAGE}`;

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export function answerJson(r: AnswerResult): Record<string, unknown> {
  return {
    answer: r.answer,
    files: r.files,
    group: r.window.groupSize,
    window: r.window.neighborWindow,
    prompt_tokens: r.promptTokens,
    ttft_ms: round1(r.ttftMs),
    decode_tps: round1(r.decodeTps),
    cached_tokens: r.cachedTokens,
    generated_tokens: r.generatedTokens,
    trained_context: r.window.trainedContext,
    reachable_context: r.window.reachable,
    context_window: r.window.window,
    context_mode: r.context.mode,
    context_tokens: r.context.tokens,
    files_listed: r.context.filesListed,
    files_left_out: r.context.leftOut.count,
    finish_reason: r.finishReason,
  };
}

export const ask: CliCommand = {
  summary: 'ask a question about a repository (reads it, packs it into the extended window, answers)',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parse(
      argv,
      {
        ...ASSISTANT_FLAGS,
        repo: { type: 'string' },
        'follow-up': { type: 'string', multiple: true },
        include: { type: 'string', multiple: true },
        exclude: { type: 'string', multiple: true },
        'max-file-size': { type: 'string' },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new Error(`expected one question (quote it)\n${USAGE}`);
    const settings = settingsFromFlags(values, {
      include: values.include ?? [],
      exclude: values.exclude ?? [],
      maxFileSize: settingFlag(values['max-file-size'], '--max-file-size', DEFAULT_SETTINGS.maxFileSize, 'maxFileSize'),
    });
    const repo = path.resolve(values.repo ?? '.');
    const source = new NodeFileSource(repo, { include: settings.include, exclude: settings.exclude, maxFileSize: settings.maxFileSize });
    const backend = cliBackend(values, USAGE, settings, source);
    const { signal, dispose } = sigintSignal();
    try {
      const history: HistoryMessage[] = [];
      for (const question of [positionals[0]!, ...(values['follow-up'] ?? [])]) {
        const events = stderrEvents(values.json ? undefined : (t) => process.stdout.write(t));
        const done = await backend.answer({ kind: 'ask', chatId: 'cli', question, history: [...history], signal }, events);
        if (done.report?.kind !== 'ask') throw new Error('the backend returned no answer report');
        const r = done.report.ask;
        history.push({ role: 'user', content: question }, { role: 'assistant', content: r.answer });
        if (values.json) {
          process.stdout.write(`${JSON.stringify(answerJson(r))}\n`);
        } else {
          process.stdout.write('\n');
          process.stderr.write(
            `[files: ${r.files.length}/${r.context.filesListed} (${r.context.mode}); prompt ${r.promptTokens} tokens, ${r.cachedTokens} cached; ` +
              `${r.window.description}; ttft ${r.ttftMs.toFixed(0)} ms; ${r.decodeTps.toFixed(1)} tok/s; ${r.finishReason}]\n`,
          );
          if (r.context.leftOut.count > 0) process.stderr.write(`[left out ${r.context.leftOut.count} files, e.g. ${r.context.leftOut.examples.slice(0, 5).map(displayName).join(', ')}]\n`);
        }
        if (r.finishReason === 'aborted') return 130;
      }
      return 0;
    } catch (e) {
      if (!isCancellation(e)) throw e;
      process.stderr.write(`${e instanceof Error ? e.message : 'Stopped.'}\n`);
      return 130;
    } finally {
      dispose();
      await backend.shutdown();
    }
  },
};
