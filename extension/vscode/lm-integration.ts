// Serves the local model to VS Code's other chat surfaces, when the running VS Code has the APIs:
// a language-model provider (vscode.lm.registerLanguageModelChatProvider, VS Code ≥ 1.104) and the
// `@selfextend` chat participant with `/workspace`. Both are feature-detected, so VS Code 1.99
// (our minimum, whose typings lack the provider API) simply skips what it does not have.
import * as vscode from 'vscode';
import type { AnswerBackend, ChatCompletionRequest, HistoryMessage } from './answer-backend';
import { describeError } from './error-actions';
import { writeMarker } from './e2e-markers';

// ---- Local declarations of the provider API (absent from @types/vscode 1.99) ----
interface LmChatInformation {
  id: string;
  name: string;
  family: string;
  version: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  tooltip?: string;
  detail?: string;
  capabilities: { imageInput?: boolean; toolCalling?: boolean | number };
  /** 1.104: listed in the chat's model picker. */
  isUserSelectable?: boolean;
}
interface LmRequestMessage {
  readonly role: number;
  readonly content: readonly unknown[];
  readonly name?: string;
}
interface LmChatProvider {
  onDidChangeLanguageModelChatInformation?: vscode.Event<void>;
  provideLanguageModelChatInformation(options: { silent: boolean }, token: vscode.CancellationToken): Promise<LmChatInformation[]>;
  provideLanguageModelChatResponse(model: LmChatInformation, messages: readonly LmRequestMessage[], options: unknown, progress: vscode.Progress<unknown>, token: vscode.CancellationToken): Promise<void>;
  provideTokenCount(model: LmChatInformation, text: string | LmRequestMessage, token: vscode.CancellationToken): Promise<number>;
}
type RegisterProvider = (vendor: string, provider: LmChatProvider) => vscode.Disposable;

export const LM_VENDOR = 'selfextend';
export const PARTICIPANT_ID = 'selfextend.participant';

function signalFrom(token: vscode.CancellationToken): AbortSignal {
  const ac = new AbortController();
  if (token.isCancellationRequested) ac.abort();
  token.onCancellationRequested(() => ac.abort());
  return ac.signal;
}

/** Text of a message's parts; non-text parts (images, tool calls) are not supported by a local text model. */
export function partsText(content: readonly unknown[] | string): string {
  if (typeof content === 'string') return content;
  return content
    .map((p) => (typeof p === 'object' && p !== null && typeof (p as { value?: unknown }).value === 'string' ? (p as { value: string }).value : ''))
    .join('');
}

/** LanguageModelChatMessageRole: User = 1, Assistant = 2, System = 3 (newer VS Code). */
export function roleName(role: number): 'system' | 'user' | 'assistant' {
  return role === 2 ? 'assistant' : role === 3 ? 'system' : 'user';
}

export function registerLanguageModelIntegration(
  backend: AnswerBackend,
  log: (l: string) => void,
  onModelChange: vscode.Event<void>,
  uriOf: (relPath: string) => vscode.Uri | undefined,
): vscode.Disposable[] {
  const out: vscode.Disposable[] = [];
  const register = (vscode.lm as unknown as { registerLanguageModelChatProvider?: RegisterProvider }).registerLanguageModelChatProvider;
  if (typeof register === 'function') {
    try {
      out.push(register(LM_VENDOR, languageModelProvider(backend, onModelChange)));
      log('registered the local model as a VS Code language model (vendor "selfextend")');
    } catch (e) {
      log(`language model provider not registered: ${describeError(e).message}`);
    }
  } else {
    log('this VS Code has no language-model provider API; skipping (the chat view works as usual)');
  }
  const chatApi = (vscode as unknown as { chat?: { createChatParticipant?: typeof vscode.chat.createChatParticipant } }).chat;
  if (typeof chatApi?.createChatParticipant === 'function') {
    try {
      const participant = chatApi.createChatParticipant(PARTICIPANT_ID, participantHandler(backend, uriOf));
      out.push(participant);
    } catch (e) {
      log(`chat participant not registered: ${describeError(e).message}`);
    }
  }
  return out;
}

function languageModelProvider(backend: AnswerBackend, onModelChange: vscode.Event<void>): LmChatProvider {
  return {
    onDidChangeLanguageModelChatInformation: onModelChange,
    async provideLanguageModelChatInformation() {
      const info = backend.modelInfo();
      if (!info) return [];
      return [{
        id: 'selfextend-local', name: `${info.name} (SelfExtend, local)`, family: info.family, version: '1',
        maxInputTokens: info.maxInputTokens, maxOutputTokens: info.maxOutputTokens,
        tooltip: 'Runs on this machine\'s GPU through WebGPU; nothing leaves the machine.', capabilities: { imageInput: false, toolCalling: false }, isUserSelectable: true,
      }];
    },
    async provideLanguageModelChatResponse(_model, messages, options, progress, token) {
      const maxTokens = typeof (options as { modelOptions?: { maxTokens?: unknown } } | undefined)?.modelOptions?.maxTokens === 'number'
        ? ((options as { modelOptions: { maxTokens: number } }).modelOptions.maxTokens) : undefined;
      const req: ChatCompletionRequest = {
        kind: 'chat',
        messages: messages.map((m) => ({ role: roleName(m.role), content: partsText(m.content) })),
        maxTokens,
        signal: signalFrom(token),
      };
      let text = '';
      const n = ++lmRequests;
      try {
        const res = await backend.answer(req, {
          progress: () => undefined,
          context: () => undefined,
          token: (t) => {
            text += t;
            progress.report(new vscode.LanguageModelTextPart(t));
          },
        });
        writeMarker(`lm-request-${n}.json`, { messages: req.messages.length, text, finish: res.finish, timings: res.timings });
      } catch (e) {
        const err = describeError(e);
        writeMarker(`lm-request-${n}.json`, { messages: req.messages.length, text, finish: err.cancelled ? 'stopped' : 'error', error: err.message });
        throw e;
      }
    },
    async provideTokenCount(_model, text) {
      return backend.countTokens(typeof text === 'string' ? text : partsText(text.content));
    },
  };
}

/** Requests served per extension-host session, numbering the e2e marker files (e2e-markers.ts). */
let lmRequests = 0;
let participantRequests = 0;

function participantHandler(backend: AnswerBackend, uriOf: (relPath: string) => vscode.Uri | undefined): vscode.ChatRequestHandler {
  return async (request, context, response, token) => {
    const history: HistoryMessage[] = [];
    for (const turn of context.history) {
      if (turn instanceof vscode.ChatRequestTurn) history.push({ role: 'user', content: turn.prompt });
      else if (turn instanceof vscode.ChatResponseTurn) {
        const text = turn.response.map((p) => (p instanceof vscode.ChatResponseMarkdownPart ? p.value.value : '')).join('');
        if (text) history.push({ role: 'assistant', content: text });
      }
    }
    const referenced = new Set<string>();
    const n = ++participantRequests;
    let text = '';
    try {
      const result = await backend.answer(
        { kind: 'ask', chatId: 'participant', question: request.prompt, history, workspace: request.command === 'workspace' || request.command === undefined, signal: signalFrom(token) },
        {
          progress: (phase, fraction) => {
            if (phase !== 'idle' && phase !== 'generating') response.progress(`${phase.replace('-', ' ')}${fraction !== undefined ? ` ${Math.round(fraction * 100)}%` : ''}`);
          },
          // The context can be reported twice (when the prompt is built, then with final figures).
          context: (ctx) => {
            for (const chip of ctx.chips) {
              if (referenced.has(chip.path)) continue;
              referenced.add(chip.path);
              const uri = uriOf(chip.path);
              if (uri) response.reference(uri);
            }
          },
          token: (t) => {
            text += t;
            response.markdown(t);
          },
        },
      );
      writeMarker(`participant-${n}.json`, { prompt: request.prompt, command: request.command ?? null, files: [...referenced], text, finish: result.finish, timings: result.timings });
      return { metadata: { finish: result.finish, timings: result.timings } };
    } catch (e) {
      const err = describeError(e);
      writeMarker(`participant-${n}.json`, { prompt: request.prompt, command: request.command ?? null, files: [...referenced], text, finish: err.cancelled ? 'stopped' : 'error', error: err.message });
      if (err.cancelled) return {};
      return { errorDetails: { message: err.message } };
    }
  };
}
