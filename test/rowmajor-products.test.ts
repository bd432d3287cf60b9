import { describe, expect, it } from 'vitest';
import { crossProducts, crossProductsJs, RowMajorProducts } from '../src/linalg/rowmajor.ts';
import { ShapeError } from '../src/errors.ts';
import { Random } from '../src/util/random.ts';

/** Row-major R × D with about a third of the entries exactly zero (as ReLU outputs are). */
function sample(rnd: Random, R: number, D: number): Float64Array {
  const X = new Float64Array(R * D);
  for (let k = 0; k < X.length; k++) X[k] = rnd.uniform() < 0.35 ? 0 : rnd.normal() + 0.5;
  return X;
}

/** Naive Σ_r (x_r − m)(y_r − n)ᵀ, entry by entry. */
function naiveCross(X: Float64Array, R: number, D: number, Y: Float64Array, O: number, mx?: Float64Array, my?: Float64Array): Float64Array {
  const out = new Float64Array(D * O);
  for (let a = 0; a < D; a++) {
    for (let j = 0; j < O; j++) {
      let s = 0;
      for (let r = 0; r < R; r++) s += (X[r * D + a] - (mx ? mx[a] : 0)) * (Y[r * O + j] - (my ? my[j] : 0));
      out[a * O + j] = s;
    }
  }
  return out;
}

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let d = 0;
  for (let k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k] - b[k]));
  return d / Math.max(scale, 1e-300);
}

describe('products of row-major sample matrices', () => {
  // Odd sizes on purpose: rows and columns that are not multiples of the kernels' vector widths.
  const shapes: [number, number, number][] = [[1, 1, 1], [7, 3, 5], [37, 19, 11], [300, 97, 41], [1536, 64, 3]];

  it('Gram and cross products match the naive sums, centred or not, on the kernels and in JavaScript', () => {
    const rnd = new Random(11);
    for (const [R, D, O] of shapes) {
      const X = sample(rnd, R, D);
      const Y = sample(rnd, R, O);
      const mx = Float64Array.from({ length: D }, () => rnd.normal());
      const my = Float64Array.from({ length: O }, () => rnd.normal());
      for (const centred of [false, true]) {
        const opts = centred ? { mx, Y, O, my } : { Y, O };
        const Gref = naiveCross(X, R, D, X, D, centred ? mx : undefined, centred ? mx : undefined);
        const Bref = naiveCross(X, R, D, Y, O, centred ? mx : undefined, centred ? my : undefined);
        for (const got of [crossProducts(X, R, D, opts), crossProductsJs(X, R, D, opts, O)]) {
          expect(maxRelDiff(got.G, Gref)).toBeLessThan(1e-13);
          expect(maxRelDiff(got.B!, Bref)).toBeLessThan(1e-13);
          // Symmetric to the bit: the factorizations read either triangle.
          for (let a = 0; a < D; a++) for (let b = 0; b < a; b++) expect(got.G[a * D + b]).toBe(got.G[b * D + a]);
        }
      }
      expect(crossProducts(X, R, D).B).toBeNull();
    }
  });

  it('X·W + b matches the naive product, and the memory can be used for many products', () => {
    const rnd = new Random(12);
    for (const [R, D, O] of shapes) {
      const X = sample(rnd, R, D);
      const P = new RowMajorProducts(X, R, D, O);
      try {
        for (let rep = 0; rep < 3; rep++) {
          const Oh = rep === 2 ? Math.max(1, O - 1) : O; // a narrower W after wider ones
          const W = Float64Array.from({ length: D * Oh }, () => rnd.normal());
          const b = Float64Array.from({ length: Oh }, () => rnd.normal());
          const ref = new Float64Array(R * Oh);
          for (let r = 0; r < R; r++) {
            for (let o = 0; o < Oh; o++) {
              let s = b[o];
              for (let u = 0; u < D; u++) s += X[r * D + u] * W[u * Oh + o];
              ref[r * Oh + o] = s;
            }
          }
          expect(maxRelDiff(P.product(W, Oh, b), ref)).toBeLessThan(1e-13);
        }
      } finally {
        P.dispose();
      }
    }
  });

  it('refuses shapes that do not match, naming the function', () => {
    expect(() => crossProducts(new Float64Array(5), 2, 3)).toThrow(ShapeError);
    expect(() => crossProducts(new Float64Array(6), 2, 3)).not.toThrow();
    expect(() => crossProducts(new Float64Array(6), 2, 3, { Y: new Float64Array(5), O: 3 })).toThrow(/crossProducts: Y must hold 2 × 3 = 6 entries, got 5/);
    expect(() => crossProducts(new Float64Array(6), 2, 3, { mx: new Float64Array(2) })).toThrow(/crossProducts: mx must hold 3 entries/);
    const P = new RowMajorProducts(new Float64Array(6), 2, 3, 2);
    try {
      expect(() => P.product(new Float64Array(5), 2)).toThrow(/RowMajorProducts.product: W must hold 3 × 2 = 6 entries, got 5/);
    } finally {
      P.dispose();
    }
  });
});
