// The text forms of the repository block. Kept in one place so token counts and the final prompt
// are made from exactly the same strings.
import { fenceFor, languageOf } from './language';
import { displayName } from '../workspace/names';

export function repositoryHeader(rootLabel: string, fileCount: number, outline: string): string {
  const name = displayName(rootLabel);
  return `Repository ${name === rootLabel ? `"${rootLabel}"` : name} (${fileCount} files). File tree:\n${outline}\n\nFile contents:\n`;
}

export interface Range {
  startLine: number;
  endLine: number;
  text: string;
}

/**
 * One file with a path header. `ranges` sorted by line; `totalLines` lets partial files say which
 * part is shown so the model does not mistake an excerpt for the whole file.
 */
export function renderFile(relPath: string, ranges: readonly Range[], totalLines: number, whole: boolean): string {
  const body = ranges.map((r) => r.text).join('\n…\n');
  const fence = fenceFor(body);
  // File names are untrusted: a newline in one must not start a line outside the fence.
  const name = displayName(relPath);
  const label = whole ? name : `${name} (lines ${ranges.map((r) => `${r.startLine}-${r.endLine}`).join(', ')} of ${totalLines})`;
  return `### ${label}\n${fence}${languageOf(relPath)}\n${body}\n${fence}\n\n`;
}

export function leftOutNote(count: number, examples: readonly string[]): string {
  if (count === 0) return '';
  return `(${count} more files were not included for lack of room${examples.length ? `, e.g. ${examples.map(displayName).join(', ')}` : ''}.)\n`;
}
