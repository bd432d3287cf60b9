/**
 * The design of {@link buildDesign} compiled into SQL expressions over a source's columns. The
 * fitted state that depends on the data (categorical levels, the orthogonal-polynomial recurrence,
 * spline knots) is computed by aggregate passes with the definitions of `src/data/basis.ts`:
 * levels sorted by `compareLevels`, knots at type-7 quantiles (`percentile_cont`), and the
 * polynomial recurrence (α, ‖P_k‖²) by the Stieltjes procedure, one pass per degree — the same
 * numbers `polyFit` gets from its QR, to rounding. Column names, groups and `ColumnInfo` are those
 * `buildDesign` gives the same table.
 */
import { DataError, OptionError } from '../errors.ts';
import { compareLevels, type CategoricalSpec, type ColumnInfo, type ColumnSpec, type InteractionSpec, type PolySpec, type SplineSpec } from '../data/design.ts';
import { makeGroups, type GroupStructure } from '../groups/groups.ts';
import { bsFit, nsFit, type SplineBasis } from '../data/basis.ts';
import { checkChoice, checkOptions } from '../util/validate.ts';
import { expressionToSql } from './expression.ts';
import { splinePieces, splineSql } from './piecewise.ts';
import { engineError, type SourceColumn, type SqlSource, type SqlValue } from './source.ts';
import { countBad, dbl, isFinite, num, quoteIdent, quoteString } from './sql.ts';

/** What a SQL design is made of: the options of `buildDesign`, plus the missing-value policy. */
export interface SqlDesignSpec {
  /** Response column (numeric). */
  target: string;
  /** Column specs (default: every column but the target and the source's row key; numbers numeric, strings categorical). */
  columns?: readonly ColumnSpec[];
  /** Derived columns: string expressions (functions of a row cannot run inside an engine). */
  transforms?: readonly { name: string; expr: string }[] | Readonly<Record<string, string>>;
  /** NULL or non-finite values in a used column: 'error' (default) or 'drop-rows' (as readCsv). */
  missing?: 'error' | 'drop-rows';
}

/** A compiled design. */
export interface SqlDesign {
  /** SQL expression (double) of each design column. */
  exprs: string[];
  /** SQL expression of the response. */
  y: string;
  target: string;
  /** Row filter (SQL boolean): TRUE, or the rows without missing values under 'drop-rows'. */
  where: string;
  /** Rows used. */
  n: number;
  /** Rows dropped for missing values. */
  dropped: number;
  columnNames: string[];
  columnInfo: ColumnInfo[];
  groups: string[];
  groupNames: string[];
  groupStructure: GroupStructure;
  /**
   * Per design column: a conditioning shift (its mean or a close value), so the statistics are
   * sums of products of centred values.
   */
  shifts: Float64Array;
  /** Shift of the response (its mean). */
  yShift: number;
  /** Per design column: the index of its categorical block (dummies of one variable are mutually exclusive), −1 otherwise. */
  exclusiveBlock: Int32Array;
  /**
   * The dummy blocks: per categorical variable with its own spec, its SQL, and the design column of
   * each raw value (key: the value as a string; the reference level's values have none).
   */
  blocks: { sql: string; columns: number[]; columnOf: Map<string, number> }[];
  /** Passes over the rows spent compiling. */
  passes: number;
}

/** Called before each pass over the rows. */
export type PassListener = (info: { pass: number; what: string }) => void;

const SPEC_KEYS = ['target', 'columns', 'transforms', 'missing'] as const;

interface Variable {
  sql: string;
  kind: 'numeric' | 'string';
}

interface Coding {
  column: string;
  /** Non-reference levels, the raw values each one stands for, and its row count. */
  levels: { level: string; values: SqlValue[]; count: number }[];
  block: number;
}

/** Run one statement as a counted pass. */
export async function runPass(source: SqlSource, sql: string, what: string, fn: string, counter: { passes: number }, onPass?: PassListener): Promise<SqlValue[][]> {
  counter.passes++;
  onPass?.({ pass: counter.passes, what });
  try {
    return await source.query(sql);
  } catch (e) {
    throw engineError(fn, source, `pass ${counter.passes} (${what})`, e);
  }
}

/** A categorical value as the string its level is named by (numbers as JavaScript prints them). */
export const valueKey = (value: SqlValue): string => (typeof value === 'number' || typeof value === 'bigint' ? String(Number(value)) : String(value));

const toNumber = (v: SqlValue): number => (v === null ? NaN : typeof v === 'bigint' ? Number(v) : Number(v));

/** Compile `spec` on `source`: a few aggregate passes for the fitted state, then the expressions. */
export async function compileDesign(source: SqlSource, spec: SqlDesignSpec, onPass?: PassListener, fn = 'compileDesign'): Promise<SqlDesign> {
  if (spec === null || typeof spec !== 'object') throw new OptionError(fn, 'the design spec must be an object { target, columns?, transforms?, missing? }');
  checkOptions(fn, spec, SPEC_KEYS);
  const missing = checkChoice(fn, 'missing-value policy', spec.missing ?? 'error', ['error', 'drop-rows'] as const);
  const counter = { passes: 0 };
  const cols: SourceColumn[] = await source.columns();
  const vars = new Map<string, Variable>();
  for (const c of cols) {
    if (c.kind === 'numeric') vars.set(c.name, { sql: dbl(c.name), kind: 'numeric' });
    else if (c.kind === 'string') vars.set(c.name, { sql: quoteIdent(c.name), kind: 'string' });
  }
  const described = () => cols.map((c) => `'${c.name}' (${c.type})`).join(', ');
  const numericVar = (name: string, role: string): string => {
    const v = vars.get(name);
    if (!v) {
      if (cols.some((c) => c.name === name)) throw new DataError(fn, `${role} column '${name}' has type ${cols.find((c) => c.name === name)!.type}, which is neither a number nor a string`);
      throw new DataError(fn, `unknown column '${name}' in ${source.description}; the columns are ${described()}`);
    }
    if (v.kind !== 'numeric') throw new DataError(fn, `${role} column '${name}' is not numeric (type ${cols.find((c) => c.name === name)?.type}); ${role === 'target' ? 'the target must be numeric' : 'use a categorical spec'}`);
    return v.sql;
  };
  // Transforms, in order; later ones may use earlier ones.
  const trList = spec.transforms === undefined ? [] : Array.isArray(spec.transforms)
    ? (spec.transforms as { name: string; expr: string }[])
    : Object.entries(spec.transforms as Record<string, string>).map(([name, expr]) => ({ name, expr }));
  for (const tr of trList) {
    if (!tr || typeof tr.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(tr.name)) throw new OptionError(fn, `a transform needs a name made of letters, digits, '_' or '.', got ${JSON.stringify(tr?.name)}`);
    if (typeof tr.expr !== 'string') throw new OptionError(fn, `transform '${tr.name}' must be a string expression on a SQL source (a JavaScript function cannot run inside the engine)`);
    vars.set(tr.name, { sql: `(${expressionToSql(tr.expr, (v) => numericVar(v, 'transform input'), fn)})`, kind: 'numeric' });
  }
  const target = spec.target;
  if (typeof target !== 'string') throw new OptionError(fn, 'target must be a column name');
  const ySql = numericVar(target, 'target');
  let specs: readonly ColumnSpec[];
  if (spec.columns === undefined) {
    const names = [...cols.map((c) => c.name), ...trList.map((t) => t.name)].filter((n, i, a) => a.indexOf(n) === i);
    specs = names.filter((n) => n !== target && n !== source.defaultRowKey).map((n) => {
      const v = vars.get(n);
      if (!v) throw new DataError(fn, `column '${n}' has type ${cols.find((c) => c.name === n)?.type}: give column specs that leave it out`);
      return v.kind === 'numeric' ? { type: 'numeric', column: n } as const : { type: 'categorical', column: n } as const;
    });
  } else {
    if (!Array.isArray(spec.columns)) throw new OptionError(fn, 'columns must be an array of column specs');
    specs = spec.columns;
  }
  if (specs.length === 0) throw new OptionError(fn, 'no column specs: the design would have no columns');
  const anyVar = (name: string): Variable => {
    if (typeof name !== 'string') throw new OptionError(fn, `a column name must be a string, got ${String(name)}`);
    const v = vars.get(name);
    if (!v) numericVar(name, 'design');
    return v!;
  };

  // Which variables enter, as numbers or as categories.
  const numericUse = new Map<string, string>([[target, ySql]]);
  const categoricalUse = new Map<string, CategoricalSpec>();
  const polyUse = new Map<string, number>(); // variable → highest orthogonal degree
  const splineUse: { spec: SplineSpec; x: string }[] = [];
  const sidesOf = (s: InteractionSpec): string[] => {
    if (!Array.isArray(s.columns) || s.columns.length !== 2 || s.columns[0] === s.columns[1]) {
      throw new OptionError(fn, `an interaction needs two distinct columns, got ${JSON.stringify(s.columns)}`);
    }
    return [...s.columns];
  };
  const categoricalSpecOf = (v: string) => specs.find((o): o is CategoricalSpec => o?.type === 'categorical' && o.column === v);
  for (const s of specs) {
    if (s === null || typeof s !== 'object') throw new OptionError(fn, `a column spec must be an object, got ${String(s)}`);
    const type = checkChoice(fn, 'column spec type', s.type, ['numeric', 'categorical', 'poly', 'bs', 'ns', 'interaction'] as const);
    if (type === 'interaction') {
      checkOptions(fn, s, ['type', 'columns', 'group', 'names']);
      for (const v of sidesOf(s as InteractionSpec)) {
        const cat = categoricalSpecOf(v);
        if (cat || anyVar(v).kind === 'string') categoricalUse.set(v, cat ?? { type: 'categorical', column: v });
        else numericUse.set(v, numericVar(v, 'interaction'));
      }
      continue;
    }
    const column = (s as { column: string }).column;
    if (typeof column !== 'string') throw new OptionError(fn, `a ${type} spec needs a 'column' name`);
    if (column === target) throw new OptionError(fn, `the target '${target}' is also used as a predictor`);
    if (type === 'categorical') {
      checkOptions(fn, s, ['type', 'column', 'reference', 'levels', 'unseen', 'group', 'names']);
      anyVar(column);
      categoricalUse.set(column, s as CategoricalSpec);
    } else if (type === 'numeric') {
      checkOptions(fn, s, ['type', 'column', 'group', 'names']);
      numericUse.set(column, numericVar(column, 'numeric'));
    } else if (type === 'poly') {
      const p = s as PolySpec;
      checkOptions(fn, p, ['type', 'column', 'degree', 'raw', 'group', 'names']);
      numericUse.set(column, numericVar(column, 'polynomial'));
      if (!Number.isInteger(p.degree) || p.degree < 1) throw new OptionError(fn, `polynomial degree of '${column}' must be a whole number ≥ 1, got ${String(p.degree)}`);
      if (!p.raw) polyUse.set(column, Math.max(polyUse.get(column) ?? 0, p.degree));
    } else {
      const sp = s as SplineSpec;
      checkOptions(fn, sp, type === 'bs' ? ['type', 'column', 'df', 'degree', 'group', 'names'] : ['type', 'column', 'df', 'group', 'names']);
      numericUse.set(column, numericVar(column, 'spline'));
      if (!Number.isInteger(sp.df) || sp.df < 1) throw new OptionError(fn, `spline df of '${column}' must be a whole number ≥ 1, got ${String(sp.df)}`);
      const degree = sp.degree ?? 3;
      if (type === 'bs' && sp.df < degree) throw new DataError(fn, `bs needs df ≥ degree (${degree}), got ${sp.df}`);
      splineUse.push({ spec: sp, x: numericVar(column, 'spline') });
    }
  }
  if (categoricalUse.has(target) || specs.some((s) => s?.type === 'interaction' && (s as InteractionSpec).columns.includes(target))) {
    throw new OptionError(fn, `the target '${target}' is also used as a predictor`);
  }

  // Pass 1: missing values in every used variable.
  const used: { name: string; sql: string; numeric: boolean }[] = [
    ...[...numericUse].map(([name, sql]) => ({ name, sql, numeric: true })),
    ...[...categoricalUse.keys()].filter((v) => !numericUse.has(v)).map((name) => ({ name, sql: vars.get(name)!.sql, numeric: vars.get(name)!.kind === 'numeric' })),
  ];
  const badExpr = (u: { sql: string; numeric: boolean }) => (u.numeric ? countBad(u.sql) : `SUM(CASE WHEN ${u.sql} IS NULL THEN 1 ELSE 0 END)`);
  const okExpr = (u: { sql: string; numeric: boolean }) => (u.numeric ? isFinite(u.sql) : `${u.sql} IS NOT NULL`);
  const whereAll = used.map(okExpr).join(' AND ');
  const checkRow = await runPass(source, `SELECT COUNT(*), SUM(CASE WHEN ${whereAll} THEN 1 ELSE 0 END), ${used.map(badExpr).join(', ')} FROM ${source.relation}`, 'missing values', fn, counter, onPass);
  const total = toNumber(checkRow[0][0]);
  const complete = toNumber(checkRow[0][1]);
  if (!(total > 0)) throw new DataError(fn, `${source.description} has no rows`);
  const bad = used.map((u, k) => ({ name: u.name, count: toNumber(checkRow[0][2 + k]), numeric: u.numeric })).filter((b) => b.count > 0);
  let where = 'TRUE';
  if (bad.length > 0) {
    if (missing === 'error') {
      const list = bad.map((b) => `'${b.name}' (${b.count} row${b.count === 1 ? '' : 's'} ${b.numeric ? 'NULL or not finite' : 'NULL'})`).join(', ');
      throw new DataError(fn, `missing values in ${list} of ${source.description}; use missing: 'drop-rows' to leave those rows out`);
    }
    where = whereAll;
  }
  const n = complete;
  if (n < 2) throw new DataError(fn, `only ${n} complete row(s) in ${source.description}; at least 2 are needed`);
  const from = `FROM ${source.relation} WHERE ${where}`;

  // Pass 2: means, ranges, distinct counts for polynomials, knots; levels (grouping sets).
  const aggs: string[] = [];
  const slot = (e: string) => aggs.push(e) - 1;
  const meanSlot = new Map<string, number>();
  for (const [v, sql] of numericUse) meanSlot.set(v, slot(`SUM(${sql})`));
  const distinctSlot = new Map<string, number>();
  for (const v of polyUse.keys()) distinctSlot.set(v, slot(`COUNT(DISTINCT ${numericUse.get(v)})`));
  const splineSlots = splineUse.map(({ spec: s, x }) => {
    const nIn = s.type === 'bs' ? s.df - (s.degree ?? 3) : s.df - 1;
    const probs = Array.from({ length: nIn }, (_, k) => (k + 1) / (nIn + 1));
    return {
      lo: slot(`MIN(${x})`), hi: slot(`MAX(${x})`),
      q: probs.map((p) => slot(`percentile_cont(${num(p)}) WITHIN GROUP (ORDER BY ${x})`)),
    };
  });
  const stats = (await runPass(source, `SELECT ${aggs.join(', ')} ${from}`, 'means, ranges, knots', fn, counter, onPass))[0].map(toNumber);
  const mean = (v: string) => stats[meanSlot.get(v)!] / n;

  const codings = new Map<string, Coding>();
  const levelCounts = new Map<string, Map<string, { count: number; values: SqlValue[] }>>();
  if (categoricalUse.size > 0) {
    const catVars = [...categoricalUse.keys()];
    const exprs = catVars.map((v) => vars.get(v)!.sql);
    const gsets = exprs.map((e) => `(${e})`).join(', ');
    const sel = exprs.map((e, k) => `${e} AS c${k}`).join(', ');
    const groupFlags = exprs.map((e) => `GROUPING(${e})`).join(', ');
    const rows = await runPass(source, `SELECT ${sel}, ${groupFlags}, COUNT(*) ${from} GROUP BY GROUPING SETS (${gsets})`, 'categorical levels', fn, counter, onPass);
    const m = catVars.length;
    for (const v of catVars) levelCounts.set(v, new Map());
    for (const row of rows) {
      // GROUPING(e) is 0 for the set the row belongs to.
      const k = row.slice(m, 2 * m).findIndex((g) => toNumber(g) === 0);
      const value = row[k];
      const key = valueKey(value);
      const map = levelCounts.get(catVars[k])!;
      const entry = map.get(key) ?? { count: 0, values: [] };
      entry.count += toNumber(row[2 * m]);
      entry.values.push(value);
      map.set(key, entry);
    }
    let block = 0;
    for (const [v, s] of categoricalUse) codings.set(v, fitCoding(s, levelCounts.get(v)!, block++, fn));
  }

  // Passes 3…: the orthogonal-polynomial recurrence, one pass per degree (Stieltjes).
  const polyState = new Map<string, { alpha: number[]; norm2: number[] }>();
  for (const [v, d] of polyUse) {
    if (stats[distinctSlot.get(v)!] <= d) throw new DataError(fn, `degree ${d} must be less than the number of unique points (${stats[distinctSlot.get(v)!]}) of '${v}'`);
    polyState.set(v, { alpha: [mean(v)], norm2: [1, n] });
  }
  const maxDeg = Math.max(0, ...polyUse.values());
  for (let k = 1; k <= maxDeg; k++) {
    const list = [...polyUse].filter(([, d]) => d >= k);
    const sel: string[] = [];
    for (const [v, d] of list) {
      const pk = polyTermSql(numericUse.get(v)!, polyState.get(v)!, k);
      sel.push(`SUM(${pk} * ${pk})`);
      sel.push(k < d ? `SUM(${numericUse.get(v)} * ${pk} * ${pk})` : num(0));
    }
    const r = (await runPass(source, `SELECT ${sel.join(', ')} ${from}`, `polynomial recurrence, degree ${k}`, fn, counter, onPass))[0].map(toNumber);
    list.forEach(([v, d], j) => {
      const st = polyState.get(v)!;
      st.norm2.push(r[2 * j]);
      if (k < d) st.alpha.push(r[2 * j + 1] / r[2 * j]);
    });
  }

  // Expressions, names, groups.
  const exprs: string[] = [];
  const shifts: number[] = [];
  const info: ColumnInfo[] = [];
  const exclusive: number[] = [];
  const checkNames = (s: { names?: readonly string[] }, what: string, count: number, defaults: string[]) => {
    if (s.names === undefined) return defaults;
    if (!Array.isArray(s.names) || s.names.length !== count) {
      throw new OptionError(fn, `names of ${what} must list ${count} column name(s), got ${Array.isArray(s.names) ? s.names.length : typeof s.names}`);
    }
    return s.names.map(String);
  };
  const dummySql = (c: Coding, k: number) => {
    const v = vars.get(c.column)!;
    const lits = c.levels[k].values.map((x) => (x === null ? 'NULL' : typeof x === 'string' ? quoteString(x) : num(Number(x))));
    return `(CASE WHEN ${v.sql} IN (${lits.join(', ')}) THEN ${num(1)} ELSE ${num(0)} END)`;
  };
  const specFirst: number[] = [];
  const blocks: SqlDesign['blocks'] = [];
  for (const s of specs) {
    specFirst.push(info.length);
    if (s.type === 'interaction') {
      const [a, b] = sidesOf(s);
      const source_ = `${a}:${b}`;
      const group = s.group ?? source_;
      const side = (v: string) => {
        const c = codings.get(v);
        if (c) {
          const own = categoricalSpecOf(v)?.names;
          const labels = own && own.length === c.levels.length ? own.map(String) : c.levels.map((l) => `${v}${l.level}`);
          return { labels, sql: c.levels.map((_, k) => dummySql(c, k)), shift: c.levels.map((_, k) => c.levels[k].count / n) };
        }
        return { labels: [v], sql: [numericUse.get(v)!], shift: [mean(v)] };
      };
      const A = side(a), B = side(b);
      const defaults: string[] = [];
      for (const la of A.labels) for (const lb of B.labels) defaults.push(`${la}:${lb}`);
      const names = checkNames(s, `interaction ${source_}`, defaults.length, defaults);
      let k = 0;
      for (let i = 0; i < A.sql.length; i++) {
        for (let j = 0; j < B.sql.length; j++) {
          exprs.push(`(${A.sql[i]} * ${B.sql[j]})`);
          shifts.push(A.shift[i] * B.shift[j]);
          info.push({ name: names[k++], source: source_, sources: [a, b], group, kind: 'interaction' });
          exclusive.push(-1);
        }
      }
      continue;
    }
    const column = s.column;
    const group = s.group ?? column;
    if (s.type === 'numeric') {
      const names = checkNames(s, `'${column}'`, 1, [column]);
      exprs.push(numericUse.get(column)!);
      shifts.push(mean(column));
      info.push({ name: names[0], source: column, sources: [column], group, kind: 'numeric' });
      exclusive.push(-1);
    } else if (s.type === 'categorical') {
      const c = codings.get(column)!;
      const names = checkNames(s, `'${column}'`, c.levels.length, c.levels.map((l) => `${column}${l.level}`));
      const blk = { sql: vars.get(column)!.sql, columns: [] as number[], columnOf: new Map<string, number>() };
      blocks[c.block] = blk;
      c.levels.forEach((l, k) => {
        blk.columns.push(exprs.length);
        for (const x of l.values) blk.columnOf.set(valueKey(x), exprs.length);
        exprs.push(dummySql(c, k));
        shifts.push(c.levels[k].count / n);
        info.push({ name: names[k], source: column, sources: [column], group, kind: 'dummy', level: l.level });
        exclusive.push(c.block);
      });
    } else if (s.type === 'poly') {
      const x = numericUse.get(column)!;
      if (s.raw) {
        const names = checkNames(s, `'${column}'`, s.degree, Array.from({ length: s.degree }, (_, k) => (k === 0 ? column : `${column}^${k + 1}`)));
        for (let k = 1; k <= s.degree; k++) {
          exprs.push(k === 1 ? x : `POWER(${x}, ${num(k)})`);
          shifts.push(mean(column) ** k);
          info.push({ name: names[k - 1], source: column, sources: [column], group, kind: 'rawpoly' });
          exclusive.push(-1);
        }
      } else {
        const st = polyState.get(column)!;
        const names = checkNames(s, `'${column}'`, s.degree, Array.from({ length: s.degree }, (_, k) => `${column}${k + 1}`));
        for (let k = 1; k <= s.degree; k++) {
          exprs.push(`(${polyTermSql(x, st, k)} / ${num(Math.sqrt(st.norm2[k + 1]))})`);
          shifts.push(0);
          info.push({ name: names[k - 1], source: column, sources: [column], group, kind: 'poly' });
          exclusive.push(-1);
        }
      }
    } else {
      const j = splineUse.findIndex((u) => u.spec === s);
      const sl = splineSlots[j];
      const lo = stats[sl.lo], hi = stats[sl.hi];
      if (!(hi > lo)) throw new DataError(fn, `a spline expansion needs at least two distinct values ('${column}')`);
      const spline = splineFromKnots(s, lo, hi, sl.q.map((q) => stats[q]), fn);
      const pieces = splinePieces(spline);
      const names = checkNames(s, `'${column}'`, s.df, Array.from({ length: s.df }, (_, k) => `${column}_${s.type}${k + 1}`));
      pieces.forEach((p, k) => {
        exprs.push(splineSql(p, numericUse.get(column)!));
        shifts.push(0);
        info.push({ name: names[k], source: column, sources: [column], group, kind: s.type });
        exclusive.push(-1);
      });
    }
  }
  // Group names: the same group from two specs only when both name it explicitly (as buildDesign).
  const owner = new Map<string, { k: number; explicit: boolean }>();
  specs.forEach((s, k) => {
    const g = info[specFirst[k]].group;
    const explicit = (s as { group?: string }).group !== undefined;
    const prev = owner.get(g);
    if (prev && !(prev.explicit && explicit)) throw new OptionError(fn, `specs ${prev.k + 1} and ${k + 1} both make group '${g}'; give them distinct 'group' names (or the same explicit one to merge them)`);
    owner.set(g, { k, explicit });
  });
  const seen = new Set<string>();
  for (const c of info) {
    if (seen.has(c.name)) throw new OptionError(fn, `two design columns are named '${c.name}'; rename one with 'names'`);
    seen.add(c.name);
  }
  const groups = info.map((c) => c.group);
  return {
    exprs, y: ySql, target, where, n, dropped: total - complete,
    columnNames: info.map((c) => c.name), columnInfo: info, groups, groupNames: [...new Set(groups)],
    groupStructure: makeGroups(groups, groups.length, {}, fn),
    shifts: Float64Array.from(shifts), yShift: mean(target), exclusiveBlock: Int32Array.from(exclusive), blocks: blocks.filter((b) => b !== undefined), passes: counter.passes,
  };
}

/**
 * P_k(x) of the recurrence P_0 = 1, P_1 = x − α_0, P_{j+1} = (x − α_j) P_j − (‖P_j‖²/‖P_{j−1}‖²) P_{j−1}
 * (norm2 = [1, n, ‖P_1‖², …] as `PolyCoefs`), written out as SQL.
 */
function polyTermSql(x: string, st: { alpha: number[]; norm2: number[] }, k: number): string {
  let prev = num(1);
  let cur = `(${x} - ${num(st.alpha[0])})`;
  for (let j = 1; j < k; j++) {
    const next = `((${x} - ${num(st.alpha[j])}) * ${cur} - ${num(st.norm2[j + 1] / st.norm2[j])} * ${prev})`;
    prev = cur;
    cur = next;
  }
  return k === 0 ? prev : cur;
}

/** The spline basis `bsFit`/`nsFit` would fit, from the range and the interior knots computed in SQL. */
function splineFromKnots(s: SplineSpec, lo: number, hi: number, inner: number[], fn: string): SplineBasis {
  // bsFit/nsFit build the knot sequence (and ns its constraint QR) from data: give them a small
  // sample with this range and these quantiles, so the basis comes from their own code.
  const sample = syntheticSample(lo, hi, inner);
  const fit = s.type === 'bs' ? bsFit(sample, s.df, s.degree ?? 3, fn) : nsFit(sample, s.df, fn);
  return fit.spline;
}

/**
 * Points whose range is [lo, hi] and whose type-7 quantiles at k/(m+1), k = 1…m, are exactly
 * `inner` (m values): the m + 2 points lo ≤ inner… ≤ hi, for which quantile7 at probability
 * k/(m+1) falls on the k-th interior point (index (m+1)·k/(m+1) = k, to rounding).
 */
function syntheticSample(lo: number, hi: number, inner: number[]): Float64Array {
  return Float64Array.from([lo, ...inner, hi]);
}

/** Categorical coding from the level counts (same rules as buildDesign's fitCategorical). */
function fitCoding(spec: CategoricalSpec, counts: Map<string, { count: number; values: SqlValue[] }>, block: number, fn: string): Coding {
  checkChoice(fn, `unseen policy of '${spec.column}'`, spec.unseen ?? 'error', ['error', 'zero'] as const);
  const valueLevel = new Map<string, string>();
  let levels: string[];
  if (spec.levels !== undefined && !Array.isArray(spec.levels)) {
    const merge = new Map<string, string>();
    for (const [lev, vals] of Object.entries(spec.levels as Record<string, readonly string[]>)) {
      if (!Array.isArray(vals)) throw new OptionError(fn, `levels of '${spec.column}': '${lev}' must map to an array of values`);
      for (const v of vals) {
        if (merge.has(String(v))) throw new OptionError(fn, `levels of '${spec.column}': value '${v}' is merged into both '${merge.get(String(v))}' and '${lev}'`);
        merge.set(String(v), lev);
      }
    }
    for (const key of counts.keys()) valueLevel.set(key, merge.get(key) ?? key);
    levels = [...new Set(valueLevel.values())].sort(compareLevels);
  } else if (Array.isArray(spec.levels)) {
    levels = (spec.levels as readonly unknown[]).map(String);
    if (new Set(levels).size !== levels.length) throw new OptionError(fn, `levels of '${spec.column}' repeat a level`);
    for (const key of counts.keys()) {
      if (!levels.includes(key)) throw new DataError(fn, `column '${spec.column}' has value '${key}', which is not among the declared levels ${levels.map((l) => `'${l}'`).join(', ')}`);
      valueLevel.set(key, key);
    }
    for (const l of levels) if (!counts.has(l)) throw new DataError(fn, `declared level '${l}' of '${spec.column}' does not occur in the data (its dummy would be all zero)`);
  } else {
    for (const key of counts.keys()) valueLevel.set(key, key);
    levels = [...counts.keys()].sort(compareLevels);
  }
  if (levels.length < 2) throw new DataError(fn, `categorical column '${spec.column}' has a single level '${levels[0]}': it carries no information`);
  const reference = spec.reference !== undefined ? String(spec.reference) : levels[0];
  if (!levels.includes(reference)) throw new OptionError(fn, `reference level '${reference}' of '${spec.column}' is not a level; levels are ${levels.map((l) => `'${l}'`).join(', ')}`);
  const out = levels.filter((l) => l !== reference).map((level) => {
    const values: SqlValue[] = [];
    for (const [key, lev] of valueLevel) if (lev === level) values.push(...counts.get(key)!.values);
    let count = 0;
    for (const [key, lev] of valueLevel) if (lev === level) count += counts.get(key)!.count;
    return { level, values, count };
  });
  return { column: spec.column, levels: out, block };
}
