/**
 * Products of a row-major sample matrix (R rows of D entries: one sampled patch of a layer's input
 * per row, as the layer-wise refits and channel choices of the neural module gather them) on the
 * WebAssembly kernels: the Gram matrix XᵀX, the cross product XᵀY and the product X·W. Written as
 * JavaScript triple loops these took most of a MobileNetV2 pruning (R up to 1 536, D up to 397,
 * 9·10⁸ multiply-adds for the Gram matrices alone); on the kernels they are SIMD dot products
 * over columns held contiguously. Without WebAssembly SIMD the same sums run in JavaScript.
 */
import { FastDense } from './kernels/fast.ts';
import { ShapeError } from '../errors.ts';

function checkShape(fn: string, name: string, a: ArrayLike<number>, R: number, D: number): void {
  if (!(Number.isInteger(R) && R >= 0 && Number.isInteger(D) && D >= 0)) throw new ShapeError(fn, `${name} must be R × D with whole R, D ≥ 0, got ${R} × ${D}`);
  if (a.length !== R * D) throw new ShapeError(fn, `${name} must hold ${R} × ${D} = ${R * D} entries, got ${a.length}`);
}

/** R × D row-major X (minus the column means `mx`, if given) as a column-major kernel matrix with `extra` entries of arena. */
function kernelColumns(X: Float64Array, R: number, D: number, mx: Float64Array | undefined, extra: number): FastDense | null {
  if (R === 0 || D === 0) return null;
  const f = FastDense.blank(R, D, extra + 16 * (R + D) + 4096, true);
  if (f === null) return null;
  const d = f.data;
  for (let r = 0; r < R; r++) {
    const o = r * D;
    if (mx) for (let a = 0; a < D; a++) d[a * R + r] = X[o + a] - mx[a];
    else for (let a = 0; a < D; a++) d[a * R + r] = X[o + a];
  }
  f.touch();
  return f;
}

/**
 * G = (X − 1mxᵀ)ᵀ(X − 1mxᵀ) (D × D, symmetric, so its row- and column-major storage agree) and,
 * with Y (R × O row-major), B = (X − 1mxᵀ)ᵀ(Y − 1myᵀ) as D × O row-major. The means are subtracted
 * entry by entry before the products (no XᵀX − R·mx·mxᵀ cancellation).
 */
export function crossProducts(
  X: Float64Array, R: number, D: number,
  opts: { mx?: Float64Array; Y?: Float64Array; O?: number; my?: Float64Array } = {},
): { G: Float64Array; B: Float64Array | null } {
  const fn = 'crossProducts';
  checkShape(fn, 'X', X, R, D);
  const O = opts.Y ? opts.O ?? 0 : 0;
  if (opts.Y) checkShape(fn, 'Y', opts.Y, R, O);
  if (opts.mx && opts.mx.length !== D) throw new ShapeError(fn, `mx must hold ${D} entries, got ${opts.mx.length}`);
  if (opts.my && opts.my.length !== O) throw new ShapeError(fn, `my must hold ${O} entries, got ${opts.my.length}`);
  const f = kernelColumns(X, R, D, opts.mx, D * D + (opts.Y ? R * O + D * O : 0) + 64);
  if (f === null) return crossProductsJs(X, R, D, opts, O);
  try {
    // Task t is column t of X itself: out[t·D + a] = x_aᵀ x_t.
    const g = f.vector(D * D);
    f.applyTransposeTasks(f.data, D, g);
    const G = g.slice();
    let B: Float64Array | null = null;
    if (opts.Y) {
      const Y = opts.Y, my = opts.my;
      const U = f.vector(R * O);
      for (let r = 0; r < R; r++) for (let j = 0; j < O; j++) U[j * R + r] = Y[r * O + j] - (my ? my[j] : 0);
      const b = f.vector(D * O);
      f.applyTransposeTasks(U, O, b);
      B = new Float64Array(D * O);
      for (let j = 0; j < O; j++) for (let a = 0; a < D; a++) B[a * O + j] = b[j * D + a];
    }
    return { G, B };
  } finally {
    f.dispose();
  }
}

/** @internal {@link crossProducts} in JavaScript (no WebAssembly SIMD): rank-one updates, skipping zero entries (ReLU outputs). */
export function crossProductsJs(
  X: Float64Array, R: number, D: number, opts: { mx?: Float64Array; Y?: Float64Array; my?: Float64Array }, O: number,
): { G: Float64Array; B: Float64Array | null } {
  const G = new Float64Array(D * D);
  const B = opts.Y ? new Float64Array(D * O) : null;
  const xr = new Float64Array(D);
  const y = new Float64Array(O);
  for (let r = 0; r < R; r++) {
    for (let a = 0; a < D; a++) xr[a] = X[r * D + a] - (opts.mx ? opts.mx[a] : 0);
    if (B) for (let j = 0; j < O; j++) y[j] = opts.Y![r * O + j] - (opts.my ? opts.my[j] : 0);
    for (let a = 0; a < D; a++) {
      const xa = xr[a];
      if (xa === 0) continue;
      const row = a * D;
      for (let b = a; b < D; b++) G[row + b] += xa * xr[b];
      if (B) for (let j = 0, rb = a * O; j < O; j++) B[rb + j] += xa * y[j];
    }
  }
  for (let a = 0; a < D; a++) for (let b = a + 1; b < D; b++) G[b * D + a] = G[a * D + b];
  return { G, B };
}

/**
 * X (R × D row-major) held for repeated products X·W + b (W D × O row-major): the kernels read the
 * row-major bytes as the column-major D × R matrix Xᵀ, so X·W is one transposed product per output
 * column. Dispose when done (the kernel memory goes back to the pool).
 */
export class RowMajorProducts {
  private readonly f: FastDense | null;
  private readonly X: Float64Array;

  constructor(X: Float64Array, readonly R: number, readonly D: number, maxO: number) {
    checkShape('RowMajorProducts', 'X', X, R, D);
    this.X = X;
    this.f = R > 0 && D > 0 ? FastDense.blank(D, R, D * maxO + R * maxO + 16 * (R + D) + 4096, true) : null;
    if (this.f) {
      this.f.data.set(X);
      this.f.touch();
    }
  }

  /** out[r·O + o] = Σ_u X[r, u]·W[u·O + o] (+ b[o]). */
  product(W: ArrayLike<number>, O: number, b?: ArrayLike<number>): Float64Array {
    const { R, D, f } = this;
    if (W.length !== D * O) throw new ShapeError('RowMajorProducts.product', `W must hold ${D} × ${O} = ${D * O} entries, got ${W.length}`);
    const out = new Float64Array(R * O);
    if (f === null || f.disposed) {
      const X = this.X;
      for (let r = 0; r < R; r++) {
        const yr = r * O;
        for (let u = 0; u < D; u++) {
          const x = X[r * D + u];
          if (x === 0) continue;
          for (let o = 0, wr = u * O; o < O; o++) out[yr + o] += x * W[wr + o];
        }
      }
    } else {
      const U = f.vector(D * O);
      for (let u = 0; u < D; u++) for (let o = 0; o < O; o++) U[o * D + u] = W[u * O + o];
      const v = f.vector(R * O);
      f.applyTransposeTasks(U, O, v);
      for (let o = 0; o < O; o++) for (let r = 0; r < R; r++) out[r * O + o] = v[o * R + r];
      f.release(U, v);
    }
    if (b) for (let r = 0; r < R; r++) for (let o = 0; o < O; o++) out[r * O + o] += b[o];
    return out;
  }

  dispose(): void {
    this.f?.dispose();
  }
}
