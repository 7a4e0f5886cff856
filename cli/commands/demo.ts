import type { CliCommand } from '../command';

// Placeholder until its owner lands it; the command table lists it so usage stays stable.
export const demo: CliCommand = {
  summary: '(demo: not built yet)',
  async run(): Promise<number> {
    throw new Error('selfextend demo is not implemented yet');
  },
};
