/**
 * Which groups of variables predict birth weight? Group lasso on the birthwt data (Hosmer &
 * Lemeshow), grouped as in grpreg's Birthwt example: cubic polynomials of age and mother's weight,
 * race and visit-count dummies, and the binary risk factors.
 *
 * Run: npm run example
 */
import { readFileSync } from 'node:fs';
import { fitGroupLasso, lambdaMax } from '../src/index.ts';

const text = readFileSync(new URL('../datasets/birthwt.csv', import.meta.url), 'utf8').trim().split(/\r?\n/);
const header = text[0].split(',').map((h) => h.replace(/"/g, ''));
const rows = text.slice(1).map((l) => l.split(',').map(Number));
const col = (name: string): number[] => rows.map((r) => r[header.indexOf(name)]);

/**
 * Orthogonal polynomial basis of degree 3 (Gram–Schmidt on centered powers), scaled so that
 * X_gᵀX_g/n = I — the group scaling grpreg uses, which puts groups of different sizes on par.
 */
function poly3(x: number[]): number[][] {
  const basis: number[][] = [];
  for (let d = 1; d <= 3; d++) {
    const v = x.map((t) => t ** d);
    for (const q of [x.map(() => 1 / Math.sqrt(x.length)), ...basis]) {
      const a = q.reduce((s, qi, i) => s + qi * v[i], 0);
      v.forEach((_, i) => (v[i] -= a * q[i]));
    }
    const nv = Math.hypot(...v);
    basis.push(v.map((t) => t / nv));
  }
  return basis.map((b) => b.map((t) => t * Math.sqrt(x.length)));
}

const columns: { name: string; group: string; values: number[] }[] = [];
poly3(col('age')).forEach((v, k) => columns.push({ name: `age${k + 1}`, group: 'age', values: v }));
poly3(col('lwt')).forEach((v, k) => columns.push({ name: `lwt${k + 1}`, group: 'lwt', values: v }));
columns.push({ name: 'white', group: 'race', values: col('race').map((r) => +(r === 1)) });
columns.push({ name: 'black', group: 'race', values: col('race').map((r) => +(r === 2)) });
columns.push({ name: 'smoke', group: 'smoke', values: col('smoke') });
columns.push({ name: 'ptl1', group: 'ptl', values: col('ptl').map((v) => +(v === 1)) });
columns.push({ name: 'ptl2m', group: 'ptl', values: col('ptl').map((v) => +(v >= 2)) });
columns.push({ name: 'ht', group: 'ht', values: col('ht') });
columns.push({ name: 'ui', group: 'ui', values: col('ui') });
columns.push({ name: 'ftv1', group: 'ftv', values: col('ftv').map((v) => +(v === 1)) });
columns.push({ name: 'ftv2', group: 'ftv', values: col('ftv').map((v) => +(v === 2)) });
columns.push({ name: 'ftv3m', group: 'ftv', values: col('ftv').map((v) => +(v >= 3)) });

const X = rows.map((_, i) => columns.map((c) => c.values[i]));
const y = col('bwt').map((g) => g / 1000); // kg, as in grpreg
const groups = columns.map((c) => c.group);

const lmax = lambdaMax(X, y, { groups });
const lambda = 0.1 * lmax;
const fit = fitGroupLasso(X, y, { groups, lambda, solver: 'fista', tol: 1e-10 });

console.log(`birthwt: n = ${X.length}, ${columns.length} columns in ${fit.groupNames.length} groups`);
console.log(`λ_max = ${lmax.toPrecision(6)}, fitting at λ = 0.1·λ_max = ${lambda.toPrecision(6)}\n`);
console.log('group   ‖w_g‖      coefficients');
fit.groupNames.forEach((g, k) => {
  const coefs = columns.map((c, j) => (c.group === g ? `${c.name}=${fit.coef[j].toFixed(4)}` : '')).filter(Boolean);
  console.log(`${g.padEnd(7)} ${fit.groupNorms[k].toFixed(5).padStart(8)}   ${fit.groupNorms[k] > 0 ? coefs.join(' ') : '(dropped)'}`);
});
console.log(`\nselected groups: ${fit.activeGroupNames.join(', ')}`);
console.log(`intercept ${fit.intercept.toFixed(4)} kg`);
console.log(
  `certificate: objective ${fit.objective.toPrecision(10)}, duality gap ${fit.dualityGap.toExponential(2)} ` +
    `(relative ${fit.relativeGap.toExponential(2)}), KKT violation ${fit.kktViolation.toExponential(2)}, ` +
    `converged ${fit.converged} after ${fit.iterations} ${fit.solver} iterations`,
);
