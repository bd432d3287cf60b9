#!/usr/bin/env node
/**
 * Command line: which groups of the columns of a CSV file matter for a target column?
 *
 *   groupsparse fit data.csv --target bwt --categorical race,ftv --expand age:poly3 --cv 10
 *   groupsparse path data.csv --target bwt --expand age:poly3 --plot path.svg
 *
 * Usage and data errors exit with code 2 and one line naming the problem (no stack trace).
 * Each subcommand lives in commands/ and is listed in commands/index.ts.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { GroupSparseError } from '../errors.ts';
import { flagHelp, parseFlags, type FlagTable } from './args.ts';
import type { CliIO, Command } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { CliError } from './errors.ts';
import { CliInterrupt } from './progress.ts';
import { didYouMean } from './suggest.ts';

export { CliError } from './errors.ts';
export type { CliIO, Command, FlagSection } from './command.ts';
export { COMMANDS } from './commands/index.ts';
export { entryOrder } from './commands/common.ts';

function version(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')).version as string;
    } catch {
      // dist/cli/ and src/cli/ are both two levels below the package root; keep looking
    }
  }
  return 'unknown';
}

/** The top-level help: commands and how to get each one's options. */
export function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'Usage: groupsparse <command> [options]', '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`), '',
    "'groupsparse <command> --help' lists a command's options; 'groupsparse --version' prints the version.", '',
  ].join('\n');
}

/** A command's help: usage lines, flag sections, notes. */
export function commandHelp(c: Command): string {
  const lines = ['Usage:', ...c.usage.map((u) => `  groupsparse ${u}`)];
  for (const s of c.sections) lines.push('', `${s.title}:`, ...flagHelp(s.flags, 36));
  if (c.notes) lines.push('', ...c.notes);
  return lines.join('\n') + '\n';
}

function flagsOf(c: Command): FlagTable {
  return Object.assign({}, ...c.sections.map((s) => s.flags));
}

const defaultIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** Run the command line; returns the exit code. Usage problems throw CliError. */
export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? argv[1] : undefined;
    const c = topic !== undefined ? COMMANDS.find((x) => x.name === topic) : undefined;
    if (topic !== undefined && c === undefined) throw new CliError(`unknown command '${topic}'${didYouMean(topic, COMMANDS.map((x) => x.name))}`);
    io.stdout(c ? commandHelp(c) : usage());
    return 0;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`groupsparse ${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (command === undefined) {
    const names = COMMANDS.map((c) => c.name);
    const what = first.startsWith('-') ? `'${first}' before a command` : `unknown command '${first}'`;
    throw new CliError(`${what}${first.startsWith('-') ? '' : didYouMean(first, names)} (commands: ${names.join(', ')}; 'groupsparse --help')`);
  }
  const { values, positionals } = parseFlags(argv.slice(1), flagsOf(command), command.name);
  if (values.help) {
    io.stdout(commandHelp(command));
    return 0;
  }
  return command.run(values, positionals, io);
}

/** Entry point: exit code 2 with a one-line message for usage and data errors. */
export async function run(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  try {
    return await main(argv, io);
  } catch (e) {
    if (e instanceof CliInterrupt) {
      io.stderr(`groupsparse: ${e.message}\n`);
      return 130;
    }
    if (e instanceof CliError || e instanceof GroupSparseError) {
      io.stderr(`groupsparse: ${e.message}\n`);
      return 2;
    }
    io.stderr(`groupsparse: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}

function isEntry(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(arg)).href;
  } catch {
    return false;
  }
}

if (isEntry()) {
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
