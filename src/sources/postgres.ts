/**
 * PostgreSQL sources (`pg`). The aggregate statements are plain SUMs over a sequential scan, which
 * PostgreSQL runs as parallel aggregates (partial sums per worker, then combined) when the table
 * is large enough and `max_parallel_workers_per_gather` > 0.
 */
import './register.ts';
import { OptionError } from '../errors.ts';
import { engineError, relationOf, typeKind, type SourceColumn, type SqlSource, type SqlValue } from './source.ts';

/** Type names of the OIDs a numeric or text column can have. */
const OID_NAMES: Record<number, string> = {
  16: 'bool', 20: 'int8', 21: 'int2', 23: 'int4', 25: 'text', 700: 'float4', 701: 'float8', 1042: 'bpchar', 1043: 'varchar', 1700: 'numeric', 19: 'name',
};

interface PgClient {
  connect(): Promise<void>;
  query(q: { text: string; rowMode: 'array' }): Promise<{ rows: unknown[][]; fields: { name: string; dataTypeID: number }[] }>;
  end(): Promise<void>;
  on(event: 'error', cb: (e: Error) => void): void;
}

/**
 * Open a PostgreSQL source on `table` (optionally `schema.table`) at `url`, or on an existing
 * `pg.Client` (connected; not closed by `close()`).
 */
export async function postgresSource(url: string | unknown, table: string): Promise<SqlSource & { readonly backendPid: number }> {
  const fn = 'postgresSource';
  if (typeof table !== 'string' || table.trim() === '') throw new OptionError(fn, `table must be a table name (schema.table), got ${table === '' ? "''" : String(table)}`);
  if (typeof url !== 'string' && (url === null || typeof url !== 'object' || typeof (url as { query?: unknown }).query !== 'function')) {
    throw new OptionError(fn, 'url must be a connection string or a connected pg Client');
  }
  const relation = relationOf(table);
  const safeUrl = typeof url === 'string' ? url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@') : 'PostgreSQL';
  const description = `${safeUrl} table ${table}`;
  let client: PgClient;
  let owned = false;
  if (typeof url === 'string') {
    const pg = await import('pg');
    const Client = (pg.default ?? pg).Client as unknown as new (o: object) => PgClient;
    client = new Client({ connectionString: url });
    owned = true;
    try {
      await client.connect();
    } catch (e) {
      throw engineError(fn, description, 'connecting', e);
    }
  } else {
    client = url as PgClient;
  }
  // A connection that drops between statements emits 'error' on the client; without a listener
  // Node would crash the process. The next query then rejects, which the caller reports.
  let lost: Error | undefined;
  client.on('error', (e) => {
    lost = e;
  });
  const pidRows = await client.query({ text: 'SELECT pg_backend_pid()', rowMode: 'array' });
  const backendPid = Number(pidRows.rows[0][0]);
  return {
    dialect: 'postgres',
    description,
    relation,
    backendPid,
    async query(sql: string): Promise<SqlValue[][]> {
      if (lost) throw lost;
      const r = await client.query({ text: sql, rowMode: 'array' });
      // float8 arrives as number; int8 and numeric as strings (pg keeps their precision): parse.
      const conv = r.fields.map((f) => f.dataTypeID === 20 || f.dataTypeID === 1700);
      return r.rows.map((row) => row.map((v, k) => (conv[k] && v !== null ? Number(v) : v)) as SqlValue[]);
    },
    async columns(): Promise<SourceColumn[]> {
      let r;
      try {
        r = await client.query({ text: `SELECT * FROM ${relation} LIMIT 0`, rowMode: 'array' });
      } catch (e) {
        throw engineError(fn, description, 'reading the columns', e);
      }
      return r.fields.map((f) => {
        const type = OID_NAMES[f.dataTypeID] ?? `oid ${f.dataTypeID}`;
        return { name: f.name, type, kind: typeKind(type) };
      });
    },
    async close() {
      if (owned) {
        owned = false;
        await client.end().catch(() => undefined);
      }
    },
  };
}
