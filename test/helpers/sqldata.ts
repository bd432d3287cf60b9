/** A small mixed table written as CSV, for the SQL-source tests (numbers, strings, integer codes). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../../src/util/random.ts';

export interface MixedTable {
  dir: string;
  csv: string;
  rows: Record<string, number | string>[];
  names: string[];
}

/** n rows: id, x1 (mean 50), x2 > 0, z, s, t (spline/poly inputs), g (strings a–d), h (codes 1–3), y, yb (0/1), yc (counts). */
export function mixedTable(n: number, seed = 7): MixedTable {
  const rng = new Random(seed);
  const rows: Record<string, number | string>[] = [];
  for (let i = 0; i < n; i++) {
    const x1 = 50 + 10 * rng.normal();
    const x2 = Math.exp(0.5 * rng.normal());
    const z = rng.normal();
    const s = 3 * rng.uniform();
    const t = rng.normal() + 2;
    const g = 'abcd'[rng.int(4)];
    const h = 1 + rng.int(3);
    const eta = 0.05 * (x1 - 50) + Math.log(x2) + Math.sin(2 * s) + (g === 'b' ? 0.8 : g === 'c' ? -0.5 : 0) + 0.3 * z * z + (h === 2 ? 0.4 : 0) + 0.02 * (x1 - 50) * (g === 'd' ? 1 : 0);
    const y = eta + 0.7 * rng.normal();
    const yb = rng.uniform() < 1 / (1 + Math.exp(-eta + 0.5)) ? 1 : 0;
    // Poisson counts with mean e^{0.4 η}: Knuth's product of uniforms.
    const lim = Math.exp(-Math.exp(0.4 * eta));
    let yc = -1;
    for (let prod = 1; prod > lim; yc++) prod *= rng.uniform();
    rows.push({ id: i, x1, x2, z, s, t, g, h, y, yb, yc });
  }
  const names = Object.keys(rows[0]);
  const dir = mkdtempSync(join(tmpdir(), 'gs-sql-'));
  const csv = join(dir, 'mixed.csv');
  writeFileSync(csv, [names.join(','), ...rows.map((r) => names.map((k) => String(r[k])).join(','))].join('\n') + '\n');
  return { dir, csv, rows, names };
}
