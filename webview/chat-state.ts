// The webview's model of the conversation: a pure reducer over extension messages, so streaming,
// errors and restores are testable in node. The view renders from this.
import type { Attachment, ChatTurn, ChatViewState, ExtensionMessage, ProgressPhase } from '../extension/protocol';

export interface UiState extends ChatViewState {
  progress: { phase: ProgressPhase; fraction?: number; detail?: string };
  /** Error not tied to a turn (e.g. model failed to load before any answer started). */
  banner?: { message: string; actions: ChatTurn['actions'] };
  /** Id of the turn receiving tokens, if any. */
  streamingTurnId?: string;
  /** Files matching the last `@` query. */
  suggestions?: { query: string; paths: string[] };
}

/** What the view must redraw after a message. */
export type Change =
  | { kind: 'all' }
  | { kind: 'turn'; turnId: string }
  | { kind: 'chrome' }
  | { kind: 'composer' }
  | { kind: 'compose'; text?: string; attachments: Attachment[] }
  | { kind: 'focusInput' };

export function initialState(): UiState {
  return { chatId: '', turns: [], chats: [], busy: false, model: { phase: 'idle' }, curatedModels: [], progress: { phase: 'idle' } };
}

function fromViewState(s: ChatViewState, prev: UiState): UiState {
  return {
    ...prev, chatId: s.chatId, turns: s.turns, chats: s.chats, busy: s.busy, model: s.model, curatedModels: s.curatedModels,
    download: s.download, editor: s.editor ?? prev.editor, restricted: s.restricted, banner: undefined, streamingTurnId: s.busy ? prev.streamingTurnId : undefined,
  };
}

function updateTurn(state: UiState, turnId: string, f: (t: ChatTurn) => ChatTurn): UiState {
  const turns = state.turns.map((t) => (t.id === turnId ? f(t) : t));
  return { ...state, turns };
}

export function reduce(state: UiState, msg: ExtensionMessage): [UiState, Change] {
  switch (msg.type) {
    case 'state':
      return [fromViewState(msg.state, state), { kind: 'all' }];
    case 'userTurn':
      return [{ ...state, turns: [...state.turns, msg.turn], busy: true, banner: undefined }, { kind: 'all' }];
    case 'answerStart': {
      const turn: ChatTurn = { id: msg.turnId, role: 'assistant', text: '', chips: msg.chips, meter: msg.meter, omittedFiles: msg.omittedFiles, leftOut: msg.leftOut };
      const exists = state.turns.some((t) => t.id === msg.turnId);
      // A repeated start (e.g. after a view reload mid-answer) must not wipe streamed text.
      const turns = exists ? state.turns.map((t) => (t.id === msg.turnId ? { ...turn, text: t.text } : t)) : [...state.turns, turn];
      return [{ ...state, turns, busy: true, streamingTurnId: msg.turnId }, { kind: 'all' }];
    }
    case 'answerContext':
      return [updateTurn(state, msg.turnId, (t) => ({ ...t, chips: msg.chips, meter: msg.meter, omittedFiles: msg.omittedFiles, leftOut: msg.leftOut })), { kind: 'turn', turnId: msg.turnId }];
    case 'token':
      return [updateTurn(state, msg.turnId, (t) => ({ ...t, text: t.text + msg.delta })), { kind: 'turn', turnId: msg.turnId }];
    case 'summaryPart':
      return [updateTurn(state, msg.turnId, (t) => ({ ...t, parts: [...(t.parts ?? []).filter((p) => p.index !== msg.part.index), msg.part] })), { kind: 'turn', turnId: msg.turnId }];
    case 'answerEnd': {
      const next = updateTurn(state, msg.turnId, (t) => ({ ...t, timings: msg.timings, finish: msg.finish, ...(typeof msg.promptFallback === 'string' ? { promptFallback: msg.promptFallback } : {}) }));
      return [{ ...next, busy: false, streamingTurnId: undefined, progress: { phase: 'idle' } }, { kind: 'all' }];
    }
    case 'error': {
      const base = { ...state, busy: false, streamingTurnId: undefined, progress: { phase: 'idle' as const } };
      if (msg.turnId && state.turns.some((t) => t.id === msg.turnId)) {
        return [updateTurn(base, msg.turnId, (t) => ({ ...t, error: msg.message, actions: msg.actions, finish: 'error' })), { kind: 'all' }];
      }
      if (msg.turnId) {
        // The request failed before its answer started (e.g. the model did not load): show it in the conversation.
        const turn: ChatTurn = { id: msg.turnId, role: 'assistant', text: '', error: msg.message, actions: msg.actions, finish: 'error' };
        return [{ ...base, turns: [...base.turns, turn] }, { kind: 'all' }];
      }
      return [{ ...base, banner: { message: msg.message, actions: msg.actions } }, { kind: 'all' }];
    }
    case 'progress':
      return [{ ...state, progress: { phase: msg.phase, fraction: msg.fraction, detail: msg.detail } }, { kind: 'chrome' }];
    case 'model': {
      // A model was chosen (or changed): a banner about the previous one ("No model configured",
      // a failed load) is stale. The host removes stale failed turns itself (ChatController.modelChanged).
      const changed = msg.model.name !== state.model.name || (state.model.phase === 'unset' && msg.model.phase !== 'unset');
      return [{ ...state, model: msg.model, banner: changed ? undefined : state.banner }, { kind: 'all' }];
    }
    case 'download':
      return [{ ...state, download: msg.download }, { kind: 'chrome' }];
    case 'editorFocus':
      return [{ ...state, editor: msg.editor }, { kind: 'composer' }];
    case 'fileSuggestions':
      return [{ ...state, suggestions: { query: msg.query, paths: msg.paths } }, { kind: 'composer' }];
    case 'compose':
      return [state, { kind: 'compose', text: msg.text, attachments: msg.attachments ?? [] }];
    case 'focusInput':
      return [state, { kind: 'focusInput' }];
  }
}
