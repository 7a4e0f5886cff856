// The webview side of long summaries: part summaries accumulate on their answer (a repeated part
// replaces, never duplicates), and the footer of a summary in parts says how many parts finished.
import { strict as assert } from 'node:assert';
import { initialState, reduce, type UiState } from '../../webview/chat-state';
import type { ExtensionMessage, SummaryPart } from '../../extension/protocol';
import { timingsLabel } from '../../webview/format';

function run(msgs: ExtensionMessage[], s: UiState = initialState()): UiState {
  for (const m of msgs) s = reduce(s, m)[0];
  return s;
}

const part = (index: number, text: string): SummaryPart => ({ index, count: 3, startLine: index * 10 + 1, endLine: index * 10 + 10, text });

describe('webview: summary parts', () => {
  it('collects part summaries on the answer before the final summary streams', () => {
    const s = run([
      { type: 'userTurn', turn: { id: 'u1', role: 'user', text: 'Summarize a.ts' } },
      { type: 'answerStart', turnId: 'a1', chips: [{ path: 'a.ts' }], omittedFiles: 0 },
      { type: 'summaryPart', turnId: 'a1', part: part(0, 'first') },
      { type: 'summaryPart', turnId: 'a1', part: part(1, 'second') },
      { type: 'summaryPart', turnId: 'a1', part: part(1, 'second again') },
      { type: 'token', turnId: 'a1', delta: 'Final.' },
    ]);
    const a = s.turns.find((t) => t.id === 'a1')!;
    assert.deepEqual(a.parts?.map((p) => p.text), ['first', 'second again']);
    assert.equal(a.text, 'Final.');
  });

  it('the footer of a stopped summary counts finished parts and its real figures', () => {
    const label = timingsLabel({ promptTokens: 2400, cachedTokens: 0, generatedTokens: 60, ttftMs: 1500, decodeTps: 12.5, totalMs: 9000, summaryParts: { done: 2, total: 9 } }, 'stopped');
    assert.equal(label, '2 of 9 parts · 2,400 prompt tokens · first part 1.50 s · 12.5 tok/s · stopped');
  });
});
