import { describe, expect, it } from 'vitest';
import { fitGroupLasso, groupLassoPath, Random } from '../src/index.ts';

/**
 * Cox fits through proximal Newton ('auto' picks it) on a design whose columns are far from
 * centred: the partial likelihood ignores a common shift of η, so the fit must equal the one on
 * the centred design (coefficients unchanged), and match FISTA run from zero.
 */
function survivalData(seed: number, n: number) {
  const rng = new Random(seed);
  const X = Array.from({ length: n }, () => [50 + 10 * rng.normal(), rng.uniform() < 0.4 ? 1 : 0, 3 + rng.normal(), 100 + 5 * rng.normal(), rng.normal()]);
  const time: number[] = [];
  const status: number[] = [];
  for (const r of X) {
    const eta = 0.05 * (r[0] - 50) + 0.8 * r[1] - 0.3 * (r[2] - 3);
    const t = -Math.log(rng.uniform()) / Math.exp(eta);
    const c = -Math.log(rng.uniform()) * 1.5;
    time.push(Math.round(Math.min(t, c) * 50) / 50 + 0.01); // rounding makes ties
    status.push(t <= c ? 1 : 0);
  }
  return { X, time, status };
}

describe('Cox model on proximal Newton', () => {
  it('uncentred columns: the path equals the centred design\'s, and each point FISTA\'s, certified', () => {
    const { X, time, status } = survivalData(4, 150);
    const n = X.length;
    const means = X[0].map((_, j) => X.reduce((s, r) => s + r[j], 0) / n);
    const Xc = X.map((r) => r.map((v, j) => v - means[j]));
    const groups = [0, 1, 2, 3, 4];
    const y = { time, status };
    const raw = groupLassoPath(X, y, { groups, loss: 'cox', nLambda: 8, lambdaMinRatio: 0.01, tol: 1e-10 });
    const cen = groupLassoPath(Xc, y, { groups, loss: 'cox', nLambda: 8, lambdaMinRatio: 0.01, tol: 1e-10 });
    expect(Math.abs(raw.lambdaMax - cen.lambdaMax)).toBeLessThan(1e-10 * cen.lambdaMax);
    for (let k = 0; k < raw.lambdas.length; k++) {
      expect(raw.certificates[k].converged).toBe(true);
      for (let j = 0; j < 5; j++) expect(Math.abs(raw.coefs[k][j] - cen.coefs[k][j]), `λ #${k} j ${j}`).toBeLessThan(1e-5);
      // FISTA (slow on Cox: it is the reference here) at three points of the path.
      if (k !== 2 && k !== 5 && k !== 7) continue;
      const f = fitGroupLasso(X, y, { groups, loss: 'cox', lambda: raw.lambdas[k], solver: 'fista', tol: 1e-10, maxIter: 2_000_000 });
      expect(Math.abs(f.objective - raw.certificates[k].objective), `λ #${k}`).toBeLessThan(1e-7 * f.objective);
      expect(raw.activeGroups[k]).toEqual(f.activeGroups);
    }
    expect(raw.activeGroups[raw.lambdas.length - 1].length).toBeGreaterThanOrEqual(3);
  });
});
