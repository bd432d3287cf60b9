/**
 * The PostgreSQL server of the tests: `scripts/pg-test-server.sh` starts one and exports
 * GROUPSPARSE_PG_URL (.ci/run does this). Without it the PostgreSQL tests are skipped locally, and
 * fail under CI, where a missing server must not pass as green.
 */
import pg from 'pg';

export const PG_URL = process.env.GROUPSPARSE_PG_URL;
if (!PG_URL && process.env.CI) throw new Error('GROUPSPARSE_PG_URL is not set: .ci/run must start the PostgreSQL test server');

/** Create (or replace) `table` from rows; `types` gives each column's SQL type. */
export async function loadTable(url: string, table: string, types: Record<string, string>, rows: Record<string, number | string | null>[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const names = Object.keys(types);
    await c.query(`DROP TABLE IF EXISTS "${table}"`);
    await c.query(`CREATE TABLE "${table}" (${names.map((n) => `"${n}" ${types[n]}`).join(', ')})`);
    for (let start = 0; start < rows.length; start += 500) {
      const chunk = rows.slice(start, start + 500);
      const params: unknown[] = [];
      const tuples = chunk.map((r) => `(${names.map((n) => {
        params.push(r[n]);
        return `$${params.length}`;
      }).join(', ')})`);
      await c.query(`INSERT INTO "${table}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES ${tuples.join(', ')}`, params);
    }
  } finally {
    await c.end();
  }
}
