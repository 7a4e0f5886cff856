// Shared helpers for the GGUF tests: locating optional fixtures and asserting typed rejections.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GGUFError, type GGUFErrorCode } from '../../gpu/gguf/errors';

export const ROOT = join(__dirname, '..', '..');
export const PASSKEY = join(ROOT, 'assets', 'models', 'passkey-char-128.gguf');
export const SHARED = join(ROOT, '..', 'shared');
export const STORIES = join(SHARED, 'models', 'stories260K.gguf');
export const VOCAB_DIR = join(SHARED, 'vocab');

/** Skips the calling test with a logged reason when an optional ../shared fixture is absent. */
export function requireFile(ctx: Mocha.Context, path: string): void {
  if (!existsSync(path)) {
    console.log(`      (skipped: ${path} is absent; it lives in ../shared)`);
    ctx.skip();
  }
}

/** Asserts that fn throws (or rejects with) a GGUFError of `code` whose message matches `re`. */
export async function rejectsWith(fn: () => unknown, code: GGUFErrorCode, re?: RegExp): Promise<GGUFError> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof GGUFError, `expected a GGUFError(${code}), got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  assert.equal(err.code, code, `wrong code for: ${err.message}`);
  if (re) assert.match(err.message, re);
  return err;
}
