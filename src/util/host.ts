import { DataError } from '../errors.ts';

/**
 * A file URL (`new URL('./data.csv', import.meta.url)`), typed by shape so that the declarations need
 * neither the DOM library nor Node's types.
 */
export interface FileUrl {
  readonly href: string;
  readonly protocol: string;
  readonly pathname: string;
}

/** True for URL objects (anything URL-shaped), false for strings. */
export function isFileUrl(x: unknown): x is FileUrl {
  return typeof x === 'object' && x !== null && typeof (x as FileUrl).href === 'string' && typeof (x as FileUrl).protocol === 'string';
}

/** How a path or URL is named in messages. */
export function describePath(path: string | FileUrl): string {
  return isFileUrl(path) ? decodeURIComponent(path.pathname) : path;
}

interface NodeFs {
  readFileSync(path: string | FileUrl, encoding: 'utf8'): string;
  readFileSync(path: string | FileUrl): { toString(encoding: 'latin1' | 'utf8'): string };
}
interface NodeBuffer {
  isAscii?(input: unknown): boolean;
}

/**
 * Read a text file through whatever file system the host offers: Node's `fs` (asked for at run time
 * with `process.getBuiltinModule`, Node ≥ 20.16) or Deno's. There is no `import 'node:fs'`, so
 * bundlers see no Node built-in and the module loads in a browser; there a path is refused with a
 * message saying to pass the text instead.
 */
export function readTextFile(fn: string, path: string | FileUrl): string {
  const g = globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
    Deno?: { readTextFileSync(p: string | FileUrl): string };
  };
  const fs = g.process?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  try {
    if (fs) {
      // Decoding UTF-8 costs about as much as parsing a numeric table; an all-ASCII file (the usual
      // CSV) gives the same string read as Latin-1, which is a plain byte copy.
      const isAscii = (g.process?.getBuiltinModule?.('node:buffer') as NodeBuffer | undefined)?.isAscii;
      if (isAscii === undefined) return fs.readFileSync(path, 'utf8');
      const bytes = fs.readFileSync(path);
      return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
    }
    if (g.Deno) return g.Deno.readTextFileSync(path);
  } catch (e) {
    throw new DataError(fn, `cannot read '${describePath(path)}': ${(e as Error).message}`);
  }
  throw new DataError(fn, `cannot read the file '${describePath(path)}' here (no file system): pass the CSV text instead, e.g. readCsv(await file.text())`);
}
