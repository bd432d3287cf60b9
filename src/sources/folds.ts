/**
 * Fold labels from a row key, computed identically in SQL (any engine with 64-bit integers) and
 * in JavaScript: h = ((k mod M) + M) mod M, h ← (48271·h + 12345) mod M, fold = (h² mod M) mod K,
 * M = 2³¹ − 1. Every intermediate is below 2⁶³, so BIGINT arithmetic never overflows; the
 * square breaks the linearity of the congruential step, so consecutive keys spread over folds.
 */
import { quoteIdent } from './sql.ts';

const M = 2147483647n;

/** SQL of the fold label (0…K−1) of integer column `key`. */
export function foldSql(key: string, K: number): string {
  const k = `CAST(${quoteIdent(key)} AS BIGINT)`;
  const h0 = `(((${k} % ${M}) + ${M}) % ${M})`;
  const h1 = `((48271 * ${h0} + 12345) % ${M})`;
  return `(((${h1} * ${h1}) % ${M}) % ${K})`;
}

/** The fold label {@link foldSql} gives key k (for checks and in-memory twins). */
export function foldOfKey(key: number | bigint, K: number): number {
  let h = BigInt(key) % M;
  if (h < 0n) h += M;
  h = (48271n * h + 12345n) % M;
  return Number(((h * h) % M) % BigInt(K));
}
