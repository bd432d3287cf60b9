import { DataError } from '../errors.ts';
import { decodeUtf8, describePath, isFileUrl, readFileBytes, type FileUrl } from '../util/host.ts';
import { checkChoice, checkOptions } from '../util/validate.ts';
import type { Table, TableColumn } from './table.ts';
import { readNumericCsv } from './csv-numeric.ts';
import { tokenizeCsv } from './tokenize.ts';

/** Options of {@link readCsv}. */
export interface ReadCsvOptions {
  /** Field separator (default ','). */
  delimiter?: string;
  /**
   * Whether the first argument is a file path, CSV text, or decided automatically (default 'auto':
   * text if it contains a line break, else a path). A `URL` is always a file.
   */
  source?: 'auto' | 'path' | 'text';
  /** Keep only these columns (in this order); missing values elsewhere are then ignored. */
  columns?: readonly string[];
  /** Columns that must be numeric: an entry that is not a number is an error naming row and column. */
  numeric?: readonly string[];
  /** Columns kept as strings even when every entry is a number (codes such as race = 1, 2, 3). */
  strings?: readonly string[];
  /** Entries that mean "missing" (compared after trimming; default `['', 'NA', 'NaN']`). */
  naValues?: readonly string[];
  /**
   * What to do with a missing value: 'error' (default) throws a DataError naming the line and
   * column; 'drop-rows' drops every row with a missing value in a kept column and lists the dropped
   * line numbers in `table.droppedLines`.
   */
  missing?: 'error' | 'drop-rows';
  /**
   * Duplicate or empty header names: 'error' (default), or 'rename' (R's make.unique style: the
   * second `a` becomes `a.1`, an empty name becomes `V<k>` for column k, 1-based).
   */
  duplicateNames?: 'error' | 'rename';
  /**
   * The decimal mark of numbers: '.' (default) or ',' (`3,14`, as written where ';' separates
   * fields). With ',' an entry holding a '.' is not a number.
   */
  decimal?: '.' | ',';
  /**
   * Columns of dates (`2024-03-01`, `2024-03-01T12:00`, `2024-03-01 12:00:00`): kept as strings
   * ('strings', default), refused with an error naming the column ('error': a date read as a
   * category is one dummy per day), or read as numbers, days since 1970-01-01 UTC ('numeric').
   */
  dates?: 'strings' | 'error' | 'numeric';
}

const OPTIONS = ['delimiter', 'source', 'columns', 'numeric', 'strings', 'naValues', 'missing', 'duplicateNames', 'decimal', 'dates'] as const;

// ISO 8601 dates, optionally with a time (no time zone: read as UTC).
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?Z?$/;

/** Days since 1970-01-01 UTC of an ISO date, or NaN when the entry is not one. */
export function parseIsoDate(s: string): number {
  const m = ISO_DATE.exec(s);
  if (!m) return NaN;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return NaN;
  const ms = Date.UTC(y, mo - 1, d, Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  const back = new Date(ms);
  if (back.getUTCDate() !== d || back.getUTCMonth() !== mo - 1) return NaN; // 2024-02-30
  return ms / 86_400_000;
}

/** Whether a text holds nothing but blanks (and a byte order mark). */
function isBlankText(text: string): boolean {
  return text.replace(/^\uFEFF/, '').trim() === '';
}

/** Whether the first byte after a byte order mark that is not ASCII white space is ASCII (then the text is not blank). */
function startsWithText(b: Uint8Array): boolean {
  for (let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0; i < b.length; i++) {
    const c = b[i];
    if (c === 32 || (c >= 9 && c <= 13)) continue;
    return c < 0x80;
  }
  return false;
}

/** A number with a decimal comma (`-3,5e2`), or NaN. */
function parseCommaNumber(s: string): number {
  return s.includes('.') ? NaN : parseNumber(s.replace(',', '.'));
}

// Decimal numbers only: '0x10', '1_000', 'Infinity' or '' are not data values here.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parse one entry as a finite number, or NaN if it is not written as one. */
export function parseNumber(s: string): number {
  if (!NUMBER.test(s)) return NaN;
  const v = Number(s);
  return Number.isFinite(v) ? v : NaN;
}

/**
 * Read a CSV file (or CSV text) into a {@link Table}: the first line holds the column names; a
 * column whose entries all parse as decimal numbers becomes a Float64Array, any other column an
 * array of strings. Quoted fields (with commas, quotes `""` or line breaks inside), a UTF-8 byte order
 * mark and CRLF line ends are handled (see `tokenizeCsv`); blank lines are skipped and fields are trimmed.
 * A path is read through the host's file system (Node or Deno); in a browser pass the text.
 *
 * Refused with a DataError that names `readCsv`, the line (1-based, the header is line 1) and the
 * column: an empty file or one with no data row, a row with too few or too many fields, duplicate
 * or empty header names (unless `duplicateNames: 'rename'`), a missing value (`''`, `NA`, `NaN` by
 * default; unless `missing: 'drop-rows'`), a non-number in a column listed in `numeric`, an unknown
 * name in `columns` / `numeric` / `strings`.
 *
 * @example
 * const t = readCsv('age,race\n19,black\n33,other\n');
 * // t.names is ['age', 'race']; t.columns[0] is Float64Array [19, 33]; t.columns[1] is ['black', 'other']
 */
export function readCsv(pathOrText: string | FileUrl, options: ReadCsvOptions = {}): Table {
  return readCsvWith(pathOrText, options, true);
}

/** readCsv without its fast path: the tokenizer and per-column typing alone (for tests and benchmarks that compare the two). */
export function readCsvGeneral(pathOrText: string | FileUrl, options: ReadCsvOptions = {}): Table {
  return readCsvWith(pathOrText, options, false);
}

function readCsvWith(pathOrText: string | FileUrl, options: ReadCsvOptions, fastPath: boolean): Table {
  const fn = 'readCsv';
  checkOptions(fn, options, OPTIONS);
  const missing = checkChoice(fn, 'missing policy', options.missing ?? 'error', ['error', 'drop-rows'] as const);
  const dupPolicy = checkChoice(fn, 'duplicateNames policy', options.duplicateNames ?? 'error', ['error', 'rename'] as const);
  const sourceMode = checkChoice(fn, 'source', options.source ?? 'auto', ['auto', 'path', 'text'] as const);
  const na = new Set(options.naValues ?? ['', 'NA', 'NaN']);
  const delimiter = options.delimiter ?? ',';
  const decimal = checkChoice(fn, 'decimal mark', options.decimal ?? '.', ['.', ','] as const);
  const datePolicy = checkChoice(fn, 'dates policy', options.dates ?? 'strings', ['strings', 'error', 'numeric'] as const);
  if (decimal === ',' && delimiter === ',') throw new DataError(fn, "a decimal comma needs another field delimiter (e.g. delimiter: ';')");
  const toNumber = decimal === ',' ? parseCommaNumber : parseNumber;
  if (typeof delimiter !== 'string' || delimiter.length === 0) throw new DataError(fn, 'delimiter must be a non-empty string');

  // A file is read as bytes: the fast path parses them directly and only the general path needs
  // the decoded text. Text is given to the fast path as its UTF-8 encoding.
  let text: string | null = null;
  let bytes: Uint8Array | null = null;
  let where: string;
  const url = isFileUrl(pathOrText);
  if (url || sourceMode === 'path' || (sourceMode === 'auto' && !/[\r\n]/.test(String(pathOrText)))) {
    if (!url && (typeof pathOrText !== 'string' || pathOrText.length === 0)) {
      throw new DataError(fn, 'expected a file path or CSV text');
    }
    bytes = readFileBytes(fn, pathOrText);
    where = `'${describePath(pathOrText)}'`;
  } else {
    if (typeof pathOrText !== 'string') throw new DataError(fn, 'expected a file path or CSV text');
    text = pathOrText;
    where = 'the CSV text';
    if (isBlankText(text)) throw new DataError(fn, `${where} is empty`);
  }

  // One pass over the bytes with numbers parsed straight into Float64Arrays (null: the table needs
  // the general path's judgement). A text column it returns may hold dates that the dates policy
  // must see: those go to the general path too.
  const fastOptions = { delimiter, decimal, columns: options.columns, numeric: options.numeric, strings: options.strings, naValues: na, missing };
  const fast = fastPath ? readNumericCsv(bytes ?? text!, fastOptions) : null;
  if (fast && (datePolicy === 'strings' || fast.columns.every((col) => col instanceof Float64Array))) {
    if (bytes !== null && !startsWithText(bytes) && isBlankText(decodeUtf8(bytes))) throw new DataError(fn, `${where} is empty`);
    return fast;
  }
  if (text === null) {
    text = decodeUtf8(bytes!);
    if (isBlankText(text)) throw new DataError(fn, `${where} is empty`);
  }

  const { records, lines: recordLines } = tokenizeCsv(fn, text, delimiter, where);
  const parsed = records.map((record, r) => ({ record, info: { lines: recordLines[r] } }));
  if (parsed.length === 0) throw new DataError(fn, `${where} is empty`);
  const header = parsed[0].record.slice();
  const headerLine = parsed[0].info.lines;
  if (parsed.length === 1) throw new DataError(fn, `${where} has a header but no data rows`);

  // Header names: empty and duplicate names are refused or made unique.
  const seen = new Map<string, number>();
  for (let k = 0; k < header.length; k++) {
    if (header[k] === '') {
      if (dupPolicy === 'error') {
        const trailing = k === header.length - 1 ? ' (a delimiter at the end of the line?)' : '';
        throw new DataError(fn, `column ${k + 1} of the header (line ${headerLine}) has no name${trailing}; use { duplicateNames: 'rename' } to name it V${k + 1}`);
      }
      header[k] = `V${k + 1}`;
    }
  }
  for (let k = 0; k < header.length; k++) {
    const name = header[k];
    if (seen.has(name)) {
      if (dupPolicy === 'error') {
        throw new DataError(fn, `duplicate column name '${name}' (columns ${seen.get(name)! + 1} and ${k + 1}); use { duplicateNames: 'rename' } to make names unique`);
      }
      let s = 1;
      while (header.includes(`${name}.${s}`)) s++;
      header[k] = `${name}.${s}`;
    }
    seen.set(header[k], k);
  }

  const p = header.length;
  const checkNames = (list: readonly string[] | undefined, what: string) => {
    for (const name of list ?? []) {
      if (!header.includes(name)) throw new DataError(fn, `unknown column '${name}' in ${what}; the file has ${header.map((h) => `'${h}'`).join(', ')}`);
    }
  };
  checkNames(options.columns, 'columns');
  checkNames(options.numeric, 'numeric');
  checkNames(options.strings, 'strings');
  const keep = options.columns ? options.columns.map((c) => header.indexOf(c)) : header.map((_, k) => k);
  const numericSet = new Set(options.numeric ?? []);
  const stringSet = new Set(options.strings ?? []);
  for (const name of numericSet) {
    if (stringSet.has(name)) throw new DataError(fn, `column '${name}' is listed in both numeric and strings`);
  }

  // Rows: field count, missing values.
  const rows: string[][] = [];
  const lines: number[] = [];
  const dropped: number[] = [];
  for (let r = 1; r < parsed.length; r++) {
    const { record, info } = parsed[r];
    if (record.length !== p) {
      throw new DataError(fn, `line ${info.lines} of ${where} has ${record.length} fields, the header has ${p} (ragged row)`);
    }
    let bad = -1;
    for (const k of keep) {
      if (na.has(record[k])) {
        bad = k;
        break;
      }
    }
    if (bad >= 0) {
      if (missing === 'error') {
        throw new DataError(fn, `missing value '${record[bad]}' at line ${info.lines} (data row ${r}), column '${header[bad]}'; use { missing: 'drop-rows' } to drop such rows`);
      }
      dropped.push(info.lines);
      continue;
    }
    rows.push(record);
    lines.push(info.lines);
  }
  if (rows.length === 0) throw new DataError(fn, `every data row of ${where} has a missing value`);

  const names: string[] = [];
  const columns: TableColumn[] = [];
  for (const k of keep) {
    const name = header[k];
    names.push(name);
    const strings = rows.map((rec) => rec[k]);
    if (stringSet.has(name)) {
      columns.push(strings);
      continue;
    }
    const values = new Float64Array(rows.length);
    if (datePolicy !== 'strings' && !numericSet.has(name) && ISO_DATE.test(strings[0])) {
      let dates = 0;
      for (let i = 0; i < rows.length; i++) {
        const v = parseIsoDate(strings[i]);
        if (!Number.isNaN(v)) {
          values[i] = v;
          dates++;
        } else if (datePolicy === 'numeric') {
          throw new DataError(fn, `column '${name}' holds dates, but line ${lines[i]} (data row ${i + 1}) has '${strings[i]}', which is not a date`);
        }
      }
      if (datePolicy === 'error' && dates > rows.length / 2) {
        throw new DataError(fn, `column '${name}' holds dates (e.g. '${strings[0]}' at line ${lines[0]}); read them as numbers with { dates: 'numeric' } (days since 1970-01-01) or leave the column out`);
      }
      if (datePolicy === 'numeric') {
        columns.push(values);
        continue;
      }
    }
    let numeric = true;
    for (let i = 0; i < rows.length; i++) {
      const v = toNumber(strings[i]);
      if (Number.isNaN(v)) {
        if (numericSet.has(name)) {
          throw new DataError(fn, `column '${name}' is declared numeric but line ${lines[i]} (data row ${i + 1}) has '${strings[i]}'`);
        }
        numeric = false;
        break;
      }
      values[i] = v;
    }
    columns.push(numeric ? values : strings);
  }
  return { names, columns, nRows: rows.length, droppedLines: dropped };
}
