/**
 * Determinism and invariance: the same input gives bit-identical results, and relabelling the
 * groups and columns only permutes the answer.
 */
import { describe, expect, it } from 'vitest';
import {
  fitGroupLasso, fitSparseGroupLasso, lambdaMax, Random, solverNames, type FitResult, type LossName,
  OptionError,
} from '../src/index.ts';

interface Problem {
  X: number[][];
  y: number[] | number[][];
  groups: number[][];
  weights: number[];
  loss: LossName;
}

function makeProblem(seed: number, loss: LossName, n = 40, sizes = [2, 3, 1, 4]): Problem {
  const rng = new Random(seed);
  const p = sizes.reduce((a, b) => a + b, 0);
  const X = Array.from({ length: n }, () => Array.from(rng.normals(p)));
  let k = 0;
  const groups = sizes.map((s) => Array.from({ length: s }, () => k++));
  const beta = Array.from({ length: p }, (_, j) => (j < 5 ? rng.normal() : 0));
  const eta = X.map((r) => r.reduce((s, x, j) => s + x * beta[j], 0.3));
  let y: number[] | number[][];
  if (loss === 'squared') y = eta.map((e) => e + 0.5 * rng.normal());
  else if (loss === 'logistic') y = eta.map((e) => (rng.uniform() < 1 / (1 + Math.exp(-e)) ? 1 : 0));
  else if (loss === 'poisson') y = eta.map((e) => Math.round(Math.exp(Math.min(2, 0.4 * e)) + rng.uniform()));
  else y = eta.map((e) => [e + rng.normal(), -e + rng.normal(), 0.5 * e + rng.normal()]);
  return { X, y, groups, weights: [1, 2, 0.5, 1.5], loss };
}

/** Every float of a result, with its name, for bitwise comparison. */
function floats(f: FitResult): [string, number][] {
  const out: [string, number][] = [
    ['objective', f.objective], ['dualObjective', f.dualObjective], ['dualityGap', f.dualityGap],
    ['relativeGap', f.relativeGap], ['kktViolation', f.kktViolation], ['lambda', f.lambda],
  ];
  f.coef.forEach((v, j) => out.push([`coef[${j}]`, v]));
  f.intercepts.forEach((v, t) => out.push([`intercepts[${t}]`, v]));
  f.groupNorms.forEach((v, g) => out.push([`groupNorms[${g}]`, v]));
  return out;
}

function expectBitIdentical(a: FitResult, b: FitResult): void {
  const fa = floats(a);
  const fb = floats(b);
  expect(fb.length).toBe(fa.length);
  for (let k = 0; k < fa.length; k++) {
    // Object.is distinguishes −0 from 0 and matches NaN with NaN: a bitwise comparison of floats.
    if (!Object.is(fa[k][1], fb[k][1])) throw new Error(`${fa[k][0]} differs: ${fa[k][1]} vs ${fb[k][1]}`);
  }
  expect(b.iterations).toBe(a.iterations);
  expect(b.status).toBe(a.status);
  expect(b.converged).toBe(a.converged);
  expect(b.activeGroups).toEqual(a.activeGroups);
}

const LOSSES: LossName[] = ['squared', 'logistic', 'poisson', 'multitask'];

describe('determinism: the same input twice gives bit-identical results', () => {
  for (const loss of LOSSES) {
    for (const solver of solverNames()) {
      if (loss === 'poisson' && solver === 'bcd') {
        it('poisson with bcd is refused up front (bcd has no curvature bound for it)', () => {
          const P = makeProblem(3, loss);
          expect(() => fitGroupLasso(P.X, P.y, { groups: P.groups, loss, lambda: 0.1, solver: 'bcd' })).toThrow(OptionError);
        });
        continue;
      }
      it(`${loss}, ${solver}, group and sparse-group lasso`, () => {
        // Fresh copies of the input each time: nothing may be cached on the caller's arrays.
        const run = (sparse: boolean): FitResult => {
          const P = makeProblem(3, loss);
          const lm = lambdaMax(P.X, P.y, { groups: P.groups, weights: P.weights, loss, ...(sparse ? { alpha: 0.3 } : {}) });
          const o = { groups: P.groups, weights: P.weights, loss, lambda: 0.1 * lm, solver: solver as 'fista', tol: 1e-9 };
          return sparse ? fitSparseGroupLasso(P.X, P.y, { ...o, alpha: 0.3 }) : fitGroupLasso(P.X, P.y, o);
        };
        for (const sparse of [false, true]) expectBitIdentical(run(sparse), run(sparse));
      });
    }
  }

  it('a capped run (not converged) is reproducible too', () => {
    const P = makeProblem(4, 'logistic');
    const o = { groups: P.groups, loss: 'logistic' as const, lambda: 1e-4, maxIter: 7 };
    const a = fitGroupLasso(P.X, P.y, o);
    expect(a.converged).toBe(false);
    expectBitIdentical(a, fitGroupLasso(P.X, P.y, o));
  });
});

/** Relabel: column j of the original becomes column perm[j]; groups listed in another order. */
function permuted(P: Problem, seed: number): { Q: Problem; perm: number[]; groupPerm: number[] } {
  const rng = new Random(seed);
  const p = P.X[0].length;
  const perm = rng.shuffle(Array.from({ length: p }, (_, j) => j)) as number[];
  const groupPerm = rng.shuffle(Array.from({ length: P.groups.length }, (_, g) => g)) as number[]; // new g' ← old groupPerm[g']
  const X = P.X.map((r) => {
    const out = new Array<number>(p);
    for (let j = 0; j < p; j++) out[perm[j]] = r[j];
    return out;
  });
  const groups = groupPerm.map((g) => rng.shuffle(P.groups[g].map((j) => perm[j])) as number[]);
  const weights = groupPerm.map((g) => P.weights[g]);
  return { Q: { ...P, X, groups, weights }, perm, groupPerm };
}

describe('invariance under relabelling groups and columns', () => {
  for (const loss of LOSSES) {
    for (const sparse of [false, true]) {
      it(`${loss}${sparse ? ' (sparse-group)' : ''}: same objective to 1e-10, coefficients permuted`, () => {
        const P = makeProblem(5, loss);
        const { Q, perm, groupPerm } = permuted(P, 6);
        const T = loss === 'multitask' ? 3 : 1;
        const p = P.X[0].length;
        const lmP = lambdaMax(P.X, P.y, { groups: P.groups, weights: P.weights, loss, ...(sparse ? { alpha: 0.3 } : {}) });
        const lmQ = lambdaMax(Q.X, Q.y, { groups: Q.groups, weights: Q.weights, loss, ...(sparse ? { alpha: 0.3 } : {}) });
        expect(Math.abs(lmQ - lmP)).toBeLessThan(1e-12 * lmP);
        const fit = (R: Problem): FitResult => {
          const o = { groups: R.groups, weights: R.weights, loss, lambda: 0.15 * lmP, tol: 1e-13, maxIter: 200_000 };
          return sparse ? fitSparseGroupLasso(R.X, R.y, { ...o, alpha: 0.3 }) : fitGroupLasso(R.X, R.y, o);
        };
        const a = fit(P);
        const b = fit(Q);
        expect(a.converged && b.converged).toBe(true);
        expect(a.activeGroups.length).toBeGreaterThan(0);
        expect(a.activeGroups.length).toBeLessThan(P.groups.length + 1);
        expect(Math.abs(a.objective - b.objective)).toBeLessThan(1e-10 * a.objective);
        // n > p and full rank: strongly convex, so coefficients agree to ~√(gap).
        for (let t = 0; t < T; t++) {
          for (let j = 0; j < p; j++) expect(Math.abs(b.coef[t * p + perm[j]] - a.coef[t * p + j])).toBeLessThan(1e-6);
          expect(Math.abs(b.intercepts[t] - a.intercepts[t])).toBeLessThan(1e-6);
        }
        // Group bookkeeping follows the relabelling.
        for (let g = 0; g < P.groups.length; g++) expect(Math.abs(b.groupNorms[g] - a.groupNorms[groupPerm[g]])).toBeLessThan(1e-6);
        expect(b.activeGroups.map((g) => groupPerm[g]).sort()).toEqual([...a.activeGroups].sort());
      });
    }
  }
});
