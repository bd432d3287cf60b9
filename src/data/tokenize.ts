import { DataError } from '../errors.ts';

/** One CSV record and the (1-based) line of the text on which it starts. */
export interface CsvRecords {
  records: string[][];
  lines: number[];
}

const QUOTE = 34;
const CR = 13;
const LF = 10;

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Split CSV text into records (RFC 4180): fields separated by `delimiter`, records by LF or CRLF;
 * a field may be quoted ("…") and then hold delimiters, line breaks and doubled quotes `""`.
 * Blanks around a field are trimmed (inside quotes they are kept), a UTF-8 byte order mark is
 * skipped, and empty lines are skipped. A quote inside an unquoted field, text after a closing quote,
 * or an unclosed quote is refused with a DataError naming the line.
 *
 * Written over char codes on the string itself, with no Buffer, so it runs unchanged in browsers.
 */
export function tokenizeCsv(fn: string, text: string, delimiter: string, where: string): CsvRecords {
  const records: string[][] = [];
  const lines: number[] = [];
  const n = text.length;
  const d0 = delimiter.charCodeAt(0);
  const dLen = delimiter.length;
  const isDelim = dLen === 1 ? (i: number) => text.charCodeAt(i) === d0 : (i: number) => text.startsWith(delimiter, i);
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let record: string[] = [];
  let recordLine = 1;
  let sawQuote = false; // the record has a quoted field (then it is not an empty line)
  while (i <= n) {
    // One field starts at i.
    while (i < n && isBlank(text.charCodeAt(i)) && !isDelim(i)) i++;
    let value: string;
    if (i < n && text.charCodeAt(i) === QUOTE) {
      sawQuote = true;
      const open = line;
      let parts = '';
      let start = ++i;
      for (;;) {
        if (i >= n) throw new DataError(fn, `malformed CSV in ${where} near line ${open}: a quoted field is never closed`);
        const c = text.charCodeAt(i);
        if (c === QUOTE) {
          if (text.charCodeAt(i + 1) === QUOTE) {
            parts += text.slice(start, i + 1);
            i += 2;
            start = i;
            continue;
          }
          parts += text.slice(start, i);
          i++;
          break;
        }
        if (c === LF) line++;
        i++;
      }
      value = parts;
      while (i < n && isBlank(text.charCodeAt(i)) && !isDelim(i)) i++;
      if (i < n && !isDelim(i) && text.charCodeAt(i) !== LF && !(text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF)) {
        throw new DataError(fn, `malformed CSV in ${where} near line ${line}: text after the closing quote of a field`);
      }
    } else {
      const start = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === LF || (c === CR && text.charCodeAt(i + 1) === LF) || isDelim(i)) break;
        if (c === QUOTE) throw new DataError(fn, `malformed CSV in ${where} near line ${line}: a quote inside an unquoted field (quote the whole field)`);
        i++;
      }
      let end = i;
      while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
      value = text.slice(start, end);
    }
    record.push(value);
    if (i < n && isDelim(i)) {
      i += dLen;
      continue;
    }
    // End of record: a line break or the end of the text.
    if (!(record.length === 1 && record[0] === '' && !sawQuote)) {
      records.push(record);
      lines.push(recordLine);
    }
    if (i >= n) break;
    i += text.charCodeAt(i) === CR ? 2 : 1;
    line++;
    record = [];
    recordLine = line;
    sawQuote = false;
  }
  return { records, lines };
}
