import { DataError, ShapeError } from '../errors.ts';
import { callerName } from '../util/validate.ts';

/** One column of a table: numbers when every entry is a number, else strings. */
export type TableColumn = Float64Array | string[];

/**
 * A rectangular table with named, typed columns: what {@link readCsv} returns and what
 * {@link buildDesign} reads. `columns[k]` belongs to `names[k]` and has `nRows` entries. A numeric
 * column is a Float64Array of finite numbers (missing values never reach a table: they are refused or
 * their rows dropped when reading).
 */
export interface Table {
  readonly names: readonly string[];
  readonly columns: readonly TableColumn[];
  readonly nRows: number;
  /**
   * 1-based line numbers (in the source file) of the rows dropped for missing values by
   * `missing: 'drop-rows'`; empty when nothing was dropped or the table was not read from a file.
   */
  readonly droppedLines: readonly number[];
}

/** True for a numeric column. */
export function isNumericColumn(c: TableColumn): c is Float64Array {
  return c instanceof Float64Array;
}

/**
 * A Table at a public entry: O(columns) shape checks (names and columns paired, every column
 * nRows long), not a pass over the entries.
 */
export function checkTable(fn: string, table: unknown): asserts table is Table {
  const t = table as Table | null;
  if (t === null || typeof t !== 'object' || !Array.isArray(t.names) || !Array.isArray(t.columns) ||
    !Number.isInteger(t.nRows) || t.nRows < 0) {
    throw new DataError(fn, 'expected a table (from readCsv or tableFromColumns)');
  }
  if (t.names.length !== t.columns.length) throw new DataError(fn, `the table has ${t.names.length} names but ${t.columns.length} columns`);
  t.columns.forEach((c, k) => {
    if (!(c instanceof Float64Array || Array.isArray(c)) || c.length !== t.nRows) {
      throw new DataError(fn, `column '${t.names[k]}' is not an array of ${t.nRows} entries`);
    }
  });
}

/** Index of column `name`, or a DataError that lists the available names. */
export function columnIndex(table: Table, name: string, fn: string): number {
  // O(1) here (called once per column by the design builders); the full shape check is checkTable.
  const t = table as Table | null;
  if (t === null || typeof t !== 'object' || !Array.isArray(t.names) || !Array.isArray(t.columns)) {
    throw new DataError(fn, 'expected a table (from readCsv or tableFromColumns)');
  }
  if (typeof name !== 'string') throw new DataError(fn, `column name must be a string, got ${name === null ? 'null' : typeof name}`);
  const k = table.names.indexOf(name);
  if (k < 0) {
    throw new DataError(fn, `unknown column '${name}'; the table has ${table.names.map((n) => `'${n}'`).join(', ')}`);
  }
  return k;
}

/** Column `name` of a table (a DataError naming the available columns if absent). */
export function getColumn(table: Table, name: string, fn = 'getColumn'): TableColumn {
  const k = columnIndex(table, name, callerName(fn, 'getColumn')); // checks the table before it is read
  return table.columns[k];
}

/** Column `name` as numbers; a string column is refused with the first entry that is not a number. */
export function numericColumn(table: Table, name: string, fn = 'numericColumn'): Float64Array {
  fn = callerName(fn, 'numericColumn');
  const c = getColumn(table, name, fn);
  if (isNumericColumn(c)) return c;
  const bad = c.findIndex((s) => !Number.isFinite(Number(s)) || s.trim() === '');
  throw new DataError(fn, `column '${name}' is not numeric (row ${bad + 1} has '${c[bad]}')`);
}

/**
 * Build a table from named columns, e.g. `tableFromColumns({ age: [19, 33], race: ['b', 'w'] })`.
 * Arrays of numbers become numeric columns (refused if any entry is NaN/Inf: missing values must
 * be handled before modelling); arrays of strings stay strings.
 */
export function tableFromColumns(columns: Record<string, ArrayLike<number> | readonly string[]>, fn = 'tableFromColumns'): Table {
  fn = callerName(fn, 'tableFromColumns');
  // A string or a number has no named columns: Object.keys('junk') would make columns '0'..'3'.
  if (columns === null || typeof columns !== 'object' || Array.isArray(columns) || ArrayBuffer.isView(columns)) {
    throw new DataError(fn, `expected columns by name ({ name: values }), got ${columns === null ? 'null' : Array.isArray(columns) ? 'an array' : typeof columns}`);
  }
  const names = Object.keys(columns);
  if (names.length === 0) throw new DataError(fn, 'no columns');
  const cols: TableColumn[] = [];
  let n = -1;
  for (const name of names) {
    const c = columns[name];
    if (c === null || c === undefined || typeof c.length !== 'number') throw new DataError(fn, `column '${name}' is not an array`);
    if (n < 0) n = c.length;
    else if (c.length !== n) throw new ShapeError(fn, `column '${name}' has ${c.length} entries, '${names[0]}' has ${n}`);
    if (c.length > 0 && typeof c[0] === 'string') {
      const s: string[] = [];
      for (let i = 0; i < c.length; i++) {
        if (typeof c[i] !== 'string') throw new DataError(fn, `column '${name}' mixes strings and ${typeof c[i]} (row ${i + 1})`);
        s.push(c[i] as string);
      }
      cols.push(s);
    } else {
      const f = new Float64Array(c.length);
      for (let i = 0; i < c.length; i++) {
        const v = c[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new DataError(fn, `column '${name}' has a non-finite or non-numeric value (${String(v)}) at row ${i + 1}`);
        }
        f[i] = v;
      }
      cols.push(f);
    }
  }
  return { names, columns: cols, nRows: n, droppedLines: [] };
}

/** Rows of a table as plain objects (for printing and interop). */
export function tableToRows(table: Table): Record<string, number | string>[] {
  checkTable('tableToRows', table);
  const out: Record<string, number | string>[] = [];
  for (let i = 0; i < table.nRows; i++) {
    const r: Record<string, number | string> = {};
    table.names.forEach((name, k) => {
      r[name] = table.columns[k][i];
    });
    out.push(r);
  }
  return out;
}

/** The rows `idx` of a table, in order (all columns). */
export function selectTableRows(table: Table, idx: ArrayLike<number>): Table {
  const fn = 'selectTableRows';
  checkTable(fn, table);
  if (idx === null || typeof idx !== 'object' || typeof idx.length !== 'number') throw new DataError(fn, 'idx must be an array of row indices');
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (!Number.isInteger(i) || i < 0 || i >= table.nRows) throw new DataError(fn, `idx[${k}] = ${String(i)} is not a row index (the table has ${table.nRows} rows)`);
  }
  const cols = table.columns.map((c) => {
    if (isNumericColumn(c)) {
      const f = new Float64Array(idx.length);
      for (let k = 0; k < idx.length; k++) f[k] = c[idx[k]];
      return f;
    }
    const s: string[] = new Array(idx.length);
    for (let k = 0; k < idx.length; k++) s[k] = c[idx[k]];
    return s;
  });
  return { names: table.names, columns: cols, nRows: idx.length, droppedLines: [] };
}
