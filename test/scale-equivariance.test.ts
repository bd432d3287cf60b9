/**
 * The group lasso is scale-equivariant: multiplying X by c multiplies λ_max by c and divides the
 * solution by c, and the objective value does not change. So a fit of cX at λ = 0.1·λ_max(cX) must
 * give w(X)/c, for every solver, across the range of scales the input checks accept (1e-151 to
 * 1e+151). The fit at c = 1 is the reference; nothing here uses a scaled copy of it as the answer.
 */
import { describe, expect, it } from 'vitest';
import { fitGroupLasso, lambdaMax } from '../src/index.ts';
import { Random } from '../src/util/random.ts';

const n = 60, p = 8;
const rng = new Random(20261202);
const X0 = Array.from({ length: n }, () => Array.from({ length: p }, () => rng.normal()));
const yGauss = X0.map((r) => r[0] - 2 * r[3] + 0.5 * r[6] + 0.1 * rng.normal());
const yBin = yGauss.map((v) => (v + 0.5 * rng.normal() > 0 ? 1 : 0));
const groups = [[0, 1], [2, 3], [4, 5], [6, 7]];
const scales = [1e-140, 1e-100, 1e-90, 1e-50, 1e50, 1e100, 1e140];

function fitAt(c: number, loss: 'squared' | 'logistic', solver: string): Float64Array {
  const X = X0.map((r) => r.map((v) => v * c));
  const y = loss === 'squared' ? yGauss : yBin;
  const lm = lambdaMax(X, y, { groups, loss });
  const f = fitGroupLasso(X, y, { groups, loss, lambda: 0.1 * lm, solver, tol: 1e-12, maxTime: 20 } as never);
  expect(f.converged, `${loss} ${solver} at scale ${c}: ${f.status}`).toBe(true);
  return Float64Array.from(f.coef, (v) => v * c);
}

describe('fits are scale-equivariant across the accepted range of design scales', () => {
  for (const loss of ['squared', 'logistic'] as const) {
    for (const solver of ['ista', 'fista', 'bcd', 'proxNewton']) {
      it(`${loss}, ${solver}`, () => {
        const ref = fitAt(1, loss, solver);
        expect(ref.some((v) => v !== 0)).toBe(true);
        for (const c of scales) {
          const got = fitAt(c, loss, solver);
          for (let j = 0; j < p; j++) expect(Math.abs(got[j] - ref[j]), `scale ${c}, coefficient ${j}`).toBeLessThan(1e-5 * (1 + Math.abs(ref[j])));
        }
      });
    }
  }
});
