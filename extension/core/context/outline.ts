// A file-tree outline of the listed files, bounded in lines: folders that would not fit are shown
// collapsed with their file count. Depends only on the file list, so it is stable across questions.
// Names are shown through displayName: a newline in a file name must not add a line of its own.
import { displayName } from '../workspace/names';

interface Dir {
  dirs: Map<string, Dir>;
  files: string[];
  total: number;
}

function newDir(): Dir {
  return { dirs: new Map(), files: [], total: 0 };
}

export function buildOutline(paths: readonly string[], maxLines: number): string {
  const root = newDir();
  for (const p of paths) {
    const parts = p.split('/');
    let d = root;
    d.total++;
    for (let i = 0; i < parts.length - 1; i++) {
      let next = d.dirs.get(parts[i]!);
      if (!next) d.dirs.set(parts[i]!, (next = newDir()));
      next.total++;
      d = next;
    }
    d.files.push(parts[parts.length - 1]!);
  }
  const lines: string[] = [];
  // Explicit stack instead of recursion: trees can be deep.
  type Item = { kind: 'dir'; name: string; dir: Dir; indent: string } | { kind: 'line'; text: string };
  const stack: Item[] = [];
  const pushChildren = (dir: Dir, indent: string): void => {
    const items: Item[] = [];
    for (const [name, sub] of [...dir.dirs.entries()].sort((a, b) => cmp(a[0], b[0]))) items.push({ kind: 'dir', name, dir: sub, indent });
    for (const f of [...dir.files].sort(cmp)) items.push({ kind: 'line', text: `${indent}${displayName(f)}` });
    for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]!);
  };
  pushChildren(root, '');
  let remaining = maxLines;
  while (stack.length > 0 && remaining > 0) {
    const it = stack.pop()!;
    if (it.kind === 'line') {
      lines.push(it.text);
      remaining--;
      continue;
    }
    // Expand a folder only if all its entries could still be shown; otherwise one summary line.
    const cost = it.dir.total + it.dir.dirs.size + 1;
    // Half the remaining room at most, so one huge folder cannot hide all its siblings.
    if (cost <= remaining && cost <= Math.max(8, remaining / 2)) {
      lines.push(`${it.indent}${displayName(it.name)}/`);
      remaining--;
      pushChildren(it.dir, `${it.indent}  `);
    } else {
      lines.push(`${it.indent}${displayName(it.name)}/ (${it.dir.total} files)`);
      remaining--;
    }
  }
  if (stack.length > 0) lines.push(`… (${stack.length} more entries)`);
  return lines.join('\n');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
