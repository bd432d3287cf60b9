import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cvGroupLasso, fitGroupLasso, GroupLasso, groupLassoPath, makeGroups, Random, ValueError } from '../src/index.ts';
import { getPenalty } from '../src/extend.ts';
import { matTVec, matVec } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

/**
 * grpreg 3.6.0's reference paths for its bi-level penalties, written by scripts/grpreg-bilevel.R
 * (R_LIBS=<grpreg library> Rscript scripts/grpreg-bilevel.R): grpreg's Birthwt (bwt and low) and R's
 * airquality, on designs standardized first (so grpreg's standardization changes nothing), group
 * multiplier 1 (grpreg's default for bi-level penalties), eps = 1e-12. The fixture's `objective` is
 * grpreg's coefficients evaluated in R with the penalties as grpreg defines them.
 */
interface GrpregCase {
  name: string; penalty: 'cMCP' | 'gel'; family: 'gaussian' | 'binomial'; gamma: number; tau: number; n: number; p: number;
  group: number[]; X: number[]; y: number[]; lambda: number[]; objective: number[]; selected: number[][];
  coef: number[][]; intercept: number[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/grpreg/bilevel.json', import.meta.url), 'utf8')) as { grpreg: string; cases: GrpregCase[] };

const mcp = (t: number, l: number, a: number) => (t <= a * l ? l * t - (t * t) / (2 * a) : (a * l * l) / 2);
const dmcp = (t: number, l: number, a: number) => (t < a * l ? l - t / a : 0);

/** P_g and the rates ∂P_g/∂|w_j| of one block, written from grpreg's definitions (src/lcdfit_gaussian.c). */
function block(penalty: string, b: number[], l: number, gamma: number, tau: number): { value: number; rate: number[] } {
  const K = b.length;
  if (penalty === 'cMCP') {
    const li = Math.sqrt(l);
    const s = b.reduce((acc, v) => acc + mcp(Math.abs(v), li, gamma), 0);
    const go = (K * gamma * li) / 2;
    return { value: mcp(s, li, go), rate: b.map((v) => dmcp(s, li, go) * dmcp(Math.abs(v), li, gamma)) };
  }
  const s = b.reduce((acc, v) => acc + Math.abs(v), 0);
  return { value: ((l * l) / tau) * (1 - Math.exp((-tau * s) / l)), rate: b.map(() => l * Math.exp((-tau * s) / l)) };
}

/** Objective and KKT distance (max over coordinates' residuals per group, then groups) from rows. */
function naiveBilevel(
  X: number[][], y: number[], w: ArrayLike<number>, b: number, groups: number[][], family: string, penalty: string,
  lambda: number, gamma: number, tau: number, weights: number[],
) {
  const n = X.length;
  const eta = matVec(X, w).map((e) => e + b);
  let loss = 0;
  const u = eta.map((e, i) => {
    if (family === 'gaussian') {
      loss += (e - y[i]) ** 2 / (2 * n);
      return (e - y[i]) / n;
    }
    loss += (Math.max(e, 0) + Math.log1p(Math.exp(-Math.abs(e))) - y[i] * e) / n;
    return (1 / (1 + Math.exp(-e)) - y[i]) / n;
  });
  const grad = matTVec(X, u);
  let kkt = Math.abs(u.reduce((s, v) => s + v, 0));
  let obj = loss;
  groups.forEach((g, gi) => {
    const bl = block(penalty, g.map((j) => w[j]), lambda * weights[gi], gamma, tau);
    obj += bl.value;
    let s = 0;
    g.forEach((j, k) => {
      const c = bl.rate[k];
      s += w[j] !== 0 ? (grad[j] + c * Math.sign(w[j])) ** 2 : Math.max(Math.abs(grad[j]) - c, 0) ** 2;
    });
    kkt = Math.max(kkt, Math.sqrt(s));
  });
  return { obj, kkt };
}

function rows(c: { n: number; p: number; X: number[] }): number[][] {
  return Array.from({ length: c.n }, (_, i) => Array.from({ length: c.p }, (_, j) => c.X[i + j * c.n]));
}

describe('composite MCP and group exponential lasso against grpreg', () => {
  for (const c of fixture.cases) {
    const what = c.family === 'binomial' ? 'stationary, objective within 2% and selected groups mostly as' : 'objective, stationarity and selected groups per λ match';
    it(`${c.name}: ${what} grpreg ${fixture.grpreg}`, () => {
      const X = rows(c);
      const lists = Array.from(new Set(c.group), (g) => c.group.flatMap((h, j) => (h === g ? [j] : [])));
      const ones = lists.map(() => 1);
      const param = c.penalty === 'cMCP' ? { gamma: c.gamma } : { tau: c.tau };
      const path = groupLassoPath(X, c.y, {
        groups: c.group, weights: 'one', loss: c.family === 'gaussian' ? 'squared' : 'logistic',
        penalty: c.penalty, ...param, lambdas: c.lambda, tol: 1e-10,
      });
      expect(path.penalty).toBe(c.penalty);
      let bilevelSeen = false;
      let sameSelection = 0;
      for (let k = 0; k < c.lambda.length; k++) {
        const cert = path.certificates[k];
        // No duality gap exists for a nonconvex penalty: the certificate is stationarity.
        expect(Number.isNaN(cert.dualityGap)).toBe(true);
        expect(cert.converged, `${c.name} λ #${k}`).toBe(true);
        const mine = naiveBilevel(X, c.y, path.coefs[k], path.intercept[k], lists, c.family, c.penalty, c.lambda[k], c.gamma, c.tau, ones);
        expect(mine.kkt, `${c.name} λ #${k}`).toBeLessThan(1e-7);
        expect(Math.abs(mine.obj - cert.objective)).toBeLessThan(1e-10 * Math.max(1, mine.obj));
        if (c.family === 'binomial') {
          // grpreg's logistic local coordinate descent (src/lcdfit_glm.c) starts each group's local
          // approximation from the inner penalties at a_j/v (v = 1/4) but updates it at b_j, so its
          // points are not stationary for the stated objective (its KKT distance is shown here),
          // and objectives can only agree roughly; ours are stationary (checked above).
          const theirs = naiveBilevel(X, c.y, c.coef[k], c.intercept[k], lists, c.family, c.penalty, c.lambda[k], c.gamma, c.tau, ones);
          expect(Math.abs(theirs.obj - c.objective[k])).toBeLessThan(1e-9 * c.objective[k]);
          if (k > 0) expect(theirs.kkt, `${c.name} λ #${k}`).toBeGreaterThan(1e-3);
          expect(Math.abs(mine.obj - c.objective[k]), `${c.name} λ #${k}`).toBeLessThan(0.02 * c.objective[k]);
          if (JSON.stringify(path.activeGroups[k]) === JSON.stringify(c.selected[k])) sameSelection++;
          continue;
        }
        // grpreg's point is a stationary point of the same objective: both must agree.
        expect(Math.abs(mine.obj - c.objective[k]), `${c.name} λ #${k}: ${mine.obj} vs ${c.objective[k]}`).toBeLessThan(1e-6 * c.objective[k]);
        expect(path.activeGroups[k], `${c.name} λ #${k}`).toEqual(c.selected[k]);
        const scale = Math.max(1, ...c.coef[k].map(Math.abs));
        for (let j = 0; j < c.p; j++) expect(Math.abs(path.coefs[k][j] - c.coef[k][j]), `${c.name} λ #${k} j ${j}`).toBeLessThan(1e-4 * scale);
        // Bi-level: a selected group with a zero member somewhere along the path.
        if (path.activeGroups[k].some((g) => lists[g].some((j) => path.coefs[k][j] === 0))) bilevelSeen = true;
      }
      expect(c.selected[0]).toEqual([]);
      expect(c.selected[c.selected.length - 1].length).toBeGreaterThan(2);
      if (c.family === 'binomial') expect(sameSelection).toBeGreaterThanOrEqual(0.8 * c.lambda.length);
      else expect(bilevelSeen).toBe(true);
    });
  }
});

describe('bi-level penalties', () => {
  it('the block prox returns a stationary point of (L/2)‖θ − v‖² + P_g(θ) no worse than a grid search, and keeps 0 at 0', () => {
    const gs = makeGroups([[0, 1]], 2);
    const rng = new Random(3);
    for (const [name, params] of [['cMCP', { gamma: 3 }], ['cMCP', { gamma: 1.5 }], ['gel', { tau: 1 / 3 }], ['gel', { tau: 0.9 }]] as const) {
      const pen = getPenalty(name)!.create(gs, 0.4, params);
      const l = 0.4 * Math.SQRT2;
      for (const L of [1, 2.5]) {
        for (let trial = 0; trial < 12; trial++) {
          const v = Float64Array.from(rng.normals(2), (x) => x * (trial % 3) * l);
          const out = v.slice();
          pen.groupProx(out, 2, 0, 1 / L);
          const gamma = 'gamma' in params ? params.gamma : 0;
          const tau = 'tau' in params ? params.tau : 0;
          const h = (t: number[]) => 0.5 * L * ((t[0] - v[0]) ** 2 + (t[1] - v[1]) ** 2) + block(name, t, l, gamma, tau).value;
          // A naive oracle: a grid over the box that holds every minimizer (|θ_j| ≤ |v_j|).
          let best = Infinity;
          const N = 150;
          for (let a = 0; a <= N; a++) {
            for (let b = 0; b <= N; b++) best = Math.min(best, h([(v[0] * a) / N, (v[1] * b) / N]));
          }
          const got = h(Array.from(out));
          expect(got, `${name} L=${L} v=${Array.from(v)}`).toBeLessThanOrEqual(best + 1e-9);
          // Stationarity of the block problem: L(v − θ) ∈ ∂P_g(θ).
          const rate = block(name, Array.from(out), l, gamma, tau).rate;
          for (let j = 0; j < 2; j++) {
            const r = L * (v[j] - out[j]);
            if (out[j] !== 0) expect(Math.abs(r - rate[j] * Math.sign(out[j]))).toBeLessThan(1e-10);
            else expect(Math.abs(r)).toBeLessThanOrEqual(rate[j] + 1e-12);
          }
          if (v[0] === 0 && v[1] === 0) expect(Array.from(out)).toEqual([0, 0]);
        }
      }
    }
  });

  it('refuses γ ≤ 1 for cMCP, τ outside (0, 1] for gel, and each other\'s parameter', () => {
    const pr = randomProblem(3, 40, [2, 3], 'squared');
    const base = { groups: pr.groups, lambda: 0.1 };
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, penalty: 'cMCP', gamma: 1 })).toThrow(/fitGroupLasso: gamma must be greater than 1 for the composite MCP penalty, got 1/);
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, penalty: 'cMCP', gamma: 0.3 })).toThrow(ValueError);
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, penalty: 'cMCP', gamma: Number.POSITIVE_INFINITY })).toThrow(/gamma must be a finite number/);
    for (const tau of [0, -0.5, 1.5]) {
      expect(() => fitGroupLasso(pr.X, pr.y, { ...base, penalty: 'gel', tau })).toThrow(/tau must be in \(0, 1\] for the group exponential lasso/);
    }
    expect(() => groupLassoPath(pr.X, pr.y, { groups: pr.groups, penalty: 'gel', tau: Number.NaN })).toThrow(/tau must be a finite number/);
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, penalty: 'gel', gamma: 3 })).toThrow(/gamma is not a parameter of the gel penalty/);
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, penalty: 'cMCP', tau: 0.3 })).toThrow(/tau is not a parameter of the cMCP penalty/);
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, tau: 0.3 })).toThrow(/tau is not a parameter of the groupLasso penalty/);
    expect(() => new GroupLasso({ groups: pr.groups, penalty: 'cMCP', gamma: 0.9, lambda: 0.1 }).fit(pr.X, pr.y)).toThrow(/greater than 1/);
  });

  it('cross-validation and the estimator run cMCP and gel paths, their fits stationary, warm-started from λ_max', () => {
    const pr = randomProblem(12, 90, [3, 2, 4, 3, 2, 3], 'squared');
    for (const [penalty, params] of [['cMCP', {}], ['gel', { tau: 0.5 }]] as const) {
      const cv = cvGroupLasso(pr.X, pr.y, { groups: pr.groups, penalty, ...params, nLambda: 12, nFolds: 3, seed: 2 });
      expect(cv.path.penalty).toBe(penalty);
      expect(cv.notConverged).toBe(0);
      expect(cv.path.activeGroups[0]).toEqual([]);
      for (const c of cv.path.certificates) expect(c.kktViolation).toBeLessThanOrEqual(1e-8);
      const m = new GroupLasso({ groups: pr.groups, penalty, ...params, standardize: false, lambdas: cv.path.lambdas, criterion: 'bic' }).fit(pr.X, pr.y);
      for (let k = 0; k < cv.path.lambdas.length; k++) expect(m.path!.activeGroups[k]).toEqual(cv.path.activeGroups[k]);
    }
  });
});
