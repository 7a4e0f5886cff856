import type { CliCommand } from '../command';

// Placeholder until its owner lands it; the command table lists it so usage stays stable.
export const inspect: CliCommand = {
  summary: '(inspect: not built yet)',
  async run(): Promise<number> {
    throw new Error('selfextend inspect is not implemented yet');
  },
};
