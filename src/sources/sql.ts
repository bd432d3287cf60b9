/**
 * SQL text shared by every statement the SQL sources run. One dialect-neutral subset is used, so
 * the same statements run unchanged on DuckDB and PostgreSQL (and on any engine with standard
 * aggregates, CASE, CAST, LN/EXP/SQRT/POWER, LEAST/GREATEST): identifiers double-quoted, every
 * number written as `CAST('…' AS DOUBLE PRECISION)` (a bare `0.1` is an exact DECIMAL/NUMERIC in
 * both engines, and integer columns would divide as integers), no engine-specific functions.
 */
import { GroupSparseError } from '../errors.ts';

/** A failure of the database engine or of the connection (the engine's message is kept). */
export class SourceError extends GroupSparseError {}

/** Double-quoted SQL identifier ("a""b" for a"b). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A possibly qualified name `schema.table` → `"schema"."table"`. */
export function quoteQualified(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

/** SQL string literal. */
export function quoteString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * A double as SQL text: the shortest round-trip decimal, parsed as DOUBLE PRECISION by both
 * engines (correctly rounded), so the engine sees the same bits as JavaScript.
 */
export function num(x: number): string {
  if (!Number.isFinite(x)) throw new GroupSparseError('sql', `cannot write the non-finite number ${x} into SQL`);
  if (Number.isInteger(x) && Math.abs(x) < 2 ** 31) return `CAST(${x} AS DOUBLE PRECISION)`;
  return `CAST('${String(x)}' AS DOUBLE PRECISION)`;
}

/** A column read as a double. */
export function dbl(column: string): string {
  return `CAST(${quoteIdent(column)} AS DOUBLE PRECISION)`;
}

/**
 * Count of the rows where `expr` is NULL or not finite. `e − e` is 0 for every finite double and
 * NaN for ±Inf and NaN; both engines order NaN above every number, so `NaN <> 0` holds.
 */
export function countBad(expr: string): string {
  return `SUM(CASE WHEN ${expr} IS NULL THEN 1 WHEN (${expr}) - (${expr}) <> 0 THEN 1 ELSE 0 END)`;
}

/** `expr IS NOT NULL AND expr − expr = 0`: the row has a finite value. */
export function isFinite(expr: string): string {
  return `(${expr} IS NOT NULL AND (${expr}) - (${expr}) = 0)`;
}
