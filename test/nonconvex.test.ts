import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cvGroupLasso, DenseMatrix, fitGroupLasso, fitSparseGroupLasso, GroupLasso, groupLassoPath, informationCriteria,
  makeGroups, OptionError, Random, ValueError,
} from '../src/index.ts';
import { getPenalty } from '../src/extend.ts';
import { matTVec, matVec, norm } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

/** grpreg's reference paths (scripts/grpreg-nonconvex.R), on designs with centred orthonormal groups. */
interface GrpregCase {
  name: string; penalty: 'grMCP' | 'grSCAD'; gamma: number; n: number; p: number; group: number[];
  X: number[]; y: number[]; lambda: number[]; objective: number[]; selected: number[][]; coef: number[][]; intercept: number[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/grpreg/nonconvex.json', import.meta.url), 'utf8')) as { grpreg: string; cases: GrpregCase[] };

/** The penalties as written in the test (grpreg's definitions), for an independent objective. */
function rho(penalty: string, t: number, l: number, a: number): number {
  if (penalty === 'grMCP') return t <= a * l ? l * t - (t * t) / (2 * a) : (a * l * l) / 2;
  if (t <= l) return l * t;
  if (t <= a * l) return (2 * a * l * t - t * t - l * l) / (2 * (a - 1));
  return (l * l * (a + 1)) / 2;
}
function drho(penalty: string, t: number, l: number, a: number): number {
  if (penalty === 'grMCP') return t < a * l ? l - t / a : 0;
  if (t <= l) return l;
  return t < a * l ? (a * l - t) / (a - 1) : 0;
}

function rows(c: GrpregCase): number[][] {
  return Array.from({ length: c.n }, (_, i) => Array.from({ length: c.p }, (_, j) => c.X[i + j * c.n]));
}

/** Objective and stationarity (from rows) of the squared loss plus Σ_g ρ(‖w_g‖; λ√p_g, γ). */
function naiveNonconvex(X: number[][], y: number[], w: ArrayLike<number>, b: number, groups: number[][], penalty: string, lambda: number, gamma: number) {
  const n = X.length;
  const eta = matVec(X, w).map((e) => e + b);
  const r = eta.map((e, i) => e - y[i]);
  let obj = r.reduce((s, v) => s + v * v, 0) / (2 * n);
  const grad = matTVec(X, r.map((v) => v / n));
  let kkt = Math.abs(r.reduce((s, v) => s + v, 0) / n);
  for (const g of groups) {
    const l = lambda * Math.sqrt(g.length);
    const wn = norm(g.map((j) => w[j]));
    obj += rho(penalty, wn, l, gamma);
    const gn = norm(g.map((j) => grad[j]));
    if (wn === 0) kkt = Math.max(kkt, Math.max(gn - l, 0));
    else kkt = Math.max(kkt, norm(g.map((j) => grad[j] + (drho(penalty, wn, l, gamma) * w[j]) / wn)));
  }
  return { obj, kkt };
}

describe('group MCP and group SCAD against grpreg', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: objective and selected groups per λ match grpreg ${fixture.grpreg}`, () => {
      const X = rows(c);
      const lists = Array.from(new Set(c.group), (g) => c.group.flatMap((h, j) => (h === g ? [j] : [])));
      const path = groupLassoPath(X, c.y, { groups: c.group, penalty: c.penalty, gamma: c.gamma, lambdas: c.lambda, tol: 1e-10 });
      expect(path.penalty).toBe(c.penalty);
      let compared = 0;
      for (let k = 0; k < c.lambda.length; k++) {
        const cert = path.certificates[k];
        // No duality gap exists for a nonconvex penalty; convergence is stationarity.
        expect(Number.isNaN(cert.dualityGap)).toBe(true);
        expect(cert.converged, `${c.name} λ #${k}`).toBe(true);
        const mine = naiveNonconvex(X, c.y, path.coefs[k], path.intercept[k], lists, c.penalty, c.lambda[k], c.gamma);
        expect(mine.kkt).toBeLessThan(1e-8);
        expect(Math.abs(mine.obj - cert.objective)).toBeLessThan(1e-12 * Math.max(1, mine.obj));
        // grpreg's point is a stationary point of the same objective: both must agree.
        expect(Math.abs(mine.obj - c.objective[k]), `${c.name} λ #${k}`).toBeLessThan(1e-6 * c.objective[k]);
        expect(path.activeGroups[k], `${c.name} λ #${k}`).toEqual(c.selected[k]);
        for (let j = 0; j < c.p; j++) expect(Math.abs(path.coefs[k][j] - c.coef[k][j])).toBeLessThan(1e-4);
        compared++;
      }
      expect(compared).toBe(c.lambda.length);
      // Not vacuous: the path goes from no group to several.
      expect(c.selected[0]).toEqual([]);
      expect(c.selected[c.selected.length - 1].length).toBeGreaterThan(2);
    });
  }
});

describe('nonconvex group penalties', () => {
  it('the block prox is the exact minimizer of (L/2)(θ − u)² + ρ(θ), also where it is not convex (γL ≤ 1), and keeps zero groups at zero', () => {
    const gs = makeGroups([[0, 1, 2]], 3);
    for (const name of ['grMCP', 'grSCAD']) {
      const spec = getPenalty(name)!;
      for (const gamma of name === 'grMCP' ? [1.5, 3, 8] : [2.5, 4, 8]) {
        const pen = spec.create(gs, 0.7, { gamma });
        const l = 0.7 * Math.sqrt(3);
        for (const L of [0.1, 0.25, 1, 4]) {
          for (const scale of [0, 0.3, 1, 1.9, 3, 10]) {
            const v = Float64Array.of(0.6, -0.8, 0).map((x) => x * scale * l);
            const u = norm(v);
            const out = v.slice();
            pen.groupProx(out, 3, 0, 1 / L);
            const theta = norm(out);
            const h = (t: number) => 0.5 * L * (t - u) * (t - u) + rho(name, t, l, gamma);
            // Brute force over a fine grid (a naive oracle): the prox is at least as good.
            let best = Infinity;
            for (let i = 0; i <= 20000; i++) best = Math.min(best, h((i / 20000) * (u + 2 * gamma * l + 1)));
            expect(h(theta), `${name} γ=${gamma} L=${L} u=${u}`).toBeLessThanOrEqual(best + 1e-12 * Math.max(1, best));
            // The direction is kept (radial prox).
            if (theta > 0) for (let j = 0; j < 3; j++) expect(out[j] * u).toBeCloseTo(v[j] * theta, 12);
            if (u === 0) expect(out.every((x) => x === 0)).toBe(true);
          }
        }
      }
    }
  });

  it('with one orthonormal group the fit is grpreg\'s firm thresholding of z = X_gᵀy/n', () => {
    const rng = new Random(5);
    const n = 50;
    const Z = Array.from({ length: n }, () => rng.normals(2));
    // Orthonormalize two centred columns by Gram–Schmidt so that X_gᵀX_g/n = I.
    const cols = [0, 1].map((j) => Z.map((r) => r[j]));
    for (const c of cols) {
      const m = c.reduce((a, b) => a + b, 0) / n;
      for (let i = 0; i < n; i++) c[i] -= m;
    }
    const d0 = cols[0].reduce((a, b, i) => a + b * cols[1][i], 0) / cols[0].reduce((a, b) => a + b * b, 0);
    for (let i = 0; i < n; i++) cols[1][i] -= d0 * cols[0][i];
    for (const c of cols) {
      const s = Math.sqrt(c.reduce((a, b) => a + b * b, 0) / n);
      for (let i = 0; i < n; i++) c[i] /= s;
    }
    const X = Array.from({ length: n }, (_, i) => [cols[0][i], cols[1][i]]);
    const y = Array.from({ length: n }, (_, i) => 2 * X[i][0] - X[i][1] + 0.3 * rng.normal());
    const ym = y.reduce((a, b) => a + b, 0) / n;
    const z = matTVec(X, y.map((v) => (v - ym) / n));
    const zn = norm(z);
    for (const [penalty, gamma] of [['grMCP', 3], ['grSCAD', 4]] as const) {
      for (const frac of [0.2, 0.5, 0.9, 1.2]) {
        const lambda = (frac * zn) / Math.sqrt(2);
        const l = lambda * Math.sqrt(2);
        // grpreg's F (MCP) and Fs (SCAD), src/grpreg_init.c.
        const len = penalty === 'grMCP'
          ? zn <= l ? 0 : zn <= gamma * l ? (zn - l) / (1 - 1 / gamma) : zn
          : zn <= l ? 0 : zn <= 2 * l ? zn - l : zn <= gamma * l ? (zn - (gamma * l) / (gamma - 1)) / (1 - 1 / (gamma - 1)) : zn;
        const fit = fitGroupLasso(X, y, { groups: [0, 0], penalty, gamma, lambda, tol: 1e-12, stopOn: 'kkt' });
        expect(fit.converged).toBe(true);
        expect(fit.penalty).toBe(penalty);
        for (let j = 0; j < 2; j++) expect(fit.coef[j]).toBeCloseTo((len * z[j]) / zn, 9);
      }
    }
  });

  it('refuses γ ≤ 1 for MCP, γ ≤ 2 for SCAD, and parameters a penalty does not take', () => {
    const pr = randomProblem(3, 40, [2, 3], 'squared');
    const base = { groups: pr.groups, lambda: 0.1 };
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, penalty: 'grMCP', gamma: 1 })).toThrow(/gamma must be greater than 1 for the MCP penalty, got 1/);
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, penalty: 'grMCP', gamma: 0.5 })).toThrow(ValueError);
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, penalty: 'grSCAD', gamma: 2 })).toThrow(/gamma must be greater than 2 for the SCAD penalty/);
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, penalty: 'grSCAD', gamma: Number.NaN })).toThrow(/gamma must be a finite number/);
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, gamma: 3 })).toThrow(/gamma is not a parameter of the groupLasso penalty/);
    expect(() => groupLassoPath(pr.X, pr.y, { groups: pr.groups, penalty: 'grMCP', alpha: 0.5 })).toThrow(/alpha is not a parameter of the grMCP penalty/);
    expect(() => fitGroupLasso(pr.X, pr.y, { ...base, penalty: 'grMPC' as never })).toThrow(OptionError);
    expect(() => new GroupLasso({ groups: pr.groups, penalty: 'grSCAD', gamma: 1.5, lambda: 0.1 }).fit(pr.X, pr.y)).toThrow(/greater than 2/);
  });

  it('cross-validation, information criteria and the estimator run the MCP path, and their fits are stationary', () => {
    const pr = randomProblem(8, 90, [3, 2, 4, 3, 2, 3], 'squared');
    const cv = cvGroupLasso(pr.X, pr.y, { groups: pr.groups, penalty: 'grMCP', nLambda: 15, nFolds: 4, seed: 2 });
    expect(cv.path.penalty).toBe('grMCP');
    expect(cv.notConverged).toBe(0);
    for (const c of cv.path.certificates) {
      expect(c.converged).toBe(true);
      expect(c.kktViolation).toBeLessThanOrEqual(1e-8);
    }
    const ic = informationCriteria(cv.path, pr.X, pr.y);
    expect(ic.bic.length).toBe(cv.path.lambdas.length);
    // The estimator on the raw design (standardize: false) with the same grid gives the same path.
    const m = new GroupLasso({ groups: pr.groups, penalty: 'grMCP', standardize: false, criterion: 'bic', lambdas: cv.path.lambdas }).fit(pr.X, pr.y);
    for (let k = 0; k < cv.path.lambdas.length; k++) {
      expect(m.path!.activeGroups[k]).toEqual(cv.path.activeGroups[k]);
      for (let j = 0; j < pr.X[0].length; j++) expect(Math.abs(m.path!.coefs[k][j] - cv.path.coefs[k][j])).toBeLessThan(1e-6);
    }
    expect(m.lambda).toBe(cv.path.lambdas[ic.best.bic]);
  });

  it('MCP is less biased than the group lasso: strong groups are not shrunk beyond γλ', () => {
    const pr = randomProblem(21, 200, [2, 2, 2, 2], 'squared');
    const X = new DenseMatrix(200, 8);
    for (let i = 0; i < 200; i++) for (let j = 0; j < 8; j++) X.set(i, j, pr.X[i][j]);
    const lasso = fitGroupLasso(X, pr.y, { groups: pr.groups, lambda: 0.05 });
    const ols = fitGroupLasso(X, pr.y, { groups: pr.groups, lambda: 0 });
    const mcp = fitGroupLasso(X, pr.y, { groups: pr.groups, lambda: 0.05, penalty: 'grMCP', gamma: 3, stopOn: 'kkt', tol: 1e-10 });
    expect(mcp.converged).toBe(true);
    // Every group with ‖w_g‖ well above γλd_g: MCP leaves it where least squares puts it (up to
    // the correlation with shrunken groups), the lasso shrinks it.
    const dist = (a: Float64Array, b: Float64Array) => norm(Array.from(a, (v, j) => v - b[j]));
    expect(dist(mcp.coef, ols.coef)).toBeLessThan(0.5 * dist(lasso.coef, ols.coef));
  });
});

describe('sparse-group lasso along a path', () => {
  it('each λ of the path (strong rules on) is the sparse-group fit at that λ, and cross-validation runs on it', () => {
    const pr = randomProblem(4, 70, [3, 1, 4, 2, 2, 5], 'squared');
    const path = groupLassoPath(pr.X, pr.y, { groups: pr.groups, penalty: 'sparseGroupLasso', alpha: 0.3, nLambda: 12 });
    expect(path.penalty).toBe('sparseGroupLasso');
    expect(path.activeGroups[0]).toEqual([]);
    for (let k = 0; k < path.lambdas.length; k++) {
      const f = fitSparseGroupLasso(pr.X, pr.y, { groups: pr.groups, alpha: 0.3, lambda: path.lambdas[k], tol: 1e-10 });
      expect(path.certificates[k].converged).toBe(true);
      expect(Math.abs(path.certificates[k].objective - f.objective)).toBeLessThan(1e-7 * f.objective);
      expect(path.activeGroups[k]).toEqual(f.activeGroups);
    }
    // The ℓ1 part zeroes single coefficients inside active groups somewhere along the path.
    const inside = path.coefs.some((c, k) => path.activeGroups[k].some((g) => pr.groups[g].some((j) => c[j] === 0)));
    expect(inside).toBe(true);
    const cv = cvGroupLasso(pr.X, pr.y, { groups: pr.groups, penalty: 'sparseGroupLasso', alpha: 0.3, nLambda: 12, nFolds: 3 });
    expect(cv.notConverged).toBe(0);
    expect(cv.lambdaMin).toBeGreaterThan(0);
  });
});
