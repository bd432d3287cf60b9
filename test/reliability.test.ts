/**
 * Numerical robustness: degenerate and extreme problems. Every fit is checked by the independent
 * certificate (test/helpers/independent.ts) — "converged" must mean certified — and, where the
 * answer is known in closed form or by a second method, compared with it.
 */
import { describe, expect, it } from 'vitest';
import {
  DenseMatrix, fitGroupLasso, fitSparseGroupLasso, lambdaMax, proxGroupLasso, proxSparseGroup, projectL2Ball,
  Random, type FitResult,
} from '../src/index.ts';
import { checkResult, independentCertificate, safeNorm, type IndependentLoss, type PlainProblem } from './helpers/independent.ts';

type Opts = { groups: number[][]; weights?: number[]; lambda: number; loss?: IndependentLoss; fitIntercept?: boolean; alpha?: number };

function plain(X: number[][], y: number[], o: Opts): PlainProblem {
  return {
    X, Y: y.map((v) => [v]), loss: o.loss ?? 'squared', groups: o.groups,
    weights: o.weights ?? o.groups.map((g) => Math.sqrt(g.length)), lambda: o.lambda, alpha: o.alpha,
    fitIntercept: o.fitIntercept ?? true,
  };
}

/** Fit and require a certified result (converged and independently verified). */
function certifiedFit(X: number[][], y: number[], o: Opts & { tol?: number; solver?: 'ista' | 'fista'; maxIter?: number }): FitResult {
  const tol = o.tol ?? 1e-8;
  const common = { groups: o.groups, weights: o.weights, lambda: o.lambda, loss: o.loss, fitIntercept: o.fitIntercept, tol, solver: o.solver, maxIter: o.maxIter };
  const fit = o.alpha === undefined ? fitGroupLasso(X, y, common) : fitSparseGroupLasso(X, y, { ...common, alpha: o.alpha });
  expect(fit.status).toBe('converged');
  // The solver certifies with the best dual point met along the way; the check may build its own
  // (valid wherever its primal point comes from) from a re-solve to a tiny KKT violation.
  // Its KKT violation 10⁴ times smaller (KKT units depend on the scaling of X, so relative to the
  // fit's own); a point that gets part of the way is still a valid primal point for the check.
  const refine = (): FitResult | null => {
    const more = { ...common, stopOn: 'kkt' as const, tol: Math.max(1e-4 * fit.relativeKkt, Number.MIN_VALUE), maxIter: 50_000, solver: 'fista' as const, warmStart: { coef: fit.coef } };
    return o.alpha === undefined ? fitGroupLasso(X, y, more) : fitSparseGroupLasso(X, y, { ...more, alpha: o.alpha });
  };
  expect(checkResult(plain(X, y, o), fit, { tol, stopOn: 'gap' }, refine)).toEqual([]);
  return fit;
}

function randn(rng: Random, n: number, p: number, scale = 1): number[][] {
  return Array.from({ length: n }, () => Array.from(rng.normals(p), (v) => v * scale));
}

function linearResponse(rng: Random, X: number[][], beta: number[], noise = 0.3): number[] {
  return X.map((r) => r.reduce((s, x, j) => s + x * beta[j], 0.5) + noise * rng.normal());
}

function logisticLabels(rng: Random, X: number[][], beta: number[]): number[] {
  return X.map((r) => (rng.uniform() < 1 / (1 + Math.exp(-r.reduce((s, x, j) => s + x * beta[j], 0))) ? 1 : 0));
}

/** Solve the normal equations AᵀA z = Aᵀy (Gaussian elimination, partial pivoting), A = [1, X]. */
function leastSquaresWithIntercept(X: number[][], y: number[]): { b: number; w: number[] } {
  const n = X.length;
  const k = X[0].length + 1;
  const A = X.map((r) => [1, ...r]);
  const M = Array.from({ length: k }, (_, a) => Array.from({ length: k + 1 }, (_, c) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += A[i][a] * (c < k ? A[i][c] : y[i]);
    return s;
  }));
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = c + 1; r < k; r++) {
      const f = M[r][c] / M[c][c];
      for (let q = c; q <= k; q++) M[r][q] -= f * M[c][q];
    }
  }
  const z = new Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) {
    let s = M[r][k];
    for (let q = r + 1; q < k; q++) s -= M[r][q] * z[q];
    z[r] = s / M[r][r];
  }
  return { b: z[0], w: z.slice(1) };
}

const consecutive = (sizes: number[]): number[][] => {
  let k = 0;
  return sizes.map((s) => Array.from({ length: s }, () => k++));
};

describe('degenerate columns', () => {
  const rng = new Random(11);
  const X = randn(rng, 40, 6);
  for (const r of X) {
    r[2] = 7; // constant column: in the span of the intercept
    r[5] = r[4]; // exact duplicate inside one group
  }
  const groups = [[0, 1], [2], [3, 4, 5]];
  const y = linearResponse(rng, X, [1, -1, 0, 0.5, 0.4, 0.4]);
  const lm = lambdaMax(X, y, { groups });

  it('squared loss: certified; a constant-column group stays exactly 0; duplicates share equally', () => {
    for (const solver of ['ista', 'fista'] as const) {
      const fit = certifiedFit(X, y, { groups, lambda: 0.1 * lm, solver });
      expect(fit.coef[2]).toBe(0);
      // For fixed w₄ + w₅ the group norm is smallest at w₄ = w₅: the split is unique.
      expect(Math.abs(fit.coef[4] - fit.coef[5])).toBeLessThan(1e-4 * Math.abs(fit.coef[4]));
    }
  });

  it('logistic and Poisson: certified on the same columns', () => {
    const labels = logisticLabels(rng, X, [1, -1, 0, 0.5, 0.4, 0.4]);
    const lmL = lambdaMax(X, labels, { groups, loss: 'logistic' });
    certifiedFit(X, labels, { groups, lambda: 0.2 * lmL, loss: 'logistic' });
    const counts = X.map((r) => Math.round(Math.exp(0.3 * r[0])));
    const lmP = lambdaMax(X, counts, { groups, loss: 'poisson' });
    certifiedFit(X, counts, { groups, lambda: 0.2 * lmP, loss: 'poisson' });
  });

  it('perfectly collinear groups (one group = 2 × another) are certified', () => {
    const Z = X.map((r) => [r[0], r[1], 2 * r[0], 2 * r[1], r[3]]);
    const g = [[0, 1], [2, 3], [4]];
    const yz = linearResponse(rng, Z, [1, -1, 0, 0, 0.5]);
    const l = lambdaMax(Z, yz, { groups: g });
    for (const f of [0.05, 0.5]) certifiedFit(Z, yz, { groups: g, lambda: f * l, solver: 'fista' });
  });

  it('an all-zero column and a group that is a copy of the intercept', () => {
    const Z = X.map((r) => [r[0], 0, 1, r[3]]);
    const g = [[0], [1], [2], [3]];
    const fit = certifiedFit(Z, y, { groups: g, lambda: 0.05 * lambdaMax(Z, y, { groups: g }) });
    expect(fit.coef[1]).toBe(0);
    expect(fit.coef[2]).toBe(0);
  });
});

describe('shapes: n ≪ p and p ≪ n', () => {
  it('n = 50, p = 5000 (1000 groups of 5): certified at 0.2·λ_max', () => {
    const rng = new Random(5);
    const n = 50;
    const p = 5000;
    const X = randn(rng, n, p);
    const beta = new Array<number>(p).fill(0);
    for (let j = 0; j < 15; j++) beta[j] = rng.normal();
    const y = linearResponse(rng, X, beta);
    const groups = consecutive(new Array<number>(1000).fill(5));
    const lm = lambdaMax(X, y, { groups });
    const fit = certifiedFit(X, y, { groups, lambda: 0.2 * lm, tol: 1e-6, solver: 'fista' });
    expect(fit.activeGroups.length).toBeGreaterThan(0);
    expect(fit.activeGroups.length).toBeLessThan(n);
  });

  it('n = 3000, p = 6: squared and logistic certified; λ = 0 equals least squares', () => {
    const rng = new Random(6);
    const X = randn(rng, 3000, 6);
    const beta = [1, -2, 0.5, 0, 0, 0.3];
    const y = linearResponse(rng, X, beta);
    const groups = [[0, 1], [2, 3], [4, 5]];
    certifiedFit(X, y, { groups, lambda: 0.05 * lambdaMax(X, y, { groups }) });
    const labels = logisticLabels(rng, X, beta);
    certifiedFit(X, labels, { groups, lambda: 0.05 * lambdaMax(X, labels, { groups, loss: 'logistic' }), loss: 'logistic' });
    const ls = leastSquaresWithIntercept(X, y);
    const fit0 = certifiedFit(X, y, { groups, lambda: 0 });
    for (let j = 0; j < 6; j++) expect(Math.abs(fit0.coef[j] - ls.w[j])).toBeLessThan(1e-10 * (1 + Math.abs(ls.w[j])));
    expect(Math.abs(fit0.intercept - ls.b)).toBeLessThan(1e-10);
  });
});

describe('λ = 0 on a full-rank problem is least squares', () => {
  it('matches a normal-equations solve, for ill-conditioned columns too', () => {
    const rng = new Random(7);
    const X = randn(rng, 30, 5);
    for (const r of X) r[4] = r[3] + 1e-3 * r[4]; // nearly collinear, still full rank
    const y = linearResponse(rng, X, [1, 0, -1, 2, 0]);
    const groups = [[0, 1], [2], [3, 4]];
    const ls = leastSquaresWithIntercept(X, y);
    for (const solver of ['ista', 'fista'] as const) {
      const fit = certifiedFit(X, y, { groups, lambda: 0, solver });
      for (let j = 0; j < 5; j++) expect(Math.abs(fit.coef[j] - ls.w[j])).toBeLessThan(1e-7 * (1 + Math.abs(ls.w[j])));
      expect(Math.abs(fit.intercept - ls.b)).toBeLessThan(1e-7 * (1 + Math.abs(ls.b)));
    }
  });

  it('without intercept too', () => {
    const rng = new Random(8);
    const X = randn(rng, 20, 4);
    const y = linearResponse(rng, X, [1, 2, 0, -1]);
    const groups = [[0, 1], [2, 3]];
    const fit = certifiedFit(X, y, { groups, lambda: 0, fitIntercept: false });
    // Normal equations XᵀX w = Xᵀy checked directly: the residual is orthogonal to every column.
    const r = X.map((row, i) => y[i] - row.reduce((s, x, j) => s + x * fit.coef[j], 0));
    for (let j = 0; j < 4; j++) expect(Math.abs(X.reduce((s, row, i) => s + row[j] * r[i], 0))).toBeLessThan(1e-10);
  });
});

describe('extreme feature scales (1e±150): no overflow in norms', () => {
  const rng = new Random(9);
  const X0 = randn(rng, 25, 6);
  const y = linearResponse(rng, X0, [1, -1, 0.5, 0, 0, 0]);
  const groups = [[0, 1], [2, 3], [4, 5]];
  const lm0 = lambdaMax(X0, y, { groups });

  it('the prox is scale-equivariant: prox(s·v, s·τ) = s·prox(v, τ)', () => {
    const v = [3, 4, 1, 2, 0.5, -0.5];
    const base = proxGroupLasso(v, groups, 1.1);
    const baseSg = proxSparseGroup(v, groups, 1.1, 0.3);
    for (const s of [1e150, 1e-150, 1e200, 1e-200]) {
      const out = proxGroupLasso(v.map((x) => x * s), groups, 1.1 * s);
      const outSg = proxSparseGroup(v.map((x) => x * s), groups, 1.1 * s, 0.3);
      const ball = projectL2Ball(v.map((x) => x * s), 2 * s);
      for (let j = 0; j < v.length; j++) {
        expect(Number.isFinite(out[j])).toBe(true);
        expect(Math.abs(out[j] / s - base[j])).toBeLessThan(1e-14 * (1 + Math.abs(base[j])));
        expect(Math.abs(outSg[j] / s - baseSg[j])).toBeLessThan(1e-14 * (1 + Math.abs(baseSg[j])));
      }
      expect(safeNorm(Array.from(ball)) / s).toBeCloseTo(2, 12);
    }
  });

  it('λ_max scales with the features', () => {
    for (const s of [1e150, 1e-150]) {
      const Xs = X0.map((r) => r.map((x) => x * s));
      const lm = lambdaMax(Xs, y, { groups });
      expect(Math.abs(lm / s - lm0)).toBeLessThan(1e-12 * lm0);
    }
  });

  it('the fit is scale-equivariant: same iterates, objective and s·coef as the certified unscaled fit', () => {
    const ref = certifiedFit(X0, y, { groups, lambda: 0.2 * lm0, tol: 1e-10, solver: 'fista' });
    for (const s of [1e150, 1e-150]) {
      const Xs = X0.map((r) => r.map((x) => x * s));
      const fit = fitGroupLasso(Xs, y, { groups, lambda: 0.2 * lm0 * s, tol: 1e-10, solver: 'fista' });
      expect(fit.converged).toBe(true);
      expect(fit.iterations).toBe(ref.iterations);
      expect(Math.abs(fit.objective - ref.objective)).toBeLessThan(1e-12 * ref.objective);
      expect(Math.abs(fit.dualityGap - ref.dualityGap)).toBeLessThan(1e-12 * ref.objective);
      for (let j = 0; j < 6; j++) expect(Math.abs(fit.coef[j] * s - ref.coef[j])).toBeLessThan(1e-12 * (1 + Math.abs(ref.coef[j])));
      // The objective of the returned point, recomputed from rows at this scale.
      const c = independentCertificate(plain(Xs, y, { groups, lambda: 0.2 * lm0 * s }), fit.coef, fit.intercepts);
      expect(Math.abs(c.primal - fit.objective)).toBeLessThan(1e-12 * fit.objective);
    }
  });

  it('a single column at 1e150 next to ordinary ones', () => {
    const Xm = X0.map((r) => r.map((x, j) => (j === 2 ? x * 1e150 : x)));
    const lm = lambdaMax(Xm, y, { groups: [[0, 1], [2], [3, 4, 5]] });
    expect(Number.isFinite(lm)).toBe(true);
    const fit = certifiedFit(Xm, y, { groups: [[0, 1], [2], [3, 4, 5]], lambda: 0.3 * lm });
    expect(Array.from(fit.coef).every(Number.isFinite)).toBe(true);
    expect(fit.groupNorms[1]).toBeGreaterThan(0);
  });
});

describe('Poisson with large counts', () => {
  it('means from 1 to 1e6 converge to a relative gap of 1e-10 and are certified', () => {
    const rng = new Random(17);
    const groups = [[0, 1], [2, 3], [4, 5]];
    for (const base of [1, 100, 1e4, 1e6]) {
      const X = randn(rng, 60, 6);
      const y = X.map((r) => Math.round(base * Math.exp(0.3 * r[0] - 0.2 * r[1]) * (1 + 0.05 * rng.normal())));
      const lm = lambdaMax(X, y, { groups, loss: 'poisson' });
      for (const f of [0.1, 0.01]) {
        const o = { groups, loss: 'poisson' as const, lambda: f * lm };
        const fit = fitGroupLasso(X, y, { ...o, tol: 1e-10 });
        expect(fit.status).toBe('converged');
        // Second dual source: a cold run to rounding level (dual points rescaled from one iterate
        // are weak here, as the conjugate's curvature scales with the counts).
        const refine = (): FitResult => fitGroupLasso(X, y, { ...o, tol: 1e-14, stopOn: 'both', maxIter: 3000 });
        expect(checkResult(plain(X, y, o), fit, { tol: 1e-10, stopOn: 'gap' }, refine)).toEqual([]);
      }
    }
  });
});

describe('logistic regression on separable data', () => {
  it('λ > 0 still converges (the penalty keeps the optimum finite) and is certified', () => {
    const rng = new Random(12);
    const X = randn(rng, 60, 4);
    const labels = X.map((r) => (r[0] + r[1] > 0 ? 1 : 0)); // perfectly separable
    const groups = [[0, 1], [2, 3]];
    const lm = lambdaMax(X, labels, { groups, loss: 'logistic' });
    for (const f of [0.5, 0.05, 0.005]) {
      for (const solver of ['ista', 'fista'] as const) {
        const fit = certifiedFit(X, labels, { groups, lambda: f * lm, loss: 'logistic', solver, maxIter: 200_000 });
        expect(fit.groupNorms[0]).toBeGreaterThan(0);
      }
    }
  });
});

describe('λ at the edge of λ_max', () => {
  const rng = new Random(13);
  const X = randn(rng, 30, 6);
  const y = linearResponse(rng, X, [1, 0.5, 0, 0, -1, 0]);
  const groups = [[0, 1], [2, 3], [4, 5]];
  const lm = lambdaMax(X, y, { groups });

  it('λ = λ_max: all zero, certified at the first check', () => {
    const fit = certifiedFit(X, y, { groups, lambda: lm });
    expect(Array.from(fit.coef).every((c) => c === 0)).toBe(true);
  });

  it('λ = (1 − 1e-12)·λ_max: certified; at most the group defining λ_max moves, by a hair', () => {
    for (const solver of ['ista', 'fista'] as const) {
      const fit = certifiedFit(X, y, { groups, lambda: lm * (1 - 1e-12), solver });
      expect(Math.max(...Array.from(fit.coef, Math.abs))).toBeLessThan(1e-8);
    }
  });

  it('logistic: λ = (1 − 1e-12)·λ_max is certified', () => {
    const labels = logisticLabels(rng, X, [1, 0.5, 0, 0, -1, 0]);
    const l = lambdaMax(X, labels, { groups, loss: 'logistic' });
    certifiedFit(X, labels, { groups, lambda: l * (1 - 1e-12), loss: 'logistic' });
  });
});

describe('unpenalized groups (weight 0)', () => {
  const rng = new Random(14);
  const X = randn(rng, 40, 7);
  for (const r of X) r[6] = r[5]; // group [4, 5, 6] is rank-deficient
  const y = linearResponse(rng, X, [1, -1, 0, 0, 0.7, 0.3, 0.3]);
  const groups = [[0, 1], [2, 3], [4, 5, 6]];
  const weights = [Math.SQRT2, Math.SQRT2, 0];

  it('a rank-deficient unpenalized block is fitted exactly and the fit certified', () => {
    for (const loss of ['squared', 'logistic'] as const) {
      const resp = loss === 'squared' ? y : logisticLabels(rng, X, [1, -1, 0, 0, 0.7, 0.3, 0.3]);
      const lm = lambdaMax(X, resp, { groups, weights, loss });
      for (const f of [0.1, 0.9, 2]) {
        const fit = certifiedFit(X, resp, { groups, weights, lambda: f * lm, loss });
        // The unpenalized group is never dropped and its gradient vanishes (part of the certificate).
        expect(fit.activeGroups).toContain(2);
        if (f >= 1) expect(fit.activeGroups).toEqual([2]);
      }
    }
  });

  it('above λ_max the fit equals least squares on [1, X_U] (dropped duplicate column gets 0)', () => {
    const lm = lambdaMax(X, y, { groups, weights });
    const fit = certifiedFit(X, y, { groups, weights, lambda: 2 * lm });
    const ls = leastSquaresWithIntercept(X.map((r) => [r[4], r[5]]), y); // column 6 = column 5
    expect(Math.abs(fit.coef[4] - ls.w[0])).toBeLessThan(1e-9);
    expect(Math.abs(fit.coef[5] + fit.coef[6] - ls.w[1])).toBeLessThan(1e-9);
    expect(Math.abs(fit.intercept - ls.b)).toBeLessThan(1e-9);
  });

  it('sparse-group lasso with an unpenalized group is certified', () => {
    const lm = lambdaMax(X, y, { groups, weights, alpha: 0.4 });
    certifiedFit(X, y, { groups, weights, lambda: 0.2 * lm, alpha: 0.4 });
  });
});

describe('the independent certificate is not a rubber stamp', () => {
  it('flags a perturbed solution and a wrong objective', () => {
    const rng = new Random(15);
    const X = randn(rng, 30, 4);
    const y = linearResponse(rng, X, [1, 0, -1, 0]);
    const groups = [[0, 1], [2, 3]];
    const lambda = 0.1 * lambdaMax(X, y, { groups });
    const fit = certifiedFit(X, y, { groups, lambda });
    const P = plain(X, y, { groups, lambda });
    const moved = { ...fit, coef: fit.coef.map((c, j) => (j === 0 ? c + 1e-3 : c)) };
    expect(checkResult(P, moved, { tol: 1e-8, stopOn: 'gap' }).join(' ')).toMatch(/objective|gap/);
    expect(checkResult(P, { ...fit, objective: fit.objective * (1 + 1e-6) }, { tol: 1e-8, stopOn: 'gap' }).join(' ')).toMatch(/objective/);
    expect(checkResult(P, { ...fit, kktViolation: 1 }, { tol: 1e-8, stopOn: 'gap' }).join(' ')).toMatch(/KKT/);
    expect(checkResult(P, { ...fit, converged: false, status: '' }, { tol: 1e-8, stopOn: 'gap' })).not.toEqual([]);
    // At the exact solution of a tiny problem the independent gap is at rounding level.
    const c = independentCertificate(P, fit.coef, fit.intercepts);
    expect(c.gap).toBeLessThan(1e-8 * c.primal + 1e-13);
  });

  it('a DenseMatrix input gives the same certified fit as rows', () => {
    const rng = new Random(16);
    const X = randn(rng, 20, 4);
    const y = linearResponse(rng, X, [1, 0, -1, 0]);
    const groups = [[0, 1], [2, 3]];
    const lambda = 0.1 * lambdaMax(X, y, { groups });
    const a = fitGroupLasso(X, y, { groups, lambda });
    const b = fitGroupLasso(DenseMatrix.fromRows(X), y, { groups, lambda });
    expect(Array.from(b.coef)).toEqual(Array.from(a.coef));
  });
});
