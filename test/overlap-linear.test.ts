import { describe, expect, it } from 'vitest';
import { Random } from '../src/index.ts';
import { choleskyFactor, choleskySolveInPlace } from '../src/linalg/cholesky.ts';
import { pcg, PcgWork } from '../src/linalg/cg.ts';
import { solveDense } from './overlap-helpers.ts';

/** A random SPD matrix BᵀB + shift·I (column-major) and the same as rows. */
function spd(k: number, seed: number, shift: number): { M: Float64Array; rows: number[][] } {
  const rng = new Random(seed);
  const B = Array.from({ length: k + 3 }, () => Array.from({ length: k }, () => rng.normal()));
  const rows = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) =>
    B.reduce((s, r) => s + r[i] * r[j], 0) + (i === j ? shift : 0)));
  const M = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) M[i + j * k] = rows[i][j];
  return { M, rows };
}

describe('linear solvers of the ADMM w-update', () => {
  it('Cholesky: L Lᵀ reproduces M, and the solve matches Gaussian elimination', () => {
    const k = 9;
    const { M, rows } = spd(k, 3, 0.1);
    const L = new Float64Array(k * k);
    expect(choleskyFactor(M, k, L)).toBe(true);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let m = 0; m < k; m++) s += L[i + m * k] * L[j + m * k];
        expect(s).toBeCloseTo(rows[i][j], 10);
        if (j > i) expect(L[i + j * k]).toBe(0); // strictly upper part untouched
      }
    }
    const b = Array.from({ length: k }, (_, i) => Math.sin(i + 1));
    const x = Float64Array.from(b);
    choleskySolveInPlace(L, k, x);
    const ref = solveDense(rows, b);
    for (let i = 0; i < k; i++) expect(x[i]).toBeCloseTo(ref[i], 10);
  });

  it('Cholesky refuses an indefinite matrix', () => {
    const M = Float64Array.from([1, 2, 2, 1]); // eigenvalues 3 and −1
    expect(choleskyFactor(M, 2, new Float64Array(4))).toBe(false);
  });

  it('PCG solves to the requested relative residual, from a warm start, and returns 0 work for b = 0', () => {
    const k = 12;
    const { M, rows } = spd(k, 4, 0.5);
    const mul = (v: Float64Array, out: Float64Array) => {
      for (let i = 0; i < k; i++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += M[i + j * k] * v[j];
        out[i] = s;
      }
    };
    const diag = Float64Array.from({ length: k }, (_, i) => M[i + i * k]);
    const b = Float64Array.from({ length: k }, (_, i) => Math.cos(i));
    const x = new Float64Array(k);
    const used = pcg(mul, b, x, diag, 1e-12, 100, new PcgWork(k));
    const ref = solveDense(rows, Array.from(b));
    for (let i = 0; i < k; i++) expect(x[i]).toBeCloseTo(ref[i], 9);
    expect(used).toBeLessThanOrEqual(k + 2);
    // Warm start at the solution: one product to confirm it.
    expect(pcg(mul, b, x, diag, 1e-9, 100, new PcgWork(k))).toBe(1);
    const z = Float64Array.from({ length: k }, () => 5);
    expect(pcg(mul, new Float64Array(k), z, diag, 1e-9, 100, new PcgWork(k))).toBe(0);
    expect(Array.from(z)).toEqual(new Array(k).fill(0));
  });
});
