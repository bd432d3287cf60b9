/**
 * Worker thread of the parallel cross-validation (see parallel.ts): rebuilds the problem from plain
 * data and a shared design, then claims folds from the shared counter until none is left.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
// The library's own penalties and losses, registered as in the calling thread (solvers come with problem.ts).
import '../penalties/index.ts';
import '../datafits/index.ts';
import { GroupSparseError } from '../errors.ts';
import { makeDatafit } from '../datafits/datafit.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { FastDense } from '../linalg/kernels/fast.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import { getPenalty } from '../penalties/penalty.ts';
import { problemFromValidated } from '../problem/problem.ts';
import type { GroupStructure } from '../groups/groups.ts';
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
  const o = {
    tol: job.options.tol, maxIter: job.options.maxIter, solver: job.options.solver, screening: job.options.screening,
    deadline: job.options.deadlineEpoch === undefined ? undefined : job.options.deadlineEpoch - performance.timeOrigin,
  };
  for (;;) {
    if (Atomics.load(ctrl, 2) !== 0) return;
    const f = Atomics.add(ctrl, 0, 1);
    if (f >= job.K) return;
    if (why !== null || !prob) {
      answer({ id: job.id, f, unavailable: why ?? 'the problem' });
      continue;
    }
    try {
      const r = foldPredictions(prob, job.folds, f, job.K, job.lambdas, o, job.fn);
      answer({ id: job.id, f, eta: r.eta, notConverged: r.notConverged });
    } catch (e) {
      const err = e as Error;
      answer({ id: job.id, f, error: { name: err instanceof GroupSparseError ? err.constructor.name : 'Error', message: err.message, fn: (err as GroupSparseError).fn ?? job.fn } });
    }
  }
}

parentPort!.on('message', (m: { port?: MessagePort } | FoldJob) => {
  if ('port' in m && m.port) {
    port = m.port;
    parentPort!.postMessage('ready');
    return;
  }
  runJob(m as FoldJob);
});
