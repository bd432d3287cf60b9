import { describe, expect, it } from 'vitest';
import { LogisticLoss } from '../src/datafits/datafits.ts';
import { MultinomialLoss, encodeClasses } from '../src/datafits/multinomial.ts';
import { ValueError } from '../src/errors.ts';
import { expandForTasks, makeGroups } from '../src/groups/groups.ts';
import { DenseMatrix } from '../src/linalg/dense.ts';
import { GroupLassoPenalty } from '../src/penalties/penalties.ts';
import { drive } from '../src/solvers/driver.ts';
import { ProblemContext, evaluate, newPoint } from '../src/solvers/problem.ts';
import { Fista } from '../src/solvers/proximal.ts';
import { mulberry32 } from './helpers/problems.ts';

const rng = mulberry32;

const randn = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** Labels from a softmax model on X (n × p rows), K classes, with signal on the first 2 features. */
function classData(n: number, p: number, K: number, seed: number) {
  const r = rng(seed);
  const rows = Array.from({ length: n }, () => Array.from({ length: p }, () => randn(r)));
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = Array.from({ length: K }, (_, k) => 1.5 * rows[i][0] * (k - (K - 1) / 2) + (k === 1 ? rows[i][1] : 0));
    const m = Math.max(...s);
    const e = s.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    let q = r() * z;
    let c = 0;
    while (c < K - 1 && q > e[c]) q -= e[c++];
    labels[i] = c;
  }
  return { rows, labels };
}

/** Naive loss straight from the definition (no stabilisation: used on moderate η only). */
function naiveLoss(eta: Float64Array, labels: Int32Array, K: number, w?: ArrayLike<number>): number {
  const n = labels.length;
  let s = 0;
  let sw = 0;
  for (let i = 0; i < n; i++) sw += w ? w[i] : 1;
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let k = 0; k < K; k++) z += Math.exp(eta[k * n + i]);
    s += ((w ? w[i] : 1) * n / sw) * (Math.log(z) - eta[labels[i] * n + i]);
  }
  return s / n;
}

describe('MultinomialLoss', () => {
  const n = 30, K = 4;
  const { labels } = classData(n, 2, K, 1);
  const r = rng(2);
  const eta = Float64Array.from({ length: n * K }, () => 2 * randn(r));
  const w = Float64Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 0 : 1 + (i % 3)));

  it('value against the definition, weighted and not', () => {
    expect(new MultinomialLoss(labels, K).value(eta)).toBeCloseTo(naiveLoss(eta, labels, K), 13);
    expect(new MultinomialLoss(labels, K, { sampleWeight: w }).value(eta)).toBeCloseTo(naiveLoss(eta, labels, K, w), 13);
  });

  it('gradient and Hessian-vector product by finite differences; diagonal = diag of the Hessian', () => {
    const f = new MultinomialLoss(labels, K, { sampleWeight: w });
    const g = new Float64Array(n * K);
    f.valueGrad(eta, g);
    const h = 1e-6;
    for (let i = 0; i < n * K; i++) {
      const a = eta.slice(), b = eta.slice();
      a[i] += h;
      b[i] -= h;
      expect(g[i]).toBeCloseTo((f.value(a) - f.value(b)) / (2 * h), 8);
    }
    const v = Float64Array.from({ length: n * K }, () => randn(r));
    const hv = new Float64Array(n * K);
    f.hessianVec(eta, v, hv);
    const gp = new Float64Array(n * K), gm = new Float64Array(n * K);
    f.valueGrad(eta.map((e, i) => e + 1e-5 * v[i]), gp);
    f.valueGrad(eta.map((e, i) => e - 1e-5 * v[i]), gm);
    for (let i = 0; i < n * K; i++) expect(hv[i]).toBeCloseTo((gp[i] - gm[i]) / 2e-5, 8);
    const d = new Float64Array(n * K);
    f.hessianDiag(eta, d);
    const e = new Float64Array(n * K), col = new Float64Array(n * K);
    for (const i of [0, 7, n + 3, 3 * n + 29]) {
      e.fill(0);
      e[i] = 1;
      f.hessianVec(eta, e, col);
      expect(d[i]).toBeCloseTo(col[i], 14);
    }
    // Curvature bound vᵀ∇²F v ≤ curvature‖v‖².
    let q = 0, vv = 0;
    for (let i = 0; i < n * K; i++) {
      q += v[i] * hv[i];
      vv += v[i] * v[i];
    }
    expect(q).toBeLessThanOrEqual(f.curvature * vv);
  });

  it('is finite and exact where e^η overflows (scores of ±1000, label on the largest)', () => {
    const f = new MultinomialLoss(Int32Array.from([0, 1]), 2);
    const big = Float64Array.from([1000, -1000, -1000, 1000]); // row 0 class 0, row 1 class 1
    // log(1 + e^{−2000}) = e^{−2000} underflows to 0: the loss is exactly 0 in double precision.
    expect(f.value(big)).toBe(0);
    const wrong = Float64Array.from([-1000, 1000, 1000, -1000]);
    expect(f.value(wrong)).toBeCloseTo(2000, 10);
    const tiny = Float64Array.from([40, 0, 0, 40]);
    expect(f.value(tiny)).toBeCloseTo(Math.log1p(Math.exp(-40)), 30);
    expect(f.value(tiny) / Math.exp(-40)).toBeCloseTo(1, 12);
  });

  it('Fenchel–Young: F(η′) ≥ ⟨u, η′⟩ + D(u), equality at u = ∇F(η); off the simplex D = −∞', () => {
    const f = new MultinomialLoss(labels, K, { sampleWeight: w });
    const g = new Float64Array(n * K);
    const F = f.valueGrad(eta, g);
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
    expect(F).toBeCloseTo(dot(g, eta) + f.dualValue(g), 12);
    for (const theta of [0.9, 0.3, 0]) {
      const u = g.map((v) => theta * v);
      const D = f.dualValue(u);
      expect(Number.isFinite(D)).toBe(true);
      for (let s = 0; s < 5; s++) {
        const e2 = Float64Array.from({ length: n * K }, () => 3 * randn(r));
        expect(f.value(e2) - dot(u, e2) - D).toBeGreaterThanOrEqual(-1e-12);
      }
    }
    const off = g.slice();
    off[1] += 1e-3; // row sum ≠ 0
    expect(f.dualValue(off)).toBe(-Infinity);
  });

  it('K = 2 is the logistic loss with η = η₁ − η₀', () => {
    const lab = Int32Array.from({ length: n }, (_, i) => labels[i] % 2);
    const e2 = eta.subarray(0, 2 * n);
    const diff = Float64Array.from({ length: n }, (_, i) => e2[n + i] - e2[i]);
    const logi = new LogisticLoss(Float64Array.from(lab), n, 'test', w);
    const multi = new MultinomialLoss(lab, 2, { sampleWeight: w });
    expect(multi.value(e2)).toBeCloseTo(logi.value(diff), 13);
  });

  it('refuses one class, non-categorical labels and bad class indices', () => {
    expect(() => encodeClasses([2, 2, 2], 'fit')).toThrow(ValueError);
    expect(() => encodeClasses([2, 2, 2], 'fit')).toThrow(/one class only/);
    expect(() => encodeClasses([1, 2.5, 1], 'fit')).toThrow(/must be categorical \(integers or strings\), got 2.5/);
    expect(() => encodeClasses([1, NaN], 'fit')).toThrow(/got NaN/);
    expect(() => encodeClasses([1, null], 'fit')).toThrow(/integers or strings, got null/);
    expect(encodeClasses(['b', 'a', 'c', 'a'], 'fit')).toEqual({ classes: ['a', 'b', 'c'], index: Int32Array.from([1, 0, 2, 0]) });
    expect(encodeClasses([10, -1, 10], 'fit').classes).toEqual([-1, 10]);
    expect(() => new MultinomialLoss(Int32Array.from([0, 0]), 2, {}, 'fit')).toThrow(/one class only/);
    expect(() => new MultinomialLoss(Int32Array.from([0, 3]), 2, {}, 'fit')).toThrow(/outside 0..1/);
    expect(() => new MultinomialLoss(Int32Array.from([0, 1]), 1, {}, 'fit')).toThrow(/at least 2 classes/);
  });
});

/**
 * Independent oracle: plain proximal gradient for the multinomial group lasso with intercepts,
 * written from the formulas with arrays of rows (no code shared with the library):
 *   min (1/n) Σ_i [log Σ_k e^{x_iᵀW_k + b_k} − x_iᵀW_{y_i} − b_{y_i}] + λ Σ_j ‖W_j·‖
 * (a feature's weight d_g = √p_g = 1 as in the multi-task layout: K does not enter it).
 * Step 1/L with L = ‖[X 1]‖²/(2n) ≥ the Lipschitz constant; run for a fixed, large number of steps.
 */
function oracle(rows: number[][], labels: Int32Array, K: number, lambda: number, iters: number) {
  const n = rows.length, p = rows[0].length;
  let fro = 0;
  for (const r of rows) for (const v of r) fro += v * v;
  const L = (fro + n) / (2 * n); // ‖[X 1]‖₂² ≤ ‖[X 1]‖_F²
  const W = Array.from({ length: p }, () => new Array(K).fill(0));
  const b = new Array(K).fill(0);
  for (let it = 0; it < iters; it++) {
    const GW = Array.from({ length: p }, () => new Array(K).fill(0));
    const gb = new Array(K).fill(0);
    for (let i = 0; i < n; i++) {
      const s = Array.from({ length: K }, (_, k) => b[k] + rows[i].reduce((a, x, j) => a + x * W[j][k], 0));
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, c) => a + c, 0);
      for (let k = 0; k < K; k++) {
        const r = (e[k] / z - (labels[i] === k ? 1 : 0)) / n;
        gb[k] += r;
        for (let j = 0; j < p; j++) GW[j][k] += rows[i][j] * r;
      }
    }
    for (let k = 0; k < K; k++) b[k] -= gb[k] / L;
    for (let j = 0; j < p; j++) {
      const v = W[j].map((x, k) => x - GW[j][k] / L);
      const nv = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
      const t = lambda / L;
      W[j] = nv <= t ? new Array(K).fill(0) : v.map((x) => x * (1 - t / nv));
    }
  }
  return { W, b };
}

describe('multinomial group lasso fit', () => {
  const n = 60, p = 5, K = 3;
  const { rows, labels } = classData(n, p, K, 5);
  const X = DenseMatrix.fromRows(rows);
  const groups = expandForTasks(makeGroups(Array.from({ length: p }, (_, j) => j), p), K);

  function solve(lambda: number, loss = new MultinomialLoss(labels, K)) {
    const ctx = new ProblemContext(X, loss, new GroupLassoPenalty(groups, lambda), true);
    const pt = newPoint(ctx);
    evaluate(ctx, new Float64Array(ctx.size), pt);
    const res = drive(ctx, new Fista(ctx, new Float64Array(ctx.size)), { stopOn: 'gap', tol: 1e-10, maxIter: 100_000, checkEvery: 10 });
    return { res, ctx };
  }

  it('matches a naive proximal-gradient oracle, with a certified duality gap', () => {
    const lambda = 0.03;
    const { res, ctx } = solve(lambda);
    expect(res.converged).toBe(true);
    expect(res.certificate.relativeGap).toBeLessThan(1e-10);
    const ref = oracle(rows, labels, K, lambda, 6000);
    const intercepts = ctx.unpenalizedCoefficients().intercepts;
    let worst = 0;
    let zeros = 0;
    for (let j = 0; j < p; j++) {
      for (let k = 0; k < K; k++) worst = Math.max(worst, Math.abs(res.w[k * p + j] - ref.W[j][k]));
      if (ref.W[j].every((x) => x === 0)) {
        zeros++;
        for (let k = 0; k < K; k++) expect(res.w[k * p + j]).toBe(0);
      }
    }
    expect(zeros).toBeGreaterThan(0); // the case under test has dropped groups
    expect(zeros).toBeLessThan(p);
    expect(worst).toBeLessThan(1e-6);
    // Intercepts are defined up to a common shift: compare centred.
    const mb = ref.b.reduce((a, c) => a + c, 0) / K;
    const mi = intercepts.reduce((a, c) => a + c, 0) / K;
    for (let k = 0; k < K; k++) expect(intercepts[k] - mi).toBeCloseTo(ref.b[k] - mb, 5);
    // The group penalty leaves each row of W centred across classes.
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += res.w[k * p + j];
      expect(Math.abs(s)).toBeLessThan(1e-8);
    }
  });

  it('integer sample weights give the fit of the data with rows repeated', () => {
    const wt = Array.from({ length: n }, (_, i) => (i % 3) + (i % 5 === 0 ? 0 : 1));
    const reps: number[] = [];
    wt.forEach((c, i) => {
      for (let r = 0; r < c; r++) reps.push(i);
    });
    const lambda = 0.04;
    const { res } = solve(lambda, new MultinomialLoss(labels, K, { sampleWeight: wt }));
    const Xr = DenseMatrix.fromRows(reps.map((i) => rows[i]));
    const lr = Int32Array.from(reps, (i) => labels[i]);
    const ctx = new ProblemContext(Xr, new MultinomialLoss(lr, K), new GroupLassoPenalty(groups, lambda), true);
    const pt = newPoint(ctx);
    evaluate(ctx, new Float64Array(ctx.size), pt);
    const rep = drive(ctx, new Fista(ctx, new Float64Array(ctx.size)), { stopOn: 'gap', tol: 1e-10, maxIter: 100_000, checkEvery: 10 });
    expect(res.converged && rep.converged).toBe(true);
    for (let c = 0; c < p * K; c++) expect(res.w[c]).toBeCloseTo(rep.w[c], 6);
  });

  it('K = 2: the fit at λ is the logistic group lasso at λ/√2 with β = W₁ − W₀', () => {
    // W's rows are centred (w, −w)/… at the optimum, so ‖W_g‖_F = ‖β_g‖/√2 with β = W₁ − W₀.
    const lab = Int32Array.from(labels, (c) => (c === 2 ? 1 : 0));
    const g2 = makeGroups([0, 0, 1, 2, 2], p);
    const lambda = 0.02;
    const ctxM = new ProblemContext(X, new MultinomialLoss(lab, 2), new GroupLassoPenalty(expandForTasks(g2, 2), lambda), true);
    const ctxL = new ProblemContext(X, new LogisticLoss(Float64Array.from(lab), n), new GroupLassoPenalty(g2, lambda / Math.SQRT2), true);
    const run = (ctx: ProblemContext) => {
      const pt = newPoint(ctx);
      evaluate(ctx, new Float64Array(ctx.size), pt);
      return drive(ctx, new Fista(ctx, new Float64Array(ctx.size)), { stopOn: 'gap', tol: 1e-11, maxIter: 100_000, checkEvery: 10 });
    };
    const m = run(ctxM);
    const l = run(ctxL);
    expect(m.converged && l.converged).toBe(true);
    let nonzero = 0;
    for (let j = 0; j < p; j++) {
      expect(m.w[p + j] - m.w[j]).toBeCloseTo(l.w[j], 6);
      if (l.w[j] !== 0) nonzero++;
    }
    expect(nonzero).toBeGreaterThan(0);
    expect(nonzero).toBeLessThan(p);
    const bm = ctxM.unpenalizedCoefficients().intercepts;
    expect(bm[1] - bm[0]).toBeCloseTo(ctxL.unpenalizedCoefficients().intercepts[0], 6);
  });
});
