import { describe, expect, it } from 'vitest';
import {
  DenseMatrix, fitGroupLasso, fitOverlappingGroupLasso, GroupError, LatentDesign, makeGroups, OptionError, ShapeError,
  ValueError,
} from '../src/index.ts';
import { duplicate, irlsPlain, makeData, norm, plainObjective, squaredGradient } from './overlap-helpers.ts';

const chain = [[0, 1, 2], [2, 3, 4], [4, 5, 6]];

describe('LatentDesign (X·P without building it)', () => {
  const d = makeData(1, 9, [0, 0, 0, 0, 0, 0, 0]);
  const X = DenseMatrix.fromRows(d.X);
  const groups = [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 0]];
  const gs = makeGroups(groups, 7, { allowOverlap: true });
  const op = new LatentDesign(X, gs);
  const { Xd } = duplicate(d.X, groups);
  const D = DenseMatrix.fromRows(Xd);
  const v = Float64Array.from({ length: op.cols }, (_, k) => Math.sin(k + 1));
  const r = Float64Array.from({ length: 9 }, (_, i) => Math.cos(i + 2));

  it('has the duplicated shape: n × Σ_g p_g', () => {
    expect(op.rows).toBe(9);
    expect(op.cols).toBe(11);
  });

  it('apply and applyTranspose equal products with the explicit duplicate', () => {
    const a = new Float64Array(9);
    const b = new Float64Array(9);
    op.apply(v, a);
    D.apply(v, b);
    for (let i = 0; i < 9; i++) expect(a[i]).toBeCloseTo(b[i], 12);
    const at = new Float64Array(11);
    const bt = new Float64Array(11);
    op.applyTranspose(r, at);
    D.applyTranspose(r, bt);
    for (let k = 0; k < 11; k++) expect(at[k]).toBeCloseTo(bt[k], 12);
  });

  it('column access delegates to X: dot, axpy, normSq, dotBlock, axpyBlock (identity and arbitrary index lists)', () => {
    const cols = op.columns!;
    expect(cols).toBeDefined();
    for (let k = 0; k < 11; k++) {
      expect(cols.dot(k, r)).toBeCloseTo(D.columns.dot(k, r), 12);
      expect(cols.normSq(k)).toBeCloseTo(D.columns.normSq(k), 12);
    }
    const y1 = r.slice();
    const y2 = r.slice();
    cols.axpy(5, 0.7, y1);
    D.columns.axpy(5, 0.7, y2);
    expect(Array.from(y1)).toEqual(Array.from(y2));
    const lat = op.latentGroups;
    const out1 = new Float64Array(3);
    const out2 = new Float64Array(3);
    cols.dotBlock(lat.indices, lat.ptr[1], lat.ptr[2], r, out1);
    D.columns.dotBlock(lat.indices, lat.ptr[1], lat.ptr[2], r, out2);
    expect(Array.from(out1)).toEqual(Array.from(out2));
    const idx = Int32Array.from([10, 3, 7]);
    cols.dotBlock(idx, 0, 3, r, out1);
    D.columns.dotBlock(idx, 0, 3, r, out2);
    for (let k = 0; k < 3; k++) expect(out1[k]).toBeCloseTo(out2[k], 12);
    const coef = Float64Array.from([0.5, -2, 1.5]);
    const z1 = r.slice();
    const z2 = r.slice();
    cols.axpyBlock(idx, 0, 3, coef, z1);
    D.columns.axpyBlock(idx, 0, 3, coef, z2);
    for (let i = 0; i < 9; i++) expect(z1[i]).toBeCloseTo(z2[i], 12);
  });

  it('latent groups are the disjoint consecutive blocks with the original weights', () => {
    const lat = op.latentGroups;
    expect(lat.overlapping).toBe(false);
    expect(Array.from(lat.ptr)).toEqual([0, 3, 6, 9, 11]);
    expect(Array.from(lat.weights)).toEqual(Array.from(gs.weights));
  });

  it('a matrix-free X gives a matrix-free latent operator (no columns)', () => {
    const mf = { rows: X.rows, cols: X.cols, apply: X.apply.bind(X), applyTranspose: X.applyTranspose.bind(X) };
    expect(new LatentDesign(mf, gs).columns).toBeUndefined();
  });
});

describe('disjoint groups: both modes reduce to the ordinary group lasso', () => {
  const d = makeData(2, 60, [1, -1, 0, 0, 0.5, 0.5, 0, 0]);
  const groups = [[0, 1], [2, 3], [4, 5, 6], [7]];
  for (const lambda of [0.05, 0.2]) {
    it(`λ = ${lambda}: same coefficients (1e-7) and active groups as fitGroupLasso`, () => {
      const ref = fitGroupLasso(d.X, d.y, { groups, lambda, tol: 1e-13 });
      expect(ref.converged).toBe(true);
      for (const mode of ['latent', 'consensus'] as const) {
        const f = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode, tol: 1e-13 });
        expect(f.converged).toBe(true);
        for (let j = 0; j < d.p; j++) expect(Math.abs(f.coef[j] - ref.coef[j])).toBeLessThan(1e-7);
        expect(Math.abs(f.intercept - ref.intercept)).toBeLessThan(1e-7);
        expect(f.activeGroups).toEqual(ref.activeGroups);
        expect(Math.abs(f.objective - ref.objective)).toBeLessThan(1e-10 * ref.objective);
      }
    });
  }

  it('logistic loss: the same reduction', () => {
    const y = d.y.map((v) => (v > 0.5 ? 1 : 0));
    const ref = fitGroupLasso(d.X, y, { groups, lambda: 0.02, loss: 'logistic', tol: 1e-13 });
    for (const mode of ['latent', 'consensus'] as const) {
      const f = fitOverlappingGroupLasso(d.X, y, { groups, lambda: 0.02, mode, loss: 'logistic', tol: 1e-12 });
      expect(f.converged).toBe(true);
      // A relative gap of 1e-12 bounds the objective's error; the coefficients' error is of its
      // square root (the objective is quadratic near the optimum).
      expect(Math.abs(f.objective - ref.objective)).toBeLessThan(1e-12 * ref.objective);
      for (let j = 0; j < d.p; j++) expect(Math.abs(f.coef[j] - ref.coef[j])).toBeLessThan(1e-5);
      expect(f.activeGroups).toEqual(ref.activeGroups);
    }
  });
});

describe('latent group lasso', () => {
  const d = makeData(3, 80, [1, -1, 1, -1, 1, 0, 0, 0, 0.5]);
  const groups = [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8, 0], [8, 1]];
  const lambda = 0.08;
  const fit = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, tol: 1e-12 });

  it('converges with a certificate', () => {
    expect(fit.converged).toBe(true);
    expect(fit.mode).toBe('latent');
    expect(fit.relativeGap).toBeLessThanOrEqual(1e-12);
  });

  it('w equals the sum of its latent parts, each supported on its group', () => {
    const latent = fit.latent!;
    const sum = new Float64Array(d.p);
    for (let g = 0; g < groups.length; g++) {
      const part = latent.dense(g);
      for (let j = 0; j < d.p; j++) {
        if (!groups[g].includes(j)) expect(part[j]).toBe(0);
        sum[j] += part[j];
      }
      expect(Array.from(latent.members(g))).toEqual(groups[g]);
    }
    for (let j = 0; j < d.p; j++) expect(fit.coef[j]).toBeCloseTo(sum[j], 14);
    expect(Array.from(latent.sum())).toEqual(Array.from(fit.coef));
  });

  it('KKT holds in the latent space, checked from scratch (Xᵀ∇F naively, per latent group)', () => {
    const { grad, r } = squaredGradient(d, fit.coef, fit.intercept);
    // The latent gradient of block g is ∇F restricted to g's members (duplicated columns).
    const tol = 1e-5;
    for (let g = 0; g < groups.length; g++) {
      const gg = groups[g].map((j) => grad[j]);
      const vg = Array.from(fit.latent!.part(g));
      const vn = norm(vg);
      const dg = Math.sqrt(groups[g].length);
      if (vn > 0) {
        // ∇_g + λ d_g v_g/‖v_g‖ = 0
        const res = gg.map((x, k) => x + (lambda * dg * vg[k]) / vn);
        expect(norm(res)).toBeLessThan(tol);
      } else {
        expect(norm(gg)).toBeLessThanOrEqual(lambda * dg * (1 + 1e-6));
      }
    }
    // Intercept: residuals sum to zero.
    expect(Math.abs(r.reduce((s, v) => s + v, 0)) / d.n).toBeLessThan(1e-8);
    expect(fit.kktViolation).toBeLessThan(tol);
  });

  it('matches fitGroupLasso on the explicitly duplicated design (1e-8 relative objective, same groups)', () => {
    const { Xd, blocks } = duplicate(d.X, groups);
    const ref = fitGroupLasso(Xd, d.y, { groups: blocks, lambda, tol: 1e-12 });
    expect(ref.converged).toBe(true);
    expect(Math.abs(fit.objective - ref.objective) / ref.objective).toBeLessThan(1e-8);
    expect(fit.activeGroups).toEqual(ref.activeGroups);
    // And the objective reported is the latent objective recomputed naively.
    let pen = 0;
    for (let g = 0; g < groups.length; g++) pen += Math.sqrt(groups[g].length) * norm(fit.latent!.part(g));
    const { r } = squaredGradient(d, fit.coef, fit.intercept);
    const naive = r.reduce((s, v) => s + v * v, 0) / (2 * d.n) + lambda * pen;
    expect(Math.abs(naive - fit.objective) / naive).toBeLessThan(1e-12);
  });

  it('any core solver runs on the operator directly: fitGroupLasso(LatentDesign, latent groups) with ISTA and FISTA', () => {
    const design = new LatentDesign(DenseMatrix.fromRows(d.X), makeGroups(groups, d.p, { allowOverlap: true }));
    for (const solver of ['ista', 'fista'] as const) {
      const f = fitGroupLasso(design, d.y, { groups: design.latentGroups, lambda, solver, tol: 1e-10 });
      expect(f.converged).toBe(true);
      expect(Math.abs(f.objective - fit.objective) / fit.objective).toBeLessThan(1e-9);
      expect(f.activeGroups).toEqual(fit.activeGroups);
    }
  });

  it('logistic latent fit matches the duplicated design too', () => {
    const y = d.y.map((v) => (v > 0.5 ? 1 : 0));
    const f = fitOverlappingGroupLasso(d.X, y, { groups, lambda: 0.02, loss: 'logistic', tol: 1e-10 });
    const { Xd, blocks } = duplicate(d.X, groups);
    const ref = fitGroupLasso(Xd, y, { groups: blocks, lambda: 0.02, loss: 'logistic', tol: 1e-10 });
    expect(f.converged && ref.converged).toBe(true);
    expect(Math.abs(f.objective - ref.objective) / ref.objective).toBeLessThan(1e-8);
    expect(f.activeGroups).toEqual(ref.activeGroups);
  });
});

describe('chain of groups {0,1,2}, {2,3,4}, {4,5,6}: latent selects unions, the plain norm zeroes unions', () => {
  // Signal on {0,…,4} (weaker on 4), none on 5 and 6.
  const d = makeData(7, 200, [1, 1, 1, 1, 0.5, 0, 0]);
  const lambda = 0.5;
  const latent = fitOverlappingGroupLasso(d.X, d.y, { groups: chain, lambda, mode: 'latent' });
  const plain = fitOverlappingGroupLasso(d.X, d.y, { groups: chain, lambda, mode: 'consensus' });

  it('latent: selects groups 0 and 1, support = their union {0,1,2,3,4}', () => {
    expect(latent.converged).toBe(true);
    expect(latent.activeGroups).toEqual([0, 1]);
    expect(latent.support).toEqual([0, 1, 2, 3, 4]);
  });

  it('plain norm: group 2 is zeroed, which takes feature 4 with it: support {0,1,2,3} = complement of {4,5,6}', () => {
    expect(plain.converged).toBe(true);
    expect(plain.support).toEqual([0, 1, 2, 3]);
    expect(plain.coef[4]).toBe(0);
    expect(plain.activeGroups).toEqual([0, 1]); // w_g ≠ 0 for groups 0 and 1 (partially, for group 1)
  });

  it('the plain norm never produces the latent support {0,…,4} along a λ grid; the latent norm always does', () => {
    for (const lam of [0.05, 0.2, 0.5]) {
      const pl = fitOverlappingGroupLasso(d.X, d.y, { groups: chain, lambda: lam, mode: 'consensus' });
      const la = fitOverlappingGroupLasso(d.X, d.y, { groups: chain, lambda: lam, mode: 'latent' });
      expect(pl.converged && la.converged).toBe(true);
      // Plain: a zero pattern is a union of groups, so {5, 6} cannot be zero without 4.
      const s = pl.support;
      expect(s.includes(5) || s.includes(6) || !s.includes(4)).toBe(true);
      expect(la.support).toEqual([0, 1, 2, 3, 4]);
    }
  });
});

describe('plain overlapping norm by consensus ADMM', () => {
  const d = makeData(11, 50, [1, -1, 1, 0, 0, 0.7, 0, 0]);
  const groups = [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 0], [1, 5]];
  const lambda = 0.1;

  it('agrees with a second method (reweighted ridge), and its dual bound is below that independent primal', () => {
    const f = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode: 'consensus', tol: 1e-10 });
    expect(f.converged).toBe(true);
    expect(f.solver).toBe('admm');
    const oracle = irlsPlain(d, groups, lambda);
    const naive = plainObjective(d, f.coef, f.intercept, groups, lambda);
    expect(Math.abs(naive - f.objective) / naive).toBeLessThan(1e-12);
    expect(f.objective).toBeLessThanOrEqual(oracle.objective * (1 + 1e-9));
    expect(oracle.objective - f.objective).toBeLessThan(1e-7 * f.objective);
    // Weak duality with a point the library never saw (to rounding: the dual from the polished
    // point equals the optimum to a few ulps).
    expect(f.dualObjective).toBeLessThanOrEqual(oracle.objective * (1 + 1e-14));
    expect(f.objective - f.dualObjective).toBeCloseTo(f.dualityGap, 14);
    for (let j = 0; j < d.p; j++) expect(Math.abs(f.coef[j] - oracle.w[j])).toBeLessThan(1e-3);
  });

  it('the dual value is a lower bound of the primal at arbitrary points (feasibility of the rescaled dual)', () => {
    const f = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode: 'consensus', tol: 1e-4, maxIter: 3 });
    for (let t = 0; t < 20; t++) {
      const w = Array.from({ length: d.p }, (_, j) => Math.sin(7 * t + j) * (t % 3));
      const b = Math.cos(t);
      expect(f.dualObjective).toBeLessThanOrEqual(plainObjective(d, w, b, groups, lambda));
    }
  });

  it('Cholesky (Gram), Cholesky (Woodbury, p > n) and CG w-updates reach the same solution', () => {
    const wide = makeData(12, 12, [1, -1, 1, 0, 0, 0.7, 0, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0, 0]);
    const wg = [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9, 10], [10, 11, 12, 13, 14, 0], [14, 15, 16, 17, 18, 19], [19, 2, 9]];
    const fits = (['cholesky', 'cg'] as const).map((linearSolver) =>
      fitOverlappingGroupLasso(wide.X, wide.y, { groups: wg, lambda: 0.05, mode: 'consensus', linearSolver, tol: 1e-10 }));
    const narrow = (['cholesky', 'cg'] as const).map((linearSolver) =>
      fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode: 'consensus', linearSolver, tol: 1e-10 }));
    for (const [a, b] of [fits, narrow]) {
      expect(a.converged && b.converged).toBe(true);
      expect(a.admm!.wUpdate).toBe('cholesky');
      expect(b.admm!.wUpdate).toBe('cg');
      expect(Math.abs(a.objective - b.objective) / a.objective).toBeLessThan(1e-9);
      expect(a.support).toEqual(b.support);
    }
  });

  it('residual balancing repairs a bad initial ρ; the Cholesky factor is rebuilt once per change of ρ', () => {
    const ref = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode: 'consensus', tol: 1e-9 });
    for (const admmPenalty of [1e-4, 1e4]) {
      const f = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode: 'consensus', tol: 1e-9, admmPenalty, linearSolver: 'cholesky' });
      expect(f.converged).toBe(true);
      expect(f.admm!.admmPenaltyUpdates).toBeGreaterThan(3);
      expect(f.admm!.linearWork).toBe(1 + f.admm!.admmPenaltyUpdates);
      // ρ moved towards the scale where the residuals balance.
      expect(Math.abs(Math.log(f.admm!.admmPenalty / ref.admm!.admmPenalty))).toBeLessThan(Math.abs(Math.log(admmPenalty / ref.admm!.admmPenalty)));
      expect(Math.abs(f.objective - ref.objective) / ref.objective).toBeLessThan(1e-8);
      expect(f.support).toEqual(ref.support);
    }
  });

  it('an iteration cap gives converged: false with an honest certificate (gap ≥ 0, P − D = gap)', () => {
    for (const mode of ['latent', 'consensus'] as const) {
      const f = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode, tol: 1e-14, maxIter: 3 });
      expect(f.converged).toBe(false);
      expect(f.status).toBe('max iterations reached');
      expect(f.dualityGap).toBeGreaterThan(0);
      expect(f.objective - f.dualObjective).toBeCloseTo(f.dualityGap, 14);
      expect(f.objective).toBeCloseTo(plainOrLatent(mode, f), 12);
    }
  });

  it('λ ≥ λ_max: w = 0 is certified without iterating; λ = 0: least squares', () => {
    const big = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda: 100, mode: 'consensus' });
    expect(big.converged).toBe(true);
    expect(big.iterations).toBe(0);
    expect(big.support).toEqual([]);
    const ym = d.y.reduce((s, v) => s + v, 0) / d.n;
    expect(big.intercept).toBeCloseTo(ym, 12);
    const ols = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda: 0, mode: 'consensus' });
    const { grad } = squaredGradient(d, ols.coef, ols.intercept);
    expect(norm(grad)).toBeLessThan(1e-12);
  });

  it('logistic and Poisson: converged certificates, dual below the primal at the latent solution', () => {
    const yl = d.y.map((v) => (v > 0 ? 1 : 0));
    const yp = d.y.map((v) => Math.round(Math.exp(v / 2)));
    for (const [loss, y] of [['logistic', yl], ['poisson', yp]] as const) {
      const f = fitOverlappingGroupLasso(d.X, y, { groups, lambda: 0.02, mode: 'consensus', loss });
      expect(f.converged).toBe(true);
      expect(f.admm!.wUpdate).toBe('newton-cg');
      expect(f.relativeGap).toBeLessThanOrEqual(1e-6);
      // The plain objective at any other point (here: the refitted latent solution) is ≥ the dual.
      const la = fitOverlappingGroupLasso(d.X, y, { groups, lambda: 0.02, mode: 'latent', loss });
      const other = fitOverlappingGroupLasso(d.X, y, { groups, lambda: 0.02, mode: 'consensus', loss, maxIter: 1 });
      expect(f.dualObjective).toBeLessThanOrEqual(other.objective + 1e-15);
      expect(la.converged).toBe(true);
    }
  });
});

/** The objective a fit reports, recomputed naively from its coefficients (plain) or parts (latent). */
function plainOrLatent(mode: 'latent' | 'consensus', f: ReturnType<typeof fitOverlappingGroupLasso>): number {
  const d = makeData(11, 50, [1, -1, 1, 0, 0, 0.7, 0, 0]);
  const groups = [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 0], [1, 5]];
  if (mode === 'consensus') return plainObjective(d, f.coef, f.intercept, groups, f.lambda);
  const { r } = squaredGradient(d, f.coef, f.intercept);
  let pen = 0;
  for (let g = 0; g < groups.length; g++) pen += Math.sqrt(groups[g].length) * norm(f.latent!.part(g));
  return r.reduce((s, v) => s + v * v, 0) / (2 * d.n) + f.lambda * pen;
}

describe('variables in no group', () => {
  const d = makeData(5, 40, [1, 0, -1, 0, 0.8]);
  const groups = [[0, 1], [1, 2]]; // 3 and 4 in no group

  it("refused by default (GroupError naming them), and 'unpenalized' fits them exactly in both modes", () => {
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { groups, lambda: 0.1 })).toThrow(GroupError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { groups, lambda: 0.1 })).toThrow(/3, 4/);
    for (const mode of ['latent', 'consensus'] as const) {
      const f = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda: 10, mode, ungrouped: 'unpenalized' });
      expect(f.converged).toBe(true);
      expect(f.groupNames).toEqual(['g0', 'g1', 'x3', 'x4']);
      // λ huge: the penalized groups vanish, the free features carry the fit (their gradient is 0).
      expect(f.coef[0]).toBe(0);
      expect(f.coef[2]).toBe(0);
      expect(f.coef[4]).not.toBe(0);
      const { grad } = squaredGradient(d, f.coef, f.intercept);
      expect(Math.abs(grad[3])).toBeLessThan(1e-10);
      expect(Math.abs(grad[4])).toBeLessThan(1e-10);
    }
  });
});

describe('a weight-0 group that overlaps penalized ones', () => {
  // Group 0 carries no penalty. Plain norm: features 0 and 1 (only in group 0) are free, feature 2
  // is still charged by group 1. Latent: v_0 is free, so anything on {0, 1, 2} costs nothing.
  const d = makeData(13, 60, [0.2, -0.1, 0.3, 1, 0, 0, 0]);
  const weights = [0, Math.sqrt(3), Math.sqrt(3)];

  it('consensus: free features have zero gradient, the others satisfy the overlap KKT bound', () => {
    const f = fitOverlappingGroupLasso(d.X, d.y, { groups: chain, lambda: 0.3, mode: 'consensus', weights, tol: 1e-10 });
    expect(f.converged).toBe(true);
    const { grad } = squaredGradient(d, f.coef, f.intercept);
    expect(Math.abs(grad[0])).toBeLessThan(1e-9);
    expect(Math.abs(grad[1])).toBeLessThan(1e-9);
    expect(plainObjective(d, f.coef, f.intercept, chain.slice(1), 0.3)).toBeCloseTo(f.objective, 12);
  });

  it('latent: features of the free group are fitted without penalty', () => {
    const f = fitOverlappingGroupLasso(d.X, d.y, { groups: chain, lambda: 0.3, weights, tol: 1e-10 });
    expect(f.converged).toBe(true);
    const { grad } = squaredGradient(d, f.coef, f.intercept);
    for (const j of [0, 1, 2]) expect(Math.abs(grad[j])).toBeLessThan(1e-6);
    expect(f.latent!.part(0).some((v) => v !== 0)).toBe(true);
  });
});

describe('the caller\'s design is never touched', () => {
  it('number[][] and DenseMatrix inputs are unchanged after both modes', () => {
    const d = makeData(9, 30, [1, 1, 0, 0, 1]);
    const groups = [[0, 1, 2], [2, 3, 4], [4, 0]];
    const rowsCopy = d.X.map((r) => r.slice());
    const M = DenseMatrix.fromRows(d.X);
    const dataCopy = M.data.slice();
    const yCopy = d.y.slice();
    for (const mode of ['latent', 'consensus'] as const) {
      fitOverlappingGroupLasso(d.X, d.y, { groups, lambda: 0.05, mode });
      const f = fitOverlappingGroupLasso(M, d.y, { groups, lambda: 0.05, mode });
      expect(f.coef.length).toBe(5);
    }
    expect(d.X).toEqual(rowsCopy);
    expect(Array.from(M.data)).toEqual(Array.from(dataCopy));
    expect(M.cols).toBe(5);
    expect(d.y).toEqual(yCopy);
  });
});

describe('bad input', () => {
  const d = makeData(4, 20, [1, 0, 0]);
  const base = { groups: [[0, 1], [1, 2]], lambda: 0.1 };
  it('empty group, index out of range, non-integer index', () => {
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, groups: [[0, 1], [], [2]] })).toThrow(GroupError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, groups: [[0, 1], [1, 3]] })).toThrow(ShapeError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, groups: [[0, 1.5], [1, 2]] })).toThrow(GroupError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, groups: [[0, 0, 1], [2]] })).toThrow(/twice/);
  });
  it('unknown mode, option, loss, solver; mode-specific options in the wrong mode', () => {
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, mode: 'lattent' as never })).toThrow(OptionError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, mode: 'lattent' as never })).toThrow(/did you mean 'latent'/);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, lamda: 1 } as never)).toThrow(OptionError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, loss: 'multitask' as never })).toThrow(OptionError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, mode: 'consensus', solver: 'fista' })).toThrow(OptionError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, solver: 'admm' })).toThrow(OptionError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, rho: 1 })).toThrow(OptionError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, mode: 'consensus', rho: -1 })).toThrow(ValueError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, admmPenalty: 1 })).toThrow(OptionError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, mode: 'consensus', admmPenalty: -1 })).toThrow(/admmPenalty/);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, mode: 'consensus', admmPenalty: 1, rho: 1 })).toThrow(/not both/);
  });
  it('rho, the former name of admmPenalty, still sets the same initial ADMM penalty', () => {
    const a = fitOverlappingGroupLasso(d.X, d.y, { ...base, mode: 'consensus', tol: 1e-9, admmPenalty: 1e-3, linearSolver: 'cholesky' });
    const b = fitOverlappingGroupLasso(d.X, d.y, { ...base, mode: 'consensus', tol: 1e-9, rho: 1e-3, linearSolver: 'cholesky' });
    expect(b.admm!.admmPenaltyUpdates).toBe(a.admm!.admmPenaltyUpdates);
    expect(b.admm!.admmPenalty).toBe(a.admm!.admmPenalty);
    expect(b.iterations).toBe(a.iterations);
  });
  it('negative λ, NaN in X, wrong y length, weights of the wrong length', () => {
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, lambda: -1 })).toThrow(ValueError);
    const Xn = d.X.map((r) => r.slice());
    Xn[3][1] = NaN;
    expect(() => fitOverlappingGroupLasso(Xn, d.y, base)).toThrow(ValueError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y.slice(1), base)).toThrow(ShapeError);
    expect(() => fitOverlappingGroupLasso(d.X, d.y, { ...base, weights: [1] })).toThrow(ShapeError);
  });
});
