/**
 * `npm run bench bigdata`: group lasso on a Parquet file that is never loaded into JavaScript.
 *
 * Generates (once, cached under the system temp folder) a Parquet file of BIGDATA_ROWS rows
 * (default 10⁷) × 50 raw columns — 35 numeric, 15 categorical with 12 levels each, so 35 + 15·11
 * = 200 design columns — and runs a 50-λ path with 5-fold cross-validation through DuckDB: time,
 * passes over the file, and the peak RSS of this Node process (DuckDB's buffers included).
 * Then the same fit on the first BIGDATA_SAMPLE rows (default 10⁶) both ways, through SQL and in
 * memory (buildDesign + fitGroupLasso at 5 λ of the path), with the largest coefficient
 * difference. Quick check: BIGDATA_ROWS=200000 BIGDATA_SAMPLE=20000 npm run bench bigdata.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDesign, fitGroupLasso, GroupLasso, tableFromColumns, type ColumnSpec, type DenseMatrix } from '../src/index.ts';
import { duckdbSource } from '../src/sources/duckdb.ts';
import { cvGroupLassoSql, groupLassoPathSql } from '../src/sources/fit.ts';

const NUM = 35;
const CAT = 15;
const LEVELS = 12;

function rssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function generate(path: string, rows: number): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '1GB', preserve_insertion_order: 'false' });
  const c = await db.connect();
  // Deterministic pseudo-random values from hash(row, column); y depends on 6 numeric columns and 3 categoricals.
  const u = (i: string, j: number) => `((hash(${i} * 64 + ${j}) % 1000003) / 1000003.0)`;
  const normal = (i: string, j: number) => `(sqrt(-2 * ln(${u(i, j)} + 1e-12)) * cos(6.283185307179586 * ${u(i, j + 1000)}))`;
  const cols: string[] = [];
  for (let j = 0; j < NUM; j++) cols.push(`${normal('range', j)} AS x${j}`);
  for (let k = 0; k < CAT; k++) cols.push(`'L' || CAST(hash(range * 64 + ${100 + k}) % ${LEVELS} AS VARCHAR) AS c${k}`);
  const inner = `SELECT range, ${cols.join(', ')} FROM range(${rows})`;
  const effect = (k: number) => `(CASE c${k} WHEN 'L1' THEN 0.5 WHEN 'L2' THEN -0.4 WHEN 'L3' THEN 0.3 ELSE 0 END)`;
  const y = `1 + x0 - 0.8 * x1 + 0.5 * x2 + 0.3 * x3 - 0.2 * x4 + 0.1 * x5 + ${effect(0)} + ${effect(1)} + ${effect(2)} + ${normal('range', 900)}`;
  const all = [...Array.from({ length: NUM }, (_, j) => `x${j}`), ...Array.from({ length: CAT }, (_, k) => `c${k}`)];
  await c.run(`COPY (SELECT ${all.join(', ')}, ${y} AS y FROM (${inner})) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)`);
  c.closeSync();
  db.closeSync();
}

export async function main(): Promise<void> {
  const rows = Number(process.env.BIGDATA_ROWS ?? 1e7);
  const sample = Math.min(rows, Number(process.env.BIGDATA_SAMPLE ?? 1e6));
  const threads = Number(process.env.BIGDATA_THREADS ?? 2);
  const dir = join(tmpdir(), 'groupsparse-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bigdata-${rows}.parquet`);
  const generated = !existsSync(file);
  if (generated) {
    console.log(`generating ${file} (${rows} rows) …`);
    const t0 = performance.now();
    await generate(file, rows);
    console.log(`generated ${file} (${rows} rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const columns: ColumnSpec[] = [
    ...Array.from({ length: NUM }, (_, j) => ({ type: 'numeric', column: `x${j}` }) as const),
    ...Array.from({ length: CAT }, (_, k) => ({ type: 'categorical', column: `c${k}` }) as const),
  ];
  const spec = { target: 'y', columns };
  const rss0 = rssMB();
  const src = await duckdbSource({ parquet: file, threads, memoryLimit: '300MB' });
  let t0 = performance.now();
  // Progress streams as it happens (a 10⁷-row run takes tens of minutes): each line is printed
  // when its pass starts, with the time since the fit started and the peak RSS so far.
  const cv = await cvGroupLassoSql(src, spec, {
    nFolds: 5, nLambda: 50, tol: 1e-8,
    onProgress: ({ pass, what }) => console.log(`  pass ${pass} starts at ${((performance.now() - t0) / 1000).toFixed(1)} s (peak RSS ${rssMB().toFixed(0)} MB): ${what}`),
  });
  const tCv = (performance.now() - t0) / 1000;
  const rssCv = rssMB();
  await src.close();
  console.log(`rows ${rows}, design columns ${cv.design.exprs.length}, 50 λ × (5 folds + full data)`);
  console.log(`SQL path + 5-fold CV: ${tCv.toFixed(1)} s, ${cv.passes} passes over the file, peak RSS ${rssCv.toFixed(0)} MB (${rss0.toFixed(0)} MB before${generated ? ', which includes generating the file in this process: run again on the cached file for the fit alone' : ''}), λ_min index ${cv.indexMin}, active groups at λ_min ${cv.fit.activeGroups.length}, fold fits not certified ${cv.notConverged}`);

  // The same fit on a sample, through SQL and in memory.
  const rel = `(SELECT * FROM read_parquet('${file}', file_row_number = true) WHERE file_row_number < ${sample}) AS gs_sample`;
  const ssrc = await duckdbSource({ relation: rel, threads });
  const ks = [5, 15, 25, 35, 49]; // decreasing λ, as the path returns them
  t0 = performance.now();
  const sqlFits = (await groupLassoPathSql(ssrc, spec, { lambdas: ks.map((k) => cv.lambdas[k]), tol: 1e-12 })).fits;
  const tSql = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const names = [...Array.from({ length: NUM }, (_, j) => `x${j}`), ...Array.from({ length: CAT }, (_, k) => `c${k}`), 'y'];
  // One column per statement: the rows of all 51 columns as JavaScript arrays at once took ≈ 3 GB.
  const record: Record<string, Float64Array | string[]> = {};
  for (const n of names) {
    const col = await ssrc.query(`SELECT "${n}" FROM ${rel}`);
    record[n] = n.startsWith('c') ? col.map((r) => String(r[0])) : Float64Array.from(col, (r) => Number(r[0]));
  }
  await ssrc.close();
  const d = buildDesign(tableFromColumns(record), { target: 'y', columns });
  let worst = 0;
  for (let i = 0; i < ks.length; i++) {
    const ref = fitGroupLasso(d.X as DenseMatrix, d.y!, { groups: d.groups, lambda: cv.lambdas[ks[i]], tol: 1e-12, maxIter: 1_000_000 });
    for (let j = 0; j < ref.coef.length; j++) worst = Math.max(worst, Math.abs(ref.coef[j] - sqlFits[i].coef[j]));
    worst = Math.max(worst, Math.abs(ref.intercept - sqlFits[i].intercept));
  }
  const tMem = (performance.now() - t0) / 1000;
  console.log(`sample of ${sample} rows, 5 λ: SQL ${tSql.toFixed(1)} s, in memory ${tMem.toFixed(1)} s (read + design + fits); max |coef difference| ${worst.toExponential(2)}; peak RSS now ${rssMB().toFixed(0)} MB`);

  // The estimator both ways on the sample (standardized columns, a fixed λ on that scale).
  const lam = 0.01;
  t0 = performance.now();
  const esrc = await duckdbSource({ relation: rel, threads });
  const mSql = await new GroupLasso({ lambda: lam, tol: 1e-12, maxIter: 1_000_000 }).fit(esrc, spec);
  await esrc.close();
  const tEs = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const mMem = new GroupLasso({ groups: d.groups, lambda: lam, tol: 1e-12, maxIter: 1_000_000 }).fit(d.X, d.y!);
  const tEm = (performance.now() - t0) / 1000;
  let worstE = Math.abs(mSql.intercept - mMem.intercept);
  for (let j = 0; j < mMem.coef.length; j++) worstE = Math.max(worstE, Math.abs(mSql.coef[j] - mMem.coef[j]));
  console.log(`GroupLasso (standardized, λ = ${lam}) on the sample: fit(source) ${tEs.toFixed(1)} s, fit(X, y) ${tEm.toFixed(1)} s; ${mSql.selectedGroups().length} groups selected; max |coef difference| ${worstE.toExponential(2)}; peak RSS now ${rssMB().toFixed(0)} MB`);
}
