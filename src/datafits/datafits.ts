import { ShapeError, ValueError } from '../errors.ts';
import { callerName } from '../util/validate.ts';
import { checkCountScale, checkResponseScale } from '../linalg/input.ts';
import { devianceAtNull, registerLoss, subsetResponse, type Datafit, type DatafitRecipe, type LossName } from './datafit.ts';
import { maxWeight, normalizeSampleWeights } from './weights.ts';

export { makeDatafit, registerLoss, lossNames, getLoss, type Datafit, type LossName, type LossSpec } from './datafit.ts';

/** Class labels 0/1 as an Int32Array (stratified folds of a 0/1 response). */
function binaryStrata(y: Float64Array, n: number): Int32Array {
  const s = new Int32Array(n);
  for (let i = 0; i < n; i++) s[i] = y[i] === 1 ? 1 : 0;
  return s;
}

/** Entries of the given rows of a weight vector (undefined stays undefined). */
export function selectWeights(w: Float64Array | undefined, rows: ArrayLike<number>): Float64Array | undefined {
  return w === undefined ? undefined : Float64Array.from(rows, (i) => w[i]);
}

/** out ← h ⊙ v after out ← h: the Hessian-vector product of a separable loss. */
function diagTimes(df: Datafit, eta: Float64Array, v: Float64Array, out: Float64Array): void {
  df.hessianDiag(eta, out);
  for (let i = 0; i < out.length; i++) out[i] *= v[i];
}

/** Weight of row i of an n-row loss (1 without weights). */
function weightAt(w: Float64Array | undefined, i: number): number {
  return w === undefined ? 1 : w[i];
}

/**
 * Squared loss F(η) = (1/(2n)) Σ_t Σ_i w_i (y_it − η_it)² (T = 1: the usual least squares; T > 1:
 * multi-task, one column per task; w = 1 without sample weights). ∇F = w(η − y)/n;
 * F*(u) = ⟨u, y⟩ + (n/2) Σ u²/w (u_i must be 0 where w_i = 0).
 */
/**
 * The response and sizes a loss class is built from (O(1): a loss is built once per fit, and its
 * entries were checked at the edge by toResponse): y a Float64Array of n·T entries.
 */
function checkLossArgs(fn: string, y: unknown, n: unknown, T = 1): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new ShapeError(fn, `n (the number of rows) must be a whole number ≥ 1, got ${String(n)}`);
  if (typeof T !== 'number' || !Number.isInteger(T) || T < 1) throw new ShapeError(fn, `T (the number of tasks) must be a whole number ≥ 1, got ${String(T)}`);
  if (!(y instanceof Float64Array) || y.length !== n * T) {
    throw new ShapeError(fn, `y must be a Float64Array of n·T = ${n * T} entries, got ${y instanceof Float64Array ? `length ${y.length}` : y === null ? 'null' : typeof y}`);
  }
}

export class SquaredLoss implements Datafit {
  readonly name: LossName;
  readonly n: number;
  readonly T: number;
  readonly y: Float64Array;
  readonly curvature: number;
  readonly quadratic: boolean;
  readonly separable = true;
  readonly sampleWeight: Float64Array | undefined;
  constructor(y: Float64Array, n: number, T = 1, sampleWeight?: ArrayLike<number>, fn = 'SquaredLoss') {
    fn = callerName(fn, 'SquaredLoss');
    checkLossArgs(fn, y, n, T);
    this.y = y;
    this.n = n;
    this.T = T;
    this.name = T > 1 ? 'multitask' : 'squared';
    this.sampleWeight = sampleWeight === undefined ? undefined : normalizeSampleWeights(sampleWeight, n, fn);
    this.curvature = maxWeight(this.sampleWeight) / n;
    // With unequal weights the bound (1/2)·max w/n·‖δ‖² is no longer an identity, and the
    // unpenalized part is a weighted projection (Newton's single step), not the QR one.
    this.quadratic = this.sampleWeight === undefined;
  }
  value(eta: Float64Array): number {
    let s = 0;
    const { y, n } = this;
    const w = this.sampleWeight;
    for (let i = 0; i < y.length; i++) {
      const r = y[i] - eta[i];
      s += w === undefined ? r * r : w[i % n] * r * r;
    }
    return s / (2 * n);
  }
  valueGrad(eta: Float64Array, out: Float64Array): number {
    let s = 0;
    const { y, n } = this;
    const w = this.sampleWeight;
    const inv = 1 / n;
    for (let i = 0; i < y.length; i++) {
      const r = eta[i] - y[i];
      const wi = w === undefined ? 1 : w[i % n];
      out[i] = wi * r * inv;
      s += wi * r * r;
    }
    return s / (2 * n);
  }
  hessianDiag(_eta: Float64Array, out: Float64Array): void {
    const { n } = this;
    const w = this.sampleWeight;
    if (w === undefined) out.fill(1 / n);
    else for (let i = 0; i < out.length; i++) out[i] = w[i % n] / n;
  }
  hessianVec(eta: Float64Array, v: Float64Array, out: Float64Array): void {
    diagTimes(this, eta, v, out);
  }
  /** Rebuilt from its response alone; weighted losses stay on this thread (their normalised weights would be normalised again). */
  transferable(): DatafitRecipe | null {
    return this.sampleWeight === undefined ? { loss: this.name, y: this.y, n: this.n, T: this.T } : null;
  }
  subset(rows: ArrayLike<number>): SquaredLoss {
    return new SquaredLoss(subsetResponse(this.y, this.n, this.T, rows), rows.length, this.T, selectWeights(this.sampleWeight, rows), 'SquaredLoss.subset');
  }
  readonly heldOutMetric = 'mean squared error';
  get freeColumns(): number {
    return this.T;
  }
  gradient(eta: Float64Array, out: Float64Array): void {
    this.valueGrad(eta, out);
  }
  logLikelihood(eta: Float64Array): number {
    // Gaussian with σ² profiled out: ℓ = −(N/2)(log(2π RSS/N) + 1), N = n·T (weighted RSS).
    const N = this.n * this.T;
    const rss = 2 * this.n * this.value(eta);
    return -(N / 2) * (Math.log((2 * Math.PI * rss) / N) + 1);
  }
  nullPredictor(): Float64Array {
    const { n, T, y } = this;
    const out = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += weightAt(this.sampleWeight, i) * y[t * n + i];
      out[t] = m / n; // weights have mean 1
    }
    return out;
  }
  nullDeviance(): number {
    return devianceAtNull(this);
  }
  /** 1e4 standard deviations of the response (pooled over tasks). */
  explosionLimit(): number {
    const N = this.y.length;
    let m = 0;
    for (let i = 0; i < N; i++) m += this.y[i];
    m /= N;
    let v = 0;
    for (let i = 0; i < N; i++) v += (this.y[i] - m) ** 2;
    return 1e4 * Math.max(Math.sqrt(v / N), Number.MIN_VALUE);
  }
  fitDiagnostics(): string[] {
    return [];
  }
  interceptObstacle(): string | null {
    return null;
  }
  strata(): Int32Array | null {
    return null;
  }
  rowLosses(eta: Float64Array, out: Float64Array): number {
    const { n, T, y } = this;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < T; t++) {
        const r = y[t * n + i] - eta[t * n + i];
        s += r * r;
      }
      out[i] = (weightAt(this.sampleWeight, i) * s) / T;
    }
    return n;
  }
  dualValue(u: Float64Array): number {
    let uy = 0;
    let uu = 0;
    const { y, n } = this;
    const w = this.sampleWeight;
    for (let i = 0; i < y.length; i++) {
      uy += u[i] * y[i];
      if (w === undefined) uu += u[i] * u[i];
      else if (w[i % n] > 0) uu += (u[i] * u[i]) / w[i % n];
      else if (u[i] !== 0) return -Infinity; // a row of weight 0 has F*(u) = +∞ unless u_i = 0
    }
    return -uy - (n / 2) * uu;
  }
}

/** x·log(x) with the limit 0 at 0. */
export function xlogx(x: number): number {
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
 * Logistic loss, the (weighted) mean negative log-likelihood with labels y_i ∈ {0, 1}:
 *   F(η) = (1/n) Σ_i w_i [log(1 + e^{η_i}) − y_i η_i],  ∇F = w(σ(η) − y)/n.
 * Dual: with s_i = n u_i/w_i + y_i ∈ [0, 1],
 *   −F*(u) = −(1/n) Σ_i w_i [s_i log s_i + (1 − s_i) log(1 − s_i)].
 */
export class LogisticLoss implements Datafit {
  readonly name: LossName = 'logistic';
  readonly n: number;
  readonly T = 1;
  readonly y: Float64Array;
  readonly curvature: number;
  readonly quadratic = false;
  readonly separable = true;
  readonly sampleWeight: Float64Array | undefined;
  constructor(y: Float64Array, n: number, fn = 'LogisticLoss', sampleWeight?: ArrayLike<number>) {
    fn = callerName(fn, 'LogisticLoss');
    checkLossArgs(fn, y, n);
    for (let i = 0; i < n; i++) {
      if (y[i] !== 0 && y[i] !== 1) {
        throw new ValueError(fn, `logistic loss needs labels 0/1, got ${y[i]} at position ${i}`);
      }
    }
    this.y = y;
    this.n = n;
    this.sampleWeight = sampleWeight === undefined ? undefined : normalizeSampleWeights(sampleWeight, n, fn);
    this.curvature = maxWeight(this.sampleWeight) / (4 * n);
  }
  value(eta: Float64Array): number {
    let s = 0;
    const y = this.y;
    const w = this.sampleWeight;
    // log(1 + e^η) − yη written as log(1 + e^{±η}) (labels are 0/1): the difference of two
    // terms of size |η| lost |η|·ε absolutely, far above the loss itself on well-fitted data.
    for (let i = 0; i < this.n; i++) {
      const l = y[i] === 1 ? log1pExp(-eta[i]) : log1pExp(eta[i]);
      s += w === undefined ? l : w[i] === 0 ? 0 : w[i] * l;
    }
    return s / this.n;
  }
  valueGrad(eta: Float64Array, out: Float64Array): number {
    let s = 0;
    const y = this.y;
    const w = this.sampleWeight;
    const inv = 1 / this.n;
    for (let i = 0; i < this.n; i++) {
      const e = eta[i];
      const wi = weightAt(w, i);
      // log1pExp(±e) and sigmoid(e) from one exponential z = e^{−|e|} (the same values, bit for
      // bit, as the separate functions; the exponential is most of this loop's cost).
      const z = Math.exp(-Math.abs(e));
      const lp = Math.log1p(z);
      // As in value(): log(1 + e^{±η}), no cancellation.
      const l = (y[i] === 1 ? (e < 0 ? -e : 0) : (e > 0 ? e : 0)) + lp;
      s += wi === 0 ? 0 : wi * l;
      const sig = e >= 0 ? 1 / (1 + z) : z / (1 + z);
      out[i] = wi * (sig - y[i]) * inv;
    }
    return s / this.n;
  }
  hessianDiag(eta: Float64Array, out: Float64Array): void {
    const inv = 1 / this.n;
    const w = this.sampleWeight;
    for (let i = 0; i < this.n; i++) {
      const p = sigmoid(eta[i]);
      out[i] = weightAt(w, i) * p * (1 - p) * inv;
    }
  }
  hessianVec(eta: Float64Array, v: Float64Array, out: Float64Array): void {
    diagTimes(this, eta, v, out);
  }
  /** Rebuilt from its response alone; weighted losses stay on this thread (their normalised weights would be normalised again). */
  transferable(): DatafitRecipe | null {
    return this.sampleWeight === undefined ? { loss: this.name, y: this.y, n: this.n, T: this.T } : null;
  }
  subset(rows: ArrayLike<number>): LogisticLoss {
    return new LogisticLoss(subsetResponse(this.y, this.n, 1, rows), rows.length, 'LogisticLoss.subset', selectWeights(this.sampleWeight, rows));
  }
  readonly heldOutMetric = 'deviance';
  readonly freeColumns = 1;
  gradient(eta: Float64Array, out: Float64Array): void {
    const y = this.y;
    const inv = 1 / this.n;
    for (let i = 0; i < this.n; i++) out[i] = weightAt(this.sampleWeight, i) * (sigmoid(eta[i]) - y[i]) * inv;
  }
  logLikelihood(eta: Float64Array): number {
    return -this.n * this.value(eta);
  }
  /** Weighted mean of the labels (mean-1 weights), on the logit scale. */
  private weightedMean(): number {
    let m = 0;
    for (let i = 0; i < this.n; i++) m += weightAt(this.sampleWeight, i) * this.y[i];
    return m / this.n;
  }
  nullPredictor(): Float64Array {
    const m = this.weightedMean();
    return Float64Array.of(Math.log(m / (1 - m)));
  }
  nullDeviance(): number {
    return devianceAtNull(this);
  }
  /** 30 on the logit scale. */
  explosionLimit(): number {
    return 30;
  }
  /** (Nearly) separated labels at η. */
  fitDiagnostics(eta: Float64Array): string[] {
    return separationDiagnostic(this.y, eta);
  }
  interceptObstacle(): string | null {
    const m = this.weightedMean();
    if (m === 0 || m === 1) return `logistic labels are all ${m === 0 ? 0 : 1}${this.sampleWeight ? ' (among rows of positive weight)' : ''}`;
    return null;
  }
  strata(): Int32Array | null {
    return binaryStrata(this.y, this.n);
  }
  rowLosses(eta: Float64Array, out: Float64Array): number {
    // 2[log(1 + e^η) − yη] in the cancellation-free form of value().
    for (let i = 0; i < this.n; i++) out[i] = 2 * weightAt(this.sampleWeight, i) * (this.y[i] === 1 ? log1pExp(-eta[i]) : log1pExp(eta[i]));
    return this.n;
  }
  dualValue(u: Float64Array): number {
    let s = 0;
    const y = this.y;
    const n = this.n;
    const w = this.sampleWeight;
    for (let i = 0; i < n; i++) {
      const wi = weightAt(w, i);
      if (wi === 0) {
        if (u[i] !== 0) return -Infinity;
        continue;
      }
      let t = (n * u[i]) / wi + y[i];
      if (t < 0 || t > 1) {
        if (t < -1e-9 || t > 1 + 1e-9) return -Infinity;
        t = t < 0 ? 0 : 1;
      }
      s += wi * (xlogx(t) + xlogx(1 - t));
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
 * Poisson loss with log link, the (weighted) mean negative log-likelihood for counts y_i ≥ 0:
 *   F(η) = (1/n) Σ_i w_i [e^{η_i} − y_i η_i + log Γ(y_i + 1)],  ∇F = w(e^η − y)/n.
 * Dual: with s_i = n u_i/w_i + y_i ≥ 0, −F*(u) = −(1/n) Σ_i w_i [s_i log s_i − s_i − log Γ(y_i + 1)].
 */
export class PoissonLoss implements Datafit {
  readonly name: LossName = 'poisson';
  readonly n: number;
  readonly T = 1;
  readonly y: Float64Array;
  readonly curvature = Infinity;
  readonly quadratic = false;
  readonly separable = true;
  readonly sampleWeight: Float64Array | undefined;
  /**
   * Σ_i [y_i − y_i log y_i + log Γ(y_i + 1)]: the part of n·F that does not depend on η. The loss
   * is evaluated as (Σ_i y_i(e^{δ_i} − 1 − δ_i) + constant)/n with δ_i = η_i − log y_i (e^{η_i}
   * when y_i = 0): the plain form Σ e^η − yη + log y! adds terms of size y·|η| that cancel to
   * the size of the loss, which for counts in the thousands left rounding noise above the
   * backtracking tolerance and stalled the solvers far from the requested gap.
   */
  private readonly constant: number;
  private readonly logY: Float64Array;
  constructor(y: Float64Array, n: number, fn = 'PoissonLoss', sampleWeight?: ArrayLike<number>) {
    fn = callerName(fn, 'PoissonLoss');
    checkLossArgs(fn, y, n);
    let c = 0;
    const logY = new Float64Array(n);
    this.sampleWeight = sampleWeight === undefined ? undefined : normalizeSampleWeights(sampleWeight, n, fn);
    for (let i = 0; i < n; i++) {
      if (!(y[i] >= 0)) throw new ValueError(fn, `Poisson loss needs targets ≥ 0, got ${y[i]} at position ${i}`);
      if (y[i] > 0) {
        logY[i] = Math.log(y[i]);
        const wi = weightAt(this.sampleWeight, i);
        if (wi > 0) c += wi * (y[i] - y[i] * logY[i] + logGamma(y[i] + 1));
      }
    }
    checkCountScale(fn, y);
    this.y = y;
    this.n = n;
    this.constant = c;
    this.logY = logY;
  }
  /** y(e^δ − 1 − δ), δ = η − log y (e^η for y = 0): one sample's η-dependent part, ≥ 0. */
  private deviance(eta: number, i: number): number {
    const y = this.y[i];
    const wi = weightAt(this.sampleWeight, i);
    if (wi === 0) return 0;
    if (y === 0) return wi * Math.exp(eta);
    const d = eta - this.logY[i];
    return wi * y * (Math.expm1(d) - d);
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
    const w = this.sampleWeight;
    for (let i = 0; i < this.n; i++) {
      s += this.deviance(eta[i], i);
      out[i] = weightAt(w, i) * (Math.exp(eta[i]) - y[i]) * inv;
    }
    return (s + this.constant) / this.n;
  }
  hessianDiag(eta: Float64Array, out: Float64Array): void {
    const inv = 1 / this.n;
    const w = this.sampleWeight;
    for (let i = 0; i < this.n; i++) out[i] = weightAt(w, i) * Math.exp(eta[i]) * inv;
  }
  hessianVec(eta: Float64Array, v: Float64Array, out: Float64Array): void {
    diagTimes(this, eta, v, out);
  }
  /** Rebuilt from its response alone; weighted losses stay on this thread (their normalised weights would be normalised again). */
  transferable(): DatafitRecipe | null {
    return this.sampleWeight === undefined ? { loss: this.name, y: this.y, n: this.n, T: this.T } : null;
  }
  subset(rows: ArrayLike<number>): PoissonLoss {
    return new PoissonLoss(subsetResponse(this.y, this.n, 1, rows), rows.length, 'PoissonLoss.subset', selectWeights(this.sampleWeight, rows));
  }
  readonly heldOutMetric = 'deviance';
  readonly freeColumns = 1;
  gradient(eta: Float64Array, out: Float64Array): void {
    const y = this.y;
    const inv = 1 / this.n;
    for (let i = 0; i < this.n; i++) out[i] = weightAt(this.sampleWeight, i) * (Math.exp(eta[i]) - y[i]) * inv;
  }
  logLikelihood(eta: Float64Array): number {
    return -this.n * this.value(eta);
  }
  nullPredictor(): Float64Array {
    let m = 0;
    for (let i = 0; i < this.n; i++) m += weightAt(this.sampleWeight, i) * this.y[i];
    return Float64Array.of(Math.log(m / this.n));
  }
  nullDeviance(): number {
    return devianceAtNull(this);
  }
  /** 30 on the log scale. */
  explosionLimit(): number {
    return 30;
  }
  fitDiagnostics(): string[] {
    return [];
  }
  interceptObstacle(): string | null {
    for (let i = 0; i < this.n; i++) if (this.y[i] !== 0 && weightAt(this.sampleWeight, i) > 0) return null;
    return 'Poisson targets are all 0';
  }
  strata(): Int32Array | null {
    return null;
  }
  rowLosses(eta: Float64Array, out: Float64Array): number {
    // 2[y log(y/μ) − (y − μ)] = 2·(the η-dependent part of the loss), in the same stable form.
    for (let i = 0; i < this.n; i++) {
      out[i] = 2 * this.deviance(eta[i], i); // weighted inside
    }
    return this.n;
  }
  dualValue(u: Float64Array): number {
    // −F*(u) = −(1/n) Σ_i [t_i log t_i − t_i − log Γ(y_i + 1)], t_i = n u_i + y_i, written like
    // the primal: t log t − t − log y! = y[(1 + r) log(1 + r) − r] + n u log y − (y − y log y +
    // log y!), r = n u / y, so that no terms of size y log y cancel.
    // Weighted: each row's term is w_i times the unweighted one at n u_i / w_i.
    let s = 0;
    const y = this.y;
    const n = this.n;
    const w = this.sampleWeight;
    for (let i = 0; i < n; i++) {
      const wi = weightAt(w, i);
      if (wi === 0) {
        if (u[i] !== 0) return -Infinity;
        continue;
      }
      const nu = (n * u[i]) / wi;
      const t = nu + y[i];
      if (t < 0 && t < -1e-9 * Math.max(1, y[i])) return -Infinity;
      let term: number;
      if (y[i] === 0) term = t > 0 ? xlogx(t) - t : 0;
      else if (t <= 0) term = y[i] - y[i] * this.logY[i]; // t clamped to 0 (rounding): r = −1
      else {
        const r = nu / y[i];
        term = y[i] * ((1 + r) * Math.log1p(r) - r) + nu * this.logY[i];
      }
      s += wi * term;
    }
    return -(s - this.constant) / n;
  }
}

const identity = (eta: Float64Array, out: Float64Array): void => {
  out.set(eta.subarray(0, out.length));
};
// Extreme scales (1e±300) used to be certified through underflow (a zero objective, a zero gap,
// w = 0): a real-valued response is refused there, where the remedy is a constant factor.
const squaredFrom = (y: Float64Array, n: number, T: number, fn: string, w?: ArrayLike<number>): SquaredLoss => {
  checkResponseScale(fn, y);
  return new SquaredLoss(y, n, T, w, fn);
};
registerLoss({ name: 'squared', multiTask: true, create: squaredFrom, inverseLink: identity });
registerLoss({
  name: 'logistic', multiTask: false, create: (y, n, _T, fn, w) => new LogisticLoss(y, n, fn, w),
  inverseLink: (eta, out) => {
    for (let i = 0; i < out.length; i++) out[i] = sigmoid(eta[i]);
  },
});
registerLoss({
  name: 'poisson', multiTask: false, create: (y, n, _T, fn, w) => new PoissonLoss(y, n, fn, w),
  inverseLink: (eta, out) => {
    for (let i = 0; i < out.length; i++) out[i] = Math.exp(eta[i]);
  },
});
registerLoss({ name: 'multitask', multiTask: true, create: squaredFrom, inverseLink: identity });

/**
 * (Nearly) separable 0/1 labels, judged at a fit's linear predictor η (the estimator passes the
 * least penalized fit of its path): every row on the right side of the decision boundary, or
 * fitted probabilities within 1e-4 of the labels for 95 % of the rows. Then the unpenalized
 * optimum does not exist and coefficients grow without bound as λ → 0.
 */
export function separationDiagnostic(y: ArrayLike<number>, eta: ArrayLike<number>): string[] {
  const n = y.length;
  let wrong = 0;
  let sure = 0;
  for (let i = 0; i < n; i++) {
    const m = (2 * y[i] - 1) * eta[i];
    if (m <= 0) wrong++;
    if (m > Math.log(1e4)) sure++;
  }
  if (wrong === 0) {
    return ['the labels are separable at the smallest λ (every row on the right side of the boundary): coefficients grow without bound as λ → 0, and the unpenalized model has no finite fit'];
  }
  if (sure >= 0.95 * n) {
    return [`the labels are nearly separable: ${sure} of ${n} rows are fitted with probability within 1e-4 of their label at the smallest λ; small λ give very large coefficients`];
  }
  return [];
}
