// The synthetic models must be real models: llama.cpp (node-llama-cpp, CPU) loads each architecture,
// tokenizes with our SentencePiece vocabulary the way we expect and evaluates a token.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GGMLType } from '../../gpu/gguf/types';
import { openGGUF } from '../../gpu/gguf/reader';
import { describeModel } from '../../gpu/model/config';
import { writeSyntheticModel, type SyntheticModelOptions } from '../../gpu/model/synthetic';
import type { Architecture } from '../../gpu/model/types';

type NodeLlamaCpp = typeof import('node-llama-cpp');
const importLlama = new Function('return import("node-llama-cpp")') as () => Promise<NodeLlamaCpp>;

describe('synthetic models load in llama.cpp', function () {
  this.timeout(300_000);
  let dir: string;
  let llama: Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gguf-llama-'));
    const { getLlama } = await importLlama();
    llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  });
  after(async () => {
    await llama?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: [Architecture, GGMLType, Partial<SyntheticModelOptions>][] = [
    ['llama', GGMLType.Q4_K, { llama3RopeFreqs: true }],
    ['qwen2', GGMLType.Q8_0, {}],
    ['qwen3', GGMLType.F16, { tied: true }],
  ];
  for (const [architecture, type, extra] of cases) {
    it(`${architecture} with ${GGMLType[type]} weights${extra.tied ? ', tied output' : ''}${extra.llama3RopeFreqs ? ', llama3 rope_freqs' : ''}`, async () => {
      const path = join(dir, `${architecture}-${type}.gguf`);
      await writeSyntheticModel(path, { architecture, type, seed: 11, nLayers: 1, ...extra });
      const f = await openGGUF(path);
      const cfg = await describeModel(f);
      await f.close();
      const model = await llama.loadModel({ modelPath: path });
      try {
        assert.equal(model.fileInfo.metadata.general.architecture, architecture);
        // '▁' 259, then a..z from 260: "hello" -> ▁ h e l l o.
        assert.deepEqual([...model.tokenize('hello')], [259, 267, 264, 271, 271, 274]);
        assert.equal(model.tokens.bos, 1);
        const ctx = await model.createContext({ contextSize: 32 });
        try {
          const seq = ctx.getSequence();
          const out: number[] = [];
          for await (const t of seq.evaluate(model.tokenize('hello'), { temperature: 0 })) {
            out.push(t);
            if (out.length >= 2) break;
          }
          assert.equal(out.length, 2);
          assert.ok(out.every((t) => Number.isInteger(t) && t >= 0 && t < cfg.vocabSize));
        } finally {
          await ctx.dispose();
        }
      } finally {
        await model.dispose();
      }
    });
  }
});
