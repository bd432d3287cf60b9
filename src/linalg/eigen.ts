import { nrm2 } from './blas.ts';

/**
 * Largest eigenvalue of a small symmetric positive semidefinite m × m matrix (power iteration from
 * a fixed start), returned as a sure upper bound: min(Rayleigh quotient·(1 + 1e-6), ‖M‖_F).
 * Block coordinate descent uses it for the Lipschitz constant of a group's block.
 */
export function largestEigenvalueSpd(M: Float64Array, m: number): number {
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

