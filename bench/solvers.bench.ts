/**
 * `npm run bench solvers`: ISTA vs FISTA vs block coordinate descent on the three problem kinds of
 * the speed goal (birthwt; Gaussian 1000 × 5000 in groups of 10 with Toeplitz ρ = 0.5; Gaussian
 * 10000 × 2000 in groups of 10, also ρ = 0.5), one λ = λ_max/10, each solver run to the same certified relative
 * duality gap 1e-6; median wall times (whole `fitGroupLasso` call), ratios, certificates, memory.
 * With Debian's python3-sklearn present, scikit-learn's `Lasso` (singleton groups, unit weights) and
 * `MultiTaskLasso` (one group per feature across tasks) solve the same problems in the same run;
 * their solutions are certified with this library's certificate. BENCH_QUICK=1 runs fewer repeats.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MatrixInput } from '../src/linalg/input.ts';
import { fastOperator } from '../src/linalg/kernels/fast.ts';
import { fitGroupLasso, lambdaMax, prepareProblem, type FitResult, type SolverName } from '../src/problem/problem.ts';
import { certify } from '../src/solvers/certificate.ts';
import { birthwtProblem, gaussianProblem, type BenchProblem } from './problems.ts';

const PYTHON = '/usr/bin/python3';
const TOL = 1e-6;

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

interface Row { label: string; ms: number; fit: FitResult; heapMB: number }

function runSolver(P: BenchProblem, X: MatrixInput, lambda: number, solver: SolverName, repeats: number, maxIter: number): { ms: number; fit: FitResult; heapMB: number } {
  const times: number[] = [];
  let fit: FitResult | null = null;
  let heap = 0;
  const opts = { groups: P.groups, weights: P.weights, loss: P.T > 1 ? 'multitask' as const : 'squared' as const, lambda, solver, tol: TOL, maxIter };
  // Warm-up until the JIT has settled: at least 3 runs, and up to 30 runs or 1.5 s.
  const w0 = performance.now();
  for (let k = 0; k < 30 && (k < 3 || performance.now() - w0 < 1500); k++) fitGroupLasso(X, P.yRows ?? P.y, opts);
  for (let r = 0; r < repeats; r++) {
    const h0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    fit = fitGroupLasso(X, P.yRows ?? P.y, opts);
    times.push(performance.now() - t0);
    heap = Math.max(heap, (process.memoryUsage().heapUsed - h0) / 1e6);
  }
  return { ms: median(times), fit: fit!, heapMB: heap };
}

function table(P: BenchProblem & { lambda: number }, rows: Row[]): void {
  const best = rows.find((r) => r.label.startsWith('bcd'))!;
  console.log(`\n${P.name}; λ = λ_max/10 = ${P.lambda.toPrecision(4)}; target relative gap ${TOL}`);
  console.log('solver                         median     × bcd   converged  rel. gap   iters  active  heap Δ');
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(30)} ${fmtMs(r.ms).padStart(9)} ${(r.ms / best.ms).toFixed(1).padStart(7)}x  ${String(r.fit.converged).padEnd(9)}  ` +
      `${r.fit.relativeGap.toExponential(1).padStart(8)}  ${String(r.fit.iterations).padStart(6)}  ${String(r.fit.activeGroups.length).padStart(6)}  ${r.heapMB.toFixed(1).padStart(5)} MB`,
    );
  }
  const objs = rows.filter((r) => r.fit.converged).map((r) => r.fit.objective);
  if (objs.length > 1) {
    const lo = Math.min(...objs), hi = Math.max(...objs);
    console.log(`converged objectives agree to ${((hi - lo) / lo).toExponential(1)} (relative)`);
  }
}

/** Run a Python snippet with X, y in binary files; returns its JSON answer or a reason it could not. */
function python(script: string, P: BenchProblem): Record<string, unknown> | string {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const dir = mkdtempSync(join(tmpdir(), 'gs-bench-'));
  try {
    writeFileSync(join(dir, 'X.bin'), P.X.data);
    writeFileSync(join(dir, 'y.bin'), P.y);
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const head = `
import json, time, sys
import numpy as np
n, p, T = ${P.X.rows}, ${P.X.cols}, ${P.T}
X = np.fromfile(${JSON.stringify(join(dir, 'X.bin'))}).reshape((p, n)).T  # column-major → Fortran order, no copy
y = np.fromfile(${JSON.stringify(join(dir, 'y.bin'))})
Y = y.reshape((T, n)).T if T > 1 else y
def med(f, k):
    t = []
    for _ in range(k):
        s = time.perf_counter(); out = f(); t.append(time.perf_counter() - s)
    t.sort(); m = len(t) // 2
    return (t[m] if len(t) % 2 else (t[m - 1] + t[m]) / 2), out
`;
    const res = spawnSync(PYTHON, ['-c', head + script], { env, encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 28 });
    if (res.status !== 0) {
      const why = (res.stderr || res.error?.message || '').trim().split('\n').pop();
      return `scikit-learn not usable (${why}); install Debian's python3-sklearn`;
    }
    return JSON.parse(res.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A problem scikit-learn solves too: ours (BCD) vs sklearn, sklearn's tol set so that its own
 * stopping rule (gap·n ≤ tol·‖y − ȳ‖²) means a relative gap ≤ 1e-6 here, and its answer certified
 * with this library's certificate.
 */
function sklearnCompare(P: BenchProblem, kind: 'Lasso' | 'MultiTaskLasso', repeats: number): void {
  const X = fastOperator(P.X);
  const loss = P.T > 1 ? 'multitask' as const : 'squared' as const;
  const lambda = 0.1 * lambdaMax(X, P.yRows ?? P.y, { groups: P.groups, weights: P.weights, loss });
  const ours = runSolver(P, X, lambda, 'bcd', repeats, 100_000);
  const n = P.X.rows;
  let ss = 0;
  for (let t = 0; t < P.T; t++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += P.y[t * n + i];
    m /= n;
    for (let i = 0; i < n; i++) ss += (P.y[t * n + i] - m) ** 2;
  }
  const tolSk = TOL * ours.fit.objective * n / ss;
  const est = kind === 'Lasso' ? 'Lasso' : 'MultiTaskLasso';
  const script = `
from sklearn.linear_model import ${est}
m = ${est}(alpha=${lambda}, tol=${tolSk}, max_iter=1000000, fit_intercept=True)
m.fit(X, Y)
sec, m = med(lambda: ${est}(alpha=${lambda}, tol=${tolSk}, max_iter=1000000, fit_intercept=True).fit(X, Y), ${repeats})
coef = m.coef_.reshape(-1) if T == 1 else m.coef_.reshape(-1)  # (T, p) row-major = our p·T column-major
print(json.dumps({"ms": 1e3 * sec, "coef": coef.tolist(), "iters": int(np.max(m.n_iter_))}))
`;
  const sk = python(script, P);
  console.log(`\n${P.name}; scikit-learn ${kind} comparison, λ = λ_max/10 = ${lambda.toPrecision(4)} (unit weights)`);
  console.log(`  groupsparse bcd   ${fmtMs(ours.ms).padStart(9)}   relative gap ${ours.fit.relativeGap.toExponential(1)}  (certified)`);
  if (typeof sk === 'string') {
    console.log(`  scikit-learn: skipped — ${sk}`);
    return;
  }
  const prep = prepareProblem(X, P.yRows ?? P.y, { groups: P.groups, weights: P.weights, loss });
  const ctx = prep.context(lambda);
  const cert = certify(ctx, Float64Array.from(sk.coef as number[]));
  console.log(`  scikit-learn      ${fmtMs(sk.ms as number).padStart(9)}   relative gap ${cert.relativeGap.toExponential(1)}  (our certificate of its answer; tol=${tolSk.toExponential(2)})`);
  console.log(`  ratio: scikit-learn time / groupsparse time = ${((sk.ms as number) / ours.ms).toFixed(2)}x`);
}

export async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const problems: { P: BenchProblem; repeats: number; slowRepeats: number; maxIterSlow: number }[] = [
    { P: birthwtProblem(), repeats: quick ? 5 : 21, slowRepeats: quick ? 3 : 11, maxIterSlow: 100_000 },
    { P: gaussianProblem(1, 1000, 5000, 10, 0.5, 10), repeats: quick ? 1 : 5, slowRepeats: 1, maxIterSlow: quick ? 300 : 3000 },
    { P: gaussianProblem(2, 10000, 2000, 10, 0.5, 10), repeats: quick ? 1 : 5, slowRepeats: 1, maxIterSlow: quick ? 100 : 1000 },
  ];
  for (const { P, repeats, slowRepeats, maxIterSlow } of problems) {
    const X = fastOperator(P.X);
    const lambda = 0.1 * lambdaMax(X, P.y, { groups: P.groups, weights: P.weights });
    const rss0 = process.memoryUsage().rss;
    const rows: Row[] = [];
    const add = (label: string, r: { ms: number; fit: FitResult; heapMB: number }) => rows.push({ label, ...r });
    add('bcd (fast operator)', runSolver(P, X, lambda, 'bcd', repeats, 100_000));
    add('bcd (DenseMatrix input)', runSolver(P, P.X, lambda, 'bcd', repeats, 100_000));
    add('fista (fast operator)', runSolver(P, X, lambda, 'fista', slowRepeats, maxIterSlow));
    add('ista (fast operator)', runSolver(P, X, lambda, 'ista', slowRepeats, maxIterSlow));
    table({ ...P, lambda }, rows);
    const mem = process.memoryUsage();
    console.log(`memory: rss ${(mem.rss / 1e6).toFixed(0)} MB (Δ ${((mem.rss - rss0) / 1e6).toFixed(0)} MB over this problem), ` +
      `peak rss so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; X itself is ${(8 * P.X.rows * P.X.cols / 1e6).toFixed(1)} MB ` +
      `(the fast operator holds one copy)`);
  }
  console.log(`(ISTA/FISTA stop at ${quick ? '300/100' : '3000/1000'} iterations on the two large problems: 'false' there means the cap was hit)`);
  const lasso = gaussianProblem(3, 1000, 5000, 1, 0.5, 50);
  sklearnCompare({ ...lasso, weights: new Array(lasso.X.cols).fill(1) }, 'Lasso', quick ? 1 : 5);
  const mtl = gaussianProblem(4, 1000, 2000, 1, 0.5, 40, 3, 4);
  sklearnCompare({ ...mtl, weights: new Array(mtl.X.cols).fill(1) }, 'MultiTaskLasso', quick ? 1 : 5);
}
