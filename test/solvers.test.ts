import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Matrix } from 'ml-matrix';
import {
  DenseMatrix, fitGroupLasso, fitSparseGroupLasso, lambdaMax, proxGroupLasso, Random, type FitResult,
} from '../src/index.ts';
import { checkedKktScale, lossAndDeriv, matTVec, matVec, naiveCheck, naiveSquaredGroupLasso, norm } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

const LOSSES = ['squared', 'logistic', 'poisson'] as const;

/** Random problem parameters for fast-check: loss, seed, sizes, λ as a fraction of λ_max. */
const problemArb = fc.record({
  loss: fc.constantFrom(...LOSSES),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  n: fc.integer({ min: 15, max: 60 }),
  sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 6 }),
  ratio: fc.double({ min: 0.02, max: 0.95, noNaN: true }),
  solver: fc.constantFrom('ista' as const, 'fista' as const),
  intercept: fc.boolean(),
});

describe('λ_max (property 4)', () => {
  it('λ ≥ λ_max gives exactly zero coefficients; just below it does not', () => {
    fc.assert(
      fc.property(problemArb, ({ loss, seed, n, sizes, intercept }) => {
        const P = randomProblem(seed, n, sizes, loss);
        const opts = { groups: P.groups, loss, fitIntercept: intercept };
        const lm = lambdaMax(P.X, P.y, opts);
        // independent λ_max: max_g ‖X_gᵀ∇F(η₀)‖/d_g with η₀ the intercept-only fit
        expect(lm).toBeGreaterThan(0);
        for (const f of [1, 1.5]) {
          const fit = fitGroupLasso(P.X, P.y, { ...opts, lambda: lm * f, tol: 1e-10 });
          expect(fit.converged).toBe(true);
          expect(Array.from(fit.coef).every((c) => c === 0)).toBe(true);
          expect(fit.activeGroups).toEqual([]);
        }
        const below = fitGroupLasso(P.X, P.y, { ...opts, lambda: lm * (1 - 1e-4), tol: 1e-12 });
        expect(below.activeGroups.length).toBeGreaterThan(0);
      }),
      { numRuns: 40 },
    );
  });

  it('matches the closed form max_g ‖X_gᵀ(y − ȳ)‖/(n d_g) for the squared loss', () => {
    const P = randomProblem(7, 40, [2, 3, 1, 4]);
    const n = P.X.length;
    const ybar = P.y.reduce((a, b) => a + b, 0) / n;
    const g = matTVec(P.X, P.y.map((v) => v - ybar));
    const ref = Math.max(...P.groups.map((G, k) => norm(G.map((j) => g[j])) / (n * P.weights[k])));
    expect(lambdaMax(P.X, P.y, { groups: P.groups })).toBeCloseTo(ref, 12);
  });
});

function expectCertified(fit: FitResult, P: ReturnType<typeof randomProblem>, loss: (typeof LOSSES)[number], lambda: number, intercept: boolean, tol: number): void {
  const chk = naiveCheck(P.X, P.y, fit.coef, fit.intercept, P.groups, P.weights, lambda, loss, intercept);
  // The reported objective is the objective of the returned point.
  expect(Math.abs(chk.objective - fit.objective)).toBeLessThanOrEqual(1e-12 * Math.max(1, chk.objective));
  // The reported KKT violation is the one recomputed from rows.
  expect(Math.abs(chk.kkt - fit.kktViolation)).toBeLessThanOrEqual(1e-9 * (1 + lambda));
  expect(fit.relativeGap).toBeLessThanOrEqual(tol);
  expect(fit.dualityGap).toBeLessThanOrEqual(tol * fit.objective + 1e-13 * Math.max(1, fit.objective));
  // Independent dual bound at the returned point: θu with u = ∇F(η), θ = min(1, λ/max_g ‖X_gᵀu‖/d_g).
  const eta = matVec(P.X, fit.coef).map((e) => e + fit.intercept);
  const { d } = lossAndDeriv(loss, P.y, eta);
  const grad = matTVec(P.X, d);
  const s = Math.max(...P.groups.map((G, k) => norm(G.map((j) => grad[j])) / P.weights[k]));
  const theta = s > lambda ? lambda / s : 1;
  const n = P.y.length;
  let D = 0;
  for (let i = 0; i < n; i++) {
    const u = theta * d[i];
    if (loss === 'squared') D += -u * P.y[i] - (n / 2) * u * u;
    else if (loss === 'logistic') {
      const t = n * u + P.y[i];
      D -= ((t > 0 ? t * Math.log(t) : 0) + (t < 1 ? (1 - t) * Math.log(1 - t) : 0)) / n;
    } else {
      const t = n * u + P.y[i];
      let lg = 0;
      for (let k = 2; k <= P.y[i]; k++) lg += Math.log(k);
      D -= ((t > 0 ? t * Math.log(t) : 0) - t - lg) / n;
    }
  }
  // Any feasible dual point bounds the optimum from below, so this gap is ≥ the true suboptimality.
  expect(D).toBeLessThanOrEqual(chk.objective + 1e-12 * Math.max(1, chk.objective));
}

describe('certified solutions (property 5)', () => {
  it('every converged fit certifies its duality gap, and its reported KKT violation is the true one', () => {
    fc.assert(
      fc.property(problemArb, ({ loss, seed, n, sizes, ratio, solver, intercept }) => {
        const P = randomProblem(seed, n, sizes, loss);
        const opts = { groups: P.groups, loss, fitIntercept: intercept };
        const lambda = ratio * lambdaMax(P.X, P.y, opts);
        const tol = 1e-10;
        const fit = fitGroupLasso(P.X, P.y, { ...opts, lambda, solver, tol, maxIter: 50_000 });
        if (!fit.converged) {
          expect(fit.status).not.toBe('converged');
          return;
        }
        expectCertified(fit, P, loss, lambda, intercept, tol);
      }),
      { numRuns: 60 },
    );
  });

  it("with stopOn: 'both', converged fits satisfy the KKT conditions (from rows) and the gap", () => {
    fc.assert(
      fc.property(problemArb, ({ loss, seed, n, sizes, ratio, solver, intercept }) => {
        const P = randomProblem(seed, n, sizes, loss);
        const opts = { groups: P.groups, loss, fitIntercept: intercept };
        const lambda = ratio * lambdaMax(P.X, P.y, opts);
        const tol = 1e-9;
        const fit = fitGroupLasso(P.X, P.y, { ...opts, lambda, solver, tol, stopOn: 'both', maxIter: 50_000 });
        if (!fit.converged) {
          expect(fit.status).not.toBe('converged');
          return;
        }
        expectCertified(fit, P, loss, lambda, intercept, tol);
        // zero groups: ‖∇_g‖ ≤ λd_g; nonzero groups: ∇_g + λd_g w_g/‖w_g‖ = 0 (to tol)
        const chk = naiveCheck(P.X, P.y, fit.coef, fit.intercept, P.groups, P.weights, lambda, loss, intercept);
        // The KKT tolerance is relative to the problem's gradient scale (bounded independently).
        const kt = tol * checkedKktScale(fit, P.X, P.y, loss) * (1 + 1e-6) + (fit.status === 'at rounding level' ? fit.roundingFloor.kkt : 0);
        expect(chk.zeroGroupExcess).toBeLessThanOrEqual(kt);
        expect(chk.nonzeroGroupResidual).toBeLessThanOrEqual(kt);
        expect(chk.kkt).toBeLessThanOrEqual(kt);
      }),
      { numRuns: 60 },
    );
  });

  it("with stopOn: 'kkt' the KKT violation recomputed from rows is under tol", () => {
    for (const loss of LOSSES) {
      const P = randomProblem(11, 50, [3, 2, 4, 1], loss);
      const opts = { groups: P.groups, loss };
      const lambda = 0.2 * lambdaMax(P.X, P.y, opts);
      const fit = fitGroupLasso(P.X, P.y, { ...opts, lambda, stopOn: 'kkt', tol: 1e-9, solver: 'fista' });
      expect(fit.converged).toBe(true);
      const chk = naiveCheck(P.X, P.y, fit.coef, fit.intercept, P.groups, P.weights, lambda, loss, true);
      expect(chk.kkt).toBeLessThanOrEqual(1e-9 * checkedKktScale(fit, P.X, P.y, loss) * (1 + 1e-6));
    }
  });

  it('an iteration cap gives converged: false with a reason, never a claimed solution', () => {
    const P = randomProblem(5, 60, [3, 3, 3, 3], 'logistic');
    const lambda = 0.01 * lambdaMax(P.X, P.y, { groups: P.groups, loss: 'logistic' });
    const fit = fitGroupLasso(P.X, P.y, { groups: P.groups, loss: 'logistic', lambda, maxIter: 2, tol: 1e-12, solver: 'ista' });
    expect(fit.converged).toBe(false);
    expect(fit.status).toMatch(/max iterations/);
    expect(fit.relativeGap).toBeGreaterThan(1e-12);
    expect(Number.isFinite(fit.objective)).toBe(true);
  });
});

describe('closed form and agreement (property 6)', () => {
  /** n × p design with XᵀX/n = I and Xᵀ1 = 0 (Gram–Schmidt against the constant). */
  function orthonormalDesign(seed: number, n: number, p: number): number[][] {
    const rng = new Random(seed);
    const cols: number[][] = [new Array<number>(n).fill(1 / Math.sqrt(n))];
    while (cols.length < p + 1) {
      const v = Array.from({ length: n }, () => rng.normal());
      for (let pass = 0; pass < 2; pass++) {
        for (const q of cols) {
          const a = q.reduce((s, x, i) => s + x * v[i], 0);
          for (let i = 0; i < n; i++) v[i] -= a * q[i];
        }
      }
      const nv = norm(v);
      cols.push(v.map((x) => x / nv));
    }
    return Array.from({ length: n }, (_, i) => cols.slice(1).map((c) => c[i] * Math.sqrt(n)));
  }

  it('with XᵀX/n = I the solution is prox_{λΩ}(Xᵀy/n); ISTA and FISTA reproduce it and agree', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0.05, max: 1.2, noNaN: true }),
        (seed, sizes, ratio) => {
          const p = sizes.reduce((a, b) => a + b, 0);
          const n = p + 8;
          const X = orthonormalDesign(seed, n, p);
          const rng = new Random(seed + 1);
          const y = Array.from({ length: n }, () => 2 + rng.normal());
          const groups: number[][] = [];
          let k = 0;
          for (const s of sizes) {
            groups.push([...Array(s).keys()].map((q) => q + k));
            k += s;
          }
          const z = matTVec(X, y).map((v) => v / n);
          const lm = lambdaMax(X, y, { groups });
          const lambda = ratio * lm;
          const closed = proxGroupLasso(z, groups, lambda);
          const ybar = y.reduce((a, b) => a + b, 0) / n;
          // stopOn 'kkt': coefficients are within KKT/μ of the solution (μ = 1 here); a gap tolerance
          // would only bound them by √(2·gap).
          const fits = (['ista', 'fista'] as const).map((solver) => fitGroupLasso(X, y, { groups, lambda, solver, tol: 1e-12, stopOn: 'kkt' }));
          for (const f of fits) {
            expect(f.converged).toBe(true);
            closed.forEach((c, j) => expect(f.coef[j]).toBeCloseTo(c, 9));
            expect(f.intercept).toBeCloseTo(ybar, 9);
          }
          expect(fits[0].activeGroups).toEqual(fits[1].activeGroups);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('agrees with an independent plain proximal-gradient oracle on correlated designs', () => {
    for (const seed of [1, 2, 3]) {
      const P = randomProblem(seed, 40, [3, 2, 4, 2]);
      const lambda = 0.15 * lambdaMax(P.X, P.y, { groups: P.groups });
      const ref = naiveSquaredGroupLasso(P.X, P.y, P.groups, P.weights, lambda, 20_000);
      const refObj = naiveCheck(P.X, P.y, ref.w, ref.b, P.groups, P.weights, lambda, 'squared', true).objective;
      const fit = fitGroupLasso(P.X, P.y, { groups: P.groups, lambda, tol: 1e-12 });
      expect(Math.abs(fit.objective - refObj) / refObj).toBeLessThan(1e-9);
      expect(fit.objective).toBeLessThanOrEqual(refObj * (1 + 1e-12));
      ref.w.forEach((r, j) => expect(fit.coef[j]).toBeCloseTo(r, 5));
    }
  });

  it('ISTA and FISTA agree on logistic and Poisson problems', () => {
    for (const loss of ['logistic', 'poisson'] as const) {
      const P = randomProblem(21, 80, [2, 3, 2, 3], loss);
      const lambda = 0.1 * lambdaMax(P.X, P.y, { groups: P.groups, loss });
      const a = fitGroupLasso(P.X, P.y, { groups: P.groups, loss, lambda, solver: 'ista', tol: 1e-11 });
      const b = fitGroupLasso(P.X, P.y, { groups: P.groups, loss, lambda, solver: 'fista', tol: 1e-11 });
      expect(a.converged && b.converged).toBe(true);
      expect(Math.abs(a.objective - b.objective) / b.objective).toBeLessThan(1e-10);
      expect(a.activeGroups).toEqual(b.activeGroups);
    }
  });
});

describe('unpenalized parts, inputs and formats (property 7)', () => {
  it('inputs are never mutated', () => {
    const P = randomProblem(3, 30, [2, 2, 3]);
    const snap = JSON.stringify(P);
    const Xf = DenseMatrix.fromRows(P.X);
    const before = Xf.data.slice();
    const yf = Float64Array.from(P.y);
    const warm = new Float64Array(7).fill(0.1);
    fitGroupLasso(P.X, P.y, { groups: P.groups, lambda: 0.01 });
    fitGroupLasso(Xf, yf, { groups: P.groups, lambda: 0.01, warmStart: { coef: warm } });
    expect(JSON.stringify(P)).toBe(snap);
    expect(Xf.data).toEqual(before);
    expect(Array.from(yf)).toEqual(P.y);
    expect(Array.from(warm)).toEqual(new Array(7).fill(0.1));
  });

  it('number[][], ml-matrix Matrix and DenseMatrix give the same fit; labels and lists give the same groups', () => {
    const P = randomProblem(4, 30, [2, 3]);
    const labels = ['a', 'a', 'b', 'b', 'b'];
    const a = fitGroupLasso(P.X, P.y, { groups: P.groups, lambda: 0.05, tol: 1e-12 });
    const b = fitGroupLasso(new Matrix(P.X), P.y, { groups: labels, lambda: 0.05, tol: 1e-12 });
    const c = fitGroupLasso(DenseMatrix.fromRows(P.X), Float64Array.from(P.y), { groups: P.groups, lambda: 0.05, tol: 1e-12 });
    expect(b.groupNames).toEqual(['a', 'b']);
    for (const f of [b, c]) a.coef.forEach((v, j) => expect(f.coef[j]).toBeCloseTo(v, 10));
  });

  it('a weight-0 group is fitted without penalty: it equals least squares on it given the rest', () => {
    const P = randomProblem(8, 50, [2, 3, 2]);
    const lambda = 10 * lambdaMax(P.X, P.y, { groups: P.groups }); // every penalized group is zero
    const fit = fitGroupLasso(P.X, P.y, { groups: P.groups, lambda, weights: [0, Math.sqrt(3), Math.SQRT2] });
    expect(fit.converged).toBe(true);
    expect(fit.activeGroups).toEqual([0]);
    // Oracle: least squares of y on [1, x0, x1] by normal equations.
    const A = P.X.map((r) => [1, r[0], r[1]]);
    const AtA = [0, 1, 2].map((a) => [0, 1, 2].map((b) => A.reduce((s, r) => s + r[a] * r[b], 0)));
    const Aty = [0, 1, 2].map((a) => A.reduce((s, r, i) => s + r[a] * P.y[i], 0));
    const sol = solve3(AtA, Aty);
    expect(fit.intercept).toBeCloseTo(sol[0], 9);
    expect(fit.coef[0]).toBeCloseTo(sol[1], 9);
    expect(fit.coef[1]).toBeCloseTo(sol[2], 9);
  });

  it("columns in no group: an error by default, unpenalized with ungrouped: 'unpenalized'", () => {
    const P = randomProblem(9, 30, [2, 2]);
    const labels = ['a', 'a', null, 'b'];
    expect(() => fitGroupLasso(P.X, P.y, { groups: labels, lambda: 0.1 })).toThrow(/fitGroupLasso: 1 feature\(s\) are in no group \(2\)/);
    const fit = fitGroupLasso(P.X, P.y, { groups: labels, lambda: 100, ungrouped: 'unpenalized' });
    expect(fit.coef[2]).not.toBe(0); // kept and fitted, not dropped
    expect(fit.groupNames).toContain('x2');
  });

  it('λ = 0 on a full-rank problem equals least squares', () => {
    const P = randomProblem(10, 25, [1, 2]);
    const fit = fitGroupLasso(P.X, P.y, { groups: P.groups, lambda: 0 });
    const A = P.X.map((r) => [1, ...r]);
    const AtA = [0, 1, 2, 3].map((a) => [0, 1, 2, 3].map((b) => A.reduce((s, r) => s + r[a] * r[b], 0)));
    const Aty = [0, 1, 2, 3].map((a) => A.reduce((s, r, i) => s + r[a] * P.y[i], 0));
    const sol = gauss(AtA, Aty);
    expect(fit.converged).toBe(true);
    expect(fit.intercept).toBeCloseTo(sol[0], 9);
    for (let j = 0; j < 3; j++) expect(fit.coef[j]).toBeCloseTo(sol[j + 1], 9);
  });

  it('multi-task squared loss: row groups across tasks; T = 1 equals the single-task fit', () => {
    const P = randomProblem(12, 40, [1, 1, 1, 1, 1]);
    const rng = new Random(99);
    const Y = P.y.map((v) => [v, 0.5 * v + rng.normal()]);
    const lambda = 0.3 * lambdaMax(P.X, Y, { groups: P.groups });
    const fit = fitGroupLasso(P.X, Y, { groups: P.groups, lambda, tol: 1e-11 });
    expect(fit.converged).toBe(true);
    expect(fit.coef.length).toBe(10);
    expect(fit.nTasks).toBe(2);
    // KKT per feature row j: gradient G_j = (1/n)Σ_i x_ij (η_it − y_it) over tasks t.
    const p = 5;
    const n = P.X.length;
    for (let j = 0; j < p; j++) {
      const gj = [0, 1].map((t) => P.X.reduce((s, r, i) => s + (r[j] * (matVec(P.X, fit.coef.subarray(t * p, (t + 1) * p))[i] + fit.intercepts[t] - Y[i][t])) / n, 0));
      const wj = [fit.coef[j], fit.coef[p + j]];
      const nw = norm(wj);
      if (nw === 0) expect(norm(gj)).toBeLessThanOrEqual(lambda * (1 + 1e-4));
      else gj.forEach((g, t) => expect(g + (lambda * wj[t]) / nw).toBeCloseTo(0, 5));
    }
    const single = fitGroupLasso(P.X, P.y.map((v) => [v]), { groups: P.groups, lambda: 0.05, tol: 1e-12 });
    const plain = fitGroupLasso(P.X, P.y, { groups: P.groups, lambda: 0.05, tol: 1e-12 });
    plain.coef.forEach((v, j) => expect(single.coef[j]).toBeCloseTo(v, 9));
  });

  it('sparse-group lasso: certified, α = 0 is the group lasso, α = 1 the lasso', () => {
    const P = randomProblem(13, 50, [3, 2, 4]);
    const lm = lambdaMax(P.X, P.y, { groups: P.groups, alpha: 0.5 });
    const fit = fitSparseGroupLasso(P.X, P.y, { groups: P.groups, lambda: 0.3 * lm, alpha: 0.5, tol: 1e-11 });
    expect(fit.converged).toBe(true);
    expect(fitSparseGroupLasso(P.X, P.y, { groups: P.groups, lambda: lm, alpha: 0.5 }).activeGroups).toEqual([]);
    const g0 = fitSparseGroupLasso(P.X, P.y, { groups: P.groups, lambda: 0.05, alpha: 0, tol: 1e-12 });
    const gl = fitGroupLasso(P.X, P.y, { groups: P.groups, lambda: 0.05, tol: 1e-12 });
    gl.coef.forEach((v, j) => expect(g0.coef[j]).toBeCloseTo(v, 8));
    const l1 = fitSparseGroupLasso(P.X, P.y, { groups: P.groups, lambda: 0.05, alpha: 1, tol: 1e-12 });
    const single = fitGroupLasso(P.X, P.y, { groups: P.X[0].map((_, j) => [j]), weights: new Array(9).fill(1), lambda: 0.05, tol: 1e-12 });
    single.coef.forEach((v, j) => expect(l1.coef[j]).toBeCloseTo(v, 8));
  });
});

function gauss(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((r, i) => r[n] / r[i]);
}

function solve3(A: number[][], b: number[]): number[] {
  return gauss(A, b);
}
