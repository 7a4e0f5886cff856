export interface CliCommand {
  summary: string;
  /** Returns the process exit code. Writes results to stdout, progress and diagnostics to stderr. */
  run(argv: string[]): Promise<number>;
}
