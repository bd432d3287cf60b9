import { describe, expect, it } from 'vitest';
import { AndersonExtrapolation } from '../src/solvers/anderson.ts';

// Anderson extrapolation of a linear fixed-point iteration x ← Mx + b. For a 2-dimensional x and
// K = 3 an affine combination of the residuals x_{k+1} − x_k vanishes, so the extrapolated point is
// the fixed point itself (a closed form, solved here independently), up to the small ridge.
describe('Anderson extrapolation', () => {
  it('recovers the fixed point of a linear contraction from K + 1 iterates; weights sum to 1 and reproduce the point', () => {
    const M = [[0.6, 0.2], [-0.1, 0.7]];
    const b = [1, -2];
    // Fixed point: (I − M) x* = b, by Cramer's rule.
    const a11 = 1 - M[0][0], a12 = -M[0][1], a21 = -M[1][0], a22 = 1 - M[1][1];
    const det = a11 * a22 - a12 * a21;
    const xs = [(b[0] * a22 - a12 * b[1]) / det, (a11 * b[1] - a21 * b[0]) / det];
    const acc = new AndersonExtrapolation(3);
    acc.begin(2);
    let x = [0, 0];
    const snaps: number[][] = [];
    for (let k = 0; k < 4; k++) {
      acc.slot().set(x);
      acc.commit();
      snaps.push(x);
      x = [M[0][0] * x[0] + M[0][1] * x[1] + b[0], M[1][0] * x[0] + M[1][1] * x[1] + b[1]];
    }
    expect(acc.full).toBe(true);
    const out = new Float64Array(2);
    expect(acc.extrapolate(out)).toBe(true);
    expect(Math.abs(out[0] - xs[0])).toBeLessThan(1e-6);
    expect(Math.abs(out[1] - xs[1])).toBeLessThan(1e-6);
    const c = new Float64Array(3);
    expect(acc.weights(c)).toBe(true);
    expect(Math.abs(c[0] + c[1] + c[2] - 1)).toBeLessThan(1e-14);
    for (let i = 0; i < 2; i++) expect(c[0] * snaps[1][i] + c[1] * snaps[2][i] + c[2] * snaps[3][i]).toBeCloseTo(out[i], 13);
    expect(Array.from(acc.snapshot(3))).toEqual(snaps[3]);
  });

  it('refuses a degenerate history (no movement)', () => {
    const acc = new AndersonExtrapolation(3);
    acc.begin(4);
    for (let k = 0; k < 4; k++) {
      acc.slot().fill(1);
      acc.commit();
    }
    expect(acc.weights(new Float64Array(3))).toBe(false);
    expect(acc.extrapolate(new Float64Array(4))).toBe(false);
  });
});
