/**
 * Plain-sentence warnings about a fit that a certificate cannot give: the optimum is certified,
 * but the data make it fragile or the selection questionable. Each function looks at one thing
 * and returns the sentences it has to say (none when all is well).
 */
import type { DenseMatrix } from '../linalg/dense.ts';

/** Above this many multiply-adds the pairwise collinearity scan is skipped (p²n/2). */
const COLLINEARITY_WORK = 5e7;

/**
 * Columns standardization cannot use: constant ones (left at 0, their coefficients are 0) and
 * pairs of exactly collinear columns (|correlation| ≥ 1 − 1e-9: the lasso splits their effect
 * arbitrarily). `Xs` is the standardized (centred, unit-variance) design.
 */
/** Whether {@link designDiagnostics} compares the columns pairwise on an n × p design (else it names constant columns only). */
export function collinearityAffordable(n: number, p: number): boolean {
  return (p * p * n) / 2 <= COLLINEARITY_WORK;
}

/** `Xs` null: the pairwise check is skipped (see {@link collinearityAffordable}). */
export function designDiagnostics(Xs: DenseMatrix | null, names: readonly string[], constantColumns: readonly number[]): string[] {
  const out: string[] = [];
  if (constantColumns.length > 0) {
    const list = constantColumns.slice(0, 8).map((j) => names[j]).join(', ');
    out.push(`constant column(s) ${list}${constantColumns.length > 8 ? ', …' : ''}: standardization leaves them 0 and their coefficients are 0`);
  }
  if (Xs === null || !collinearityAffordable(Xs.rows, Xs.cols)) return out;
  const n = Xs.rows;
  const p = Xs.cols;
  const constant = new Set(constantColumns);
  const pairs: string[] = [];
  for (let a = 0; a < p && pairs.length < 8; a++) {
    if (constant.has(a)) continue;
    for (let b = a + 1; b < p && pairs.length < 8; b++) {
      if (constant.has(b)) continue;
      let s = 0;
      for (let i = 0; i < n; i++) s += Xs.data[a * n + i] * Xs.data[b * n + i];
      // Unit variance: the correlation is the mean product.
      if (Math.abs(s / n) >= 1 - 1e-9) pairs.push(`${names[a]} ~ ${names[b]}`);
    }
  }
  if (pairs.length > 0) {
    out.push(`collinear columns (correlation ±1): ${pairs.join(', ')}${pairs.length >= 8 ? ', …' : ''}: their coefficients are not identifiable, the fit splits the effect between them`);
  }
  return out;
}

/**
 * Groups whose coefficients exploded at the selected λ: on the standardized scale an effect of
 * more than 1e4 response standard deviations per standard deviation of the feature (squared
 * loss), or of more than 30 on the log scale (GLMs) — the sign of collinearity or separation, not
 * of a real effect.
 */
export function explodedGroups(groupNorms: ArrayLike<number>, names: readonly string[], limit: number): string[] {
  const big: string[] = [];
  for (let g = 0; g < groupNorms.length; g++) if (groupNorms[g] > limit) big.push(`${names[g]} (${groupNorms[g].toExponential(2)})`);
  if (big.length === 0) return [];
  return [`coefficients exploded in group(s) ${big.slice(0, 8).join(', ')}${big.length > 8 ? ', …' : ''} at the selected λ (norm on the standardized scale above ${limit.toExponential(1)}): collinear columns or separated labels`];
}
