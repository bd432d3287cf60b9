import type { FlagTable } from './args.ts';

/** Where a command reads and writes (tests pass their own). */
export interface CliIO {
  stdout(s: string): void;
  stderr(s: string): void;
  /** The whole of standard input (for `-` as a file name). */
  readStdin(): Promise<string>;
}

/** One help section: a title and its flags. */
export interface FlagSection {
  title: string;
  flags: FlagTable;
}

/**
 * A subcommand of `groupsparse`. A new command is one module exporting one of these, listed in
 * `commands/index.ts`; parsing, help, did-you-mean and the one-line error / exit code 2 convention
 * come from the shared driver.
 */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage lines after `groupsparse` (`fit <data.csv> --target COL [options]`). */
  usage: string[];
  /** Flags by section, in help order; their union is what the command accepts. */
  sections: FlagSection[];
  /** Lines printed after the flags in `--help` (examples). */
  notes?: string[];
  /** Run with parsed flags and positionals; returns the exit code. Throw CliError for usage problems. */
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[], io: CliIO): Promise<number>;
}
