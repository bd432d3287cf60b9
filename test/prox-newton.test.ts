import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DenseMatrix, fitGroupLasso, fitSparseGroupLasso, groupLassoPath, lambdaMax, Random, type FitResult } from '../src/index.ts';
import { naiveCheck } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

function clearlyActive(fit: FitResult): number[] {
  const top = Math.max(...fit.groupNorms, 0);
  return fit.activeGroups.filter((g) => fit.groupNorms[g] > 1e-6 * top);
}

const problemArb = fc.record({
  loss: fc.constantFrom('logistic' as const, 'poisson' as const),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  n: fc.integer({ min: 20, max: 60 }),
  sizes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 8 }),
  ratio: fc.double({ min: 0.05, max: 0.9, noNaN: true }),
  intercept: fc.boolean(),
  unpenalized: fc.boolean(),
});

describe('proximal Newton agrees with FISTA and satisfies the optimality conditions', () => {
  it('logistic and Poisson, intercept, unpenalized groups: objective to 1e-8, KKT from rows', () => {
    fc.assert(
      fc.property(problemArb, ({ loss, seed, n, sizes, ratio, intercept, unpenalized }) => {
        const P = randomProblem(seed, n, sizes, loss);
        const weights = P.weights.slice();
        if (unpenalized) weights[sizes.length - 1] = 0;
        const opts = { groups: P.groups, weights, loss, fitIntercept: intercept };
        let lambda: number;
        try {
          lambda = ratio * lambdaMax(P.X, P.y, opts);
        } catch {
          fc.pre(false); // a degenerate draw (e.g. no finite unpenalized fit) says nothing here
          return;
        }
        const ref = fitGroupLasso(P.X, P.y, { ...opts, lambda, solver: 'fista', tol: 1e-12, maxIter: 200_000 });
        fc.pre(ref.converged);
        const pn = fitGroupLasso(P.X, P.y, { ...opts, lambda, solver: 'proxNewton', tol: 1e-12 });
        expect(pn.converged).toBe(true);
        expect(pn.solver).toBe('proxNewton');
        expect(relDiff(pn.objective, ref.objective)).toBeLessThanOrEqual(1e-8);
        expect(clearlyActive(pn)).toEqual(clearlyActive(ref));
        const chk = naiveCheck(P.X, P.y, pn.coef, pn.intercept, P.groups, weights, lambda, loss, intercept);
        expect(relDiff(chk.objective, pn.objective)).toBeLessThanOrEqual(1e-10);
        expect(chk.kkt).toBeLessThanOrEqual(1e-5 * (1 + lambda));
      }),
      { numRuns: 40 },
    );
  });

  it('sparse-group lasso (block prox of the penalty) agrees with FISTA', () => {
    const P = randomProblem(5, 60, [3, 4, 2, 5], 'logistic');
    const opts = { groups: P.groups, loss: 'logistic' as const, alpha: 0.4 };
    const lambda = 0.1 * lambdaMax(P.X, P.y, opts);
    const ref = fitSparseGroupLasso(P.X, P.y, { ...opts, lambda, solver: 'fista', tol: 1e-12, maxIter: 200_000 });
    const pn = fitSparseGroupLasso(P.X, P.y, { ...opts, lambda, solver: 'proxNewton', tol: 1e-12 });
    expect(ref.converged && pn.converged).toBe(true);
    expect(relDiff(pn.objective, ref.objective)).toBeLessThanOrEqual(1e-8);
    let zeros = 0;
    for (const v of pn.coef) if (v === 0) zeros++;
    expect(zeros).toBeGreaterThan(0); // the ℓ1 part zeroes single coefficients
  });

  it('large working sets (column mode, > 64 coefficients) reach a certified 1e-9 gap, KKT from rows', () => {
    const r = new Random(11);
    const n = 300, p = 400;
    const X = new DenseMatrix(n, p, r.normals(n * p));
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let e = 0;
      for (let j = 0; j < 60; j++) e += 0.4 * X.get(i, j) * (j % 2 ? 1 : -1);
      y[i] = r.uniform() < 1 / (1 + Math.exp(-e)) ? 1 : 0;
    }
    const groups = Array.from({ length: p }, (_, j) => Math.floor(j / 4));
    const lambda = 0.05 * lambdaMax(X, y, { groups, loss: 'logistic' });
    const fit = fitGroupLasso(X, y, { groups, loss: 'logistic', lambda, solver: 'proxNewton', tol: 1e-9 });
    expect(fit.converged).toBe(true);
    expect(fit.relativeGap).toBeLessThanOrEqual(1e-9);
    let nz = 0;
    for (const v of fit.coef) if (v !== 0) nz++;
    expect(nz).toBeGreaterThan(64);
    const rows = Array.from({ length: n }, (_, i) => Array.from({ length: p }, (_, j) => X.get(i, j)));
    const lists = Array.from({ length: p / 4 }, (_, g) => [4 * g, 4 * g + 1, 4 * g + 2, 4 * g + 3]);
    const chk = naiveCheck(rows, Array.from(y), fit.coef, fit.intercept, lists, lists.map(() => 2), lambda, 'logistic', true);
    expect(chk.kkt).toBeLessThanOrEqual(1e-6);
  });

  it("nearly separable logistic path: 'auto' picks proximal Newton and certifies every λ", () => {
    const r = new Random(3);
    const n = 300, p = 15;
    const X = new DenseMatrix(n, p, r.normals(n * p));
    const y = new Float64Array(n);
    // A margin so wide that only a handful of labels are flipped: the fit approaches separation.
    for (let i = 0; i < n; i++) y[i] = (4 * X.get(i, 0) - 3 * X.get(i, 1) + 0.1 * r.normal() > 0) !== (i % 97 === 0) ? 1 : 0;
    const groups = Array.from({ length: p }, (_, j) => Math.floor(j / 3));
    const path = groupLassoPath(X, y, { groups, loss: 'logistic', nLambda: 30, tol: 1e-7 });
    for (const c of path.certificates) {
      expect(c.converged).toBe(true);
      expect(c.relativeGap).toBeLessThanOrEqual(1e-7);
    }
    const fit = fitGroupLasso(X, y, { groups, loss: 'logistic', lambda: path.lambdas[29] });
    expect(fit.solver).toBe('proxNewton');
  });

  // The certificate is computed at the returned point; what a solver may change (how accurately
  // each working-set model is solved, when it stops) must never make it claim more than holds.
  // A reference optimum P_ref from FISTA at 1e-12 brackets P*: P* ≥ P_ref − gap_ref, so a fit
  // whose P − P_ref exceeds its gap, or whose dual value exceeds P_ref, certifies a false bound.
  function expectTrueBound(objective: number, gap: number, ref: FitResult): void {
    const Pstar = ref.objective - ref.dualityGap; // a lower bound on the optimum
    expect(ref.converged).toBe(true);
    expect(gap).toBeLessThanOrEqual(1e-6 * Math.abs(objective));
    // Suboptimality ≥ P − P_ref: the gap must cover it.
    expect(objective - ref.objective).toBeLessThanOrEqual(gap + 1e-13 * Math.abs(objective));
    // The dual value is a lower bound on the optimum: D ≤ P* ≤ P_ref.
    expect(objective - gap).toBeLessThanOrEqual(ref.objective + 1e-13 * Math.abs(objective));
    expect(ref.objective - Pstar).toBeLessThanOrEqual(1e-11 * Math.abs(ref.objective));
  }

  it('warm-started logistic path at tol 1e-6 (aimed working-set tolerances): every gap bounds the suboptimality, every dual value the optimum', () => {
    const P = randomProblem(17, 120, [3, 2, 4, 3, 2, 3], 'logistic');
    const opts = { groups: P.groups, loss: 'logistic' as const };
    const path = groupLassoPath(P.X, P.y, { ...opts, nLambda: 25, lambdaMinRatio: 0.01, tol: 1e-6, solver: 'proxNewton' });
    for (let k = 1; k < path.lambdas.length; k += 3) {
      const c = path.certificates[k];
      expect(c.converged).toBe(true);
      const ref = fitGroupLasso(P.X, P.y, { ...opts, lambda: path.lambdas[k], solver: 'fista', tol: 1e-12, maxIter: 500_000 });
      expectTrueBound(c.objective, c.dualityGap, ref);
    }
  });

  it('column mode with extrapolated model steps at tol 1e-6: the gap bounds the suboptimality against FISTA at 1e-12', () => {
    const r = new Random(23);
    const n = 200, p = 120;
    const X = new DenseMatrix(n, p, r.normals(n * p));
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let e = 0;
      for (let j = 0; j < 40; j++) e += 0.3 * X.get(i, j) * (j % 2 ? 1 : -1);
      y[i] = r.uniform() < 1 / (1 + Math.exp(-e)) ? 1 : 0;
    }
    const groups = Array.from({ length: p }, (_, j) => Math.floor(j / 4));
    const lambda = 0.1 * lambdaMax(X, y, { groups, loss: 'logistic' });
    const fit = fitGroupLasso(X, y, { groups, loss: 'logistic', lambda, solver: 'proxNewton', tol: 1e-6 });
    expect(fit.converged).toBe(true);
    let nz = 0;
    for (const v of fit.coef) if (v !== 0) nz++;
    expect(nz).toBeGreaterThan(64); // the working set is past the Gram mode
    const ref = fitGroupLasso(X, y, { groups, loss: 'logistic', lambda, solver: 'fista', tol: 1e-12, maxIter: 500_000 });
    expectTrueBound(fit.objective, fit.dualityGap, ref);
  });
});
