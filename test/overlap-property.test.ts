import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { fitGroupLasso, fitOverlappingGroupLasso, Random } from '../src/index.ts';
import { duplicate, irlsPlain, norm, plainObjective, squaredGradient, type Data } from './overlap-helpers.ts';

/**
 * Random overlapping group structures built valid by construction: a few random non-empty subsets
 * of the p features, then every feature no subset took is added to one of them (chosen at random),
 * so the groups always cover all features and overlap wherever the subsets do.
 */
const problem = fc.integer({ min: 3, max: 8 }).chain((p) =>
  fc.record({
    p: fc.constant(p),
    subsets: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: p - 1 }), { minLength: 1, maxLength: p }), { minLength: 2, maxLength: 5 }),
    owner: fc.array(fc.nat({ max: 1000 }), { minLength: p, maxLength: p }),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    frac: fc.double({ min: 0.05, max: 0.8, noNaN: true }),
  }));

function build(c: { p: number; subsets: number[][]; owner: number[]; seed: number; frac: number }) {
  const groups = c.subsets.map((s) => s.slice());
  const covered = new Set(groups.flat());
  for (let j = 0; j < c.p; j++) if (!covered.has(j)) groups[c.owner[j] % groups.length].push(j);
  const rng = new Random(c.seed);
  const n = 40;
  const beta = Array.from({ length: c.p }, () => (rng.uniform() < 0.5 ? 0 : rng.normal()));
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = Array.from({ length: c.p }, () => rng.normal());
    X.push(r);
    y.push(0.3 + r.reduce((s, v, j) => s + v * beta[j], 0) + 0.2 * rng.normal());
  }
  const d: Data = { X, y, n, p: c.p };
  // λ as a fraction of the latent λ_max = max_g ‖∇_g F(0)‖/d_g (intercept fitted).
  const { grad } = squaredGradient(d, new Array(c.p).fill(0), y.reduce((s, v) => s + v, 0) / n);
  const lmax = Math.max(...groups.map((g) => norm(g.map((j) => grad[j])) / Math.sqrt(g.length)));
  return { d, groups, lambda: c.frac * lmax };
}

describe('random overlapping groups (by construction, covering all features)', () => {
  test.prop([problem], { numRuns: 25 })(
    'latent: converged, w = Σ v_g, naive latent KKT, and the explicit duplicate gives the same objective and groups',
    (c) => {
      const { d, groups, lambda } = build(c);
      const f = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode: 'latent', tol: 1e-11 });
      expect(f.converged).toBe(true);
      const sum = f.latent!.sum();
      for (let j = 0; j < d.p; j++) expect(f.coef[j]).toBe(sum[j]);
      const { grad } = squaredGradient(d, f.coef, f.intercept);
      for (let g = 0; g < groups.length; g++) {
        const gg = groups[g].map((j) => grad[j]);
        const vg = Array.from(f.latent!.part(g));
        const vn = norm(vg);
        const t = lambda * Math.sqrt(groups[g].length);
        if (vn > 0) expect(norm(gg.map((x, k) => x + (t * vg[k]) / vn))).toBeLessThan(1e-5);
        else expect(norm(gg)).toBeLessThanOrEqual(t * (1 + 1e-6));
      }
      const { Xd, blocks } = duplicate(d.X, groups);
      const ref = fitGroupLasso(Xd, d.y, { groups: blocks, lambda, tol: 1e-11 });
      expect(Math.abs(f.objective - ref.objective) / ref.objective).toBeLessThan(1e-8);
      // Groups whose part is clearly nonzero in one fit are nonzero in the other (ties at the
      // threshold are rounding-level and not a difference in the model).
      for (let g = 0; g < groups.length; g++) {
        if (f.groupNorms[g] > 1e-6) expect(ref.groupNorms[g]).toBeGreaterThan(0);
        if (ref.groupNorms[g] > 1e-6) expect(f.groupNorms[g]).toBeGreaterThan(0);
      }
    },
  );

  test.prop([problem], { numRuns: 25 })(
    'consensus: converged, objective recomputed naively, agrees with reweighted ridge, dual below that independent primal',
    (c) => {
      const { d, groups, lambda } = build(c);
      const f = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode: 'consensus', tol: 1e-9 });
      expect(f.converged).toBe(true);
      const naive = plainObjective(d, f.coef, f.intercept, groups, lambda);
      expect(Math.abs(naive - f.objective)).toBeLessThan(1e-12 * naive);
      const oracle = irlsPlain(d, groups, lambda, 2000);
      // Weak duality, to rounding: the dual from the polished point equals the optimum to a few ulps.
      expect(f.dualObjective).toBeLessThanOrEqual(oracle.objective * (1 + 1e-14));
      expect(f.objective).toBeLessThanOrEqual(oracle.objective * (1 + 1e-8));
      expect(oracle.objective - f.objective).toBeLessThan(1e-6 * f.objective);
      // The zero pattern is a union of groups: every zero feature lies in a group that is all zero.
      for (let j = 0; j < d.p; j++) {
        if (f.coef[j] !== 0) continue;
        expect(groups.some((g) => g.includes(j) && g.every((k) => f.coef[k] === 0))).toBe(true);
      }
    },
  );
});
