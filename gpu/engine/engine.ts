// Engine.load(path, opts) -> Model: opens the GGUF, describes the model, builds the tokenizer, and
// loads a GPU session (weights streamed tensor by tensor, memory checked first).
import { openGGUF } from '../gguf/reader';
import { describeModel } from '../model/config';
import { createTokenizer, tokenizerDataFromGGUF } from '../tokenizer/index';
import type { ChatMessage, Tokenizer } from '../tokenizer/types';
import { chatEncoder } from './chat';
import { GpuModel } from './model';
import { loadSession, type Session } from './session';
import { createLinearOps } from './linear-adapter';
import type { EngineApi, LoadOptions } from './types';

async function loadFromFile(path: string, opts: LoadOptions, withSession: boolean) {
  const file = await openGGUF(path);
  try {
    const config = await describeModel(file);
    const tokenizer = createTokenizer(tokenizerDataFromGGUF(file));
    const session = withSession ? await loadSession(file, config, createLinearOps, opts) : null;
    return { config, tokenizer, session };
  } finally {
    await file.close();
  }
}

export const Engine = {
  async load(path: string, opts: LoadOptions = {}): Promise<GpuModel> {
    const { config, tokenizer, session } = await loadFromFile(path, opts, true);
    // A reload after device loss reuses the options but not the caller's (one-shot) progress and signal.
    const reloadOpts: LoadOptions = { ...opts, onProgress: undefined, signal: undefined };
    const encode = chatEncoder(tokenizer as Tokenizer, config);
    return new GpuModel(
      {
        path,
        config,
        tokenizer,
        loadOptions: opts,
        reload: async (): Promise<Session> => {
          const again = await loadFromFile(path, reloadOpts, true);
          return again.session!;
        },
        encodeChat: (messages: ChatMessage[], addGenerationPrompt: boolean) => encode(messages, addGenerationPrompt),
      },
      session!,
    );
  },
} satisfies EngineApi;
