import { nrm2 } from './blas.ts';
import type { LinearOperator } from './operator.ts';

/**
 * Iterative solvers for symmetric positive definite systems given by products: preconditioned
 * conjugate gradients (ADMM w-updates, Newton-CG) and CGLS for least squares (debiasing).
 */

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

/** Buffers of {@link cgls}, allocated once per debiasing. */
export class CglsWork {
  readonly r: Float64Array;
  readonly q: Float64Array;
  readonly s: Float64Array;
  readonly d: Float64Array;
  constructor(m: number, k: number) {
    this.r = new Float64Array(m);
    this.q = new Float64Array(m);
    this.s = new Float64Array(k);
    this.d = new Float64Array(k);
  }
}

/**
 * CGLS (conjugate gradients on AᵀA z = Aᵀy without forming AᵀA; Hestenes–Stiefel / Paige–Saunders
 * form), from the warm start in `z`, until ‖Aᵀ(y − Az)‖ ≤ tol·‖Aᵀy‖, `maxIter` iterations, or the
 * `deadline` (a performance.now() value) passes.
 */
export function cgls(A: LinearOperator, y: Float64Array, z: Float64Array, tol: number, maxIter: number, w: CglsWork, deadline?: number) {
  const { r, q, s, d } = w;
  const k = z.length;
  A.applyTranspose(y, s);
  const ref = nrm2(k, s);
  if (ref === 0) {
    z.fill(0);
    return { iterations: 0, relativeResidual: 0, converged: true };
  }
  A.apply(z, q);
  for (let i = 0; i < r.length; i++) r[i] = y[i] - q[i];
  A.applyTranspose(r, s);
  d.set(s);
  let gamma = dotAll(s, s);
  let it = 0;
  while (Math.sqrt(gamma) > tol * ref && it < maxIter && (deadline === undefined || performance.now() < deadline)) {
    A.apply(d, q);
    const qq = dotAll(q, q);
    if (qq === 0) break; // d in the null space of A_S: nothing more to gain
    const alpha = gamma / qq;
    for (let j = 0; j < k; j++) z[j] += alpha * d[j];
    for (let i = 0; i < r.length; i++) r[i] -= alpha * q[i];
    A.applyTranspose(r, s);
    const gammaNew = dotAll(s, s);
    const beta = gammaNew / gamma;
    gamma = gammaNew;
    for (let j = 0; j < k; j++) d[j] = s[j] + beta * d[j];
    it++;
  }
  const rel = Math.sqrt(gamma) / ref;
  return { iterations: it, relativeResidual: rel, converged: rel <= tol };
}

function dotAll(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

