import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitGroupLasso, groupLassoPath } from '../src/index.ts';
import { prepareProblem } from '../src/problem/problem.ts';
import { gapSafeSequential } from '../src/path/screening.ts';
import { certify } from '../src/solvers/certificate.ts';
import { randomProblem } from './helpers/problems.ts';

const caseArb = fc.record({
  loss: fc.constantFrom('squared' as const, 'logistic' as const),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  n: fc.integer({ min: 25, max: 70 }),
  sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 12 }),
  first: fc.double({ min: 0.2, max: 0.95, noNaN: true }),
  step: fc.double({ min: 0.6, max: 0.98, noNaN: true }),
});

describe('sequential gap-safe screening along a path', () => {
  it('never discards a group that is active in the unscreened fit at the new λ (random problems)', () => {
    let screened = 0;
    fc.assert(fc.property(caseArb, (c) => {
      const P = randomProblem(c.seed, c.n, c.sizes, c.loss);
      const prob = prepareProblem(P.X, P.y, { groups: P.groups, loss: c.loss });
      const lmax = prob.lambdaMax();
      fc.pre(lmax > 0);
      const lamPrev = c.first * lmax, lam = c.step * lamPrev;
      const prev = fitGroupLasso(P.X, P.y, { groups: P.groups, loss: c.loss, lambda: lamPrev, tol: 1e-10 });
      const ctx = prob.context(lam);
      const w = prev.coef.slice();
      const point = certify(ctx, w).point;
      const safe = new Uint8Array(P.groups.length);
      screened += gapSafeSequential(ctx, w, point, safe);
      // The truth: an unscreened fit at λ to a tight tolerance, by another code path.
      const truth = fitGroupLasso(P.X, P.y, { groups: P.groups, loss: c.loss, lambda: lam, tol: 1e-11 });
      const top = Math.max(...truth.groupNorms);
      for (let g = 0; g < safe.length; g++) {
        if (safe[g]) expect(truth.groupNorms[g], `group ${g} screened but active (seed ${c.seed})`).toBeLessThanOrEqual(1e-7 * top);
      }
    }), { numRuns: 60 });
    // The rule must actually prove groups zero on these problems, or the property says nothing.
    expect(screened).toBeGreaterThan(20);
  }, 120_000);

  it('a strong-rule path with the safe rule equals the unscreened path, and the rule screens', () => {
    let safe = 0;
    fc.assert(fc.property(caseArb, (c) => {
      const P = randomProblem(c.seed, c.n, c.sizes, c.loss);
      const opts = { groups: P.groups, loss: c.loss, nLambda: 25, lambdaMinRatio: 0.05, tol: 1e-9 };
      const scr = groupLassoPath(P.X, P.y, { ...opts, screening: 'strong' });
      const all = groupLassoPath(P.X, P.y, { ...opts, screening: 'none' });
      for (let k = 0; k < scr.lambdas.length; k++) {
        expect(scr.certificates[k].converged).toBe(true);
        const a = scr.certificates[k].objective, b = all.certificates[k].objective;
        expect(Math.abs(a - b) / Math.abs(b)).toBeLessThan(1e-7);
        expect(scr.activeGroups[k]).toEqual(all.activeGroups[k]);
      }
      safe += scr.screening.reduce((s, q) => s + (q.safe ?? 0), 0);
    }), { numRuns: 15 });
    expect(safe).toBeGreaterThan(0);
  }, 120_000);
});
