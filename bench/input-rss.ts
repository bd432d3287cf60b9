/**
 * Peak memory of one fit per input form of X: `npx tsx bench/input-rss.ts <form> [n×p]`, form one
 * of rows, ml-matrix, dense, fastOperator, csc (default size 10000×2000). The design is generated,
 * turned into that form alone (the generator's copy dropped and collected), then the kernel's peak
 * resident set (VmHWM) is reset (the kernel memory λ_max left in the pool dropped first) through /proc/self/clear_refs (Linux) and read again after a
 * `fitGroupLasso` at λ = 0.2 λ_max: what the fit adds on top of holding the input, in MiB.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Matrix } from 'ml-matrix';
import { DenseMatrix } from '../src/linalg/dense.ts';
import { fastOperator } from '../src/linalg/kernels/fast.ts';
import { drainKernelPool } from '../src/linalg/kernels/wasm.ts';
import { SparseMatrix } from '../src/linalg/sparse.ts';
import { fitGroupLasso, lambdaMax } from '../src/problem/problem.ts';
import { gaussianProblem } from './problems.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function status(key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const form = process.argv[2] ?? 'rows';
const [n, p] = (process.argv[3] ?? '10000x2000').split(/[x×]/).map(Number);
let prob: ReturnType<typeof gaussianProblem> | null = gaussianProblem(7, n, p, 5, 0.5, 10);
const { y, groups } = prob;
const lambda = 0.2 * lambdaMax(prob.X, y, { groups });
const make = (X: DenseMatrix): unknown => {
  const rows = (): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: p }, (_, j) => X.data[i + j * n]));
  switch (form) {
    case 'rows': return rows();
    case 'ml-matrix': return new Matrix(rows());
    case 'dense': return new DenseMatrix(n, p, X.data.slice());
    case 'fastOperator': return fastOperator(X);
    case 'csc': return SparseMatrix.fromDense(X);
    default: throw new Error(`unknown form ${form}`);
  }
};
const A = make(prob.X);
prob = null;
drainKernelPool(); // λ_max's kernel memory: the fit below pays for its own
// Array buffers are freed by a background sweeper after the collection: let it finish.
for (let k = 0; k < 3; k++) {
  gc();
  await new Promise((r) => setTimeout(r, 100));
}
const before = status('VmRSS');
writeFileSync('/proc/self/clear_refs', '5'); // reset VmHWM to the current resident set
const fit = fitGroupLasso(A as never, y, { groups, lambda, tol: 1e-6 });
const peak = status('VmHWM');
console.log(`${form} ${n}×${p} (X is ${(8 * n * p / 2 ** 20).toFixed(0)} MiB): resident before the fit ${before.toFixed(0)} MiB, peak during it ${peak.toFixed(0)} MiB (+${(peak - before).toFixed(0)} MiB), ${fit.activeGroups.length} active groups`);
