/**
 * `npm run bench signal`: matrix-free sensing operators and block-sparse recovery.
 *  1. apply / applyTranspose of partial Fourier at n = 2¹⁴ vs an explicit dense matrix product at
 *     smaller n (same sampling ratio), with ratios measured in this run;
 *  2. memory: process.memoryUsage() deltas when building operators of growing n (O(n)) and over
 *     many applies (no allocation per product);
 *  3. a full 2¹⁴-length partial-Fourier block-sparse recovery (group lasso + debiasing);
 *  4. a phase-transition table, group lasso vs lasso.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DenseMatrix, signal } from '../src/index.ts';
import type { LinearOperator } from '../src/index.ts';

// A callable gc for cleaner memory deltas (flag set at run time; the bench runner passes no flags).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median milliseconds of fn over `reps` timed runs after `warm` warm-up runs. */
function time(fn: () => void, reps: number, warm = 30): number {
  for (let i = 0; i < warm; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

function mem(): { heap: number; buffers: number; rss: number } {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers, rss: m.rss };
}

const MB = 1024 * 1024;
const fmt = (x: number, d = 3) => x.toFixed(d);

/** Explicit dense matrix of an operator, column by column (only for the small comparison sizes). */
function densify(A: LinearOperator): DenseMatrix {
  const M = new DenseMatrix(A.rows, A.cols);
  const e = new Float64Array(A.cols);
  const col = new Float64Array(A.rows);
  for (let j = 0; j < A.cols; j++) {
    e[j] = 1;
    A.apply(e, col);
    M.data.set(col, j * A.rows);
    e[j] = 0;
  }
  return M;
}

function timeProducts(A: LinearOperator, reps: number): { apply: number; transpose: number } {
  const x = new Float64Array(A.cols).map((_, i) => Math.sin(i));
  const y = new Float64Array(A.rows).map((_, i) => Math.cos(i));
  const ox = new Float64Array(A.rows);
  const oy = new Float64Array(A.cols);
  return { apply: time(() => A.apply(x, ox), reps), transpose: time(() => A.applyTranspose(y, oy), reps) };
}

export async function main(): Promise<void> {
  // 1. Products: operator vs dense at matched sizes, m = n/8 sampled frequencies (2m = n/4 rows).
  console.log('\n1. partial Fourier products (m = n/8 frequencies → n/4 real rows); median ms');
  console.log('        n   operator apply  operator Aᵀ    dense apply    dense Aᵀ   dense/operator (apply, Aᵀ)');
  let lastRatio = 0;
  for (const n of [1024, 2048, 4096]) {
    const A = signal.partialFourier(n, { m: n / 8, seed: 1 });
    const op = timeProducts(A, 50);
    const D = densify(A);
    const de = timeProducts(D, 20);
    lastRatio = de.apply / op.apply;
    console.log(`${String(n).padStart(9)}  ${fmt(op.apply).padStart(14)}  ${fmt(op.transpose).padStart(11)}  ${fmt(de.apply).padStart(13)}  ${fmt(de.transpose).padStart(10)}   ${fmt(de.apply / op.apply, 1)}×, ${fmt(de.transpose / op.transpose, 1)}×`);
  }
  const n14 = 1 << 14;
  const A14 = signal.partialFourier(n14, { m: n14 / 8, seed: 1 });
  const op14 = timeProducts(A14, 100);
  console.log(`${String(n14).padStart(9)}  ${fmt(op14.apply).padStart(14)}  ${fmt(op14.transpose).padStart(11)}  ${'(dense: 512 MiB, not built)'.padStart(25)}`);
  console.log(`  dense cost grows as n² (×16 from 4096 to 16384), the FFT as n log n: at n = 4096 dense/operator = ${fmt(lastRatio, 1)}×`);
  const nb = 15000; // not a power of two: Bluestein on fft.js
  const Ab = signal.partialFourier(nb, { m: Math.floor(nb / 8), seed: 1 });
  const opb = timeProducts(Ab, 50);
  console.log(`  n = ${nb} (Bluestein, M = 32768): apply ${fmt(opb.apply)} ms, Aᵀ ${fmt(opb.transpose)} ms = ${fmt(opb.apply / op14.apply, 2)}× the 2¹⁴ apply`);
  const dct = signal.partialDCT(n14, { m: n14 / 4, seed: 1 });
  const opd = timeProducts(dct, 100);
  console.log(`  partialDCT n = 2¹⁴, m = n/4: apply ${fmt(opd.apply)} ms, Aᵀ ${fmt(opd.transpose)} ms`);

  // 2. Memory.
  console.log('\n2. memory (process.memoryUsage deltas after gc), operators of growing n');
  console.log('        n   heapUsed Δ (MB)   arrayBuffers Δ (MB)   total bytes / n');
  const keep: LinearOperator[] = [];
  mem(); // settle: the dense matrices of part 1 are freed here, not inside the first delta
  for (const n of [1 << 14, 1 << 16, 1 << 18, 1 << 20]) {
    const before = mem();
    const A = signal.partialFourier(n, { m: n / 8, seed: 2 });
    keep.push(A);
    const after = mem();
    const dh = after.heap - before.heap;
    const db = after.buffers - before.buffers;
    console.log(`${String(n).padStart(9)}   ${fmt(dh / MB, 2).padStart(15)}   ${fmt(db / MB, 2).padStart(19)}   ${fmt((dh + db) / n, 1).padStart(15)}`);
  }
  console.log('  (dense with n/4 rows: 2¹⁴ → 512 MiB, 2²⁰ → 2 TiB; these stay at ≈ 52 bytes per sample)');
  {
    const x = new Float64Array(n14).fill(1);
    const y = new Float64Array(A14.rows);
    const perCall = (fn: () => void): number => {
      for (let i = 0; i < 300; i++) fn();
      const m0 = process.memoryUsage();
      for (let i = 0; i < 3000; i++) fn();
      const m1 = process.memoryUsage(); // no gc in between: per-product allocation would show
      return (m1.heapUsed - m0.heapUsed + m1.arrayBuffers - m0.arrayBuffers) / 3000;
    };
    console.log(`  heap + arrayBuffers growth per product at n = 2¹⁴ (3000 calls, no gc): apply ${fmt(perCall(() => A14.apply(x, y)), 1)} B, ` +
      `Aᵀ ${fmt(perCall(() => A14.applyTranspose(y, x)), 1)} B (a fresh Float64Array(2n) would be ${2 * n14 * 8} B)`);
  }
  keep.length = 0;

  // 3. Full recovery at n = 2¹⁴.
  console.log('\n3. block-sparse recovery, n = 2¹⁴, blocks of 16, 24 active blocks (384 nonzeros), m = 2048 frequencies (4096 rows)');
  {
    const n = n14;
    const A = signal.partialFourier(n, { m: 2048, seed: 3 });
    const { x } = signal.randomBlockSparse(n, 16, 24, 4);
    const y = new Float64Array(A.rows);
    A.apply(x, y);
    // Count the products the solve makes (power iteration, λ_max, FISTA with backtracking,
    // certificates, CGLS), to split its time into products and the rest.
    let nApply = 0;
    let nTranspose = 0;
    let inProducts = 0;
    const counted: LinearOperator = {
      rows: A.rows, cols: A.cols,
      apply: (u, o) => {
        nApply++;
        const t = performance.now();
        A.apply(u, o);
        inProducts += performance.now() - t;
      },
      applyTranspose: (u, o) => {
        nTranspose++;
        const t = performance.now();
        A.applyTranspose(u, o);
        inProducts += performance.now() - t;
      },
    };
    const before = mem();
    const t0 = performance.now();
    const res = signal.blockSparseRecovery(counted, y, { blockSize: 16 });
    const t1 = performance.now();
    const after = mem();
    let d = 0, s = 0;
    for (let j = 0; j < n; j++) {
      d += (res.x[j] - x[j]) ** 2;
      s += x[j] ** 2;
    }
    console.log(`  total ${fmt((t1 - t0) / 1000, 2)} s; FISTA ${res.fit.iterations} iterations (${res.fit.status}, relative gap ${res.fit.relativeGap.toExponential(1)}), ` +
      `CGLS ${res.debias?.iterations} iterations; relative error ${Math.sqrt(d / s).toExponential(2)}; active blocks ${res.activeGroups.length}/24`);
    console.log(`  ${nApply} apply + ${nTranspose} Aᵀ took ${fmt(inProducts / 1000, 2)} s (${fmt(inProducts / (nApply + nTranspose), 3)} ms each, timed inside the solve) = ` +
      `${fmt((100 * inProducts) / (t1 - t0), 0)}% of it; the rest is the solver's vector work over 2¹⁴ coefficients (prox, certificates, line search)`);
    console.log(`  retained memory after the solve: ${fmt((after.heap + after.buffers - before.heap - before.buffers) / MB, 2)} MB (result vectors)`);
  }

  // 4. Phase transition.
  console.log('\n4. phase transition, Gaussian A, n = 128, blocks of 8, 8 trials per point, success = relative error < 1e-3 after debiasing');
  const t0 = performance.now();
  const rows = signal.phaseTransition({
    n: 128, blockSize: 8, deltas: [0.125, 0.25, 0.375, 0.5, 0.625, 0.75], sparsityRatios: [0.25, 0.5, 0.75, 0.9], trials: 8, seed: 1,
  });
  console.log(signal.formatPhaseTable(rows));
  // ρ is rounded to whole blocks: the nonzeros k actually used per cell (same for both methods).
  const ds = [...new Set(rows.map((r) => r.delta))];
  console.log('  k used (m):  ' + ds.map((dl) => `δ=${dl}: ${rows.filter((r) => r.delta === dl && r.method === 'group').map((r) => r.k).join(',')} (m=${rows.find((r) => r.delta === dl)!.m})`).join('; '));
  const g = rows.filter((r) => r.method === 'group').reduce((a, r) => a + r.successRate, 0);
  const l = rows.filter((r) => r.method === 'lasso').reduce((a, r) => a + r.successRate, 0);
  console.log(`  mean success over the grid: group ${fmt(g / (rows.length / 2), 2)}, lasso ${fmt(l / (rows.length / 2), 2)}; ${fmt((performance.now() - t0) / 1000, 1)} s`);
}
