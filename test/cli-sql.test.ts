import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDesign, fitGroupLasso, GroupLasso, readCsv, type DenseMatrix } from '../src/index.ts';
import { run } from '../src/cli/index.ts';
import { mixedTable, type MixedTable } from './helpers/sqldata.ts';

let data: MixedTable;
let parquet: string;
beforeAll(async () => {
  data = mixedTable(200, 21);
  parquet = join(data.dir, 'mixed.parquet');
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`COPY (SELECT * FROM read_csv('${data.csv}')) TO '${parquet}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
});
afterAll(() => rmSync(data.dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, readStdin: async () => '' });
  return { code, stdout, stderr };
}

describe('groupsparse fit on a Parquet file', () => {
  it('fits in the engine: the coefficients of the in-memory fit of the same design, progress per pass on stderr', async () => {
    const r = await cli(['fit', parquet, '--target', 'y', '--categorical', 'h', '--drop', 'id,yb,yc,x2', '--lambda', '0.03', '--tol', '1e-12', '--json', '--no-standardize']);
    expect(r.stderr).toMatch(/pass 1: missing values/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.certificate.converged).toBe(true);
    const table = readCsv(data.csv, { strings: ['h'] });
    const d = buildDesign(table, { target: 'y', columns: [
      { type: 'numeric', column: 'x1' }, { type: 'numeric', column: 'z' }, { type: 'numeric', column: 's' }, { type: 'numeric', column: 't' },
      { type: 'categorical', column: 'g' }, { type: 'categorical', column: 'h' },
    ] });
    const ref = fitGroupLasso(d.X as DenseMatrix, d.y!, { groups: d.groups, lambda: 0.03, tol: 1e-12 });
    expect(Object.keys(out.coefficients)).toEqual(d.columnNames);
    d.columnNames.forEach((name, j) => expect(Math.abs(out.coefficients[name] - ref.coef[j])).toBeLessThan(1e-9));
    expect(out.selectedGroups.length).toBe(ref.activeGroups.length);
  });

  it('standardizes by default, as a CSV fit does: the coefficients of GroupLasso on the in-memory design', async () => {
    const r = await cli(['fit', parquet, '--target', 'y', '--categorical', 'h', '--drop', 'id,yb,yc,x2', '--lambda', '0.03', '--tol', '1e-12', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.standardized).toBe(true);
    const table = readCsv(data.csv, { strings: ['h'] });
    const d = buildDesign(table, { target: 'y', columns: [
      { type: 'numeric', column: 'x1' }, { type: 'numeric', column: 'z' }, { type: 'numeric', column: 's' }, { type: 'numeric', column: 't' },
      { type: 'categorical', column: 'g' }, { type: 'categorical', column: 'h' },
    ] });
    const ref = new GroupLasso({ groups: d.groups, lambda: 0.03, tol: 1e-12 }).fit(d.X, d.y!);
    const raw = fitGroupLasso(d.X as DenseMatrix, d.y!, { groups: d.groups, lambda: 0.03, tol: 1e-12 });
    d.columnNames.forEach((name, j) => expect(Math.abs(out.coefficients[name] - ref.coef[j])).toBeLessThan(1e-9));
    // Not the raw-scale fit: x1 has a standard deviation of 10.
    expect(Math.max(...d.columnNames.map((n, j) => Math.abs(ref.coef[j] - raw.coef[j])))).toBeGreaterThan(1e-4);
  });

  it('--cv K picks λ from per-fold sums of one pass (folds from the Parquet row number)', async () => {
    const r = await cli(['fit', parquet, '--target', 'y', '--drop', 'id,yb,yc', '--cv', '4', '--n-lambda', '10', '--no-standardize']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/λ chosen by 4-fold cross-validation/);
    expect(r.stdout).toMatch(/converged: yes/);
    expect(r.stderr).toMatch(/statistics of all rows and 4 folds/);
  });

  it('refuses flag mixes that mean nothing, with one line and exit code 2', async () => {
    expect((await cli(['fit', parquet, '--target', 'y', '--lambda', '1', '--cv', '3'])).stderr).toMatch(/either --lambda V or --cv K/);
    const r = await cli(['fit', data.csv, '--target', 'y', '--table', 't']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--table is for SQL sources/);
    const m = await cli(['fit', parquet, '--target', 'nope', '--lambda', '1']);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/target column 'nope' is not in/);
  });
});
