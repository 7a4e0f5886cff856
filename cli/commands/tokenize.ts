// `selfextend tokenize MODEL.gguf --text T | --file F | --ids 1,2,3 [--json] [--no-bos] [--special]`:
// the model's own tokenizer (read from the GGUF metadata only, no weights) from the command line.
import * as fs from 'node:fs/promises';
import type { CliCommand } from '../command';
import { parse, parseIdList } from '../args';
import { openGGUF } from '../../gpu/gguf/reader';
import { createTokenizer, tokenizerDataFromGGUF, type Tokenizer } from '../../gpu/tokenizer';

const USAGE = `usage: selfextend tokenize MODEL.gguf (--text TEXT | --file PATH | --ids 1,2,3) [options]
  --text TEXT      tokenize TEXT and print the ids
  --file PATH      tokenize the contents of a UTF-8 file
  --ids LIST       decode comma-separated token ids and print the text
  --json           print {"ids":[...]} or {"text":"..."}
  --no-bos         do not prepend BOS (default: the model's tokenizer.ggml.add_bos_token)
  --special        parse special tokens written in the text (e.g. <|im_start|>); default: plain text
  --skip-special   when decoding, leave control tokens out of the text`;

async function loadTokenizer(path: string): Promise<Tokenizer> {
  const file = await openGGUF(path);
  try {
    return createTokenizer(tokenizerDataFromGGUF(file));
  } finally {
    await file.close();
  }
}

export const tokenize: CliCommand = {
  summary: "turn text into the model's token ids, or ids back into text",
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parse(
      argv,
      {
        text: { type: 'string' },
        file: { type: 'string' },
        ids: { type: 'string' },
        json: { type: 'boolean' },
        'no-bos': { type: 'boolean' },
        special: { type: 'boolean' },
        'skip-special': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new Error(`expected one MODEL.gguf path\n${USAGE}`);
    const given = [values.text, values.file, values.ids].filter((v) => v !== undefined).length;
    if (given !== 1) throw new Error(`give exactly one of --text, --file or --ids\n${USAGE}`);
    const tok = await loadTokenizer(positionals[0]!);

    if (values.ids !== undefined) {
      const ids = parseIdList(values.ids, '--ids');
      const bad = ids.find((id) => id >= tok.vocabSize);
      if (bad !== undefined) throw new Error(`--ids: token id ${bad} is outside the vocabulary (0..${tok.vocabSize - 1})`);
      const text = tok.decode(ids, { skipSpecial: values['skip-special'] ?? false });
      process.stdout.write(values.json ? JSON.stringify({ text }) + '\n' : text + '\n');
      return 0;
    }

    const text = values.text ?? (await fs.readFile(values.file!, 'utf8'));
    const ids = tok.encode(text, { addBos: values['no-bos'] ? false : tok.addBosDefault, parseSpecial: values.special ?? false });
    process.stdout.write(values.json ? JSON.stringify({ ids }) + '\n' : ids.join(' ') + '\n');
    return 0;
  },
};
