/**
 * Design matrices from tables: every column spec (numeric, categorical, polynomial, spline,
 * interaction) becomes one group of design columns, and each design column remembers the source
 * variable and group it came from, so that coefficients and selected groups print in the user's
 * vocabulary. The fitted state (levels, polynomial recurrence, knots, transforms) is kept so that
 * `design.transform(newTable)` maps new data with the same coding.
 */
import { DataError, OptionError, ValueError } from '../errors.ts';
import { makeGroups, type GroupStructure } from '../groups/groups.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { SparseMatrix } from '../linalg/sparse.ts';
import { callerName, checkChoice, checkOptions } from '../util/validate.ts';
import { bsFit, nsFit, polyFit, type PolyCoefs, type SplineBasis } from './basis.ts';
import { blockColumns, checkEncoderState, encodeBlock, encodedWidth, type EncodedBlock, encoderSources, numericOf, type CategoricalState, type EncoderState, type InteractionSide } from './coding.ts';
import { compileExpression, loadExpressionEngine, type CompiledExpression } from './expressions.ts';
import { columnIndex, isNumericColumn, tableFromColumns, type Table, type TableColumn } from './table.ts';

/** A numeric variable entered as one column (its own group unless `group` says otherwise). */
export interface NumericSpec {
  type: 'numeric';
  column: string;
  group?: string;
  names?: readonly string[];
}

/**
 * A categorical variable as reference-coded dummies (one group of L − 1 columns for L levels).
 * Levels are the distinct values (numbers are written as strings: 1 → '1'), sorted naturally
 * ('2' < '10' < 'b'), unless `levels` lists them. The reference level is the first level unless
 * `reference` names another. `levels` as a record merges values: `{ '2+': ['2', '3', '4'] }`
 * codes 2, 3 and 4 as one level '2+' (values not mentioned keep their own level).
 */
export interface CategoricalSpec {
  type: 'categorical';
  column: string;
  reference?: string;
  levels?: readonly string[] | Readonly<Record<string, readonly string[]>>;
  /** A value never seen when the design was built: 'error' (default) or 'zero' (all dummies 0, like the reference). */
  unseen?: 'error' | 'zero';
  group?: string;
  /** Names of the L − 1 dummy columns (default: column name + level, R's style: race2, race3). */
  names?: readonly string[];
}

/** A polynomial of degree `degree` in one variable: orthogonal (R's `poly`) or raw powers. */
export interface PolySpec {
  type: 'poly';
  column: string;
  degree: number;
  raw?: boolean;
  group?: string;
  names?: readonly string[];
}

/** A spline expansion with `df` columns: cubic B-splines (R's `bs`) or natural cubic splines (`ns`). */
export interface SplineSpec {
  type: 'bs' | 'ns';
  column: string;
  df: number;
  /** B-spline degree (bs only, default 3). */
  degree?: number;
  group?: string;
  names?: readonly string[];
}

/**
 * The pairwise interaction of two variables, as one group: numeric × numeric is the product column;
 * a categorical variable enters through its dummies (coded as its own categorical spec if there is
 * one, else with default levels), giving a product column per dummy (per pair of dummies).
 */
export interface InteractionSpec {
  type: 'interaction';
  columns: readonly [string, string];
  group?: string;
  names?: readonly string[];
}

export type ColumnSpec = NumericSpec | CategoricalSpec | PolySpec | SplineSpec | InteractionSpec;

/**
 * A derived column: `name` = `expr` evaluated row by row. `expr` is a mathjs expression over the
 * numeric columns (`'log(lwt)'`, `'min(ptl, 2)'`, `'ftv >= 3'` — booleans become 0/1) or a function of
 * the row. Transforms run in order, so later ones may use earlier ones; a name equal to an existing
 * column replaces it.
 */
export interface TransformSpec {
  name: string;
  expr: string | ((row: Record<string, number | string>) => number | boolean);
}

/** Where a design column comes from. */
export interface ColumnInfo {
  /** Design column name (age1, race2, age:lwt, …). */
  name: string;
  /** Source variable (the table column, or `a:b` for an interaction). */
  source: string;
  /** Table columns it is computed from. */
  sources: string[];
  /** Group name. */
  group: string;
  kind: 'numeric' | 'dummy' | 'poly' | 'rawpoly' | 'bs' | 'ns' | 'interaction';
  /** The level, for a dummy column. */
  level?: string;
}

/** Options of {@link buildDesign}. */
export interface DesignOptions {
  /** Response column (numeric). Omit for a design without response. */
  target?: string;
  /** Column specs, one group each (default: every column but the target; numbers numeric, strings categorical). */
  columns?: readonly ColumnSpec[];
  /** Derived columns, computed before the specs are read. */
  transforms?: readonly TransformSpec[] | Readonly<Record<string, TransformSpec['expr']>>;
  /**
   * Storage of X: false (default) dense; true a {@link SparseMatrix}; 'auto' sparse when at most a
   * third of the entries are nonzero (typical of one-hot-heavy designs).
   */
  sparse?: boolean | 'auto';
}

/** The model matrix of a table and how it was made. */
export interface Design {
  X: DenseMatrix | SparseMatrix;
  /** The response (undefined without `target`). */
  y: Float64Array | undefined;
  target: string | undefined;
  /** Group label per design column (what `makeGroups` takes). */
  groups: string[];
  /** Group names in order of first appearance. */
  groupNames: string[];
  /** The validated group structure of the design (d_g = √p_g). */
  groupStructure: GroupStructure;
  columnNames: string[];
  columnInfo: ColumnInfo[];
  /** Table columns the design reads (before transforms add derived ones). */
  inputColumns: string[];
  /**
   * Map a new table with the same coding (stored levels, polynomial coefficients, knots,
   * transforms). `y` is filled when the new table has the target column.
   */
  transform(newTable: Table | Record<string, ArrayLike<number> | readonly string[]>): { X: DenseMatrix | SparseMatrix; y: Float64Array | undefined };
  /**
   * The fitted coding as plain JSON (levels, polynomial recurrences, knots, string transforms), for
   * {@link designFromCoding}; refused when a transform is a function (it cannot be saved).
   */
  coding(): DesignCoding;
}

/** A design built with a target: y is always there. */
export type TargetDesign = Design & { y: Float64Array; target: string };

/** A Table, or columns by name. */
export type TableInput = Table | Record<string, ArrayLike<number> | readonly string[]>;

const DESIGN_OPTIONS = ['target', 'columns', 'transforms', 'sparse'] as const;

/** Natural order of level names: numbers by value ('2' < '10'), then other strings by code point. */
export function compareLevels(a: string, b: string): number {
  if (typeof a !== 'string' || typeof b !== 'string') {
    throw new ValueError('compareLevels', `level names must be two strings, got ${a === null ? 'null' : typeof a} and ${b === null ? 'null' : typeof b}`);
  }
  const x = parseFloat(a);
  const y = parseFloat(b);
  const fx = Number.isFinite(x);
  const fy = Number.isFinite(y);
  if (fx && fy && x !== y) return x - y;
  if (fx !== fy) return fx ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function asStrings(c: TableColumn): string[] {
  return isNumericColumn(c) ? Array.from(c, (v) => String(v)) : c;
}

/** One spec after fitting: its column names and origins, and its JSON-ready fitted state. */
interface Encoder {
  names: string[];
  info: ColumnInfo[];
  state: EncoderState;
}

function fitCategorical(spec: CategoricalSpec, table: Table, fn: string): CategoricalState {
  checkOptions(fn, spec, ['type', 'column', 'reference', 'levels', 'unseen', 'group', 'names']);
  const unseen = checkChoice(fn, `unseen policy of '${spec.column}'`, spec.unseen ?? 'error', ['error', 'zero'] as const);
  const raw = asStrings(table.columns[columnIndex(table, spec.column, fn)]);
  let map: Map<string, string> | undefined;
  let levels: string[];
  const present = new Set<string>();
  if (spec.levels !== undefined && !Array.isArray(spec.levels)) {
    map = new Map();
    for (const [lev, vals] of Object.entries(spec.levels as Record<string, readonly string[]>)) {
      if (!Array.isArray(vals)) throw new OptionError(fn, `levels of '${spec.column}': '${lev}' must map to an array of values`);
      for (const v of vals) {
        const key = String(v);
        if (map.has(key)) throw new OptionError(fn, `levels of '${spec.column}': value '${key}' is merged into both '${map.get(key)}' and '${lev}'`);
        map.set(key, lev);
      }
    }
    for (const v of raw) present.add(map.get(v) ?? v);
    levels = [...present].sort(compareLevels);
  } else if (Array.isArray(spec.levels)) {
    levels = (spec.levels as readonly unknown[]).map(String);
    if (new Set(levels).size !== levels.length) throw new OptionError(fn, `levels of '${spec.column}' repeat a level`);
    const set = new Set(levels);
    raw.forEach((v, i) => {
      if (!set.has(v)) throw new DataError(fn, `column '${spec.column}' has value '${v}' at row ${i + 1}, which is not among the declared levels ${levels.map((l) => `'${l}'`).join(', ')}`);
      present.add(v);
    });
    for (const l of levels) {
      if (!present.has(l)) throw new DataError(fn, `declared level '${l}' of '${spec.column}' does not occur in the data (its dummy would be all zero)`);
    }
  } else {
    for (const v of raw) present.add(v);
    levels = [...present].sort(compareLevels);
  }
  if (levels.length < 2) throw new DataError(fn, `categorical column '${spec.column}' has a single level '${levels[0]}': it carries no information`);
  const reference = spec.reference !== undefined ? String(spec.reference) : levels[0];
  if (!levels.includes(reference)) {
    throw new OptionError(fn, `reference level '${reference}' of '${spec.column}' is not a level; levels are ${levels.map((l) => `'${l}'`).join(', ')}`);
  }
  return { column: spec.column, ...(map ? { merge: [...map] } : {}), levels: levels.filter((l) => l !== reference), reference, unseen };
}

function checkNames(fn: string, spec: { names?: readonly string[] }, what: string, count: number, defaults: string[]): string[] {
  if (spec.names === undefined) return defaults;
  if (!Array.isArray(spec.names) || spec.names.length !== count) {
    throw new OptionError(fn, `names of ${what} must list ${count} column name(s), got ${Array.isArray(spec.names) ? spec.names.length : typeof spec.names}`);
  }
  return spec.names.map(String);
}

function makeEncoder(spec: ColumnSpec, table: Table, all: readonly ColumnSpec[], fn: string): Encoder {
  if (spec === null || typeof spec !== 'object') throw new OptionError(fn, `a column spec must be an object, got ${String(spec)}`);
  const type = checkChoice(fn, 'column spec type', spec.type, ['numeric', 'categorical', 'poly', 'bs', 'ns', 'interaction'] as const);
  if (type === 'interaction') {
    const s = spec as InteractionSpec;
    checkOptions(fn, s, ['type', 'columns', 'group', 'names']);
    if (!Array.isArray(s.columns) || s.columns.length !== 2 || s.columns[0] === s.columns[1]) {
      throw new OptionError(fn, `an interaction needs two distinct columns, got ${JSON.stringify(s.columns)}`);
    }
    const [a, b] = s.columns;
    const source = `${a}:${b}`;
    const group = s.group ?? source;
    // Each side: the variable's own dummy coding if it has a categorical spec, else numbers (or default dummies for strings).
    const side = (v: string): { labels: string[]; side: InteractionSide } => {
      const col = table.columns[columnIndex(table, v, fn)];
      const cat = all.find((o): o is CategoricalSpec => o.type === 'categorical' && o.column === v);
      if (cat || !isNumericColumn(col)) {
        const coding = fitCategorical(cat ?? { type: 'categorical', column: v }, table, fn);
        // Dummies keep the names the main effect gave them (white, black), else column + level.
        const own = cat?.names && cat.names.length === coding.levels.length ? cat.names.map(String) : undefined;
        return { labels: own ?? coding.levels.map((l) => `${v}${l}`), side: { kind: 'categorical', coding } };
      }
      numericOf(table, v, fn, 'interaction');
      return { labels: [v], side: { kind: 'numeric', column: v } };
    };
    const A = side(a);
    const B = side(b);
    const defaults: string[] = [];
    for (const la of A.labels) for (const lb of B.labels) defaults.push(`${la}:${lb}`);
    const names = checkNames(fn, s, `interaction ${source}`, defaults.length, defaults);
    return {
      names,
      info: names.map((name) => ({ name, source, sources: [a, b], group, kind: 'interaction' as const })),
      state: { type: 'interaction', sides: [A.side, B.side] },
    };
  }
  const column = (spec as { column: string }).column;
  if (typeof column !== 'string') throw new OptionError(fn, `a ${type} spec needs a 'column' name`);
  columnIndex(table, column, fn);
  const group = (spec as { group?: string }).group ?? column;
  if (type === 'numeric') {
    const s = spec as NumericSpec;
    checkOptions(fn, s, ['type', 'column', 'group', 'names']);
    numericOf(table, column, fn, 'numeric');
    const names = checkNames(fn, s, `'${column}'`, 1, [column]);
    return {
      names,
      info: [{ name: names[0], source: column, sources: [column], group, kind: 'numeric' }],
      state: { type: 'numeric', column },
    };
  }
  if (type === 'categorical') {
    const s = spec as CategoricalSpec;
    const coding = fitCategorical(s, table, fn);
    const names = checkNames(fn, s, `'${column}'`, coding.levels.length, coding.levels.map((l) => `${column}${l}`));
    return {
      names,
      info: names.map((name, k) => ({ name, source: column, sources: [column], group, kind: 'dummy' as const, level: coding.levels[k] })),
      state: { type: 'categorical', coding },
    };
  }
  if (type === 'poly') {
    const s = spec as PolySpec;
    checkOptions(fn, s, ['type', 'column', 'degree', 'raw', 'group', 'names']);
    const x = numericOf(table, column, fn, 'polynomial');
    if (!Number.isInteger(s.degree) || s.degree < 1) throw new OptionError(fn, `polynomial degree of '${column}' must be a whole number ≥ 1, got ${String(s.degree)}`);
    if (s.raw) {
      const defaults = Array.from({ length: s.degree }, (_, k) => (k === 0 ? column : `${column}^${k + 1}`));
      const names = checkNames(fn, s, `'${column}'`, s.degree, defaults);
      return {
        names,
        info: names.map((name) => ({ name, source: column, sources: [column], group, kind: 'rawpoly' as const })),
        state: { type: 'rawpoly', column, degree: s.degree },
      };
    }
    const coefs: PolyCoefs = polyFit(x, s.degree, fn).coefs;
    const names = checkNames(fn, s, `'${column}'`, s.degree, Array.from({ length: s.degree }, (_, k) => `${column}${k + 1}`));
    return {
      names,
      info: names.map((name) => ({ name, source: column, sources: [column], group, kind: 'poly' as const })),
      // The training rows go through the same recurrence as new data: one code path, same numbers to rounding.
      state: { type: 'poly', column, degree: s.degree, alpha: Array.from(coefs.alpha), norm2: Array.from(coefs.norm2) },
    };
  }
  const s = spec as SplineSpec;
  checkOptions(fn, s, type === 'bs' ? ['type', 'column', 'df', 'degree', 'group', 'names'] : ['type', 'column', 'df', 'group', 'names']);
  const x = numericOf(table, column, fn, 'spline');
  if (!Number.isInteger(s.df) || s.df < 1) throw new OptionError(fn, `spline df of '${column}' must be a whole number ≥ 1, got ${String(s.df)}`);
  const spline: SplineBasis = type === 'bs' ? bsFit(x, s.df, s.degree ?? 3, fn).spline : nsFit(x, s.df, fn).spline;
  const names = checkNames(fn, s, `'${column}'`, s.df, Array.from({ length: s.df }, (_, k) => `${column}_${type}${k + 1}`));
  const q = spline.constraintQR;
  return {
    names,
    info: names.map((name) => ({ name, source: column, sources: [column], group, kind: type })),
    state: {
      type, column, degree: spline.degree, knots: Array.from(spline.knots), boundary: [spline.boundary[0], spline.boundary[1]], allKnots: Array.from(spline.allKnots),
      ...(q ? { constraintQR: { n: q.n, p: q.p, qr: Array.from(q.qr), qraux: Array.from(q.qraux) } } : {}),
    },
  };
}

function normalizeTransforms(t: DesignOptions['transforms'], fn: string): TransformSpec[] {
  if (t === undefined) return [];
  const list: TransformSpec[] = Array.isArray(t)
    ? (t as TransformSpec[])
    : Object.entries(t as Record<string, TransformSpec['expr']>).map(([name, expr]) => ({ name, expr }));
  for (const tr of list) {
    if (!tr || typeof tr.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(tr.name)) {
      throw new OptionError(fn, `a transform needs a name made of letters, digits, '_' or '.', got ${JSON.stringify(tr?.name)}`);
    }
    if (typeof tr.expr !== 'string' && typeof tr.expr !== 'function') throw new OptionError(fn, `transform '${tr.name}' needs an expression string or a function`);
  }
  return list;
}

interface CompiledTransform {
  name: string;
  run: (scope: Record<string, number | string>) => unknown;
  /** Columns it reads (undefined for a function: unknown). */
  reads: string[] | undefined;
}

function compileTransforms(list: TransformSpec[], fn: string): CompiledTransform[] {
  return list.map((tr) => {
    if (typeof tr.expr === 'function') return { name: tr.name, run: tr.expr, reads: undefined };
    const c: CompiledExpression = compileExpression(tr.expr, fn);
    return { name: tr.name, run: (scope) => c.evaluate(scope as Record<string, number>), reads: c.symbols };
  });
}

function applyTransforms(table: Table, transforms: CompiledTransform[], fn: string): Table {
  if (transforms.length === 0) return table;
  const names = [...table.names];
  const columns = [...table.columns];
  const n = table.nRows;
  for (const tr of transforms) {
    const out = new Float64Array(n);
    const scope: Record<string, number | string> = {};
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < names.length; k++) scope[names[k]] = columns[k][i];
      let v: unknown;
      try {
        v = tr.run(scope);
      } catch (e) {
        throw new DataError(fn, `transform '${tr.name}' failed at row ${i + 1}: ${(e as Error).message}`);
      }
      const num = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      if (typeof num !== 'number' || !Number.isFinite(num)) {
        throw new DataError(fn, `transform '${tr.name}' gives ${String(v)} at row ${i + 1} (a finite number is needed)`);
      }
      out[i] = num;
    }
    const k = names.indexOf(tr.name);
    if (k >= 0) columns[k] = out;
    else {
      names.push(tr.name);
      columns.push(out);
    }
  }
  return { names, columns, nRows: n, droppedLines: table.droppedLines };
}

function asTable(t: unknown, fn: string): Table {
  if (t === null || typeof t !== 'object') throw new DataError(fn, 'expected a table (from readCsv or tableFromColumns) or a record of columns');
  const tt = t as Table;
  if (Array.isArray(tt.names) && Array.isArray(tt.columns) && typeof tt.nRows === 'number') return tt;
  return tableFromColumns(t as Record<string, ArrayLike<number> | readonly string[]>, fn);
}

function assemble(blocks: EncodedBlock[], n: number, sparse: boolean | 'auto'): DenseMatrix | SparseMatrix {
  let nnz = 0;
  let p = 0;
  for (const b of blocks) {
    if ('dense' in b) {
      p += b.dense.length;
      for (const c of b.dense) for (let i = 0; i < n; i++) if (c[i] !== 0) nnz++;
    } else {
      p += b.levels;
      for (let i = 0; i < n; i++) if (b.codes[i] >= 0) nnz++;
    }
  }
  const useSparse = sparse === true || (sparse === 'auto' && nnz * 3 <= n * p);
  if (!useSparse) return DenseMatrix.fromColumns(blocks.flatMap(blockColumns));
  // Runs of dense columns in one piece, dummies straight from their codes.
  const parts: SparseMatrix[] = [];
  let run: Float64Array[] = [];
  const flush = () => {
    if (run.length > 0) parts.push(SparseMatrix.fromColumns(run, n));
    run = [];
  };
  for (const b of blocks) {
    if ('dense' in b) run.push(...b.dense);
    else {
      flush();
      parts.push(SparseMatrix.fromOneHot(b.codes, b.levels));
    }
  }
  flush();
  return parts.length === 0 ? SparseMatrix.fromColumns([], n) : parts.length === 1 ? parts[0] : SparseMatrix.hstack(parts);
}

/**
 * Build the design matrix X (n × p), the response y and the group labels of a table. Each column
 * spec contributes one group (its `group`, by default the variable name, `a:b` for interactions):
 *
 * - numeric: the column x itself;
 * - categorical with levels ℓ_0 (reference), ℓ_1 … ℓ_{L−1}: dummies x_k = 1[value = ℓ_k], k ≥ 1;
 * - poly (degree d): R's `poly(x, d)` — orthonormal columns orthogonal to 1, spanning
 *   {x, …, x^d} modulo constants; `raw: true` gives x, x², …, x^d;
 * - bs / ns (df): R's `bs(x, df)` / `ns(x, df)` spline bases;
 * - interaction a:b: products of the two variables' columns (dummies for categorical ones).
 *
 * Transforms (mathjs expressions or functions) run first and add derived columns. String
 * transforms need the expression engine loaded (`await loadExpressionEngine()`), or use
 * {@link buildDesignAsync}. No column is centred or scaled here (see `standardize`,
 * `orthonormalizeGroups`); fit with an intercept.
 *
 * @example
 * const t = tableFromColumns({ y: [1, 2, 3, 4], x: [1, 2, 3, 5], g: ['a', 'b', 'a', 'c'] });
 * const d = buildDesign(t, { target: 'y', columns: [{ type: 'numeric', column: 'x' }, { type: 'categorical', column: 'g' }] });
 * // d.columnNames is ['x', 'gb', 'gc']; d.groups is ['x', 'g', 'g']; d.X column 'gb' is [0, 1, 0, 0]
 */
export function buildDesign(table: TableInput, options: DesignOptions & { target: string }): TargetDesign;
export function buildDesign(table: TableInput, options?: DesignOptions): Design;
export function buildDesign(table: TableInput, options: DesignOptions = {}): Design {
  return buildDesignAs('buildDesign', table, options);
}

/** {@link buildDesign}, its errors worded as `fn`'s (buildDesignAsync). */
function buildDesignAs(fn: string, table: TableInput, options: DesignOptions = {}): Design {
  checkOptions(fn, options, DESIGN_OPTIONS);
  const raw = asTable(table, fn);
  const sparse = options.sparse ?? false;
  if (sparse !== true && sparse !== false && sparse !== 'auto') throw new OptionError(fn, `sparse must be true, false or 'auto', got ${String(sparse)}`);
  const transforms = compileTransforms(normalizeTransforms(options.transforms, fn), fn);
  const t = applyTransforms(raw, transforms, fn);
  const target = options.target;
  if (target !== undefined && typeof target !== 'string') throw new OptionError(fn, 'target must be a column name');
  if (target !== undefined && !t.names.includes(target)) {
    throw new DataError(fn, `target column '${target}' is not in the table; columns are ${t.names.map((n) => `'${n}'`).join(', ')}`);
  }
  const y = target !== undefined ? numericOf(t, target, fn, 'target').slice() : undefined;
  let specs: readonly ColumnSpec[];
  if (options.columns === undefined) {
    specs = t.names.filter((n) => n !== target).map((n, _k) => {
      const c = t.columns[t.names.indexOf(n)];
      return isNumericColumn(c) ? { type: 'numeric', column: n } as const : { type: 'categorical', column: n } as const;
    });
  } else {
    if (!Array.isArray(options.columns)) throw new OptionError(fn, 'columns must be an array of column specs');
    specs = options.columns;
  }
  if (specs.length === 0) throw new OptionError(fn, 'no column specs: the design would have no columns');
  const encoders = specs.map((s) => makeEncoder(s, t, specs, fn));
  // The response must not leak into the predictors.
  encoders.forEach((e) => {
    if (target !== undefined && e.info[0].sources.includes(target)) throw new OptionError(fn, `the target '${target}' is also used as a predictor`);
  });
  // Group names: the same group from two specs only when both name it explicitly.
  const owner = new Map<string, { k: number; explicit: boolean }>();
  specs.forEach((s, k) => {
    const g = encoders[k].info[0].group;
    const explicit = (s as { group?: string }).group !== undefined;
    const prev = owner.get(g);
    if (prev && !(prev.explicit && explicit)) {
      throw new OptionError(fn, `specs ${prev.k + 1} and ${k + 1} both make group '${g}'; give them distinct 'group' names (or the same explicit one to merge them)`);
    }
    owner.set(g, { k, explicit });
  });
  const columnInfo = encoders.flatMap((e) => e.info);
  const columnNames = columnInfo.map((c) => c.name);
  const seen = new Set<string>();
  for (const name of columnNames) {
    if (seen.has(name)) throw new OptionError(fn, `two design columns are named '${name}'; rename one with 'names'`);
    seen.add(name);
  }
  const groups = columnInfo.map((c) => c.group);
  const states = encoders.map((e) => e.state);
  const X = assemble(states.map((e) => encodeBlock(e, t, fn)), t.nRows, sparse);
  const groupNames = [...new Set(groups)];
  const isSparse = X instanceof SparseMatrix;
  const transformList = normalizeTransforms(options.transforms, fn);
  return {
    X,
    y,
    target,
    groups,
    groupNames,
    groupStructure: makeGroups(groups, groups.length, {}, fn),
    columnNames,
    columnInfo,
    inputColumns: inputColumnsOf(states, transforms, target),
    transform: (newTable) => transformWith(newTable, transforms, states, target, isSparse),
    coding() {
      const f = 'Design.coding';
      const fnTransform = transformList.find((tr) => typeof tr.expr !== 'string');
      if (fnTransform) throw new OptionError(f, `transform '${fnTransform.name}' is a function: only string (expression) transforms can be saved; write it as an expression`);
      return {
        format: DESIGN_CODING_FORMAT, version: 1, ...(target !== undefined ? { target } : {}),
        transforms: transformList.map((tr) => ({ name: tr.name, expr: tr.expr as string })),
        encoders: structuredClone(states), columnInfo: structuredClone(columnInfo), sparse: isSparse,
      };
    },
  };
}

function transformWith(
  newTable: TableInput, transforms: CompiledTransform[], states: readonly EncoderState[], target: string | undefined, sparse: boolean,
): { X: DenseMatrix | SparseMatrix; y: Float64Array | undefined } {
  const f = 'Design.transform';
  const t = asTable(newTable, f);
  // A transform that makes the target runs only when the new table has what it reads: rows to
  // predict have no response.
  const has = new Set(t.names);
  const run = transforms.filter((tr) => tr.name !== target || (tr.reads !== undefined && tr.reads.every((c) => has.has(c))));
  const nt = applyTransforms(t, run, f);
  const yy = target !== undefined && nt.names.includes(target) ? numericOf(nt, target, f, 'target').slice() : undefined;
  return { X: assemble(states.map((e) => encodeBlock(e, nt, f)), nt.nRows, sparse), y: yy };
}

/**
 * Table columns a design reads: what the transforms read (in order: a column made by an earlier
 * transform is not an input) and what the specs read that no transform makes. A function
 * transform's inputs are unknown: only the specs' are listed then.
 */
function inputColumnsOf(states: readonly EncoderState[], transforms: readonly CompiledTransform[], target: string | undefined): string[] {
  const derived = new Set<string>();
  const needed = new Set<string>();
  for (const tr of transforms) {
    // The response is not an input of predictions (`kg = bwt / 1000` made the target).
    if (tr.name === target) continue;
    for (const s of tr.reads ?? []) if (!derived.has(s)) needed.add(s);
    derived.add(tr.name);
  }
  for (const s of states.flatMap(encoderSources)) if (!derived.has(s)) needed.add(s);
  return [...needed];
}

const DESIGN_CODING_FORMAT = 'groupsparse.DesignCoding';

/**
 * The fitted coding of a design as plain JSON ({@link Design.coding}): the transforms, each
 * spec's learned state (levels and reference, polynomial recurrence, spline knots) and where each
 * design column comes from. {@link designFromCoding} turns it back into a design mapping.
 */
export interface DesignCoding {
  format: 'groupsparse.DesignCoding';
  version: 1;
  target?: string;
  transforms: { name: string; expr: string }[];
  encoders: EncoderState[];
  columnInfo: ColumnInfo[];
  sparse: boolean;
}

/** A design rebuilt from its coding: the column names and groups, and the map of new tables. */
export type CodedDesign = Pick<Design, 'target' | 'columnNames' | 'columnInfo' | 'groups' | 'groupNames' | 'inputColumns' | 'transform'>;

const COLUMN_KINDS = ['numeric', 'dummy', 'poly', 'rawpoly', 'bs', 'ns', 'interaction'] as const;

/**
 * Rebuild the design mapping of {@link Design.coding} (a parsed object or its JSON text). Every
 * field is checked: a wrong or truncated coding is refused with a ValueError naming the field.
 * String transforms need the expression engine loaded first (`await loadExpressionEngine()`).
 */
export function designFromCoding(coding: unknown, fn = 'designFromCoding'): CodedDesign {
  fn = callerName(fn, 'designFromCoding');
  let c: Record<string, unknown>;
  try {
    c = (typeof coding === 'string' ? JSON.parse(coding) : coding) as Record<string, unknown>;
  } catch (e) {
    throw new ValueError(fn, `the coding text is not valid JSON (${(e as Error).message})`);
  }
  if (c === null || typeof c !== 'object' || c.format !== DESIGN_CODING_FORMAT) throw new ValueError(fn, `not a design coding (format is not '${DESIGN_CODING_FORMAT}')`);
  if (c.version !== 1) throw new ValueError(fn, `design coding version ${JSON.stringify(c.version)} is not supported (this version reads 1)`);
  if (c.target !== undefined && typeof c.target !== 'string') throw new ValueError(fn, 'coding.target must be a column name');
  if (!Array.isArray(c.transforms)) throw new ValueError(fn, 'coding.transforms must be an array');
  const trList = (c.transforms as unknown[]).map((tr, k) => {
    const o = tr as { name?: unknown; expr?: unknown } | null;
    if (o === null || typeof o !== 'object' || typeof o.name !== 'string' || typeof o.expr !== 'string') {
      throw new ValueError(fn, `coding.transforms[${k}] must be { name, expr } with two strings`);
    }
    return { name: o.name, expr: o.expr };
  });
  if (!Array.isArray(c.encoders) || c.encoders.length === 0) throw new ValueError(fn, 'coding.encoders must be a non-empty array');
  const states = (c.encoders as unknown[]).map((e, k) => checkEncoderState(fn, `coding.encoders[${k}]`, e));
  const width = states.reduce((s, e) => s + encodedWidth(e), 0);
  if (!Array.isArray(c.columnInfo) || c.columnInfo.length !== width) {
    throw new ValueError(fn, `coding.columnInfo must describe the ${width} design columns the encoders make, got ${Array.isArray(c.columnInfo) ? c.columnInfo.length : typeof c.columnInfo}`);
  }
  const columnInfo = (c.columnInfo as unknown[]).map((ci, k): ColumnInfo => {
    const o = ci as Record<string, unknown> | null;
    const where = `coding.columnInfo[${k}]`;
    if (o === null || typeof o !== 'object' || typeof o.name !== 'string' || typeof o.group !== 'string' || typeof o.source !== 'string') {
      throw new ValueError(fn, `${where} must have string name, source and group`);
    }
    if (!Array.isArray(o.sources) || o.sources.some((x) => typeof x !== 'string')) throw new ValueError(fn, `${where}.sources must be column names`);
    if (!(COLUMN_KINDS as readonly unknown[]).includes(o.kind)) throw new ValueError(fn, `${where}.kind must be one of ${COLUMN_KINDS.join(', ')}`);
    return { name: o.name, source: o.source, sources: [...o.sources as string[]], group: o.group, kind: o.kind as ColumnInfo['kind'], ...(typeof o.level === 'string' ? { level: o.level } : {}) };
  });
  if (typeof c.sparse !== 'boolean') throw new ValueError(fn, 'coding.sparse must be true or false');
  const target = c.target as string | undefined;
  const transforms = compileTransforms(trList, fn);
  const groups = columnInfo.map((ci) => ci.group);
  const sparse = c.sparse;
  return {
    target,
    columnNames: columnInfo.map((ci) => ci.name),
    columnInfo,
    groups,
    groupNames: [...new Set(groups)],
    inputColumns: inputColumnsOf(states, transforms, target),
    transform: (newTable) => transformWith(newTable, transforms, states, target, sparse),
  };
}

/** {@link buildDesign} after loading the expression engine (needed for string transforms). */
export async function buildDesignAsync(table: TableInput, options: DesignOptions & { target: string }): Promise<TargetDesign>;
export async function buildDesignAsync(table: TableInput, options?: DesignOptions): Promise<Design>;
export async function buildDesignAsync(table: TableInput, options: DesignOptions = {}): Promise<Design> {
  checkOptions('buildDesignAsync', options, DESIGN_OPTIONS);
  const tr = options.transforms;
  const list = tr === undefined ? [] : Array.isArray(tr) ? tr : Object.values(tr);
  if (list.some((x) => (typeof x === 'string') || (typeof x === 'object' && x !== null && typeof (x as TransformSpec).expr === 'string'))) {
    await loadExpressionEngine();
  }
  return buildDesignAs('buildDesignAsync', table, options);
}

/** Interaction specs for every pair among `columns`, one group per pair (`a:b`). */
export function allPairs(columns: readonly string[]): InteractionSpec[] {
  if (!Array.isArray(columns) || columns.some((c) => typeof c !== 'string')) {
    throw new ValueError('allPairs', `columns must be a list of column names, got ${Array.isArray(columns) ? 'a list holding a non-string' : columns === null ? 'null' : typeof columns}`);
  }
  // Pairs grow as k²/2; 1000 columns already make 499 500 interaction groups.
  if (columns.length > 1000) throw new ValueError('allPairs', `${columns.length} columns give ${(columns.length * (columns.length - 1)) / 2} pairs; at most 1000 columns`);
  const out: InteractionSpec[] = [];
  for (let a = 0; a < columns.length; a++) {
    for (let b = a + 1; b < columns.length; b++) out.push({ type: 'interaction', columns: [columns[a], columns[b]] });
  }
  return out;
}
