import type { CliCommand } from '../command';

// Placeholder until its owner lands it; the command table lists it so usage stays stable.
export const summarize: CliCommand = {
  summary: '(summarize: not built yet)',
  async run(): Promise<number> {
    throw new Error('selfextend summarize is not implemented yet');
  },
};
