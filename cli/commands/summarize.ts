// `selfextend summarize --model M FILE`: one request when the file fits the extended window,
// hierarchical chunk summaries otherwise (extension/core/chat/summarize.ts).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CliCommand } from '../command';
import { parse } from '../args';
import { summarizeText } from '../../extension/core/chat';
import { decodeText, looksBinary } from '../../extension/core/workspace';
import { ASSISTANT_FLAGS, ASSISTANT_USAGE, loadModelForCli, round1, settingsFromFlags, sigintSignal } from './ask';

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
    let label = path.basename(file);
    if (values.lines !== undefined) {
      const m = /^(\d+)-(\d+)$/.exec(values.lines);
      if (!m || Number(m[1]) < 1 || Number(m[2]) < Number(m[1])) throw new Error(`--lines: expected A-B with 1 <= A <= B, got '${values.lines}'`);
      text = text.split('\n').slice(Number(m[1]) - 1, Number(m[2])).join('\n');
      label = `${label} lines ${m[1]}-${m[2]}`;
    }
    const settings = settingsFromFlags(values);
    const model = await loadModelForCli(values, USAGE);
    const { signal, dispose } = sigintSignal();
    try {
      const r = await summarizeText(model, settings, {
        text, label, relPath: file, signal,
        onProgress: (p) => {
          if (p.stage === 'part') process.stderr.write(`summarizing part ${p.index + 1}/${p.count} (level ${p.level})\n`);
          else if (p.stage === 'final') process.stderr.write(p.level === 0 ? 'summarizing (one request)\n' : 'combining part summaries\n');
        },
        onToken: values.json ? undefined : (t) => process.stdout.write(t),
      });
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
    } finally {
      dispose();
      model.dispose();
    }
  },
};
