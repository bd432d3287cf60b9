/**
 * `npm run bench inputs`: what each input form of X costs. For a 10000×2000 and a 1000×5000
 * design, the same entries passed as rows (`number[][]`), an ml-matrix `Matrix`, a `DenseMatrix`
 * (fresh, i.e. its first fit, and reused), a `fastOperator` and a CSC `SparseMatrix`: the time from
 * the call to the solver start (what `fitGroupLasso` does before solving: the conversion into a
 * pooled kernel memory, `callDesign`, and `prepareProblem` on the result) and `fitGroupLasso` in
 * total at one λ, minimum
 * over interleaved repeats (the machine is shared), printed as ratios to the fastest form. Also
 * readCsv's numeric fast path on a generated ~50 MB numeric CSV, in MB/s. BENCH_CLOCK=cpu times
 * by this process's CPU time (user + system) instead of wall time: on a loaded machine wall time
 * mostly measures the other load. One-call fits hand their kernel memory back to a pool that the
 * next one writes into (see fast.ts), so after the first repeat every form fits in touched pages.
 * Peak memory per form: `npx tsx bench/input-rss.ts <form> <n>x<p>` (see that script).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix } from 'ml-matrix';
import { readCsv } from '../src/data/csv.ts';
import { DenseMatrix } from '../src/linalg/dense.ts';
import { callDesign, FastDense, fastOperator } from '../src/linalg/kernels/fast.ts';
import { SparseMatrix } from '../src/linalg/sparse.ts';
import { fitGroupLasso, prepareProblem } from '../src/problem/problem.ts';
import { Random } from '../src/util/random.ts';
import { gaussianProblem } from './problems.ts';

type Form = { name: string; make: () => unknown };

const CPU_CLOCK = process.env.BENCH_CLOCK === 'cpu';
/** Milliseconds on the chosen clock (wall, or this process's CPU time with BENCH_CLOCK=cpu). */
function clock(): number {
  if (!CPU_CLOCK) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function inputForms(n: number, p: number, reps: number): void {
  const prob = gaussianProblem(7, n, p, 5, 0.5, 10);
  const { X, y, groups } = prob;
  const rows: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: p }, (_, j) => X.data[i + j * n]));
  const ml = new Matrix(rows);
  const reused = new DenseMatrix(n, p, X.data.slice());
  const fast = fastOperator(X);
  const csc = SparseMatrix.fromDense(X);
  const forms: Form[] = [
    { name: 'rows number[][]', make: () => rows },
    { name: 'ml-matrix Matrix', make: () => ml },
    // A new DenseMatrix each repeat: its first fit copies it into kernel memory.
    { name: 'DenseMatrix (first fit)', make: () => new DenseMatrix(n, p, X.data) },
    { name: 'DenseMatrix (reused)', make: () => reused },
    { name: 'fastOperator', make: () => fast },
    { name: 'CSC SparseMatrix', make: () => csc },
  ];
  // λ a fraction of λ_max, so that some groups are active.
  const lambda = 0.2 * prepareProblem(X, y, { groups }).lambdaMax();
  const opts = { groups, lambda, tol: 1e-6 };
  const prep = forms.map(() => Infinity);
  const fit = forms.map(() => Infinity);
  const coefs: Float64Array[] = [];
  for (let r = 0; r < reps; r++) {
    forms.forEach((f, k) => {
      let A = f.make();
      let t0 = clock();
      // The one-call route (pooled memory, given back): a `prepareProblem` on the raw input would
      // keep a fresh memory of its own, whose first-touch faults and later release are its cost,
      // not a fit's (see the README).
      const { op, owned } = callDesign(A, 'fitGroupLasso');
      prepareProblem(op, y, { groups });
      prep[k] = Math.min(prep[k], clock() - t0);
      if (owned && op instanceof FastDense) op.dispose();
      A = f.make();
      t0 = clock();
      const res = fitGroupLasso(A as never, y, opts);
      fit[k] = Math.min(fit[k], clock() - t0);
      if (r === 0) coefs[k] = res.coef;
    });
  }
  const same = coefs.map((c) => c.length === coefs[0].length && c.every((v, i) => Object.is(v, coefs[0][i])));
  const bestPrep = Math.min(...prep), bestFit = Math.min(...fit);
  console.log(`${n}×${p}, ${p / 5} groups of 5, λ = 0.2 λ_max, tol 1e-6 (min of ${reps} interleaved repeats, ${CPU_CLOCK ? 'CPU' : 'wall'} time)`);
  // The fit's own run-to-run noise (±20% here) swamps a conversion of a few ms in the measured
  // ratio; the conversion alone, over the fastest form's fit, is the steadier figure.
  const fastest = fit.indexOf(bestFit);
  console.log('  form                       to solver start (over fastest)   fitGroupLasso total (ratio to fastest)   1 + extra start / fastest fit   coef identical to rows');
  forms.forEach((f, k) => {
    console.log(`  ${f.name.padEnd(26)} ${prep[k].toFixed(1).padStart(8)} ms (+${(prep[k] - bestPrep).toFixed(1).padStart(6)} ms)    ` +
      `${fit[k].toFixed(1).padStart(8)} ms (${(fit[k] / bestFit).toFixed(2).padStart(5)}×)                  ` +
      `${(1 + (prep[k] - bestPrep) / fit[fastest]).toFixed(2).padStart(5)}×                          ${same[k]}`);
  });
}

/**
 * readCsv on ~50 MB of numbers written `digits` ways: 'full' is JavaScript's shortest round-trip
 * form (up to 17 significant digits, beyond the exact fast parse, so each such field goes through
 * `Number`), 'short' fixed-point and 9-digit exponent forms (parsed exactly in the scan).
 */
function csvRate(kind: 'mixed' | 'short'): void {
  const r = new Random(3);
  const p = 10;
  const lines = [Array.from({ length: p }, (_, j) => `x${j}`).join(',')];
  let bytes = 0;
  while (bytes < 50e6) {
    const f: string[] = [];
    for (let j = 0; j < p; j++) {
      const u = r.normal();
      const form = kind === 'short' ? 1 + (j % 2) : j % 3;
      f.push(form === 0 ? String(u) : form === 1 ? u.toFixed(4) : (u * 1e-7).toExponential(8));
    }
    const line = f.join(',');
    bytes += line.length + 1;
    lines.push(line);
  }
  const text = lines.join('\n') + '\n';
  const dir = mkdtempSync(join(tmpdir(), 'gs-inputs-'));
  try {
    const file = join(dir, 'numeric.csv');
    writeFileSync(file, text);
    const mb = Buffer.byteLength(text) / 1e6;
    let best = Infinity;
    let t: ReturnType<typeof readCsv> | null = null;
    for (let k = 0; k < 5; k++) {
      const t0 = clock();
      t = readCsv(file);
      best = Math.min(best, clock() - t0);
    }
    const what = kind === 'short' ? 'fixed 4 decimals / 9-digit exponents' : 'a third full 17-digit doubles, the rest short';
    console.log(`numeric CSV ${mb.toFixed(1)} MB (${t!.nRows} rows × ${p} columns, ${what}): readCsv ${best.toFixed(0)} ms, ` +
      `${(mb / (best / 1000)).toFixed(0)} MB/s (min of 5, file read included)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function main(): void {
  inputForms(10000, 2000, 5);
  inputForms(1000, 5000, 10);
  csvRate('mixed');
  csvRate('short');
}
