import { decimalToDouble } from './decimal.ts';
import type { Table, TableColumn } from './table.ts';
import { tokenizeCsv } from './tokenize.ts';

/** What of readCsv's options the fast path needs to know (already validated by readCsv). */
export interface NumericCsvOptions {
  delimiter: string;
  /** The decimal mark (default '.'). */
  decimal?: '.' | ',';
  columns?: readonly string[];
  numeric?: readonly string[];
  strings?: readonly string[];
  naValues: ReadonlySet<string>;
  /** readCsv's missing-value policy (default 'error': the fast path then declines at a missing value). */
  missing?: 'error' | 'drop-rows';
}

/** Powers of ten that are exact doubles (10^0 … 10^22). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

const enum C {
  Tab = 9, LF = 10, CR = 13, Space = 32, Quote = 34, Plus = 43, Comma = 44, Minus = 45, Dot = 46, Zero = 48, Nine = 57, E = 69, e = 101,
}

const enum Kind { Number = 0, Text = 1, Skip = 2 }

/** Why the fast path gives up: readCsv's general path then reads (and judges) the whole text. */
class Decline {}
const DECLINE = new Decline();

/**
 * The fast path of `readCsv`: one pass over the UTF-8 bytes, numbers parsed from the bytes straight
 * into one Float64Array per column (grown geometrically), no string per numeric field. Text
 * columns (listed in `strings`, or found to hold a non-number) are kept as strings in the same pass;
 * when a column turns out to hold text, only its earlier fields are read again (from the recorded
 * row starts), not the table. Quoted fields are read when they hold no doubled quote and no line
 * break. With `missing: 'drop-rows'` rows with a missing value are dropped here as readCsv does.
 *
 * Returns null whenever the table needs readCsv's own judgement (a quote it does not read, a
 * missing value under the 'error' policy, a ragged row, an empty or duplicate header name, a text
 * field in a column declared `numeric`, a number that overflows, a lone CR, a missing-value marker
 * that is itself a number, an unknown column name): readCsv then takes its general path, which
 * accepts or refuses the input with its own messages. So the fast path never decides anything
 * readCsv would decide differently; it only skips the work.
 *
 * Numbers follow readCsv's grammar `[+-]?(d+.?d*|.d+)([eE][+-]?d+)?` (fields trimmed of spaces
 * and tabs, nothing trimmed inside quotes). A value is m·10^e computed exactly when m < 2^53 and
 * |e| ≤ 22 (one correctly rounded operation on exact operands, Clinger's fast path); with up to 19
 * significant digits otherwise by decimal.ts (a double-double product with an ambiguity test); else,
 * or when that test cannot decide, by `Number` on the field: every way gives the same double as
 * `Number(field)`.
 *
 * A string is read as its UTF-8 encoding (well-formed strings only; others go to the general path).
 */
export function readNumericCsv(input: Uint8Array | string, o: NumericCsvOptions): Table | null {
  const bytes = typeof input === 'string' ? encode(input) : input;
  if (bytes === null) return null;
  try {
    return new NumericScan(bytes, o).run();
  } catch (e) {
    if (e === DECLINE) return null;
    throw e;
  }
}

// InstanceType<typeof …>: under deno check the encoders are declared as values only.
let encoder: InstanceType<typeof TextEncoder> | null = null;
let decoder: InstanceType<typeof TextDecoder> | null = null;

/** The UTF-8 bytes of a string, or null for one with lone surrogates (TextEncoder would replace them). */
function encode(text: string): Uint8Array | null {
  const wf = (text as { isWellFormed?: () => boolean }).isWellFormed;
  if (wf === undefined || !wf.call(text)) return null;
  encoder ??= new TextEncoder();
  // encodeInto a buffer of one byte per character is a copy for ASCII text; otherwise encode sizes it.
  const out = new Uint8Array(text.length);
  const r = encoder.encodeInto(text, out);
  return r.read === text.length ? out.subarray(0, r.written) : encoder.encode(text);
}

/** Text of bytes[s, e): decoded as UTF-8 (as the file reader decodes the whole file). */
function decode(b: Uint8Array, s: number, e: number): string {
  if (e - s <= 64) {
    let ascii = true;
    for (let i = s; i < e; i++) if (b[i] >= 0x80) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, b.subarray(s, e) as unknown as number[]);
  }
  decoder ??= new TextDecoder('utf-8', { ignoreBOM: true });
  return decoder.decode(b.subarray(s, e));
}

function isNumberText(s: string): boolean {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s);
}

/** Entries of the string cache: categorical columns repeat a few levels, decoded once each. */
const CACHE_SIZE = 4096;
const CACHE_MAX_LEN = 32;

class NumericScan {
  private readonly b: Uint8Array;
  private readonly n: number;
  private readonly delim: number;
  private readonly point: number;
  private readonly na: ReadonlySet<string>;
  private readonly dropRows: boolean;
  private readonly o: NumericCsvOptions;
  // The field just scanned by `field`: its value's bytes [fs, fe), and the index of what ended it
  // (the delimiter, the LF or the CR of a CRLF, or n).
  private fs = 0;
  private fe = 0;
  private end = 0;
  private readonly scratch = new Float64Array(1);
  // String cache: slot → entry + 1; an entry is the position and length of its first occurrence.
  private readonly slots = new Int32Array(CACHE_SIZE);
  private readonly cacheAt: number[] = [];
  private readonly cacheLen: number[] = [];
  private readonly cacheStr: string[] = [];
  // The columns being filled (a Float64Array per number column, strings per text column; empty
  // otherwise), each row's start, the lines of dropped rows. Set up by `run`, filled by `rows`.
  private kind = new Uint8Array(0);
  private declared: boolean[] = [];
  private nums: Float64Array[] = [];
  private strs: string[][] = [];
  private rowStart = new Uint32Array(0);
  private cap = 0;
  private nRows = 0;
  private readonly dropped: number[] = [];

  constructor(b: Uint8Array, o: NumericCsvOptions) {
    // A plain Uint8Array view (not a Buffer), so the scanning code sees one kind of array.
    b = new Uint8Array(b.buffer, b.byteOffset, b.length);
    this.b = b;
    this.n = b.length;
    this.o = o;
    this.delim = o.delimiter.charCodeAt(0);
    this.point = o.decimal === ',' ? C.Comma : C.Dot;
    this.na = o.naValues;
    this.dropRows = o.missing === 'drop-rows';
  }

  run(): Table {
    const { b, n, o, delim } = this;
    if (o.delimiter.length !== 1 || n >= 2 ** 32) throw DECLINE;
    // Fields are trimmed of blanks, and a delimiter that can be part of a number would be read as one.
    if (delim >= 0x80 || delim === C.Space || delim === C.Tab || delim === C.Quote || delim === C.CR || delim === C.LF) throw DECLINE;
    if ((delim >= C.Zero && delim <= C.Nine) || delim === C.Plus || delim === C.Minus || delim === C.Dot || delim === C.E || delim === C.e || delim === this.point) throw DECLINE;
    for (const v of this.na) {
      const t = o.decimal === ',' ? (v.includes('.') ? '' : v.trim().replace(',', '.')) : v.trim();
      if (isNumberText(t)) throw DECLINE; // a numeric missing marker ('-999'): the general path checks every field
    }
    let pos = n >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0; // UTF-8 byte order mark
    let line = 1;
    // Header: the first line that is not blank, split by the general tokenizer itself.
    let header: string[] | null = null;
    while (pos < n && header === null) {
      let eol = b.indexOf(C.LF, pos);
      if (eol < 0) eol = n;
      const stop = eol < n && eol > pos && b[eol - 1] === C.CR ? eol - 1 : eol;
      let records: string[][];
      try {
        records = tokenizeCsv('readCsv', decode(b, pos, stop), o.delimiter, 'the header').records;
      } catch {
        throw DECLINE; // a quoted name with a line break inside, or malformed: the general path's call
      }
      if (records.length > 0) header = records[0];
      pos = eol + 1;
      line++;
    }
    if (header === null) throw DECLINE;
    const p = header.length;
    const seen = new Set<string>();
    for (const h of header) {
      if (h === '' || seen.has(h)) throw DECLINE;
      seen.add(h);
    }
    for (const name of [...(o.columns ?? []), ...(o.numeric ?? []), ...(o.strings ?? [])]) if (!seen.has(name)) throw DECLINE;
    const keep = o.columns ? o.columns.map((c) => header!.indexOf(c)) : header.map((_, k) => k);
    const numericSet = new Set(o.numeric ?? []);
    const kind = new Uint8Array(p).fill(Kind.Skip);
    for (const k of keep) kind[k] = Kind.Number;
    for (const name of o.strings ?? []) {
      if (numericSet.has(name)) throw DECLINE; // listed in both: readCsv's error
      const k = header.indexOf(name);
      if (kind[k] !== Kind.Skip) kind[k] = Kind.Text; // a column left out is never looked at
    }

    // Capacity from the mean length of the first data lines, grown by doubling.
    let cap = 16;
    if (pos < n) {
      let eol = pos - 1;
      let lines = 0;
      while (lines < 64 && eol + 1 < n) {
        const next = b.indexOf(C.LF, eol + 1);
        eol = next < 0 ? n : next;
        lines++;
      }
      // A row holds at least p one-byte fields and p separators (blank lines say nothing).
      const mean = Math.max(2 * p, (eol - pos + 1) / lines);
      cap = Math.ceil(((n - pos) / mean) * 1.03) + 16;
    }
    this.cap = cap;
    this.kind = kind;
    this.declared = header.map((h) => numericSet.has(h));
    this.nums = Array.from({ length: p }, (_, k) => new Float64Array(kind[k] === Kind.Number ? cap : 0));
    // Preallocated arrays take the strings faster than growing ones (filled so that every one has
    // the same elements kind from the start).
    this.strs = Array.from({ length: p }, (_, k) => (kind[k] === Kind.Text ? new Array<string>(cap).fill('') : []));
    this.rowStart = new Uint32Array(cap);
    this.nRows = this.rows(pos, line);
    const { nRows, nums, strs, dropped } = this;
    if (nRows === 0) throw DECLINE; // no data row, or every row dropped: readCsv's messages
    const given = new Set<number>(); // a column asked for twice comes out as two arrays, as from the general path
    const columns: TableColumn[] = keep.map((k) => {
      const again = given.has(k);
      given.add(k);
      if (kind[k] === Kind.Text) {
        strs[k].length = nRows;
        return again ? strs[k].slice() : strs[k];
      }
      // A view when the estimate was close (no copy of the whole column), else a copy that frees the rest.
      const a = nums[k];
      if (again) return a.slice(0, nRows);
      return a.length === nRows ? a : a.length - nRows <= (nRows >> 4) + 16 ? a.subarray(0, nRows) : a.slice(0, nRows);
    });
    return { names: keep.map((k) => header![k]), columns, nRows, droppedLines: dropped };
  }


  /**
   * The data rows from pos (on line `line`) into the columns; returns their count. Declines on
   * anything readCsv must judge. Nothing is stored after the loop (a grown array is stored when it
   * grows): code after a loop this hot is compiled before it has ever run, and a store there would
   * throw the optimized loop away at the end of every table.
   */
  private rows(pos: number, line: number): number {
    const { b, n, delim, kind, declared } = this;
    const p = kind.length;
    const last = p - 1;
    let { nums, strs, rowStart, cap, nRows } = this;
    while (pos < n) {
      // A blank line (nothing but spaces and tabs) is skipped, as the tokenizer skips it.
      let i = pos;
      while (i < n && (b[i] === C.Space || b[i] === C.Tab)) i++;
      if (i >= n) break;
      if (b[i] === C.LF || (b[i] === C.CR && i + 1 < n && b[i + 1] === C.LF)) {
        pos = b[i] === C.CR ? i + 2 : i + 1;
        line++;
        continue;
      }
      if (nRows === cap) {
        cap *= 2;
        nums = nums.map((a) => grow(a, a.length === 0 ? 0 : cap));
        strs = strs.map((a) => (a.length === 0 ? a : ((a.length = cap), a)));
        const r = new Uint32Array(cap);
        r.set(rowStart);
        rowStart = r;
        this.nums = nums;
        this.strs = strs;
        this.rowStart = rowStart;
        this.cap = cap;
      }
      rowStart[nRows] = pos;
      let missingAt = -1; // a kept column whose field is missing: the row is dropped
      for (let k = 0; k < p; k++) {
        const kd = kind[k];
        let done = false;
        if (kd === Kind.Number) {
          // Unquoted number: blanks, the number, blanks, then what ends the field.
          let s = pos;
          while (s < n && (b[s] === C.Space || b[s] === C.Tab)) s++;
          const col = nums[k];
          let t = this.number(s, n, col, nRows);
          if (t === -2) throw DECLINE; // overflow ('1e999'): readCsv's rules decide
          if (t >= 0) {
            while (t < n && (b[t] === C.Space || b[t] === C.Tab)) t++;
            const c = t < n ? b[t] : C.LF;
            if (c === delim || c === C.LF || (c === C.CR && t + 1 < n && b[t + 1] === C.LF)) {
              this.end = t;
              done = true;
            }
          }
        }
        if (!done) {
          this.field(pos);
          if (kd !== Kind.Skip) {
            let v = NaN;
            if (kd === Kind.Number) {
              // A quoted number ("1.5"), or text.
              const e = this.fe > this.fs ? this.number(this.fs, this.fe, this.scratch, 0) : -1;
              if (e === -2) throw DECLINE;
              if (e === this.fe) v = this.scratch[0];
            }
            if (v === v) {
              nums[k][nRows] = v;
            } else {
              const s = this.text();
              if (this.na.has(s)) {
                if (!this.dropRows) throw DECLINE;
                missingAt = k;
              } else if (kd === Kind.Number) {
                // Column k holds text unless this row is dropped for a missing value further on.
                const end = this.end;
                if (this.restMissing(end, k, kind)) {
                  missingAt = k;
                } else {
                  if (declared[k]) throw DECLINE; // readCsv words that error
                  kind[k] = Kind.Text;
                  strs[k] = this.columnText(rowStart, nRows, k, cap);
                  nums[k] = new Float64Array(0);
                  strs[k][nRows] = s;
                }
                this.end = end;
              } else {
                strs[k][nRows] = s;
              }
            }
          }
        }
        // What ended the field must be a delimiter between fields and a line end after the last.
        const t = this.end;
        if (t < n && b[t] === delim) {
          if (k === last) throw DECLINE; // too many fields
          pos = t + 1;
        } else {
          if (k !== last) throw DECLINE; // too few fields
          pos = t >= n ? n : b[t] === C.CR ? t + 2 : t + 1;
        }
        if (missingAt >= 0 && k < last) {
          this.skipFields(pos, last - k); // the rest of a dropped row: only its field count matters
          pos = this.end >= n ? n : b[this.end] === C.CR ? this.end + 2 : this.end + 1;
          break;
        }
      }
      if (missingAt >= 0) this.dropped.push(line);
      else nRows++;
      line++;
    }
    return nRows;
  }

  /**
   * The number written in bytes [i, lim) from i on (the longest prefix in readCsv's grammar),
   * stored in out[at]; returns where it ends, -1 when no number starts at i, -2 when it overflows
   * to ±Infinity. (The value goes into an array rather than being returned: a double returned
   * from a call that is not inlined is boxed.)
   */
  private number(i: number, lim: number, out: Float64Array, at: number): number {
    const b = this.b;
    const point = this.point;
    const start = i;
    let neg = false;
    let c = i < lim ? b[i] : 0;
    if (c === C.Plus || c === C.Minus) {
      neg = c === C.Minus;
      i++;
      c = i < lim ? b[i] : 0;
    }
    // Significant digits: the first 15 into m (exact: m < 10^14 before each step), the next 4 into
    // m2 (k2 of them); past 19, a nonzero digit makes the field inexact here (Number parses it).
    let m = 0;
    let m2 = 0;
    let k2 = 0;
    let exp10 = 0;
    let exact = true;
    const intStart = i;
    while (c >= C.Zero && c <= C.Nine && m < 1e14) {
      m = m * 10 + (c - C.Zero);
      i++;
      c = i < lim ? b[i] : 0;
    }
    while (c >= C.Zero && c <= C.Nine) {
      const d = c - C.Zero;
      if (k2 < 4) {
        m2 = m2 * 10 + d;
        k2++;
      } else {
        exp10++;
        if (d !== 0) exact = false;
      }
      i++;
      c = i < lim ? b[i] : 0;
    }
    let digits = i - intStart;
    if (c === point) {
      i++;
      c = i < lim ? b[i] : 0;
      const fracStart = i;
      if (k2 === 0) {
        while (c >= C.Zero && c <= C.Nine && m < 1e14) {
          m = m * 10 + (c - C.Zero);
          i++;
          c = i < lim ? b[i] : 0;
        }
        exp10 -= i - fracStart;
      }
      while (c >= C.Zero && c <= C.Nine) {
        const d = c - C.Zero;
        if (k2 < 4) {
          m2 = m2 * 10 + d;
          k2++;
          exp10--;
        } else if (d !== 0) exact = false;
        i++;
        c = i < lim ? b[i] : 0;
      }
      digits += i - fracStart;
    }
    if (digits === 0) return -1;
    if (c === C.E || c === C.e) {
      i++;
      c = i < lim ? b[i] : 0;
      let eneg = false;
      if (c === C.Plus || c === C.Minus) {
        eneg = c === C.Minus;
        i++;
        c = i < lim ? b[i] : 0;
      }
      let ev = 0;
      let ed = 0;
      while (c >= C.Zero && c <= C.Nine) {
        if (ev < 1e6) ev = ev * 10 + (c - C.Zero);
        ed++;
        i++;
        c = i < lim ? b[i] : 0;
      }
      if (ed === 0) return -1; // '1e' is no number (and '1e5x' ends up text as a whole)
      exp10 += eneg ? -ev : ev;
    }
    // m·10^exp10, or (m·10^k2 + m2)·10^exp10; within Clinger's bounds the value is finite.
    let v = 0;
    let done = exact;
    if (exact) {
      if (k2 > 0) {
        const big = m * POW10[k2] + m2; // exact while below 2^53
        if (big < 2 ** 53) {
          m = big;
          k2 = 0;
        }
      }
      if (k2 > 0) done = decimalToDouble(m, m2, k2, exp10, out, at) && ((v = out[at]), true);
      else if (exp10 === 0) v = m;
      else if (exp10 > 0 && exp10 <= 22) v = m * POW10[exp10];
      else if (exp10 < 0 && exp10 >= -22) v = m / POW10[-exp10];
      else if (m === 0) v = 0;
      else done = decimalToDouble(m, 0, 0, exp10, out, at) && ((v = out[at]), true);
    }
    if (done) {
      out[at] = neg ? -v : v;
      return i;
    }
    // Not decided above (more than 19 digits, out of range, or too close to a midpoint).
    let s = decode(b, start, i);
    if (point === C.Comma) s = s.replace(',', '.');
    const w = Number(s);
    out[at] = w;
    if (w - w !== 0) return -2; // overflow ('1e999')
    return i;
  }

  /**
   * One field from pos: its value's bytes in [fs, fe) (trimmed of blanks unless quoted) and what
   * ended it in `end`. Declines on what the general tokenizer refuses or reads across lines: a
   * quote inside an unquoted field, text after a closing quote, a doubled quote or a line break
   * inside quotes, a lone CR.
   */
  private field(pos: number): void {
    const { b, n, delim } = this;
    let i = pos;
    while (i < n && (b[i] === C.Space || b[i] === C.Tab)) i++;
    if (i < n && b[i] === C.Quote) {
      const s = i + 1;
      let j = s;
      while (j < n && b[j] !== C.Quote && b[j] !== C.LF && b[j] !== C.CR) j++;
      if (j >= n || b[j] !== C.Quote || (j + 1 < n && b[j + 1] === C.Quote)) throw DECLINE;
      this.fs = s;
      this.fe = j;
      i = j + 1;
      while (i < n && (b[i] === C.Space || b[i] === C.Tab)) i++;
      if (i < n && b[i] !== delim && b[i] !== C.LF && !(b[i] === C.CR && i + 1 < n && b[i + 1] === C.LF)) throw DECLINE;
      this.end = i;
      return;
    }
    const s = i;
    let c = 0;
    while (i < n && (c = b[i]) !== delim && c !== C.LF) {
      if (c === C.Quote) throw DECLINE;
      if (c === C.CR) {
        if (i + 1 < n && b[i + 1] === C.LF) break;
        throw DECLINE;
      }
      i++;
    }
    let e = i;
    while (e > s && (b[e - 1] === C.Space || b[e - 1] === C.Tab)) e--;
    this.fs = s;
    this.fe = e;
    this.end = i;
  }

  /** The text of the field just scanned, decoded once per distinct short value. */
  private text(): string {
    const { b, fs, fe } = this;
    const len = fe - fs;
    if (len > CACHE_MAX_LEN) return decode(b, fs, fe);
    let h = 0x811c9dc5;
    for (let i = fs; i < fe; i++) h = Math.imul(h ^ b[i], 16777619);
    const slot = (h ^ (h >>> 15)) & (CACHE_SIZE - 1);
    const at = this.slots[slot] - 1;
    if (at >= 0) {
      if (this.cacheLen[at] === len) {
        const q = this.cacheAt[at];
        let same = true;
        for (let i = 0; i < len; i++) {
          if (b[q + i] !== b[fs + i]) {
            same = false;
            break;
          }
        }
        if (same) return this.cacheStr[at];
      }
      return decode(b, fs, fe); // a collision: this value is not cached
    }
    const s = decode(b, fs, fe);
    this.slots[slot] = this.cacheStr.length + 1;
    this.cacheAt.push(fs);
    this.cacheLen.push(len);
    this.cacheStr.push(s);
    return s;
  }

  /** Whether a kept field after field k (the field just scanned ended at `end`) is missing; the row must then be dropped. */
  private restMissing(end: number, k: number, kind: Uint8Array): boolean {
    const { b, n } = this;
    let t = end;
    for (let j = k + 1; j < kind.length; j++) {
      if (t >= n || b[t] !== this.delim) return false; // too few fields: the caller declines
      this.field(t + 1);
      t = this.end;
      if (kind[j] !== Kind.Skip && this.na.has(this.text())) {
        if (!this.dropRows) throw DECLINE;
        return true;
      }
    }
    return false;
  }

  /** Skip `count` fields from pos (each after a delimiter but the first), ending at the line end; declines on a wrong count. */
  private skipFields(pos: number, count: number): void {
    const { b, n } = this;
    for (let j = 0; j < count; j++) {
      this.field(pos);
      const t = this.end;
      if (j < count - 1) {
        if (t >= n || b[t] !== this.delim) throw DECLINE;
        pos = t + 1;
      }
    }
    if (this.end < n && b[this.end] === this.delim) throw DECLINE;
  }

  /** Column k of the rows read so far, as text: read again from each row's start. */
  private columnText(rowStart: Uint32Array, nRows: number, k: number, cap: number): string[] {
    const out = new Array<string>(cap).fill('');
    for (let r = 0; r < nRows; r++) {
      let pos = rowStart[r];
      for (let j = 0; j < k; j++) {
        this.field(pos);
        pos = this.end + 1;
      }
      this.field(pos);
      out[r] = this.text();
    }
    return out;
  }
}

function grow(a: Float64Array, cap: number): Float64Array {
  const g = new Float64Array(cap);
  g.set(a);
  return g;
}
