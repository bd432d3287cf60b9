import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDesignAsync, fitGroupLasso, GroupLasso, OptionError, readCsv, standardize, type ColumnSpec, type DenseMatrix } from '../src/index.ts';
import { duckdbSource } from '../src/sources/duckdb.ts';
import { groupLassoPathSql } from '../src/sources/fit.ts';
import { foldOfKey } from '../src/sources/folds.ts';
import type { SqlSource } from '../src/sources/source.ts';
import { mixedTable, type MixedTable } from './helpers/sqldata.ts';

const columns: ColumnSpec[] = [
  { type: 'numeric', column: 'x1' },
  { type: 'numeric', column: 'lx2' },
  { type: 'poly', column: 'z', degree: 2 },
  { type: 'bs', column: 's', df: 4 },
  { type: 'categorical', column: 'g' },
  { type: 'categorical', column: 'h' },
  { type: 'interaction', columns: ['x1', 'g'] },
];
const transforms = [{ name: 'lx2', expr: 'log(x2)' }];
const spec = { target: 'y', columns, transforms };

let data: MixedTable;
let src: SqlSource;
beforeAll(async () => {
  data = mixedTable(300, 5);
  src = await duckdbSource({ csv: data.csv, threads: 1 });
});
afterAll(async () => {
  await src.close();
  rmSync(data.dir, { recursive: true, force: true });
});

async function memory() {
  const table = readCsv(data.csv, { strings: ['h'] });
  const d = await buildDesignAsync(table, spec);
  const ids = table.columns[table.names.indexOf('id')] as Float64Array;
  return { d, X: d.X as DenseMatrix, y: d.y!, ids };
}

const maxAbs = (a: ArrayLike<number>) => Math.max(1, ...Array.from(a, Math.abs));
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, rel: number) {
  expect(a.length).toBe(b.length);
  const s = maxAbs(b);
  for (let j = 0; j < b.length; j++) expect(Math.abs(a[j] - b[j])).toBeLessThan(rel * s);
}

describe('standardization of SQL fits', () => {
  it('means and scales from the statistics pass equal standardize() on the in-memory design; the fit equals fitGroupLasso on standardize(X), unscaled', async () => {
    const { d, X, y } = await memory();
    const s = standardize(X);
    // On the standardized scale λ_max is that of X̃: take λ from the SQL path's own grid.
    const path = await groupLassoPathSql(src, spec, { standardize: true, nLambda: 8, tol: 1e-13, maxIter: 1_000_000 });
    const st = path.standardization!;
    expectClose(st.means, s.means, 1e-12);
    for (let j = 0; j < X.cols; j++) expect(Math.abs(st.scales[j] - s.scales[j]) / s.scales[j]).toBeLessThan(1e-12);
    expect(st.constantColumns).toEqual(s.constantColumns);
    // Columns on very different scales, so standardizing changes the fit (the test is not vacuous).
    expect(Math.max(...s.scales) / Math.min(...s.scales)).toBeGreaterThan(10);
    let differs = false;
    for (const k of [2, 5, 7]) {
      const lambda = path.lambdas[k];
      const ref = fitGroupLasso(s.X, y, { groups: d.groups, lambda, tol: 1e-13, maxIter: 1_000_000 });
      const back = s.unscale(ref.coef, ref.intercept);
      const fit = path.fits[k];
      expect(ref.converged && fit.converged).toBe(true);
      expectClose(fit.coef, back.coef, 1e-10);
      expectClose(fit.standardizedCoef!, ref.coef, 1e-10);
      expect(Math.abs(fit.intercept - back.intercept)).toBeLessThan(1e-10 * maxAbs([back.intercept]));
      expect(fit.objective).toBeCloseTo(ref.objective, 10);
      expect(fit.activeGroupNames).toEqual(ref.activeGroupNames);
      // The raw-scale fit at the same λ is a different point.
      const raw = fitGroupLasso(X, y, { groups: d.groups, lambda, tol: 1e-10, maxIter: 1_000_000 });
      if (Math.max(...raw.coef.map((v, j) => Math.abs(v - back.coef[j]))) > 1e-3) differs = true;
    }
    expect(differs).toBe(true);
  });
});

describe('GroupLasso.fit(source, spec)', () => {
  const opts = { tol: 1e-13, maxIter: 1_000_000 };

  it('a fixed λ: the same model as GroupLasso.fit(X, y) on the in-memory design, to 1e-10', async () => {
    const { d, X, y } = await memory();
    for (const lambda of [0.2, 0.02]) {
      const ref = new GroupLasso({ groups: d.groups, lambda, ...opts, featureNames: d.columnNames }).fit(X, y);
      let passes = 0;
      const m = await new GroupLasso({ lambda, ...opts, onPass: () => { passes++; } }).fit(src, spec);
      expect(m).toBeInstanceOf(GroupLasso);
      expect(passes).toBeGreaterThan(3);
      expectClose(m.coef, ref.coef, 1e-10);
      expect(Math.abs(m.intercept - ref.intercept)).toBeLessThan(1e-10 * maxAbs([ref.intercept]));
      expect(m.featureNames).toEqual(ref.featureNames);
      expect(m.groupNames).toEqual(ref.groupNames);
      expect(m.selectedGroups().map((g) => g.name)).toEqual(ref.selectedGroups().map((g) => g.name));
      expect(m.certificate.converged).toBe(true);
      expect(m.certificate.objective).toBeCloseTo(ref.certificate.objective, 10);
      // Predictions from the fitted model on the in-memory rows agree too.
      expectClose(m.predict(X), ref.predict(X), 1e-10);
      expect(m.summary()).toMatch(/columns standardized/);
    }
    expect(() => new GroupLasso({ lambda: 0.2, ...opts }).fit(X, y)).toThrow(/options.groups is required to fit a matrix/);
  });

  it('cross-validation with the fold labels of the row key: the grid, the mean held-out loss, λ_min and its model equal the in-memory estimator', async () => {
    const { d, X, y, ids } = await memory();
    const foldIds = Array.from(ids, (k) => foldOfKey(k, 5));
    const ref = new GroupLasso({ groups: d.groups, cv: { nFolds: 5, foldIds }, nLambda: 15, ...opts }).fit(X, y);
    const m = await new GroupLasso({ cv: { nFolds: 5, rowKey: 'id' }, nLambda: 15, ...opts }).fit(src, spec);
    const a = m.cv!, b = ref.cv!;
    expectClose(a.lambdas, b.lambdas, 1e-12);
    // A certified gap fixes held-out losses only to about √tol: at the top of the grid, where a
    // group enters some folds' fits, two certified routes (relative gaps 5e-15 and 0) were 1.3e-8 apart.
    for (let k = 0; k < 15; k++) expect(Math.abs(a.meanLoss[k] - b.meanLoss[k]) / b.meanLoss[k]).toBeLessThan(1e-7);
    expect(a.indexMin).toBe(b.indexMin);
    expect(a.indexMin).toBeGreaterThan(0); // some group helps, so the choice is not the empty model
    expect(m.lambda).toBe(a.lambdaMin);
    expectClose(m.coef, ref.coef, 1e-10);
    expect(Math.abs(m.intercept - ref.intercept)).toBeLessThan(1e-10 * maxAbs([ref.intercept]));
    // The whole path, on both scales.
    for (let k = 0; k < 15; k++) {
      expectClose(m.path!.coefs[k], ref.path!.coefs[k], 1e-10);
      expectClose(m.standardizedPath!.coefs[k], ref.standardizedPath!.coefs[k], 1e-10);
      expect(Math.abs(m.standardizedPath!.intercept[k] - ref.standardizedPath!.intercept[k])).toBeLessThan(1e-10 * maxAbs([ref.standardizedPath!.intercept[k]]));
    }
  });

  it('an information criterion: AIC/BIC along the path from the sums equal the in-memory ones, and the same λ is chosen', async () => {
    const { d, X, y } = await memory();
    for (const criterion of ['bic', 'ebic'] as const) {
      const ref = new GroupLasso({ groups: d.groups, criterion, nLambda: 20, ...opts }).fit(X, y);
      const m = await new GroupLasso({ criterion, nLambda: 20, ...opts }).fit(src, spec);
      const a = m.criteria!, b = ref.criteria!;
      expect(a.dfMethod).toBe(b.dfMethod);
      expect(a.dfMethod).toBe('yuanLin');
      expectClose(a.df, b.df, 1e-8);
      for (const key of ['aic', 'bic', 'ebic'] as const) expectClose(a[key], b[key], 1e-9);
      expect(a.best).toEqual(b.best);
      expectClose(m.coef, ref.coef, 1e-10);
    }
  });

  it('refuses what it cannot do on a source, before any pass', async () => {
    let passes = 0;
    const onPass = () => { passes++; };
    await expect(new GroupLasso({ lambda: 0.1, penalty: 'grMCP', onPass }).fit(src, spec)).rejects.toThrow(OptionError);
    await expect(new GroupLasso({ lambda: 0.1, groups: [0, 1], onPass }).fit(src, spec)).rejects.toThrow(/groups come from the design spec/);
    await expect(new GroupLasso({ lambda: 0.1, orthonormalize: true, onPass }).fit(src, spec)).rejects.toThrow(/orthonormalize is not available on a SQL source/);
    await expect(new GroupLasso({ lambda: 0.1, loss: 'logistic', onPass }).fit(src, { ...spec, target: 'yb' })).rejects.toThrow(/pass standardize: false/);
    await expect(new GroupLasso({ cv: { nFolds: 5, seed: 3 }, onPass }).fit(src, spec)).rejects.toThrow(/cv.seed does not apply to a SQL source: each row's fold is a hash of its row key/);
    await expect(new GroupLasso({ cv: 5, onPass }).fit(src, spec)).rejects.toThrow(/needs an integer row key/);
    expect(passes).toBe(0);
  });

  it('a logistic model at a fixed λ on the columns as given equals the in-memory fit', async () => {
    const table = readCsv(data.csv, { strings: ['h'] });
    const lspec = { target: 'yb', columns: columns.slice(0, 5), transforms };
    const d = await buildDesignAsync(table, lspec);
    const ref = new GroupLasso({ groups: d.groups, lambda: 0.02, loss: 'logistic', standardize: false, tol: 1e-10 }).fit(d.X, d.y!);
    const m = await new GroupLasso({ lambda: 0.02, loss: 'logistic', standardize: false, tol: 1e-10 }).fit(src, lspec);
    expect(m.certificate.converged).toBe(true);
    expect(m.selectedGroups().length).toBeGreaterThan(0);
    expectClose(m.coef, ref.coef, 1e-6);
  });
});
