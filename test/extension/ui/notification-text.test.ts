import { strict as assert } from 'node:assert';
import { inertNotificationText } from '../../../extension/vscode/notification-text';

// VS Code's notification link syntax (NotificationMessage): [label](https:…|command:…|file:…).
const VSCODE_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;

describe('extension/vscode notification text', () => {
  it('keeps file names and engine messages readable but never a clickable link', () => {
    const cases = [
      "SelfExtend: 'docs/[open](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D).md' is not in the open workspace.",
      'The model file cannot be used: unsupported architecture "[x](https://203.0.113.7/)"',
      'SelfExtend: loading [a] (file:///etc/passwd).gguf',
      'nested [[a](command:x)](command:y)',
    ];
    for (const c of cases) {
      assert.ok(c.match(VSCODE_LINK) || c.includes('] ('), 'the raw case would be a link');
      const out = inertNotificationText(c);
      assert.equal(out.match(VSCODE_LINK), null, out);
      assert.equal(out.replace(/\u200b/g, ''), c, 'only an invisible separator is added');
    }
    assert.equal(inertNotificationText('plain [text] and (parens)'), 'plain [text] and (parens)');
  });
});
