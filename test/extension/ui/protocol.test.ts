import { strict as assert } from 'node:assert';
import { MODEL_CATALOG } from '../../../extension/core/models/catalog';
import { parseWebviewMessage, ProtocolError, isSafeRelativePath, actionMessage, ERROR_ACTIONS, LIMITS } from '../../../extension/protocol';

function ok(raw: unknown): unknown {
  const m = parseWebviewMessage(raw);
  assert.ok(!(m instanceof ProtocolError), `expected valid: ${JSON.stringify(raw)} → ${m instanceof Error ? m.message : ''}`);
  return m;
}
function bad(raw: unknown, why: RegExp): void {
  const m = parseWebviewMessage(raw);
  assert.ok(m instanceof ProtocolError, `expected invalid: ${JSON.stringify(raw)}`);
  assert.match(m.message, why);
}

describe('extension/protocol parseWebviewMessage', () => {
  it('accepts every payload-free message', () => {
    for (const type of ['ready', 'stop', 'newChat', 'selectModel', 'showStatus']) assert.deepEqual(ok({ type }), { type });
  });
  it('accepts well-formed payload messages and drops unknown keys', () => {
    assert.deepEqual(ok({ type: 'ask', text: 'what does main.ts do?', extra: '<script>' }), { type: 'ask', text: 'what does main.ts do?' });
    assert.deepEqual(ok({ type: 'copyCode', code: '' }), { type: 'copyCode', code: '' });
    assert.deepEqual(ok({ type: 'insertCode', code: 'let x = 1;\n' }), { type: 'insertCode', code: 'let x = 1;\n' });
    assert.deepEqual(ok({ type: 'openFile', path: 'src/a b/ü.ts' }), { type: 'openFile', path: 'src/a b/ü.ts' });
    assert.deepEqual(ok({ type: 'openChat', chatId: 'c-12_ab' }), { type: 'openChat', chatId: 'c-12_ab' });
    assert.deepEqual(ok({ type: 'deleteChat', chatId: 'x' }), { type: 'deleteChat', chatId: 'x' });
    assert.deepEqual(ok({ type: 'downloadModel' }), { type: 'downloadModel' });
    assert.deepEqual(ok({ type: 'downloadModel', modelId: 'qwen2.5-coder-1.5b-instruct-q4_k_m' }), { type: 'downloadModel', modelId: 'qwen2.5-coder-1.5b-instruct-q4_k_m' });
    assert.deepEqual(ok({ type: 'openSettings' }), { type: 'openSettings' });
    assert.deepEqual(ok({ type: 'openSettings', query: 'selfextend.groupSize' }), { type: 'openSettings', query: 'selfextend.groupSize' });
    assert.deepEqual(ok({ type: 'focusChanged', focused: true }), { type: 'focusChanged', focused: true });
    assert.deepEqual(ok({ type: 'focusChanged', focused: false, extra: 1 }), { type: 'focusChanged', focused: false });
  });
  it('rejects a focusChanged without a boolean', () => {
    bad({ type: 'focusChanged' }, /'focused' must be a boolean/);
    bad({ type: 'focusChanged', focused: 'yes' }, /'focused' must be a boolean/);
  });
  it('rejects non-objects and unknown types', () => {
    bad(null, /object/);
    bad('ask', /object/);
    bad([{ type: 'ask' }], /object/);
    bad({}, /type/);
    bad({ type: 42 }, /type/);
    bad({ type: 'runCommand', command: 'workbench.action.terminal.new' }, /unknown message type/);
    bad({ type: '__proto__' }, /unknown/);
  });
  it('rejects wrong payload types, empty questions and oversize strings', () => {
    bad({ type: 'ask' }, /'text' must be a string/);
    bad({ type: 'ask', text: '   \n' }, /empty/);
    bad({ type: 'ask', text: 'x'.repeat(LIMITS.questionChars + 1) }, /longer/);
    bad({ type: 'copyCode', code: 5 }, /'code'/);
    bad({ type: 'insertCode', code: { toString: 'x' } }, /'code'/);
    bad({ type: 'openChat', chatId: '../../etc' }, /chatId/);
    bad({ type: 'openChat', chatId: '' }, /chatId/);
    bad({ type: 'downloadModel', modelId: 'a/b' }, /modelId/);
    bad({ type: 'downloadModel', modelId: '../x' }, /modelId/);
    bad({ type: 'openChat', chatId: 'a.b' }, /chatId/);
    bad({ type: 'openSettings', query: 7 }, /query/);
  });
  it('rejects paths that escape the workspace or name another scheme', () => {
    for (const path of ['../secret', 'a/../../b', '/etc/passwd', 'C:/Windows/x', 'file:///etc/passwd', 'command:workbench.action.x', 'a\\..\\b', 'a//b', 'a\0b', ''])
      bad({ type: 'openFile', path }, /path/);
  });
});

describe('extension/protocol helpers', () => {
  it('isSafeRelativePath accepts plain relative paths only', () => {
    assert.equal(isSafeRelativePath('README.md'), true);
    assert.equal(isSafeRelativePath('.github/workflows/ci.yml'), true);
    assert.equal(isSafeRelativePath('..'), false);
    assert.equal(isSafeRelativePath('x/'), false);
  });
  it('every error action maps to a message the validator accepts', () => {
    for (const a of ERROR_ACTIONS) {
      const m = parseWebviewMessage(actionMessage(a));
      assert.ok(!(m instanceof ProtocolError));
      assert.equal(m.type, a);
    }
  });
});

describe('curated models offered to the webview', () => {
  it('every catalog id passes the downloadModel validator', () => {
    assert.ok(MODEL_CATALOG.length >= 4);
    for (const m of MODEL_CATALOG) {
      const msg = parseWebviewMessage({ type: 'downloadModel', modelId: m.id });
      assert.ok(!(msg instanceof ProtocolError), m.id);
    }
  });
});
