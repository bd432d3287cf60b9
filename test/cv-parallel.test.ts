import { describe, expect, it } from 'vitest';
import { cvGroupLasso, startCvWorkers } from '../src/index.ts';
import { callerFitsFolds, foldsFittedByWorkers } from '../src/path/parallel.ts';
import { DenseMatrix, fastOperator, Random, wasmSimdAvailable } from '../src/index.ts';
import { FastDense } from '../src/linalg/kernels/fast.ts';
import { randomProblem } from './helpers/problems.ts';
import { makeDatafit } from '../src/datafits/datafit.ts';
import '../src/datafits/index.ts';

/** Every number of two CV results, compared with Object.is (bit for bit, −0 and NaN included). */
function sameBits(a: ReturnType<typeof cvGroupLasso>, b: ReturnType<typeof cvGroupLasso>): string[] {
  const bad: string[] = [];
  const cmp = (name: string, x: ArrayLike<number>, y: ArrayLike<number>) => {
    if (x.length !== y.length) bad.push(`${name}: length ${x.length} vs ${y.length}`);
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) { bad.push(`${name}[${i}]: ${x[i]} vs ${y[i]}`); return; }
  };
  cmp('meanLoss', a.meanLoss, b.meanLoss);
  cmp('seLoss', a.seLoss, b.seLoss);
  a.foldLoss.forEach((f, k) => cmp(`foldLoss[${k}]`, f, b.foldLoss[k]));
  a.path.coefs.forEach((c, k) => cmp(`path.coefs[${k}]`, c, b.path.coefs[k]));
  if (a.indexMin !== b.indexMin || a.index1se !== b.index1se || a.notConverged !== b.notConverged) bad.push('selection differs');
  return bad;
}

describe('parallel cross-validation (worker_threads)', () => {
  it('refuses thread counts that are not whole numbers or far above any machine, before starting one', async () => {
    await expect(startCvWorkers(1e12)).rejects.toThrow(/^startCvWorkers: threads is 1000000000000, above the limit 256/);
    await expect(startCvWorkers(-1)).rejects.toThrow(/^startCvWorkers: threads must be a whole number ≥ 1, got -1$/);
    await expect(startCvWorkers(2.5)).rejects.toThrow(/whole number/);
  });

  it('gives the serial result bit for bit, with the folds really fitted on worker threads', async () => {
    expect(await startCvWorkers(2)).toBe(true);
    for (const loss of ['squared', 'logistic'] as const) {
      const P = randomProblem(loss === 'squared' ? 11 : 12, 240, [3, 3, 2, 4, 1, 3, 2, 2], loss);
      const opts = { groups: P.groups, loss, nFolds: 8, seed: 5, nLambda: 100, lambdaMinRatio: 1e-3, tol: 1e-10 };
      const serial = cvGroupLasso(P.X, P.y, { ...opts, workers: 1 });
      // With this thread helping (the default), whichever thread fits a fold first gives its bits.
      expect(sameBits(serial, cvGroupLasso(P.X, P.y, { ...opts, workers: 2 }))).toEqual([]);
      // Every fold on the worker: its answers alone must give the serial result.
      const before = foldsFittedByWorkers();
      callerFitsFolds(false);
      let par;
      try {
        par = cvGroupLasso(P.X, P.y, { ...opts, workers: 2 });
      } finally {
        callerFitsFolds(true);
      }
      expect(foldsFittedByWorkers() - before).toBe(8);
      expect(sameBits(serial, par)).toEqual([]);
      expect(par.meanLoss.every(Number.isFinite)).toBe(true);
    }
  }, 120_000);

  it('asks the datafit how a worker rebuilds it (its recipe gives the same loss, bit for bit)', () => {
    const y = Float64Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const eta = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i));
    for (const loss of ['squared', 'logistic', 'poisson'] as const) {
      const df = makeDatafit(loss, y, 12, 1);
      const recipe = df.transferable!()!;
      expect(recipe.loss).toBe(loss);
      const again = makeDatafit(recipe.loss, recipe.y, recipe.n, recipe.T);
      const g1 = new Float64Array(12), g2 = new Float64Array(12);
      expect(Object.is(df.valueGrad(eta, g1), again.valueGrad(eta, g2))).toBe(true);
      expect(Array.from(g1)).toEqual(Array.from(g2));
      // Weighted: the normalised weights would be normalised again, so it stays on this thread.
      expect(makeDatafit(loss, y, 12, 1, 'test', Array.from({ length: 12 }, (_, i) => 1 + (i % 2))).transferable!()).toBeNull();
    }
    const multi = makeDatafit('multitask', new Float64Array(24).fill(0.5), 12, 2).transferable!()!;
    expect([multi.loss, multi.n, multi.T]).toEqual(['multitask', 12, 2]);
    // Losses that declare no recipe (Cox's risk sets, the multinomial's classes) are fitted here.
    expect(makeDatafit('cox', Float64Array.from({ length: 24 }, (_, i) => (i < 12 ? 1 + i : 1)), 12, 2).transferable?.() ?? null).toBeNull();
  });

  it('refuses a bad workers option by name', () => {
    const P = randomProblem(3, 30, [2, 2]);
    for (const w of [0, -1, 1.5, NaN]) {
      expect(() => cvGroupLasso(P.X, P.y, { groups: P.groups, nFolds: 3, workers: w })).toThrow(/cvGroupLasso: workers/);
    }
  });

  it('reports a fold error from a worker as the serial run does', () => {
    // Fold labels leaving one row to train on: the same refusal, worker or not.
    const P = randomProblem(4, 24, [2, 2]);
    const foldIds = Array.from({ length: 24 }, (_, i) => (i === 0 ? 1 : 0));
    let serial = '', par = '';
    try { cvGroupLasso(P.X, P.y, { groups: P.groups, foldIds, workers: 1 }); } catch (e) { serial = (e as Error).message; }
    try { cvGroupLasso(P.X, P.y, { groups: P.groups, foldIds, workers: 2 }); } catch (e) { par = (e as Error).message; }
    expect(serial).toMatch(/fold 1 leaves fewer than 2 rows/);
    expect(par).toBe(serial);
  });

  it('a worker reads the shared design in place and gathers fold rows as the calling thread does', () => {
    const r = new Random(8);
    const n = 30, p = 7;
    const D = new DenseMatrix(n, p, Float64Array.from({ length: n * p }, () => r.normal()));
    const shared = new Float64Array(new SharedArrayBuffer(n * p * 8));
    shared.set(D.data);
    const caller = fastOperator(D);
    const view = FastDense.sharedView(n, p, shared, caller.backend);
    expect(view.data).toBe(shared); // no copy of the design in the worker
    const rows = [29, 3, 3, 0, 17, 8, 12];
    const a = caller.selectRows(rows), b = view.selectRows(rows);
    // The same kind of matrix on both sides (so the same kernels fit the fold), holding exactly the rows.
    expect(a instanceof FastDense && a.backend === 'wasm').toBe(wasmSimdAvailable());
    expect(b instanceof FastDense && b.backend === 'wasm').toBe(wasmSimdAvailable());
    for (let k = 0; k < rows.length; k++) {
      for (let j = 0; j < p; j++) {
        expect(Object.is(a.get(k, j), D.data[rows[k] + j * n])).toBe(true);
        expect(Object.is(b.get(k, j), D.data[rows[k] + j * n])).toBe(true);
      }
    }
  });
});
