import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDesign, DataError, fitGroupLasso, OptionError, readCsv, type ColumnSpec, type DenseMatrix } from '../src/index.ts';
import { duckdbSource } from '../src/sources/duckdb.ts';
import { cvGroupLassoSql, fitGroupLassoSql } from '../src/sources/fit.ts';
import { postgresSource } from '../src/sources/postgres.ts';
import { openSource } from '../src/sources/source.ts';
import { SourceError } from '../src/sources/sql.ts';
import { PG_URL } from './helpers/pg.ts';
import { mixedTable, type MixedTable } from './helpers/sqldata.ts';

let data: MixedTable;
let holes: string;
beforeAll(() => {
  data = mixedTable(120, 3);
  // Knock out a few entries: x1 empty on 3 rows, g empty on 2 (one row overlaps).
  const lines = data.rows.map((r, i) => data.names.map((k) => ((k === 'x1' && [4, 50, 77].includes(i)) || (k === 'g' && [50, 90].includes(i)) ? '' : String(r[k]))).join(','));
  holes = join(data.dir, 'holes.csv');
  writeFileSync(holes, [data.names.join(','), ...lines].join('\n') + '\n');
});
afterAll(() => rmSync(data.dir, { recursive: true, force: true }));

const columns: ColumnSpec[] = [{ type: 'numeric', column: 'x1' }, { type: 'categorical', column: 'g' }, { type: 'numeric', column: 'z' }];

describe('SQL sources refuse bad input with a clear error', () => {
  it('a file that does not exist', async () => {
    const src = await duckdbSource({ csv: join(data.dir, 'nope.csv') });
    await expect(fitGroupLassoSql(src, { target: 'y', columns }, { lambda: 0.1 })).rejects.toThrow(SourceError);
    await expect(fitGroupLassoSql(src, { target: 'y', columns }, { lambda: 0.1 })).rejects.toThrow(/reading the columns failed on .*nope\.csv/);
    await src.close();
  });

  it('a missing column, a non-numeric target or predictor, an unknown location', async () => {
    const src = await duckdbSource({ csv: data.csv });
    await expect(fitGroupLassoSql(src, { target: 'y', columns: [{ type: 'numeric', column: 'x9' }] }, { lambda: 0.1 })).rejects.toThrow(/unknown column 'x9'.*'x1' \(DOUBLE\)/);
    await expect(fitGroupLassoSql(src, { target: 'g', columns }, { lambda: 0.1 })).rejects.toThrow(/target column 'g' is not numeric/);
    await expect(fitGroupLassoSql(src, { target: 'y', columns: [{ type: 'numeric', column: 'g' }] }, { lambda: 0.1 })).rejects.toThrow(DataError);
    await expect(fitGroupLassoSql(src, { target: 'y', columns, transforms: [{ name: 'q', expr: 'foo(x1)' }] }, { lambda: 0.1 })).rejects.toThrow(/unknown function 'foo'/);
    await expect(fitGroupLassoSql(src, { target: 'y', columns }, { lambda: -1 })).rejects.toThrow(/lambda/);
    await expect(cvGroupLassoSql(src, { target: 'y', columns }, { nLambda: 3 })).rejects.toThrow(/needs an integer row key/);
    await expect(openSource('data.xlsx')).rejects.toThrow(/cannot tell what 'data.xlsx' is/);
    await expect(openSource('postgres://localhost/db')).rejects.toThrow(OptionError);
    await src.close();
  });

  it("NULLs are refused by default, naming the columns and counts, as readCsv's 'error' policy", async () => {
    const src = await duckdbSource({ csv: holes });
    await expect(fitGroupLassoSql(src, { target: 'y', columns }, { lambda: 0.1 })).rejects.toThrow(/missing values in 'x1' \(3 rows NULL or not finite\), 'g' \(2 rows NULL\)/);
    await src.close();
  });

  it("'drop-rows' leaves those rows out: the fit equals the in-memory fit on readCsv's 'drop-rows' table", async () => {
    const src = await duckdbSource({ csv: holes });
    const fit = await fitGroupLassoSql(src, { target: 'y', columns, missing: 'drop-rows' }, { lambda: 0.05, tol: 1e-13 });
    const table = readCsv(holes, { missing: 'drop-rows' });
    expect(table.nRows).toBe(116);
    const d = buildDesign(table, { target: 'y', columns });
    const ref = fitGroupLasso(d.X as DenseMatrix, d.y!, { groups: d.groups, lambda: 0.05, tol: 1e-13 });
    expect(fit.n).toBe(116);
    for (let j = 0; j < ref.coef.length; j++) expect(Math.abs(fit.coef[j] - ref.coef[j])).toBeLessThan(1e-10);
    expect(fit.activeGroups.length).toBeGreaterThan(0);
    await src.close();
  });

  // Skipped only without a PostgreSQL server; under CI a missing server is an error (helpers/pg.ts).
  it.skipIf(!PG_URL)('a PostgreSQL table that does not exist', async () => {
    const src = await postgresSource(PG_URL!, 'no_such_table');
    await expect(fitGroupLassoSql(src, { target: 'y', columns }, { lambda: 0.1 })).rejects.toThrow(/reading the columns failed on .*no_such_table.*does not exist/);
    await src.close();
  });

  it.skipIf(!PG_URL)('a server that does not answer', async () => {
    await expect(postgresSource('postgres://postgres@127.0.0.1:1/x', 't')).rejects.toThrow(/postgresSource: connecting failed/);
  });
});
