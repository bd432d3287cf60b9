import { nrm2 } from './blas.ts';

/** Blocks up to this size are diagonalized by Jacobi rotations rather than power iteration. */
const JACOBI_MAX = 64;

/**
 * Largest eigenvalue of a small symmetric positive semidefinite m × m matrix, returned as a sure
 * upper bound: min(estimate·(1 + 1e-6), ‖M‖_F). Blocks up to m = 64 are diagonalized by cyclic
 * Jacobi rotations, whose cost and accuracy do not depend on the eigenvalue gap. Power iteration
 * (from a fixed start; larger blocks) needs hundreds of iterations when the top eigenvalues
 * cluster, as they do for the Hessian-weighted Gram matrix of an orthonormal group, and its
 * stopping test can then fire below λ_max — so beyond m = 64 the result is an estimate only.
 * Block coordinate descent uses it for the Lipschitz constant of a group's block.
 */
export function largestEigenvalueSpd(M: Float64Array, m: number): number {
  if (m <= JACOBI_MAX) return jacobiLargest(M, m);
  let x = new Float64Array(m);
  let y = new Float64Array(m);
  for (let i = 0; i < m; i++) x[i] = 1 + i / (7 * m); // not orthogonal to the top eigenvector in practice
  let est = 0;
  for (let it = 0; it < 500; it++) {
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += M[i * m + j] * x[j];
      y[i] = s;
    }
    const ny = nrm2(m, y);
    if (ny === 0) return 0;
    let xy = 0, xx = 0;
    for (let i = 0; i < m; i++) {
      xy += x[i] * y[i];
      xx += x[i] * x[i];
    }
    const rq = xy / xx;
    for (let i = 0; i < m; i++) y[i] /= ny;
    [x, y] = [y, x];
    if (Math.abs(rq - est) <= 1e-12 * rq) {
      est = rq;
      break;
    }
    est = rq;
  }
  // The Rayleigh quotient approaches from below; the Frobenius norm is a sure upper bound. Taken
  // by the scaled norm: a Gram matrix of columns near 1e-90 has entries near 1e-180, whose squares
  // underflow to 0, and a bound of 0 would make the block look empty.
  return Math.min(est * (1 + 1e-6), nrm2(m * m, M));
}


/** Scratch of the Jacobi sweeps (one matrix of at most JACOBI_MAX²). */
const jacobiBuf = new Float64Array(JACOBI_MAX * JACOBI_MAX);

/**
 * Cyclic Jacobi on a copy of M until the off-diagonal part is at rounding level; by Weyl's
 * inequality the largest diagonal entry plus the off-diagonal Frobenius norm left bounds λ_max.
 */
function jacobiLargest(M: Float64Array, m: number): number {
  const fro = nrm2(m * m, M);
  if (fro === 0) return 0;
  if (m === 1) return Math.min(M[0] * (1 + 1e-6), fro);
  const A = jacobiBuf;
  for (let k = 0; k < m * m; k++) A[k] = M[k];
  let off = 0;
  for (let sweep = 0; sweep < 50; sweep++) {
    off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += A[p * m + q] * A[p * m + q];
    off = Math.sqrt(2 * off);
    if (off <= 1e-15 * fro) break;
    for (let p = 0; p < m - 1; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q];
        if (apq === 0) continue;
        const app = A[p * m + p], aqq = A[q * m + q];
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        // A ← Jᵀ A J with the rotation in the (p, q) plane, zeroing A_pq.
        for (let k = 0; k < m; k++) {
          const akp = A[k * m + p], akq = A[k * m + q];
          A[k * m + p] = c * akp - s * akq;
          A[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p * m + k], aqk = A[q * m + k];
          A[p * m + k] = c * apk - s * aqk;
          A[q * m + k] = s * apk + c * aqk;
        }
        A[p * m + q] = 0;
        A[q * m + p] = 0;
      }
    }
  }
  let top = 0;
  for (let k = 0; k < m; k++) top = Math.max(top, A[k * m + k]);
  return Math.min((top + off) * (1 + 1e-6), fro);
}
