import { CliError } from './errors.ts';
import { didYouMean } from './suggest.ts';

/** One command-line flag. */
export interface FlagSpec {
  /** 'string' flags take a value (`--lambda 0.1` or `--lambda=0.1`); 'boolean' flags do not. */
  readonly type: 'string' | 'boolean';
  /** The flag may be given several times (values collected in order); otherwise a repeat is refused. */
  readonly multiple?: boolean;
  /** One-letter alias (`-h`). */
  readonly short?: string;
  /** Placeholder for the value in the help text (`V`, `FILE`). */
  readonly arg?: string;
  /** One line of help. */
  readonly help: string;
}

export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** The parsed values of a flag table: strings, booleans, or string lists for `multiple` flags. */
export type FlagValues<F extends FlagTable> = {
  -readonly [K in keyof F]?: F[K]['type'] extends 'boolean' ? boolean : F[K]['multiple'] extends true ? string[] : string;
};

export interface ParsedArgs<F extends FlagTable> {
  values: FlagValues<F>;
  positionals: string[];
}

/**
 * Parse argv against a flag table. Differences from node:util parseArgs, on purpose:
 * a string flag takes the next word as its value even when it starts with '-' (`--lambda -1` is then
 * refused by the flag's own check with a useful message, not called "ambiguous"); an unknown flag
 * gets a did-you-mean; a single-valued flag given twice is refused (silently keeping the last value
 * hides typos in long command lines); `-` alone is a positional (standard input); `--` ends the flags.
 */
export function parseFlags<F extends FlagTable>(argv: readonly string[], flags: F, context: string): ParsedArgs<F> {
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const names = Object.keys(flags);
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(flags)) if (spec.short) byShort.set(spec.short, name);
  const help = `'groupsparse ${context} --help' lists the options`;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
      if (!(name in flags)) {
        throw new CliError(`unknown option '--${name}' for ${context}${didYouMean(name, names, '--')} (${help})`);
      }
    } else if (a.length > 1 && a.startsWith('-') && !/^-[\d.]/.test(a)) {
      const s = a.slice(1);
      name = byShort.get(s);
      if (name === undefined) throw new CliError(`unknown option '${a}' for ${context}${didYouMean(s, names, '--')} (${help})`);
    } else {
      positionals.push(a);
      continue;
    }
    const spec = flags[name];
    let value: string | boolean;
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new CliError(`--${name} takes no value (got '--${name}=${inline}')`);
      value = true;
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new CliError(`--${name} needs a value${spec.arg ? ` (${spec.arg})` : ''}`);
      }
      value = next;
      i++;
    }
    if (spec.multiple) {
      ((values[name] ??= []) as string[]).push(value as string);
    } else {
      if (name in values) {
        throw new CliError(`--${name} is given twice ('${values[name]}' and '${value}'); give it once`);
      }
      values[name] = value;
    }
  }
  return { values: values as FlagValues<F>, positionals };
}

/** Help lines for a flag table: `  --name ARG   help`. */
export function flagHelp(flags: FlagTable, width = 32): string[] {
  return Object.entries(flags).map(([name, spec]) => {
    const left = `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.arg ? ` ${spec.arg}` : ''}`;
    // A flag longer than the column gets its text on the next line, so the two never run together.
    return left.length < width ? `${left.padEnd(width)}${spec.help}` : `${left}\n${' '.repeat(width)}${spec.help}`;
  });
}
