import { describe, expect, it } from 'vitest';
import { choleskyFactor, choleskySolveColumns, choleskySolveInPlace } from '../src/linalg/cholesky.ts';
import { ValueError } from '../src/errors.ts';
import { Random } from '../src/util/random.ts';

/** A random symmetric positive definite k × k matrix AᵀA + I (column-major). */
function spd(rnd: Random, k: number): Float64Array {
  const A = Float64Array.from({ length: k * k }, () => rnd.normal());
  const M = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let s = i === j ? 1 : 0;
      for (let r = 0; r < k; r++) s += A[r * k + i] * A[r * k + j];
      M[j * k + i] = s;
    }
  }
  return M;
}

describe('choleskySolveColumns', () => {
  it('gives, column for column, the bits of solving each column alone, and solves M X = B', () => {
    const rnd = new Random(21);
    for (const k of [1, 2, 5, 17, 40]) {
      const M = spd(rnd, k);
      const L = new Float64Array(k * k);
      expect(choleskyFactor(M, k, L)).toBe(true);
      // Column counts around the blocks of four, zeros included (the substitution skips them).
      for (const m of [0, 1, 3, 4, 5, 8, 9]) {
        const B = Float64Array.from({ length: k * m }, () => (rnd.uniform() < 0.2 ? 0 : rnd.normal()));
        const X = B.slice();
        choleskySolveColumns(L, k, X, m);
        for (let c = 0; c < m; c++) {
          const one = B.slice(c * k, (c + 1) * k);
          choleskySolveInPlace(L, k, one);
          for (let i = 0; i < k; i++) expect(Object.is(X[c * k + i], one[i]) || X[c * k + i] === one[i]).toBe(true);
          // The residual of the system itself, against B's scale.
          let worst = 0, scale = 1e-300;
          for (let i = 0; i < k; i++) {
            let s = 0;
            for (let j = 0; j < k; j++) s += M[j * k + i] * X[c * k + j];
            worst = Math.max(worst, Math.abs(s - B[c * k + i]));
            scale = Math.max(scale, Math.abs(B[c * k + i]));
          }
          expect(worst / scale).toBeLessThan(1e-10);
        }
      }
    }
  });

  it('refuses a right-hand side too short for k × m', () => {
    expect(() => choleskySolveColumns(new Float64Array([1]), 1, new Float64Array(2), 3)).toThrow(ValueError);
    expect(() => choleskySolveColumns(new Float64Array([1]), 1, new Float64Array(2), 3)).toThrow(/choleskySolveColumns: X must hold 1 × 3 entries, got 2/);
  });
});
