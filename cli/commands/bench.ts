import type { CliCommand } from '../command';

// Placeholder until its owner lands it; the command table lists it so usage stays stable.
export const bench: CliCommand = {
  summary: '(bench: not built yet)',
  async run(): Promise<number> {
    throw new Error('selfextend bench is not implemented yet');
  },
};
