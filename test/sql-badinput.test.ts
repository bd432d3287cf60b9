import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { buildDesign, DataError, fitGroupLasso, GroupLasso, OptionError, readCsv, type ColumnSpec, type DenseMatrix } from '../src/index.ts';
import { duckdbSource } from '../src/sources/duckdb.ts';
import { cvGroupLassoSql, fitGroupLassoSql } from '../src/sources/fit.ts';
import { postgresSource } from '../src/sources/postgres.ts';
import { openSource } from '../src/sources/source.ts';
import { SourceError } from '../src/sources/sql.ts';
import { loadTable, PG_URL } from './helpers/pg.ts';
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

// A connection that drops while a statement runs (not between statements): the backend is
// terminated from a second connection once pg_stat_activity shows the pass of sums running.
// Skipped only without a PostgreSQL server; under CI a missing server is an error (helpers/pg.ts).
describe.skipIf(!PG_URL)('a PostgreSQL connection that drops mid-pass', () => {
  const TABLE = 'gs_badinput_slow';
  const sql = async (text: string) => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  beforeAll(async () => {
    const TYPES = { id: 'integer', x1: 'double precision', g: 'text', z: 'double precision', y: 'double precision' };
    await sql(`DROP VIEW IF EXISTS "${TABLE}"`);
    await loadTable(PG_URL!, `${TABLE}_rows`, TYPES, data.rows.map((r) => ({ id: r.id, x1: r.x1, g: r.g, z: r.z, y: r.y })));
    // Every row read costs 20 ms, so a pass over the 120 rows runs for about 2.4 s.
    await sql(`CREATE VIEW "${TABLE}" AS SELECT t.* FROM "${TABLE}_rows" t, LATERAL (SELECT pg_sleep(0.02 + 0 * t.id)) s`);
  });
  afterAll(async () => {
    await sql(`DROP VIEW IF EXISTS "${TABLE}"`);
    await sql(`DROP TABLE IF EXISTS "${TABLE}_rows"`);
  });

  it('is a SourceError naming the pass that was running, and the estimator stays unfitted', async () => {
    const victim = await postgresSource(PG_URL!, TABLE);
    const killer = new pg.Client({ connectionString: PG_URL });
    await killer.connect();
    const m = new GroupLasso({ lambda: 0.05 });
    let running: string | undefined;
    let killedDuring: string | undefined;
    const fit = m.fit(victim, { target: 'y', columns }).then(() => 'resolved', (e: unknown) => e);
    // Poll the server until the victim runs a statement of sums, then end its backend.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && killedDuring === undefined) {
      const r = await killer.query('SELECT state, query FROM pg_stat_activity WHERE pid = $1', [victim.backendPid]);
      running = r.rows[0]?.state === 'active' ? String(r.rows[0].query) : undefined;
      // The pass of sums (not a design pass): it opens with the row count and Σw.
      if (running && /^SELECT COUNT\(\*\), COUNT\(\*\), SUM\(/.test(running)) {
        await killer.query('SELECT pg_terminate_backend($1)', [victim.backendPid]);
        killedDuring = running;
      } else await new Promise((res) => setTimeout(res, 50));
    }
    expect(killedDuring).toBeDefined();
    const err = await fit;
    expect(err).toBeInstanceOf(SourceError);
    expect(String((err as Error).message)).toMatch(/GroupLasso\.fit|fitGroupLasso|groupLassoPath/);
    expect(String((err as Error).message)).toMatch(/pass \d+ \(statistics[^)]*\) failed on .*gs_badinput_slow: .*terminat/);
    expect(m.fitted).toBe(false);
    expect(() => m.coef).toThrow(/not fitted/);
    await victim.close();
    await killer.end();
  }, 120_000);
});
