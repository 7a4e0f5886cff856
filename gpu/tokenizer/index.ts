// Builds a Tokenizer (types.ts) from plain TokenizerData: SentencePiece for model "llama",
// byte-level BPE for "gpt2", with llama.cpp's special-token splitting, BOS/EOS and decoding rules.
import { TokenType, type TokenizerData } from './data';
import { BpeModel } from './bpe';
import { Detokenizer } from './decode';
import { createPreTokenizer } from './pretokenize';
import { fragmentsOf } from './special';
import { SpmModel } from './spm';
import type { EncodeOptions, StreamDecoder, TextPart, Tokenizer } from './types';
import { Vocab } from './vocab';

export type { TokenizerData } from './data';
export { TokenType, tokenizerDataFromGGUF } from './data';
export type { EncodeOptions, StreamDecoder, TextPart, Tokenizer, ChatMessage } from './types';
export { SUPPORTED_PRE_TOKENIZERS } from './pretokenize';
export {
  encodeChat,
  encodeChatPrompt,
  ChatTemplateError,
  type ChatEncoding,
  type TemplateLimits,
  renderChat,
  renderChatParts,
  chatTemplateFor,
  foldSystemIntoUser,
  FALLBACK_CHATML_TEMPLATE,
  FALLBACK_PLAIN_TEMPLATE,
  type ChatTemplateOptions,
  type EncodeChatOptions,
} from './chat-template';

export function createTokenizer(data: TokenizerData): Tokenizer {
  const vocab = new Vocab(data);
  const spm = data.model === 'llama';
  if (!spm && data.model !== 'gpt2') throw new Error(`unsupported tokenizer model '${String(data.model)}'`);
  const addSpacePrefix = spm ? (data.addSpacePrefix ?? true) : (data.addSpacePrefix ?? false);
  const unkId = data.unkId ?? (spm ? 0 : null);
  const spmModel = spm ? new SpmModel(vocab.tokenToId, vocab.scores, unkId ?? 0) : null;
  const bpeModel = spm ? null : new BpeModel(vocab.tokenToId, data.merges ?? [], createPreTokenizer(data.pre));
  const bosId = data.bosId;
  const eosId = data.eosId;
  const addEosModel = data.addEos ?? false;
  const detok = new Detokenizer(vocab, spm ? 'spm' : 'bpe', bosId, spm && addSpacePrefix);

  const encodeParts = (parts: readonly TextPart[], opts: Omit<EncodeOptions, 'parseSpecial' | 'untrusted'> = {}): number[] => {
    const out: number[] = [];
    const addBos = opts.addBos ?? data.addBos;
    if (addBos) {
      if (bosId === null) throw new Error('this model has no BOS token, but addBos was requested');
      out.push(bosId);
    }
    // SPM prefixes a space to text at the start and after every special token (llama.cpp's is_prev_special).
    let prevSpecial = true;
    for (const f of fragmentsOf(vocab, parts)) {
      if (f.id !== undefined) {
        out.push(f.id);
        prevSpecial = true;
        continue;
      }
      if (spmModel) spmModel.encode(addSpacePrefix && prevSpecial ? ' ' + f.text : f.text, out);
      else bpeModel!.encode(f.text, out);
      prevSpecial = false;
    }
    if (opts.addEos && addEosModel && eosId !== null) out.push(eosId);
    return out;
  };

  return {
    kind: spm ? 'spm' : 'bpe',
    vocabSize: vocab.size,
    bosId,
    eosId,
    stopIds: vocab.stopIds,
    addBosDefault: data.addBos,
    chatTemplate: data.chatTemplate,
    encode(text: string, opts: EncodeOptions = {}): number[] {
      return encodeParts([{ text, parseSpecial: opts.parseSpecial ?? false, untrusted: opts.untrusted ?? false }], opts);
    },
    encodeParts,
    decode(ids: readonly number[], opts: { skipSpecial?: boolean } = {}): string {
      return detok.decode(ids, !(opts.skipSpecial ?? false));
    },
    createStreamDecoder(opts: { skipSpecial?: boolean; stripLeadingSpace?: boolean } = {}): StreamDecoder {
      return detok.stream(!(opts.skipSpecial ?? false), opts.stripLeadingSpace ?? true);
    },
    tokenText(id: number): string {
      if (!Number.isInteger(id) || id < 0 || id >= vocab.size) throw new RangeError(`token id ${id} is outside the vocabulary (0..${vocab.size - 1})`);
      return vocab.tokens[id];
    },
    isSpecial(id: number): boolean {
      return id >= 0 && id < vocab.size && (vocab.types[id] === TokenType.CONTROL || vocab.types[id] === TokenType.UNKNOWN);
    },
    tokenId(text: string): number | undefined {
      return vocab.tokenToId.get(text);
    },
  };
}
