// `selfextend` command-line entry: each subcommand lives in cli/commands/<name>.ts and exports `run`.
import { commands } from './commands/index';
import { terminalSafe } from '../extension/core/workspace/names';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`selfextend: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return cmd.run(rest);
}

function usage(): string {
  const lines = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `usage: selfextend <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'selfextend <command> --help' for a command's options.\n`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Messages may quote file names from a repository: no terminal escape sequences get through.
    process.stderr.write(`selfextend: ${terminalSafe(err instanceof Error ? err.message : String(err))}\n`);
    if (process.env['SELFEXTEND_DEBUG'] && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);
