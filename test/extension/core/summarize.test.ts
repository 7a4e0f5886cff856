// Long summaries with the fake model (one token per character): the plan (fewer, larger parts), one
// steady progress whose fraction never goes back and whose time left never goes up, part summaries
// before the final summary, Stop keeping the finished parts with honest totals, and the warning
// before inputs of more than LARGE_SUMMARY_PARTS parts.
import * as assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, LARGE_SUMMARY_PARTS, normalizeSettings, summarizeText, summaryWindow, type AssistantSettings, type SummaryOverall, type SummaryPart } from '../../../extension/core/chat';
import { formatDuration, SummaryTracker } from '../../../extension/core/chat/summary-progress';
import { FakeModel } from './fake-model';

function settings(over: Partial<AssistantSettings> = {}, se: Partial<AssistantSettings['selfExtend']> = {}): AssistantSettings {
  return normalizeSettings({ ...DEFAULT_SETTINGS, maxNewTokens: 64, ...over, selfExtend: { ...DEFAULT_SETTINGS.selfExtend, targetContext: 4096, ...se } });
}

/** `lines` lines of about 30 characters (= tokens with the fake model). */
function longText(lines: number): string {
  return Array.from({ length: lines }, (_, i) => `line ${String(i).padStart(5, '0')} of the long file`).join('\n');
}

/** A clock that advances by `stepMs` on every read, so progress reports are not throttled away. */
function steppingClock(stepMs = 250): () => number {
  let t = 0;
  return () => (t += stepMs);
}

describe('extension/core/chat: long summaries', () => {
  // Plain attention, 1024-token window: the text does not fit one request.
  const plain = settings({ maxNewTokens: 200 }, { enabled: false });

  it('cuts parts as large as the window allows (the final answer is not reserved in every part)', async () => {
    const model = new FakeModel(1024, 8192);
    model.answer = () => 'short part summary';
    const text = longText(400); // ~12,000 tokens
    const r = await summarizeText(model, plain, { text, label: 'long.txt' });
    assert.equal(r.finishReason, 'done');
    const parts = model.calls.filter((c) => /This is part \d+ of/.test(model.tokenizer.decode(c.input)));
    assert.equal(parts.length, r.plan.parts);
    assert.equal(r.parts.length, r.plan.parts);
    // The old split reserved the final answer (200) in every part: parts of ~1024-200-overhead tokens.
    const oldLimit = 1024 - 200 - 96 - 100 - 8;
    const old = Math.ceil(r.inputTokens / oldLimit);
    assert.ok(parts.length < old, `${parts.length} parts, the old split needed at least ${old}`);
    for (const c of model.calls) assert.ok(c.input.length + (c.opts.maxTokens ?? 0) <= 1024, `a request of ${c.input.length} + ${c.opts.maxTokens} tokens exceeds the window`);
    // Every line of the text is in exactly one part, in order.
    let next = 1;
    for (const p of r.parts) {
      assert.equal(p.startLine, next);
      next = p.endLine + 1;
    }
    assert.equal(next, 401);
  });

  it("reports when the prompts are not in the model's chat format, and not otherwise (issue 10 point 4)", async () => {
    const noTemplate = new FakeModel(1024, 8192, false);
    const r = await summarizeText(noTemplate, plain, { text: 'one short line', label: 'a.txt' });
    assert.match(r.promptFallback ?? '', /no chat template/);
    const withTemplate = await summarizeText(new FakeModel(1024, 8192), plain, { text: 'one short line', label: 'a.txt' });
    assert.equal(withTemplate.promptFallback, undefined);
  });

  it('with automatic G, widens the window up to the KV capacity so a long text fits one request', () => {
    const s = settings({}, { enabled: true, groupSize: 0, targetContext: 2048 });
    const narrow = summaryWindow(s, 512, 16384, 1000);
    assert.equal(narrow.window, 1000 <= 2048 ? narrow.window : -1);
    const wide = summaryWindow(s, 512, 16384, 12000);
    assert.ok(wide.window >= 12000, `window ${wide.window}`);
    const capped = summaryWindow(s, 512, 4096, 12000);
    assert.equal(capped.window, 4096, 'never beyond the KV capacity');
    const fixedG = summaryWindow(settings({}, { groupSize: 4, neighborWindow: 128 }), 512, 16384, 12000);
    assert.equal(fixedG.groupSize, 4, 'an explicit G is kept');
  });

  it('automatic G: a target beyond any usable G gives the longest reachable window, not an error (short trained window, large KV cache)', () => {
    // The e2e passkey model: trained on 128 tokens with an 8192-token KV cache; G up to 64 reaches 3104 at most.
    const w = summaryWindow(settings({}, { enabled: true, groupSize: 0, targetContext: 16384 }), 128, 8192, 50000);
    assert.equal(w.window, 3104);
    assert.equal(w.groupSize, 32);
  });

  it('reports one overall progress: the fraction never goes back, the time left never goes up, parts before the final', async () => {
    const model = new FakeModel(1024, 8192);
    let n = 0;
    // Uneven part answers (some long, some short) make the plan change as it runs.
    model.answer = (_input, call) => (call % 3 === 0 ? 'x'.repeat(90) : `part ${n++}`);
    const events: Array<{ kind: 'overall'; o: SummaryOverall } | { kind: 'part'; p: SummaryPart } | { kind: 'token' }> = [];
    const r = await summarizeText(model, plain, {
      text: longText(400), label: 'long.txt', now: steppingClock(),
      onOverall: (o) => events.push({ kind: 'overall', o }),
      onPart: (p) => events.push({ kind: 'part', p }),
      onToken: () => events.push({ kind: 'token' }),
    });
    const overall = events.flatMap((e) => (e.kind === 'overall' ? [e.o] : []));
    assert.ok(overall.length > r.requests * 2, `${overall.length} progress reports`);
    for (let i = 1; i < overall.length; i++) {
      assert.ok(overall[i]!.fraction >= overall[i - 1]!.fraction, `fraction went back at report ${i}: ${overall[i - 1]!.fraction} → ${overall[i]!.fraction}`);
      const [a, b] = [overall[i - 1]!.etaMs, overall[i]!.etaMs];
      if (a !== undefined && b !== undefined) assert.ok(b <= a, `time left went up at report ${i}: ${a} → ${b}`);
      assert.ok(overall[i]!.partsDone >= overall[i - 1]!.partsDone);
    }
    assert.equal(overall.at(-1)!.fraction, 1);
    assert.ok(overall.slice(0, -1).every((o) => o.fraction < 1), '100% only at the end');
    assert.ok(overall.some((o) => o.etaMs !== undefined && o.etaMs > 0), 'a time left is shown once a speed is measured');
    assert.equal(overall[0]!.etaMs, undefined, 'no time left before anything was measured');
    // Every part summary arrives before the first token of the final summary.
    const firstToken = events.findIndex((e) => e.kind === 'token');
    const partIdx = events.flatMap((e, i) => (e.kind === 'part' ? [i] : []));
    assert.equal(partIdx.length, r.plan.parts);
    assert.ok(firstToken > partIdx.at(-1)!, 'parts stream before the final summary');
    assert.deepEqual(r.parts.map((p) => p.index), partIdx.map((_, i) => i));
    assert.ok(r.summary.length > 0);
  });

  it('Stop keeps the finished part summaries and reports totals over every request', async () => {
    const model = new FakeModel(1024, 8192);
    model.answer = () => 'a part summary';
    model.stepMs = 1;
    const ac = new AbortController();
    const parts: SummaryPart[] = [];
    const r = await summarizeText(model, plain, {
      text: longText(400), label: 'long.txt', signal: ac.signal,
      onPart: (p) => {
        parts.push(p);
        if (parts.length === 2) setTimeout(() => ac.abort(), 3); // during the third part
      },
    });
    assert.equal(r.finishReason, 'stopped');
    assert.equal(r.summary, '');
    assert.equal(r.parts.length, 2);
    assert.deepEqual(r.parts, parts);
    assert.ok(r.plan.parts > 2);
    // Honest figures: three requests ran (two finished, one stopped).
    assert.equal(r.requests, 3);
    const read = model.calls.slice(0, 3).reduce((s, c) => s + c.input.length, 0);
    assert.equal(r.totals.promptTokens, read);
    assert.ok(r.totals.generatedTokens >= 2 * 'a part summary'.length);
    assert.ok(r.totals.decodeTps > 0 && r.totals.firstOutputMs > 0 && r.totals.totalMs > 0);
  });

  it(`asks before more than ${LARGE_SUMMARY_PARTS} parts, with the plan and an estimate from known speeds`, async () => {
    const model = new FakeModel(1024, 8192);
    model.answer = () => 'p';
    const asked: Array<{ parts: number; estimateMs?: number }> = [];
    // ~30,000 tokens in a 1024-token window: far more than 20 parts. Declining runs nothing.
    const big = await summarizeText(model, plain, {
      text: longText(1000), label: 'big.txt', speed: { prefillTps: 500, decodeTps: 25 },
      confirm: (plan) => {
        asked.push(plan);
        return false;
      },
    });
    assert.equal(asked.length, 1);
    assert.ok(asked[0]!.parts > LARGE_SUMMARY_PARTS);
    assert.ok(asked[0]!.estimateMs! > 0);
    assert.equal(big.finishReason, 'declined');
    assert.equal(model.calls.length, 0);
    // A text of a few parts starts without asking.
    const small = await summarizeText(model, plain, { text: longText(100), label: 'small.txt', confirm: () => assert.fail('asked for a small text') });
    assert.ok(small.plan.parts > 1 && small.plan.parts <= LARGE_SUMMARY_PARTS);
    assert.equal(small.finishReason, 'done');
    // Going on runs the whole plan.
    model.calls.length = 0;
    const yes = await summarizeText(model, plain, { text: longText(1000), label: 'big.txt', confirm: () => true });
    assert.equal(yes.finishReason, 'done');
    assert.equal(yes.parts.length, yes.plan.parts);
  });

  it('the tracker clamps: a plan that grows holds the bar, and the time left counts down', () => {
    let t = 0;
    const seen: SummaryOverall[] = [];
    const tr = new SummaryTracker([{ prompt: 1000, answer: 10 }, { prompt: 1000, answer: 10 }], 2, { prefillTps: 1000, decodeTps: 10 }, (o) => seen.push(o), () => (t += 300));
    const stats = { text: 'x', promptTokens: 1000, cachedTokens: 0, generatedTokens: 10, ttftMs: 1, prefillTps: 1000, decodeTps: 10, finishReason: 'stop-token' as const };
    tr.start('part', 1000);
    tr.finish(stats, true);
    const before = seen.at(-1)!;
    tr.replan([{ prompt: 50000, answer: 500 }, { prompt: 1000, answer: 10 }]); // far more work than planned
    tr.start('part', 50000);
    tr.prefillProgress(100, 50000);
    const after = seen.at(-1)!;
    assert.ok(after.fraction >= before.fraction);
    assert.ok(after.etaMs! <= before.etaMs!);
    assert.equal(formatDuration(42_000), 'about 42 s');
    assert.equal(formatDuration(185_000), 'about 3 min');
  });
});
