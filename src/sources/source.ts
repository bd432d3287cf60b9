/**
 * Data sources the SQL fits read from: a relation (table, view, or table function such as
 * `read_parquet('x.parquet')`) in a database engine that runs the aggregates. The engines' client
 * packages are imported lazily by the functions that open them, so importing groupsparse (or this
 * module) never loads a database driver.
 */
import { DataError, OptionError } from '../errors.ts';
import { quoteIdent, SourceError } from './sql.ts';

export type Dialect = 'duckdb' | 'postgres';

/** A value as the engine returns it (numbers may arrive as bigint; NULL as null). */
export type SqlValue = number | bigint | string | boolean | null;

/** One column of the relation. */
export interface SourceColumn {
  name: string;
  /** The engine's type name (DOUBLE, INTEGER, VARCHAR, int4, float8, …). */
  type: string;
  kind: 'numeric' | 'string' | 'other';
}

/** Where the rows live and how to run statements there. */
export interface SqlSource {
  readonly dialect: Dialect;
  /** What the source reads, for messages (`data.parquet`, `postgres://…/db table t`). */
  readonly description: string;
  /** SQL relation text used after FROM. */
  readonly relation: string;
  /** Default row key for folds (e.g. the file row number of a Parquet file), if the source has one. */
  readonly defaultRowKey?: string;
  /** Run one statement; rows as arrays in select order. */
  query(sql: string): Promise<SqlValue[][]>;
  /** The relation's columns and their kinds. */
  columns(): Promise<SourceColumn[]>;
  /** Release the connection (and the embedded database this source opened). */
  close(): Promise<void>;
}

/** Options of {@link openSource}. */
export interface OpenSourceOptions {
  /** Table (or view) name, for a database file or a PostgreSQL URL. */
  table?: string;
  /** Worker threads of the embedded DuckDB (default: its own default, all cores). */
  threads?: number;
}

/**
 * Open a source from a location string:
 * - `postgres://…` / `postgresql://…`: a PostgreSQL database (`table` required);
 * - `*.parquet`, `*.csv`, `*.tsv` (globs allowed): read by an embedded DuckDB, out of core;
 * - `*.duckdb` / `*.db`: a DuckDB database file, opened read-only (`table` required).
 */
export async function openSource(location: string, options: OpenSourceOptions = {}): Promise<SqlSource> {
  const fn = 'openSource';
  if (typeof location !== 'string' || location === '') throw new OptionError(fn, 'the location must be a non-empty string');
  if (/^postgres(ql)?:\/\//.test(location)) {
    if (!options.table) throw new OptionError(fn, `a PostgreSQL source needs the table name (option 'table', CLI --table)`);
    const { postgresSource } = await import('./postgres.ts');
    return postgresSource(location, options.table);
  }
  const { duckdbSource } = await import('./duckdb.ts');
  const lower = location.toLowerCase();
  if (/\.(duckdb|db)$/.test(lower)) {
    if (!options.table) throw new OptionError(fn, `a DuckDB database file needs the table name (option 'table', CLI --table)`);
    return duckdbSource({ database: location, table: options.table, threads: options.threads });
  }
  if (/\.parquet$/.test(lower)) return duckdbSource({ parquet: location, threads: options.threads });
  if (/\.(csv|tsv)(\.gz)?$/.test(lower)) return duckdbSource({ csv: location, threads: options.threads });
  throw new DataError(fn, `cannot tell what '${location}' is: expected postgres://…, *.parquet, *.csv, *.tsv, *.duckdb or *.db`);
}

/** Classify an engine type name. */
export function typeKind(type: string): SourceColumn['kind'] {
  const t = type.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*|NUMERIC.*|INT[248]?|FLOAT[48]|DOUBLE PRECISION)$/.test(t)) return 'numeric';
  if (/^(VARCHAR.*|TEXT|CHAR.*|CHARACTER.*|BPCHAR|NAME)$/.test(t)) return 'string';
  return 'other';
}

/** Wrap an engine error: the statement's role and the engine's message, never a partial result. */
export function engineError(fn: string, source: SqlSource | string, what: string, e: unknown): SourceError {
  const msg = e instanceof Error ? e.message : String(e);
  const desc = typeof source === 'string' ? source : source.description;
  return new SourceError(fn, `${what} failed on ${desc}: ${msg}`);
}

/** `SELECT … FROM relation` for a table name. */
export function relationOf(table: string): string {
  return table.split('.').map(quoteIdent).join('.');
}
