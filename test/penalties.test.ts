import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeGroups } from '../src/index.ts';
import { GroupLassoPenalty, SparseGroupLassoPenalty, sparseGroupDualNorm } from '../src/extend.ts';

/** ‖S(a, sα)‖ − s(1−α)d, decreasing in s. */
function excess(a: number[], s: number, alpha: number, d: number): number {
  const st = Math.hypot(...a.map((x) => Math.max(Math.abs(x) - s * alpha, 0)));
  return st - s * (1 - alpha) * d;
}

describe('sparse-group dual norm', () => {
  it('is the root of ‖S(z, sα)‖ = s(1−α)d (checked against bisection)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 7 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        (z, alpha, d) => {
          fc.pre(z.some((x) => Math.abs(x) > 1e-6));
          fc.pre(alpha > 1e-6 || d > 0);
          const s = sparseGroupDualNorm(Float64Array.from(z, Math.abs), alpha, d);
          let lo = 0;
          let hi = 1;
          while (excess(z, hi, alpha, d) > 0) hi *= 2;
          for (let k = 0; k < 200; k++) {
            const mid = (lo + hi) / 2;
            if (excess(z, mid, alpha, d) > 0) lo = mid;
            else hi = mid;
          }
          expect(s).toBeCloseTo(hi, 9);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('zero vector has dual norm 0 (the zero-group case)', () => {
    expect(sparseGroupDualNorm(new Float64Array(3), 0.4, 1)).toBe(0);
  });
});

describe('penalty KKT distances', () => {
  const gs = makeGroups([[0, 1], [2, 3, 4]], 5);
  it('group lasso: zero group violation is (‖∇_g‖ − λd_g)₊; nonzero group residual ‖∇_g + λd_g w_g/‖w_g‖‖', () => {
    const pen = new GroupLassoPenalty(gs, 0.5);
    const w = Float64Array.from([0, 0, 3, 0, 4]);
    const grad = Float64Array.from([1, 1, -0.5 * Math.sqrt(3) * 0.6, 0.1, -0.5 * Math.sqrt(3) * 0.8]);
    expect(pen.groupViolation(w, grad, 0)).toBeCloseTo(Math.SQRT2 - 0.5 * Math.SQRT2, 14);
    expect(pen.groupViolation(w, grad, 1)).toBeCloseTo(0.1, 14);
    const small = Float64Array.from([0.1, 0.1, 0, 0, 0]);
    expect(pen.groupViolation(w, small, 0)).toBe(0);
  });
  it('sparse-group: subgradient of a partly zero group', () => {
    const pen = new SparseGroupLassoPenalty(gs, 1, 0.5);
    const w = Float64Array.from([0, 0, 1, 0, 0]); // group 1 = (1, 0, 0), ‖w_g‖ = 1
    const d = Math.sqrt(3);
    // optimal gradient: −(0.5·sign + 0.5·d·w/‖w‖) on the nonzero entry, |∇_j| ≤ 0.5 elsewhere
    const grad = Float64Array.from([0, 0, -(0.5 + 0.5 * d), 0.3, -0.5]);
    expect(pen.groupViolation(w, grad, 1)).toBeCloseTo(0, 14);
    grad[3] = 0.7; // exceeds α λ = 0.5 by 0.2
    expect(pen.groupViolation(w, grad, 1)).toBeCloseTo(0.2, 14);
  });
});
