/**
 * Consensus ADMM's budgets and honest ends: maxIter bounds the total work (the inner CG products
 * of the w-update and the Newton polish included), the stall rule ends a run whose certificate
 * cannot improve, and designs at extreme scales are refused or solved as the same problem at unit
 * scale.
 */
import { describe, expect, it } from 'vitest';
import { fitOverlappingGroupLasso, GroupSparseError, Random } from '../src/index.ts';
import { makeData, optimumUpperBound, plainObjective } from './overlap-helpers.ts';

/** Collinear columns over three decades: the CG w-update needs hundreds of products per solve. */
function illConditioned(): { X: number[][]; y: number[]; groups: number[][] } {
  const rng = new Random(3);
  const n = 60;
  const p = 40;
  const X: number[][] = [];
  for (let i = 0; i < n; i++) {
    const c = rng.normal();
    X.push(Array.from({ length: p }, (_, j) => (0.999 * c + 0.045 * rng.normal()) * 10 ** ((3 * j) / p)));
  }
  const y = X.map((r) => r[0] + r[5] / 10 ** (15 / p) + rng.normal());
  const groups = Array.from({ length: 13 }, (_, g) => [3 * g, 3 * g + 1, 3 * g + 2, 3 * g + 3].filter((j) => j < p));
  return { X, y, groups };
}

describe('consensus ADMM: maxIter bounds the total work', () => {
  const { X, y, groups } = illConditioned();
  const base = { groups, lambda: 0.01, mode: 'consensus' as const, linearSolver: 'cg' as const, tol: 1e-10 };
  it('uncapped, the inner CG products dominate the work, and the result reports them', () => {
    const f = fitOverlappingGroupLasso(X, y, base);
    expect(f.converged).toBe(true);
    expect(f.admm!.wUpdate).toBe('cg');
    // Many CG products per ADMM iteration: a cap on iterations alone would not bound the work.
    expect(f.admm!.linearWork).toBeGreaterThan(10 * f.iterations);
    expect(f.work).toBeGreaterThanOrEqual(f.admm!.linearWork);
  });
  it('a cap of 50 or 300 passes ends the run there, after far fewer ADMM iterations', () => {
    for (const maxIter of [50, 300]) {
      const f = fitOverlappingGroupLasso(X, y, { ...base, maxIter });
      expect(f.converged).toBe(false);
      expect(f.status).toBe('max iterations reached');
      expect(f.work).toBeLessThanOrEqual(maxIter);
      expect(f.work).toBeGreaterThan(maxIter - 10);
      expect(f.admm!.linearWork).toBeLessThanOrEqual(maxIter);
      expect(f.iterations).toBeLessThan(maxIter / 5);
      // The point returned carries an honest certificate.
      expect(f.dualityGap).toBeGreaterThan(0);
      expect(f.objective - f.dualObjective).toBeCloseTo(f.dualityGap, 12);
    }
  });
  it('the Newton w-update (logistic) is capped the same way', () => {
    const labels = y.map((v) => (v > 0 ? 1 : 0));
    const free = fitOverlappingGroupLasso(X, labels, { groups, lambda: 0.002, mode: 'consensus', loss: 'logistic', tol: 1e-10 });
    expect(free.work).toBeGreaterThan(free.iterations);
    const f = fitOverlappingGroupLasso(X, labels, { groups, lambda: 0.002, mode: 'consensus', loss: 'logistic', tol: 1e-10, maxIter: 40 });
    expect(f.work).toBeLessThanOrEqual(40);
    expect(f.admm!.wUpdate).toBe('newton-cg');
    if (!f.converged) expect(f.status).toBe('max iterations reached');
  });
});

describe('consensus ADMM: the stall rule', () => {
  it('an operator whose transpose is inexact (entries rounded to 30 bits) stalls above tol: honest status, within the window', () => {
    const d = makeData(5, 40, [1, -1, 0.5, 0, 0, 0.7, 0, 0.3]);
    const groups = [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 0]];
    const round = (v: number): number => {
      if (v === 0) return 0;
      const u = 2 ** (Math.floor(Math.log2(Math.abs(v))) - 30);
      return Math.round(v / u) * u;
    };
    // Products with X are exact, products with Xᵀ carry relative errors ~1e-9: the certificate
    // cannot resolve a gap under ~1e-11 relative, which the float64 rounding floor does not know.
    const op = {
      rows: d.n, cols: d.p,
      apply(x: Float64Array, out: Float64Array) {
        for (let i = 0; i < d.n; i++) {
          let s = 0;
          for (let j = 0; j < d.p; j++) s += d.X[i][j] * x[j];
          out[i] = s;
        }
      },
      applyTranspose(v: Float64Array, out: Float64Array) {
        for (let j = 0; j < d.p; j++) {
          let s = 0;
          for (let i = 0; i < d.n; i++) s += round(d.X[i][j]) * v[i];
          out[j] = s;
        }
      },
    };
    const f = fitOverlappingGroupLasso(op, d.y, { groups, lambda: 0.05, mode: 'consensus', tol: 1e-12, maxIter: 1e6 });
    expect(f.converged).toBe(false);
    expect(f.status).toMatch(/^stalled: no 1 % decrease of the duality gap in 2000 iterations \(relative gap [0-9.e+-]+; rounding floor [0-9.e+-]+; ρ = /);
    // The window is 2000 iterations after the last progress, reached early in a 10⁶ budget.
    expect(f.iterations).toBeGreaterThanOrEqual(2000);
    expect(f.iterations).toBeLessThan(2500);
    expect(f.relativeGap).toBeGreaterThan(1e-12);
    // Still a good point: the exact objective is within its (honest, if loose) gap of the optimum.
    const P = plainObjective(d, f.coef, f.intercept, groups, 0.05);
    expect(P - optimumUpperBound(d, groups, 0.05, f.coef)).toBeLessThanOrEqual(f.dualityGap + 1e-14 * P);
  });
});

describe('overlapping fits at extreme design scales', () => {
  const d = makeData(5, 40, [1, -1, 0.5, 0, 0, 0.7, 0, 0.3]);
  const groups = [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 0]];
  for (const mode of ['consensus', 'latent'] as const) {
    const ref = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda: 0.05, mode, tol: 1e-10 });
    it(`${mode}: X·s with λ·s gives coef/s (s = 1e±100, 1e±150), certified`, () => {
      for (const s of [1e-150, 1e-100, 1e100, 1e150]) {
        const X = d.X.map((r) => r.map((v) => v * s));
        const f = fitOverlappingGroupLasso(X, d.y, { groups, lambda: 0.05 * s, mode, tol: 1e-10 });
        expect(f.converged, `s = ${s}`).toBe(true);
        expect(f.lambda).toBe(0.05 * s);
        for (let j = 0; j < d.p; j++) expect(Math.abs(f.coef[j] * s - ref.coef[j]), `s = ${s}, j = ${j}`).toBeLessThan(1e-6);
        expect(Math.abs(f.objective - ref.objective)).toBeLessThan(1e-9 * ref.objective);
        // The KKT violation is in gradient units of the caller's problem: it scales like X.
        expect(f.relativeKkt).toBeLessThan(1e-3);
      }
    });
    it(`${mode}: X·1e±200 and 1e±300 are refused by name, before any work`, () => {
      for (const s of [1e-300, 1e-200, 1e200, 1e300]) {
        const X = d.X.map((r) => r.map((v) => v * s));
        let err: unknown;
        try {
          fitOverlappingGroupLasso(X, d.y, { groups, lambda: 0.05 * s, mode });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(GroupSparseError);
        expect((err as Error).message).toMatch(/^fitOverlappingGroupLasso: X is too (small|large) for float64 arithmetic/);
      }
    });
  }
});
