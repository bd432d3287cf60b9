import { accessSync, constants, existsSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { CliError } from './errors.ts';

/** An output file asked for on the command line. */
export interface OutputRequest {
  /** The flag that names it (`plot`), for messages. */
  flag: string;
  path: string;
  /** Accepted extensions with the dot (`.svg`); undefined accepts any. */
  extensions?: readonly string[];
}

function canonical(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return resolve(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

/**
 * Check every output path before any work is done, so that a typo costs nothing: a known extension,
 * an existing writable folder, not a folder itself, not an input file, not named twice, and no
 * existing file unless `force` (never overwrite silently). Throws a CliError (exit 2) naming the flag.
 */
export function checkOutputs(requests: readonly OutputRequest[], options: { force?: boolean; inputs?: readonly string[] } = {}): void {
  const seen = new Map<string, string>();
  const inputs = new Set((options.inputs ?? []).filter((f) => f !== '-').map(canonical));
  for (const r of requests) {
    const where = `--${r.flag} '${r.path}'`;
    if (r.path === '') throw new CliError(`--${r.flag} needs a file name`);
    const ext = extname(r.path).toLowerCase();
    if (r.extensions && !r.extensions.includes(ext)) {
      throw new CliError(`${where}: the file name must end in ${r.extensions.join(', ')}`);
    }
    const dir = dirname(resolve(r.path));
    let dirStat;
    try {
      dirStat = statSync(dir);
    } catch {
      throw new CliError(`${where}: the folder '${dirname(r.path)}' does not exist`);
    }
    if (!dirStat.isDirectory()) throw new CliError(`${where}: '${dirname(r.path)}' is not a folder`);
    try {
      accessSync(dir, constants.W_OK);
      // access() grants root every folder, /proc and read-only mounts included: creating the
      // temporary sibling writeOutput will use is the test that holds, before the fit.
      const probe = temporarySibling(r.path);
      writeFileSync(probe, '');
      unlinkSync(probe);
    } catch {
      throw new CliError(`${where}: the folder '${dirname(r.path)}' is not writable`);
    }
    const key = canonical(r.path);
    if (inputs.has(key)) throw new CliError(`${where} is an input file; choose another name`);
    const other = seen.get(key);
    if (other !== undefined) throw new CliError(`${where} is also the file of --${other}; give each output its own file`);
    seen.set(key, r.flag);
    if (existsSync(r.path)) {
      if (statSync(r.path).isDirectory()) throw new CliError(`${where} is a folder, not a file`);
      if (!options.force) throw new CliError(`${where} already exists; add --force to overwrite it`);
    }
  }
}

/**
 * Check an output folder before any work is done: the folder, or the nearest of its ancestors that
 * exists (the rest is created when written), must be a folder we can create files in, and an
 * existing folder must be empty unless `force`. Throws a CliError (exit 2) naming the flag.
 */
export function checkOutputFolder(flag: string, dir: string, options: { force?: boolean } = {}): void {
  const where = `--${flag} '${dir}'`;
  if (dir === '') throw new CliError(`--${flag} needs a folder name`);
  let base = resolve(dir);
  // The nearest existing ancestor; the folders below it are created by the writer.
  for (;;) {
    let st;
    try {
      st = statSync(base);
    } catch {
      const up = dirname(base);
      if (up === base) throw new CliError(`${where}: no part of the path exists`);
      base = up;
      continue;
    }
    if (!st.isDirectory()) {
      throw new CliError(base === resolve(dir) ? `${where} is a file, not a folder` : `${where}: '${base}' is a file, not a folder`);
    }
    break;
  }
  try {
    accessSync(base, constants.W_OK);
    // As in checkOutputs: access() grants root every folder, so creating a file is the test.
    const probe = resolve(base, `.groupsparse-probe.${process.pid}.tmp`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch {
    throw new CliError(`${where}: the folder '${base}' is not writable`);
  }
  if (base === resolve(dir) && readdirSync(base).length > 0 && !options.force) {
    throw new CliError(`${where} is not empty; add --force to write into it`);
  }
}

function temporarySibling(path: string): string {
  return resolve(dirname(resolve(path)), `.${basename(path)}.${process.pid}.tmp`);
}

/**
 * Write a file whole or not at all: into a temporary sibling first, then renamed over the target
 * (a crash or a full disk never leaves a half-written output).
 */
export function writeOutput(path: string, data: string | Uint8Array): void {
  const tmp = temporarySibling(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    throw new CliError(`cannot write '${path}': ${(e as Error).message}`);
  }
}
