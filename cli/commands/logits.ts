import type { CliCommand } from '../command';

// Placeholder until its owner lands it; the command table lists it so usage stays stable.
export const logits: CliCommand = {
  summary: '(logits: not built yet)',
  async run(): Promise<number> {
    throw new Error('selfextend logits is not implemented yet');
  },
};
