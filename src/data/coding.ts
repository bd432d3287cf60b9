/**
 * The fitted coding of a design as plain JSON: what each column spec learned from the training
 * table (levels and reference, polynomial recurrence, spline knots) and the transforms, enough to
 * map any new table to the same design columns. Training rows and new rows go through the same
 * `encodeColumns`, so a design rebuilt from its JSON reproduces the training matrix exactly.
 */
import { DataError, ValueError } from '../errors.ts';
import { polyPredict, rawPoly, splinePredict, type PolyCoefs, type SplineBasis } from './basis.ts';
import { columnIndex, isNumericColumn, type Table, type TableColumn } from './table.ts';

/** A categorical variable's learned coding. */
export interface CategoricalState {
  column: string;
  /** Merged raw values: [raw value, level] pairs (from a `levels` record), if any. */
  merge?: [string, string][];
  /** Non-reference levels, in dummy-column order. */
  levels: string[];
  reference: string;
  /** A level not seen at fit time: 'error', or 'zero' (coded like the reference). */
  unseen: 'error' | 'zero';
}

/** One side of an interaction: a numeric column, or a categorical coding. */
export type InteractionSide = { kind: 'numeric'; column: string } | { kind: 'categorical'; coding: CategoricalState };

/** What one column spec produces, fitted (JSON-ready: numbers and strings only). */
export type EncoderState =
  | { type: 'numeric'; column: string }
  | { type: 'categorical'; coding: CategoricalState }
  | { type: 'rawpoly'; column: string; degree: number }
  | { type: 'poly'; column: string; degree: number; alpha: number[]; norm2: number[] }
  | {
    type: 'bs' | 'ns'; column: string; degree: number; knots: number[]; boundary: [number, number]; allKnots: number[];
    constraintQR?: { n: number; p: number; qr: number[]; qraux: number[] };
  }
  | { type: 'interaction'; sides: [InteractionSide, InteractionSide] };

function asStrings(c: TableColumn): string[] {
  return isNumericColumn(c) ? Array.from(c, (v) => String(v)) : c;
}

/** A numeric column of a table (a DataError naming the row of the first non-number). */
export function numericOf(table: Table, name: string, fn: string, role: string): Float64Array {
  const c = table.columns[columnIndex(table, name, fn)];
  if (!isNumericColumn(c)) {
    const bad = c.findIndex((s) => !Number.isFinite(Number(s)) || s.trim() === '');
    const what = bad < 0 ? 'holds numbers read as text' : `row ${bad + 1} has '${c[bad]}'`;
    throw new DataError(fn, `${role} column '${name}' is not numeric (${what}); ${role === 'target' ? 'the target must be numeric' : 'use a categorical spec'}`);
  }
  for (let i = 0; i < c.length; i++) {
    if (!Number.isFinite(c[i])) throw new DataError(fn, `${role} column '${name}' has a non-finite value (${c[i]}) at row ${i + 1}`);
  }
  return c;
}

/** Level index per row (−1 = reference, or an unseen level coded as zero). */
export function categoricalCodes(c: CategoricalState, table: Table, fn: string): Int32Array {
  const raw = asStrings(table.columns[columnIndex(table, c.column, fn)]);
  const merge = c.merge ? new Map(c.merge) : undefined;
  const pos = new Map(c.levels.map((l, k) => [l, k]));
  const codes = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const lev = merge?.get(raw[i]) ?? raw[i];
    const k = pos.get(lev);
    if (k !== undefined) codes[i] = k;
    else if (lev === c.reference || c.unseen === 'zero') codes[i] = -1;
    else {
      throw new DataError(fn, `column '${c.column}' has level '${raw[i]}' at row ${i + 1} that was not seen when the design was built (levels ${[c.reference, ...c.levels].map((l) => `'${l}'`).join(', ')}); use { unseen: 'zero' } in its spec to code it like the reference`);
    }
  }
  return codes;
}

function dummies(codes: Int32Array, k: number): Float64Array[] {
  const out = Array.from({ length: k }, () => new Float64Array(codes.length));
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) out[codes[i]][i] = 1;
  return out;
}

function sideColumns(s: InteractionSide, t: Table, fn: string): Float64Array[] {
  return s.kind === 'numeric' ? [numericOf(t, s.column, fn, 'interaction')] : dummies(categoricalCodes(s.coding, t, fn), s.coding.levels.length);
}

/** A spec's design columns: dense columns, or a categorical's dummies as level codes (−1: the reference). */
export type EncodedBlock = { dense: Float64Array[] } | { codes: Int32Array; levels: number };

/**
 * {@link encodeColumns}, with a categorical's dummies left as its codes: a CSC design takes them
 * as they are (one entry per row), where n × (levels − 1) dense columns of a wide categorical
 * cost seconds and gigabytes to write and then to scan for nonzeros.
 */
export function encodeBlock(s: EncoderState, t: Table, fn: string): EncodedBlock {
  if (s.type === 'categorical') return { codes: categoricalCodes(s.coding, t, fn), levels: s.coding.levels.length };
  return { dense: encodeColumns(s, t, fn) };
}

/** The dense columns of a block (what {@link encodeColumns} gives). */
export function blockColumns(b: EncodedBlock): Float64Array[] {
  return 'dense' in b ? b.dense : dummies(b.codes, b.levels);
}

/** The design columns one fitted spec gives on a table. */
export function encodeColumns(s: EncoderState, t: Table, fn: string): Float64Array[] {
  switch (s.type) {
    case 'numeric':
      return [numericOf(t, s.column, fn, 'numeric').slice()];
    case 'categorical':
      return dummies(categoricalCodes(s.coding, t, fn), s.coding.levels.length);
    case 'rawpoly':
      return rawPoly(numericOf(t, s.column, fn, 'polynomial'), s.degree);
    case 'poly': {
      const coefs: PolyCoefs = { degree: s.degree, alpha: Float64Array.from(s.alpha), norm2: Float64Array.from(s.norm2) };
      return polyPredict(numericOf(t, s.column, fn, 'polynomial'), coefs);
    }
    case 'bs':
    case 'ns': {
      const q = s.constraintQR;
      const spline: SplineBasis = {
        kind: s.type, degree: s.degree, knots: Float64Array.from(s.knots), boundary: s.boundary, allKnots: Float64Array.from(s.allKnots),
        ...(q ? { constraintQR: { n: q.n, p: q.p, qr: Float64Array.from(q.qr), qraux: Float64Array.from(q.qraux) } } : {}),
      };
      return splinePredict(numericOf(t, s.column, fn, 'spline'), spline);
    }
    case 'interaction': {
      const ca = sideColumns(s.sides[0], t, fn);
      const cb = sideColumns(s.sides[1], t, fn);
      const out: Float64Array[] = [];
      for (const u of ca) for (const v of cb) out.push(u.map((x, i) => x * v[i]));
      return out;
    }
  }
}

/** Number of design columns a fitted spec gives. */
export function encodedWidth(s: EncoderState): number {
  switch (s.type) {
    case 'numeric': return 1;
    case 'categorical': return s.coding.levels.length;
    case 'rawpoly': case 'poly': return s.degree;
    case 'bs': return s.allKnots.length - (s.degree + 1) - 1;
    case 'ns': return s.allKnots.length - 4 - 3;
    case 'interaction': {
      const w = (x: InteractionSide) => (x.kind === 'numeric' ? 1 : x.coding.levels.length);
      return w(s.sides[0]) * w(s.sides[1]);
    }
  }
}

/** Table columns a fitted spec reads. */
export function encoderSources(s: EncoderState): string[] {
  if (s.type === 'categorical') return [s.coding.column];
  if (s.type === 'interaction') return s.sides.map((x) => (x.kind === 'numeric' ? x.column : x.coding.column));
  return [s.column];
}

// ---------------------------------------------------------------------------------------------
// Validation of a coding read from JSON: every field checked, so that a hand-edited or truncated
// file is refused with the field named instead of giving wrong columns.

function bad(fn: string, where: string, what: string): never {
  throw new ValueError(fn, `${where}: ${what}`);
}

function str(fn: string, where: string, v: unknown): string {
  if (typeof v !== 'string') bad(fn, where, `expected a string, got ${v === null ? 'null' : typeof v}`);
  return v;
}

function nums(fn: string, where: string, v: unknown, length?: number): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) bad(fn, where, 'expected an array of finite numbers');
  if (length !== undefined && v.length !== length) bad(fn, where, `expected ${length} numbers, got ${v.length}`);
  return v as number[];
}

function whole(fn: string, where: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) bad(fn, where, `expected a whole number ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function checkCategorical(fn: string, where: string, v: unknown): CategoricalState {
  if (v === null || typeof v !== 'object') bad(fn, where, 'expected a categorical coding object');
  const c = v as Record<string, unknown>;
  const column = str(fn, `${where}.column`, c.column);
  if (!Array.isArray(c.levels) || c.levels.length < 1) bad(fn, `${where}.levels`, 'expected a non-empty array of level names');
  const levels = (c.levels as unknown[]).map((l, k) => str(fn, `${where}.levels[${k}]`, l));
  const reference = str(fn, `${where}.reference`, c.reference);
  if (new Set([reference, ...levels]).size !== levels.length + 1) bad(fn, `${where}.levels`, 'levels repeat (or include the reference)');
  if (c.unseen !== 'error' && c.unseen !== 'zero') bad(fn, `${where}.unseen`, `expected 'error' or 'zero', got ${JSON.stringify(c.unseen)}`);
  let merge: [string, string][] | undefined;
  if (c.merge !== undefined) {
    if (!Array.isArray(c.merge)) bad(fn, `${where}.merge`, 'expected an array of [value, level] pairs');
    merge = (c.merge as unknown[]).map((m, k) => {
      if (!Array.isArray(m) || m.length !== 2) bad(fn, `${where}.merge[${k}]`, 'expected a [value, level] pair');
      return [str(fn, `${where}.merge[${k}][0]`, m[0]), str(fn, `${where}.merge[${k}][1]`, m[1])];
    });
  }
  return { column, levels, reference, unseen: c.unseen, ...(merge ? { merge } : {}) };
}

/** An encoder state read from JSON, checked field by field. */
export function checkEncoderState(fn: string, where: string, v: unknown): EncoderState {
  if (v === null || typeof v !== 'object') bad(fn, where, 'expected an encoder object');
  const s = v as Record<string, unknown>;
  switch (s.type) {
    case 'numeric':
      return { type: 'numeric', column: str(fn, `${where}.column`, s.column) };
    case 'categorical':
      return { type: 'categorical', coding: checkCategorical(fn, `${where}.coding`, s.coding) };
    case 'rawpoly':
      return { type: 'rawpoly', column: str(fn, `${where}.column`, s.column), degree: whole(fn, `${where}.degree`, s.degree, 1) };
    case 'poly': {
      const degree = whole(fn, `${where}.degree`, s.degree, 1);
      return {
        type: 'poly', column: str(fn, `${where}.column`, s.column), degree,
        alpha: nums(fn, `${where}.alpha`, s.alpha, degree), norm2: nums(fn, `${where}.norm2`, s.norm2, degree + 2),
      };
    }
    case 'bs':
    case 'ns': {
      const degree = whole(fn, `${where}.degree`, s.degree, 1);
      const boundary = nums(fn, `${where}.boundary`, s.boundary, 2);
      if (!(boundary[1] > boundary[0])) bad(fn, `${where}.boundary`, 'expected [lower, upper] with lower < upper');
      const allKnots = nums(fn, `${where}.allKnots`, s.allKnots);
      for (let k = 1; k < allKnots.length; k++) if (allKnots[k] < allKnots[k - 1]) bad(fn, `${where}.allKnots`, 'knots must be non-decreasing');
      const knots = nums(fn, `${where}.knots`, s.knots, allKnots.length - 2 * (degree + 1));
      if (s.type === 'ns' && degree !== 3) bad(fn, `${where}.degree`, 'natural splines are cubic (degree 3)');
      let constraintQR: { n: number; p: number; qr: number[]; qraux: number[] } | undefined;
      if (s.type === 'ns') {
        const q = s.constraintQR as Record<string, unknown> | undefined;
        if (q === null || typeof q !== 'object') bad(fn, `${where}.constraintQR`, 'a natural spline needs its constraint QR');
        const n = whole(fn, `${where}.constraintQR.n`, q.n, 1);
        const p = whole(fn, `${where}.constraintQR.p`, q.p, 1);
        if (n !== allKnots.length - 5 || p !== 2) bad(fn, `${where}.constraintQR`, `expected a ${allKnots.length - 5} × 2 factorization`);
        constraintQR = { n, p, qr: nums(fn, `${where}.constraintQR.qr`, q.qr, n * p), qraux: nums(fn, `${where}.constraintQR.qraux`, q.qraux, p) };
      }
      const out: EncoderState = { type: s.type, column: str(fn, `${where}.column`, s.column), degree, knots, boundary: [boundary[0], boundary[1]], allKnots };
      if (constraintQR) out.constraintQR = constraintQR;
      if (encodedWidth(out) < 1) bad(fn, where, 'the knots give no basis column');
      return out;
    }
    case 'interaction': {
      if (!Array.isArray(s.sides) || s.sides.length !== 2) bad(fn, `${where}.sides`, 'expected two sides');
      const side = (x: unknown, k: number): InteractionSide => {
        const w = `${where}.sides[${k}]`;
        const o = x as Record<string, unknown> | null;
        if (o === null || typeof o !== 'object') bad(fn, w, 'expected an object');
        if (o.kind === 'numeric') return { kind: 'numeric', column: str(fn, `${w}.column`, o.column) };
        if (o.kind === 'categorical') return { kind: 'categorical', coding: checkCategorical(fn, `${w}.coding`, o.coding) };
        return bad(fn, `${w}.kind`, `expected 'numeric' or 'categorical', got ${JSON.stringify(o.kind)}`);
      };
      return { type: 'interaction', sides: [side(s.sides[0], 0), side(s.sides[1], 1)] };
    }
    default:
      return bad(fn, `${where}.type`, `unknown encoder type ${JSON.stringify(s.type)}`);
  }
}
