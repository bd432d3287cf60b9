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
  readFileSync(path: string | FileUrl): Uint8Array;
}
interface NodeBufferModule {
  isAscii?(input: unknown): boolean;
  isUtf8?(input: unknown): boolean;
  Buffer: { from(buffer: ArrayBufferLike, offset: number, length: number): { toString(encoding: 'latin1' | 'utf8'): string } };
}
interface Host {
  process?: { getBuiltinModule?: (id: string) => unknown };
  Deno?: { readTextFileSync(p: string | FileUrl): string; readFileSync?(p: string | FileUrl): Uint8Array };
}

/**
 * Read a text file through whatever file system the host offers: Node's `fs` (asked for at run time
 * with `process.getBuiltinModule`, Node ≥ 20.16) or Deno's. There is no `import 'node:fs'`, so
 * bundlers see no Node built-in and the module loads in a browser; there a path is refused with a
 * message saying to pass the text instead.
 */
export function readTextFile(fn: string, path: string | FileUrl): string {
  const g = globalThis as Host;
  const fs = g.process?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  try {
    if (fs) {
      const buffer = g.process?.getBuiltinModule?.('node:buffer') as NodeBufferModule | undefined;
      if (buffer?.isAscii === undefined) return checkUtf8(fn, path, fs.readFileSync(path, 'utf8'));
      const bytes = fs.readFileSync(path);
      const text = checkUtf8(fn, path, decodeUtf8(bytes));
      checkUtf8Bytes(fn, path, bytes, text);
      return text;
    }
    if (g.Deno) return checkUtf8(fn, path, g.Deno.readTextFileSync(path));
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(fn, `cannot read '${describePath(path)}': ${(e as Error).message}`);
  }
  throw noFileSystem(fn, path);
}

/**
 * The bytes of a file (Node or Deno, as {@link readTextFile}), refused like it when the start of
 * the file shows it is not UTF-8 text. For readers that parse the bytes themselves and decode
 * only what they keep as text.
 */
export function readFileBytes(fn: string, path: string | FileUrl): Uint8Array {
  const g = globalThis as Host;
  const fs = g.process?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  let bytes: Uint8Array | undefined;
  try {
    if (fs) bytes = fs.readFileSync(path);
    else if (g.Deno?.readFileSync) bytes = g.Deno.readFileSync(path);
    else if (g.Deno) bytes = new TextEncoder().encode(g.Deno.readTextFileSync(path));
  } catch (e) {
    throw new DataError(fn, `cannot read '${describePath(path)}': ${(e as Error).message}`);
  }
  if (bytes === undefined) throw noFileSystem(fn, path);
  // The same test as on the text: its first 4096 characters take at most 3 bytes each.
  checkUtf8(fn, path, decodeUtf8(bytes.subarray(0, 3 * 4096)));
  checkUtf8Bytes(fn, path, bytes, null);
  return bytes;
}

/**
 * Refuse bytes that are not valid UTF-8 anywhere in the file (a Latin-1 or Windows-1252 export):
 * decoded, each bad byte became U+FFFD, so 'café' and 'cafè' were read as one level 'caf�'. One
 * native pass (Node's buffer.isUtf8, else a fatal TextDecoder); the line is found only on failure.
 */
function checkUtf8Bytes(fn: string, path: string | FileUrl, bytes: Uint8Array, text: string | null): void {
  const g = globalThis as Host;
  const buffer = g.process?.getBuiltinModule?.('node:buffer') as NodeBufferModule | undefined;
  let valid: boolean;
  if (buffer?.isUtf8 !== undefined) valid = buffer.isUtf8(bytes);
  else {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      valid = true;
    } catch {
      valid = false;
    }
  }
  if (valid) return;
  const t = text ?? decodeUtf8(bytes);
  const at = t.indexOf('\uFFFD');
  let line = 1;
  for (let i = 0; i < at; i++) if (t.charCodeAt(i) === 10) line++;
  throw new DataError(fn, `'${describePath(path)}' is not UTF-8 text (an invalid byte sequence on line ${line}; a Latin-1 or Windows-1252 file?): save it as UTF-8`);
}

let utf8: InstanceType<typeof TextDecoder> | null = null;

/**
 * UTF-8 bytes as text (malformed sequences become U+FFFD, a byte order mark is kept). In Node an
 * all-ASCII text is copied as Latin-1, the same string without the cost of decoding UTF-8.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  const g = globalThis as Host;
  const buffer = g.process?.getBuiltinModule?.('node:buffer') as NodeBufferModule | undefined;
  if (buffer?.isAscii !== undefined) {
    return buffer.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString(buffer.isAscii(bytes) ? 'latin1' : 'utf8');
  }
  utf8 ??= new TextDecoder('utf-8', { ignoreBOM: true });
  return utf8.decode(bytes);
}

function noFileSystem(fn: string, path: string | FileUrl): DataError {
  return new DataError(fn, `cannot read the file '${describePath(path)}' here (no file system): pass the CSV text instead, e.g. readCsv(await file.text())`);
}

/**
 * Refuse a file that is not UTF-8 text: a UTF-16 file read as UTF-8 starts with two replacement
 * characters (its byte-order mark) and has a NUL byte after every ASCII character, which used to be
 * reported as a ragged row. Only the first 4 KB are looked at.
 */
function checkUtf8(fn: string, path: string | FileUrl, text: string): string {
  const head = text.slice(0, 4096);
  const utf16 = head.startsWith('\uFFFD\uFFFD');
  const nul = head.indexOf('\u0000');
  if (utf16 || nul >= 0) {
    throw new DataError(fn, `'${describePath(path)}' is not UTF-8 text (${utf16 ? 'it starts with a UTF-16 byte-order mark' : `a NUL byte at character ${nul}`}): save it as UTF-8`);
  }
  return text;
}
