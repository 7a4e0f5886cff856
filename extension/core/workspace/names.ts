// File names come from the repository, so they are untrusted text. Printed raw, an ANSI escape in a name
// recolours or rewrites the terminal; put raw into a prompt, a newline in a name starts a line of its
// own outside the code fences. Every place that prints a name or puts one into a prompt uses this.

/**
 * Characters a name must not carry verbatim: C0 controls (newline, ESC…), DEL, C1 controls, the Unicode
 * line/paragraph separators and the bidirectional overrides/isolates that reorder displayed text.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_TEST = new RegExp(UNSAFE.source);

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * A name safe to print and to put into a prompt: unchanged when it has no unsafe character (the common
 * case, so ordinary paths read as they are); otherwise quoted, with backslashes and quotes escaped and
 * every unsafe character written as \n, \xHH or \uHHHH, so the result is one inert line and cannot be
 * confused with a plain name.
 */
export function displayName(name: string): string {
  if (!UNSAFE_TEST.test(name)) return name;
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`).replace(UNSAFE, escapeChar)}"`;
}

/**
 * Text for a terminal: keeps newlines and tabs (messages span lines) but escapes every other control
 * character, so an error or log line quoting a hostile name cannot send escape sequences.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => (c === '\n' || c === '\t' ? c : escapeChar(c)));
}
