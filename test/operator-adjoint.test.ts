/**
 * A matrix-free design's applyTranspose must be the transpose of its apply: every duality
 * certificate is built from Aᵀ. An operator whose transpose is off by a relative 1e-6 used to be
 * fitted and certified; it is now refused at the edge, while exact operators pass.
 */
import { describe, expect, it } from 'vitest';
import { fitGroupLasso, lambdaMax, type LinearOperator } from '../src/index.ts';
import { Random } from '../src/util/random.ts';

const n = 40, p = 12;
const rng = new Random(7);
const A = Float64Array.from({ length: n * p }, () => rng.normal()); // column-major
const y = Float64Array.from({ length: n }, () => rng.normal());
const groups = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]];

function operator(transposeError: number): LinearOperator {
  const At = Float64Array.from(A, (v, k) => v * (1 + transposeError * (k % 2 === 0 ? 1 : -1)));
  return {
    rows: n,
    cols: p,
    apply(x, out) {
      out.fill(0);
      for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) out[i] += A[j * n + i] * x[j];
    },
    applyTranspose(v, out) {
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += At[j * n + i] * v[i];
        out[j] = s;
      }
    },
  };
}

describe('matrix-free designs: the dot-product test at the edge', () => {
  it('accepts an exact operator and fits it as the same dense matrix', () => {
    const rows = Array.from({ length: n }, (_, i) => Array.from({ length: p }, (_, j) => A[j * n + i]));
    const lm = lambdaMax(rows, y, { groups });
    const a = fitGroupLasso(operator(0), y, { groups, lambda: 0.2 * lm, tol: 1e-10 });
    const b = fitGroupLasso(rows, y, { groups, lambda: 0.2 * lm, tol: 1e-10 });
    expect(a.converged).toBe(true);
    for (let j = 0; j < p; j++) expect(Math.abs(a.coef[j] - b.coef[j])).toBeLessThan(1e-6);
  });

  it('refuses a transpose wrong by a relative 1e-6, naming the function', () => {
    expect(() => fitGroupLasso(operator(1e-6), y, { groups, lambda: 0.1 })).toThrow(/^fitGroupLasso: X\.applyTranspose is not the transpose of X\.apply/);
    expect(() => lambdaMax(operator(1e-6), y, { groups })).toThrow(/^lambdaMax: X\.applyTranspose is not the transpose/);
  });

  it('refuses an operator that returns NaN', () => {
    const bad = { ...operator(0), apply: (_x: Float64Array, out: Float64Array) => out.fill(NaN) };
    expect(() => fitGroupLasso(bad, y, { groups, lambda: 0.1 })).toThrow(/^fitGroupLasso: X\.apply or X\.applyTranspose returned non-finite values/);
  });
});
