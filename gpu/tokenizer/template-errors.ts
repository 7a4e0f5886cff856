// The chat-template error, in a module of its own (no Jinja) so the extension host can recreate it with its
// fields (extension/backend/errors.ts) without bundling the template renderer.

export type TemplateLimitKind = 'time' | 'output' | 'items' | 'depth' | 'source';

/**
 * A chat template failed: it could not be parsed, raised an error, or exceeded a limit. The message
 * names the template and says what the user can do; `limit` says which limit, when one was exceeded.
 */
export class ChatTemplateError extends Error {
  override readonly name = 'ChatTemplateError';
  constructor(
    message: string,
    readonly templateName: string,
    readonly limit?: TemplateLimitKind,
  ) {
    super(message);
  }
}
