import { describe, expect, it } from 'vitest';
import { DenseMatrix } from '../src/index.ts';
import { ParallelTransposeProduct } from '../src/linalg/parallel.ts';
import { Random } from '../src/util/random.ts';

function randomMatrix(n: number, p: number, seed: number): DenseMatrix {
  const rng = new Random(seed);
  const X = new DenseMatrix(n, p);
  for (let k = 0; k < X.data.length; k++) X.data[k] = rng.normal();
  return X;
}

/** Naive Xᵀr with compensated (Kahan) sums: an oracle independent of both kernels' summation orders. */
function naiveXtr(X: DenseMatrix, r: Float64Array): Float64Array {
  const out = new Float64Array(X.cols);
  for (let j = 0; j < X.cols; j++) {
    let s = 0, c = 0;
    for (let i = 0; i < X.rows; i++) {
      const y = X.data[i + j * X.rows] * r[i] - c;
      const t = s + y;
      c = t - s - y;
      s = t;
    }
    out[j] = s;
  }
  return out;
}

describe('Xᵀr on worker threads over shared memory', () => {
  it('equals the naive product for thread counts that do and do not divide p, call after call', async () => {
    const X = randomMatrix(1003, 7, 3);
    const rng = new Random(9);
    for (const threads of [1, 2, 3, 7]) {
      const par = await ParallelTransposeProduct.create(X, { threads });
      expect(par.threads).toBe(threads);
      for (let call = 0; call < 3; call++) {
        const r = Float64Array.from({ length: 1003 }, () => rng.normal());
        const got = await par.apply(r);
        const want = naiveXtr(X, r);
        for (let j = 0; j < 7; j++) expect(Math.abs(got[j] - want[j])).toBeLessThan(1e-12 * 1003);
      }
      await par.close();
    }
  });

  it('more threads than columns use one per column; a zero r gives exactly 0; bad calls are refused', async () => {
    const X = randomMatrix(50, 2, 4);
    const par = await ParallelTransposeProduct.create(X, { threads: 8 });
    expect(par.threads).toBe(2);
    expect(Array.from(await par.apply(new Float64Array(50)))).toEqual([0, 0]);
    await expect(par.apply(new Float64Array(49))).rejects.toThrow(/r has length 49, X has 50 rows/);
    await par.close();
    await expect(par.apply(new Float64Array(50))).rejects.toThrow(/closed/);
    await expect(ParallelTransposeProduct.create(X, { threads: 0 })).rejects.toThrow(/threads must be a whole number/);
  });
});
