import { ValueError } from '../errors.ts';

import { registerLoss, subsetResponse, type Datafit, type LossName } from './datafit.ts';

export { makeDatafit, registerLoss, lossNames, getLoss, type Datafit, type LossName, type LossSpec } from './datafit.ts';

/** Class labels 0/1 as an Int32Array (stratified folds of a 0/1 response). */
function binaryStrata(y: Float64Array, n: number): Int32Array {
  const s = new Int32Array(n);
  for (let i = 0; i < n; i++) s[i] = y[i] === 1 ? 1 : 0;
  return s;
}

/**
 * Squared loss F(η) = (1/(2n)) Σ_t ‖y_t − η_t‖² (T = 1: the usual least squares; T > 1: multi-task,
 * one column per task). ∇F = (η − y)/n; F*(u) = ⟨u, y⟩ + (n/2)‖u‖².
 */
export class SquaredLoss implements Datafit {
  readonly name: LossName;
  readonly n: number;
  readonly T: number;
  readonly y: Float64Array;
  readonly curvature: number;
  readonly quadratic = true;
  constructor(y: Float64Array, n: number, T = 1) {
    this.y = y;
    this.n = n;
    this.T = T;
    this.name = T > 1 ? 'multitask' : 'squared';
    this.curvature = 1 / n;
  }
  value(eta: Float64Array): number {
    let s = 0;
    const y = this.y;
    for (let i = 0; i < y.length; i++) {
      const r = y[i] - eta[i];
      s += r * r;
    }
    return s / (2 * this.n);
  }
  valueGrad(eta: Float64Array, out: Float64Array): number {
    let s = 0;
    const y = this.y;
    const inv = 1 / this.n;
    for (let i = 0; i < y.length; i++) {
      const r = eta[i] - y[i];
      out[i] = r * inv;
      s += r * r;
    }
    return s / (2 * this.n);
  }
  hessianDiag(_eta: Float64Array, out: Float64Array): void {
    out.fill(1 / this.n);
  }
  gradient(eta: Float64Array, out: Float64Array): void {
    const y = this.y;
    const inv = 1 / this.n;
    for (let i = 0; i < y.length; i++) out[i] = (eta[i] - y[i]) * inv;
  }
  readonly heldOutMetric = 'mean squared error';
  subset(rows: ArrayLike<number>): SquaredLoss {
    return new SquaredLoss(subsetResponse(this.y, this.n, this.T, rows), rows.length, this.T);
  }
  rowLosses(eta: Float64Array, out: Float64Array): void {
    const { n, T, y } = this;
    out.fill(0, 0, n);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < n; i++) {
        const r = y[t * n + i] - eta[t * n + i];
        out[i] += (r * r) / T;
      }
    }
  }
  logLikelihood(eta: Float64Array): number {
    // Gaussian with σ² profiled out: ℓ = −(N/2)(log(2π RSS/N) + 1), N = n·T.
    const N = this.n * this.T;
    const rss = 2 * this.n * this.value(eta);
    return -(N / 2) * (Math.log((2 * Math.PI * rss) / N) + 1);
  }
  nullPredictor(): Float64Array {
    const { n, T, y } = this;
    const out = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += y[t * n + i];
      out[t] = m / n;
    }
    return out;
  }
  interceptObstacle(): string | null {
    return null;
  }
  strata(): Int32Array | null {
    return null;
  }
  dualValue(u: Float64Array): number {
    let uy = 0;
    let uu = 0;
    const y = this.y;
    for (let i = 0; i < y.length; i++) {
      uy += u[i] * y[i];
      uu += u[i] * u[i];
    }
    return -uy - (this.n / 2) * uu;
  }
}

/** x·log(x) with the limit 0 at 0. */
function xlogx(x: number): number {
  return x > 0 ? x * Math.log(x) : 0;
}

/** log(1 + e^x) without overflow. */
export function log1pExp(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Logistic function 1/(1 + e^{−x}) without overflow. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Logistic loss, the mean negative log-likelihood with labels y_i ∈ {0, 1}:
 *   F(η) = (1/n) Σ_i [log(1 + e^{η_i}) − y_i η_i],  ∇F = (σ(η) − y)/n.
 * Dual: with s_i = n u_i + y_i ∈ [0, 1], −F*(u) = −(1/n) Σ_i [s_i log s_i + (1 − s_i) log(1 − s_i)].
 */
export class LogisticLoss implements Datafit {
  readonly name: LossName = 'logistic';
  readonly n: number;
  readonly T = 1;
  readonly y: Float64Array;
  readonly curvature: number;
  readonly quadratic = false;
  constructor(y: Float64Array, n: number, fn = 'LogisticLoss') {
    for (let i = 0; i < n; i++) {
      if (y[i] !== 0 && y[i] !== 1) {
        throw new ValueError(fn, `logistic loss needs labels 0/1, got ${y[i]} at position ${i}`);
      }
    }
    this.y = y;
    this.n = n;
    this.curvature = 1 / (4 * n);
  }
  value(eta: Float64Array): number {
    let s = 0;
    const y = this.y;
    // log(1 + e^η) − yη written as log(1 + e^{±η}) (labels are 0/1): the difference of two
    // terms of size |η| lost |η|·ε absolutely, far above the loss itself on well-fitted data.
    for (let i = 0; i < this.n; i++) s += y[i] === 1 ? log1pExp(-eta[i]) : log1pExp(eta[i]);
    return s / this.n;
  }
  valueGrad(eta: Float64Array, out: Float64Array): number {
    let s = 0;
    const y = this.y;
    const inv = 1 / this.n;
    for (let i = 0; i < this.n; i++) {
      const e = eta[i];
      s += y[i] === 1 ? log1pExp(-e) : log1pExp(e); // as in value(): no cancellation
      out[i] = (sigmoid(e) - y[i]) * inv;
    }
    return s / this.n;
  }
  gradient(eta: Float64Array, out: Float64Array): void {
    const y = this.y;
    const inv = 1 / this.n;
    for (let i = 0; i < this.n; i++) out[i] = (sigmoid(eta[i]) - y[i]) * inv;
  }
  readonly heldOutMetric = 'deviance';
  subset(rows: ArrayLike<number>): LogisticLoss {
    return new LogisticLoss(subsetResponse(this.y, this.n, 1, rows), rows.length);
  }
  rowLosses(eta: Float64Array, out: Float64Array): void {
    // Deviance 2[log(1 + e^η) − yη], as log(1 + e^{∓η}) (no cancellation, as in value()).
    for (let i = 0; i < this.n; i++) out[i] = 2 * (this.y[i] === 1 ? log1pExp(-eta[i]) : log1pExp(eta[i]));
  }
  logLikelihood(eta: Float64Array): number {
    return -this.n * this.value(eta);
  }
  nullPredictor(): Float64Array {
    let m = 0;
    for (let i = 0; i < this.n; i++) m += this.y[i];
    m /= this.n;
    return Float64Array.of(Math.log(m / (1 - m)));
  }
  interceptObstacle(): string | null {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += this.y[i];
    if (s === 0 || s === this.n) return `logistic labels are all ${s === 0 ? 0 : 1}`;
    return null;
  }
  strata(): Int32Array | null {
    return binaryStrata(this.y, this.n);
  }
  hessianDiag(eta: Float64Array, out: Float64Array): void {
    const inv = 1 / this.n;
    for (let i = 0; i < this.n; i++) {
      const p = sigmoid(eta[i]);
      out[i] = p * (1 - p) * inv;
    }
  }
  dualValue(u: Float64Array): number {
    let s = 0;
    const y = this.y;
    const n = this.n;
    for (let i = 0; i < n; i++) {
      let t = n * u[i] + y[i];
      if (t < 0 || t > 1) {
        if (t < -1e-9 || t > 1 + 1e-9) return -Infinity;
        t = t < 0 ? 0 : 1;
      }
      s += xlogx(t) + xlogx(1 - t);
    }
    return -s / n;
  }
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ≈ 1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Poisson loss with log link, the mean negative log-likelihood for counts y_i ≥ 0:
 *   F(η) = (1/n) Σ_i [e^{η_i} − y_i η_i + log Γ(y_i + 1)],  ∇F = (e^η − y)/n.
 * Dual: with s_i = n u_i + y_i ≥ 0, −F*(u) = −(1/n) Σ_i [s_i log s_i − s_i − log Γ(y_i + 1)].
 */
export class PoissonLoss implements Datafit {
  readonly name: LossName = 'poisson';
  readonly n: number;
  readonly T = 1;
  readonly y: Float64Array;
  readonly curvature = Infinity;
  readonly quadratic = false;
  /**
   * Σ_i [y_i − y_i log y_i + log Γ(y_i + 1)]: the part of n·F that does not depend on η. The loss
   * is evaluated as (Σ_i y_i(e^{δ_i} − 1 − δ_i) + constant)/n with δ_i = η_i − log y_i (e^{η_i}
   * when y_i = 0): the plain form Σ e^η − yη + log y! adds terms of size y·|η| that cancel to
   * the size of the loss, which for counts in the thousands left rounding noise above the
   * backtracking tolerance and stalled the solvers far from the requested gap.
   */
  private readonly constant: number;
  private readonly logY: Float64Array;
  constructor(y: Float64Array, n: number, fn = 'PoissonLoss') {
    let c = 0;
    const logY = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (!(y[i] >= 0)) throw new ValueError(fn, `Poisson loss needs targets ≥ 0, got ${y[i]} at position ${i}`);
      if (y[i] > 0) {
        logY[i] = Math.log(y[i]);
        c += y[i] - y[i] * logY[i] + logGamma(y[i] + 1);
      }
    }
    this.y = y;
    this.n = n;
    this.constant = c;
    this.logY = logY;
  }
  /** y(e^δ − 1 − δ), δ = η − log y (e^η for y = 0): one sample's η-dependent part, ≥ 0. */
  private deviance(eta: number, i: number): number {
    const y = this.y[i];
    if (y === 0) return Math.exp(eta);
    const d = eta - this.logY[i];
    return y * (Math.expm1(d) - d);
  }
  value(eta: Float64Array): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += this.deviance(eta[i], i);
    return (s + this.constant) / this.n;
  }
  valueGrad(eta: Float64Array, out: Float64Array): number {
    let s = 0;
    const y = this.y;
    const inv = 1 / this.n;
    for (let i = 0; i < this.n; i++) {
      s += this.deviance(eta[i], i);
      out[i] = (Math.exp(eta[i]) - y[i]) * inv;
    }
    return (s + this.constant) / this.n;
  }
  gradient(eta: Float64Array, out: Float64Array): void {
    const y = this.y;
    const inv = 1 / this.n;
    for (let i = 0; i < this.n; i++) out[i] = (Math.exp(eta[i]) - y[i]) * inv;
  }
  readonly heldOutMetric = 'deviance';
  subset(rows: ArrayLike<number>): PoissonLoss {
    return new PoissonLoss(subsetResponse(this.y, this.n, 1, rows), rows.length);
  }
  rowLosses(eta: Float64Array, out: Float64Array): void {
    // Deviance 2[y log(y/μ) − (y − μ)], μ = e^η, = 2·y(e^δ − 1 − δ) with δ = η − log y (2μ at y = 0).
    for (let i = 0; i < this.n; i++) out[i] = 2 * this.deviance(eta[i], i);
  }
  logLikelihood(eta: Float64Array): number {
    return -this.n * this.value(eta);
  }
  nullPredictor(): Float64Array {
    let m = 0;
    for (let i = 0; i < this.n; i++) m += this.y[i];
    return Float64Array.of(Math.log(m / this.n));
  }
  interceptObstacle(): string | null {
    for (let i = 0; i < this.n; i++) if (this.y[i] !== 0) return null;
    return 'Poisson targets are all 0';
  }
  strata(): Int32Array | null {
    return null;
  }
  hessianDiag(eta: Float64Array, out: Float64Array): void {
    const inv = 1 / this.n;
    for (let i = 0; i < this.n; i++) out[i] = Math.exp(eta[i]) * inv;
  }
  dualValue(u: Float64Array): number {
    // −F*(u) = −(1/n) Σ_i [t_i log t_i − t_i − log Γ(y_i + 1)], t_i = n u_i + y_i, written like
    // the primal: t log t − t − log y! = y[(1 + r) log(1 + r) − r] + n u log y − (y − y log y +
    // log y!), r = n u / y, so that no terms of size y log y cancel.
    let s = 0;
    const y = this.y;
    const n = this.n;
    for (let i = 0; i < n; i++) {
      const nu = n * u[i];
      const t = nu + y[i];
      if (t < 0 && t < -1e-9 * Math.max(1, y[i])) return -Infinity;
      if (y[i] === 0) {
        s += t > 0 ? xlogx(t) - t : 0;
        continue;
      }
      if (t <= 0) {
        s += y[i] - y[i] * this.logY[i]; // t clamped to 0 (rounding): r = −1
        continue;
      }
      const r = nu / y[i];
      s += y[i] * ((1 + r) * Math.log1p(r) - r) + nu * this.logY[i];
    }
    return -(s - this.constant) / n;
  }
}

const identity = (eta: Float64Array, out: Float64Array): void => {
  out.set(eta.subarray(0, out.length));
};
registerLoss({ name: 'squared', multiTask: true, create: (y, n, T) => new SquaredLoss(y, n, T), inverseLink: identity });
registerLoss({
  name: 'logistic', multiTask: false, create: (y, n, _T, fn) => new LogisticLoss(y, n, fn),
  inverseLink: (eta, out) => {
    for (let i = 0; i < out.length; i++) out[i] = sigmoid(eta[i]);
  },
});
registerLoss({
  name: 'poisson', multiTask: false, create: (y, n, _T, fn) => new PoissonLoss(y, n, fn),
  inverseLink: (eta, out) => {
    for (let i = 0; i < out.length; i++) out[i] = Math.exp(eta[i]);
  },
});
registerLoss({ name: 'multitask', multiTask: true, create: (y, n, T) => new SquaredLoss(y, n, T), inverseLink: identity });
