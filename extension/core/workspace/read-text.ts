// Reading a listed file as prompt text, with the binary and decoding checks every FileSource shares.
import type { FileSource } from './types';
import { decodeText, looksBinary } from './text';
import { isCancellation, untilAborted } from '../util/abort';

export type ReadTextResult = { kind: 'text'; text: string; lossy: boolean } | { kind: 'skipped' };

/** Reads and decodes; records binary/unreadable/lossy files in `source.skipped`. Rethrows cancellation. */
export async function readText(source: FileSource, relPath: string, signal?: AbortSignal): Promise<ReadTextResult> {
  let bytes: Uint8Array;
  try {
    bytes = await untilAborted(source.read(relPath, { signal }), signal);
  } catch (e) {
    if (isCancellation(e)) throw e;
    source.skipped.add('unreadable', relPath);
    return { kind: 'skipped' };
  }
  if (looksBinary(bytes)) {
    source.skipped.add('binary', relPath);
    return { kind: 'skipped' };
  }
  const { text, lossy } = decodeText(bytes);
  if (lossy) source.skipped.addLossy(relPath);
  return { kind: 'text', text, lossy };
}
