import type { CliCommand } from '../command';

// Placeholder until its owner lands it; the command table lists it so usage stays stable.
export const generate: CliCommand = {
  summary: '(generate: not built yet)',
  async run(): Promise<number> {
    throw new Error('selfextend generate is not implemented yet');
  },
};
