/**
 * Long work keeps reporting: plain progress lines are written synchronously off a terminal (the
 * bar's timer cannot fire during a synchronous path), parallel cross-validation reports every fit
 * of the folds this thread fits and ends at its total, and 'auto' does not pick a solver whose
 * block Gram matrices would cost minutes before the first step (one group of thousands of columns).
 */
import { describe, expect, it } from 'vitest';
import { cvGroupLasso, DenseMatrix, fitGroupLasso, groupLassoPath, lambdaMax, Random, startCvWorkers } from '../src/index.ts';
import { descentPath } from '../src/path/descent.ts';
import { prepareProblem } from '../src/problem/problem.ts';
import { progressBar } from '../src/cli/progress.ts';
import { checkResult, independentCertificate } from './helpers/independent.ts';
import { randomProblem } from './helpers/problems.ts';

describe('progress off a terminal', () => {
  it('writes a line from inside the report once a second has passed, without the event loop turning', () => {
    let out = '';
    const stream = { isTTY: false, write: (x: string) => { out += x; return true; } } as unknown as NodeJS.WriteStream;
    const p = progressBar('fit', 'fits', false, stream);
    try {
      p.onProgress!(1, 10);
      const t0 = performance.now();
      while (performance.now() - t0 < 1050) { /* a synchronous fit */ }
      p.onProgress!(5, 10);
      // Read before any await: the line must already be there.
      expect(out).toMatch(/^fit 5\/10 fits, 1 s\n$/);
      p.onProgress!(6, 10); // under a second since the last line: nothing more
      expect(out.split('\n').length).toBe(2);
    } finally {
      p.stop();
    }
  });
});

describe('parallel cross-validation progress', () => {
  it('counts the fits of the folds fitted here, is monotone, and ends at its total', async () => {
    expect(await startCvWorkers(2)).toBe(true);
    const P = randomProblem(21, 200, [3, 3, 2, 4], 'squared');
    const seen: [number, number][] = [];
    cvGroupLasso(P.X, P.y, { groups: P.groups, nFolds: 4, seed: 2, nLambda: 20, workers: 2, onProgress: (d, t) => { seen.push([d, t]); } });
    const total = seen[0][1];
    expect(total).toBe(5 * 20);
    for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThanOrEqual(seen[i - 1][0]);
    expect(seen[seen.length - 1][0]).toBe(total);
    // Past the full-data path (20 fits), some report falls inside a fold, not only at its end.
    expect(seen.some(([d]) => d > 20 && d % 20 !== 0)).toBe(true);
  }, 120_000);
});

describe("'auto' and one very large group", () => {
  it('picks FISTA for a 600-column group (block Gram ~n·600²) and the fit is certified independently', () => {
    const n = 300, p = 601;
    const rng = new Random(4);
    const X = new DenseMatrix(n, p);
    for (let i = 0; i < X.data.length; i++) X.data[i] = rng.normal();
    const y = Array.from({ length: n }, (_, i) => X.data[i] + 0.5 * rng.normal());
    const groups = [[0], Array.from({ length: p - 1 }, (_, k) => k + 1)];
    const lambda = 0.3 * lambdaMax(X, y, { groups });
    const fit = fitGroupLasso(X, y, { groups, lambda });
    expect(fit.solver).toBe('fista');
    expect(fit.converged).toBe(true);
    const rows = Array.from({ length: n }, (_, i) => Array.from({ length: p }, (_, j) => X.data[j * n + i]));
    const plain = { X: rows, Y: y.map((v) => [v]), loss: 'squared' as const, groups, weights: [1, Math.sqrt(p - 1)], lambda, fitIntercept: true };
    expect(checkResult(plain, fit, { tol: 1e-8, stopOn: 'gap' })).toEqual([]);
    // Small groups still go to block coordinate descent.
    const small = Array.from({ length: 60 }, (_, g) => Array.from({ length: 10 }, (_, k) => 1 + g * 10 + k));
    expect(fitGroupLasso(X, y, { groups: [[0], ...small], lambda }).solver).toBe('bcd');
  });
});

describe('the path\'s group descent and one very large group', () => {
  // n = 40, one group of 1999 columns: n·p within the small-design route, but its block Gram
  // (40·1999² products, then power iteration on a 1999² matrix) came before the first fit.
  const n = 40, p = 2000;
  const rng = new Random(6);
  const X = new DenseMatrix(n, p);
  for (let i = 0; i < X.data.length; i++) X.data[i] = rng.normal();
  const y = Array.from({ length: n }, (_, i) => X.data[i] + rng.normal());
  const groups = [[0], Array.from({ length: p - 1 }, (_, k) => k + 1)];
  it('is not taken, and the path (general route) is certified, checked independently at one λ', () => {
    const prob = prepareProblem(X, y, { groups });
    expect(descentPath(prob.context(0.5 * prob.lambdaMax()))).toBeNull();
    const small = Array.from({ length: 10 }, (_, g) => Array.from({ length: 5 }, (_, k) => 1 + g * 5 + k));
    const Xs = new DenseMatrix(n, 51, X.data.slice(0, n * 51));
    const ps = prepareProblem(Xs, y, { groups: [[0], ...small] });
    expect(descentPath(ps.context(0.5 * ps.lambdaMax()))).not.toBeNull();
    const path = groupLassoPath(X, y, { groups, nLambda: 8 });
    expect(path.certificates.every((c) => c.converged)).toBe(true);
    const k = 5;
    const rows = Array.from({ length: n }, (_, i) => Array.from({ length: p }, (_, j) => X.data[j * n + i]));
    const plain = { X: rows, Y: y.map((v) => [v]), loss: 'squared' as const, groups, weights: [1, Math.sqrt(p - 1)], lambda: path.lambdas[k], fitIntercept: true };
    // The claimed gap bounds the suboptimality: against a much tighter solve, both objectives
    // recomputed from rows.
    const ref = fitGroupLasso(X, y, { groups, lambda: path.lambdas[k], tol: 1e-13, solver: 'fista' });
    const c = independentCertificate(plain, path.coefs[k], [path.intercept[k]]);
    const cRef = independentCertificate(plain, ref.coef, ref.intercepts);
    expect(c.primal - cRef.primal).toBeLessThanOrEqual(1e-8 * c.primal * 1.01);
  });
});
