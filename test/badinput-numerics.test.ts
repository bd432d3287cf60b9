/**
 * Refusals and honest ends on numerically hostile problems: unpenalized columns collinear to a
 * level float64 cannot fit and certify, counts whose means overflow, certificates whose rounding
 * floors overflowed. Each refusal row is paired, where a fit still goes through, with a check
 * against an independent truth.
 */
import { describe, expect, it } from 'vitest';
import { fitGroupLasso, lambdaMax, Random, ValueError } from '../src/index.ts';
import { judge, type Certificate } from '../src/solvers/certificate.ts';
import { badInputTable, type BadInputRow } from './helpers/badinput.ts';
import { independentCertificate } from './helpers/independent.ts';

const rng = new Random(7);
const n = 40;
const base = Array.from({ length: n }, () => Array.from(rng.normals(6)));
const y = base.map((r) => r[0] - 2 * r[3] + 0.5 * rng.normal());
const groups = [[0, 1, 2], [3, 4, 5]];
/** Column 3 replaced by column 0 plus eps times itself: collinear to eps (not to rounding). */
const nearly = (eps: number): number[][] => base.map((r) => r.map((v, j) => (j === 3 ? r[0] + eps * v : v)));
const counts = base.map((r) => Math.round(Math.exp(r[0] / 2)));

const rows: BadInputRow[] = [
  // Dropped by the QR as dependent, the direction still lowered the loss from 1.69 to 0.148 (at
  // coefficients ~1e12): the fit claimed 'converged' with a zero gap at 10× the optimum.
  { name: 'lambda = 0 with columns collinear to 1e-12', fn: 'fitGroupLasso', error: ValueError, message: /^the unpenalized columns \(intercept and unpenalized groups, every group at lambda = 0\) are nearly collinear: column 3's part outside the span of the earlier ones is \d\.\de-1[23] of its norm, so their fit needs coefficients ~1e\+1[12] that float64 cannot evaluate to a certified optimum; remove or combine that column, or penalize it/, call: () => fitGroupLasso(nearly(1e-12), y, { groups, lambda: 0 }) },
  // Kept, coefficients ~1e9 lost the digits of Xw: the reported objective was 1.2e-7 (relative) off the returned point's.
  { name: 'lambda = 0 with columns collinear to 1e-9', fn: 'fitGroupLasso', error: ValueError, message: /^the unpenalized columns .* are nearly collinear: column 3's part outside/, call: () => fitGroupLasso(nearly(1e-9), y, { groups, lambda: 0 }) },
  { name: 'an unpenalized group collinear to 1e-11 at lambda > 0', fn: 'fitGroupLasso', error: ValueError, message: /^the unpenalized columns \(intercept and unpenalized groups\) are nearly collinear: column 3's part/, call: () => fitGroupLasso(nearly(1e-11), y, { groups: [[0], [1, 2], [3], [4, 5]], weights: [0, 1, 0, 1], lambda: 0.1 }) },
  // Counts of 1e200 overflowed the gradient: the fit said 'at rounding level' with an infinite KKT violation.
  { name: 'Poisson counts of size 1e200', fn: 'fitGroupLasso', error: ValueError, message: /^Poisson targets are too large for float64 arithmetic \(root-mean-square size 9\.\d+e\+199; supported up to 1e\+100\): .*divide the counts by a constant c/, call: () => fitGroupLasso(base, counts.map((c) => c * 1e200), { groups, lambda: 0.1, loss: 'poisson' }) },
  { name: 'Poisson counts of size 1e150, λ_max', fn: 'lambdaMax', error: ValueError, message: /^Poisson targets are too large for float64 arithmetic/, call: () => lambdaMax(base, counts.map((c) => c * 1e150), { groups, loss: 'poisson' }) },
];
badInputTable('numerics', rows);

describe('what still fits next to those refusals', () => {
  it('an exact duplicate column at lambda = 0 is dropped and the fit is least squares (normal equations on the kept columns)', () => {
    const X = base.map((r) => r.map((v, j) => (j === 3 ? r[0] : v)));
    const fit = fitGroupLasso(X, y, { groups, lambda: 0 });
    expect(fit.converged).toBe(true);
    // Independent least squares on [1, columns 0,1,2,4,5] by the normal equations (Gauss–Jordan).
    const cols = [0, 1, 2, 4, 5];
    const A = X.map((r) => [1, ...cols.map((j) => r[j])]);
    const k = A[0].length;
    const M = Array.from({ length: k }, (_, a) => [...Array.from({ length: k }, (_, b) => A.reduce((s, r) => s + r[a] * r[b], 0)), A.reduce((s, r, i) => s + r[a] * y[i], 0)]);
    for (let c = 0; c < k; c++) {
      for (let r = 0; r < k; r++) {
        if (r === c) continue;
        const f = M[r][c] / M[c][c];
        for (let q = c; q <= k; q++) M[r][q] -= f * M[c][q];
      }
    }
    const beta = M.map((row, c) => row[k] / row[c]);
    const rss = A.reduce((s, r, i) => s + (y[i] - r.reduce((t, v, j) => t + v * beta[j], 0)) ** 2, 0) / (2 * n);
    const plain = { X, Y: y.map((v) => [v]), loss: 'squared' as const, groups, weights: [Math.sqrt(3), Math.sqrt(3)], lambda: 0, fitIntercept: true };
    expect(Math.abs(independentCertificate(plain, fit.coef, fit.intercepts).primal - rss)).toBeLessThan(1e-12 * rss);
  });

  it('columns collinear to 1e-6 at lambda = 0 fit to the least-squares optimum of the returned point', () => {
    const X = nearly(1e-6);
    const fit = fitGroupLasso(X, y, { groups, lambda: 0 });
    expect(fit.converged).toBe(true);
    const plain = { X, Y: y.map((v) => [v]), loss: 'squared' as const, groups, weights: [Math.sqrt(3), Math.sqrt(3)], lambda: 0, fitIntercept: true };
    // The returned point's own objective, recomputed from rows, is the one reported, to well
    // under the tolerance (the coefficients are ~1e6, Xw loses six digits).
    const c = independentCertificate(plain, fit.coef, fit.intercepts);
    expect(Math.abs(c.primal - fit.objective)).toBeLessThan(1e-9 * c.primal);
    // And column 3's direction is used: without it the least-squares objective is 1.69.
    expect(c.primal).toBeLessThan(0.2);
  });

  it('counts of size 1e50 fit and are certified (λ scales with the counts)', () => {
    const big = counts.map((c) => c * 1e50);
    const lam = 0.1 * lambdaMax(base, big, { groups, loss: 'poisson' });
    const fit = fitGroupLasso(base, big, { groups, lambda: lam, loss: 'poisson' });
    const small = fitGroupLasso(base, counts, { groups, lambda: lam / 1e50, loss: 'poisson' });
    expect(fit.converged && small.converged).toBe(true);
    // Scaling the counts by c shifts the intercept by log c and leaves the coefficients.
    expect(fit.intercept - small.intercept).toBeCloseTo(50 * Math.LN10, 6);
    for (let j = 0; j < 6; j++) expect(fit.coef[j]).toBeCloseTo(small.coef[j], 5);
  });
});

describe('judging a certificate whose floors overflowed', () => {
  const cert = (o: Partial<Certificate>): Certificate => ({
    primal: 1, dual: 0, gap: 1, relativeGap: 1, kktViolation: 1, relativeKkt: 1, gapFloor: 1e-15, kktFloor: 1e-15, ...o,
  } as Certificate);
  it('an infinite floor certifies nothing (it used to make any gap "at rounding level")', () => {
    expect(judge(cert({ gapFloor: Infinity, kktFloor: Infinity }), 'gap', 1e-8)).toBe(false);
    expect(judge(cert({ gapFloor: Infinity, kktFloor: Infinity }), 'kkt', 1e-8)).toBe(false);
    expect(judge(cert({ kktViolation: Infinity, relativeKkt: Infinity, kktFloor: Infinity }), 'both', 1e-8)).toBe(false);
  });
  it('an infinite KKT violation is not converged even with a small gap', () => {
    expect(judge(cert({ gap: 0, relativeGap: 0, kktViolation: Infinity, relativeKkt: Infinity }), 'gap', 1e-8)).toBe(false);
  });
  it('a finite certificate under tol still passes', () => {
    expect(judge(cert({ gap: 1e-10, relativeGap: 1e-10 }), 'gap', 1e-8)).toBe('tol');
  });
});
