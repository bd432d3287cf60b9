import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import {
  DenseMatrix, fastOperator, type LinearOperator, OptionError, Random, ShapeError, wasmSimdAvailable,
} from '../src/index.ts';
import { FastDense } from '../src/extend.ts';
import { dotJs, gemvNAllJs, gemvNJs, gemvTAllJs, gemvTJs, gemvTWJs } from '../src/linalg/kernels/js.ts';
import { instantiateKernels } from '../src/linalg/kernels/wasm.ts';
// @ts-expect-error plain ES module without typings
import { assemble, GENERATED_PATH, render } from '../scripts/wasm-assemble.mjs';

/** Naive oracle: out_k = Σ_i X[i, idx_k] y_i, with the magnitude Σ_i |X[i, idx_k] y_i| for the tolerance. */
function naiveT(X: Float64Array, n: number, idx: ArrayLike<number>, y: ArrayLike<number>) {
  const val: number[] = [];
  const mag: number[] = [];
  for (let k = 0; k < idx.length; k++) {
    let s = 0, m = 0;
    for (let i = 0; i < n; i++) {
      s += X[i + idx[k] * n] * y[i];
      m += Math.abs(X[i + idx[k] * n] * y[i]);
    }
    val.push(s);
    mag.push(m);
  }
  return { val, mag };
}

/** Naive oracle: y0 + Σ_k coef_k X[:, idx_k], with magnitudes. */
function naiveN(X: Float64Array, n: number, idx: ArrayLike<number>, coef: ArrayLike<number>, y0: ArrayLike<number>) {
  const val = Array.from(y0);
  const mag = Array.from(y0, Math.abs);
  for (let k = 0; k < idx.length; k++) {
    for (let i = 0; i < n; i++) {
      val[i] += coef[k] * X[i + idx[k] * n];
      mag[i] += Math.abs(coef[k] * X[i + idx[k] * n]);
    }
  }
  return { val, mag };
}

function expectClose(got: ArrayLike<number>, want: { val: number[]; mag: number[] }, what: string): void {
  expect(got.length, what).toBeGreaterThanOrEqual(want.val.length);
  for (let k = 0; k < want.val.length; k++) {
    const err = Math.abs(got[k] - want.val[k]);
    if (!(err <= 1e-13 * (want.mag[k] + 1e-300) + 1e-300)) {
      throw new Error(`${what}: entry ${k} is ${got[k]}, expected ${want.val[k]} (error ${err}, scale ${want.mag[k]})`);
    }
  }
}

/** A random problem: shape, matrix, a column list (repeats allowed, may be empty), vectors, maybe zero. */
const problem = fc
  .record({
    n: fc.integer({ min: 0, max: 41 }),
    p: fc.integer({ min: 1, max: 13 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    listLength: fc.integer({ min: 0, max: 17 }),
    zeroY: fc.boolean(),
    zeroCoef: fc.constantFrom('none', 'all', 'some'),
  })
  .map(({ n, p, seed, listLength, zeroY, zeroCoef }) => {
    const rng = new Random(seed);
    const X = rng.normals(n * p);
    // Vary magnitudes across columns so relative errors are tested, not only O(1) data.
    for (let j = 0; j < p; j++) {
      const s = 10 ** (rng.int(7) - 3);
      for (let i = 0; i < n; i++) X[i + j * n] *= s;
    }
    const idx = Int32Array.from({ length: listLength }, () => rng.int(p));
    const y = zeroY ? new Float64Array(n) : rng.normals(n);
    const coef = rng.normals(listLength);
    if (zeroCoef === 'all') coef.fill(0);
    if (zeroCoef === 'some') for (let k = 0; k < listLength; k += 2) coef[k] = 0;
    const w = rng.normals(p);
    for (let j = 0; j < p; j++) if (rng.uniform() < 0.3) w[j] = 0;
    return { n, p, X, idx, y, coef, w, seed };
  });

/** The raw WebAssembly kernels over a fresh memory holding one problem. */
function rawWasm(X: Float64Array, n: number, p: number, idx: Int32Array, split: number) {
  const up = (b: number) => Math.ceil(b / 64) * 64 + 64;
  const at = { X: 64, idx: 0, y: 0, out: 0, coef: 0 };
  at.idx = at.X + up(8 * n * p);
  at.y = at.idx + up(4 * Math.max(idx.length, p));
  at.out = at.y + up(8 * n);
  at.coef = at.out + up(8 * Math.max(idx.length, p));
  const wAt = at.coef + up(8 * Math.max(idx.length, p));
  const { memory, exports } = instantiateKernels(wAt + up(8 * n));
  exports.split.value = split;
  new Float64Array(memory.buffer, at.X, n * p).set(X);
  new Int32Array(memory.buffer, at.idx, idx.length).set(idx);
  return {
    gemvT(y: Float64Array): Float64Array {
      new Float64Array(memory.buffer, at.y, n).set(y);
      exports.gemv_t(at.X, n, at.idx, idx.length, at.y, at.out);
      return new Float64Array(memory.buffer, at.out, idx.length).slice();
    },
    gemvTW(y: Float64Array, w: Float64Array): Float64Array {
      new Float64Array(memory.buffer, at.y, n).set(y);
      new Float64Array(memory.buffer, wAt, n).set(w);
      exports.gemv_tw(at.X, n, at.idx, idx.length, at.y, wAt, at.out);
      return new Float64Array(memory.buffer, at.out, idx.length).slice();
    },
    gemvN(coef: Float64Array, y0: Float64Array): Float64Array {
      new Float64Array(memory.buffer, at.y, n).set(y0);
      new Float64Array(memory.buffer, at.coef, idx.length).set(coef);
      exports.gemv_n(at.X, n, at.idx, idx.length, at.coef, at.y);
      return new Float64Array(memory.buffer, at.y, n).slice();
    },
  };
}

describe('generated WebAssembly module', () => {
  it('wasm-bytes.generated.ts is what kernels.wat assembles to (run `npm run build:wasm` if not)', async () => {
    const bytes: Uint8Array = await assemble();
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(render(bytes));
  });

  it('SIMD kernels load on this runtime (Node ≥ 20 has WebAssembly SIMD)', () => {
    expect(wasmSimdAvailable()).toBe(true);
    expect(fastOperator([[1]]).backend).toBe('wasm');
  });
});

describe('kernels agree with a naive oracle', () => {
  it('Xᵀy over a column list: TS and WebAssembly, both loop shapes (one column / four columns per pass)', () => {
    fc.assert(
      fc.property(problem, ({ n, p, X, idx, y }) => {
        const want = naiveT(X, n, idx, y);
        for (const split of [0, 1 << 30]) {
          const outJs = new Float64Array(idx.length);
          gemvTJs(X, n, idx, 0, idx.length, y, outJs, 0, split);
          expectClose(outJs, want, `TS gemvT split=${split}`);
          expectClose(rawWasm(X, n, p, idx, split).gemvT(y), want, `wasm gemv_t split=${split}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('X_gᵀ diag(h) y without forming h∘y: TS and WebAssembly against the oracle on h∘y, odd n, zero h entries', () => {
    fc.assert(
      fc.property(problem, ({ n, p, X, idx, y, seed }) => {
        const rng = new Random(seed + 3);
        const h = Float64Array.from({ length: n }, () => (rng.uniform() < 0.2 ? 0 : rng.uniform() * 10 ** (rng.int(5) - 2)));
        const hy = Float64Array.from({ length: n }, (_, i) => h[i] * y[i]);
        const want = naiveT(X, n, idx, hy);
        const outJs = new Float64Array(idx.length + 2).fill(NaN);
        gemvTWJs(X, n, idx, 0, idx.length, y, h, outJs, 1);
        expectClose(outJs.subarray(1, 1 + idx.length), want, 'TS gemvTW');
        expect(Number.isNaN(outJs[0]) && Number.isNaN(outJs[idx.length + 1])).toBe(true);
        expectClose(rawWasm(X, n, p, idx, 0).gemvTW(y, h), want, 'wasm gemv_tw');
      }),
      { numRuns: 300 },
    );
  });

  it('y + Σ coef_k x_{idx_k} (rank-|g| update): TS and WebAssembly, both loop shapes, zero coefficients', () => {
    fc.assert(
      fc.property(problem, ({ n, p, X, idx, coef, seed }) => {
        const y0 = new Random(seed + 1).normals(n);
        const want = naiveN(X, n, idx, coef, y0);
        for (const split of [0, 1 << 30]) {
          const yJs = y0.slice();
          gemvNJs(X, n, idx, 0, idx.length, coef, 0, yJs);
          expectClose(yJs, want, 'TS gemvN');
          expectClose(rawWasm(X, n, p, idx, split).gemvN(coef, y0), want, `wasm gemv_n split=${split}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('full Xw and Xᵀy (TS forms), with zero entries of w skipped', () => {
    fc.assert(
      fc.property(problem, ({ n, p, X, y, w }) => {
        const all = Int32Array.from({ length: p }, (_, j) => j);
        for (const split of [0, 1 << 30]) {
          const out = new Float64Array(p);
          gemvTAllJs(X, n, p, y, out, split);
          expectClose(out, naiveT(X, n, all, y), 'TS gemvTAll');
        }
        const r = new Float64Array(n).fill(NaN); // must be overwritten, not accumulated into
        gemvNAllJs(X, n, p, w, r);
        expectClose(r, naiveN(X, n, all, w, new Float64Array(n)), 'TS gemvNAll');
      }),
      { numRuns: 200 },
    );
  });

  it('a zero vector gives exactly zero (dot, Xᵀ0, X·0)', () => {
    const rng = new Random(5);
    const X = new DenseMatrix(7, 5, rng.normals(35));
    for (const backend of ['wasm', 'js'] as const) {
      const A = fastOperator(X, { backend });
      const out = new Float64Array(5).fill(NaN);
      A.applyTranspose(new Float64Array(7), out);
      expect(Array.from(out, Math.abs)).toEqual([0, 0, 0, 0, 0]);
      const r = new Float64Array(7).fill(NaN);
      A.apply(new Float64Array(5), r);
      expect(Array.from(r, Math.abs)).toEqual(new Array(7).fill(0));
      expect(dotJs(0, X.data, 0, X.data, 0)).toBe(0);
    }
  });
});

describe('FastDense (LinearOperator + ColumnAccess)', () => {
  const backends = ['wasm', 'js'] as const;

  it('every product matches the naive oracle, for resident and ordinary vectors, on both backends', () => {
    fc.assert(
      fc.property(problem, fc.boolean(), ({ n, p, X, idx, y, coef, w, seed }, resident) => {
        const M = new DenseMatrix(n, p, X);
        if (n === 0) {
          expect(() => fastOperator(M)).toThrow(ShapeError); // like every API entry: no empty designs
          return;
        }
        const all = Int32Array.from({ length: p }, (_, j) => j);
        for (const backend of backends) {
          const A = fastOperator(M, { backend });
          const vec = (src: ArrayLike<number>) => {
            const v = resident ? A.vector(src.length) : new Float64Array(src.length);
            v.set(src);
            return v;
          };
          const yv = vec(y);
          const out = vec(new Float64Array(p));
          A.applyTranspose(yv, out);
          expectClose(out, naiveT(X, n, all, y), `${backend} applyTranspose`);
          const r = vec(new Float64Array(n).fill(7));
          A.apply(vec(w), r);
          expectClose(r, naiveN(X, n, all, w, new Float64Array(n)), `${backend} apply`);
          // A group block at an offset inside a longer output: the slots around it must not be touched.
          const blk = vec(new Float64Array(idx.length + 3).fill(NaN));
          A.dotBlock(idx, 0, idx.length, yv, blk, 2);
          expectClose(blk.subarray(2, 2 + idx.length), naiveT(X, n, idx, y), `${backend} dotBlock`);
          expect(Number.isNaN(blk[0]) && Number.isNaN(blk[1]) && Number.isNaN(blk[idx.length + 2])).toBe(true);
          // Weighted: X_gᵀ diag(h) y, and a weighted Gram row with y a column of the operator's own memory.
          const hw = new Random(seed + 4).normals(n).map(Math.abs);
          const hv = vec(hw);
          const wblk = vec(new Float64Array(idx.length + 1).fill(NaN));
          A.dotBlockWeighted(idx, 0, idx.length, yv, hv, wblk, 1);
          expectClose(wblk.subarray(1), naiveT(X, n, idx, y.map((v, i) => v * hw[i])), `${backend} dotBlockWeighted`);
          expect(Number.isNaN(wblk[0])).toBe(true);
          const jc = seed % p;
          const col = A.data.subarray(jc * n, (jc + 1) * n);
          const grow = new Float64Array(idx.length);
          A.dotBlockWeighted(idx, 0, idx.length, col, hv, grow);
          expectClose(grow, naiveT(X, n, idx, Array.from(col, (v, i) => v * hw[i])), `${backend} weighted Gram row`);
          expect(() => A.dotBlockWeighted(idx, 0, idx.length, yv, new Float64Array(n - 1), grow)).toThrow(ShapeError);
          const y0 = new Random(seed + 2).normals(n);
          const res = vec(y0);
          A.axpyBlock(idx, 0, idx.length, coef, res);
          expectClose(res, naiveN(X, n, idx, coef, y0), `${backend} axpyBlock`);
          if (p > 0 && n > 0) {
            const j = seed % p;
            expectClose([A.dot(j, yv)], naiveT(X, n, [j], y), `${backend} dot`);
            expectClose([A.normSq(j)], naiveT(X, n, [j], X.subarray(j * n, (j + 1) * n)), `${backend} normSq`);
            const z = vec(y0);
            A.axpy(j, -1.5, z);
            expectClose(z, naiveN(X, n, [j], [-1.5], y0), `${backend} axpy`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('long columns (n > 4096) take the four-column path through the public operator', () => {
    const n = 4101, p = 9;
    const rng = new Random(11);
    const X = new DenseMatrix(n, p, rng.normals(n * p));
    const y = rng.normals(n);
    const w = rng.normals(p);
    w[3] = 0;
    const all = Int32Array.from({ length: p }, (_, j) => j);
    for (const backend of backends) {
      const A = fastOperator(X, { backend });
      const out = new Float64Array(p);
      A.applyTranspose(y, out);
      expectClose(out, naiveT(X.data, n, all, y), `${backend} applyTranspose`);
      const r = new Float64Array(n);
      A.apply(w, r);
      expectClose(r, naiveN(X.data, n, all, w, new Float64Array(n)), `${backend} apply`);
      const g = Int32Array.of(8, 0, 5, 5, 2);
      const blk = new Float64Array(5);
      A.dotBlock(g, 0, 5, y, blk);
      expectClose(blk, naiveT(X.data, n, g, y), `${backend} dotBlock`);
    }
  });

  it('is a DenseMatrix and an adjoint pair: ⟨Xw, y⟩ = ⟨w, Xᵀy⟩', () => {
    const rng = new Random(3);
    const X = new DenseMatrix(23, 17, rng.normals(23 * 17));
    const A: LinearOperator = fastOperator(X);
    expect(A).toBeInstanceOf(DenseMatrix);
    expect(A.columns).toBe(A);
    const w = rng.normals(17), y = rng.normals(23);
    const Xw = new Float64Array(23), Xty = new Float64Array(17);
    A.apply(w, Xw);
    A.applyTranspose(y, Xty);
    const lhs = Xw.reduce((s, v, i) => s + v * y[i], 0);
    const rhs = Xty.reduce((s, v, j) => s + v * w[j], 0);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * (Math.abs(lhs) + 1));
    expect((A as FastDense).get(4, 9)).toBe(X.get(4, 9));
  });

  it('accepts an array of rows and an existing FastDense (returned as is)', () => {
    const A = fastOperator([[1, 2], [3, 4]]);
    const out = A.vector(2);
    A.applyTranspose(Float64Array.of(1, 1), out);
    expect(Array.from(out)).toEqual([4, 6]);
    expect(fastOperator(A)).toBe(A);
    expect(fastOperator(A, { backend: 'js' }).backend).toBe('js');
  });

  it('work vectors stay valid for the lifetime: no growth, no detachment, pool reuse, graceful spill', () => {
    const rng = new Random(9);
    const n = 50, p = 30;
    const X = new DenseMatrix(n, p, rng.normals(n * p));
    const A = fastOperator(X, { backend: 'wasm', workspace: 3 * 64 });
    const first = A.vector(n);
    first.set(rng.normals(n));
    const copy = first.slice();
    const more = [A.vector(n), A.vector(n)];
    expect(first.buffer).toBe(A.data.buffer); // lives in the kernel memory
    const spilled = A.vector(n); // past the reserved workspace: an ordinary array
    expect(spilled.buffer).not.toBe(A.data.buffer);
    expect(first.length).toBe(n); // a grown memory would have detached it (length 0)
    expect(Array.from(first)).toEqual(Array.from(copy));
    A.release(more[0]);
    const again = A.vector(n);
    expect(again).toBe(more[0]);
    expect(Array.from(again)).toEqual(new Array(n).fill(0));
    // Results through a spilled vector are still right.
    const out = A.vector(p);
    spilled.set(copy);
    A.applyTranspose(spilled, out);
    expectClose(out, naiveT(X.data, n, Int32Array.from({ length: p }, (_, j) => j), copy), 'spilled');
  });

  it('the wasm backend works on its own copy: changing the input later does not change it', () => {
    const X = DenseMatrix.fromRows([[1, 2], [3, 4]]);
    const A = fastOperator(X, { backend: 'wasm' });
    X.set(0, 0, 100);
    const out = new Float64Array(2);
    A.applyTranspose(Float64Array.of(1, 0), out);
    expect(Array.from(out)).toEqual([1, 2]);
  });

  it('a fast operator stays known-finite through finite writes, and a NaN written later is still caught', async () => {
    const { fitGroupLasso } = await import('../src/index.ts');
    const rng = new Random(8);
    const A = fastOperator(new DenseMatrix(20, 4, rng.normals(80)));
    expect(A.isKnownFinite()).toBe(true);
    A.set(1, 1, 2.5);
    expect(A.isKnownFinite()).toBe(true);
    A.set(2, 3, NaN);
    expect(A.isKnownFinite()).toBe(false);
    expect(() => fitGroupLasso(A, rng.normals(20), { groups: [0, 0, 1, 1], lambda: 0.1 })).toThrow(/non-finite/);
    A.set(2, 3, 1);
    A.data[5] = Infinity; // a direct write must be declared with touch()
    A.touch();
    expect(() => fitGroupLasso(A, rng.normals(20), { groups: [0, 0, 1, 1], lambda: 0.1 })).toThrow(/non-finite/);
    expect(fastOperator(new DenseMatrix(2, 2, Float64Array.of(1, 2, 3, 4)), { backend: 'js' }).isKnownFinite()).toBe(false);
  });

  it('refuses bad input instead of reading outside the matrix', () => {
    const A = fastOperator([[1, 2], [3, 4]], { backend: 'wasm' });
    const out = new Float64Array(2);
    expect(() => A.dotBlock(Int32Array.of(0, 2), 0, 2, new Float64Array(2), out)).toThrow(ShapeError);
    expect(() => A.dotBlock(Int32Array.of(0, -1), 0, 2, new Float64Array(2), out)).toThrow(ShapeError);
    expect(() => A.dotBlock(Int32Array.of(0, 1), 0, 3, new Float64Array(2), out)).toThrow(ShapeError);
    expect(() => A.dotBlock(Int32Array.of(0, 1), 0, 2, new Float64Array(2), new Float64Array(1))).toThrow(ShapeError);
    expect(() => A.axpyBlock(Int32Array.of(0, 1), 0, 2, [1], new Float64Array(2))).toThrow(ShapeError);
    expect(() => A.applyTranspose(new Float64Array(1), out)).toThrow(ShapeError);
    expect(() => A.apply(new Float64Array(2), new Float64Array(1))).toThrow(ShapeError);
    expect(() => A.dot(2, new Float64Array(2))).toThrow(ShapeError);
    expect(() => A.axpy(0.5, 1, new Float64Array(2))).toThrow(ShapeError);
    expect(() => fastOperator([[1]], { backend: 'gpu' as 'js' })).toThrow(OptionError);
    expect(() => fastOperator([[1]], { backnd: 'js' } as object)).toThrow(/did you mean 'backend'/);
    expect(() => fastOperator([[NaN]])).toThrow(/non-finite/);
  });
});

describe('without WebAssembly SIMD', () => {
  it("'auto' falls back to the TS kernels and 'wasm' is refused with a reason", async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', { validate: () => false });
    try {
      const mod = await import('../src/index.ts');
      expect(mod.wasmSimdAvailable()).toBe(false);
      const A = mod.fastOperator([[1, 2], [3, 4]]);
      expect(A.backend).toBe('js');
      const out = new Float64Array(2);
      A.applyTranspose(Float64Array.of(1, 1), out);
      expect(Array.from(out)).toEqual([4, 6]);
      expect(() => mod.fastOperator([[1]], { backend: 'wasm' })).toThrow(/SIMD/);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});
