import { ValueError } from '../errors.ts';

/**
 * Small dense symmetric positive definite systems: the one Cholesky factorization of the library
 * (ADMM w-updates, the Newton steps of the unpenalized fit, Anderson extrapolation, the channel
 * Gram systems of neural pruning), with its
 * ridge policy.
 */

/**
 * How much is added to the diagonal before factorizing, so that a rank-deficient (positive
 * semidefinite) matrix still factors: M_jj·`diagonal` on each positive diagonal entry (relative
 * to that entry: one ridge relative to the largest entry swamped the curvature of columns on a much
 * smaller scale), and `diagonal`·max_j M_jj on a zero one (1 when M is all zero).
 */
export interface RidgePolicy {
  diagonal: number;
}

/**
 * Cholesky factor L of a symmetric positive definite k × k matrix M (column-major, lower triangle
 * read), M = L Lᵀ, written into `L` (column-major, lower). Returns false when M is not numerically
 * positive definite.
 */
export function choleskyFactor(M: Float64Array, k: number, L: Float64Array, ridge?: RidgePolicy): boolean {
  L.fill(0);
  let maxDiag = 0;
  if (ridge) for (let j = 0; j < k; j++) maxDiag = Math.max(maxDiag, M[j + j * k]);
  for (let j = 0; j < k; j++) {
    let s = M[j + j * k];
    if (ridge) s += s > 0 ? ridge.diagonal * s : maxDiag > 0 ? ridge.diagonal * maxDiag : 1;
    const oj = j;
    for (let m = 0; m < j; m++) {
      const v = L[oj + m * k];
      s -= v * v;
    }
    if (!(s > 0)) return false;
    const d = Math.sqrt(s);
    L[j + j * k] = d;
    const inv = 1 / d;
    for (let i = j + 1; i < k; i++) L[i + j * k] = M[i + j * k];
    // Column j below the diagonal: (M[i,j] − Σ_m L[i,m] L[j,m]) / d, done column by column of L so
    // the inner loop runs over contiguous memory.
    for (let m = 0; m < j; m++) {
      const ljm = L[j + m * k];
      if (ljm === 0) continue;
      const om = m * k;
      const oc = j * k;
      for (let i = j + 1; i < k; i++) L[oc + i] -= L[om + i] * ljm;
    }
    for (let i = j + 1; i < k; i++) L[i + j * k] *= inv;
  }
  return true;
}

/** x ← L⁻¹ x in place (forward substitution), L lower triangular k × k column-major. */
export function forwardSubstitute(L: Float64Array, k: number, x: Float64Array, offset = 0): void {
  for (let j = 0; j < k; j++) {
    const v = (x[offset + j] /= L[j + j * k]);
    if (v === 0) continue;
    const o = j * k;
    for (let i = j + 1; i < k; i++) x[offset + i] -= L[o + i] * v;
  }
}

/** x ← L⁻ᵀ x in place (back substitution; row j of Lᵀ is column j of L). */
export function backSubstitute(L: Float64Array, k: number, x: Float64Array, offset = 0): void {
  for (let j = k - 1; j >= 0; j--) {
    const o = j * k;
    let s = x[offset + j];
    for (let i = j + 1; i < k; i++) s -= L[o + i] * x[offset + i];
    x[offset + j] = s / L[j + j * k];
  }
}

/** x ← (L Lᵀ)⁻¹ x in place, L lower triangular k × k column-major. */
export function choleskySolveInPlace(L: Float64Array, k: number, x: Float64Array): void {
  forwardSubstitute(L, k, x);
  backSubstitute(L, k, x);
}

/**
 * X ← (L Lᵀ)⁻¹ X in place for the m columns of X (k × m column-major), four at a time: each entry
 * of L is loaded once for four right-hand sides instead of once for each (the refits of neural
 * pruning solve hundreds of them per factor, and spent a quarter of an SSD pruning in the solves).
 * Every column goes through the operations of {@link choleskySolveInPlace} in the same order, so
 * the results are those of solving the columns one by one.
 */
export function choleskySolveColumns(L: Float64Array, k: number, X: Float64Array, m: number): void {
  if (X.length < k * m) throw new ValueError('choleskySolveColumns', `X must hold ${k} × ${m} entries, got ${X.length}`);
  let c = 0;
  for (; c + 4 <= m; c += 4) {
    const a = c * k, b = a + k, e = b + k, f = e + k;
    for (let j = 0; j < k; j++) {
      const d = L[j + j * k];
      const v0 = (X[a + j] /= d), v1 = (X[b + j] /= d), v2 = (X[e + j] /= d), v3 = (X[f + j] /= d);
      const o = j * k;
      for (let i = j + 1; i < k; i++) {
        const l = L[o + i];
        X[a + i] -= l * v0;
        X[b + i] -= l * v1;
        X[e + i] -= l * v2;
        X[f + i] -= l * v3;
      }
    }
    for (let j = k - 1; j >= 0; j--) {
      const o = j * k;
      let s0 = X[a + j], s1 = X[b + j], s2 = X[e + j], s3 = X[f + j];
      for (let i = j + 1; i < k; i++) {
        const l = L[o + i];
        s0 -= l * X[a + i];
        s1 -= l * X[b + i];
        s2 -= l * X[e + i];
        s3 -= l * X[f + i];
      }
      const d = L[j + j * k];
      X[a + j] = s0 / d;
      X[b + j] = s1 / d;
      X[e + j] = s2 / d;
      X[f + j] = s3 / d;
    }
  }
  for (; c < m; c++) {
    forwardSubstitute(L, k, X, c * k);
    backSubstitute(L, k, X, c * k);
  }
}

/**
 * Factor a symmetric positive semidefinite M that may be singular (collinear columns): the ridge
 * policy `{ diagonal }` for diagonal = first, 1e3·first, … up to 1e-3, the first that factors.
 * Returns the ridge used; throws when even the largest fails (M is not semidefinite: NaN, or a
 * negative eigenvalue beyond rounding).
 */
export function choleskyFactorSemidefinite(M: Float64Array, k: number, L: Float64Array, fn: string, first = 1e-12): number {
  for (let d = first; d <= 1e-3 * (1 + 1e-9); d *= 1e3) if (choleskyFactor(M, k, L, { diagonal: d })) return d;
  throw new ValueError(fn, `the ${k} × ${k} Gram matrix does not factor even with a ridge of 1e-3 (not positive semidefinite, or not finite)`);
}

/** Solve M x = b (M symmetric positive definite k × k, column-major) into x; false when M does not factor. */
export function choleskySolve(M: Float64Array, k: number, b: Float64Array, x: Float64Array, ridge?: RidgePolicy): boolean {
  const L = new Float64Array(k * k);
  if (!choleskyFactor(M, k, L, ridge)) return false;
  x.set(b.subarray(0, k));
  choleskySolveInPlace(L, k, x);
  return true;
}
