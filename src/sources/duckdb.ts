/**
 * DuckDB sources (embedded, `@duckdb/node-api`): Parquet or CSV files read in place and out of
 * core, or a table in a DuckDB database file. DuckDB runs each aggregate pass on all its threads.
 */
import './register.ts';
import { OptionError } from '../errors.ts';
import { engineError, relationOf, typeKind, type SourceColumn, type SqlSource, type SqlValue } from './source.ts';
import { quoteString } from './sql.ts';

/** What a DuckDB source reads. Exactly one of `parquet`, `csv`, `table` (with or without `database`), `relation`. */
export interface DuckDBSourceOptions {
  /** A Parquet file (or glob). */
  parquet?: string;
  /** A CSV file (or glob), types detected by DuckDB. */
  csv?: string;
  /** A DuckDB database file (default: an in-memory database). */
  database?: string;
  /** A table or view of the database. */
  table?: string;
  /** Any SQL relation text (advanced: a subquery in parentheses with an alias, a table function). */
  relation?: string;
  /** Worker threads (default DuckDB's: all cores). */
  threads?: number;
  /** DuckDB's memory limit, e.g. '500MB' (default DuckDB's: 80 % of RAM); it spills to disk beyond. */
  memoryLimit?: string;
  /** Open the database file read-only (default true when `database` is given). */
  readOnly?: boolean;
  /** An existing connection (from `@duckdb/node-api`) to run on instead of opening a database. */
  connection?: unknown;
}

interface Connection {
  runAndReadAll(sql: string): Promise<{ getRowsJS(): unknown[][]; columnNames(): string[]; columnTypes(): { toString(): string }[] }>;
  run(sql: string): Promise<unknown>;
  closeSync(): void;
}

/** Open a DuckDB source. */
export async function duckdbSource(options: DuckDBSourceOptions): Promise<SqlSource> {
  const fn = 'duckdbSource';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new OptionError(fn, `options must be an object with one of parquet, csv, table, relation; got ${options === null ? 'null' : typeof options}`);
  }
  const given = ['parquet', 'csv', 'table', 'relation'].filter((k) => (options as Record<string, unknown>)[k] !== undefined);
  if (given.length !== 1) throw new OptionError(fn, `give exactly one of parquet, csv, table, relation (got ${given.length ? given.join(', ') : 'none'})`);
  let relation: string;
  let description: string;
  let defaultRowKey: string | undefined;
  if (options.parquet !== undefined) {
    relation = `read_parquet(${quoteString(options.parquet)}, file_row_number = true)`;
    description = options.parquet;
    defaultRowKey = 'file_row_number';
  } else if (options.csv !== undefined) {
    relation = `read_csv(${quoteString(options.csv)})`;
    description = options.csv;
  } else if (options.table !== undefined) {
    relation = relationOf(options.table);
    description = `${options.database ?? 'DuckDB'} table ${options.table}`;
  } else {
    relation = options.relation!;
    description = `DuckDB relation ${relation}`;
  }
  let conn: Connection;
  let owned: { closeSync(): void } | undefined;
  if (options.connection !== undefined) {
    conn = options.connection as Connection;
  } else {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const cfg: Record<string, string> = {};
    if (options.threads !== undefined) cfg.threads = String(options.threads);
    if (options.memoryLimit !== undefined) cfg.memory_limit = options.memoryLimit;
    if (options.database !== undefined && (options.readOnly ?? true)) cfg.access_mode = 'READ_ONLY';
    try {
      const db = await DuckDBInstance.create(options.database ?? ':memory:', cfg);
      owned = db;
      conn = (await db.connect()) as unknown as Connection;
    } catch (e) {
      throw engineError(fn, description, 'opening the database', e);
    }
  }
  const source: SqlSource = {
    dialect: 'duckdb',
    description,
    relation,
    defaultRowKey,
    async query(sql: string): Promise<SqlValue[][]> {
      const r = await conn.runAndReadAll(sql);
      return r.getRowsJS() as SqlValue[][];
    },
    async columns(): Promise<SourceColumn[]> {
      let r;
      try {
        r = await conn.runAndReadAll(`SELECT * FROM ${relation} LIMIT 0`);
      } catch (e) {
        throw engineError(fn, description, 'reading the columns', e);
      }
      const names = r.columnNames();
      const types = r.columnTypes().map((t) => t.toString());
      return names.map((name, k) => ({ name, type: types[k], kind: typeKind(types[k]) }));
    },
    async close() {
      if (owned) {
        conn.closeSync();
        owned.closeSync();
        owned = undefined;
      }
    },
  };
  return source;
}
