import { describe, expect, it } from 'vitest';
import { fitOverlappingGroupLasso } from '../src/index.ts';
import { optimumUpperBound, plainObjective, randomOverlapProblem, type OverlapKind } from './overlap-helpers.ts';

// The two problems whose consensus certificates were > 10× loose before the dual norm was split
// at the zero groups: the gap must track P − U (U from the helpers' own restricted Newton and
// reweighted ridge, an attained value hence ≥ the optimum) within 10×, floored at 1e-13·P.
// Plain seed 21 at λ × 0.9 stays out (48.6× at tol 1e-4, 9.1× at 1e-8): there the dual norm of
// the gradient, solved to a certified interval (dualNormInterval), is [1.3101, 1.3113]·λ against
// the heuristics' 1.3114·λ, so the rescaled dual point is the construction's limit, not a loose
// decomposition.
describe('consensus ADMM certificate tracks the suboptimality', () => {
  const cases: Array<[number, OverlapKind]> = [[8, 'wide'], [21, 'plain']];
  for (const [seed, kind] of cases) {
    for (const scale of [1, 1.1]) {
      it(`${kind} seed ${seed}, λ × ${scale}`, () => {
        const { d, groups, lambda: l0 } = randomOverlapProblem(seed, kind);
        const lambda = l0 * scale;
        for (const tol of [1e-4, 1e-8]) {
          const f = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode: 'consensus', tol });
          const P = plainObjective(d, f.coef, f.intercept, groups, lambda);
          const U = optimumUpperBound(d, groups, lambda, f.coef);
          expect(f.dualObjective).toBeLessThanOrEqual(U * (1 + 1e-14));
          const ratio = f.dualityGap / Math.max(P - U, 1e-13 * P);
          expect(ratio).toBeLessThanOrEqual(10);
        }
      });
    }
  }
});
