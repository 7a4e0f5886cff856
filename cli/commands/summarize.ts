// `selfextend summarize --model M FILE`: one request when the file fits the extended window,
// hierarchical chunk summaries otherwise (extension/core/chat/summarize.ts), through the extension's
// backend entry point (extension/backend/client.ts): the summary runs in the backend worker.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CliCommand } from '../command';
import { parse } from '../args';
import { decodeText, looksBinary } from '../../extension/core/workspace';
import { isCancellation } from '../../extension/core/util/abort';
import { ASSISTANT_FLAGS, ASSISTANT_USAGE, cliBackend, round1, settingsFromFlags, sigintSignal, stderrEvents } from './ask';

const USAGE = `usage: selfextend summarize --model M FILE [--lines A-B] [options]
  --lines A-B          summarize only these lines (1-based, inclusive), like a selection
${ASSISTANT_USAGE}`;

export const summarize: CliCommand = {
  summary: 'summarize a file (hierarchically when it is longer than the extended window)',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parse(argv, { ...ASSISTANT_FLAGS, lines: { type: 'string' } }, USAGE);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new Error(`expected one FILE\n${USAGE}`);
    const file = positionals[0]!;
    const bytes = await fs.readFile(file);
    if (looksBinary(bytes)) throw new Error(`${file} looks like a binary file; summarize text files only`);
    let { text } = decodeText(bytes);
    const label = path.basename(file);
    let selection: { startLine: number; endLine: number } | undefined;
    if (values.lines !== undefined) {
      const m = /^(\d+)-(\d+)$/.exec(values.lines);
      if (!m || Number(m[1]) < 1 || Number(m[2]) < Number(m[1])) throw new Error(`--lines: expected A-B with 1 <= A <= B, got '${values.lines}'`);
      text = text.split('\n').slice(Number(m[1]) - 1, Number(m[2])).join('\n');
      selection = { startLine: Number(m[1]), endLine: Number(m[2]) };
    }
    const settings = settingsFromFlags(values);
    const backend = cliBackend(values, USAGE, settings, null);
    const { signal, dispose } = sigintSignal();
    try {
      const events = stderrEvents(values.json ? undefined : (t) => process.stdout.write(t));
      const done = await backend.answer({ kind: 'summarize', chatId: 'cli', label, text, ...(selection ? { selection } : {}), signal }, events);
      if (done.report?.kind !== 'summarize') throw new Error('the backend returned no summary report');
      const r = done.report.summary;
      if (values.json) {
        process.stdout.write(`${JSON.stringify({
          answer: r.summary, files: [file], group: r.window.groupSize, window: r.window.neighborWindow, prompt_tokens: r.promptTokens,
          ttft_ms: round1(r.ttftMs), decode_tps: round1(r.decodeTps), input_tokens: r.inputTokens, requests: r.requests, levels: r.levels,
          trained_context: r.window.trainedContext, reachable_context: r.window.reachable, context_window: r.window.window,
        })}\n`);
      } else {
        process.stdout.write('\n');
        process.stderr.write(`[${r.inputTokens} input tokens; ${r.requests} request(s), ${r.levels} level(s); ${r.window.description}; ttft ${r.ttftMs.toFixed(0)} ms; ${r.decodeTps.toFixed(1)} tok/s]\n`);
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
