// Pre-tokenizer splits for tokenizer.ggml.pre values, expected words worked out by hand from
// llama.cpp's regex lists (llama-vocab.cpp) for one input that exercises letters, digits,
// contractions, newlines and runs of spaces.
import * as assert from 'node:assert/strict';
import { createPreTokenizer } from '../../gpu/tokenizer/pretokenize';

const TEXT = "Hello world 12345 it's\n\n  x";

describe('BPE pre-tokenizers', () => {
  const cases: Array<[string, string[]]> = [
    ['llama-bpe', ['Hello', ' world', ' ', '123', '45', ' it', "'s", '\n\n', ' ', ' x']],
    ['qwen2', ['Hello', ' world', ' ', '1', '2', '3', '4', '5', ' it', "'s", '\n\n', ' ', ' x']],
    ['gpt-2', ['Hello', ' world', ' 12345', ' it', "'s", '\n\n ', ' x']],
    ['smollm', ['Hello', ' world', ' ', '1', '2', '3', '4', '5', ' it', "'s", '\n\n ', ' x']],
    ['starcoder', ['Hello', ' world', ' ', '1', '2', '3', '4', '5', ' it', "'s", '\n\n ', ' x']],
    ['default', ['Hello', ' world', ' ', '123', '45', ' it', "'", 's', '\n\n ', ' x']],
    ['deepseek-coder', ['Hello', ' world', ' ', '1', '2', '3', '4', '5', ' it', "'", 's', '\n', '\n', ' ', ' x']],
  ];
  for (const [pre, want] of cases) {
    it(`${pre}: splits like llama.cpp`, () => {
      const words = createPreTokenizer(pre).split(TEXT);
      assert.deepEqual(words, want);
      assert.equal(words.join(''), TEXT);
    });
  }

  it('llama-bpe contractions are case-insensitive; gpt-2 ones are not', () => {
    assert.deepEqual(createPreTokenizer('llama-bpe').split("IT'S"), ['IT', "'S"]);
    assert.deepEqual(createPreTokenizer('gpt-2').split("IT'S"), ['IT', "'", 'S']);
    assert.deepEqual(createPreTokenizer('gpt-2').split("it'S"), ['it', "'", 'S']);
    assert.deepEqual(createPreTokenizer('gpt-2').split("it's"), ['it', "'s"]);
  });

  it('non-ASCII letters, digits and spaces use Unicode categories', () => {
    assert.deepEqual(createPreTokenizer('qwen2').split('Straße ٣٤\u3000日本'), ['Straße', ' ', '٣', '٤', '\u3000日本']);
    assert.deepEqual(createPreTokenizer('gpt-2').split('naïve\u00a0café'), ['naïve', '\u00a0', 'café']);
  });

  it('rejects an unknown pre-tokenizer with the list of supported ones', () => {
    assert.throws(() => createPreTokenizer('no-such-pre'), /unsupported pre-tokenizer 'no-such-pre'.*llama-bpe/);
  });
});
