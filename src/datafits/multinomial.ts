import { ShapeError, ValueError } from '../errors.ts';
import { AbstractMatrix } from 'ml-matrix';
import { registerLoss, sumRowLosses, type Datafit, type LossName } from './datafit.ts';
import { xlogx } from './datafits.ts';
import { maxWeight, normalizeSampleWeights } from './weights.ts';

/** Class labels coded 0..K−1, with the original labels in order of first sort (numeric or string). */
export interface ClassCoding {
  /** The distinct labels, sorted; class k is classes[k]. */
  classes: (number | string)[];
  /** Class index of every row. */
  index: Int32Array;
}

/**
 * Code categorical labels as class indices. Numbers must be integers (a fractional or non-finite
 * label is a regression target, not a class), strings are taken as they are; at least two classes.
 *
 * @example
 * encodeClasses(['b', 'a', 'b'], 'fit').index; // returns Int32Array [1, 0, 1]
 */
export function encodeClasses(labels: ArrayLike<unknown>, fn: string): ClassCoding {
  const n = labels.length;
  let numeric = true;
  for (let i = 0; i < n; i++) {
    const v = labels[i];
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new ValueError(fn, `multinomial labels must be categorical (integers or strings), got ${v} at row ${i}`);
    } else if (typeof v === 'string') {
      numeric = false;
    } else {
      throw new ValueError(fn, `multinomial labels must be integers or strings, got ${String(v)} at row ${i}`);
    }
  }
  const keys = [...new Set(Array.from({ length: n }, (_, i) => (numeric ? labels[i] : String(labels[i])) as number | string))];
  if (numeric) (keys as number[]).sort((a, b) => a - b);
  else (keys as string[]).sort();
  if (keys.length < 2) throw new ValueError(fn, `multinomial labels have one class only (${String(keys[0])}): nothing to discriminate`);
  const pos = new Map<number | string, number>(keys.map((k, i) => [k, i]));
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) index[i] = pos.get((numeric ? labels[i] : String(labels[i])) as number | string)!;
  return { classes: keys, index };
}

/**
 * Multinomial logistic loss, the mean negative log-likelihood of a softmax over K classes:
 *
 *   F(η) = (1/n) Σ_i w_i [log Σ_k e^{η_ik} − η_{i,y_i}],   ∇F_ik = w_i (p_ik − Y_ik)/n,
 *
 * η = XW + 1bᵀ is n × K (column-major, one column per class, as the multi-task layout), so the
 * group of a feature is its row of W across the K classes. The loss is invariant to adding one
 * vector to every class's coefficients; the group penalty picks the rows centred across classes.
 *
 * Curvature: ∇²F is block-diagonal over rows with blocks (w_i/n)(diag p_i − p_i p_iᵀ), of norm
 * ≤ w_i/(2n) (a variance under p_i is ≤ ‖v‖²/2), so `curvature` = max w / (2n).
 * Dual: F*(u) = (1/n) Σ_i w_i Σ_k s_ik log s_ik with s_i = n u_i / w_i + Y_i on the simplex (the
 * negative entropy), so −F*(u) is exact and the duality gap is a true certificate.
 */
export class MultinomialLoss implements Datafit {
  readonly name: LossName = 'multinomial';
  readonly n: number;
  /** Number of classes K (columns of η). */
  readonly T: number;
  /** One-hot response, column-major n × K. */
  readonly y: Float64Array;
  /** Class index per row. */
  readonly labels: Int32Array;
  readonly sampleWeight: Float64Array | undefined;
  readonly curvature: number;
  readonly quadratic = false;
  readonly separable = false;
  private readonly w: Float64Array;
  private readonly p: Float64Array;

  constructor(labels: Int32Array, K: number, options: { sampleWeight?: ArrayLike<number> } = {}, fn = 'MultinomialLoss') {
    const n = labels.length;
    if (!Number.isInteger(K) || K < 2) throw new ValueError(fn, `the multinomial loss needs at least 2 classes, got ${K}`);
    const seen = new Uint8Array(K);
    const y = new Float64Array(n * K);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      if (!(c >= 0 && c < K)) throw new ShapeError(fn, `class index ${c} at row ${i} is outside 0..${K - 1}`);
      y[c * n + i] = 1;
      seen[c] = 1;
    }
    let present = 0;
    for (let k = 0; k < K; k++) present += seen[k];
    if (present < 2) throw new ValueError(fn, 'multinomial labels have one class only: nothing to discriminate');
    this.n = n;
    this.T = K;
    this.y = y;
    this.labels = labels;
    this.sampleWeight = options.sampleWeight === undefined ? undefined : normalizeSampleWeights(options.sampleWeight, n, fn);
    this.w = this.sampleWeight ?? new Float64Array(n).fill(1);
    this.curvature = maxWeight(this.sampleWeight) / (2 * n);
    this.p = new Float64Array(K);
  }

  /**
   * Row i's loss log Σ_k e^{η_ik} − η_{iy}, as log1p(Σ_{k≠y} e^{η_k − η_y}) when the label holds
   * the largest score (the loss is then tiny and must not come out of a difference of two large
   * numbers), else (m − η_y) + log Σ_k e^{η_k − m} (two non-negative terms). With `probs`, fills
   * this.p with p_i. One exponential per class.
   */
  private row(eta: Float64Array, i: number, probs = true): number {
    const { n, T, p } = this;
    const yi = this.labels[i];
    let m = -Infinity;
    for (let k = 0; k < T; k++) if (eta[k * n + i] > m) m = eta[k * n + i];
    const ey = eta[yi * n + i];
    let others = 0; // Σ_{k≠y} e^{η_k − m}
    for (let k = 0; k < T; k++) {
      const e = k === yi ? 0 : Math.exp(eta[k * n + i] - m);
      if (probs) p[k] = e;
      others += e;
    }
    const ly = ey === m ? 1 : Math.exp(ey - m);
    const s = ly + others;
    if (probs) {
      p[yi] = ly;
      for (let k = 0; k < T; k++) p[k] /= s;
    }
    return ey === m ? Math.log1p(others) : m - ey + Math.log(s);
  }

  value(eta: Float64Array): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) if (this.w[i] > 0) s += this.w[i] * this.row(eta, i, false);
    return s / this.n;
  }

  valueGrad(eta: Float64Array, out: Float64Array): number {
    const { n, T, p, w, labels } = this;
    let s = 0;
    for (let i = 0; i < n; i++) {
      if (w[i] === 0) {
        for (let k = 0; k < T; k++) out[k * n + i] = 0;
        continue;
      }
      s += w[i] * this.row(eta, i);
      const a = w[i] / n;
      for (let k = 0; k < T; k++) out[k * n + i] = a * (p[k] - (k === labels[i] ? 1 : 0));
    }
    return s / n;
  }

  /** out ← diagonal of ∇²F: w_i p_ik(1 − p_ik)/n (the full Hessian acts through hessianVec). */
  hessianDiag(eta: Float64Array, out: Float64Array): void {
    const { n, T, p, w } = this;
    for (let i = 0; i < n; i++) {
      this.row(eta, i);
      const a = w[i] / n;
      for (let k = 0; k < T; k++) out[k * n + i] = a * p[k] * (1 - p[k]);
    }
  }

  /** out ← ∇²F(η) v: (w_i/n) p_ik (v_ik − Σ_l p_il v_il) per row. */
  hessianVec(eta: Float64Array, v: Float64Array, out: Float64Array): void {
    const { n, T, p, w } = this;
    for (let i = 0; i < n; i++) {
      this.row(eta, i);
      let m = 0;
      for (let k = 0; k < T; k++) m += p[k] * v[k * n + i];
      const a = w[i] / n;
      for (let k = 0; k < T; k++) out[k * n + i] = a * p[k] * (v[k * n + i] - m);
    }
  }

  /** out[(k·K + l)·n + i] ← (w_i/n)(p_ik δ_kl − p_ik p_il): each row's K × K Hessian block. */
  rowHessian(eta: Float64Array, out: Float64Array): void {
    const { n, T, p, w } = this;
    for (let i = 0; i < n; i++) {
      this.row(eta, i);
      const a = w[i] / n;
      for (let k = 0; k < T; k++) {
        const ak = a * p[k];
        for (let l = 0; l < T; l++) out[(k * T + l) * n + i] = k === l ? ak * (1 - p[k]) : -ak * p[l];
      }
    }
  }

  subset(rows: ArrayLike<number>): MultinomialLoss {
    const labels = Int32Array.from(rows, (i) => this.labels[i]);
    const w = this.sampleWeight === undefined ? undefined : Float64Array.from(rows, (i) => this.sampleWeight![i]);
    return new MultinomialLoss(labels, this.T, { sampleWeight: w }, 'MultinomialLoss.subset');
  }

  readonly heldOutMetric = 'deviance';
  get freeColumns(): number {
    return this.T - 1;
  }
  /** Deviance per row 2 w_i [log Σ_k e^{η_ik} − η_{iy}] (stable form of `value`). */
  rowLosses(eta: Float64Array, out: Float64Array): number {
    for (let i = 0; i < this.n; i++) out[i] = this.w[i] === 0 ? 0 : 2 * this.w[i] * this.row(eta, i, false);
    return this.n;
  }

  gradient(eta: Float64Array, out: Float64Array): void {
    this.valueGrad(eta, out);
  }
  logLikelihood(eta: Float64Array): number {
    return -this.n * this.value(eta);
  }
  /** Log class frequencies (weighted): the intercept-only fit; −Infinity for an absent class. */
  nullPredictor(): Float64Array {
    const f = new Float64Array(this.T);
    for (let i = 0; i < this.n; i++) f[this.labels[i]] += this.w[i];
    return f.map((c) => Math.log(c / this.n));
  }
  /** The deviance at the log class frequencies (an absent class at log of the smallest double). */
  nullDeviance(): number {
    const c = this.nullPredictor();
    const eta0 = new Float64Array(this.n * this.T);
    for (let k = 0; k < this.T; k++) eta0.fill(Number.isFinite(c[k]) ? c[k] : -745, k * this.n, (k + 1) * this.n);
    return sumRowLosses(this, eta0);
  }
  interceptObstacle(): string | null {
    return null;
  }
  /** 30 on the log-odds scale. */
  explosionLimit(): number {
    return 30;
  }
  fitDiagnostics(): string[] {
    return [];
  }
  strata(): Int32Array | null {
    return Int32Array.from(this.labels);
  }

  /**
   * −F*(u) = −(1/n) Σ_i w_i Σ_k s_ik log s_ik, s_i = n u_i/w_i + Y_i; −Infinity off the simplex
   * (entries a hair below 0 or row sums a hair off 1, from rounding, are accepted as on it).
   */
  dualValue(u: Float64Array): number {
    const { n, T, w, labels } = this;
    let s = 0;
    for (let i = 0; i < n; i++) {
      if (w[i] === 0) {
        for (let k = 0; k < T; k++) if (u[k * n + i] !== 0) return -Infinity;
        continue;
      }
      const a = n / w[i];
      let rowSum = 0;
      let e = 0;
      for (let k = 0; k < T; k++) {
        let t = a * u[k * n + i] + (k === labels[i] ? 1 : 0);
        if (t < 0) {
          if (t < -1e-9) return -Infinity;
          t = 0;
        }
        rowSum += t;
        e += xlogx(t);
      }
      if (Math.abs(rowSum - 1) > 1e-9) return -Infinity;
      s += w[i] * e;
    }
    return -s / n;
  }
}

/** Softmax over the T columns of each row of an n × T column-major array (shifted by the row max). */
export function softmaxRows(eta: Float64Array, out: Float64Array, T: number): void {
  const n = eta.length / T;
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let k = 0; k < T; k++) m = Math.max(m, eta[k * n + i]);
    let s = 0;
    for (let k = 0; k < T; k++) s += (out[k * n + i] = Math.exp(eta[k * n + i] - m));
    for (let k = 0; k < T; k++) out[k * n + i] /= s;
  }
}

/** Class labels from a flat array (numbers or strings) or a one-column matrix. */
function readLabels(y: unknown, n: number, fn: string): ArrayLike<unknown> {
  if (AbstractMatrix.isMatrix(y)) {
    const m = y as AbstractMatrix;
    if (m.columns !== 1) throw new ShapeError(fn, `multinomial labels must be one column, y has ${m.columns}`);
    return m.to1DArray();
  }
  if (y === null || typeof y !== 'object' || typeof (y as ArrayLike<unknown>).length !== 'number') {
    throw new ValueError(fn, 'multinomial labels must be an array (numbers or strings)');
  }
  const a = y as ArrayLike<unknown>;
  if (a.length !== n) throw new ShapeError(fn, `y has ${a.length} labels but X has ${n} rows`);
  return a;
}

/** Code labels with given classes (a fitted model's): a label outside them is refused. */
function codeWith(labels: ArrayLike<unknown>, classes: readonly (number | string)[], fn: string): Int32Array {
  const pos = new Map(classes.map((c, k) => [String(c), k]));
  return Int32Array.from({ length: labels.length }, (_, i) => {
    const k = pos.get(String(labels[i]));
    if (k === undefined) throw new ValueError(fn, `label '${String(labels[i])}' at row ${i} is not a class of the model (${classes.join(', ')})`);
    return k;
  });
}

// The response is categorical labels (numbers or strings); `create` takes whole-number labels.
registerLoss({
  name: 'multinomial', multiTask: false, categorical: true,
  readResponse: (y, n, options, fn) => {
    const labels = readLabels(y, n, fn);
    if (options.classes !== undefined) {
      const classes = [...options.classes];
      return { datafit: new MultinomialLoss(codeWith(labels, classes, fn), classes.length, { sampleWeight: options.sampleWeight }, fn), classes };
    }
    const { classes, index } = encodeClasses(labels, fn);
    return { datafit: new MultinomialLoss(index, classes.length, { sampleWeight: options.sampleWeight }, fn), classes };
  },
  create: (y, n, _T, fn, w) => {
    const { classes, index } = encodeClasses(y.subarray(0, n), fn);
    return new MultinomialLoss(index, classes.length, { sampleWeight: w }, fn);
  },
  inverseLink: (eta, out, T) => softmaxRows(eta, out, T),
});
