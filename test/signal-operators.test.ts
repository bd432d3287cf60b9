import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DenseMatrix, OptionError, Random, ShapeError, ValueError, operatorNormSquared, signal } from '../src/index.ts';
import type { LinearOperator } from '../src/index.ts';

/** Naive O(n·m) matrices, the independent truth the FFT-based operators must match. */
function naiveFourier(n: number, rows: ArrayLike<number>, complex: boolean): DenseMatrix {
  const m = rows.length;
  const M = new DenseMatrix(2 * m, complex ? 2 * n : n);
  const s = 1 / Math.sqrt(n);
  for (let r = 0; r < m; r++) {
    const k = rows[r];
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((j * k) % n)) / n;
      const re = s * Math.cos(a);
      const im = s * Math.sin(a);
      // (re + i·im)(xr + i·xi) = (re·xr − im·xi) + i(im·xr + re·xi)
      M.set(r, j, re);
      M.set(m + r, j, im);
      if (complex) {
        M.set(r, n + j, -im);
        M.set(m + r, n + j, re);
      }
    }
  }
  return M;
}

function naiveDCT(n: number, rows: ArrayLike<number>): DenseMatrix {
  const M = new DenseMatrix(rows.length, n);
  for (let r = 0; r < rows.length; r++) {
    const k = rows[r];
    const s = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
    for (let j = 0; j < n; j++) M.set(r, j, s * Math.cos((Math.PI * (2 * j + 1) * k) / (2 * n)));
  }
  return M;
}

function naiveCirculant(h: ArrayLike<number>, n: number): DenseMatrix {
  const M = new DenseMatrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const d = (((i - j) % n) + n) % n;
    M.set(i, j, d < h.length ? h[d] : 0);
  }
  return M;
}

function applyOp(A: LinearOperator, x: Float64Array): Float64Array {
  const out = new Float64Array(A.rows);
  A.apply(x, out);
  return out;
}
function applyT(A: LinearOperator, y: Float64Array): Float64Array {
  const out = new Float64Array(A.cols);
  A.applyTranspose(y, out);
  return out;
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
function dotv(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Operator and its explicit matrix agree on random vectors, forward and adjoint. */
function expectMatches(A: LinearOperator, M: DenseMatrix, seed: number): void {
  expect(A.rows).toBe(M.rows);
  expect(A.cols).toBe(M.cols);
  const rng = new Random(seed);
  for (let rep = 0; rep < 3; rep++) {
    const x = rng.normals(A.cols);
    const y = rng.normals(A.rows);
    expect(maxAbsDiff(applyOp(A, x), applyOp(M, x))).toBeLessThan(1e-11 * Math.sqrt(A.cols));
    expect(maxAbsDiff(applyT(A, y), applyT(M, y))).toBeLessThan(1e-11 * Math.sqrt(A.rows));
  }
}

// Powers of two go straight to fft.js; the others go through Bluestein.
const SIZES = [1, 2, 4, 8, 16, 64, 3, 5, 6, 7, 12, 15, 30];

describe('FFT-based operators equal their explicit matrices', () => {
  it.each(SIZES)('partialFourier, real input, n = %i', (n) => {
    const rows = Array.from({ length: Math.floor(n / 2) + 1 }, (_, k) => k).reverse();
    expectMatches(signal.partialFourier(n, rows), naiveFourier(n, rows, false), n);
    const A = signal.partialFourier(n, { m: Math.max(1, Math.floor(n / 3)), seed: 3 });
    expectMatches(A, naiveFourier(n, A.frequencies, false), n + 1);
  });

  it.each(SIZES)('partialFourier, complex input, n = %i', (n) => {
    const A = signal.partialFourier(n, { m: Math.max(1, n - 1), seed: 5 }, { complex: true });
    expectMatches(A, naiveFourier(n, A.frequencies, true), n);
    const all = Array.from({ length: n }, (_, k) => k);
    expectMatches(signal.partialFourier(n, all, { complex: true }), naiveFourier(n, all, true), n + 2);
  });

  it.each(SIZES)('partialDCT, n = %i', (n) => {
    const all = Array.from({ length: n }, (_, k) => k);
    expectMatches(signal.partialDCT(n, all), naiveDCT(n, all), n);
    const A = signal.partialDCT(n, { m: Math.max(1, Math.floor(n / 2)), seed: 7 });
    expectMatches(A, naiveDCT(n, A.frequencies), n + 3);
  });

  it.each(SIZES)('convolution, n = %i', (n) => {
    const rng = new Random(n);
    for (const L of [1, Math.max(1, n >> 1), n]) {
      const h = rng.normals(L);
      expectMatches(signal.convolution(h, n), naiveCirculant(h, n), n + L);
    }
  });

  it('large non-power-of-two length stays accurate (Bluestein, n = 1000)', () => {
    const n = 1000;
    const rows = [0, 1, 7, 250, 499, 500];
    expectMatches(signal.partialFourier(n, rows), naiveFourier(n, rows, false), 1);
    expectMatches(signal.partialDCT(n, [0, 1, 333, 999]), naiveDCT(n, [0, 1, 333, 999]), 2);
  });

  it('textbook values: DC row of a constant signal, DCT mean row, two-tap kernel', () => {
    expect(Array.from(applyOp(signal.partialFourier(8, [0, 1, 3]), new Float64Array(8).fill(1))).map((v) => +v.toFixed(12)))
      .toEqual([Math.sqrt(8), 0, 0, 0, 0, 0].map((v) => +v.toFixed(12)));
    expect(applyOp(signal.partialDCT(4, [0]), Float64Array.of(1, 1, 1, 1))[0]).toBeCloseTo(2, 14);
    expect(Array.from(applyOp(signal.convolution([1, 1], 4), Float64Array.of(1, 0, 0, 0))).map((v) => +v.toFixed(12)))
      .toEqual([1, 1, 0, 0]);
  });

  it('full orthonormal transforms preserve norms (Parseval), partial ones never increase them', () => {
    const rng = new Random(11);
    const n = 48;
    const x = rng.normals(n);
    const nx = dotv(x, x);
    const all = Array.from({ length: n }, (_, k) => k);
    const yd = applyOp(signal.partialDCT(n, all), x);
    expect(dotv(yd, yd)).toBeCloseTo(nx, 10);
    const z = rng.normals(2 * n);
    const yf = applyOp(signal.partialFourier(n, all, { complex: true }), z);
    expect(dotv(yf, yf)).toBeCloseTo(dotv(z, z), 10);
    const yp = applyOp(signal.partialDCT(n, { m: 10, seed: 1 }), x);
    expect(dotv(yp, yp)).toBeLessThan(nx);
  });
});

/** Every operator kind (and compositions of them), built from a seed, for the property tests. */
function buildOperator(kind: number, n: number, seed: number): LinearOperator {
  const rng = new Random(seed);
  switch (kind) {
    case 0: return signal.partialFourier(n, { m: Math.max(1, n >> 2), seed });
    case 1: return signal.partialFourier(n, { m: Math.max(1, n >> 1), seed }, { complex: true });
    case 2: return signal.partialDCT(n, { m: Math.max(1, n >> 1), seed });
    case 3: return signal.convolution(rng.normals(1 + (seed % n)), n);
    case 4: return signal.gaussian(Math.max(1, n >> 1), n, { seed, normalize: seed % 2 === 0 });
    case 5: return signal.compose(signal.partialDCT(n, { m: Math.max(1, n >> 1), seed }), signal.convolution(rng.normals(3 > n ? n : 3), n));
    case 6: return signal.adjoint(signal.partialFourier(n, { m: Math.max(1, n >> 2), seed }));
    case 7: return signal.scaled(signal.partialDCT(n, { m: Math.max(1, n >> 2), seed }), rng.normal());
    case 8: {
      // Gᵀ ∘ (F ∘ Fᵀ): a chain of three, adjoints inside.
      const F = signal.partialFourier(n, { m: Math.max(1, n >> 2), seed });
      return signal.compose(signal.adjoint(signal.gaussian(F.rows, n, { seed })), signal.compose(F, signal.adjoint(F)));
    }
    case 9: return signal.blockDiagonal(signal.partialDCT(n, { m: Math.max(1, n >> 1), seed }), 1 + (seed % 3));
    default: return signal.restrictColumns(signal.partialFourier(n, { m: Math.max(1, n >> 1), seed }), [0, n - 1].filter((v, i, a) => a.indexOf(v) === i));
  }
}

describe('adjoint identity ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ (fast-check)', () => {
  const KINDS = ['partialFourier', 'partialFourier complex', 'partialDCT', 'convolution', 'gaussian',
    'compose(DCT, conv)', 'adjoint(partialFourier)', 'scaled(DCT)', 'compose(Gᵀ, F∘Fᵀ)', 'blockDiagonal(DCT)', 'restrictColumns(F)'];
  it.each(KINDS.map((k, i) => [k, i] as const))('%s', (_name, kind) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
        const A = buildOperator(kind, n, seed);
        const rng = new Random(seed + 17);
        const x = rng.normals(A.cols);
        const y = rng.normals(A.rows);
        const lhs = dotv(applyOp(A, x), y);
        const rhs = dotv(x, applyT(A, y));
        const scale = Math.sqrt(dotv(x, x) * dotv(y, y)) * Math.max(1, Math.sqrt(signal.normSquared(A)));
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * scale * Math.sqrt(n) + 1e-300);
      }),
      { numRuns: 30 },
    );
  });
});

describe('operator norms', () => {
  it('closed forms agree with power iteration', () => {
    const cases: LinearOperator[] = [
      signal.partialDCT(64, { m: 20, seed: 1 }),
      signal.partialFourier(64, { m: 20, seed: 2 }, { complex: true }),
      signal.partialFourier(64, [3, 5, 9]), // no DC/Nyquist/conjugate pair: ½
      signal.partialFourier(64, [3, 61]), // conjugate pair: 1
      signal.partialFourier(64, [0, 9]), // DC: 1
      signal.partialFourier(60, [30, 2]), // Nyquist of an even length: 1
      signal.convolution([1, -2, 0.5], 64),
      signal.scaled(signal.partialDCT(32, { m: 5, seed: 1 }), -3),
      signal.adjoint(signal.convolution([0.3, 1], 33)),
      signal.blockDiagonal(signal.convolution([2, 1], 16), 3),
    ];
    const expected = [1, 1, 0.5, 1, 1, 1, undefined, 9, undefined, undefined];
    cases.forEach((A, i) => {
      const exact = signal.normSquared(A);
      expect((A as signal.SignalOperator).exactNorm).toBe(true);
      if (expected[i] !== undefined) expect(exact).toBe(expected[i]);
      const est = operatorNormSquared(A, { tol: 1e-12, maxIter: 5000 });
      expect(est).toBeLessThanOrEqual(exact * (1 + 1e-9));
      expect(est).toBeGreaterThan(exact * (1 - 1e-4));
    });
  });

  it('compositions and dense matrices fall back to power iteration', () => {
    const G = signal.gaussian(20, 50, { seed: 4 });
    const C = signal.compose(signal.partialDCT(50, { m: 25, seed: 1 }), signal.convolution([1, 1], 50));
    expect(C.exactNorm).toBe(false);
    expect(signal.normSquared(G)).toBeCloseTo(operatorNormSquared(G), 5);
    // ‖P C‖ ≤ ‖C‖ = max|ĥ| = 2
    expect(signal.normSquared(C)).toBeLessThanOrEqual(4 + 1e-9);
    expect(signal.normSquared(C)).toBeGreaterThan(1);
  });
});

describe('gaussian', () => {
  it('has N(0, 1/m) entries and, when normalized, unit columns; seeded', () => {
    const A = signal.gaussian(200, 50, { seed: 1 });
    let s = 0, s2 = 0;
    for (const v of A.data) { s += v; s2 += v * v; }
    const N = A.data.length;
    expect(Math.abs(s / N)).toBeLessThan(4 / Math.sqrt(N * 200));
    // m·(mean square) estimates m·Var = 1 with standard deviation √(2/N): allow 4 of them.
    expect(Math.abs((s2 / N) * 200 - 1)).toBeLessThan(4 * Math.sqrt(2 / N));
    expect(signal.gaussian(200, 50, { seed: 1 }).data).toEqual(A.data);
    const B = signal.gaussian(30, 10, { seed: 2, normalize: true });
    for (let j = 0; j < 10; j++) expect(B.columns.normSq(j)).toBeCloseTo(1, 12);
  });
});

describe('bad input is refused with a clear error', () => {
  it('row indices: out of range, duplicated, NaN, fractional, empty, too many', () => {
    expect(() => signal.partialFourier(16, [0, 16])).toThrow(ShapeError);
    expect(() => signal.partialFourier(16, [0, 16])).toThrow(/out of range/);
    expect(() => signal.partialDCT(16, [-1])).toThrow(ShapeError);
    expect(() => signal.partialDCT(16, [3, 4, 3])).toThrow(/duplicated/);
    expect(() => signal.partialFourier(16, [1, NaN])).toThrow(ValueError);
    expect(() => signal.partialDCT(16, [1.5])).toThrow(/not an integer/);
    expect(() => signal.partialDCT(16, [])).toThrow(/empty/);
    expect(() => signal.partialFourier(16, { m: 10 })).toThrow(/only 9 are available/);
    expect(() => signal.partialDCT(16, { m: 0 })).toThrow(ValueError);
    expect(() => signal.partialDCT(16, { m: 3, sed: 1 } as never)).toThrow(OptionError);
    expect(() => signal.partialFourier(16, [1], { complx: true } as never)).toThrow(/did you mean 'complex'/);
  });

  it('sizes: n not a positive integer; kernel longer than n, empty or with NaN', () => {
    expect(() => signal.partialDCT(0, [0])).toThrow(ShapeError);
    expect(() => signal.partialFourier(2.5, [0])).toThrow(ShapeError);
    expect(() => signal.convolution([1, 2, 3], 2)).toThrow(/longer than the signal length/);
    expect(() => signal.convolution([], 4)).toThrow(/empty/);
    expect(() => signal.convolution([1, NaN], 4)).toThrow(ValueError);
    expect(() => signal.gaussian(0, 3)).toThrow(ValueError);
    expect(() => signal.scaled(signal.partialDCT(4, [0]), NaN)).toThrow(ValueError);
  });

  it('vectors of the wrong length and mismatched compositions', () => {
    const A = signal.partialDCT(8, [0, 1]);
    expect(() => A.apply(new Float64Array(7), new Float64Array(2))).toThrow(ShapeError);
    expect(() => A.applyTranspose(new Float64Array(2), new Float64Array(9))).toThrow(ShapeError);
    expect(() => signal.compose(A, A)).toThrow(/A.cols ≠ B.rows/);
    expect(() => signal.compose(A, {} as never)).toThrow(/LinearOperator/);
    expect(() => signal.restrictColumns(A, [8])).toThrow(ShapeError);
  });
});
