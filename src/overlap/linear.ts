/**
 * Small dense and iterative linear solvers for the ADMM w-update: a Cholesky factorization kept
 * between solves, and preconditioned conjugate gradients for matrix-free systems.
 */

/**
 * Cholesky factor L of a symmetric positive definite k × k matrix M (column-major, lower triangle
 * read), M = L Lᵀ, written into `L` (column-major, lower). Returns false when M is not numerically
 * positive definite.
 */
export function choleskyFactor(M: Float64Array, k: number, L: Float64Array): boolean {
  L.fill(0);
  for (let j = 0; j < k; j++) {
    let s = M[j + j * k];
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

/** x ← (L Lᵀ)⁻¹ x in place, L lower triangular k × k column-major. */
export function choleskySolveInPlace(L: Float64Array, k: number, x: Float64Array): void {
  // Forward substitution L y = x, column-oriented.
  for (let j = 0; j < k; j++) {
    const v = (x[j] /= L[j + j * k]);
    if (v === 0) continue;
    const o = j * k;
    for (let i = j + 1; i < k; i++) x[i] -= L[o + i] * v;
  }
  // Back substitution Lᵀ x = y: row j of Lᵀ is column j of L.
  for (let j = k - 1; j >= 0; j--) {
    const o = j * k;
    let s = x[j];
    for (let i = j + 1; i < k; i++) s -= L[o + i] * x[i];
    x[j] = s / L[j + j * k];
  }
}

/** Work buffers of {@link pcg}, allocated once per system size. */
export class PcgWork {
  readonly r: Float64Array;
  readonly z: Float64Array;
  readonly p: Float64Array;
  readonly q: Float64Array;
  constructor(size: number) {
    this.r = new Float64Array(size);
    this.z = new Float64Array(size);
    this.p = new Float64Array(size);
    this.q = new Float64Array(size);
  }
}

/**
 * Preconditioned conjugate gradients for M x = b, M symmetric positive definite given by its
 * product `mul(v, out)`, Jacobi preconditioner `diag` (M's diagonal or an approximation of it).
 * Starts from the x given (warm start); stops when ‖b − Mx‖ ≤ relTol·‖b‖ or after maxIter
 * products. Returns the number of products used.
 */
export function pcg(
  mul: (v: Float64Array, out: Float64Array) => void, b: Float64Array, x: Float64Array, diag: Float64Array,
  relTol: number, maxIter: number, work: PcgWork,
): number {
  const { r, z, p, q } = work;
  const k = b.length;
  let bn = 0;
  for (let i = 0; i < k; i++) bn += b[i] * b[i];
  bn = Math.sqrt(bn);
  if (bn === 0) {
    x.fill(0);
    return 0;
  }
  mul(x, q);
  let rn = 0;
  for (let i = 0; i < k; i++) {
    r[i] = b[i] - q[i];
    rn += r[i] * r[i];
  }
  if (Math.sqrt(rn) <= relTol * bn) return 1;
  let rz = 0;
  for (let i = 0; i < k; i++) {
    z[i] = r[i] / diag[i];
    p[i] = z[i];
    rz += r[i] * z[i];
  }
  let it = 1;
  for (; it <= maxIter; it++) {
    mul(p, q);
    let pq = 0;
    for (let i = 0; i < k; i++) pq += p[i] * q[i];
    if (!(pq > 0)) break; // rounding has exhausted the Krylov space
    const alpha = rz / pq;
    rn = 0;
    for (let i = 0; i < k; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
      rn += r[i] * r[i];
    }
    if (Math.sqrt(rn) <= relTol * bn) break;
    let rzNew = 0;
    for (let i = 0; i < k; i++) {
      z[i] = r[i] / diag[i];
      rzNew += r[i] * z[i];
    }
    const beta = rzNew / rz;
    rz = rzNew;
    for (let i = 0; i < k; i++) p[i] = z[i] + beta * p[i];
  }
  return it + 1;
}
