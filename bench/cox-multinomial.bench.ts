/**
 * `npm run bench cox-multinomial`: the solvers 'auto' picks for grpreg's other models against FISTA, in one
 * run. Cox: the shipped veteran data (celltype and trt as factors, columns standardized without
 * centring, as the estimator does for a model with no intercept), 5-fold cross-validation along
 * the default 100-λ grid, 'auto' (proximal Newton) vs 'fista'. Multinomial: 200 rows of the
 * shipped digits, groups of 8 pixels across the 10 classes, a 5-λ path under a 60 s budget each,
 * and a nearly separable 30 × 6, 3-class problem (a 100-λ path and 10-fold
 * cross-validation), 'auto' (proximal Newton) vs 'fista' and 'bcd'. Prints times, ratios and
 * whether every fit was certified. BENCH_QUICK=1: 3 folds and a 30 s budget. BENCH_CLOCK=cpu
 * times by this process's CPU time (user + system) instead of the wall clock.
 */
import { readFileSync } from 'node:fs';
import { GroupLasso } from '../src/estimators/groupLasso.ts';
import { cvGroupLasso } from '../src/path/cv.ts';
import { groupLassoPath } from '../src/path/path.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const CPU_CLOCK = process.env.BENCH_CLOCK === 'cpu';
/** Seconds on the chosen clock (wall, or this process's CPU time with BENCH_CLOCK=cpu). */
function seconds(): number {
  if (!CPU_CLOCK) return performance.now() / 1000;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
const SOLVERS = ['auto', 'fista', 'bcd'] as const;
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

/** Times of 'auto' against the others, as others / auto. */
function ratios(res: number[]): string {
  return SOLVERS.slice(1).map((s, i) => `${s} / auto ${(res[i + 1] / res[0]).toFixed(1)}×`).join('   ');
}

function digits(): void {
  const [head, ...rows] = csv('digits.csv');
  const di = head.indexOf('digit');
  const data = rows.slice(0, 200).map((r) => r.map(Number));
  const X = data.map((r) => r.filter((_, j) => j !== di).map((v) => v / 16));
  const y = data.map((r) => r[di]);
  const groups = Array.from({ length: X[0].length }, (_, j) => Math.floor(j / 8));
  const budget = QUICK ? 30 : 60;
  console.log(`Multinomial, digits (200 × 64, 10 classes), 5 λ to λ_max/100, ${budget} s budget per solver`);
  const res: number[] = [];
  for (const solver of SOLVERS) {
    const t0 = seconds();
    const path = groupLassoPath(X, y, { groups, loss: 'multinomial', solver, nLambda: 5, lambdaMinRatio: 0.01, maxTime: budget });
    const s = seconds() - t0;
    res.push(s);
    const bad = path.certificates.filter((c) => !c.converged).length;
    console.log(`  ${solver.padEnd(6)} ${s.toFixed(2).padStart(7)} s   fits not certified ${bad}   last objective ${path.certificates[path.certificates.length - 1].objective.toPrecision(8)}`);
  }
  console.log(`  ${ratios(res)}`);
}

/** A nearly separable 30 × 6 problem with 3 classes. */
function nearlySeparable(): void {
  let a = 3;
  const r = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const randn = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const X = Array.from({ length: 30 }, () => Array.from({ length: 6 }, () => randn()));
  const y = X.map((row) => {
    const s = [row[0], -row[0] + row[1], 0.5 * row[2]].map((v) => v * 2 + randn());
    return String(s.indexOf(Math.max(...s)));
  });
  const groups = Array.from({ length: 6 }, (_, j) => Math.floor(j / 2));
  const nFolds = QUICK ? 3 : 10;
  const budget = QUICK ? 30 : 120;
  console.log(`Multinomial, nearly separable (30 × 6, 3 classes): 100-λ path, then ${nFolds}-fold CV on 100 λ, ${budget} s budget each`);
  const res: number[] = [];
  const cvRes: number[] = [];
  for (const solver of SOLVERS) {
    let t0 = seconds();
    const path = groupLassoPath(X, y, { groups, loss: 'multinomial', solver, nLambda: 100, maxTime: budget });
    const s = seconds() - t0;
    res.push(s);
    const bad = path.certificates.filter((c) => !c.converged).length;
    t0 = seconds();
    const cv = cvGroupLasso(X, y, { groups, loss: 'multinomial', solver, nLambda: 100, nFolds, seed: 1, maxTime: budget });
    const c = seconds() - t0;
    cvRes.push(c);
    console.log(`  ${solver.padEnd(6)} path ${s.toFixed(2).padStart(7)} s (not certified ${bad} of 100)   CV ${c.toFixed(2).padStart(7)} s (not certified ${cv.notConverged})`);
  }
  console.log(`  path: ${ratios(res)}`);
  console.log(`  CV:   ${ratios(cvRes)}`);
}

export function main(): void {
  cox();
  digits();
  nearlySeparable();
}
