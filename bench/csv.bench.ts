/**
 * `npm run bench csv`: readCsv on tall tables of 100 000 rows — all numeric (5 columns); 5 numeric
 * columns and a 4-level categorical one; the same written as R's write.csv does (header and levels
 * quoted) — through the fast path (bytes parsed directly) and through the general path (tokenizer
 * and per-column typing), with a plain scan of the text as the machine's yardstick. Prints MB/s
 * measured in this run (file read included) and checks that both paths give the same table.
 * `CSV_ROWS=…` changes the row count; `BENCH_CLOCK=cpu` times by this process's CPU time (user +
 * system, so a loaded machine does not count its waits) instead of the wall clock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv, readCsvGeneral } from '../src/data/csv.ts';
import type { Table } from '../src/data/table.ts';
import { Random } from '../src/util/random.ts';

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
}

function sameTable(a: Table, b: Table): boolean {
  if (a.names.join() !== b.names.join() || a.nRows !== b.nRows) return false;
  for (let k = 0; k < a.columns.length; k++) {
    const x = a.columns[k], y = b.columns[k];
    if (x instanceof Float64Array !== y instanceof Float64Array) return false;
    for (let i = 0; i < a.nRows; i++) if (!Object.is(x[i], y[i])) return false;
  }
  return true;
}

export function main(): void {
  const n = Number(process.env.CSV_ROWS ?? 100_000);
  const levels = ['white', 'black', 'asian', 'other'];
  const make = (shape: 'numeric' | 'categorical' | 'quoted'): string => {
    const r = new Random(1);
    const q = shape === 'quoted' ? '"' : '';
    const lines = [['a', 'b', 'c', 'd', 'e', ...(shape === 'numeric' ? [] : ['group'])].map((h) => q + h + q).join(',')];
    for (let i = 0; i < n; i++) {
      const nums = `${r.normal()},${r.normal().toFixed(4)},${Math.floor(r.uniform() * 100)},${(r.uniform() * 1e3).toPrecision(6)},${r.normal() * 1e-5}`;
      lines.push(shape === 'numeric' ? nums : `${nums},${q}${levels[Math.floor(r.uniform() * 4)]}${q}`);
    }
    return lines.join('\n') + '\n';
  };
  const dir = mkdtempSync(join(tmpdir(), 'gs-csv-'));
  const cpuClock = process.env.BENCH_CLOCK === 'cpu';
  const now = (): number => {
    if (!cpuClock) return performance.now();
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const time = (f: () => unknown, reps: number) => {
    const ts: number[] = [];
    for (let k = 0; k < reps; k++) {
      const t0 = now();
      f();
      ts.push(now() - t0);
    }
    return median(ts);
  };
  try {
    for (const shape of ['numeric', 'categorical', 'quoted'] as const) {
      const text = make(shape);
      const file = join(dir, `${shape}.csv`);
      writeFileSync(file, text);
      const mb = Buffer.byteLength(text) / 1e6;
      let sink = 0;
      const scan = time(() => {
        for (let i = 0; i < text.length; i++) sink += text.charCodeAt(i);
      }, 5);
      const fast = time(() => readCsv(file), 7);
      const fromText = time(() => readCsv(text), 5);
      const slow = time(() => readCsvGeneral(file), 3);
      const same = sameTable(readCsv(file), readCsvGeneral(file)) && sameTable(readCsv(text), readCsvGeneral(text));
      const rate = (ms: number) => `${(mb / (ms / 1000)).toFixed(0).padStart(4)} MB/s`;
      if (shape === 'numeric') console.log(`clock: ${cpuClock ? 'CPU time of this process' : 'wall'}`);
      console.log(`${shape} table: ${mb.toFixed(1)} MB (${n} rows${shape === 'numeric' ? ', 5 numeric columns' : ', 5 numeric + 1 categorical column'}${shape === 'quoted' ? ', header and levels quoted' : ''})`);
      console.log(`  plain scan of the text (charCodeAt sum, the yardstick): ${scan.toFixed(0).padStart(4)} ms, ${rate(scan)}`);
      console.log(`  readCsv(file), fast path:    ${fast.toFixed(0).padStart(4)} ms, ${rate(fast)} (file read included)`);
      console.log(`  readCsv(text), fast path:    ${fromText.toFixed(0).padStart(4)} ms, ${rate(fromText)}`);
      console.log(`  readCsvGeneral(file):        ${slow.toFixed(0).padStart(4)} ms, ${rate(slow)}`);
      console.log(`  fast / general ${(fast / slow).toFixed(2)}; fast / plain scan ${(fast / scan).toFixed(1)}; same table: ${same}${sink === -1 ? '' : ''}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
