import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DenseMatrix, fastOperator, fitGroupLasso, fitSparseGroupLasso, lambdaMax, OptionError, Random, type FitResult, type LinearOperator,
} from '../src/index.ts';
import { checkedKktScale, naiveCheck } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

/** Random problems: loss, sizes, λ as a fraction of λ_max, intercept, optionally one unpenalized group. */
const problemArb = fc.record({
  loss: fc.constantFrom('squared' as const, 'logistic' as const),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  n: fc.integer({ min: 20, max: 60 }),
  sizes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 8 }),
  ratio: fc.double({ min: 0.05, max: 0.9, noNaN: true }),
  intercept: fc.boolean(),
  unpenalized: fc.boolean(),
});

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

/** Groups whose norm is clearly nonzero (a group at 1e-9 of the largest is rounding, not support). */
function clearlyActive(fit: FitResult): number[] {
  const top = Math.max(...fit.groupNorms, 0);
  return fit.activeGroups.filter((g) => fit.groupNorms[g] > 1e-6 * top);
}

describe('block coordinate descent agrees with FISTA', () => {
  it('same objective (1e-8 relative) and active groups: squared and logistic, intercept, unpenalized groups', () => {
    fc.assert(
      fc.property(problemArb, ({ loss, seed, n, sizes, ratio, intercept, unpenalized }) => {
        const P = randomProblem(seed, n, sizes, loss);
        const weights = P.weights.slice();
        if (unpenalized) weights[sizes.length - 1] = 0;
        const opts = { groups: P.groups, weights, loss, fitIntercept: intercept };
        const lambda = ratio * lambdaMax(P.X, P.y, opts);
        const ref = fitGroupLasso(P.X, P.y, { ...opts, lambda, solver: 'fista', tol: 1e-12, maxIter: 200_000 });
        const bcd = fitGroupLasso(P.X, P.y, { ...opts, lambda, solver: 'bcd', tol: 1e-12 });
        fc.pre(ref.converged); // FISTA is the reference; a rare non-converged run says nothing
        expect(bcd.converged).toBe(true);
        expect(bcd.solver).toBe('bcd');
        expect(relDiff(bcd.objective, ref.objective)).toBeLessThanOrEqual(1e-8);
        expect(clearlyActive(bcd)).toEqual(clearlyActive(ref));
        // KKT from rows, independent of the library's own certificate.
        const chk = naiveCheck(P.X, P.y, bcd.coef, bcd.intercept, P.groups, weights, lambda, loss, intercept);
        expect(relDiff(chk.objective, bcd.objective)).toBeLessThanOrEqual(1e-12);
        expect(chk.kkt).toBeLessThanOrEqual(1e-5 * (1 + lambda));
        expect(Math.abs(chk.kkt - bcd.kktViolation)).toBeLessThanOrEqual(1e-9 * (1 + lambda));
      }),
      { numRuns: 60 },
    );
  });

  it("stopOn: 'kkt' gives a KKT violation under tol, checked from rows", () => {
    const P = randomProblem(17, 50, [3, 2, 4, 1, 3]);
    const lambda = 0.2 * lambdaMax(P.X, P.y, { groups: P.groups });
    const fit = fitGroupLasso(P.X, P.y, { groups: P.groups, lambda, solver: 'bcd', stopOn: 'kkt', tol: 1e-9 });
    expect(fit.converged).toBe(true);
    const chk = naiveCheck(P.X, P.y, fit.coef, fit.intercept, P.groups, P.weights, lambda, 'squared', true);
    expect(chk.kkt).toBeLessThanOrEqual(1e-9 * checkedKktScale(fit, P.X, P.y) * 1.0001);
  });

  it('multi-task (row groups) and sparse-group lasso: same objective as FISTA', () => {
    const rng = new Random(5);
    const n = 40, p = 9, T = 3;
    const X = Array.from({ length: n }, () => Array.from({ length: p }, () => rng.normal()));
    const Y = X.map((r) => [0, 1, 2].map((t) => r[0] * (t + 1) - r[4] + 0.3 * rng.normal()));
    const groups = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    const lam = 0.15 * lambdaMax(X, Y, { groups, loss: 'multitask' });
    const a = fitGroupLasso(X, Y, { groups, loss: 'multitask', lambda: lam, solver: 'fista', tol: 1e-12 });
    const b = fitGroupLasso(X, Y, { groups, loss: 'multitask', lambda: lam, solver: 'bcd', tol: 1e-12 });
    expect(a.converged && b.converged).toBe(true);
    expect(relDiff(a.objective, b.objective)).toBeLessThanOrEqual(1e-8);
    expect(b.activeGroups).toEqual(a.activeGroups);
    const y = X.map((r) => r[0] - 2 * r[4] + 0.5 * r[5] + 0.3 * rng.normal());
    for (const alpha of [0.2, 0.8]) {
      const lamS = 0.1 * lambdaMax(X, y, { groups, alpha });
      const s1 = fitSparseGroupLasso(X, y, { groups, alpha, lambda: lamS, solver: 'fista', tol: 1e-12 });
      const s2 = fitSparseGroupLasso(X, y, { groups, alpha, lambda: lamS, solver: 'bcd', tol: 1e-12 });
      expect(s1.converged && s2.converged).toBe(true);
      expect(relDiff(s1.objective, s2.objective)).toBeLessThanOrEqual(1e-8);
      // Exact zeros inside active groups agree too (the ℓ1 part of the sparse-group prox).
      expect(Array.from(s2.coef, (c) => Math.abs(c) > 1e-7)).toEqual(Array.from(s1.coef, (c) => Math.abs(c) > 1e-7));
    }
  });

  it('many groups, few active (working sets and screening do the work): agrees with FISTA', () => {
    const rng = new Random(21);
    const n = 80, p = 300;
    const X = new DenseMatrix(n, p, rng.normals(n * p));
    const groups = Array.from({ length: p }, (_, j) => Math.floor(j / 3));
    const beta = new Float64Array(p);
    for (const j of [0, 1, 2, 150, 151, 152]) beta[j] = 2 * rng.normal();
    const y = new Float64Array(n);
    X.apply(beta, y);
    for (let i = 0; i < n; i++) y[i] += 0.1 * rng.normal();
    const lam = 0.3 * lambdaMax(X, y, { groups });
    const a = fitGroupLasso(X, y, { groups, lambda: lam, solver: 'fista', tol: 1e-12 });
    const b = fitGroupLasso(X, y, { groups, lambda: lam, solver: 'bcd', tol: 1e-12 });
    expect(a.converged && b.converged).toBe(true);
    expect(relDiff(a.objective, b.objective)).toBeLessThanOrEqual(1e-8);
    expect(clearlyActive(b)).toEqual(clearlyActive(a));
    expect(b.iterations).toBeLessThan(a.iterations);
  });
});

describe('block coordinate descent: runs, starts and choices', () => {
  const P = randomProblem(3, 45, [2, 3, 1, 4, 2, 3]);
  const lm = lambdaMax(P.X, P.y, { groups: P.groups });

  it('is deterministic: two runs give bit-identical coefficients', () => {
    const a = fitGroupLasso(P.X, P.y, { groups: P.groups, lambda: 0.1 * lm, solver: 'bcd', tol: 1e-10 });
    const b = fitGroupLasso(P.X, P.y, { groups: P.groups, lambda: 0.1 * lm, solver: 'bcd', tol: 1e-10 });
    expect(Array.from(b.coef)).toEqual(Array.from(a.coef));
    expect(b.intercept).toBe(a.intercept);
  });

  it('warm starts: from a nearby solution it converges in fewer iterations to the same point; from the solution at once', () => {
    const opts = { groups: P.groups, solver: 'bcd' as const, tol: 1e-10 };
    const cold = fitGroupLasso(P.X, P.y, { ...opts, lambda: 0.1 * lm });
    const near = fitGroupLasso(P.X, P.y, { ...opts, lambda: 0.12 * lm });
    const warm = fitGroupLasso(P.X, P.y, { ...opts, lambda: 0.1 * lm, warmStart: { coef: near.coef } });
    expect(warm.converged).toBe(true);
    expect(relDiff(warm.objective, cold.objective)).toBeLessThanOrEqual(1e-9);
    const again = fitGroupLasso(P.X, P.y, { ...opts, lambda: 0.1 * lm, warmStart: { coef: cold.coef } });
    expect(again.iterations).toBeLessThanOrEqual(1);
    expect(again.converged).toBe(true);
  });

  it("'auto' uses bcd for dense squared problems, proximal Newton for logistic and Poisson, FISTA for matrix-free operators", () => {
    expect(fitGroupLasso(P.X, P.y, { groups: P.groups, lambda: 0.3 * lm }).solver).toBe('bcd');
    const counts = P.y.map((v) => Math.max(0, Math.round(v + 2)));
    expect(fitGroupLasso(P.X, counts, { groups: P.groups, lambda: 0.05, loss: 'poisson' }).solver).toBe('proxNewton');
    const labels = P.y.map((v) => (v > 0 ? 1 : 0));
    expect(fitGroupLasso(P.X, labels, { groups: P.groups, lambda: 0.01, loss: 'logistic' }).solver).toBe('proxNewton');
    expect(() => fitGroupLasso(P.X, counts, { groups: P.groups, lambda: 0.05, loss: 'poisson', solver: 'bcd' })).toThrow(OptionError);
    const D = DenseMatrix.fromRows(P.X);
    const matrixFree: LinearOperator = { rows: D.rows, cols: D.cols, apply: (x, o) => D.apply(x, o), applyTranspose: (y, o) => D.applyTranspose(y, o) };
    const viaOp = fitGroupLasso(matrixFree, P.y, { groups: P.groups, lambda: 0.3 * lm });
    expect(viaOp.solver).toBe('fista');
    expect(() => fitGroupLasso(matrixFree, P.y, { groups: P.groups, lambda: 0.3 * lm, solver: 'bcd' })).toThrow(/column access/);
  });

  it("a Poisson path with the default solver works (proximal Newton on the screened sub-problems too)", async () => {
    const { groupLassoPath } = await import('../src/path/path.ts');
    const r = new Random(3);
    const X = Array.from({ length: 60 }, () => Array.from({ length: 12 }, () => r.normal()));
    const y = X.map((row) => Math.round(Math.exp(0.5 * row[0] - 0.3 * row[4]) + r.uniform()));
    const groups = Array.from({ length: 12 }, (_, j) => Math.floor(j / 3));
    const path = groupLassoPath(X, y, { groups, loss: 'poisson', nLambda: 12 });
    expect(path.lambdas.length).toBe(12);
  });

  it('gives the same fit on the WebAssembly and the TypeScript kernels, and on a plain DenseMatrix', () => {
    const D = DenseMatrix.fromRows(P.X);
    const opts = { groups: P.groups, lambda: 0.1 * lm, solver: 'bcd' as const, tol: 1e-12 };
    const w = fitGroupLasso(fastOperator(D, { backend: 'wasm' }), P.y, opts);
    const j = fitGroupLasso(fastOperator(D, { backend: 'js' }), P.y, opts);
    const d = fitGroupLasso(D, P.y, opts);
    expect(relDiff(w.objective, j.objective)).toBeLessThanOrEqual(1e-12);
    expect(relDiff(w.objective, d.objective)).toBeLessThanOrEqual(1e-12);
    expect(w.activeGroups).toEqual(j.activeGroups);
  });

  it('a DenseMatrix changed between fits is fitted as changed (the kernel copy is refreshed)', () => {
    const D = DenseMatrix.fromRows(P.X);
    const opts = { groups: P.groups, lambda: 0.1 * lm, solver: 'bcd' as const, tol: 1e-12 };
    const before = fitGroupLasso(D, P.y, opts);
    D.set(3, 2, D.get(3, 2) + 5);
    D.set(10, 0, -4);
    const after = fitGroupLasso(D, P.y, opts);
    const fresh = fitGroupLasso(D.toRows(), P.y, opts);
    expect(relDiff(after.objective, fresh.objective)).toBeLessThanOrEqual(1e-12);
    expect(relDiff(after.objective, before.objective)).toBeGreaterThan(1e-6);
    // Same for a fast operator edited through set().
    const A = fastOperator(DenseMatrix.fromRows(P.X));
    fitGroupLasso(A, P.y, opts);
    A.set(3, 2, A.get(3, 2) + 5);
    A.set(10, 0, -4);
    expect(relDiff(fitGroupLasso(A, P.y, opts).objective, fresh.objective)).toBeLessThanOrEqual(1e-12);
  });

  it('many fits on one fast operator keep its kernel memory (work vectors are given back)', () => {
    const A = fastOperator(DenseMatrix.fromRows(P.X), { backend: 'wasm', workspace: 2000 });
    const Y = P.X.map((r) => [P.y[P.X.indexOf(r)], r[0] - r[3]]);
    for (let k = 0; k < 40; k++) {
      fitGroupLasso(A, P.y, { groups: P.groups, lambda: (0.05 + 0.01 * k) * lm, solver: 'bcd', tol: 1e-8 });
      fitGroupLasso(A, Y, { groups: P.groups, loss: 'multitask', lambda: 0.1 * lm, solver: 'bcd', tol: 1e-8 });
    }
    const v = A.vector(A.rows);
    expect(v.buffer).toBe(A.data.buffer);
  });

  it('a constant column (no effect with an intercept) warm-started away from 0 is brought back to 0', () => {
    const X = P.X.map((r) => [...r, 3]);
    const groups = [...P.groups, [X[0].length - 1]];
    const coef = new Array(X[0].length).fill(0);
    coef[X[0].length - 1] = 2;
    const fit = fitGroupLasso(X, P.y, { groups, lambda: 0.1 * lm, solver: 'bcd', tol: 1e-10, warmStart: { coef } });
    expect(fit.converged).toBe(true);
    expect(fit.coef[X[0].length - 1]).toBe(0);
  });

  it('λ ≥ λ_max gives exactly zero coefficients, certified', () => {
    const fit = fitGroupLasso(P.X, P.y, { groups: P.groups, lambda: 1.01 * lm, solver: 'bcd', tol: 1e-10 });
    expect(fit.converged).toBe(true);
    expect(Array.from(fit.coef).every((c) => c === 0)).toBe(true);
  });
});
