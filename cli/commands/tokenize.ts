import type { CliCommand } from '../command';

// Placeholder until its owner lands it; the command table lists it so usage stays stable.
export const tokenize: CliCommand = {
  summary: '(tokenize: not built yet)',
  async run(): Promise<number> {
    throw new Error('selfextend tokenize is not implemented yet');
  },
};
