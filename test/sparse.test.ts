import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DenseMatrix, ShapeError, ValueError } from '../src/index.ts';
import { SparseMatrix } from '../src/linalg/sparse.ts';

/** Naive dense product from the triplet list, the oracle every sparse kernel is checked against. */
function denseOf(n: number, p: number, cells: { i: number; j: number; v: number }[]): number[][] {
  const A = Array.from({ length: n }, () => new Array<number>(p).fill(0));
  for (const { i, j, v } of cells) A[i][j] += v;
  return A;
}

const problem = fc
  .record({ n: fc.integer({ min: 1, max: 9 }), p: fc.integer({ min: 1, max: 9 }) })
  .chain(({ n, p }) =>
    fc.record({
      n: fc.constant(n),
      p: fc.constant(p),
      // Few cells on many slots: empty rows and columns are common; repeated cells test summing.
      cells: fc.array(
        fc.record({ i: fc.nat(n - 1), j: fc.nat(p - 1), v: fc.integer({ min: -5, max: 5 }) }),
        { maxLength: n * p },
      ),
      x: fc.array(fc.integer({ min: -4, max: 4 }), { minLength: p, maxLength: p }),
      y: fc.array(fc.integer({ min: -4, max: 4 }), { minLength: n, maxLength: n }),
    }),
  );

describe('SparseMatrix products against the naive dense product', () => {
  it('apply, applyTranspose and every column kernel agree with the dense oracle (random sparsity)', () => {
    fc.assert(
      fc.property(problem, ({ n, p, cells, x, y }) => {
        const A = denseOf(n, p, cells);
        const S = SparseMatrix.fromTriplets(n, p, cells.map((c) => c.i), cells.map((c) => c.j), cells.map((c) => c.v));
        const xv = Float64Array.from(x);
        const yv = Float64Array.from(y);
        const out = new Float64Array(n).fill(NaN);
        S.apply(xv, out);
        for (let i = 0; i < n; i++) expect(out[i]).toBe(A[i].reduce((s, a, j) => s + a * x[j], 0));
        const outT = new Float64Array(p).fill(NaN);
        S.applyTranspose(yv, outT);
        for (let j = 0; j < p; j++) {
          const col = A.map((r) => r[j]);
          expect(outT[j]).toBe(col.reduce((s, a, i) => s + a * y[i], 0));
          expect(S.columns.dot(j, yv)).toBe(outT[j]);
          expect(S.columns.normSq(j)).toBe(col.reduce((s, a) => s + a * a, 0));
          const r = Float64Array.from(y);
          S.columns.axpy(j, 2, r);
          for (let i = 0; i < n; i++) expect(r[i]).toBe(y[i] + 2 * col[i]);
        }
        // Block kernels over a group made of every other column, reversed.
        const idx = Int32Array.from([...Array(p).keys()].filter((j) => j % 2 === 0).reverse());
        const blk = new Float64Array(idx.length);
        S.columns.dotBlock(idx, 0, idx.length, yv, blk);
        idx.forEach((j, k) => expect(blk[k]).toBe(outT[j]));
        const coef = Float64Array.from(idx, (_, k) => k - 1);
        const r = Float64Array.from(y);
        S.columns.axpyBlock(idx, 0, idx.length, coef, r);
        for (let i = 0; i < n; i++) {
          let e = y[i];
          idx.forEach((j, k) => (e += coef[k] * A[i][j]));
          expect(r[i]).toBe(e);
        }
        // No explicit zeros are stored, and the dense copy equals the oracle.
        for (const v of S.values) expect(v).not.toBe(0);
        expect(Array.from(S.toDenseData())).toEqual(Array.from({ length: n * p }, (_, k) => A[k % n][Math.floor(k / n)]));
      }),
      { numRuns: 100 },
    );
  });

  it('fromDense keeps exactly the nonzeros and round-trips', () => {
    const D = DenseMatrix.fromRows([[0, 2, 0], [0, 0, 0], [3, 0, -1]]);
    const S = SparseMatrix.fromDense(D);
    expect(S.nnz).toBe(3);
    expect(Array.from(S.colPtr)).toEqual([0, 1, 2, 3]);
    expect(Array.from(S.rowIndex)).toEqual([2, 0, 2]);
    expect(Array.from(S.toDenseData())).toEqual(Array.from(D.data));
    expect(S.get(2, 2)).toBe(-1);
    expect(S.get(1, 1)).toBe(0);
  });

  it('fromOneHot codes -1 as no column (the reference level) and an unused level as an empty column', () => {
    const S = SparseMatrix.fromOneHot([0, -1, 2, 0, 2], 4);
    expect(Array.from(S.colPtr)).toEqual([0, 2, 2, 4, 4]);
    expect(Array.from(S.rowIndex)).toEqual([0, 3, 2, 4]);
    const out = new Float64Array(5);
    S.apply(Float64Array.of(10, 20, 30, 40), out);
    expect(Array.from(out)).toEqual([10, 0, 30, 10, 30]);
  });

  it('fromTriplets sums duplicates and drops cells that cancel', () => {
    const S = SparseMatrix.fromTriplets(2, 2, [0, 0, 1, 1], [0, 0, 1, 1], [1, 2, 5, -5]);
    expect(S.nnz).toBe(1);
    expect(S.get(0, 0)).toBe(3);
  });

  it('refuses invalid storage and inputs', () => {
    expect(() => new SparseMatrix(2, 1, Int32Array.of(0, 2), Int32Array.of(1, 0), Float64Array.of(1, 1))).toThrow(/strictly increasing/);
    expect(() => new SparseMatrix(2, 1, Int32Array.of(0, 1), Int32Array.of(2), Float64Array.of(1))).toThrow(ShapeError);
    expect(() => new SparseMatrix(2, 1, Int32Array.of(0, 1), Int32Array.of(0), Float64Array.of(NaN))).toThrow(ValueError);
    expect(() => SparseMatrix.fromTriplets(2, 2, [0], [2], [1])).toThrow(/column 2 out of range/);
    expect(() => SparseMatrix.fromOneHot([0, 3], 3)).toThrow(/out of range/);
  });
});
