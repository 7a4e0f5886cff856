// Reads what the user attached to a question (files, selected lines) for the prompt. The webview only
// names paths and lines; the text is read here, from the open document when there is one (so unsaved
// edits count) or from disk, and only inside a workspace folder.
import type { Attachment, ContextChip } from '../protocol';
import type { ResolvedAttachments } from './chat-controller';

export interface AttachmentReader {
  /** Text of a workspace file, or an Error saying why it cannot be used. */
  read(path: string, signal: AbortSignal): Promise<string>;
  countTokens(text: string): number | Promise<number>;
  /** Largest file read whole (selfextend.maxFileSize). */
  maxBytes: number;
}

/** Characters of all attachments together: beyond this they would crowd out the repository context. */
export const MAX_ATTACHED_CHARS = 400_000;

/** A path as it may appear in the prompt: control characters (a newline in a file name) cannot add lines. */
function promptSafe(path: string): string {
  // eslint-disable-next-line no-control-regex
  return path.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

function describe(a: Attachment): string {
  return a.kind === 'selection' ? `${promptSafe(a.path)} lines ${a.startLine}–${a.endLine}` : promptSafe(a.path);
}

export async function resolveAttachments(attachments: readonly Attachment[], reader: AttachmentReader, signal: AbortSignal): Promise<ResolvedAttachments> {
  const blocks: string[] = [];
  const chips: ContextChip[] = [];
  let chars = 0;
  for (const a of attachments) {
    const text = await reader.read(a.path, signal);
    if (a.kind === 'file' && text.length > reader.maxBytes) {
      throw new Error(`${a.path} is larger than selfextend.maxFileSize (${reader.maxBytes} bytes); attach a selection of it instead.`);
    }
    let body = text;
    if (a.kind === 'selection') {
      const lines = text.split('\n');
      if (a.startLine > lines.length) throw new Error(`${a.path} has only ${lines.length} lines; the selection ${a.startLine}–${a.endLine} is no longer there.`);
      body = lines.slice(a.startLine - 1, a.endLine).join('\n');
    }
    chars += body.length;
    if (chars > MAX_ATTACHED_CHARS) throw new Error(`The attached files are too long together (over ${MAX_ATTACHED_CHARS.toLocaleString('en-US')} characters); attach fewer or smaller ones.`);
    blocks.push(`--- ${describe(a)} ---\n${body.replace(/\n+$/, '')}`);
    const chip: ContextChip = { path: a.path, pinned: true, tokens: await reader.countTokens(body) };
    if (a.kind === 'selection') chip.partial = true;
    if (!chips.some((c) => c.path === chip.path)) chips.push(chip);
  }
  const names = attachments.map(describe);
  return {
    pinned: blocks.length ? { label: `attached by the user: ${names.join(', ')}`, text: blocks.join('\n\n') } : undefined,
    chips,
    description: `pinned context: ${names.join(', ')} (${chars.toLocaleString('en-US')} characters)`,
  };
}
