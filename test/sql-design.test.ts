import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDesignAsync, fitGroupLasso, readCsv, type ColumnSpec, type DenseMatrix } from '../src/index.ts';
import { compileDesign } from '../src/sources/design.ts';
import { duckdbSource } from '../src/sources/duckdb.ts';
import { fitGroupLassoSql } from '../src/sources/fit.ts';
import type { SqlSource } from '../src/sources/source.ts';
import { designSums } from '../src/sources/stats.ts';
import { mixedTable, type MixedTable } from './helpers/sqldata.ts';

const columns: ColumnSpec[] = [
  { type: 'numeric', column: 'x1' },
  { type: 'numeric', column: 'lx2' },
  { type: 'poly', column: 'z', degree: 3 },
  { type: 'poly', column: 't', degree: 2, raw: true },
  { type: 'bs', column: 's', df: 5 },
  { type: 'ns', column: 't', df: 4, group: 't_ns' },
  { type: 'categorical', column: 'g', reference: 'c' },
  { type: 'categorical', column: 'h' },
  { type: 'interaction', columns: ['x1', 'g'] },
];
const transforms = [{ name: 'lx2', expr: 'log(x2)' }];

let data: MixedTable;
let src: SqlSource;
beforeAll(async () => {
  data = mixedTable(300);
  src = await duckdbSource({ csv: data.csv, threads: 1 });
});
afterAll(async () => {
  await src.close();
  rmSync(data.dir, { recursive: true, force: true });
});

async function memoryDesign() {
  const table = readCsv(data.csv, { strings: ['h'] });
  return buildDesignAsync(table, { target: 'y', columns: columns.map((c) => c), transforms });
}

describe('design compiled to SQL', () => {
  it('gives the columns, names and groups of buildDesign, value by value', async () => {
    const mem = await memoryDesign();
    const d = await compileDesign(src, { target: 'y', columns, transforms });
    expect(d.columnNames).toEqual(mem.columnNames);
    expect(d.groups).toEqual(mem.groups);
    expect(d.n).toBe(300);
    // Read the compiled expressions row by row (a test-only query) and compare with X.
    const rows = await src.query(`SELECT ${d.exprs.join(', ')} FROM ${src.relation} ORDER BY "id"`);
    const X = mem.X as DenseMatrix;
    let worst = 0;
    for (let j = 0; j < X.cols; j++) {
      for (let i = 0; i < X.rows; i++) worst = Math.max(worst, Math.abs(Number(rows[i][j]) - X.get(i, j)) / Math.max(1, Math.abs(X.get(i, j))));
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('sums: XᵀX, Xᵀy, column sums and yᵀy from the engine equal the in-memory design\'s, computed directly', async () => {
    const mem = await memoryDesign();
    const d = await compileDesign(src, { target: 'y', columns, transforms });
    const { total } = await designSums(src, d, {}, 'test', { passes: 0 });
    const X = mem.X as DenseMatrix;
    const y = mem.y!;
    const p = X.cols, n = X.rows;
    for (let a = 0; a < p; a++) {
      // Raw sums recovered from the shifted ones: Σ x_a = Σ x̃_a + n s_a, etc.
      let sa = 0, say = 0;
      for (let i = 0; i < n; i++) {
        sa += X.get(i, a);
        say += X.get(i, a) * y[i];
      }
      expect(total.sx[a] + n * d.shifts[a]).toBeCloseTo(sa, 8);
      const rawXy = total.sxy[a] + d.shifts[a] * total.sy + total.sx[a] * d.yShift + n * d.shifts[a] * d.yShift;
      expect(Math.abs(rawXy - say) / Math.max(1, Math.abs(say))).toBeLessThan(1e-11);
      for (let b = 0; b < p; b++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += (X.get(i, a) - d.shifts[a]) * (X.get(i, b) - d.shifts[b]);
        expect(Math.abs(total.G[a * p + b] - s) / Math.max(1, Math.abs(s))).toBeLessThan(1e-11);
      }
    }
    let yy = 0;
    for (let i = 0; i < n; i++) yy += (y[i] - d.yShift) ** 2;
    expect(total.syy).toBeCloseTo(yy, 8);
  });

  it('the Gram-space fit equals fitGroupLasso on the in-memory design to 1e-10, with the same certificate', async () => {
    const mem = await memoryDesign();
    const X = mem.X as DenseMatrix;
    for (const frac of [0.3, 0.05, 0.005]) {
      const lambda = frac * 0.6;
      const ref = fitGroupLasso(X, mem.y!, { groups: mem.groups, lambda, tol: 1e-13, maxIter: 1_000_000 });
      const fit = await fitGroupLassoSql(src, { target: 'y', columns, transforms }, { lambda, tol: 1e-13, maxIter: 1_000_000 });
      expect(ref.converged && fit.converged).toBe(true);
      const scale = Math.max(...Array.from(ref.coef, Math.abs));
      for (let j = 0; j < X.cols; j++) expect(Math.abs(fit.coef[j] - ref.coef[j])).toBeLessThan(1e-10 * Math.max(1, scale));
      expect(Math.abs(fit.intercept - ref.intercept)).toBeLessThan(1e-10 * Math.max(1, Math.abs(ref.intercept)));
      expect(fit.objective).toBeCloseTo(ref.objective, 10);
      expect(fit.activeGroupNames).toEqual(ref.activeGroupNames);
      // Not a trivial comparison: something is in, something is out at the larger λ.
      if (frac === 0.3) expect(fit.activeGroups.length).toBeLessThan(mem.groupNames.length);
      expect(fit.activeGroups.length).toBeGreaterThan(0);
    }
  });
});
