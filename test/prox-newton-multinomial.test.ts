import { describe, expect, it } from 'vitest';
import { cvGroupLasso, fitGroupLasso, fitSparseGroupLasso, groupLassoPath, lambdaMax, type FitResult } from '../src/index.ts';
import { chooseSolver, prepareProblem } from '../src/extend.ts';
import { MultinomialLoss, encodeClasses } from '../src/datafits/multinomial.ts';
import { expandForTasks, makeGroups } from '../src/groups/groups.ts';
import { DenseMatrix } from '../src/linalg/dense.ts';
import { GroupLassoPenalty } from '../src/penalties/penalties.ts';
import { drive } from '../src/solvers/driver.ts';
import { ProblemContext } from '../src/solvers/problem.ts';
import { ProxNewton } from '../src/solvers/prox-newton.ts';
import { mulberry32 } from './helpers/problems.ts';

/** The problem generator (mulberry32 and Box–Muller). */
const rng = mulberry32;

interface Problem {
  X: number[][];
  y: string[];
  groups: number[];
  K: number;
}

/** n × p Gaussian design, K classes from noisy linear scores (`scale` large: nearly separable). */
function problem(seed: number, n: number, p: number, K: number, scale = 2): Problem {
  const r = rng(seed);
  const randn = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const X = Array.from({ length: n }, () => Array.from({ length: p }, () => randn()));
  const B = Array.from({ length: K }, (_, k) => Array.from({ length: p }, (_, j) => (j < 3 ? Math.cos(k + 2 * j) : 0)));
  const y = X.map((row) => {
    const s = B.map((b) => scale * b.reduce((a, v, j) => a + v * row[j], 0) + randn());
    return String(s.indexOf(Math.max(...s)));
  });
  return { X, y, groups: Array.from({ length: p }, (_, j) => Math.floor(j / 2)), K };
}

/** A nearly separable 30 × 6, 3-class problem. */
function separableProblem(): Problem {
  const r = rng(3);
  const randn = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const X = Array.from({ length: 30 }, () => Array.from({ length: 6 }, () => randn()));
  const y = X.map((row) => {
    const s = [row[0], -row[0] + row[1], 0.5 * row[2]].map((v) => v * 2 + randn());
    return String(s.indexOf(Math.max(...s)));
  });
  return { X, y, groups: Array.from({ length: 6 }, (_, j) => Math.floor(j / 2)), K: 3 };
}

/**
 * Objective and KKT distance of (W, b) written from the definitions, independent of the library:
 * F = (1/n) Σ_i w_i [log Σ_k e^{η_ik} − η_{i,y_i}] with w normalised to mean 1, the softmax
 * gradient G_jk = (1/n) Σ_i w_i x_ij (p_ik − Y_ik), and per group the distance of −G_g to
 * λ d_g ∂‖W_g‖ (relative to λ d_g; ‖G_g‖/λ for an unpenalized group, d_g = 0), the intercepts'
 * |Σ_i w_i (p_ik − Y_ik)|/n (relative to λ).
 */
function naive(P: Problem, fit: FitResult, lambda: number, d: number[], intercept: boolean, sw?: number[]): { objective: number; kkt: number } {
  const { X, y, groups, K } = P;
  const n = X.length, p = X[0].length;
  const classes = [...new Set(y)].sort();
  const mean = sw ? sw.reduce((a, v) => a + v, 0) / n : 1;
  const w = X.map((_, i) => (sw ? sw[i] / mean : 1));
  const W = (j: number, k: number) => fit.coef[k * p + j];
  const G = Array.from({ length: p }, () => new Array<number>(K).fill(0));
  const Gb = new Array<number>(K).fill(0);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const eta = Array.from({ length: K }, (_, k) => (intercept ? fit.intercepts[k] : 0) + X[i].reduce((a, v, j) => a + v * W(j, k), 0));
    const m = Math.max(...eta);
    const z = eta.reduce((a, e) => a + Math.exp(e - m), 0);
    const yi = classes.indexOf(y[i]);
    loss += w[i] * (m + Math.log(z) - eta[yi]);
    for (let k = 0; k < K; k++) {
      const r = w[i] * (Math.exp(eta[k] - m) / z - (k === yi ? 1 : 0)) / n;
      Gb[k] += r;
      for (let j = 0; j < p; j++) G[j][k] += X[i][j] * r;
    }
  }
  let pen = 0;
  let kkt = intercept ? Math.max(...Gb.map(Math.abs)) / lambda : 0;
  const nG = Math.max(...groups) + 1;
  for (let g = 0; g < nG; g++) {
    const feats = groups.map((gg, j) => (gg === g ? j : -1)).filter((j) => j >= 0);
    let nw = 0;
    for (const j of feats) for (let k = 0; k < K; k++) nw += W(j, k) ** 2;
    nw = Math.sqrt(nw);
    pen += lambda * d[g] * nw;
    if (d[g] === 0) {
      // An unpenalized group: its gradient vanishes (scored against λ).
      let gg = 0;
      for (const j of feats) for (let k = 0; k < K; k++) gg += G[j][k] ** 2;
      kkt = Math.max(kkt, Math.sqrt(gg) / lambda);
      continue;
    }
    let res = 0;
    for (const j of feats) {
      for (let k = 0; k < K; k++) res += (nw > 0 ? G[j][k] + lambda * d[g] * W(j, k) / nw : G[j][k]) ** 2;
    }
    res = Math.sqrt(res);
    kkt = Math.max(kkt, (nw > 0 ? res : Math.max(0, res - lambda * d[g])) / (lambda * d[g]));
  }
  return { objective: loss / n + pen, kkt };
}

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

describe('proximal Newton on the multinomial (several response columns)', () => {
  it("'auto' picks proximal Newton for the multinomial and for weighted multi-task least squares", () => {
    const P = problem(1, 40, 6, 3);
    const prob = prepareProblem(P.X, P.y, { groups: P.groups, loss: 'multinomial' });
    expect(chooseSolver(prob.context(0.1 * prob.lambdaMax()))).toBe('proxNewton');
    const Y = P.X.map((r) => [r[0] + r[1], r[2] - r[0]]);
    const weighted = prepareProblem(P.X, Y, { groups: P.groups, loss: 'multitask', sampleWeight: P.X.map((_, i) => 1 + (i % 3)) });
    expect(chooseSolver(weighted.context(0.1 * weighted.lambdaMax()))).toBe('proxNewton');
    // Unweighted multi-task least squares stays with block coordinate descent (exact block steps).
    const plain = prepareProblem(P.X, Y, { groups: P.groups, loss: 'multitask' });
    expect(chooseSolver(plain.context(0.1 * plain.lambdaMax()))).toBe('bcd');
  });

  const cases: { seed: number; K: number; intercept: boolean; weighted: boolean }[] = [];
  for (const seed of [11, 12, 13]) {
    for (const K of [3, 4]) {
      for (const intercept of [true, false]) cases.push({ seed, K, intercept, weighted: seed === 13 });
    }
  }
  for (const { seed, K, intercept, weighted } of cases) {
    it(`seed ${seed}, K = ${K}, ${intercept ? 'intercept' : 'no intercept'}${weighted ? ', sample weights' : ''}: optimum of a second solver, KKT from a naive softmax`, () => {
      const P = problem(seed, 50, 8, K);
      const sw = weighted ? P.X.map((_, i) => 0.5 + ((i * 7) % 5)) : undefined;
      const d = [1, 1.5, 0.7, 1.2];
      const opts = { groups: P.groups, weights: d, loss: 'multinomial' as const, fitIntercept: intercept, sampleWeight: sw };
      const lmax = lambdaMax(P.X, P.y, opts);
      for (const ratio of [0.5, 0.1, 0.01]) {
        const lambda = ratio * lmax;
        const pn = fitGroupLasso(P.X, P.y, { ...opts, lambda, solver: 'auto', tol: 1e-10 });
        expect(pn.solver).toBe('proxNewton');
        expect(pn.converged).toBe(true);
        // BCD takes no sample weights: FISTA is the reference there.
        const ref = fitGroupLasso(P.X, P.y, { ...opts, lambda, solver: weighted ? 'fista' : 'bcd', tol: 1e-12, maxIter: 200_000 });
        const a = naive(P, pn, lambda, d, intercept, sw);
        const b = naive(P, ref, lambda, d, intercept, sw);
        expect(relDiff(a.objective, pn.objective)).toBeLessThan(1e-12);
        // Proximal Newton's point is no worse than the reference's, to 1e-10 relative.
        expect((a.objective - b.objective) / b.objective).toBeLessThan(1e-10);
        expect(relDiff(a.objective, b.objective)).toBeLessThan(1e-6);
        expect(a.kkt).toBeLessThan(1e-6);
      }
    });
  }

  it("a nearly separable problem: small-λ fits certified, the 100-λ path all converged", () => {
    const P = separableProblem();
    const d = [Math.SQRT2, Math.SQRT2, Math.SQRT2];
    const path = groupLassoPath(P.X, P.y, { groups: P.groups, loss: 'multinomial', nLambda: 100 });
    expect(path.certificates.filter((c) => !c.converged).length).toBe(0);
    for (const k of [91, 99]) {
      const lambda = path.lambdas[k];
      const pn = fitGroupLasso(P.X, P.y, { groups: P.groups, loss: 'multinomial', lambda });
      expect(pn.solver).toBe('proxNewton');
      expect(pn.converged).toBe(true);
      expect(pn.status).toBe('converged');
      const ref = fitGroupLasso(P.X, P.y, { groups: P.groups, loss: 'multinomial', lambda, solver: 'bcd', tol: 1e-12 });
      const a = naive(P, pn, lambda, d, true);
      const b = naive(P, ref, lambda, d, true);
      expect((a.objective - b.objective) / b.objective).toBeLessThan(1e-8);
      expect(relDiff(a.objective, b.objective)).toBeLessThan(1e-6);
      expect(a.kkt).toBeLessThan(1e-6);
      // The path's fit at this λ has the same optimum.
      expect(relDiff(path.certificates[k].objective, b.objective)).toBeLessThan(1e-6);
    }
  });

  it('cross-validation of the nearly separable problem: every fold fit certified', () => {
    const P = separableProblem();
    const cv = cvGroupLasso(P.X, P.y, { groups: P.groups, loss: 'multinomial', nLambda: 30, nFolds: 5, seed: 1 });
    expect(cv.notConverged).toBe(0);
  });

  it('a working set too large for the Gram model (columns mode, diagonal metric): same optimum as BCD', () => {
    const P = problem(21, 80, 90, 3, 1);
    const d = Array.from({ length: 45 }, () => Math.SQRT2);
    const opts = { groups: P.groups, loss: 'multinomial' as const };
    const lambda = 0.03 * lambdaMax(P.X, P.y, opts);
    const pn = fitGroupLasso(P.X, P.y, { ...opts, lambda, solver: 'proxNewton', tol: 1e-10 });
    expect(pn.converged).toBe(true);
    // More than 64 features in the support: the model cannot have been solved on its Gram matrix.
    expect(pn.activeGroups.length * 2).toBeGreaterThan(64);
    const ref = fitGroupLasso(P.X, P.y, { ...opts, lambda, solver: 'bcd', tol: 1e-12 });
    const a = naive(P, pn, lambda, d, true);
    const b = naive(P, ref, lambda, d, true);
    expect(relDiff(a.objective, b.objective)).toBeLessThan(1e-6);
    expect(a.kkt).toBeLessThan(1e-6);
  });

  it('weighted multi-task least squares (separable, exact Hessian): KKT from the normal equations', () => {
    const P = problem(5, 40, 6, 3);
    const n = P.X.length, p = 6, T = 3;
    const r = rng(9);
    const Y = P.X.map((x) => [x[0] - x[2] + r(), 2 * x[1] + r(), x[3] + r()]);
    const sw = P.X.map((_, i) => 1 + (i % 4));
    const mean = sw.reduce((a, v) => a + v, 0) / n;
    const opts = { groups: P.groups, loss: 'multitask' as const, sampleWeight: sw };
    const lambda = 0.1 * lambdaMax(P.X, Y, opts);
    const pn = fitGroupLasso(P.X, Y, { ...opts, lambda, tol: 1e-12 });
    expect(pn.solver).toBe('proxNewton');
    expect(pn.converged).toBe(true);
    const ref = fitGroupLasso(P.X, Y, { ...opts, lambda, solver: 'fista', tol: 1e-12, maxIter: 200_000 });
    expect(relDiff(pn.objective, ref.objective)).toBeLessThan(1e-9);
    // G = (1/n) Xᵀ diag(w) (XW + 1bᵀ − Y), d_g = √2 (groups of 2 features).
    const G = Array.from({ length: p }, () => new Array<number>(T).fill(0));
    const Gb = new Array<number>(T).fill(0);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < T; t++) {
        let e = pn.intercepts[t] - Y[i][t];
        for (let j = 0; j < p; j++) e += P.X[i][j] * pn.coef[t * p + j];
        const res = (sw[i] / mean) * e / n;
        Gb[t] += res;
        for (let j = 0; j < p; j++) G[j][t] += P.X[i][j] * res;
      }
    }
    for (const gb of Gb) expect(Math.abs(gb) / lambda).toBeLessThan(1e-6);
    for (let g = 0; g < 3; g++) {
      const lw = lambda * Math.SQRT2;
      let nw = 0;
      for (const j of [2 * g, 2 * g + 1]) for (let t = 0; t < T; t++) nw += pn.coef[t * p + j] ** 2;
      nw = Math.sqrt(nw);
      let res = 0;
      for (const j of [2 * g, 2 * g + 1]) for (let t = 0; t < T; t++) res += (nw > 0 ? G[j][t] + lw * pn.coef[t * p + j] / nw : G[j][t]) ** 2;
      res = Math.sqrt(res);
      expect((nw > 0 ? res : Math.max(0, res - lw)) / lw).toBeLessThan(1e-6);
    }
  });

  it('an unpenalized group and the sparse-group lasso: same optimum as BCD', () => {
    const P = problem(31, 60, 8, 3);
    const d = [0, 1.4, 1.4, 1.4];
    const opts = { groups: P.groups, weights: d, loss: 'multinomial' as const };
    const lambda = 0.05 * lambdaMax(P.X, P.y, opts);
    const pn = fitGroupLasso(P.X, P.y, { ...opts, lambda, tol: 1e-10 });
    expect(pn.solver).toBe('proxNewton');
    expect(pn.converged).toBe(true);
    const ref = fitGroupLasso(P.X, P.y, { ...opts, lambda, solver: 'bcd', tol: 1e-12 });
    const a = naive(P, pn, lambda, d, true);
    const b = naive(P, ref, lambda, d, true);
    expect(relDiff(a.objective, b.objective)).toBeLessThan(1e-8);
    expect(a.kkt).toBeLessThan(1e-6);
    const sg = { groups: P.groups, loss: 'multinomial' as const, alpha: 0.4 };
    const lam2 = 0.05 * lambdaMax(P.X, P.y, sg);
    const spn = fitSparseGroupLasso(P.X, P.y, { ...sg, lambda: lam2, tol: 1e-10 });
    expect(spn.solver).toBe('proxNewton');
    expect(spn.converged).toBe(true);
    const sref = fitSparseGroupLasso(P.X, P.y, { ...sg, lambda: lam2, solver: 'bcd', tol: 1e-12 });
    expect(relDiff(spn.objective, sref.objective)).toBeLessThan(1e-8);
  });

  it("the rows' Hessian blocks are the Hessian-vector product's; without them the model is formed from products", () => {
    const P = problem(41, 40, 6, 4);
    const { index } = encodeClasses(P.y, 'test');
    const sw = P.X.map((_, i) => 1 + (i % 3));
    const loss = new MultinomialLoss(index, 4, { sampleWeight: sw });
    const n = 40, K = 4;
    const r = rng(2);
    const eta = Float64Array.from({ length: n * K }, () => 3 * (r() - 0.5));
    const v = Float64Array.from({ length: n * K }, () => r() - 0.5);
    const hv = new Float64Array(n * K);
    loss.hessianVec(eta, v, hv);
    const H = new Float64Array(n * K * K);
    loss.rowHessian(eta, H);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < K; t++) {
        let s = 0;
        for (let u = 0; u < K; u++) s += H[(t * K + u) * n + i] * v[u * n + i];
        expect(Math.abs(s - hv[t * n + i])).toBeLessThan(1e-15);
      }
    }
    // The same fit through Hessian-vector products only (a loss that gives no row blocks).
    const X = DenseMatrix.fromRows(P.X);
    const groups = expandForTasks(makeGroups(P.groups, 6), K);
    const lambda = 0.01;
    const plain = Object.defineProperty(new MultinomialLoss(index, K, { sampleWeight: sw }), 'rowHessian', { value: undefined });
    const fits = [loss, plain].map((df) => {
      const ctx = new ProblemContext(X, df, new GroupLassoPenalty(groups, lambda), true);
      return drive(ctx, new ProxNewton(ctx, new Float64Array(ctx.size)), { stopOn: 'gap', tol: 1e-11, maxIter: 10_000, checkEvery: 1 });
    });
    for (const f of fits) expect(f.converged).toBe(true);
    expect(relDiff(fits[0].certificate.primal, fits[1].certificate.primal)).toBeLessThan(1e-10);
    const scale = Math.max(...fits[0].w.map(Math.abs));
    for (let c = 0; c < fits[0].w.length; c++) expect(Math.abs(fits[0].w[c] - fits[1].w[c])).toBeLessThan(1e-4 * scale);
  });
});
