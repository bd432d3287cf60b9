/**
 * Long work can be stopped: a path, a cross-validation and the estimator stop when their
 * onProgress callback returns false, like the neural training loops, and say so.
 */
import { describe, expect, it } from 'vitest';
import { cvGroupLasso, groupLassoPath, GroupLasso, Random } from '../src/index.ts';

const rng = new Random(3);
const X = Array.from({ length: 60 }, () => Array.from(rng.normals(6)));
const y = X.map((r) => r[0] - r[3] + 0.3 * rng.normal());
const groups = [[0, 1], [2, 3], [4, 5]];

describe('onProgress returning false stops the run', () => {
  it('path: the λ after the stop end at once, not converged; status says why', () => {
    const calls: number[] = [];
    const path = groupLassoPath(X, y, { groups, nLambda: 20, onProgress: (done) => (calls.push(done), done < 5) });
    expect(path.status).toBe('stopped by callback');
    expect(calls).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
    expect(path.certificates.slice(0, 5).every((c) => c.converged)).toBe(true);
    // λ_6..λ_20 come after the stop: not fitted, so not certified.
    expect(path.certificates.slice(5).some((c) => c.converged)).toBe(false);
    const full = groupLassoPath(X, y, { groups, nLambda: 20 });
    expect(full.status).toBe('complete');
    expect(full.certificates.every((c) => c.converged)).toBe(true);
  });
  it('cross-validation: one stop ends every fold', () => {
    let seen = 0;
    const cv = cvGroupLasso(X, y, { groups, nFolds: 3, nLambda: 10, onProgress: () => ++seen < 3 });
    expect(cv.status).toBe('stopped by callback');
    expect(cv.diagnostics.join(' ')).toMatch(/stopped by the onProgress callback/);
  });
  it('estimator: the warnings say the fit was stopped', () => {
    const m = new GroupLasso({ groups, criterion: 'bic', nLambda: 10, onProgress: (d) => d < 2 }).fit(X, y);
    expect(m.path!.status).toBe('stopped by callback');
  });
});
