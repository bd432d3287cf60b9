/**
 * Fold labels from a row key, computed identically in SQL (any engine with 64-bit integers) and
 * in JavaScript: h = ((k mod M) + M) mod M, h ← (48271·h + 12345) mod M, fold = (h² mod M) mod K,
 * M = 2³¹ − 1. Every intermediate is below 2⁶³, so BIGINT arithmetic never overflows; the
 * square breaks the linearity of the congruential step, so consecutive keys spread over folds.
 */
import { ValueError } from '../errors.ts';
import { quoteIdent } from './sql.ts';

const M = 2147483647n;

/** K folds, K a whole number ≥ 2 (in SQL text it is interpolated, so it must be a plain integer). */
function checkFolds(fn: string, K: unknown): void {
  if (typeof K !== 'number' || !Number.isInteger(K) || K < 2 || K > 2 ** 31 - 1) {
    throw new ValueError(fn, `K (the number of folds) must be a whole number from 2 to 2^31 − 1, got ${String(K)}`);
  }
}

/** SQL of the fold label (0…K−1) of integer column `key`. */
export function foldSql(key: string, K: number): string {
  if (typeof key !== 'string' || key === '') throw new ValueError('foldSql', `key must be a column name, got ${key === '' ? "''" : String(key)}`);
  checkFolds('foldSql', K);
  const k = `CAST(${quoteIdent(key)} AS BIGINT)`;
  const h0 = `(((${k} % ${M}) + ${M}) % ${M})`;
  const h1 = `((48271 * ${h0} + 12345) % ${M})`;
  return `(((${h1} * ${h1}) % ${M}) % ${K})`;
}

/** The fold label {@link foldSql} gives key k (for checks and in-memory twins). */
export function foldOfKey(key: number | bigint, K: number): number {
  if (!(typeof key === 'bigint' || Number.isSafeInteger(key))) throw new ValueError('foldOfKey', `key must be an integer (a safe integer or a bigint), got ${String(key)}`);
  checkFolds('foldOfKey', K);
  let h = BigInt(key) % M;
  if (h < 0n) h += M;
  h = (48271n * h + 12345n) % M;
  return Number(((h * h) % M) % BigInt(K));
}
