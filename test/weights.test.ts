import { describe, expect, it } from 'vitest';
import { CoxLoss } from '../src/datafits/cox.ts';
import { LogisticLoss, PoissonLoss, SquaredLoss, type Datafit } from '../src/datafits/datafits.ts';
import { normalizeSampleWeights } from '../src/datafits/weights.ts';
import { ShapeError, ValueError } from '../src/errors.ts';
import { makeGroups } from '../src/groups/groups.ts';
import { DenseMatrix } from '../src/linalg/dense.ts';
import { GroupLassoPenalty } from '../src/penalties/penalties.ts';
import { certify } from '../src/solvers/certificate.ts';
import { drive } from '../src/solvers/driver.ts';
import { ProblemContext, evaluate, newPoint } from '../src/solvers/problem.ts';
import { Fista } from '../src/solvers/proximal.ts';
import { mulberry32 } from './helpers/problems.ts';

const rng = mulberry32;

const n = 40, p = 6;
const r = rng(11);
const rows = Array.from({ length: n }, () => Array.from({ length: p }, () => 2 * r() - 1));
const lin = rows.map((x) => 1.5 * x[0] - x[1] + 0.8 * x[2]);
const responses = {
  squared: lin.map((v) => v + 0.3 * (r() - 0.5)),
  logistic: lin.map((v) => (r() < 1 / (1 + Math.exp(-2 * v)) ? 1 : 0)),
  poisson: lin.map((v) => Math.floor(Math.exp(0.7 * v) * 2 * r() + 0.5)),
};
// Integer weights, some 0 (a removed row), some 3 (a row counted three times).
const wt = Array.from({ length: n }, (_, i) => [1, 0, 2, 3, 1][i % 5]);
const reps: number[] = [];
wt.forEach((c, i) => {
  for (let k = 0; k < c; k++) reps.push(i);
});
const groups = makeGroups([0, 0, 1, 1, 2, 2], p);

function make(loss: keyof typeof responses, y: number[], w?: number[]): Datafit {
  const yy = Float64Array.from(y);
  if (loss === 'squared') return new SquaredLoss(yy, y.length, 1, w);
  if (loss === 'logistic') return new LogisticLoss(yy, y.length, 'test', w);
  return new PoissonLoss(yy, y.length, 'test', w);
}

function solve(X: DenseMatrix, df: Datafit, lambda: number, intercept: boolean) {
  const ctx = new ProblemContext(X, df, new GroupLassoPenalty(groups, lambda), intercept);
  const pt = newPoint(ctx);
  evaluate(ctx, new Float64Array(ctx.size), pt);
  const res = drive(ctx, new Fista(ctx, new Float64Array(ctx.size)), { stopOn: 'gap', tol: 1e-11, maxIter: 200_000, checkEvery: 10 });
  return { res, ctx };
}

describe('sample weights: integer weights give the fit of the data with rows repeated', () => {
  const X = DenseMatrix.fromRows(rows);
  const Xr = DenseMatrix.fromRows(reps.map((i) => rows[i]));
  for (const loss of ['squared', 'logistic', 'poisson'] as const) {
    it(`${loss}: same coefficients and intercept, same objective, certified gap`, () => {
      const y = responses[loss];
      const lambda = 0.05;
      const a = solve(X, make(loss, y, wt), lambda, true);
      const b = solve(Xr, make(loss, reps.map((i) => y[i])), lambda, true);
      expect(a.res.converged && b.res.converged).toBe(true);
      let nz = 0;
      for (let j = 0; j < p; j++) {
        expect(a.res.w[j]).toBeCloseTo(b.res.w[j], 7);
        if (b.res.w[j] !== 0) nz++;
      }
      expect(nz).toBeGreaterThan(0);
      expect(a.ctx.unpenalizedCoefficients().intercepts[0]).toBeCloseTo(b.ctx.unpenalizedCoefficients().intercepts[0], 7);
      // Mean-1 weights: the weighted objective is the repeated data's objective (same λ scale).
      expect(a.res.certificate.primal).toBeCloseTo(b.res.certificate.primal, 10);
      // The gap stays a true upper bound under weights: the weighted dual bound is below the
      // optimum found independently on the repeated data.
      expect(a.res.certificate.dual).toBeLessThanOrEqual(b.res.certificate.primal + 1e-12);
      // …and it is not trivially loose: at a poor point the gap is large, and it shrinks.
      const far = certify(a.ctx, new Float64Array(p).fill(0.5));
      expect(far.gap).toBeGreaterThan(1e3 * a.res.certificate.gap);
    });
  }

  it('cox (Breslow): weighted fit equals the repeated rows fit', () => {
    const time = Array.from({ length: n }, (_, i) => 1 + ((i * 7) % 23));
    const status = Array.from({ length: n }, (_, i) => (i % 4 === 3 ? 0 : 1));
    const a = solve(X, new CoxLoss(time, status, { sampleWeight: wt }), 0.02, false);
    const b = solve(Xr, new CoxLoss(reps.map((i) => time[i]), reps.map((i) => status[i])), 0.02, false);
    expect(a.res.converged && b.res.converged).toBe(true);
    for (let j = 0; j < p; j++) expect(a.res.w[j]).toBeCloseTo(b.res.w[j], 6);
  });
});

describe('weighted losses: value and dual by the definition', () => {
  it('squared: F = Σ w r²/(2n) with mean-1 weights, and F(η′) ≥ ⟨u, η′⟩ + D(u) with equality at ∇F', () => {
    const y = Float64Array.from(responses.squared);
    const f = new SquaredLoss(y, n, 1, wt);
    const eta = Float64Array.from({ length: n }, () => r());
    const sw = wt.reduce((a, b) => a + b, 0);
    let ref = 0;
    for (let i = 0; i < n; i++) ref += ((wt[i] * n) / sw) * (y[i] - eta[i]) ** 2;
    expect(f.value(eta)).toBeCloseTo(ref / (2 * n), 14);
    const g = new Float64Array(n);
    const F = f.valueGrad(eta, g);
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);
    expect(F).toBeCloseTo(dot(g, eta) + f.dualValue(g), 13);
    const e2 = Float64Array.from({ length: n }, () => 3 * r());
    expect(f.value(e2) - dot(g, e2) - f.dualValue(g)).toBeGreaterThanOrEqual(-1e-13);
    // A non-zero dual entry on a weight-0 row is outside dom F*.
    const bad = g.slice();
    bad[1] = 1e-3; // wt[1] = 0
    expect(f.dualValue(bad)).toBe(-Infinity);
  });

  for (const loss of ['logistic', 'poisson'] as const) {
    it(`${loss}: Fenchel–Young equality at the gradient under weights`, () => {
      const f = make(loss, responses[loss], wt);
      const eta = Float64Array.from({ length: n }, () => r() - 0.5);
      const g = new Float64Array(n);
      const F = f.valueGrad(eta, g);
      let ge = 0;
      for (let i = 0; i < n; i++) ge += g[i] * eta[i];
      expect(F).toBeCloseTo(ge + f.dualValue(g), 12);
    });
  }

  it('refuses bad weights', () => {
    expect(() => normalizeSampleWeights([1, 2], 3, 'fit')).toThrow(ShapeError);
    expect(() => normalizeSampleWeights([1, NaN, 1], 3, 'fit')).toThrow(/sampleWeight must be finite and ≥ 0, got NaN at position 1/);
    expect(() => normalizeSampleWeights([1, -1, 1], 3, 'fit')).toThrow(ValueError);
    expect(() => normalizeSampleWeights([0, 0, 0], 3, 'fit')).toThrow(/0 for every row/);
    expect(Array.from(normalizeSampleWeights([1, 3], 2, 'fit'))).toEqual([0.5, 1.5]);
  });
});
