import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDesign, fitGroupLasso, readCsv, type ColumnSpec, type DenseMatrix } from '../src/index.ts';
import { log1pExp } from '../src/datafits/datafits.ts';
import { duckdbSource } from '../src/sources/duckdb.ts';
import { fitGroupLassoSql, groupLassoPathSql } from '../src/sources/fit.ts';
import type { SqlSource } from '../src/sources/source.ts';
import { mixedTable, type MixedTable } from './helpers/sqldata.ts';

const columns: ColumnSpec[] = [
  { type: 'numeric', column: 'x1' },
  { type: 'poly', column: 'z', degree: 2 },
  { type: 'categorical', column: 'g' },
  { type: 'categorical', column: 'h' },
  { type: 'numeric', column: 's' },
];

let data: MixedTable;
let src: SqlSource;
beforeAll(async () => {
  data = mixedTable(500, 5);
  src = await duckdbSource({ csv: data.csv, threads: 2 });
});
afterAll(async () => {
  await src.close();
  rmSync(data.dir, { recursive: true, force: true });
});

function memory(target: string) {
  const table = readCsv(data.csv, { strings: ['h'] });
  return buildDesign(table, { target, columns });
}

describe('GLMs by proximal Newton with one pass per step', () => {
  for (const [loss, target] of [['logistic', 'yb'], ['poisson', 'yc']] as const) {
    it(`${loss}: same coefficients as fitGroupLasso in memory, and a certificate that holds when recomputed from the rows`, async () => {
      const d = memory(target);
      const X = d.X as DenseMatrix;
      const lambda = 0.01;
      const ref = fitGroupLasso(X, d.y!, { groups: d.groups, loss, lambda, tol: 1e-12, maxIter: 1_000_000 });
      const fit = await fitGroupLassoSql(src, { target, columns }, { loss, lambda, tol: 1e-10 });
      expect(ref.converged).toBe(true);
      expect(fit.converged).toBe(true);
      expect(fit.relativeGap).toBeLessThanOrEqual(1e-10);
      for (let j = 0; j < X.cols; j++) expect(Math.abs(fit.coef[j] - ref.coef[j])).toBeLessThan(1e-4);
      expect(Math.abs(fit.intercept - ref.intercept)).toBeLessThan(1e-4);
      expect(fit.activeGroups.length).toBeGreaterThan(0);
      expect(fit.activeGroups.length).toBeLessThan(d.groupNames.length + 1);
      // The primal objective recomputed here from the in-memory rows at the returned point.
      const n = X.rows;
      let s = 0;
      for (let i = 0; i < n; i++) {
        let eta = fit.intercept;
        for (let j = 0; j < X.cols; j++) eta += X.get(i, j) * fit.coef[j];
        const y = d.y![i];
        s += loss === 'logistic' ? (y === 1 ? log1pExp(-eta) : log1pExp(eta)) : Math.exp(eta) - y * eta + lgammaInt(y + 1);
      }
      let pen = 0;
      for (const g of d.groupStructure.names.keys()) {
        const idx = Array.from(d.groupStructure.indices.subarray(d.groupStructure.ptr[g], d.groupStructure.ptr[g + 1]));
        pen += Math.sqrt(idx.length) * Math.hypot(...idx.map((j) => fit.coef[j]));
      }
      const primal = s / n + lambda * pen;
      expect(Math.abs(primal - fit.objective) / Math.abs(primal)).toBeLessThan(1e-11);
      // Weak duality with the in-memory optimum: D ≤ P* ≤ P.
      expect(fit.dualObjective).toBeLessThanOrEqual(ref.objective + 1e-12 * Math.abs(ref.objective));
      expect(ref.objective).toBeLessThanOrEqual(fit.objective + 1e-12 * Math.abs(ref.objective));
      // Passes: design (missing, means, levels, 2 polynomial) + Newton steps + certificate(s) (+ Poisson constant).
      expect(fit.passes).toBeLessThan(30);
    });
  }

  it('logistic path: warm-started fits, every one certified', async () => {
    const path = await groupLassoPathSql(src, { target: 'yb', columns }, { loss: 'logistic', nLambda: 5, lambdaMinRatio: 0.05, tol: 1e-9 });
    expect(path.fits.every((f) => f.converged)).toBe(true);
    expect(path.fits[0].activeGroups).toEqual([]);
    expect(path.fits[4].activeGroups.length).toBeGreaterThan(0);
  });
});

/** log Γ(k + 1) = log k! for whole k (summed, no approximation). */
function lgammaInt(k1: number): number {
  let s = 0;
  for (let j = 2; j < k1; j++) s += Math.log(j);
  return s;
}
