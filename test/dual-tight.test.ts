import { describe, expect, it } from 'vitest';
import { fitGroupLasso, GroupSparseError, lambdaMax, Random } from '../src/index.ts';
import { SquaredLoss } from '../src/datafits/datafits.ts';
import { makeGroups } from '../src/groups/groups.ts';
import { DenseMatrix } from '../src/linalg/dense.ts';
import { GroupLassoPenalty } from '../src/penalties/penalties.ts';
import { drive } from '../src/solvers/driver.ts';
import { ProblemContext } from '../src/solvers/problem.ts';
import { Fista } from '../src/solvers/proximal.ts';
import { independentCertificate, type PlainProblem } from './helpers/independent.ts';
import { newtonPolish } from './helpers/polish.ts';

/**
 * A single fit's certified gap at loose tolerances is a valid bound on its suboptimality and
 * tracks it within 10×. The optimum is bounded above by attained objectives only: fits at tol
 * 1e-13 by two solvers and the helpers' own Newton polish of one, every objective evaluated by
 * the independent checker (plain loops over rows). U ≥ the optimum, so P − U ≤ the true
 * suboptimality and the ratio gap / (P − U) is, if anything, overstated; it is floored at
 * 1e-13·P, where the suboptimality is rounding.
 */
function problem(seed: number, loss: 'squared' | 'logistic'): { X: number[][]; y: number[]; groups: number[]; plain: Omit<PlainProblem, 'lambda'> } {
  const rng = new Random(seed * 7 + (loss === 'logistic' ? 1000 : 0));
  const p = 10 + Math.floor(rng.uniform() * 40);
  const n = 20 + Math.floor(rng.uniform() * 100);
  const corr = rng.uniform() < 0.5 ? 0.8 : 0;
  const beta = Array.from({ length: p }, () => (rng.uniform() < 0.3 ? rng.normal() : 0));
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = rng.normal();
    const r = Array.from({ length: p }, () => Math.sqrt(1 - corr * corr) * rng.normal() + corr * c);
    X.push(r);
    const e = r.reduce((s, v, j) => s + v * beta[j], 0) + 0.5 * rng.normal();
    y.push(loss === 'squared' ? e : rng.uniform() < 1 / (1 + Math.exp(-e)) ? 1 : 0);
  }
  const size = 1 + (seed % 4);
  const groups = Array.from({ length: p }, (_, j) => Math.floor(j / size));
  const members: number[][] = [];
  groups.forEach((g, j) => (members[g] ??= []).push(j));
  return {
    X, y, groups,
    plain: { X, Y: y.map((v) => [v]), loss, groups: members, weights: members.map((m) => Math.sqrt(m.length)), fitIntercept: true },
  };
}

describe('single fits: the certified gap tracks the suboptimality at loose tolerances', () => {
  for (const loss of ['squared', 'logistic'] as const) {
    it(`${loss}: bcd, fista, ista, proxNewton at tol 1e-3 and 1e-4 on random problems`, () => {
      for (let seed = 1; seed <= 3; seed++) {
        const { X, y, groups, plain } = problem(seed, loss);
        const lmax = lambdaMax(X, y, { groups, loss });
        for (const frac of [0.5, 0.1]) {
          const lambda = frac * lmax;
          const P: PlainProblem = { ...plain, lambda };
          let U = Infinity;
          for (const solver of ['bcd', 'proxNewton'] as const) {
            const r = fitGroupLasso(X, y, { groups, loss, lambda, tol: 1e-13, solver, maxIter: 200_000 });
            U = Math.min(U, independentCertificate(P, r.coef, r.intercepts).primal);
            if (solver !== 'bcd') continue;
            const pol = newtonPolish(P, r.coef, r.intercepts);
            if (pol) U = Math.min(U, independentCertificate(P, pol.coef, pol.intercepts).primal);
          }
          for (const solver of ['bcd', 'fista', 'ista', 'proxNewton'] as const) {
            for (const tol of [1e-3, 1e-4]) {
              const f = fitGroupLasso(X, y, { groups, loss, lambda, tol, solver });
              const at = `${solver} seed ${seed} λ = ${frac}·λmax tol ${tol}`;
              expect(f.converged, at).toBe(true);
              const Pf = independentCertificate(P, f.coef, f.intercepts).primal;
              expect(f.dualObjective, `${at}: dual ≤ U`).toBeLessThanOrEqual(U + 1e-14 * Math.abs(U));
              expect(f.dualityGap, `${at}: gap ≥ P − U`).toBeGreaterThanOrEqual(Pf - U - 1e-13 * Pf);
              expect(f.dualityGap / Math.max(Pf - U, 1e-13 * Pf), `${at}: gap / (P − U)`).toBeLessThanOrEqual(10);
            }
          }
        }
      }
    });
  }
});

describe('drive: tightDual', () => {
  const { X, y, groups } = problem(1, 'squared');
  const n = X.length;
  const p = X[0].length;
  const A = new DenseMatrix(n, p);
  X.forEach((r, i) => r.forEach((v, j) => A.set(i, j, v)));
  const lambda = 0.2 * lambdaMax(X, y, { groups });
  const ctx = (): ProblemContext => new ProblemContext(A, new SquaredLoss(Float64Array.from(y), n), new GroupLassoPenalty(makeGroups(groups, p), lambda), true);

  it('junk is refused naming drive', () => {
    const c = ctx();
    expect(() => drive(c, new Fista(c, new Float64Array(p)), { stopOn: 'gap', tol: 1e-4, maxIter: 1000, checkEvery: 10, tightDual: 5 as never }))
      .toThrow(GroupSparseError);
    expect(() => drive(c, new Fista(c, new Float64Array(p)), { stopOn: 'gap', tol: 1e-4, maxIter: 1000, checkEvery: 10, tightDual: 5 as never }))
      .toThrow(/drive.*tightDual/);
  });

  it('the answer is the untightened run\'s point; its gap only shrinks, and the extra work is counted within maxIter', () => {
    const c0 = ctx();
    const plain = drive(c0, new Fista(c0, new Float64Array(p)), { stopOn: 'gap', tol: 1e-4, maxIter: 100_000, checkEvery: 10 });
    const c1 = ctx();
    const tight = drive(c1, new Fista(c1, new Float64Array(p)), {
      stopOn: 'gap', tol: 1e-4, maxIter: 100_000, checkEvery: 10, tightDual: (w) => new Fista(c1, w),
    });
    expect(plain.converged && tight.converged).toBe(true);
    expect(Array.from(tight.w)).toEqual(Array.from(plain.w));
    expect(tight.certificate.primal).toBe(plain.certificate.primal);
    expect(tight.certificate.gap).toBeLessThan(plain.certificate.gap);
    expect(tight.work).toBeGreaterThan(plain.work);
    expect(tight.work).toBeLessThanOrEqual(3 * plain.work + 20 + 4);
  });
});

describe('fitGroupLasso: tightenGap', () => {
  const { X, y, groups } = problem(2, 'squared');
  const lambda = 0.1 * lambdaMax(X, y, { groups });

  it('defaults to on at loose tolerances and off at tight ones; an explicit value overrides both', () => {
    const loose = fitGroupLasso(X, y, { groups, lambda, tol: 1e-4, solver: 'fista' });
    const looseOff = fitGroupLasso(X, y, { groups, lambda, tol: 1e-4, solver: 'fista', tightenGap: false });
    // Same answer, the default's dual rebuilt from later iterates: a smaller gap for more work.
    expect(Array.from(loose.coef)).toEqual(Array.from(looseOff.coef));
    expect(loose.dualityGap).toBeLessThan(looseOff.dualityGap);
    const tight = fitGroupLasso(X, y, { groups, lambda, tol: 1e-7, solver: 'fista' });
    const tightOn = fitGroupLasso(X, y, { groups, lambda, tol: 1e-7, solver: 'fista', tightenGap: true });
    expect(Array.from(tight.coef)).toEqual(Array.from(tightOn.coef));
    expect(tightOn.dualityGap).toBeLessThan(tight.dualityGap);
  });

  it('junk is refused naming the function', () => {
    expect(() => fitGroupLasso(X, y, { groups, lambda, tightenGap: 'yes' as never })).toThrow(/fitGroupLasso.*tightenGap/);
  });
});
