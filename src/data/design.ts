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
import { checkChoice, checkOptions } from '../util/validate.ts';
import { bsFit, nsFit, polyFit, polyPredict, rawPoly, splinePredict, type PolyCoefs, type SplineBasis } from './basis.ts';
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
  /**
   * Map a new table with the same coding (stored levels, polynomial coefficients, knots,
   * transforms). `y` is filled when the new table has the target column.
   */
  transform(newTable: Table | Record<string, ArrayLike<number> | readonly string[]>): { X: DenseMatrix | SparseMatrix; y: Float64Array | undefined };
}

/** A design built with a target: y is always there. */
export type TargetDesign = Design & { y: Float64Array; target: string };

/** A Table, or columns by name. */
export type TableInput = Table | Record<string, ArrayLike<number> | readonly string[]>;

const DESIGN_OPTIONS = ['target', 'columns', 'transforms', 'sparse'] as const;

/** Natural order of level names: numbers by value ('2' < '10'), then other strings by code point. */
export function compareLevels(a: string, b: string): number {
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

function numericOf(table: Table, name: string, fn: string, role: string): Float64Array {
  const c = table.columns[columnIndex(table, name, fn)];
  if (!isNumericColumn(c)) {
    const bad = c.findIndex((s) => !Number.isFinite(Number(s)) || s.trim() === '');
    throw new DataError(fn, `${role} column '${name}' is not numeric (row ${bad + 1} has '${c[bad]}'); ${role === 'target' ? 'the target must be numeric' : 'use a categorical spec'}`);
  }
  for (let i = 0; i < c.length; i++) {
    if (!Number.isFinite(c[i])) throw new DataError(fn, `${role} column '${name}' has a non-finite value (${c[i]}) at row ${i + 1}`);
  }
  return c;
}

/** One spec after fitting: produces its columns for any table with the same variables. */
interface Encoder {
  names: string[];
  info: ColumnInfo[];
  encode(table: Table, fn: string): Float64Array[];
}

interface CategoricalCoding {
  column: string;
  /** raw value → level. */
  map: Map<string, string> | undefined;
  /** Non-reference levels, in column order. */
  levels: string[];
  reference: string;
  unseen: 'error' | 'zero';
}

function fitCategorical(spec: CategoricalSpec, table: Table, fn: string): CategoricalCoding {
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
  return { column: spec.column, map, levels: levels.filter((l) => l !== reference), reference, unseen };
}

/** Level index per row (−1 = reference or unseen-as-zero). */
function categoricalCodes(c: CategoricalCoding, table: Table, fn: string): Int32Array {
  const raw = asStrings(table.columns[columnIndex(table, c.column, fn)]);
  const pos = new Map(c.levels.map((l, k) => [l, k]));
  const codes = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const lev = c.map?.get(raw[i]) ?? raw[i];
    const k = pos.get(lev);
    if (k !== undefined) codes[i] = k;
    else if (lev === c.reference) codes[i] = -1;
    else if (c.unseen === 'zero') codes[i] = -1;
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
    const side = (v: string) => {
      const col = table.columns[columnIndex(table, v, fn)];
      const cat = all.find((o): o is CategoricalSpec => o.type === 'categorical' && o.column === v);
      if (cat || !isNumericColumn(col)) {
        const coding = fitCategorical(cat ?? { type: 'categorical', column: v }, table, fn);
        // Dummies keep the names the main effect gave them (white, black), else column + level.
        const own = cat?.names && cat.names.length === coding.levels.length ? cat.names.map(String) : undefined;
        return {
          labels: own ?? coding.levels.map((l) => `${v}${l}`),
          encode: (t: Table) => dummies(categoricalCodes(coding, t, fn), coding.levels.length),
        };
      }
      numericOf(table, v, fn, 'interaction');
      return { labels: [v], encode: (t: Table) => [numericOf(t, v, fn, 'interaction')] };
    };
    const A = side(a);
    const B = side(b);
    const defaults: string[] = [];
    for (const la of A.labels) for (const lb of B.labels) defaults.push(`${la}:${lb}`);
    const names = checkNames(fn, s, `interaction ${source}`, defaults.length, defaults);
    return {
      names,
      info: names.map((name) => ({ name, source, sources: [a, b], group, kind: 'interaction' as const })),
      encode(t: Table) {
        const ca = A.encode(t);
        const cb = B.encode(t);
        const out: Float64Array[] = [];
        for (const u of ca) for (const v of cb) out.push(u.map((x, i) => x * v[i]));
        return out;
      },
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
      encode: (t) => [numericOf(t, column, fn, 'numeric').slice()],
    };
  }
  if (type === 'categorical') {
    const s = spec as CategoricalSpec;
    const coding = fitCategorical(s, table, fn);
    const names = checkNames(fn, s, `'${column}'`, coding.levels.length, coding.levels.map((l) => `${column}${l}`));
    return {
      names,
      info: names.map((name, k) => ({ name, source: column, sources: [column], group, kind: 'dummy' as const, level: coding.levels[k] })),
      encode: (t) => dummies(categoricalCodes(coding, t, fn), coding.levels.length),
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
        encode: (t) => rawPoly(numericOf(t, column, fn, 'polynomial'), s.degree),
      };
    }
    const coefs: PolyCoefs = polyFit(x, s.degree, fn).coefs;
    const names = checkNames(fn, s, `'${column}'`, s.degree, Array.from({ length: s.degree }, (_, k) => `${column}${k + 1}`));
    return {
      names,
      info: names.map((name) => ({ name, source: column, sources: [column], group, kind: 'poly' as const })),
      // The training rows go through the same recurrence as new data: one code path, same numbers to rounding.
      encode: (t) => polyPredict(numericOf(t, column, fn, 'polynomial'), coefs),
    };
  }
  const s = spec as SplineSpec;
  checkOptions(fn, s, type === 'bs' ? ['type', 'column', 'df', 'degree', 'group', 'names'] : ['type', 'column', 'df', 'group', 'names']);
  const x = numericOf(table, column, fn, 'spline');
  if (!Number.isInteger(s.df) || s.df < 1) throw new OptionError(fn, `spline df of '${column}' must be a whole number ≥ 1, got ${String(s.df)}`);
  const spline: SplineBasis = type === 'bs' ? bsFit(x, s.df, s.degree ?? 3, fn).spline : nsFit(x, s.df, fn).spline;
  const names = checkNames(fn, s, `'${column}'`, s.df, Array.from({ length: s.df }, (_, k) => `${column}_${type}${k + 1}`));
  return {
    names,
    info: names.map((name) => ({ name, source: column, sources: [column], group, kind: type })),
    encode: (t) => splinePredict(numericOf(t, column, fn, 'spline'), spline),
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
}

function compileTransforms(list: TransformSpec[], fn: string): CompiledTransform[] {
  return list.map((tr) => {
    if (typeof tr.expr === 'function') return { name: tr.name, run: tr.expr };
    const c: CompiledExpression = compileExpression(tr.expr, fn);
    return { name: tr.name, run: (scope) => c.evaluate(scope as Record<string, number>) };
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

function assemble(cols: Float64Array[], n: number, sparse: boolean | 'auto'): DenseMatrix | SparseMatrix {
  let nnz = 0;
  for (const c of cols) for (let i = 0; i < n; i++) if (c[i] !== 0) nnz++;
  const useSparse = sparse === true || (sparse === 'auto' && nnz * 3 <= n * cols.length);
  return useSparse ? SparseMatrix.fromColumns(cols, n) : DenseMatrix.fromColumns(cols);
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
  const fn = 'buildDesign';
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
  const encodeAll = (tab: Table, f: string) => encoders.flatMap((e) => e.encode(tab, f));
  const X = assemble(encodeAll(t, fn), t.nRows, sparse);
  const groupNames = [...new Set(groups)];
  return {
    X,
    y,
    target,
    groups,
    groupNames,
    groupStructure: makeGroups(groups, groups.length, {}, fn),
    columnNames,
    columnInfo,
    transform(newTable) {
      const f = 'Design.transform';
      const nt = applyTransforms(asTable(newTable, f), transforms, f);
      const yy = target !== undefined && nt.names.includes(target) ? numericOf(nt, target, f, 'target').slice() : undefined;
      return { X: assemble(encodeAll(nt, f), nt.nRows, X instanceof SparseMatrix), y: yy };
    },
  };
}

/** {@link buildDesign} after loading the expression engine (needed for string transforms). */
export async function buildDesignAsync(table: TableInput, options: DesignOptions & { target: string }): Promise<TargetDesign>;
export async function buildDesignAsync(table: TableInput, options?: DesignOptions): Promise<Design>;
export async function buildDesignAsync(table: TableInput, options: DesignOptions = {}): Promise<Design> {
  const tr = options.transforms;
  const list = tr === undefined ? [] : Array.isArray(tr) ? tr : Object.values(tr);
  if (list.some((x) => (typeof x === 'string') || (typeof x === 'object' && x !== null && typeof (x as TransformSpec).expr === 'string'))) {
    await loadExpressionEngine();
  }
  return buildDesign(table, options);
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
