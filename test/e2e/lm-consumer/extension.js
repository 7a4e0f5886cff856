// Test-only consumer of the SelfExtend language model (see README.md). CommonJS, no dependencies: it is
// packaged as-is by scripts/e2e/run-latest.sh.
'use strict';
const vscode = require('vscode');
const fs = require('fs');
const path = require('path');

const MARKERS = process.env.E2E_MARKER_DIR;

function mark(name, data) {
  if (!MARKERS) return;
  fs.mkdirSync(MARKERS, { recursive: true });
  const tmp = path.join(MARKERS, `.${name}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(data, null, 1));
  fs.renameSync(tmp, path.join(MARKERS, name));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The provider answers only once its model is configured: poll for up to `ms`. */
async function selfextendModels(ms) {
  const end = Date.now() + ms;
  for (;;) {
    const models = await vscode.lm.selectChatModels({ vendor: 'selfextend' });
    if (models.length > 0 || Date.now() > end) return models;
    await sleep(500);
  }
}

async function streamAnswer(model, prompt, token) {
  const t0 = Date.now();
  const res = await model.sendRequest([vscode.LanguageModelChatMessage.User(prompt)], { justification: 'SelfExtend e2e test' }, token);
  const chunks = [];
  let firstMs = -1;
  for await (const c of res.text) {
    if (firstMs < 0) firstMs = Date.now() - t0;
    chunks.push(c);
  }
  return { chunks: chunks.length, text: chunks.join(''), firstChunkMs: firstMs, totalMs: Date.now() - t0 };
}

async function askModel() {
  const out = { vscode: vscode.version, ok: false };
  try {
    const all = await vscode.lm.selectChatModels();
    const models = await selfextendModels(90000);
    out.allVendors = [...new Set(all.map((m) => m.vendor))];
    out.models = models.map((m) => ({ id: m.id, vendor: m.vendor, name: m.name, family: m.family, maxInputTokens: m.maxInputTokens }));
    if (models.length === 0) throw new Error('vscode.lm.selectChatModels({ vendor: "selfextend" }) returned no model');
    const model = models[0];
    out.tokenCount = await model.countTokens('The passkey is 1234.');
    const cts = new vscode.CancellationTokenSource();
    Object.assign(out, await streamAnswer(model, 'Reply with a short greeting.', cts.token));
    // Cancellation: a request cancelled before it starts streaming ends without hanging.
    const cancelled = new vscode.CancellationTokenSource();
    const t0 = Date.now();
    const pending = streamAnswer(model, 'Count from one to fifty.', cancelled.token).then((r) => ({ ok: true, ...r }), (e) => ({ ok: false, error: String(e && e.message || e) }));
    cancelled.cancel();
    out.cancelled = { ...(await pending), ms: Date.now() - t0 };
    out.ok = out.chunks > 0 && out.text.length > 0;
  } catch (e) {
    out.error = String((e && e.stack) || e).slice(0, 2000);
  }
  mark('lm-consumer.json', out);
  return out;
}

/** VS Code's own chat UI with the @selfextend participant, when this build offers it. The request uses the
 * SelfExtend model as the chat's model (modelSelector), as a user would pick it: VS Code 1.104 builds a
 * participant request around the selected model, and code-server has no default model to fall back on. */
async function askParticipant() {
  const out = { ok: false };
  try {
    const cmds = await vscode.commands.getCommands(true);
    out.chatOpen = cmds.includes('workbench.action.chat.open');
    if (!out.chatOpen) throw new Error('this VS Code has no workbench.action.chat.open command');
    await vscode.commands.executeCommand('workbench.action.chat.open', { query: '@selfextend /workspace What does pricing.js compute?', mode: 'ask', modelSelector: { vendor: 'selfextend' } });
    out.ok = true;
  } catch (e) {
    out.error = String((e && e.message) || e).slice(0, 1000);
  }
  mark('lm-consumer-participant.json', out);
  return out;
}

exports.activate = function activate(context) {
  // code-server ships no default chat agent, and VS Code enables its chat UI only once one is registered:
  // this test-only participant is that default (package.json: isDefault, proposal defaultChatParticipant,
  // allowed for this extension alone by run-latest.sh's --enable-proposed-api). It only points to @selfextend.
  try {
    context.subscriptions.push(vscode.chat.createChatParticipant('lmConsumer.default', async (_request, _context, response) => {
      response.markdown('This test chat only routes requests to **@selfextend**.');
      return {};
    }));
  } catch (e) {
    mark('lm-consumer-default-participant-error.json', { error: String((e && e.message) || e) });
  }
  context.subscriptions.push(
    vscode.commands.registerCommand('lmConsumer.askModel', askModel),
    vscode.commands.registerCommand('lmConsumer.askParticipant', askParticipant),
  );
  mark('lm-consumer-activated.json', { vscode: vscode.version, hasLm: typeof vscode.lm?.selectChatModels === 'function' });
  if (MARKERS) void askModel();
};

exports.deactivate = function deactivate() {};
