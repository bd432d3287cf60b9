/**
 * `npm run bench csv`: readCsv on a tall table (100 000 rows: 5 numeric columns and a 4-level
 * categorical one), through the fast path (no quotes) and through the general tokenizer (the same
 * text with one quoted header name), with a plain scan of the text as the machine's yardstick.
 * Prints MB/s measured in this run and checks that both paths give the same table.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv } from '../src/data/csv.ts';
import { Random } from '../src/util/random.ts';

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
}

export function main(): void {
  const r = new Random(1);
  const n = 100_000;
  const levels = ['white', 'black', 'asian', 'other'];
  const lines = ['a,b,c,d,e,group'];
  for (let i = 0; i < n; i++) {
    lines.push(`${r.normal()},${r.normal().toFixed(4)},${Math.floor(r.uniform() * 100)},${(r.uniform() * 1e3).toPrecision(6)},${r.normal() * 1e-5},${levels[Math.floor(r.uniform() * 4)]}`);
  }
  const text = lines.join('\n') + '\n';
  const dir = mkdtempSync(join(tmpdir(), 'gs-csv-'));
  try {
    const fastFile = join(dir, 'fast.csv');
    const slowFile = join(dir, 'quoted.csv');
    writeFileSync(fastFile, text);
    writeFileSync(slowFile, '"a"' + text.slice(1));
    const mb = Buffer.byteLength(text) / 1e6;
    const time = (f: () => unknown, reps: number) => {
      const ts: number[] = [];
      for (let k = 0; k < reps; k++) {
        const t0 = performance.now();
        f();
        ts.push(performance.now() - t0);
      }
      return median(ts);
    };
    let sink = 0;
    const scan = time(() => {
      for (let i = 0; i < text.length; i++) sink += text.charCodeAt(i);
    }, 5);
    const fast = time(() => readCsv(fastFile), 5);
    const slow = time(() => readCsv(slowFile), 3);
    const a = readCsv(fastFile), b = readCsv(slowFile);
    let same = a.names.join() === b.names.join() && a.nRows === b.nRows;
    for (let k = 0; k < a.columns.length; k++) {
      const x = a.columns[k], y = b.columns[k];
      for (let i = 0; i < a.nRows; i++) if (!Object.is(x[i], y[i])) same = false;
    }
    const rate = (ms: number) => `${(mb / (ms / 1000)).toFixed(0)} MB/s`;
    console.log(`tall table ${mb.toFixed(1)} MB (${n} rows, 5 numeric + 1 categorical column)`);
    console.log(`  plain scan of the text (charCodeAt sum, the machine's yardstick): ${scan.toFixed(0)} ms, ${rate(scan)}`);
    console.log(`  readCsv fast path:      ${fast.toFixed(0)} ms, ${rate(fast)} (file read included)`);
    console.log(`  readCsv general path:   ${slow.toFixed(0)} ms, ${rate(slow)}`);
    console.log(`  fast / general ${(fast / slow).toFixed(2)}; fast / plain scan ${(fast / scan).toFixed(1)}; same table: ${same}${sink === -1 ? '' : ''}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
