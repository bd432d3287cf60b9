import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GroupLasso, Random } from '../src/index.ts';
import { cliInProcess } from './helpers/cli.ts';

function data(signal: number, seed: number) {
  const r = new Random(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 80; i++) {
    const row = [r.normal(), r.normal(), r.normal(), r.normal()];
    X.push(row);
    y.push(signal * (2 * row[0] - row[1]) + r.normal());
  }
  return { X, y, groups: ['a', 'a', 'b', 'b'] };
}

describe('GroupLasso summary and warnings', () => {
  it('summarizes the fit: λ by CV with its error, groups by norm, certificate; console.log shows it', () => {
    const { X, y, groups } = data(3, 1);
    const m = new GroupLasso({ groups, cv: { nFolds: 5, seed: 1 } }).fit(X, y);
    const s = m.summary();
    const k = m.cv!.lambdas.indexOf(m.lambda);
    expect(s).toMatch(/^GroupLasso \(squared loss\): 4 columns in 2 groups, columns standardized/);
    expect(s).toContain(`5-fold cross-validation (λ_min); mean squared error ${Number(m.cv!.meanLoss[k].toPrecision(4))}`);
    const order = m.selectedGroups().sort((p, q) => q.norm - p.norm).map((g) => g.name);
    const listed = s.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    expect(listed).toEqual(order);
    expect(s).toMatch(/certificate: relative gap .*converged/);
    expect(inspect(m)).toBe(s);
    expect(`${m}`).toBe(s);
    expect(new GroupLasso({ groups, cv: 5 }).summary()).toBe('GroupLasso (not fitted; λ by cross-validation)');
  });

  it('warns when CV picks an end of the λ grid', () => {
    // Pure noise: the held-out error is smallest with no group at all, at λ_max.
    const noise = data(0, 5);
    const m0 = new GroupLasso({ groups: noise.groups, cv: { nFolds: 5, seed: 1 }, nLambda: 20 }).fit(noise.X, noise.y);
    expect(m0.cv!.indexMin).toBe(0);
    expect(m0.selectedGroups()).toEqual([]);
    expect(m0.warnings).toContainEqual(expect.stringMatching(/largest λ of the grid \(no group selected\)/));
    // Strong signal on a short grid that stops at λ_max/2: the smallest λ is best.
    const strong = data(5, 3);
    const m1 = new GroupLasso({ groups: strong.groups, cv: { nFolds: 5, seed: 1 }, nLambda: 5, lambdaMinRatio: 0.5 }).fit(strong.X, strong.y);
    expect(m1.cv!.indexMin).toBe(4);
    expect(m1.warnings).toContainEqual(expect.stringMatching(/smallest λ of the grid: .*lower lambdaMinRatio/));
    expect(m1.summary()).toMatch(/warning: cross-validation chose the smallest λ/);
    // A fit in the interior has nothing to warn about.
    const m2 = new GroupLasso({ groups: strong.groups, cv: { nFolds: 5, seed: 1 }, nLambda: 30 }).fit(strong.X, strong.y);
    expect(m2.cv!.indexMin).toBeGreaterThan(0);
    expect(m2.cv!.indexMin).toBeLessThan(29);
    expect(m2.warnings).toEqual([]);
  });
});

describe('GroupLasso.predict at any λ of the path', () => {
  it('equals the path fit on grid values, interpolates between them, refuses λ outside', () => {
    const { X, y, groups } = data(3, 7);
    const m = new GroupLasso({ groups, cv: { nFolds: 5, seed: 1 }, nLambda: 12 }).fit(X, y);
    const path = m.path!;
    const k = 5;
    // Independent: X w_k + b_k computed here from the path's own coefficients.
    const at = (kk: number) => X.map((row) => row.reduce((s, x, j) => s + x * path.coefs[kk][j], path.intercept[kk]));
    const onGrid = m.predict(X, { lambda: path.lambdas[k] });
    at(k).forEach((v, i) => expect(onGrid[i]).toBeCloseTo(v, 10));
    const mid = (path.lambdas[k] + path.lambdas[k + 1]) / 2;
    const between = m.predict(X, { lambda: mid });
    const a = at(k);
    const b = at(k + 1);
    a.forEach((v, i) => expect(between[i]).toBeCloseTo((v + b[i]) / 2, 10));
    expect(Array.from(m.predict(X, { lambda: m.lambda }))).toEqual(Array.from(m.predict(X)));
    expect(() => m.predict(X, { lambda: path.lambdas[0] * 2 })).toThrow(/outside the fitted path/);
    expect(() => m.predict(X, { lamda: 1 } as never)).toThrow(/lamda/);
  });
});

describe('GroupLasso.warnings: separation and fits not certified, on the model and in the CLI', () => {
  it('separable labels are a warning of the model, not only a diagnostic', () => {
    const r = new Random(12);
    const X: number[][] = [];
    for (let i = 0; i < 60; i++) X.push([r.normal(), r.normal(), r.normal(), r.normal()]);
    // Labels decided by the sign of x0 + x1: perfectly separable.
    const y = X.map((row) => (row[0] + row[1] > 0 ? 1 : 0));
    const m = new GroupLasso({ groups: ['a', 'a', 'b', 'b'], loss: 'logistic', criterion: 'bic', nLambda: 30, lambdaMinRatio: 1e-4 }).fit(X, y);
    expect(m.warnings).toContainEqual(expect.stringMatching(/labels are (nearly )?separable/));
    // Labels drawn at random: no such warning.
    const coin = X.map(() => (r.uniform() < 0.5 ? 1 : 0));
    const m2 = new GroupLasso({ groups: ['a', 'a', 'b', 'b'], loss: 'logistic', criterion: 'bic', nLambda: 30 }).fit(X, coin);
    expect(m2.warnings.join(' ')).not.toMatch(/separable/);
  });

  it('fits not certified are named with their λ; the CLI prints the warnings', async () => {
    const { X, y, groups } = data(3, 2);
    // One pass per fit cannot reach the tolerance.
    const m = new GroupLasso({ groups, criterion: 'bic', nLambda: 10, maxIter: 1, tol: 1e-12 }).fit(X, y);
    const bad = m.path!.certificates.map((c, k) => (c.converged ? -1 : k)).filter((k) => k >= 0);
    expect(bad.length).toBeGreaterThan(0);
    const w = m.warnings.find((x) => /fits along the path are not certified/.test(x));
    expect(w).toContain(`${bad.length} of 10 fits`);
    expect(w).toContain(`at λ = ${m.path!.lambdas[bad[0]].toPrecision(4)}`);
    const csv = ['y,a1,a2,b1,b2', ...X.map((row, i) => [y[i], ...row].join(','))].join('\n') + '\n';
    const out = await cliInProcess(['fit', '-', '--target', 'y', '--lambda', '0.01', '--max-iter', '1', '--tol', '1e-12', '--quiet'], csv);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/\nwarnings:\n {2}- \d+ of \d+ fits along the path are not certified to tol 1e-12 \(at λ = /);
  });
});
