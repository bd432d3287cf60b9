/**
 * Fast dense operators: the hot products of every solver (Xw, Xᵀr, X_gᵀr, r += X_g δ) over a
 * column-major matrix, run by WebAssembly SIMD kernels when the host has them and by plain-TS
 * kernels otherwise, behind the ordinary `LinearOperator` + `ColumnAccess` interfaces.
 *
 * Memory: the WebAssembly backend copies X once into a linear memory sized at creation, with room
 * for work vectors. The memory never grows (growing would detach every view taken on it), so the
 * vectors handed out by {@link FastDense.vector} stay valid for the operator's lifetime. Vectors that
 * live in that memory are used in place; any other Float64Array works too, through a copy.
 */
import { AbstractMatrix } from 'ml-matrix';
import { OptionError, ShapeError, ValueError } from '../../errors.ts';
import { checkChoice, checkOptions } from '../../util/validate.ts';
import { checkFiniteMatrix, DenseMatrix } from '../dense.ts';
import { toDense, toOperator } from '../input.ts';
import type { ColumnAccess, LinearOperator } from '../operator.ts';
import { finiteFromSumSq, maxColumnRms } from '../scale.ts';
import { SparseMatrix } from '../sparse.ts';
import { dotJs, gemvNAllJs, gemvNJs, gemvTAllJs, gemvTJs, gemvTWJs } from './js.ts';
import { acquireKernelMemory, MAX_WASM_BYTES, releaseKernelMemory, wasmSimdAvailable, type KernelMemory, type WasmKernelExports, type WasmMemory } from './wasm.ts';

/** Which kernels run the products. */
export type KernelBackend = 'wasm' | 'js';

export interface FastOperatorOptions {
  /**
   * `'wasm'`: WebAssembly SIMD (throws where unavailable); `'js'`: plain TypeScript; `'auto'`
   * (default): WebAssembly when available and the matrix fits in its memory, else TypeScript.
   */
  backend?: 'auto' | KernelBackend;
  /**
   * Float64 slots reserved in the kernel memory for work vectors handed out by `vector()`
   * (default 16·(rows + cols) + 4096). Past it, `vector()` returns ordinary arrays (still correct,
   * used through a copy).
   */
  workspace?: number;
}

const FAST_OPTIONS = ['backend', 'workspace'] as const;

/** Work vectors whose lifetime is the operator's: allocate once per solve, release when done. */
export interface KernelWorkspace {
  /** A zero-filled vector that the kernels read and write in place. */
  vector(length: number): Float64Array;
  /** Give vectors from {@link vector} back for reuse (their contents may then change). */
  release(...vectors: Float64Array[]): void;
}

/** What a backend implements; FastDense checks shapes and delegates. */
interface Engine extends KernelWorkspace {
  readonly backend: KernelBackend;
  readonly data: Float64Array;
  dot(j: number, y: Float64Array): number;
  normSq(j: number): number;
  axpy(j: number, alpha: number, y: Float64Array): void;
  gemvT(idx: ArrayLike<number>, start: number, end: number, y: Float64Array, out: Float64Array, outOffset: number): void;
  gemvN(idx: ArrayLike<number>, start: number, end: number, coef: ArrayLike<number>, coefOffset: number, y: Float64Array): void;
  gemvTW(idx: ArrayLike<number>, start: number, end: number, y: Float64Array, w: Float64Array, out: Float64Array, outOffset: number): void;
  applyAll(w: Float64Array, out: Float64Array): void;
  applyTransposeAll(y: Float64Array, out: Float64Array): void;
  applyTransposeTasks(U: Float64Array, T: number, out: Float64Array): void;
  /** Hand the kernel memory back for reuse (WebAssembly); nothing for the TypeScript kernels. */
  dispose(): void;
}

/**
 * A dense column-major matrix whose products run on the fastest kernels available. It IS a
 * {@link DenseMatrix} (so code that specializes on dense storage keeps working) and its `columns`
 * is itself: `dot`, `axpy`, `normSq`, `dotBlock` (X_gᵀy), `dotBlockWeighted` (X_gᵀ diag(w) y) and
 * `axpyBlock` (y += X_g δ).
 *
 * Products:  apply: out ← X w;  applyTranspose: out ← Xᵀ y;  dotBlock: out_k ← x_{idx[k]}ᵀ y;
 * axpyBlock: y ← y + Σ_k coef_k x_{idx[k]}.  Build one with {@link fastOperator}.
 *
 * With the `'js'` backend the matrix storage is the input's own array (no copy); with `'wasm'` it is
 * a copy inside the kernel memory, so later changes to the input matrix are not seen.
 */
export class FastDense extends DenseMatrix implements ColumnAccess, KernelWorkspace {
  /** The kernels in use. */
  readonly backend: KernelBackend;
  override readonly columns: ColumnAccess;
  private engine: Engine;

  private constructor(rows: number, cols: number, engine: Engine) {
    // Built by fastOperator only; a direct `new` with anything else is named here, not a TypeError.
    if (engine === null || typeof engine !== 'object' || !(engine.data instanceof Float64Array) || engine.data.length !== rows * cols) {
      throw new ShapeError('FastDense', 'build a FastDense with fastOperator(X), not new FastDense(...)');
    }
    super(rows, cols, engine.data);
    this.engine = engine;
    this.backend = engine.backend;
    this.columns = this;
  }

  /** @internal Build from a dense matrix; use {@link fastOperator}. `pooled`: see {@link blank}. */
  static create(X: DenseMatrix, backend: KernelBackend, workspace: number, pooled = false): FastDense {
    if (backend === 'js') return new FastDense(X.rows, X.cols, new JsEngine(X));
    const f = new FastDense(X.rows, X.cols, new WasmEngine({ rows: X.rows, cols: X.cols }, workspace, pooled));
    f.subsetsOnKernels = true;
    // The copy into the kernel memory also sums each column's squares: finiteness and the range
    // check come with it instead of two more passes over X.
    copyColumns(X.data, f);
    return f;
  }

  /**
   * @internal An n × p operator on the WebAssembly kernels whose entries the caller writes, every
   * one of them, into `data` (column-major: a memory from the pool holds its last owner's values)
   * and then confirms with {@link verifyFinite} or {@link noteColumnSumSq}; null when WebAssembly
   * SIMD is missing or the matrix does not fit its memory. `pooled`: the memory may come from the
   * pool of memories given back by {@link dispose} (for an operator whose owner disposes it when
   * done); otherwise it is new, so an operator that lives on never takes one a later fit could reuse.
   */
  static blank(n: number, p: number, workspace = 16 * (n + p) + 4096, pooled = false): FastDense | null {
    if (!wasmSimdAvailable() || WasmEngine.bytesNeeded(n, p, workspace) > MAX_WASM_BYTES) return null;
    try {
      const f = new FastDense(n, p, new WasmEngine({ rows: n, cols: p }, workspace, pooled));
      f.subsetsOnKernels = true;
      return f;
    } catch {
      return null; // the host refused the memory
    }
  }

  /**
   * Bumped by {@link set}; caches of per-column statistics compare it. Code that writes `data`
   * directly should call {@link touch}.
   */
  version = 0;

  /** Entries were checked finite at creation; `set` keeps it so, `touch` forgets it. */
  private finite = false;

  /** max_j RMS(x_j) as of `version` (see {@link maxColumnRms}), or none. */
  private scale: { version: number; value: number } | null = null;

  override set(i: number, j: number, v: number): void {
    super.set(i, j, v);
    this.version++;
    if (!Number.isFinite(v)) this.finite = false;
  }

  /** Declare that entries of `data` were changed in place. */
  touch(): void {
    this.version++;
    this.finite = false;
  }

  override isKnownFinite(): boolean {
    return this.finite;
  }

  /**
   * @internal The pass that wrote `data` summed each column's squares (`ss`): finiteness and the
   * column sizes follow from them (see scale.ts). Returns whether every entry is finite.
   */
  noteColumnSumSq(ss: Float64Array, sums?: Float64Array): boolean {
    const finite = finiteFromSumSq(this.data, this.rows, this.cols, ss);
    this.finite = finite && this.backend === 'wasm';
    this.scale = finite ? { version: this.version, value: maxColumnRms(this.data, this.rows, this.cols, ss) } : null;
    this.stats = finite && sums !== undefined && this.backend === 'wasm' ? { version: this.version, sums, sumSq: ss } : null;
    return finite;
  }

  /** Column sums and sums of squares of the pass that wrote `data`, as of `version` (see {@link beginColumnSums}). */
  private stats: { version: number; sums: Float64Array; sumSq: Float64Array } | null = null;

  /**
   * @internal Each column's plain sum and sum of squares, taken by the pass that wrote the kernel
   * copy (the same bits however the copy was built), or null when the entries changed since or
   * no such pass recorded them. Read-only.
   */
  columnStats(): { sums: Float64Array; sumSq: Float64Array } | null {
    return this.stats !== null && this.stats.version === this.version ? this.stats : null;
  }

  /**
   * @internal Start the column statistics of a pass that writes `data` (WebAssembly backend):
   * {@link addColumnSums} on each part once it is written, while it is in cache, then
   * {@link finishColumnSums}. The sums run in the kernel memory (col_sums in kernels.wat).
   */
  beginColumnSums(): void {
    this.wasmEngine().sumsBegin();
  }

  /**
   * @internal Add rows [row0, row0 + rows) of columns [j0, j1) of `data` to the statistics. row0 is a
   * multiple of 8 and each column's rows are added top to bottom: every way of writing the same
   * entries then yields the same bits (see col_sums).
   */
  addColumnSums(row0: number, rows: number, j0: number, j1: number): void {
    this.wasmEngine().sumsAdd(row0, rows, j0, j1);
  }

  /** @internal The statistics are complete: record them ({@link noteColumnSumSq}); whether every entry is finite. */
  finishColumnSums(): boolean {
    const { sums, ss } = this.wasmEngine().sumsEnd();
    return this.noteColumnSumSq(ss, sums);
  }

  private wasmEngine(): WasmEngine {
    if (!(this.engine instanceof WasmEngine)) throw new ShapeError('FastDense', 'column statistics are taken on the WebAssembly kernels only');
    return this.engine;
  }

  override maxColumnRms(): number {
    if (this.scale !== null && this.scale.version === this.version && this.backend === 'wasm') return this.scale.value;
    const value = super.maxColumnRms();
    this.scale = { version: this.version, value };
    return value;
  }

  /**
   * @internal The owner is done with this operator: its kernel memory goes back to the pool for the
   * next operator of its size (see wasm.ts), and any later product throws. Only for an operator
   * that nothing else holds (one built inside a call, for that call) — a view on its memory kept
   * elsewhere would see the next owner's data.
   */
  dispose(): void {
    const e = this.engine;
    this.engine = DISPOSED;
    e.dispose();
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.engine === DISPOSED;
  }

  /** Look at every entry once and remember whether all are finite (after writes to `data`). */
  verifyFinite(): boolean {
    const d = this.data;
    let s = 0;
    for (let k = 0; k < d.length; k++) s += d[k] * 0;
    this.finite = s === 0 && this.backend === 'wasm';
    return s === 0;
  }

  vector(length: number): Float64Array {
    if (!Number.isInteger(length) || length < 0) throw new ValueError('FastDense.vector', `length must be a whole number ≥ 0, got ${length}`);
    return this.engine.vector(length);
  }

  release(...vectors: Float64Array[]): void {
    this.engine.release(...vectors);
  }

  /** out ← X w (out has length rows). Zero entries of w cost nothing. */
  override apply(w: Float64Array, out: Float64Array): void {
    need('FastDense.apply', 'w', w, this.cols);
    need('FastDense.apply', 'out', out, this.rows);
    this.engine.applyAll(w, out);
  }

  /** out ← Xᵀ y (out has length cols). */
  override applyTranspose(y: Float64Array, out: Float64Array): void {
    need('FastDense.applyTranspose', 'y', y, this.rows);
    need('FastDense.applyTranspose', 'out', out, this.cols);
    this.engine.applyTransposeAll(y, out);
  }

  /**
   * out_t ← Xᵀ u_t for T vectors at once (U is n × T and out is p × T, both column-major): the
   * columns are visited in blocks that stay in cache while every task reads them, so X streams
   * from memory once instead of T times.
   */
  applyTransposeTasks(U: Float64Array, T: number, out: Float64Array): void {
    need('FastDense.applyTransposeTasks', 'U', U, this.rows * T);
    need('FastDense.applyTransposeTasks', 'out', out, this.cols * T);
    this.engine.applyTransposeTasks(U, T, out);
  }

  /**
   * Rows `idx` in order, as a matrix of their own. With the WebAssembly kernels the rows are gathered
   * straight into a new kernel memory (one copy, checked as it is written), so a cross-validation
   * fold costs one copy of its rows, not a plain copy and then a kernel copy. `pooled`: the memory
   * comes from the pool of one-call memories (see fast.ts) and goes back when the caller disposes
   * the subset — what cross-validation does with each fold's rows, which otherwise faults in fresh
   * pages for every fold (on 900 × 5000 about 60 ms of CPU time against 4 ms rewriting pages
   * already touched).
   */
  override selectRows(idx: ArrayLike<number>, pooled = false): DenseMatrix {
    if (!this.subsetsOnKernels) return super.selectRows(idx);
    const m = idx.length, n = this.rows, p = this.cols;
    const f = FastDense.blank(m, p, undefined, pooled);
    if (f === null) return super.selectRows(idx);
    const src = this.data, dst = f.data;
    const batch = sumBatch(m);
    f.beginColumnSums();
    for (let j0 = 0; j0 < p; j0 += batch) {
      const j1 = Math.min(p, j0 + batch);
      for (let j = j0; j < j1; j++) {
        const a = j * n, b = j * m;
        for (let k = 0; k < m; k++) dst[b + k] = src[a + idx[k]];
      }
      f.addColumnSums(0, m, j0, j1);
    }
    f.finishColumnSums();
    return f;
  }

  /**
   * Whether {@link selectRows} builds WebAssembly-backed subsets: with the WebAssembly backend, and
   * for a view made by {@link FastDense.sharedView} for a thread whose caller's design has it.
   */
  private subsetsOnKernels = false;

  /**
   * @internal A read-only n × p operator over column-major `data` used in place (no copy, the
   * TypeScript kernels), whose row subsets are built as the caller's design builds them: how a
   * worker thread reads a design shared with it.
   */
  static sharedView(n: number, p: number, data: Float64Array, subsetBackend: KernelBackend): FastDense {
    const f = new FastDense(n, p, new JsEngine({ rows: n, cols: p, data } as DenseMatrix));
    f.subsetsOnKernels = subsetBackend === 'wasm' && wasmSimdAvailable();
    return f;
  }

  /** x_jᵀ y. */
  dot(j: number, y: Float64Array): number {
    this.checkColumn('FastDense.dot', j);
    need('FastDense.dot', 'y', y, this.rows);
    return this.engine.dot(j, y);
  }

  /** y ← y + alpha·x_j. */
  axpy(j: number, alpha: number, y: Float64Array): void {
    this.checkColumn('FastDense.axpy', j);
    need('FastDense.axpy', 'y', y, this.rows);
    if (alpha !== 0) this.engine.axpy(j, alpha, y);
  }

  /** ‖x_j‖². */
  normSq(j: number): number {
    this.checkColumn('FastDense.normSq', j);
    return this.engine.normSq(j);
  }

  /** out[outOffset + k] ← x_{idx[start+k]}ᵀ y for k in [0, end − start): X_gᵀy for one group. */
  dotBlock(idx: ArrayLike<number>, start: number, end: number, y: Float64Array, out: Float64Array, outOffset = 0): void {
    const fn = 'FastDense.dotBlock';
    this.checkRange(fn, idx, start, end);
    need(fn, 'y', y, this.rows);
    if (outOffset < 0 || out.length < outOffset + end - start) {
      throw new ShapeError(fn, `out has length ${out.length}, needs ${outOffset + end - start}`);
    }
    if (end > start) this.engine.gemvT(idx, start, end, y, out, outOffset);
  }

  /**
   * out[outOffset + k] ← x_{idx[start+k]}ᵀ diag(w) y for k in [0, end − start): X_gᵀ(w∘y) without
   * forming w∘y. `y` may be a column of this matrix (`data.subarray(j·rows, (j+1)·rows)`): one row
   * of the weighted Gram matrix X_gᵀ diag(w) X_g. In place when y and w live in the kernel memory.
   */
  dotBlockWeighted(idx: ArrayLike<number>, start: number, end: number, y: Float64Array, w: Float64Array, out: Float64Array, outOffset = 0): void {
    const fn = 'FastDense.dotBlockWeighted';
    this.checkRange(fn, idx, start, end);
    need(fn, 'y', y, this.rows);
    need(fn, 'w', w, this.rows);
    if (outOffset < 0 || out.length < outOffset + end - start) {
      throw new ShapeError(fn, `out has length ${out.length}, needs ${outOffset + end - start}`);
    }
    if (end > start) this.engine.gemvTW(idx, start, end, y, w, out, outOffset);
  }

  /** y ← y + Σ_k coef[coefOffset + k]·x_{idx[start+k]} for k in [0, end − start): a rank-|g| update. */
  axpyBlock(idx: ArrayLike<number>, start: number, end: number, coef: ArrayLike<number>, y: Float64Array, coefOffset = 0): void {
    const fn = 'FastDense.axpyBlock';
    this.checkRange(fn, idx, start, end);
    need(fn, 'y', y, this.rows);
    if (coefOffset < 0 || coef.length < coefOffset + end - start) {
      throw new ShapeError(fn, `coef has length ${coef.length}, needs ${coefOffset + end - start}`);
    }
    if (end > start) this.engine.gemvN(idx, start, end, coef, coefOffset, y);
  }

  private checkColumn(fn: string, j: number): void {
    if (!(j >= 0 && j < this.cols) || !Number.isInteger(j)) throw new ShapeError(fn, `column ${j} out of range [0, ${this.cols})`);
  }

  private checkRange(fn: string, idx: ArrayLike<number>, start: number, end: number): void {
    if (!(start >= 0 && start <= end && end <= idx.length)) {
      throw new ShapeError(fn, `range [${start}, ${end}) does not fit an index array of length ${idx.length}`);
    }
    // A wrong index would read another part of the kernel memory: refuse it instead.
    const p = this.cols;
    for (let k = start; k < end; k++) {
      const j = idx[k];
      if (!(j >= 0 && j < p) || (j | 0) !== j) throw new ShapeError(fn, `column index ${j} at position ${k} out of range [0, ${p})`);
    }
  }
}

function need(fn: string, what: string, v: Float64Array, length: number): void {
  if (!(v instanceof Float64Array)) throw new ShapeError(fn, `${what} must be a Float64Array`);
  if (v.length < length) throw new ShapeError(fn, `${what} has length ${v.length}, expected ${length}`);
}

/**
 * A fast operator over a dense design matrix X (n × p, column-major): the same products as
 * {@link DenseMatrix} (out ← Xw, out ← Xᵀy, per-column and per-group blocks), run by WebAssembly SIMD
 * kernels (`backend: 'wasm'`) or plain TypeScript (`'js'`); `'auto'` (default) picks WebAssembly when
 * the host supports SIMD and the matrix fits its 2 GiB memory. A `FastDense` passed in with the
 * requested backend is returned as is.
 *
 * @example
 * const X = DenseMatrix.fromRows([[1, 2], [3, 4]]);
 * const A = fastOperator(X);
 * const out = A.vector(2);
 * A.applyTranspose(Float64Array.of(1, 1), out);
 * out; // returns Float64Array [4, 6]
 */
export function fastOperator(X: unknown, options: FastOperatorOptions = {}): FastDense {
  const fn = 'fastOperator';
  checkOptions(fn, options, FAST_OPTIONS);
  const choice = checkChoice(fn, 'backend', options.backend ?? 'auto', ['auto', 'wasm', 'js'] as const);
  // A plain DenseMatrix is checked for finiteness by the copy into the kernel memory (or just
  // below for 'js'), not by a pass of its own.
  const plain = X instanceof DenseMatrix && !(X instanceof FastDense) && X.rows > 0 && X.cols > 0;
  const M = plain ? X : toDense(X, fn);
  let workspace = 16 * (M.rows + M.cols) + 4096;
  if (options.workspace !== undefined) {
    if (!Number.isInteger(options.workspace) || options.workspace < 0) {
      throw new ValueError(fn, `workspace must be a whole number ≥ 0, got ${String(options.workspace)}`);
    }
    workspace = options.workspace;
  }
  if (M instanceof FastDense && (choice === 'auto' || choice === M.backend) && options.workspace === undefined) return M;
  const js = (): FastDense => {
    checkFiniteMatrix(fn, 'X', M);
    return FastDense.create(M, 'js', workspace);
  };
  const wasm = (): FastDense => {
    const f = FastDense.create(M, 'wasm', workspace);
    if (!f.isKnownFinite()) checkFiniteMatrix(fn, 'X', M); // throws, naming the entry
    return f;
  };
  if (choice === 'js') return js();
  const fits = WasmEngine.bytesNeeded(M.rows, M.cols, workspace) <= MAX_WASM_BYTES;
  if (choice === 'wasm') {
    if (!wasmSimdAvailable()) throw new OptionError(fn, "backend 'wasm' needs WebAssembly SIMD, which this runtime lacks; use 'auto' or 'js'");
    if (!fits) throw new ShapeError(fn, `a ${M.rows} × ${M.cols} matrix does not fit the 2 GiB WebAssembly memory; use 'auto' or 'js'`);
    return wasm();
  }
  if (wasmSimdAvailable() && fits) {
    let f: FastDense | null = null;
    try {
      f = FastDense.create(M, 'wasm', workspace);
    } catch {
      // The host refused the memory (out of address space): the TypeScript kernels still work.
    }
    if (f !== null) {
      if (!f.isKnownFinite()) checkFiniteMatrix(fn, 'X', M);
      return f;
    }
  }
  return js();
}

/**
 * Bytes of X written between two calls of the column statistics (see {@link copyColumns}): small
 * enough that what was just written is still in L2 when col_sums reads it back.
 */
const SUM_BATCH_BYTES = 1 << 17;

/**
 * Columns per call of the column statistics: whole columns up to {@link SUM_BATCH_BYTES}, and at
 * least two, since col_sums runs two columns per vector (a lone column takes its slower scalar path).
 */
function sumBatch(n: number): number {
  return Math.max(2, Math.floor(SUM_BATCH_BYTES / (8 * n)));
}

/**
 * f.data ← src (both n × p column-major) in batches of whole columns, each summed by the kernels
 * right after its copy (read back from cache): the copy, the finiteness / range checks and the
 * column statistics in one read of src.
 */
function copyColumns(src: Float64Array, f: FastDense): void {
  const n = f.rows, p = f.cols, dst = f.data;
  const batch = sumBatch(n);
  f.beginColumnSums();
  for (let j = 0; j < p; j += batch) {
    const e = Math.min(p, j + batch);
    dst.set(src.subarray(j * n, e * n), j * n);
    f.addColumnSums(0, n, j, e);
  }
  f.finishColumnSums();
}

/** Plain-TypeScript kernels over the input's own storage. */
class JsEngine implements Engine {
  readonly backend = 'js' as const;
  readonly data: Float64Array;
  private readonly n: number;
  private readonly p: number;

  constructor(X: DenseMatrix) {
    this.data = X.data;
    this.n = X.rows;
    this.p = X.cols;
  }

  vector(length: number): Float64Array {
    return new Float64Array(length);
  }

  release(): void {
    // Ordinary arrays: the garbage collector takes them back.
  }

  dot(j: number, y: Float64Array): number {
    return dotJs(this.n, this.data, j * this.n, y, 0);
  }

  normSq(j: number): number {
    const o = j * this.n;
    return dotJs(this.n, this.data, o, this.data, o);
  }

  axpy(j: number, alpha: number, y: Float64Array): void {
    const n = this.n, d = this.data, o = j * n;
    for (let i = 0; i < n; i++) y[i] += alpha * d[o + i];
  }

  gemvT(idx: ArrayLike<number>, start: number, end: number, y: Float64Array, out: Float64Array, outOffset: number): void {
    gemvTJs(this.data, this.n, idx, start, end, y, out, outOffset);
  }

  gemvN(idx: ArrayLike<number>, start: number, end: number, coef: ArrayLike<number>, coefOffset: number, y: Float64Array): void {
    gemvNJs(this.data, this.n, idx, start, end, coef, coefOffset, y);
  }

  gemvTW(idx: ArrayLike<number>, start: number, end: number, y: Float64Array, w: Float64Array, out: Float64Array, outOffset: number): void {
    gemvTWJs(this.data, this.n, idx, start, end, y, w, out, outOffset);
  }

  applyAll(w: Float64Array, out: Float64Array): void {
    gemvNAllJs(this.data, this.n, this.p, w, out);
  }

  applyTransposeAll(y: Float64Array, out: Float64Array): void {
    gemvTAllJs(this.data, this.n, this.p, y, out);
  }

  applyTransposeTasks(U: Float64Array, T: number, out: Float64Array): void {
    const { n, p } = this;
    for (let t = 0; t < T; t++) gemvTAllJs(this.data, n, p, U.subarray(t * n, (t + 1) * n), out.subarray(t * p, (t + 1) * p));
  }

  dispose(): void {
    // The input's own storage: nothing to give back.
  }
}

/** What a disposed operator runs on: every product is refused (its memory has a new owner). */
const gone = (): never => {
  throw new ShapeError('FastDense', 'this operator was disposed: its kernel memory now serves another one');
};
const DISPOSED: Engine = {
  backend: 'js', data: new Float64Array(0), vector: gone, release: () => undefined, dot: gone, normSq: gone, axpy: gone,
  gemvT: gone, gemvN: gone, gemvTW: gone, applyAll: gone, applyTransposeAll: gone, applyTransposeTasks: gone, dispose: () => undefined,
};

/** A new kernel memory (for an operator that lives as long as its owner keeps it). */
function acquireFresh(bytes: number): KernelMemory & { reused: boolean } {
  return acquireKernelMemory(bytes, false);
}

/** Round a byte count up to a cache line, so every region starts 64-byte aligned. */
function line(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/**
 * WebAssembly SIMD kernels. Memory layout (byte offsets, each region 64-aligned):
 * [64 reserved] [X: 8np] [identity column list 0..p−1: 4p] [index scratch: 4c] [coef scratch: 8c]
 * [out scratch: 8c] [vector scratch: 8n] [work vectors: 8·workspace], with c = max(p, 4) the chunk
 * of columns one kernel call handles.
 */
class WasmEngine implements Engine {
  readonly backend = 'wasm' as const;
  readonly data: Float64Array;
  private readonly n: number;
  private readonly p: number;
  private readonly k: WasmKernelExports;
  private readonly memory: WasmMemory;
  private readonly kernel: KernelMemory;
  private readonly buffer: ArrayBuffer;
  private readonly xPtr: number;
  private readonly identityPtr: number;
  private readonly chunk: number;
  private readonly idxPtr: number;
  private readonly idxView: Int32Array;
  private readonly coefPtr: number;
  private readonly coefView: Float64Array;
  private readonly outPtr: number;
  private readonly outView: Float64Array;
  private readonly vecPtr: number;
  private readonly vecView: Float64Array;
  private arenaNext: number;
  private readonly arenaEnd: number;
  private readonly free = new Map<number, Float64Array[]>();
  private readonly owned = new WeakSet<Float64Array>();

  static bytesNeeded(n: number, p: number, workspace: number): number {
    const c = Math.max(p, 4);
    return 64 + line(8 * n * p) + line(4 * p) + line(4 * c) + line(8 * c) + line(8 * c) + line(8 * n) + line(8 * workspace);
  }

  /**
   * With `X.data` absent the caller fills the matrix memory in place (all of it: with `pooled` the
   * memory may come from the pool, holding a former owner's entries).
   */
  constructor(X: { rows: number; cols: number; data?: Float64Array }, workspace: number, pooled = false) {
    const n = X.rows, p = X.cols;
    this.n = n;
    this.p = p;
    this.kernel = pooled ? acquireKernelMemory(WasmEngine.bytesNeeded(n, p, workspace)) : acquireFresh(WasmEngine.bytesNeeded(n, p, workspace));
    const { memory, exports } = this.kernel;
    this.memory = memory;
    this.buffer = memory.buffer;
    this.k = exports;
    const c = Math.max(p, 4);
    this.chunk = c;
    let at = 64;
    this.xPtr = at; at += line(8 * n * p);
    this.identityPtr = at; at += line(4 * p);
    this.idxPtr = at; at += line(4 * c);
    this.coefPtr = at; at += line(8 * c);
    this.outPtr = at; at += line(8 * c);
    this.vecPtr = at; at += line(8 * n);
    this.arenaNext = at;
    this.arenaEnd = at + line(8 * workspace);
    this.data = new Float64Array(this.buffer, this.xPtr, n * p);
    // Work vectors are handed out zero-filled: a reused memory's scratch and arena start clean.
    if ((this.kernel as { reused?: boolean }).reused) new Uint8Array(this.buffer, this.identityPtr, this.arenaEnd - this.identityPtr).fill(0);
    if (X.data) this.data.set(X.data);
    const identity = new Int32Array(this.buffer, this.identityPtr, p);
    for (let j = 0; j < p; j++) identity[j] = j;
    this.idxView = new Int32Array(this.buffer, this.idxPtr, c);
    this.coefView = new Float64Array(this.buffer, this.coefPtr, c);
    this.outView = new Float64Array(this.buffer, this.outPtr, c);
    this.vecView = new Float64Array(this.buffer, this.vecPtr, n);
  }

  dispose(): void {
    releaseKernelMemory(this.kernel);
  }

  // Column statistics while X is written: the coef and out scratch (c ≥ p entries each) hold the
  // sums and the sums of squares; no product runs until the writing pass is done.
  sumsBegin(): void {
    this.coefView.fill(0, 0, this.p);
    this.outView.fill(0, 0, this.p);
  }

  sumsAdd(row0: number, rows: number, j0: number, j1: number): void {
    if (!(row0 >= 0 && rows >= 0 && row0 + rows <= this.n && j0 >= 0 && j0 <= j1 && j1 <= this.p)) {
      throw new ShapeError('FastDense.addColumnSums', `rows [${row0}, ${row0 + rows}) × columns [${j0}, ${j1}) do not fit ${this.n} × ${this.p}`);
    }
    this.k.col_sums(this.xPtr, this.n, row0, rows, j0, j1, this.coefPtr, this.outPtr);
  }

  sumsEnd(): { sums: Float64Array; ss: Float64Array } {
    return { sums: this.coefView.slice(0, this.p), ss: this.outView.slice(0, this.p) };
  }

  vector(length: number): Float64Array {
    const pool = this.free.get(length);
    if (pool && pool.length > 0) {
      const v = pool.pop()!;
      v.fill(0);
      return v;
    }
    const bytes = line(8 * length);
    if (this.arenaNext + bytes > this.arenaEnd) return new Float64Array(length);
    const v = new Float64Array(this.buffer, this.arenaNext, length);
    this.arenaNext += bytes;
    this.owned.add(v);
    return v;
  }

  release(...vectors: Float64Array[]): void {
    for (const v of vectors) {
      if (!this.owned.has(v)) continue;
      const pool = this.free.get(v.length);
      if (pool === undefined) this.free.set(v.length, [v]);
      else if (!pool.includes(v)) pool.push(v);
    }
  }

  /** Byte offset of v when it lives in this memory, else -1. */
  private at(v: Float64Array): number {
    return v.buffer === this.buffer ? v.byteOffset : -1;
  }

  /** Pointer to y's first n entries, copying them into the vector scratch when y lives elsewhere. */
  private input(y: Float64Array): number {
    const p = this.at(y);
    if (p >= 0) return p;
    this.vecView.set(y.length === this.n ? y : y.subarray(0, this.n));
    return this.vecPtr;
  }

  dot(j: number, y: Float64Array): number {
    return this.k.dot(this.xPtr + 8 * j * this.n, this.input(y), this.n);
  }

  normSq(j: number): number {
    const c = this.xPtr + 8 * j * this.n;
    return this.k.dot(c, c, this.n);
  }

  axpy(j: number, alpha: number, y: Float64Array): void {
    const p = this.at(y);
    if (p >= 0) {
      this.k.axpy(alpha, this.xPtr + 8 * j * this.n, p, this.n);
      return;
    }
    const n = this.n, d = this.data, o = j * n;
    for (let i = 0; i < n; i++) y[i] += alpha * d[o + i];
  }

  gemvT(idx: ArrayLike<number>, start: number, end: number, y: Float64Array, out: Float64Array, outOffset: number): void {
    this.transposed(idx, start, end, this.input(y), -1, out, outOffset);
  }

  /**
   * out[outOffset + k] ← x_{idx[start+k]}ᵀ y (wp < 0) or x_{idx[start+k]}ᵀ diag(w) y (w at wp), with
   * y at yp: the column list goes through the index scratch a chunk at a time.
   */
  private transposed(idx: ArrayLike<number>, start: number, end: number, yp: number, wp: number, out: Float64Array, outOffset: number): void {
    const op = this.at(out);
    for (let s = start; s < end; s += this.chunk) {
      const e = Math.min(end, s + this.chunk);
      const count = e - s;
      const iv = this.idxView;
      for (let k = 0; k < count; k++) iv[k] = idx[s + k];
      const o = outOffset + s - start;
      const to = op >= 0 ? op + 8 * o : this.outPtr;
      if (wp < 0) this.k.gemv_t(this.xPtr, this.n, this.idxPtr, count, yp, to);
      else this.k.gemv_tw(this.xPtr, this.n, this.idxPtr, count, yp, wp, to);
      if (op < 0) {
        const ov = this.outView;
        for (let k = 0; k < count; k++) out[o + k] = ov[k];
      }
    }
  }

  gemvN(idx: ArrayLike<number>, start: number, end: number, coef: ArrayLike<number>, coefOffset: number, y: Float64Array): void {
    let yp = this.at(y);
    const outside = yp < 0;
    if (outside) {
      this.vecView.set(y.length === this.n ? y : y.subarray(0, this.n));
      yp = this.vecPtr;
    }
    for (let s = start; s < end; s += this.chunk) {
      const e = Math.min(end, s + this.chunk);
      // Zero coefficients are dropped while the list is copied in: they would cost a full column.
      let count = 0;
      const iv = this.idxView, cv = this.coefView;
      for (let k = s; k < e; k++) {
        const a = coef[coefOffset + k - start];
        if (a !== 0) {
          iv[count] = idx[k];
          cv[count] = a;
          count++;
        }
      }
      if (count > 0) this.k.gemv_n(this.xPtr, this.n, this.idxPtr, count, this.coefPtr, yp);
    }
    if (outside) {
      const v = this.vecView;
      for (let i = 0; i < this.n; i++) y[i] = v[i];
    }
  }

  gemvTW(idx: ArrayLike<number>, start: number, end: number, y: Float64Array, w: Float64Array, out: Float64Array, outOffset: number): void {
    const yp = this.at(y), wp = this.at(w);
    // Both vectors are read in place; one outside the memory (the solvers hand out resident ones)
    // takes the TS kernel over the same matrix rather than two more copy buffers.
    if (yp < 0 || wp < 0) {
      gemvTWJs(this.data, this.n, idx, start, end, y, w, out, outOffset);
      return;
    }
    this.transposed(idx, start, end, yp, wp, out, outOffset);
  }

  applyAll(w: Float64Array, out: Float64Array): void {
    const n = this.n;
    let op = this.at(out);
    const outside = op < 0;
    if (outside) op = this.vecPtr;
    const target = outside ? this.vecView : out;
    target.fill(0, 0, n);
    // p ≤ chunk, so the whole nonzero list fits the scratch in one go.
    let count = 0;
    const iv = this.idxView, cv = this.coefView;
    for (let j = 0; j < this.p; j++) {
      const a = w[j];
      if (a !== 0) {
        iv[count] = j;
        cv[count] = a;
        count++;
      }
    }
    if (count > 0) this.k.gemv_n(this.xPtr, n, this.idxPtr, count, this.coefPtr, op);
    if (outside) for (let i = 0; i < n; i++) out[i] = target[i];
  }

  applyTransposeTasks(U: Float64Array, T: number, out: Float64Array): void {
    const { n, p } = this;
    const up = this.at(U);
    const op = this.at(out);
    if (T === 1 || up < 0 || op < 0) {
      // Vectors outside the kernel memory: one product per task (each copies its vector in).
      for (let t = 0; t < T; t++) this.applyTransposeAll(U.subarray(t * n, (t + 1) * n), out.subarray(t * p, (t + 1) * p));
      return;
    }
    // Column blocks of about 256 KB stay in L2 while the T tasks read them.
    const B = Math.max(4, Math.floor(32768 / Math.max(n, 1)));
    for (let c0 = 0; c0 < p; c0 += B) {
      const count = Math.min(B, p - c0);
      for (let t = 0; t < T; t++) {
        this.k.gemv_t(this.xPtr, n, this.identityPtr + 4 * c0, count, up + 8 * t * n, op + 8 * (t * p + c0));
      }
    }
  }

  applyTransposeAll(y: Float64Array, out: Float64Array): void {
    const yp = this.input(y);
    const op = this.at(out);
    if (op >= 0) {
      this.k.gemv_t(this.xPtr, this.n, this.identityPtr, this.p, yp, op);
      return;
    }
    this.k.gemv_t(this.xPtr, this.n, this.identityPtr, this.p, yp, this.outPtr);
    const ov = this.outView;
    for (let j = 0; j < this.p; j++) out[j] = ov[j];
  }
}

const denseCache = new WeakMap<DenseMatrix, FastDense>();

/**
 * The kernel copy of a plain DenseMatrix (`backend: 'auto'`), kept while the matrix lives so repeated
 * fits on the same matrix reuse its memory. Each call rewrites the copy from the matrix in one
 * streaming pass (a native copy per column into pages already touched: less than half the time of
 * comparing the two and writing what changed) that also yields the finiteness and range checks and
 * the column statistics; the copy's version moves on, so caches of the old entries are dropped. A
 * FastDense is returned as is. With `fn`, a non-finite entry is refused with an error naming it;
 * without, the copy just records that it is not finite.
 */
export function sharedFastCopy(X: DenseMatrix, fn?: string): FastDense {
  if (X instanceof FastDense) return X;
  const hit = denseCache.get(X);
  if (hit && hit.rows === X.rows && hit.cols === X.cols && hit.backend === 'wasm') {
    hit.touch();
    copyColumns(X.data, hit);
    if (!hit.isKnownFinite() && fn !== undefined) checkFiniteMatrix(fn, 'X', X);
    return hit;
  }
  if (fn !== undefined && !(X.rows > 0 && X.cols > 0)) toOperator(X, fn); // words the empty shape
  let f: FastDense;
  try {
    f = fastOperator(X);
  } catch (e) {
    if (fn !== undefined && e instanceof ValueError) checkFiniteMatrix(fn, 'X', X); // the same refusal, named for the caller
    throw e;
  }
  denseCache.set(X, f);
  return f;
}

/**
 * The design matrix at the API edge of a fit, ready for the solvers: rows and ml-matrix matrices
 * transposed straight into the kernel memory ({@link fastFromRows}); a DenseMatrix copied into a
 * kernel memory kept with it ({@link sharedFastCopy}); a CSC matrix that is at least half full written
 * out dense there (see {@link DENSE_CSC}); a fast operator or another operator used as is. Each
 * form is read once, with the finiteness check and the column sizes for the range check taken in
 * the same pass. Refusals are {@link toOperator}'s.
 */
export function designOperator(X: unknown, fn: string): LinearOperator {
  return callDesign(X, fn, false).op;
}

/**
 * {@link designOperator} for one call that is done with the operator when it returns (a single fit,
 * λ_max): what it converts goes into a kernel memory from the pool (see wasm.ts), and `owned` says
 * the call built the operator itself, so it disposes it at the end ({@link FastDense.dispose}) for
 * the next call to write into the same, already touched pages. A DenseMatrix that has a kernel copy
 * kept with it (a prepared problem made one) is copied into that one, so X is not held three times;
 * any other is copied into a pooled memory for the call alone.
 */
export function callDesign(X: unknown, fn: string, pooled = true): { op: LinearOperator; owned: boolean } {
  const direct = fastFromRows(X, pooled);
  if (direct !== null) return { op: direct, owned: pooled };
  if (X instanceof DenseMatrix && !(X instanceof FastDense) && X.rows > 0 && X.cols > 0 && wasmSimdAvailable()) {
    if (!pooled || denseCache.has(X)) return { op: sharedFastCopy(X, fn), owned: false };
    const f = pooledCopy(X, fn);
    if (f !== null) return { op: f, owned: true };
  }
  if (X instanceof SparseMatrix) {
    const f = denseFromCsc(X, pooled);
    if (f !== null) return { op: f, owned: pooled };
  }
  return { op: toOperator(X, fn), owned: false };
}

/** A DenseMatrix copied into a pooled kernel memory (null when it does not fit there). */
function pooledCopy(X: DenseMatrix, fn: string): FastDense | null {
  const workspace = 16 * (X.rows + X.cols) + 4096;
  if (WasmEngine.bytesNeeded(X.rows, X.cols, workspace) > MAX_WASM_BYTES) return null;
  let f: FastDense;
  try {
    f = FastDense.create(X, 'wasm', workspace, true);
  } catch {
    return null; // the host refused the memory
  }
  if (!f.isKnownFinite()) {
    f.dispose();
    checkFiniteMatrix(fn, 'X', X); // throws, naming the entry
  }
  return f;
}

/**
 * Fill fraction from which a CSC design runs on the dense kernels: the dense copy (8 bytes an
 * entry) is then at most 4/3 of the CSC storage (12 bytes a stored entry), and the SIMD products
 * over contiguous columns beat the indexed gathers of the sparse ones several times over.
 */
const DENSE_CSC = 0.5;

/**
 * A CSC matrix at least {@link DENSE_CSC} full written column by column into kernel memory (each
 * column zeroed and its entries scattered while it is in cache, squares summed for the checks);
 * null when it is sparser, when the kernels are unavailable or the matrix does not fit them.
 */
function denseFromCsc(X: SparseMatrix, pooled: boolean): FastDense | null {
  const n = X.rows, p = X.cols;
  if (n === 0 || p === 0 || X.nnz < DENSE_CSC * n * p) return null;
  const f = FastDense.blank(n, p, undefined, pooled);
  if (f === null) return null;
  const d = f.data, ptr = X.colPtr, ri = X.rowIndex, v = X.values;
  const batch = sumBatch(n);
  f.beginColumnSums();
  for (let j0 = 0; j0 < p; j0 += batch) {
    const j1 = Math.min(p, j0 + batch);
    for (let j = j0; j < j1; j++) {
      const o = j * n, a = ptr[j], e = ptr[j + 1];
      // A full column's row indices are 0 … n − 1 (strictly increasing, in range): a plain copy.
      if (e - a === n) d.set(v.subarray(a, e), o);
      else {
        d.fill(0, o, o + n);
        for (let k = a; k < e; k++) d[o + ri[k]] = v[k];
      }
    }
    f.addColumnSums(0, n, j0, j1);
  }
  if (f.finishColumnSums()) return f;
  f.dispose(); // a value changed to a non-finite one after construction: the general route words it
  return null;
}

/**
 * Tile shape of the row-to-column transpose. Rows are read in strips of 16 (then one at a time for
 * the last rows, fewer than 16): for each column j the 16 entries r_i[j] … r_{i+15}[j] are written as
 * 128 contiguous bytes (two whole cache lines) of column j, so every line written is written whole.
 * A block of STRIP_ROWS rows × STRIP_COLS columns keeps the lines of the rows being read and the
 * STRIP_COLS destination pages in cache and TLB while the block's strips run. Measured on
 * 10000 × 2000 rows: 35–39 ms for strips of 16 against 40–43 ms for strips of 8 (and 110–120 ms
 * for 64 × 64 tiles written one entry per line); 1000 × 5000: 7.6–7.8 ms against 9.5–10 ms.
 */
const STRIP_ROWS = 64;
const STRIP_COLS = 256;

/**
 * Rows [i0, i1) × columns [j0, j1) of plain-array or typed rows into column-major `d`; false when an
 * entry is not a number (a Float64Array store would turn null into 0 and '2' into 2). One loop for
 * both kinds of rows: a separate monomorphic copy for typed rows measured no faster.
 */
function strips(rows: ArrayLike<ArrayLike<number>>, d: Float64Array, n: number, i0: number, i1: number, j0: number, j1: number): boolean {
  let i = i0;
  for (; i + 16 <= i1; i += 16) {
    const r0 = rows[i], r1 = rows[i + 1], r2 = rows[i + 2], r3 = rows[i + 3];
    const r4 = rows[i + 4], r5 = rows[i + 5], r6 = rows[i + 6], r7 = rows[i + 7];
    const r8 = rows[i + 8], r9 = rows[i + 9], r10 = rows[i + 10], r11 = rows[i + 11];
    const r12 = rows[i + 12], r13 = rows[i + 13], r14 = rows[i + 14], r15 = rows[i + 15];
    for (let j = j0; j < j1; j++) {
      const v0 = r0[j], v1 = r1[j], v2 = r2[j], v3 = r3[j], v4 = r4[j], v5 = r5[j], v6 = r6[j], v7 = r7[j];
      const v8 = r8[j], v9 = r9[j], v10 = r10[j], v11 = r11[j], v12 = r12[j], v13 = r13[j], v14 = r14[j], v15 = r15[j];
      if (typeof v0 !== 'number' || typeof v1 !== 'number' || typeof v2 !== 'number' || typeof v3 !== 'number' ||
        typeof v4 !== 'number' || typeof v5 !== 'number' || typeof v6 !== 'number' || typeof v7 !== 'number' ||
        typeof v8 !== 'number' || typeof v9 !== 'number' || typeof v10 !== 'number' || typeof v11 !== 'number' ||
        typeof v12 !== 'number' || typeof v13 !== 'number' || typeof v14 !== 'number' || typeof v15 !== 'number') return false;
      const o = j * n + i;
      d[o] = v0; d[o + 1] = v1; d[o + 2] = v2; d[o + 3] = v3;
      d[o + 4] = v4; d[o + 5] = v5; d[o + 6] = v6; d[o + 7] = v7;
      d[o + 8] = v8; d[o + 9] = v9; d[o + 10] = v10; d[o + 11] = v11;
      d[o + 12] = v12; d[o + 13] = v13; d[o + 14] = v14; d[o + 15] = v15;
    }
  }
  for (; i < i1; i++) {
    const r = rows[i];
    for (let j = j0; j < j1; j++) {
      const v = r[j];
      if (typeof v !== 'number') return false;
      d[j * n + i] = v;
    }
  }
  return true;
}

/**
 * Rows (`number[][]`, typed-array rows) or an ml-matrix `Matrix` transposed straight into the
 * kernel memory in one blocked pass — no intermediate column-major copy, so converting costs one
 * write of X and the memory held is X once; the same pass sums each column's squares, which give
 * the finiteness check and the range check (scale.ts). Returns null (the caller then takes the
 * general conversion, which words any refusal) when the input is of another kind, when an entry is
 * not a finite number or a row is ragged, or when the WebAssembly kernels are not available.
 */
export function fastFromRows(X: unknown, pooled = false): FastDense | null {
  let rows: ArrayLike<ArrayLike<number>>;
  if (AbstractMatrix.isMatrix(X)) {
    const d = (X as unknown as { data?: unknown }).data;
    if (!Array.isArray(d) || d.length !== X.rows) return null; // not ml-matrix's row storage
    rows = d as ArrayLike<number>[];
  } else if (Array.isArray(X) && X.length > 0 && typeof X[0] === 'object' && X[0] !== null && !(X[0] instanceof DenseMatrix)) {
    rows = X as ArrayLike<ArrayLike<number>>;
  } else return null;
  const n = rows.length;
  const p = rows[0].length;
  if (typeof p !== 'number' || p === 0) return null;
  const typed = rows[0] instanceof Float64Array;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r === null || typeof r !== 'object' || r.length !== p || (r instanceof Float64Array) !== typed) return null;
  }
  const f = FastDense.blank(n, p, undefined, pooled);
  if (f === null) return null;
  const d = f.data;
  f.beginColumnSums();
  // Blocks of strips (see STRIP_ROWS): a row-wide block would write to p pages at once and thrash
  // the TLB.
  for (let i0 = 0; i0 < n; i0 += STRIP_ROWS) {
    const i1 = Math.min(n, i0 + STRIP_ROWS);
    for (let j0 = 0; j0 < p; j0 += STRIP_COLS) {
      const j1 = Math.min(p, j0 + STRIP_COLS);
      if (!strips(rows, d, n, i0, i1, j0, j1)) {
        f.dispose();
        return null; // the general conversion words it
      }
      // The block just written is in cache: its statistics now (STRIP_ROWS is a multiple of 8).
      f.addColumnSums(i0, i1 - i0, j0, j1);
    }
  }
  if (f.finishColumnSums()) return f;
  f.dispose();
  return null;
}
