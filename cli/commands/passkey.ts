import type { CliCommand } from '../command';

// Placeholder until its owner lands it; the command table lists it so usage stays stable.
export const passkey: CliCommand = {
  summary: '(passkey: not built yet)',
  async run(): Promise<number> {
    throw new Error('selfextend passkey is not implemented yet');
  },
};
