/**
 * A new loss and a new penalty written against the extension kit only (`groupsparse/solvers`,
 * src/extend.ts): each is one class and one registration in this file, and no library file knows
 * them. They then fit, certify, run along a path, cross-validate and serve the estimator, and the
 * answers are checked against an oracle written here (a plain proximal-gradient loop on the rows,
 * and the optimality conditions computed from the rows).
 */
import { describe, expect, it } from 'vitest';
import { cvGroupLasso, fitGroupLasso, GroupLasso, groupLassoPath, lambdaMax, ValueError } from '../src/index.ts';
import {
  registerLoss, registerPenalty, subsetResponse, type Datafit, type GroupStructure, type Penalty,
} from '../src/extend.ts';
import { randomProblem } from './helpers/problems.ts';

const DELTA = 1;

/** Huber loss F(η) = (1/n) Σ_i h(y_i − η_i), h(r) = r²/2 for |r| ≤ δ, δ(|r| − δ/2) beyond. */
class HuberLoss implements Datafit {
  readonly name = 'test-huber';
  readonly T = 1;
  readonly separable = true;
  readonly sampleWeight = undefined;
  readonly quadratic = false;
  readonly freeColumns = 1;
  readonly heldOutMetric = 'mean Huber loss';
  readonly curvature: number;
  constructor(readonly y: Float64Array, readonly n: number) {
    this.curvature = 1 / n;
  }
  private static h(r: number): number {
    const a = Math.abs(r);
    return a <= DELTA ? 0.5 * r * r : DELTA * (a - 0.5 * DELTA);
  }
  value(eta: Float64Array): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += HuberLoss.h(this.y[i] - eta[i]);
    return s / this.n;
  }
  gradient(eta: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.n; i++) out[i] = -Math.max(-DELTA, Math.min(DELTA, this.y[i] - eta[i])) / this.n;
  }
  valueGrad(eta: Float64Array, out: Float64Array): number {
    this.gradient(eta, out);
    return this.value(eta);
  }
  hessianDiag(eta: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.n; i++) out[i] = Math.abs(this.y[i] - eta[i]) <= DELTA ? 1 / this.n : 0;
  }
  hessianVec(eta: Float64Array, v: Float64Array, out: Float64Array): void {
    this.hessianDiag(eta, out);
    for (let i = 0; i < this.n; i++) out[i] *= v[i];
  }
  /** −F*(u) = −Σ_i (u_i y_i + (n/2) u_i²) on |n u_i| ≤ δ (h* is s²/2 on [−δ, δ]). */
  dualValue(u: Float64Array): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) {
      let ui = u[i];
      if (Math.abs(this.n * ui) > DELTA) {
        if (Math.abs(this.n * ui) > DELTA * (1 + 1e-9)) return -Infinity;
        ui = Math.sign(ui) * DELTA / this.n;
      }
      s += ui * this.y[i] + 0.5 * this.n * ui * ui;
    }
    return -s;
  }
  subset(rows: ArrayLike<number>): Datafit {
    return new HuberLoss(subsetResponse(this.y, this.n, 1, rows), rows.length);
  }
  rowLosses(eta: Float64Array, out: Float64Array): number {
    for (let i = 0; i < this.n; i++) out[i] = HuberLoss.h(this.y[i] - eta[i]);
    return this.n;
  }
  logLikelihood(eta: Float64Array): number {
    return -this.n * this.value(eta);
  }
  /** The Huber location estimate: the constant c with Σ ψ(y_i − c) = 0 (bisection). */
  nullPredictor(): Float64Array {
    let lo = Math.min(...this.y), hi = Math.max(...this.y);
    for (let it = 0; it < 200; it++) {
      const c = 0.5 * (lo + hi);
      let s = 0;
      for (let i = 0; i < this.n; i++) s += Math.max(-DELTA, Math.min(DELTA, this.y[i] - c));
      if (s > 0) lo = c;
      else hi = c;
    }
    return Float64Array.of(0.5 * (lo + hi));
  }
  nullDeviance(): number {
    const c = this.nullPredictor()[0];
    let s = 0;
    for (let i = 0; i < this.n; i++) s += HuberLoss.h(this.y[i] - c);
    return s;
  }
  interceptObstacle(): string | null {
    return null;
  }
  explosionLimit(): number {
    return 1e6;
  }
  fitDiagnostics(): string[] {
    return [];
  }
  strata(): Int32Array | null {
    return null;
  }
}

registerLoss({
  name: 'test-huber', multiTask: false,
  create: (y, n, _T, fn, w) => {
    if (w !== undefined) throw new ValueError(fn, 'the Huber loss of this test takes no sample weights');
    return new HuberLoss(Float64Array.from(y.subarray(0, n)), n);
  },
  inverseLink: (eta, out) => out.set(eta.subarray(0, out.length)),
});

/** Ω(w) = λ Σ_g d_g Σ_{j∈g} |w_j|: the lasso with one weight per group (no strong or safe rule). */
class WeightedL1 implements Penalty {
  readonly name = 'test-weightedL1';
  readonly convex = true;
  readonly gapSafe = false;
  constructor(readonly groups: GroupStructure, readonly lambda: number) {}
  withLambda(lambda: number): Penalty {
    return new WeightedL1(this.groups, lambda);
  }
  isPenalized(g: number): boolean {
    return this.lambda > 0 && this.groups.weights[g] > 0;
  }
  groupValue(w: Float64Array, g: number): number {
    const { ptr, indices, weights } = this.groups;
    let s = 0;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) s += Math.abs(w[indices[k]]);
    return this.lambda * weights[g] * s;
  }
  value(w: Float64Array): number {
    let s = 0;
    for (let g = 0; g < this.groups.nGroups; g++) s += this.groupValue(w, g);
    return s;
  }
  groupProx(v: Float64Array, len: number, g: number, step: number): void {
    const t = step * this.lambda * this.groups.weights[g];
    for (let k = 0; k < len; k++) v[k] = Math.abs(v[k]) <= t ? 0 : v[k] - Math.sign(v[k]) * t;
  }
  proxInPlace(out: Float64Array, v: Float64Array, step: number): number {
    out.set(v);
    const { ptr, indices } = this.groups;
    const block = new Float64Array(Math.max(0, ...Array.from({ length: this.groups.nGroups }, (_, g) => ptr[g + 1] - ptr[g])));
    for (let g = 0; g < this.groups.nGroups; g++) {
      if (!this.isPenalized(g)) continue;
      const m = ptr[g + 1] - ptr[g];
      for (let k = 0; k < m; k++) block[k] = v[indices[ptr[g] + k]];
      this.groupProx(block, m, g, step);
      for (let k = 0; k < m; k++) out[indices[ptr[g] + k]] = block[k];
    }
    return this.value(out);
  }
  groupViolation(w: Float64Array, grad: Float64Array, g: number): number {
    const { ptr, indices, weights } = this.groups;
    const l = this.isPenalized(g) ? this.lambda * weights[g] : 0;
    let s = 0;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) {
      const j = indices[k];
      const d = w[j] !== 0 ? Math.abs(grad[j] + l * Math.sign(w[j])) : Math.max(Math.abs(grad[j]) - l, 0);
      s += d * d;
    }
    return Math.sqrt(s);
  }
  groupDualNorm(z: Float64Array, g: number): number {
    const { ptr, indices, weights } = this.groups;
    let m = 0;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) m = Math.max(m, Math.abs(z[indices[k]]));
    return weights[g] > 0 ? m / weights[g] : m === 0 ? 0 : Infinity;
  }
  strongRuleThreshold(): number {
    return -Infinity;
  }
  gapSafeScreen(): boolean {
    return false;
  }
}

registerPenalty({ name: 'test-weightedL1', params: [], checkParams: () => ({}), create: (gs, lambda) => new WeightedL1(gs, lambda) });

const huber = (r: number) => (Math.abs(r) <= DELTA ? 0.5 * r * r : DELTA * (Math.abs(r) - 0.5 * DELTA));
const psi = (r: number) => Math.max(-DELTA, Math.min(DELTA, r));

/** The oracle: proximal gradient on the rows (intercept unpenalized), its objective and its KKT distance. */
function oracle(X: number[][], y: number[], groups: number[][], d: number[], lambda: number, iters = 40_000) {
  const n = X.length, p = X[0].length;
  // Step 1/L with L = (‖X‖_F² + n)/n ≥ the curvature of the Huber loss in (w, b).
  let fro = n;
  for (const row of X) for (const v of row) fro += v * v;
  const step = n / fro;
  const thr = new Array<number>(p).fill(0);
  groups.forEach((g, k) => g.forEach((j) => (thr[j] = lambda * d[k])));
  const w = new Array<number>(p).fill(0);
  let b = 0;
  const grads = () => {
    const gw = new Array<number>(p).fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      let e = b;
      for (let j = 0; j < p; j++) e += X[i][j] * w[j];
      const r = -psi(y[i] - e) / n;
      gb += r;
      for (let j = 0; j < p; j++) gw[j] += X[i][j] * r;
    }
    return { gw, gb };
  };
  for (let it = 0; it < iters; it++) {
    const { gw, gb } = grads();
    b -= step * gb;
    for (let j = 0; j < p; j++) {
      const v = w[j] - step * gw[j];
      const t = step * thr[j];
      w[j] = Math.abs(v) <= t ? 0 : v - Math.sign(v) * t;
    }
  }
  const objective = (wv: ArrayLike<number>, bv: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      let e = bv;
      for (let j = 0; j < p; j++) e += X[i][j] * wv[j];
      s += huber(y[i] - e);
    }
    let pen = 0;
    for (let j = 0; j < p; j++) pen += thr[j] * Math.abs(wv[j]);
    return s / n + pen;
  };
  const kkt = (wv: ArrayLike<number>, bv: number) => {
    const save = w.slice(), sb = b;
    for (let j = 0; j < p; j++) w[j] = wv[j];
    b = bv;
    const { gw, gb } = grads();
    w.splice(0, p, ...save);
    b = sb;
    let v = Math.abs(gb);
    for (const g of groups) {
      let s = 0;
      for (const j of g) {
        const dj = wv[j] !== 0 ? Math.abs(gw[j] + thr[j] * Math.sign(wv[j])) : Math.max(Math.abs(gw[j]) - thr[j], 0);
        s += dj * dj;
      }
      v = Math.max(v, Math.sqrt(s));
    }
    return v;
  };
  return { w, b, objective, kkt };
}

describe('a loss and a penalty registered through the extension kit alone', () => {
  const pr = randomProblem(11, 60, [3, 2, 4]);
  // Heavy-tailed noise: a few gross outliers, where the Huber loss differs from the squared one.
  const y = pr.y.map((v, i) => (i % 13 === 0 ? v + 25 : v));
  const groups = pr.groups;
  const opts = { groups, loss: 'test-huber', penalty: 'test-weightedL1', weights: 'one' as const };

  it('fitGroupLasso fits the Huber loss with the weighted ℓ1 penalty and certifies it; the oracle agrees', () => {
    const lmax = lambdaMax(pr.X, y, opts);
    const lambda = 0.1 * lmax;
    const ref = oracle(pr.X, y, groups, [1, 1, 1], lambda);
    for (const solver of ['auto', 'fista', 'bcd'] as const) {
      const f = fitGroupLasso(pr.X, y, { ...opts, lambda, tol: 1e-10, solver });
      expect(f.converged, `${solver}: ${f.status}`).toBe(true);
      expect(f.loss).toBe('test-huber');
      expect(f.penalty).toBe('test-weightedL1');
      // The certificate is a true bound: its dual objective is below the oracle's primal value.
      expect(f.dualObjective).toBeLessThanOrEqual(ref.objective(ref.w, ref.b) + 1e-12);
      expect(f.relativeGap).toBeLessThanOrEqual(1e-10);
      // Objective and coefficients: the oracle's, and its KKT distance from the rows is ~0.
      expect(Math.abs(ref.objective(f.coef, f.intercept) - f.objective)).toBeLessThanOrEqual(1e-12 * Math.abs(f.objective) + 1e-14);
      expect(Math.abs(f.objective - ref.objective(ref.w, ref.b))).toBeLessThanOrEqual(1e-9 * f.objective);
      for (let j = 0; j < ref.w.length; j++) expect(f.coef[j]).toBeCloseTo(ref.w[j], 4);
      expect(ref.kkt(f.coef, f.intercept)).toBeLessThan(1e-5);
      // Exact zeros where the oracle has them (ℓ1 within groups: coordinates, not only groups).
      expect(Array.from(f.coef, (v) => v === 0)).toEqual(ref.w.map((v) => v === 0));
    }
  });

  it('λ_max is where the oracle first moves off zero; a path with no screening rule is certified throughout', () => {
    const lmax = lambdaMax(pr.X, y, opts);
    const above = oracle(pr.X, y, groups, [1, 1, 1], 1.01 * lmax, 5000);
    const below = oracle(pr.X, y, groups, [1, 1, 1], 0.95 * lmax, 20_000);
    expect(above.w.every((v) => v === 0)).toBe(true);
    expect(below.w.some((v) => v !== 0)).toBe(true);
    const path = groupLassoPath(pr.X, y, { ...opts, nLambda: 8, lambdaMinRatio: 0.05, tol: 1e-9 });
    expect(path.lambdas[0]).toBeCloseTo(lmax, 12);
    expect(path.certificates.every((c) => c.converged)).toBe(true);
    const k = path.lambdas.length - 1;
    const ref = oracle(pr.X, y, groups, [1, 1, 1], path.lambdas[k]);
    expect(Math.abs(ref.objective(path.coefs[k], path.intercept[k]) - ref.objective(ref.w, ref.b))).toBeLessThan(1e-8);
  });

  it('cross-validation scores held-out rows by the loss’s own rowLosses; the estimator predicts and scores', () => {
    const cv = cvGroupLasso(pr.X, y, { ...opts, nLambda: 6, lambdaMinRatio: 0.05, nFolds: 4, seed: 1, tol: 1e-8 });
    expect(cv.metric).toBe('mean Huber loss');
    // meanLoss is the mean over rows of h(y − η̂) with η̂ the out-of-fold prediction: recompute one λ.
    const m = cv.indexMin;
    let total = 0;
    for (let f = 0; f < 4; f++) {
      const train = y.map((_, i) => i).filter((i) => cv.foldIds[i] !== f);
      const test = y.map((_, i) => i).filter((i) => cv.foldIds[i] === f);
      const fit = fitGroupLasso(train.map((i) => pr.X[i]), train.map((i) => y[i]), { ...opts, lambda: cv.lambdas[m], tol: 1e-10 });
      for (const i of test) total += huber(y[i] - (fit.intercept + pr.X[i].reduce((s, x, j) => s + x * fit.coef[j], 0)));
    }
    expect(cv.meanLoss[m]).toBeCloseTo(total / y.length, 6);

    const est = new GroupLasso({ ...opts, lambda: 0.05 * lambdaMax(pr.X, y, opts) }).fit(pr.X, y);
    const pred = est.predict(pr.X);
    // D² = 1 − Σh(y − ŷ)/Σh(y − c₀), c₀ the Huber location of y: computed here from the predictions.
    let c0lo = Math.min(...y), c0hi = Math.max(...y);
    for (let it = 0; it < 200; it++) {
      const c = 0.5 * (c0lo + c0hi);
      if (y.reduce((s, v) => s + psi(v - c), 0) > 0) c0lo = c;
      else c0hi = c;
    }
    const c0 = 0.5 * (c0lo + c0hi);
    const d2 = 1 - y.reduce((s, v, i) => s + huber(v - pred[i]), 0) / y.reduce((s, v) => s + huber(v - c0), 0);
    expect(est.score(pr.X, y)).toBeCloseTo(d2, 10);
    expect(d2).toBeGreaterThan(0);
    expect(() => fitGroupLasso(pr.X, y, { ...opts, lambda: 0.1, sampleWeight: y.map(() => 1) })).toThrow(/takes no sample weights/);
  });
});
