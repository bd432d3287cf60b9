import { describe, expect, it } from 'vitest';
import { fitGroupLasso, lambdaMax } from '../src/index.ts';
import { getSolver, registerSolver, type IterationInfo, type IterativeSolver } from '../src/extend.ts';
import { matTVec, matVec, norm } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

/** A solver that never moves: every stopping rule but the stall rule would let it run forever. */
registerSolver('test-frozen', (ctx, w0) => {
  let iteration = 0;
  const w = Float64Array.from(w0);
  const solver: IterativeSolver = {
    name: 'test-frozen', w,
    next: (): IteratorResult<IterationInfo> => ({
      done: false,
      value: { iteration: ++iteration, primal: 1, dual: ctx.penalty.convex ? 0.5 : NaN, step: NaN, status: 'ok' },
    }),
  };
  return solver;
});

/**
 * ISTA that moves only every 300th call and reports no dual point (dual NaN, as for a nonconvex
 * penalty): its running gap never improves, its KKT distance does.
 */
registerSolver('test-slow', (ctx, w0, options) => {
  const inner = getSolver('ista')!.factory(ctx, w0, options);
  let calls = 0;
  let last: IterationInfo = { iteration: 0, primal: NaN, dual: NaN, step: NaN, status: 'ok' };
  const solver: IterativeSolver = {
    name: 'test-slow',
    get w() {
      return inner.w;
    },
    next: (): IteratorResult<IterationInfo> => {
      calls++;
      if (calls % 300 === 0) last = { ...inner.next().value, dual: NaN };
      return { done: false, value: { ...last, iteration: calls } };
    },
  };
  return solver;
}, { globalLipschitz: true });

/** Stationarity of (1/(2n))‖y − Xw − b‖² + Σ_g MCP(‖w_g‖; λ√p_g, γ), computed from the rows. */
function mcpKkt(X: number[][], y: number[], w: ArrayLike<number>, b: number, groups: number[][], lambda: number, gamma: number): number {
  const n = X.length;
  const r = matVec(X, w).map((e, i) => e + b - y[i]);
  const grad = matTVec(X, r.map((v) => v / n));
  let kkt = Math.abs(r.reduce((s, v) => s + v, 0) / n);
  for (const g of groups) {
    const l = lambda * Math.sqrt(g.length);
    const wn = norm(g.map((j) => w[j]));
    const gn = norm(g.map((j) => grad[j]));
    const slope = wn < gamma * l ? l - wn / gamma : 0;
    kkt = Math.max(kkt, wn === 0 ? Math.max(gn - l, 0) : norm(g.map((j) => grad[j] + (slope * w[j]) / wn)));
  }
  return kkt;
}

describe('the stall rule watches the certificate the penalty has', () => {
  const pr = randomProblem(7, 40, [3, 2, 4]);
  const lambda = 0.2 * lambdaMax(pr.X, pr.y, { groups: pr.groups });

  it('a nonconvex fit that makes no progress stalls on its KKT distance and reports no gap', () => {
    const f = fitGroupLasso(pr.X, pr.y, { groups: pr.groups, penalty: 'grMCP', lambda, solver: 'test-frozen', maxIter: 100_000 });
    expect(f.converged).toBe(false);
    expect(f.status).toMatch(/^stalled: no 1 % decrease of the KKT distance in 2000 iterations \(relative KKT \S+, its rounding floor \S+; a nonconvex penalty has no duality gap\)$/);
    expect(f.status).not.toMatch(/NaN/);
    expect(f.iterations).toBeGreaterThanOrEqual(2000);
    expect(f.iterations).toBeLessThan(2100);
  });

  it('a convex fit that makes no progress stalls on its duality gap', () => {
    const f = fitGroupLasso(pr.X, pr.y, { groups: pr.groups, lambda, solver: 'test-frozen', maxIter: 100_000 });
    expect(f.status).toMatch(/^stalled: no 1 % decrease of the duality gap in 2000 iterations \(relative gap/);
    const k = fitGroupLasso(pr.X, pr.y, { groups: pr.groups, lambda, solver: 'test-frozen', maxIter: 100_000, stopOn: 'both' });
    expect(k.status).toMatch(/^stalled: no 1 % decrease of the duality gap or KKT distance in 2000 iterations/);
  });

  it('a nonconvex fit whose KKT distance improves slowly (its gap NaN throughout) is not cut off as stalled', () => {
    const gamma = 3;
    const f = fitGroupLasso(pr.X, pr.y, { groups: pr.groups, penalty: 'grMCP', gamma, lambda, solver: 'test-slow', tol: 1e-6, maxIter: 2_000_000 });
    // Far more than the stall window of 2000 iterations without any gap: only KKT progress kept it going.
    expect(f.iterations).toBeGreaterThan(4000);
    expect(f.converged).toBe(true);
    expect(f.dualityGap).toBeNaN();
    // Stationarity recomputed from the rows (grpreg's MCP written in the test).
    const kkt = mcpKkt(pr.X, pr.y, f.coef, f.intercept, pr.groups, lambda, gamma);
    expect(kkt).toBeLessThanOrEqual(1e-5 * Math.max(1, f.kktViolation / Math.max(f.relativeKkt, 1e-300)));
    expect(Math.abs(kkt - f.kktViolation)).toBeLessThanOrEqual(1e-8 + 1e-6 * kkt);
  });
});
