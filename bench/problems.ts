/**
 * Benchmark problems, generated from fixed seeds (nothing downloaded) or read from datasets/.
 */
import { readFileSync } from 'node:fs';
import { DenseMatrix } from '../src/linalg/dense.ts';
import { Random } from '../src/util/random.ts';

export interface BenchProblem {
  name: string;
  X: DenseMatrix;
  /** Response: n (or n × T column-major when T > 1). */
  y: Float64Array;
  T: number;
  /** The response as rows (n × T) when T > 1: what the API takes for several tasks. */
  yRows?: number[][];
  /** Group label per column. */
  groups: number[];
  /** Group weights (undefined: the default √p_g). */
  weights?: number[];
}

/**
 * Gaussian design with Toeplitz correlation corr(x_j, x_k) = ρ^|j−k| (each row an AR(1) sequence),
 * groups of `size` consecutive columns, the first `active` groups (spread out) carrying N(0, 1)
 * coefficients, and y = Xβ + noise at signal-to-noise ratio `snr`.
 */
export function gaussianProblem(seed: number, n: number, p: number, size: number, correlation: number, active: number, snr = 3, T = 1): BenchProblem {
  const rng = new Random(seed);
  const X = new DenseMatrix(n, p);
  const s = Math.sqrt(1 - correlation * correlation);
  for (let i = 0; i < n; i++) {
    let prev = rng.normal();
    X.data[i] = prev;
    for (let j = 1; j < p; j++) {
      prev = correlation * prev + s * rng.normal();
      X.data[i + j * n] = prev;
    }
  }
  const nGroups = Math.floor(p / size);
  const groups = Array.from({ length: p }, (_, j) => Math.min(Math.floor(j / size), nGroups - 1));
  const beta = new Float64Array(p * T);
  const stride = Math.max(1, Math.floor(nGroups / active));
  for (let a = 0; a < active; a++) {
    const g = a * stride;
    for (let j = g * size; j < Math.min((g + 1) * size, p); j++) for (let t = 0; t < T; t++) beta[t * p + j] = rng.normal();
  }
  const y = new Float64Array(n * T);
  for (let t = 0; t < T; t++) {
    const yt = y.subarray(t * n, (t + 1) * n);
    X.apply(beta.subarray(t * p, (t + 1) * p), yt);
    let v = 0;
    for (let i = 0; i < n; i++) v += yt[i] * yt[i];
    const sigma = Math.sqrt(v / n) / snr;
    for (let i = 0; i < n; i++) yt[i] += sigma * rng.normal();
  }
  const yRows = T > 1 ? Array.from({ length: n }, (_, i) => Array.from({ length: T }, (_, t) => y[t * n + i])) : undefined;
  return { name: `Gaussian ${n}×${p}${T > 1 ? `×${T} tasks` : ''}, groups of ${size}, ρ=${correlation}`, X, y, T, yRows, groups };
}

/** birthwt (Hosmer & Lemeshow) grouped as in grpreg's example: 189 × 16, 8 groups. */
export function birthwtProblem(): BenchProblem {
  const text = readFileSync(new URL('../datasets/birthwt.csv', import.meta.url), 'utf8').trim().split(/\r?\n/);
  const header = text[0].split(',').map((h) => h.replace(/"/g, ''));
  const rows = text.slice(1).map((l) => l.split(',').map(Number));
  const col = (name: string): number[] => rows.map((r) => r[header.indexOf(name)]);
  const poly3 = (x: number[]): number[][] => {
    const basis: number[][] = [];
    for (let d = 1; d <= 3; d++) {
      const v = x.map((t) => t ** d);
      for (const q of [x.map(() => 1 / Math.sqrt(x.length)), ...basis]) {
        const a = q.reduce((s, qi, i) => s + qi * v[i], 0);
        v.forEach((_, i) => (v[i] -= a * q[i]));
      }
      const nv = Math.hypot(...v);
      basis.push(v.map((t) => t / nv));
    }
    return basis.map((b) => b.map((t) => t * Math.sqrt(x.length)));
  };
  const cols: { g: number; v: number[] }[] = [];
  poly3(col('age')).forEach((v) => cols.push({ g: 0, v }));
  poly3(col('lwt')).forEach((v) => cols.push({ g: 1, v }));
  cols.push({ g: 2, v: col('race').map((r) => +(r === 1)) });
  cols.push({ g: 2, v: col('race').map((r) => +(r === 2)) });
  cols.push({ g: 3, v: col('smoke') });
  cols.push({ g: 4, v: col('ptl').map((v) => +(v === 1)) });
  cols.push({ g: 4, v: col('ptl').map((v) => +(v >= 2)) });
  cols.push({ g: 5, v: col('ht') });
  cols.push({ g: 6, v: col('ui') });
  cols.push({ g: 7, v: col('ftv').map((v) => +(v === 1)) });
  cols.push({ g: 7, v: col('ftv').map((v) => +(v === 2)) });
  cols.push({ g: 7, v: col('ftv').map((v) => +(v >= 3)) });
  const X = DenseMatrix.fromColumns(cols.map((c) => c.v));
  const y = Float64Array.from(col('bwt'), (g) => g / 1000);
  return { name: 'birthwt 189×16, 8 groups', X, y, T: 1, groups: cols.map((c) => c.g) };
}
