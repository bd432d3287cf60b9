import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DenseMatrix, fitGroupLasso, makeGroups, Random } from '../src/index.ts';
import { largestEigenvalueSpd } from '../src/linalg/eigen.ts';
import '../src/penalties/index.ts';
import { getPenalty } from '../src/penalties/penalty.ts';
import { blockGramBound, blockProxStep } from '../src/solvers/block.ts';

/** n × m block with X_gᵀX_g/n = I and centred columns, by Gram–Schmidt written here. */
function orthonormalBlock(r: Random, n: number, m: number): Float64Array {
  const Q = new Float64Array(n * m);
  for (let a = 0; a < m; a++) {
    const v = Float64Array.from(r.normals(n));
    const basis = [new Float64Array(n).fill(1 / Math.sqrt(n))];
    for (let b = 0; b < a; b++) basis.push(Q.subarray(b * n, (b + 1) * n).map((x) => x / Math.sqrt(n)));
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= d * q[i];
      }
    }
    const nv = Math.hypot(...v);
    for (let i = 0; i < n; i++) Q[a * n + i] = (v[i] / nv) * Math.sqrt(n);
  }
  return Q;
}

/** Row-major Gram matrix X_gᵀX_g of a column-major n × m block. */
function gram(X: Float64Array, n: number, m: number): Float64Array {
  const M = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += X[a * n + i] * X[b * n + i];
    M[a * m + b] = s;
  }
  return M;
}

describe('exact block update for orthonormal groups', () => {
  it('the block bound is n to rounding for X_gᵀX_g/n = I, and a sure bound otherwise', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 10, max: 80 }), (seed, m, extra) => {
      const r = new Random(seed);
      const n = m + extra;
      const Q = orthonormalBlock(r, n, m);
      const ortho = blockGramBound(gram(Q, n, m), m);
      expect(ortho.orthogonal).toBe(true);
      expect(Math.abs(ortho.bound - n)).toBeLessThan(1e-12 * n);
      // A random block: the bound is at least the largest eigenvalue (Rayleigh quotients below it).
      const X = Float64Array.from(r.normals(n * m));
      const M = gram(X, n, m);
      const gen = blockGramBound(M, m);
      expect(gen.orthogonal).toBe(false);
      for (let t = 0; t < 20; t++) {
        const x = r.normals(m);
        let num = 0, den = 0;
        for (let a = 0; a < m; a++) {
          den += x[a] * x[a];
          for (let b = 0; b < m; b++) num += x[a] * M[a * m + b] * x[b];
        }
        expect(gen.bound).toBeGreaterThanOrEqual((num / den) * (1 - 1e-12));
      }
    }), { numRuns: 40 });
  });

  it('one block step is the closed-form block minimizer (grpreg group descent), where the power-iteration step is not', () => {
    const r = new Random(3);
    const n = 50, m = 4, lambda = 0.15;
    const Q = orthonormalBlock(r, n, m);
    const groups = makeGroups([[0, 1, 2, 3]], m);
    const pen = getPenalty('groupLasso')!.create(groups, lambda, {});
    const d = groups.weights[0];
    for (let trial = 0; trial < 10; trial++) {
      // Residual of the rest of the model r₋g (centred), and a current block value w.
      const rest = Float64Array.from(r.normals(n).map((v) => 2 * v));
      const mean = rest.reduce((a, b) => a + b, 0) / n;
      for (let i = 0; i < n; i++) rest[i] -= mean;
      const w = Float64Array.from(r.normals(m));
      // Oracle (closed form for X_gᵀX_g/n = I): v* = S(X_gᵀ r₋g / n, λ d).
      const z = new Float64Array(m);
      for (let a = 0; a < m; a++) for (let i = 0; i < n; i++) z[a] += Q[a * n + i] * rest[i] / n;
      const nz = Math.hypot(...z);
      const oracle = z.map((v) => (nz <= lambda * d ? 0 : (1 - (lambda * d) / nz) * v));
      // Gradient of (1/2n)‖r₋g − X_g v‖² at v = w: −X_gᵀ(r₋g − X_g w)/n.
      const res = Float64Array.from(rest);
      for (let a = 0; a < m; a++) for (let i = 0; i < n; i++) res[i] -= Q[a * n + i] * w[a];
      const grad = new Float64Array(m);
      for (let a = 0; a < m; a++) for (let i = 0; i < n; i++) grad[a] -= Q[a * n + i] * res[i] / n;
      const M = gram(Q, n, m);
      const step = (L: number): Float64Array => {
        const x = w.slice();
        blockProxStep(pen, 0, x, grad, L, true, new Float64Array(m), new Float64Array(m));
        return x;
      };
      const exact = step(blockGramBound(M, m).bound / n);
      const general = step(largestEigenvalueSpd(M, m) / n);
      const err = (x: Float64Array) => Math.max(...x.map((v, a) => Math.abs(v - oracle[a])));
      expect(err(exact)).toBeLessThan(1e-13);
      // The general bound is 1 + 1e-6 too large: its step stops short of the minimizer.
      expect(err(general)).toBeGreaterThan(1e-9);
    }
  });

  it('block coordinate descent solves mutually orthonormal groups to the closed form', () => {
    const r = new Random(9);
    const n = 120, sizes = [3, 2, 4, 1, 3];
    const p = sizes.reduce((a, b) => a + b, 0);
    const Q = orthonormalBlock(r, n, p); // every column orthogonal to every other
    const X = new DenseMatrix(n, p, Q);
    const labels = sizes.flatMap((s, g) => new Array<number>(s).fill(g));
    const y = Float64Array.from({ length: n }, (_, i) => 1 + 0.8 * Q[i] - 0.5 * Q[4 * n + i] + 0.3 * r.normal());
    const ybar = y.reduce((a, b) => a + b, 0) / n;
    const lambda = 0.05;
    const fit = fitGroupLasso(X, y, { groups: labels, lambda, solver: 'bcd', tol: 1e-12 });
    expect(fit.converged).toBe(true);
    let start = 0;
    for (const s of sizes) {
      const z = new Float64Array(s);
      for (let a = 0; a < s; a++) for (let i = 0; i < n; i++) z[a] += Q[(start + a) * n + i] * (y[i] - ybar) / n;
      const nz = Math.hypot(...z);
      const t = lambda * Math.sqrt(s);
      for (let a = 0; a < s; a++) expect(fit.coef[start + a]).toBeCloseTo(nz <= t ? 0 : (1 - t / nz) * z[a], 10);
      start += s;
    }
  });
});
