/**
 * Divergence and stalls are detected and reported in `status`, never turned into a converged
 * result and never thrown as anything but a library error.
 */
import { describe, expect, it } from 'vitest';
import {
  DenseMatrix, fitGroupLasso, fitSparseGroupLasso, GroupSparseError, Random, solverNames, type FitResult, type LinearOperator,
} from '../src/index.ts';

const rng = new Random(21);
const n = 30;
const p = 6;
const rows = Array.from({ length: n }, () => Array.from(rng.normals(p)));
const y = rows.map((r) => r[0] - r[3] + 0.3 * rng.normal());
const labels = rows.map((r) => (r[1] + 0.5 * rng.normal() > 0 ? 1 : 0));
const groups = [[0, 1], [2, 3], [4, 5]];
const D = DenseMatrix.fromRows(rows);

/** Wrap the dense design, corrupting products as asked. */
function operator(corrupt: { apply?: (out: Float64Array, call: number) => void; transpose?: (out: Float64Array, call: number) => void }): LinearOperator {
  let calls = 0;
  let tcalls = 0;
  return {
    rows: n, cols: p,
    apply(x, out) {
      D.apply(x, out);
      corrupt.apply?.(out, ++calls);
    },
    applyTranspose(v, out) {
      D.applyTranspose(v, out);
      corrupt.transpose?.(out, ++tcalls);
    },
  };
}

/** Either a library error, or a result that is not converged and says why. Never converged: true. */
function expectHonestFailure(run: () => FitResult, status: RegExp): void {
  let fit: FitResult | undefined;
  try {
    fit = run();
  } catch (e) {
    expect(e).toBeInstanceOf(GroupSparseError);
    return;
  }
  expect(fit.converged).toBe(false);
  expect(fit.status).toMatch(status);
}

function finiteResult(fit: FitResult): void {
  for (const v of [...fit.coef, ...fit.intercepts, fit.objective, fit.dualityGap, fit.kktViolation]) expect(Number.isFinite(v)).toBe(true);
}

describe('iteration cap', () => {
  for (const solver of solverNames().filter((s) => s !== 'bcd')) { // a bcd iteration is a whole working-set pass: it may finish in one
    it(`${solver}: maxIter 1 and 5 → not converged, 'max iterations reached', a finite honest certificate`, () => {
      for (const maxIter of [1, 5]) {
        const fit = fitGroupLasso(rows, y, { groups, lambda: 1e-3, solver: solver as 'fista', maxIter });
        expect(fit.converged).toBe(false);
        expect(fit.status).toMatch(/max iterations/);
        expect(fit.iterations).toBeLessThanOrEqual(maxIter);
        finiteResult(fit);
        expect(fit.relativeGap).toBeGreaterThan(1e-8);
      }
    });
  }

  it('logistic and sparse-group runs report the cap the same way', () => {
    const a = fitGroupLasso(rows, labels, { groups, lambda: 1e-4, loss: 'logistic', maxIter: 3 });
    const b = fitSparseGroupLasso(rows, y, { groups, lambda: 1e-3, alpha: 0.5, maxIter: 2 });
    for (const f of [a, b]) {
      expect(f.converged).toBe(false);
      expect(f.status).toMatch(/max iterations/);
      finiteResult(f);
    }
  });

  it('a callback that stops the run is reported as such', () => {
    const fit = fitGroupLasso(rows, y, { groups, lambda: 1e-3, solver: 'fista', callback: (info) => info.iteration < 3 });
    expect(fit.converged).toBe(false);
    expect(fit.status).toBe('stopped by callback');
  });
});

describe('a LinearOperator that returns NaN or Infinity', () => {
  for (const solver of solverNames()) {
    it(`${solver}: NaN from every product → diverged or a library error`, () => {
      const op = operator({ apply: (out) => out.fill(NaN), transpose: (out) => out.fill(NaN) });
      expectHonestFailure(() => fitGroupLasso(op, y, { groups, lambda: 0.01, solver: solver as 'fista' }), /^diverged: /);
    });

    it(`${solver}: NaN only from the transpose (the gradient) → never certified`, () => {
      for (const fitIntercept of [true, false]) {
        const op = operator({ transpose: (out) => out.fill(NaN) });
        expectHonestFailure(() => fitGroupLasso(op, y, { groups, lambda: 0.01, solver: solver as 'fista', fitIntercept }), /^diverged: /);
      }
    });

    it(`${solver}: NaN appearing after a few products (mid-run) → diverged`, () => {
      const op = operator({ apply: (out, call) => { if (call > 25) out[3] = NaN; } });
      expectHonestFailure(() => fitGroupLasso(op, y, { groups, lambda: 1e-4, solver: solver as 'fista', tol: 1e-14 }), /^diverged: /);
    });

    it(`${solver}: an Infinity in one product entry, logistic loss → diverged`, () => {
      const op = operator({ apply: (out, call) => { if (call > 5) out[0] = Infinity; } });
      expectHonestFailure(() => fitGroupLasso(op, labels, { groups, lambda: 1e-4, loss: 'logistic', solver: solver as 'fista', tol: 1e-14 }), /^diverged: /);
    });
  }

  it('a NaN gradient block is never reported as a zero KKT violation', () => {
    const op = operator({ transpose: (out) => { out[2] = NaN; } });
    let fit: FitResult | undefined;
    try {
      fit = fitGroupLasso(op, y, { groups, lambda: 0.01, fitIntercept: false });
    } catch (e) {
      expect(e).toBeInstanceOf(GroupSparseError);
    }
    if (fit) {
      expect(fit.converged).toBe(false);
      expect(fit.kktViolation === 0).toBe(false);
    }
  });
});

describe('problems without a finite optimum', () => {
  it('separable logistic data at λ = 0 without intercept: refused or not converged, never certified', () => {
    const X = [[1, 0.5, 2], [-1, 0.3, 1], [2, -1, 0.5]];
    for (const fitIntercept of [false, true]) {
      expectHonestFailure(
        () => fitGroupLasso(X, [1, 0, 1], { groups: [[0, 1, 2]], lambda: 0, loss: 'logistic', fitIntercept }),
        /^(stalled|max iterations|diverged)/,
      );
    }
  });

  it('a separating unpenalized group (weight 0), no intercept: refused with the reason', () => {
    const X = [[1, 0], [2, 0.5], [-1, 1], [-2, 0.2]];
    expect(() => fitGroupLasso(X, [1, 1, 0, 0], { groups: [[0], [1]], weights: [0, 1], lambda: 0.1, loss: 'logistic', fitIntercept: false }))
      .toThrow(/fitGroupLasso: the unpenalized part \(intercept and unpenalized groups\) has no finite optimum/);
  });

  it('Poisson zero counts on rows a column isolates (λ = 0): refused, or ε-optimal against the closed-form infimum', () => {
    // Rows 0-1 only see column 0 (counts 0: the infimum sends its coefficient to −∞); rows 2-3
    // only column 1 (counts 2, 3: optimum e^η = 2.5). inf F = (1/4)[2·2.5 − 5 log 2.5 + log 2! + log 3!].
    const X = [[1, 0], [1, 0], [0, 1], [0, 1]];
    const inf = (5 - 5 * Math.log(2.5) + Math.log(2) + Math.log(6)) / 4;
    let fit: FitResult;
    try {
      fit = fitGroupLasso(X, [0, 0, 2, 3], { groups: [[0], [1]], lambda: 0, loss: 'poisson', fitIntercept: false });
    } catch (e) {
      expect(e).toBeInstanceOf(GroupSparseError);
      expect(String(e)).toMatch(/no finite optimum for this poisson response/);
      return;
    }
    if (!fit.converged) return expect(fit.status).toMatch(/^(stalled|max iterations|diverged)/);
    expect(Math.abs(fit.objective - inf)).toBeLessThan(1e-8 * inf);
    expect(Math.abs(Math.exp(fit.coef[1]) - 2.5)).toBeLessThan(1e-6);
  });
});
