import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CoxLoss } from '../src/datafits/cox.ts';
import { makeGroups } from '../src/groups/groups.ts';
import { DenseMatrix } from '../src/linalg/dense.ts';
import { GroupLassoPenalty } from '../src/penalties/penalties.ts';
import { drive } from '../src/solvers/driver.ts';
import { ProblemContext, evaluate, newPoint } from '../src/solvers/problem.ts';
import { Fista } from '../src/solvers/proximal.ts';

// Fixtures written by scripts/survival-fixtures.R (survival::coxph and grpreg::grpsurv).
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/grpreg/${name}`, import.meta.url), 'utf8'));

interface CoxphFixture {
  columns: string[];
  time: number[];
  status: number[];
  X: number[][]; // column by column
  weights: number[];
  fits: { ties: 'breslow' | 'efron'; weighted: boolean; coef: number[]; loglik: number }[];
}

function design(cols: number[][]): DenseMatrix {
  return DenseMatrix.fromColumns ? DenseMatrix.fromColumns(cols) : DenseMatrix.fromRows(cols[0].map((_, i) => cols.map((c) => c[i])));
}

function linearPredictor(cols: number[][], beta: ArrayLike<number>): Float64Array {
  const n = cols[0].length;
  const eta = new Float64Array(n);
  for (let j = 0; j < cols.length; j++) for (let i = 0; i < n; i++) eta[i] += cols[j][i] * beta[j];
  return eta;
}

describe('Cox loss against survival::coxph (lung, complete cases)', () => {
  const fx: CoxphFixture = fixture('coxph-lung.json');
  const n = fx.time.length;
  for (const f of fx.fits) {
    it(`${f.ties}${f.weighted ? ', case weights' : ''}: F at coxph's β is −loglik/Σw and its gradient vanishes`, () => {
      const loss = new CoxLoss(fx.time, fx.status, { ties: f.ties, sampleWeight: f.weighted ? fx.weights : undefined });
      const sw = f.weighted ? fx.weights.reduce((a, b) => a + b, 0) : n;
      const eta = linearPredictor(fx.X, f.coef);
      const u = new Float64Array(n);
      const F = loss.valueGrad(eta, u);
      // coxph's weighted loglik uses the weights as given; F uses them scaled to mean 1, which
      // multiplies every risk-set sum by n/Σw: a constant (Σ_events w/Σw)·log(n/Σw) apart.
      const events = fx.status.reduce((a, d, i) => a + d * (f.weighted ? fx.weights[i] : 1), 0);
      expect(F).toBeCloseTo(-f.loglik / sw + (events / sw) * Math.log(n / sw), 11);
      // Score equations Xᵀ∇F = 0 at coxph's optimum, relative to the size of one column's terms.
      for (let j = 0; j < fx.X.length; j++) {
        let g = 0, scale = 0;
        for (let i = 0; i < n; i++) {
          g += fx.X[j][i] * u[i];
          scale += Math.abs(fx.X[j][i] * u[i]);
        }
        expect(Math.abs(g)).toBeLessThan(1e-7 * scale);
      }
    });
  }

  it('Breslow with integer case weights equals the data with rows repeated', () => {
    const reps: number[] = [];
    fx.weights.forEach((w, i) => {
      for (let r = 0; r < w; r++) reps.push(i);
    });
    const weighted = new CoxLoss(fx.time, fx.status, { sampleWeight: fx.weights });
    const repeated = new CoxLoss(reps.map((i) => fx.time[i]), reps.map((i) => fx.status[i]));
    const f = fx.fits.find((x) => x.ties === 'breslow' && x.weighted)!;
    const eta = linearPredictor(fx.X, f.coef);
    const etaRep = Float64Array.from(reps, (i) => eta[i]);
    const sw = reps.length;
    const events = fx.status.reduce((a, d, i) => a + d * fx.weights[i], 0);
    expect(weighted.value(eta)).toBeCloseTo(repeated.value(etaRep) + (events / sw) * Math.log(n / sw), 13);
    const g = new Float64Array(n);
    const gRep = new Float64Array(reps.length);
    weighted.valueGrad(eta, g);
    repeated.valueGrad(etaRep, gRep);
    // The weighted gradient of row i is the sum of its copies' gradients.
    const summed = new Float64Array(n);
    reps.forEach((i, k) => (summed[i] += gRep[k]));
    for (let i = 0; i < n; i++) expect(g[i]).toBeCloseTo(summed[i], 14);
  });
});

interface GrpsurvFixture {
  columns: string[];
  group: string[];
  time: number[];
  status: number[];
  X: number[][];
  lambda: number[];
  beta: number[][]; // one column of coefficients per λ
  loss: number[];
}

describe('group-lasso Cox path against grpreg::grpsurv (veteran)', () => {
  const fx: GrpsurvFixture = fixture('grpsurv-veteran.json');
  const n = fx.time.length;
  const X = design(fx.X);
  const groups = makeGroups(fx.group, fx.columns.length);
  const loss = new CoxLoss(fx.time, fx.status);

  it('λ_max: every group is zero at grpsurv’s first λ, and that λ is max_g ‖X_gᵀ∇F(0)‖/√p_g', () => {
    const ctx = new ProblemContext(X, loss, new GroupLassoPenalty(groups, fx.lambda[0]), false);
    const pt = newPoint(ctx);
    evaluate(ctx, new Float64Array(ctx.size), pt);
    let m = 0;
    for (let g = 0; g < groups.nGroups; g++) m = Math.max(m, ctx.penalty.groupDualNorm(pt.grad, g));
    expect(m).toBeCloseTo(fx.lambda[0], 12);
    expect(fx.beta[0].every((b) => b === 0)).toBe(true);
  });

  it('coefficients, objective and selected groups at every λ of the path', () => {
    let w = new Float64Array(fx.columns.length);
    let worst = 0;
    for (let l = 1; l < fx.lambda.length; l++) {
      const ctx = new ProblemContext(X, loss, new GroupLassoPenalty(groups, fx.lambda[l]), false);
      const pt = newPoint(ctx);
      evaluate(ctx, new Float64Array(ctx.size), pt);
      const res = drive(ctx, new Fista(ctx, w), { stopOn: 'gap', tol: 1e-11, maxIter: 200_000, checkEvery: 10 });
      expect(res.converged).toBe(true);
      w = res.w.slice();
      const ref = fx.beta[l];
      for (let j = 0; j < ref.length; j++) worst = Math.max(worst, Math.abs(w[j] - ref[j]));
      // Same groups selected (a group is in when any of its coefficients is non-zero).
      for (let g = 0; g < groups.nGroups; g++) {
        const members = Array.from(groups.indices.subarray(groups.ptr[g], groups.ptr[g + 1]));
        expect(members.some((j) => w[j] !== 0)).toBe(members.some((j) => ref[j] !== 0));
      }
      // grpsurv's loss is n·F; both points are optimal to their solvers' accuracy, so the
      // objectives agree closely and ours (certified) is not above grpsurv's.
      const objective = (b: ArrayLike<number>) => loss.value(linearPredictor(fx.X, b)) + ctx.penalty.value(Float64Array.from(b));
      expect(loss.value(linearPredictor(fx.X, ref)) * n).toBeCloseTo(fx.loss[l], 8);
      expect(objective(w)).toBeLessThanOrEqual(objective(ref) + 1e-10);
      expect(objective(w)).toBeGreaterThan(objective(ref) - 1e-8);
    }
    expect(worst).toBeLessThan(1e-5);
  });
});
