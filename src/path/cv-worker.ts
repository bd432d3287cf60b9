/**
 * Worker thread of the parallel cross-validation (see parallel.ts): rebuilds the problem from plain
 * data and a shared design, fits the fold reserved for it, then claims folds from the shared
 * counter until none is left.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
// The library's own penalties and losses, registered as in the calling thread (solvers come with problem.ts).
import '../penalties/index.ts';
import '../datafits/index.ts';
import { GroupSparseError } from '../errors.ts';
import { makeDatafit } from '../datafits/datafit.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { FastDense, fastOperator } from '../linalg/kernels/fast.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import { getPenalty } from '../penalties/penalty.ts';
import { problemFromValidated } from '../problem/problem.ts';
import { makeGroups, type GroupStructure } from '../groups/groups.ts';
import type { LossName } from '../datafits/datafits.ts';
import { solverNames } from '../solvers/registry.ts';
import { foldPredictions } from './cv.ts';
import type { FoldAnswer, FoldJob } from './parallel.ts';

let port: MessagePort | null = null;

function runJob(job: FoldJob): void {
  const out = port!;
  const ctrl = new Int32Array(job.ctrl);
  const answer = (a: FoldAnswer): void => {
    out.postMessage(a, a.eta ? [a.eta.buffer as ArrayBuffer] : []);
    Atomics.add(ctrl, 1, 1);
    Atomics.notify(ctrl, 1);
  };
  const spec = getPenalty(job.penalty);
  const solver = job.options.solver;
  let why: string | null = spec ? null : `penalty '${job.penalty}'`;
  if (solver !== undefined && solver !== 'auto' && !solverNames().includes(solver)) why = `solver '${solver}'`;
  let prob;
  if (why === null) {
    try {
      // The shared design is read in place (no copy of it here): the folds gather their rows from
      // it into kernel memories of their own, as the calling thread's folds do.
      const data = new Float64Array(job.X);
      const X: LinearOperator = job.backend === 'wasm' || job.backend === 'js'
        ? FastDense.sharedView(job.n, job.p, data, job.backend)
        : new DenseMatrix(job.n, job.p, data);
      const datafit = makeDatafit(job.loss as LossName, job.y, job.n, job.T, job.fn);
      prob = problemFromValidated({ X, datafit, groups: job.groups as GroupStructure, fitIntercept: job.fitIntercept, penalty: { spec: spec!, params: job.params } }, job.fn);
    } catch (e) {
      why = `the problem (${(e as Error).message})`;
    }
  }
  // A job the calling thread has finished (it fitted this worker's folds itself while the worker
  // lagged) is dropped after the current fit, not the current fold: a stale fold would delay the
  // worker's reserved fold of the next job.
  const cancelled = {};
  const o = {
    onProgress: (): void => {
      if (Atomics.load(ctrl, 2) !== 0) throw cancelled;
    },
    tol: job.options.tol, maxIter: job.options.maxIter, solver: job.options.solver, screening: job.options.screening,
    deadline: job.options.deadlineEpoch === undefined ? undefined : job.options.deadlineEpoch - performance.timeOrigin,
  };
  // First the fold reserved for this worker, then folds claimed from the shared counter.
  for (let first = true; ; first = false) {
    if (Atomics.load(ctrl, 2) !== 0) return;
    const f = first && job.first >= 0 ? job.first : Atomics.add(ctrl, 0, 1);
    if (f >= job.K) return;
    if (why !== null || !prob) {
      answer({ id: job.id, f, unavailable: why ?? 'the problem' });
      continue;
    }
    try {
      const r = foldPredictions(prob, job.folds, f, job.K, job.lambdas, o, job.fn);
      answer({ id: job.id, f, eta: r.eta, notConverged: r.notConverged });
    } catch (e) {
      if (e === cancelled) return;
      const err = e as Error;
      answer({ id: job.id, f, error: { name: err instanceof GroupSparseError ? err.constructor.name : 'Error', message: err.message, fn: (err as GroupSparseError).fn ?? job.fn } });
    }
  }
}

/**
 * Fit two small fold paths (squared and logistic) before reporting ready: a fresh thread runs the
 * solvers' code unoptimized at first, many times slower than the calling thread's warm code, and
 * its first real folds would then keep cross-validation waiting. Any failure here is ignored (the
 * real jobs report their own errors).
 */
function warmUp(): void {
  try {
    const n = 48, p = 6;
    const X = new DenseMatrix(n, p);
    let s = 12345;
    const next = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    for (let k = 0; k < n * p; k++) X.data[k] = next();
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = X.data[i] - X.data[n + i] + 0.3 * next();
    const groups = makeGroups([[0, 1], [2, 3], [4, 5]], p, {}, 'warmUp');
    const folds = new Int32Array(n);
    for (let i = 0; i < n; i++) folds[i] = i % 4;
    for (const loss of ['squared', 'logistic'] as const) {
      const yy = loss === 'squared' ? y : Float64Array.from(y, (v) => (v > 0 ? 1 : 0));
      const prob = problemFromValidated({ X: fastOperator(X), datafit: makeDatafit(loss, yy, n, 1, 'warmUp'), groups, fitIntercept: true }, 'warmUp');
      const lmax = prob.lambdaMax();
      const lambdas = Float64Array.from({ length: 20 }, (_, k) => lmax * Math.pow(0.7, k));
      // The squared loss's path code is fast enough that a few folds leave it cold: repeat it.
      const rounds = loss === 'squared' ? 12 : 1;
      for (let r = 0; r < rounds; r++) for (let f = 0; f < 2; f++) foldPredictions(prob, folds, f, 4, lambdas, { tol: 1e-6 }, 'warmUp');
    }
  } catch {
    // Only a warm-up.
  }
}

parentPort!.on('message', (m: { port?: MessagePort } | FoldJob) => {
  if ('port' in m && m.port) {
    port = m.port;
    warmUp();
    parentPort!.postMessage('ready');
    return;
  }
  runJob(m as FoldJob);
});
