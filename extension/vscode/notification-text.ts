// VS Code notifications (and progress notifications) render `[label](https:|command:|file: target)`
// in their text as clickable links, and command links run commands. Messages here carry text from
// outside: file names and paths from the workspace, GGUF metadata and tensor names from a downloaded
// model, engine errors quoting either. A zero-width space between `]` and `(` keeps the text looking
// the same while VS Code's link syntax no longer matches, so such text stays inert.
const LINK_JOIN = /\]\s*\(/g;

export function inertNotificationText(text: string): string {
  return text.replace(LINK_JOIN, (m) => `${m.slice(0, 1)}\u200b${m.slice(1)}`);
}
