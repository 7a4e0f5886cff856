import type { CliCommand } from '../command';

// Placeholder until its owner lands it; the command table lists it so usage stays stable.
export const ask: CliCommand = {
  summary: '(ask: not built yet)',
  async run(): Promise<number> {
    throw new Error('selfextend ask is not implemented yet');
  },
};
