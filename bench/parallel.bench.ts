/**
 * `npm run bench parallel`: Xᵀr on worker threads (`ParallelTransposeProduct`, shared memory)
 * against the single-thread kernels (`fastOperator(X).applyTranspose`, WebAssembly SIMD, and
 * `DenseMatrix.applyTranspose`, TypeScript) on one n × p design, medians of repeated products
 * measured in this run. PAR_ROWS (default 10 000) and PAR_COLS (default 2 000): the size of the
 * dense designs the solvers' gradient would have used it on.
 */
import { availableParallelism } from 'node:os';
import { DenseMatrix, fastOperator } from '../src/index.ts';
import { ParallelTransposeProduct } from '../src/linalg/parallel.ts';
import { Random } from '../src/util/random.ts';

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

export async function main(): Promise<void> {
  const n = Number(process.env.PAR_ROWS ?? 1e4);
  const p = Number(process.env.PAR_COLS ?? 2000);
  const rng = new Random(1);
  const X = new DenseMatrix(n, p);
  for (let k = 0; k < X.data.length; k++) X.data[k] = rng.normal();
  const r = Float64Array.from({ length: n }, () => rng.normal());
  const out = new Float64Array(p);
  const reps = 9;
  const single: number[] = [];
  const simd: number[] = [];
  const F = fastOperator(X);
  const rIn = F.vector(n);
  rIn.set(r);
  const outIn = F.vector(p);
  for (let k = 0; k < reps; k++) {
    let t0 = performance.now();
    X.applyTranspose(r, out);
    single.push(performance.now() - t0);
    t0 = performance.now();
    F.applyTranspose(rIn, outIn);
    simd.push(performance.now() - t0);
  }
  console.log(`Xᵀr, ${n} × ${p}, ${availableParallelism()} cores seen; median of ${reps}`);
  console.log(`  single thread, TypeScript (DenseMatrix.applyTranspose): ${median(single).toFixed(1)} ms`);
  console.log(`  single thread, WebAssembly SIMD (fastOperator, what the solvers use): ${median(simd).toFixed(1)} ms`);
  for (const threads of [1, 2, 4].filter((t) => t <= Math.max(2, availableParallelism()))) {
    const par = await ParallelTransposeProduct.create(X, { threads });
    const got = await par.apply(r);
    let diff = 0;
    for (let j = 0; j < p; j++) diff = Math.max(diff, Math.abs(got[j] - out[j]));
    const times: number[] = [];
    for (let k = 0; k < reps; k++) {
      const t0 = performance.now();
      await par.apply(r, got);
      times.push(performance.now() - t0);
    }
    await par.close();
    console.log(`  ${threads} worker(s): ${median(times).toFixed(1)} ms, ${(median(times) / median(simd)).toFixed(2)}× the SIMD kernel's time, ` +
      `${(median(times) / median(single)).toFixed(2)}× the TypeScript one's; max |difference| ${diff.toExponential(1)}`);
  }
}
