import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { birthwtDesign, DenseMatrix, orthonormalizeGroups, Random, standardize, ValueError } from '../src/index.ts';

/** b + X w for every row (naive loops, the oracle). */
function predict(X: DenseMatrix, w: ArrayLike<number>, b: number): Float64Array {
  const out = new Float64Array(X.rows).fill(b);
  for (let j = 0; j < X.cols; j++) for (let i = 0; i < X.rows; i++) out[i] += X.get(i, j) * w[j];
  return out;
}

/**
 * Columns on different scales and offsets, the case standardization is for: scales 10^(−d..d),
 * means ~ N(0, mean²). With d = 1 the raw prediction has no large cancellation, so the two
 * predictions agree to 1e-10 absolutely; with d = 3 and means ~100 the raw coefficients are large and
 * b + Xw cancels, so the honest bound is relative to Σ|w_j x_ij| + |b|.
 */
/** Σ_j |w_j x_ij| + |b| per row: the size of the terms the raw prediction adds up. */
function termSize(X: DenseMatrix, w: ArrayLike<number>, b: number): Float64Array {
  const out = new Float64Array(X.rows).fill(Math.abs(b));
  for (let j = 0; j < X.cols; j++) for (let i = 0; i < X.rows; i++) out[i] += Math.abs(X.get(i, j) * w[j]);
  return out;
}

function randomDesign(rng: Random, n: number, p: number, d = 1, mean = 5): DenseMatrix {
  const X = new DenseMatrix(n, p);
  for (let j = 0; j < p; j++) {
    const s = 10 ** (rng.int(2 * d + 1) - d);
    const m = mean * rng.normal();
    for (let i = 0; i < n; i++) X.set(i, j, m + s * rng.normal());
  }
  return X;
}

describe('standardize', () => {
  it('hand case: means, population SDs, and the documented back-transform', () => {
    const s = standardize([[1, 10], [3, 30]]);
    expect(Array.from(s.means)).toEqual([2, 20]);
    expect(Array.from(s.scales)).toEqual([1, 10]);
    expect(s.X.toRows()).toEqual([[-1, -1], [1, 1]]);
    const r = s.unscale([2, 3], 1);
    expect(Array.from(r.coef)).toEqual([2, 0.3]);
    expect(r.intercept).toBeCloseTo(-9, 14);
  });

  it('columns get mean 0 and (1/n)‖x̃‖² = 1; predictions survive the back-transform to 1e-10', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
        const rng = new Random(seed);
        const n = 5 + rng.int(30);
        const p = 1 + rng.int(6);
        const extreme = seed % 2 === 0;
        const X = extreme ? randomDesign(rng, n, p, 3, 100) : randomDesign(rng, n, p);
        const s = standardize(X);
        for (let j = 0; j < p; j++) {
          const c = s.X.column(j);
          // Rounding of x − m is about ε·|m|, magnified by 1/s (s down to 1e-3 here).
          expect(Math.abs(c.reduce((a, v) => a + v, 0)) / n).toBeLessThan(1e-9);
          expect(c.reduce((a, v) => a + v * v, 0) / n).toBeCloseTo(1, 12);
        }
        const w = rng.normals(p);
        const b = rng.normal();
        const raw = s.unscale(w, b);
        const a = predict(s.X, w, b);
        const c = predict(X, raw.coef, raw.intercept);
        const size = termSize(X, raw.coef, raw.intercept);
        for (let i = 0; i < n; i++) expect(Math.abs(a[i] - c[i])).toBeLessThan(extreme ? 1e-13 * size[i] : 1e-10);
      }),
      { numRuns: 50 },
    );
  });

  it('center/scale switches and constant columns', () => {
    const s = standardize([[1, 5], [3, 5], [5, 5]], { scale: false });
    expect(Array.from(s.scales)).toEqual([1, 1]);
    expect(s.constantColumns).toEqual([1]);
    expect(s.X.column(1).every((v) => v === 0)).toBe(true);
    const c = standardize([[1, 5], [3, 5]], { center: false });
    expect(Array.from(c.means)).toEqual([0, 0]);
    expect(c.scales[0]).toBeCloseTo(Math.sqrt(5), 14);
    expect(() => standardize([[1]], { centre: true } as never)).toThrow(/unknown option 'centre'/);
  });
});

describe('orthonormalizeGroups (grpreg orthogonalize)', () => {
  it('each block satisfies X̃_gᵀX̃_g/n = I and is centred; back-transform preserves predictions to 1e-10', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
        const rng = new Random(seed);
        const sizes = Array.from({ length: 1 + rng.int(4) }, () => 1 + rng.int(3));
        const p = sizes.reduce((a, b) => a + b, 0);
        const n = p + 3 + rng.int(20);
        const extreme = seed % 2 === 0;
        const X = extreme ? randomDesign(rng, n, p, 3, 100) : randomDesign(rng, n, p);
        const labels = sizes.flatMap((s, g) => Array(s).fill(`g${g}`));
        const o = orthonormalizeGroups(X, labels);
        expect(o.X.cols).toBe(p);
        for (let g = 0; g < o.groups.nGroups; g++) {
          const idx = Array.from(o.groups.indices.subarray(o.groups.ptr[g], o.groups.ptr[g + 1]));
          for (const a of idx) {
            expect(Math.abs(o.X.column(a).reduce((s, v) => s + v, 0)) / n).toBeLessThan(1e-9);
            for (const b of idx) {
              let s = 0;
              for (let i = 0; i < n; i++) s += o.X.get(i, a) * o.X.get(i, b);
              expect(s / n).toBeCloseTo(a === b ? 1 : 0, 9);
            }
          }
        }
        const theta = rng.normals(o.X.cols);
        const b = rng.normal();
        const raw = o.backTransform(theta, b);
        const pa = predict(o.X, theta, b);
        const pb = predict(X, raw.coef, raw.intercept);
        const size = termSize(X, raw.coef, raw.intercept);
        for (let i = 0; i < n; i++) expect(Math.abs(pa[i] - pb[i])).toBeLessThan(extreme ? 1e-13 * size[i] : 1e-10);
      }),
      { numRuns: 50 },
    );
  });

  it('drops rank-deficient directions: full dummy coding (with the constant) keeps L − 1 columns', () => {
    // Three one-hot columns sum to 1: after centring they span 2 dimensions.
    const codes = [0, 1, 2, 0, 1, 2, 0, 0];
    const rows = codes.map((c, i) => [i, ...[0, 1, 2].map((l) => (l === c ? 1 : 0)), 7]);
    const o = orthonormalizeGroups(rows, ['x', 'f', 'f', 'f', 'const']);
    expect(o.ranks).toEqual([1, 2, 0]);
    expect(o.labels).toEqual(['x', 'f', 'f']);
    expect(o.groups.names).toEqual(['x', 'f']);
    // The constant group has no column, and its raw coefficient comes back as 0.
    const raw = o.backTransform([1, 2, 3], 0.5);
    expect(raw.coef[4]).toBe(0);
    const pa = predict(o.X, [1, 2, 3], 0.5);
    const pb = predict(DenseMatrix.fromRows(rows), raw.coef, raw.intercept);
    for (let i = 0; i < rows.length; i++) expect(pa[i]).toBeCloseTo(pb[i], 12);
  });

  it('a single column becomes the standardized column (up to sign)', () => {
    const o = orthonormalizeGroups([[1], [2], [6]], ['a']);
    const s = Math.sqrt(((1 - 3) ** 2 + 1 + 9) / 3);
    const z = [-2 / s, -1 / s, 3 / s];
    const sign = Math.sign(o.X.get(0, 0) / z[0]);
    z.forEach((v, i) => expect(o.X.get(i, 0)).toBeCloseTo(sign * v, 13));
  });

  it('Birthwt: every group block is orthonormal in the grpreg scaling and predictions survive', () => {
    const d = birthwtDesign();
    const X = d.X as DenseMatrix;
    const o = orthonormalizeGroups(X, d.groups);
    expect(o.X.cols).toBe(16);
    expect(o.groups.names).toEqual(d.groupNames);
    const theta = new Random(5).normals(16);
    const raw = o.backTransform(theta, 3);
    const pa = predict(o.X, theta, 3);
    const pb = predict(X, raw.coef, raw.intercept);
    for (let i = 0; i < 189; i++) expect(Math.abs(pa[i] - pb[i])).toBeLessThan(1e-10);
  });

  it('refuses a design that is constant everywhere, and bad tol', () => {
    expect(() => orthonormalizeGroups([[1], [1]], ['a'])).toThrow(ValueError);
    expect(() => orthonormalizeGroups([[1], [2]], ['a'], { tol: 2 })).toThrow(/tol/);
  });
});
