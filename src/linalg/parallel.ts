/**
 * Xᵀr on worker threads (Node), kept for `npm run bench parallel` and not part of the public API:
 * no solver uses it, because it does not pay here. X is copied once into a SharedArrayBuffer (or
 * used in place when its buffer is already shared); each worker owns a contiguous block of columns
 * and computes their dot products with r in plain TypeScript, so a call moves only r and p results
 * but costs a message round trip per worker. Measured on the 2-core machine this project is
 * developed on (10000 × 2000): 185 ms for 2 workers against 40 ms for the single-thread
 * WebAssembly SIMD kernel (`fastOperator(X).applyTranspose`), and 183 ms for the single-thread
 * TypeScript kernel — the SIMD kernel does per core what two scalar cores cannot. The multi-core
 * path of the library is cross-validation's folds (src/path/parallel.ts).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ShapeError, ValueError } from '../errors.ts';
import type { DenseMatrix } from './dense.ts';

/** Worker body (plain JavaScript, evaluated by the worker): 4-way unrolled dot products of its columns with r. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { n, j0, j1 } = workerData;
const X = new Float64Array(workerData.x);
const R = new Float64Array(workerData.r);
const O = new Float64Array(workerData.out);
parentPort.on('message', () => {
  for (let j = j0; j < j1; j++) {
    const o = j * n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += X[o + i] * R[i];
      s1 += X[o + i + 1] * R[i + 1];
      s2 += X[o + i + 2] * R[i + 2];
      s3 += X[o + i + 3] * R[i + 3];
    }
    for (; i < n; i++) s0 += X[o + i] * R[i];
    O[j] = (s0 + s1) + (s2 + s3);
  }
  parentPort.postMessage(0);
});
`;

/** Options of {@link ParallelTransposeProduct.create}. */
export interface ParallelOptions {
  /** Worker threads (default: the machine's available parallelism, at most p). */
  threads?: number;
}

/**
 * Xᵀr split over worker threads. Create once per design, call `apply` per product, `close` at
 * the end (workers keep the process alive until then).
 *
 * @example
 * const par = await ParallelTransposeProduct.create(X, { threads: 2 });
 * const g = await par.apply(r); // returns Xᵀr, equal to X.applyTranspose(r) to rounding
 * await par.close();
 */
export class ParallelTransposeProduct {
  readonly rows: number;
  readonly cols: number;
  readonly threads: number;
  private readonly r: Float64Array;
  private readonly out: Float64Array;
  private workers: Worker[];
  private busy = false;

  private constructor(n: number, p: number, r: Float64Array, out: Float64Array, workers: Worker[]) {
    this.rows = n;
    this.cols = p;
    this.r = r;
    this.out = out;
    this.workers = workers;
    this.threads = workers.length;
  }

  /** Start the workers on X (copied into shared memory unless X.data is a whole SharedArrayBuffer already). */
  static async create(X: DenseMatrix, options: ParallelOptions = {}): Promise<ParallelTransposeProduct> {
    const fn = 'ParallelTransposeProduct.create';
    if (X === null || typeof X !== 'object' || !(X.data instanceof Float64Array)) throw new ShapeError(fn, 'X must be a DenseMatrix');
    const n = X.rows, p = X.cols;
    if (p === 0 || n === 0) throw new ShapeError(fn, `X is ${n} × ${p}: nothing to split`);
    const want = options.threads ?? availableParallelism();
    if (!Number.isInteger(want) || want < 1) throw new ValueError(fn, `threads must be a whole number ≥ 1, got ${String(options.threads)}`);
    const threads = Math.min(want, p);
    let xs: Float64Array;
    if (X.data.buffer instanceof SharedArrayBuffer && X.data.byteOffset === 0 && X.data.buffer.byteLength === n * p * 8) xs = X.data;
    else {
      xs = new Float64Array(new SharedArrayBuffer(n * p * 8));
      xs.set(X.data);
    }
    const r = new Float64Array(new SharedArrayBuffer(n * 8));
    const out = new Float64Array(new SharedArrayBuffer(p * 8));
    const workers: Worker[] = [];
    for (let t = 0; t < threads; t++) {
      const j0 = Math.floor((t * p) / threads), j1 = Math.floor(((t + 1) * p) / threads);
      workers.push(new Worker(WORKER, { eval: true, workerData: { n, j0, j1, x: xs.buffer, r: r.buffer, out: out.buffer } }));
    }
    return new ParallelTransposeProduct(n, p, r, out, workers);
  }

  /** out ← Xᵀr (a new array unless `out` is given). One call at a time. */
  async apply(r: ArrayLike<number>, out?: Float64Array): Promise<Float64Array> {
    const fn = 'ParallelTransposeProduct.apply';
    if (this.workers.length === 0) throw new ValueError(fn, 'the workers are closed');
    if (this.busy) throw new ValueError(fn, 'a product is already running: await it before the next');
    if (r.length !== this.rows) throw new ShapeError(fn, `r has length ${r.length}, X has ${this.rows} rows`);
    if (out !== undefined && out.length !== this.cols) throw new ShapeError(fn, `out has length ${out.length}, X has ${this.cols} columns`);
    this.busy = true;
    try {
      this.r.set(r);
      await Promise.all(this.workers.map((w) => new Promise<void>((resolve, reject) => {
        const done = () => {
          w.off('error', fail);
          resolve();
        };
        const fail = (e: Error) => {
          w.off('message', done);
          reject(e);
        };
        w.once('message', done);
        w.once('error', fail);
        w.postMessage(0);
      })));
      const res = out ?? new Float64Array(this.cols);
      res.set(this.out);
      return res;
    } finally {
      this.busy = false;
    }
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
