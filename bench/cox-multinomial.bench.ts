/**
 * `npm run bench cox-multinomial`: the solvers 'auto' picks for grpreg's other models against FISTA, in one
 * run. Cox: the shipped veteran data (celltype and trt as factors, columns standardized without
 * centring, as the estimator does for a model with no intercept), 5-fold cross-validation along
 * the default 100-λ grid, 'auto' (proximal Newton) vs 'fista'. Multinomial: 200 rows of the
 * shipped digits, groups of 8 pixels across the 10 classes, a 5-λ path under a 60 s budget each,
 * 'fista' vs 'bcd' (what is left to it: proximal Newton takes one response column). Prints wall
 * times, ratios and whether every fit was certified. BENCH_QUICK=1: 3 folds and a 30 s budget.
 */
import { readFileSync } from 'node:fs';
import { GroupLasso } from '../src/estimators/groupLasso.ts';
import { groupLassoPath } from '../src/path/path.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const root = new URL('../datasets/', import.meta.url);

function csv(name: string): string[][] {
  return readFileSync(new URL(name, root), 'utf8').trim().split('\n').map((l) => l.trim().split(',').map((s) => s.replace(/"/g, '')));
}

function cox(): void {
  const [head, ...rows] = csv('veteran.csv');
  const col = (name: string) => head.indexOf(name);
  const cells = ['smallcell', 'adeno', 'large'];
  const X = rows.map((r) => [Number(r[col('trt')]) - 1, ...cells.map((c) => (r[col('celltype')] === c ? 1 : 0)),
    Number(r[col('karno')]), Number(r[col('diagtime')]), Number(r[col('age')]), Number(r[col('prior')])]);
  const y = { time: rows.map((r) => Number(r[col('time')])), status: rows.map((r) => Number(r[col('status')])) };
  const groups = [0, 1, 1, 1, 2, 3, 4, 5];
  const nFolds = QUICK ? 3 : 5;
  const out: { solver: string; s: number; lambda: number; bad: number }[] = [];
  for (const solver of ['auto', 'fista'] as const) {
    const t0 = performance.now();
    const m = new GroupLasso({ groups, loss: 'cox', solver, cv: { nFolds, seed: 1 } }).fit(X, y);
    out.push({ solver, s: (performance.now() - t0) / 1000, lambda: m.lambda, bad: m.cv!.notConverged });
  }
  console.log(`Cox, veteran (137 × 8), ${nFolds}-fold CV on 100 λ`);
  for (const r of out) console.log(`  ${r.solver.padEnd(6)} ${r.s.toFixed(2).padStart(7)} s   λ_min ${r.lambda.toPrecision(6)}   fits not certified ${r.bad}`);
  console.log(`  fista / auto: ${(out[1].s / out[0].s).toFixed(1)}×`);
}

function multinomial(): void {
  const [head, ...rows] = csv('digits.csv');
  const di = head.indexOf('digit');
  const data = rows.slice(0, 200).map((r) => r.map(Number));
  const X = data.map((r) => r.filter((_, j) => j !== di).map((v) => v / 16));
  const y = data.map((r) => r[di]);
  const groups = Array.from({ length: X[0].length }, (_, j) => Math.floor(j / 8));
  const budget = QUICK ? 30 : 60;
  console.log(`Multinomial, digits (200 × 64, 10 classes), 5 λ to λ_max/100, ${budget} s budget per solver`);
  const res: number[] = [];
  for (const solver of ['fista', 'bcd'] as const) {
    const t0 = performance.now();
    const path = groupLassoPath(X, y, { groups, loss: 'multinomial', solver, nLambda: 5, lambdaMinRatio: 0.01, maxTime: budget });
    const s = (performance.now() - t0) / 1000;
    res.push(s);
    const bad = path.certificates.filter((c) => !c.converged).length;
    console.log(`  ${solver.padEnd(6)} ${s.toFixed(2).padStart(7)} s   fits not certified ${bad}   last objective ${path.certificates[path.certificates.length - 1].objective.toPrecision(8)}`);
  }
  console.log(`  bcd / fista: ${(res[1] / res[0]).toFixed(2)}×`);
}

export function main(): void {
  cox();
  multinomial();
}
