import { decimalToDouble } from './decimal.ts';
import type { Table } from './table.ts';

/** What of readCsv's options the fast path needs to know (already validated by readCsv). */
export interface NumericCsvOptions {
  delimiter: string;
  columns?: readonly string[];
  numeric?: readonly string[];
  strings?: readonly string[];
  naValues: ReadonlySet<string>;
}

/** Powers of ten that are exact doubles (10^0 … 10^22). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

const enum C {
  Tab = 9, LF = 10, CR = 13, Space = 32, Plus = 43, Minus = 45, Dot = 46, Zero = 48, Nine = 57, E = 69, e = 101,
}

/**
 * The fast path of `readCsv` for tables without quotes: one pass over the text, numbers straight
 * into one Float64Array per column with no per-field strings; a column that turns out to hold text
 * (or is listed in `strings`) is read again as trimmed strings (one more pass per such column, so
 * a few categorical columns cost little). Returns null whenever the table needs readCsv's own
 * judgement (a quote anywhere, a missing value, a ragged row, an empty or duplicate header name,
 * a text field in a column declared `numeric`, a missing-value marker that is itself a number, an
 * unknown column name), and readCsv then takes its general path, which accepts or refuses the
 * input with its own messages. So the fast path never decides anything readCsv would decide
 * differently; it only skips the work.
 *
 * Numbers follow readCsv's grammar `[+-]?(d+.?d*|.d+)([eE][+-]?d+)?` (fields trimmed of spaces
 * and tabs). A value is m·10^e computed exactly when m < 2^53 and |e| ≤ 22 (one correctly rounded
 * operation on exact operands, Clinger's fast path); with up to 19 significant digits otherwise by
 * decimal.ts (a double-double product with an ambiguity test); else, or when that test cannot
 * decide, by `Number` on the field: every way gives the same double as `Number(field)`.
 */
export function readNumericCsv(text: string, o: NumericCsvOptions): Table | null {
  if (o.delimiter.length !== 1 || text.indexOf('"') >= 0) return null;
  for (const v of o.naValues) if (v.trim() !== '' && Number.isFinite(numberOrNaN(v.trim()))) return null;
  const delim = o.delimiter.charCodeAt(0);
  if (delim === C.Space || delim === C.Tab) return null; // fields are trimmed: blanks cannot delimit here
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const len = text.length;
  // Header: the first non-blank line.
  let header: string[] | null = null;
  while (pos < len && header === null) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    const line = text.slice(pos, end).replace(/\r$/, '');
    pos = end + 1;
    if (line.trim() === '') continue;
    header = line.split(o.delimiter).map((h) => h.trim());
  }
  if (header === null) return null;
  const p = header.length;
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '' || seen.has(h)) return null;
    seen.add(h);
  }
  const keep = o.columns ? o.columns.map((c) => header!.indexOf(c)) : header.map((_, k) => k);
  if (keep.some((k) => k < 0) || (o.numeric ?? []).some((c) => !seen.has(c))) return null; // readCsv names the unknown column
  // Rows: at most one per remaining line break (+1 for a last line without one).
  let cap = 1;
  for (let k = text.indexOf('\n', pos); k >= 0; k = text.indexOf('\n', k + 1)) cap++;
  // Columns of text (listed in `strings`, or found to hold a non-number): a restart per such column.
  const isText = new Uint8Array(p);
  for (const name of o.strings ?? []) {
    const k = header.indexOf(name);
    if (k < 0) return null;
    isText[k] = 1;
  }
  const numericSet = new Set(o.numeric ?? []);
  for (;;) {
    const r = scanRows(text, pos, header, isText, cap, delim, o.naValues);
    if (r === null) return null;
    if (typeof r === 'number') {
      // Column r holds text: fine unless it is declared numeric (readCsv words that error).
      if (isText[r] || numericSet.has(header[r])) return null;
      isText[r] = 1;
      continue;
    }
    if (r.nRows === 0) return null;
    return {
      names: keep.map((k) => header![k]),
      columns: keep.map((k) => (isText[k] ? r.text[k]! : (r.num[k] as Float64Array).slice(0, r.nRows))),
      nRows: r.nRows,
      droppedLines: [],
    };
  }
}

/**
 * One pass over the data rows from `pos`: numbers into Float64Arrays, trimmed fields of text
 * columns into string arrays. Returns the index of a column whose field is not a number (so the
 * caller restarts with it as text), or null when the fast path declines.
 */
function scanRows(
  text: string, pos: number, header: string[], isText: Uint8Array, cap: number, delim: number, na: ReadonlySet<string>,
): { num: (Float64Array | null)[]; text: (string[] | null)[]; nRows: number } | number | null {
  const len = text.length;
  const p = header.length;
  const cols = Array.from({ length: p }, (_, k) => (isText[k] ? null : new Float64Array(cap)));
  const strs = Array.from({ length: p }, (_, k) => (isText[k] ? new Array<string>() : null));
  let nRows = 0;
  while (pos < len) {
    // Skip empty lines (a line of blanks is left to the general path: it may be a missing value).
    let q = pos;
    while (q < len && text.charCodeAt(q) === C.CR) q++;
    if (q >= len) break;
    if (text.charCodeAt(q) === C.LF) {
      pos = q + 1;
      continue;
    }
    for (let k = 0; k < p; k++) {
      const last = k === p - 1;
      if (isText[k]) {
        let i = pos;
        while (i < len) {
          const c = text.charCodeAt(i);
          if (c === C.LF || (!last && c === delim)) break;
          if (last && c === delim) return null; // a ragged row
          i++;
        }
        if (!last && (i >= len || text.charCodeAt(i) === C.LF)) return null; // too few fields
        const f = text.slice(pos, i).trim();
        if (na.has(f)) return null; // missing: readCsv's policy decides
        strs[k]!.push(f);
        pos = i + 1;
        continue;
      }
      // One field: optional blanks, a number, optional blanks, then the delimiter or the line end.
      let i = pos;
      while (i < len && (text.charCodeAt(i) === C.Space || text.charCodeAt(i) === C.Tab)) i++;
      const start = i;
      let neg = false;
      let c = text.charCodeAt(i);
      if (c === C.Plus || c === C.Minus) {
        neg = c === C.Minus;
        c = text.charCodeAt(++i);
      }
      // Significant digits: the first 15 into m (exact), the next 4 into m2 (k2 of them); past
      // 19, a nonzero digit makes the field inexact here (Number parses it).
      let m = 0;
      let m2 = 0;
      let nd = 0;
      let k2 = 0;
      let intDigits = 0;
      let exp10 = 0;
      let exact = true;
      while (c >= C.Zero && c <= C.Nine) {
        const d = c - C.Zero;
        if (nd < 15) {
          m = m * 10 + d;
          if (m > 0) nd++; // leading zeros are not significant
        } else if (nd < 19) {
          m2 = m2 * 10 + d;
          nd++;
          k2++;
        } else {
          exp10++;
          if (d !== 0) exact = false;
        }
        intDigits++;
        c = text.charCodeAt(++i);
      }
      let fracDigits = 0;
      if (c === C.Dot) {
        c = text.charCodeAt(++i);
        while (c >= C.Zero && c <= C.Nine) {
          const d = c - C.Zero;
          if (nd < 15) {
            m = m * 10 + d;
            if (m > 0) nd++;
            exp10--;
          } else if (nd < 19) {
            m2 = m2 * 10 + d;
            nd++;
            k2++;
            exp10--;
          } else if (d !== 0) exact = false;
          fracDigits++;
          c = text.charCodeAt(++i);
        }
      }
      if (intDigits + fracDigits === 0) return notANumber(text, start, k, len, delim, last, na);
      if (c === C.E || c === C.e) {
        c = text.charCodeAt(++i);
        let eneg = false;
        if (c === C.Plus || c === C.Minus) {
          eneg = c === C.Minus;
          c = text.charCodeAt(++i);
        }
        let ev = 0;
        let ed = 0;
        while (c >= C.Zero && c <= C.Nine) {
          if (ev < 1e6) ev = ev * 10 + (c - C.Zero);
          ed++;
          c = text.charCodeAt(++i);
        }
        if (ed === 0) return notANumber(text, start, k, len, delim, last, na);
        exp10 += eneg ? -ev : ev;
      }
      const end = i;
      while (i < len && (text.charCodeAt(i) === C.Space || text.charCodeAt(i) === C.Tab || text.charCodeAt(i) === C.CR)) i++;
      const next = i < len ? text.charCodeAt(i) : C.LF;
      if (last ? next !== C.LF : next !== delim) {
        // Not a number ('12abc'), or a ragged row (a delimiter where the line should end).
        if (next !== C.LF && next !== delim) return notANumber(text, start, k, len, delim, last, na);
        return null;
      }
      let v = NaN;
      if (exact) {
        if (k2 > 0) {
          const big = m * POW10[k2] + m2; // exact while below 2^53
          if (big < 2 ** 53) {
            m = big;
            k2 = 0;
          }
        }
        if (k2 > 0) v = decimalToDouble(m, m2, k2, exp10);
        else if (exp10 === 0) v = m;
        else if (exp10 > 0 && exp10 <= 22) v = m * POW10[exp10];
        else if (exp10 < 0 && exp10 >= -22) v = m / POW10[-exp10];
        else if (m === 0) v = 0;
        else v = decimalToDouble(m, 0, 0, exp10);
      }
      // Not decided above (more than 19 digits, out of range, or too close to a midpoint).
      if (v !== v) v = Number(text.slice(neg || text.charCodeAt(start) === C.Plus ? start + 1 : start, end));
      if (!Number.isFinite(v)) return null; // overflow ('1e999'): readCsv's rules decide
      cols[k]![nRows] = neg ? -v : v;
      pos = i + 1;
    }
    nRows++;
  }
  return { num: cols, text: strs, nRows };
}

/** A field that is not a number: missing (decline) or text (the column restarts as text). */
function notANumber(text: string, start: number, k: number, len: number, delim: number, last: boolean, na: ReadonlySet<string>): number | null {
  let i = start;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === C.LF || c === delim) break;
    i++;
  }
  void last;
  return na.has(text.slice(start, i).trim()) ? null : k;
}

function numberOrNaN(s: string): number {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
}
