import { DataError, GroupError, GroupSparseError, OptionError, ShapeError, ValueError } from '../errors.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { FastDense } from '../linalg/kernels/fast.ts';
import type { PreparedProblem } from '../problem/problem.ts';
import { foldPredictions, type FoldPathOptions, type FoldPrediction } from './cv.ts';

/**
 * Cross-validation folds on worker_threads. The design goes to the workers once per call through
 * a SharedArrayBuffer (read-only there); every thread, the calling one included, claims folds from
 * one shared counter and fits them with the same code as the serial loop ({@link foldPredictions}),
 * so the result does not depend on which thread fitted which fold. The calling thread blocks on
 * Atomics.wait and reads the workers' answers with receiveMessageOnPort, which keeps
 * cross-validation synchronous. Workers are started once per process and kept (unref'd, so they
 * never hold the process open). There is no `import 'node:worker_threads'`: the module is asked
 * for at run time, so browsers and bundlers see no Node built-in, and there folds run serially.
 */

// The few worker_threads shapes used here (the browser build has no Node types).
interface Port {
  postMessage(v: unknown): void;
  close(): void;
}
interface WorkerLike {
  postMessage(v: unknown, transfer?: unknown[]): void;
  unref(): void;
  ref(): void;
  terminate(): Promise<number>;
  on(ev: string, cb: (arg: unknown) => void): void;
  off(ev: string, cb: (arg: unknown) => void): void;
}
interface WorkerThreads {
  Worker: new (entry: URL | string, opts: { eval?: boolean }) => WorkerLike;
  MessageChannel: new () => { port1: Port; port2: Port };
  receiveMessageOnPort(port: Port): { message: unknown } | undefined;
}
interface NodeOs {
  availableParallelism?: () => number;
  cpus(): unknown[];
}
interface NodeModule {
  createRequire(url: string): { resolve(id: string): string };
}
interface NodeUrl {
  pathToFileURL(path: string): URL;
}

function builtin<T>(id: string): T | undefined {
  const g = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  try {
    return g.process?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fitting time (ms, all folds together, estimated from the full path) from which threads pay off:
 * with the workers already running, 250 ms — below that a worker's colder code and the hand-off
 * (a fold the calling thread refits when its worker lags) cost about what they save, and every
 * thread's time is spent on a shared machine (10-fold CV on birthwt, folds worth about 50 ms:
 * 64–99 ms of CPU time serial against 88–99 ms on two threads, for no gain in wall time on a loaded
 * machine); when they must first be started (about half a second of loading each, more from the
 * TypeScript sources), a second.
 */
const PARALLEL_MIN_MS_WARM = 250;
const PARALLEL_MIN_MS_COLD = 1000;

/** Cores available to this process (1 where that cannot be known). */
export function availableThreads(): number {
  const os = builtin<NodeOs>('node:os');
  if (!os) return 1;
  const n = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/** A problem as the workers rebuild it: plain data only. */
export interface FoldJob {
  id: number;
  n: number;
  p: number;
  /** Column-major design, shared. */
  X: SharedArrayBuffer;
  backend: string;
  /** The datafit's recipe (Datafit.transferable): its registered loss and response. */
  loss: string;
  y: Float64Array;
  T: number;
  groups: unknown;
  fitIntercept: boolean;
  penalty: string;
  params: Record<string, number>;
  folds: Int32Array;
  K: number;
  lambdas: Float64Array;
  options: Omit<FoldPathOptions, 'onProgress' | 'deadline'> & { deadlineEpoch?: number };
  fn: string;
  /**
   * The fold reserved for this worker, fitted before it claims others: were every fold claimed
   * from the counter, the calling thread (which starts at once) would take them all on a problem
   * of short folds before a worker had even read its message, and threads would never help.
   */
  first: number;
  /** [next fold to claim, folds finished by workers, cancel flag]. */
  ctrl: SharedArrayBuffer;
}

/** A worker's answer for one fold. */
export interface FoldAnswer {
  id: number;
  f: number;
  eta?: Float64Array;
  notConverged?: number;
  /** A library error (class name and message, fold prefix included) to rethrow as is. */
  error?: { name: string; message: string; fn: string };
  /** The worker could not rebuild the problem (a loss, penalty or solver registered only here). */
  unavailable?: string;
}

interface PoolWorker {
  worker: WorkerLike;
  port: Port;
  /** Resolves once the worker has loaded the library and can take folds. */
  ready: Promise<void>;
}

let pool: PoolWorker[] = [];
let poolFailed = false;
let jobCounter = 0;
let workerFolds = 0;

/** Folds fitted by worker threads since the process started (how tests see that threads ran). */
export function foldsFittedByWorkers(): number {
  return workerFolds;
}

let callerHelps = true;
/**
 * Whether the calling thread fits folds too (the default). Tests turn it off so that every fold is
 * fitted on a worker whatever the timing: a worker's colder code would otherwise often lose every
 * fold of a small problem to the calling thread, and the test would not see a worker's answer.
 */
export function callerFitsFolds(on: boolean): void {
  callerHelps = on;
}

/** How long the calling thread, with no fold time of its own to go by, waits for a worker before fitting its fold (ms). */
const WORKER_WAIT_MS = 120_000;

// This module's URL, read by shape: the root entry is type-checked without Node's or Deno's types
// (a browser-safe build), where ImportMeta has no `url`.
const moduleUrl: string = (import.meta as unknown as { url: string }).url;

function spawn(wt: WorkerThreads): PoolWorker | null {
  // Run from the TypeScript sources (vitest, tsx), the worker loads its entry through tsx's API
  // (a loader given to a worker with --import does not apply there on Node 20); from dist, directly.
  const fromSource = moduleUrl.endsWith('.ts');
  const entry = new URL(`./cv-worker.${fromSource ? 'ts' : 'js'}`, moduleUrl);
  let worker: WorkerLike;
  if (fromSource) {
    const mod = builtin<NodeModule>('node:module');
    const url = builtin<NodeUrl>('node:url');
    if (!mod || !url) return null;
    let api: string;
    try {
      api = url.pathToFileURL(mod.createRequire(moduleUrl).resolve('tsx/esm/api')).href;
    } catch {
      return null;
    }
    const code = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)}))`;
    worker = new wt.Worker(code, { eval: true });
  } else {
    worker = new wt.Worker(entry, {});
  }
  const { port1, port2 } = new wt.MessageChannel();
  // The answers come back on a port of their own, which the blocked calling thread can read.
  worker.postMessage({ port: port2 }, [port2]);
  // A worker never holds the process open: a short program that ends before its worker has even
  // loaded exits at once. startCvWorkers refs it while it waits for the readiness note.
  worker.unref();
  const ready = new Promise<void>((resolve) => {
    const heard = (): void => {
      worker.off('message', heard);
      worker.unref();
      resolve();
    };
    worker.on('message', heard);
  });
  worker.on('error', () => {
    pool = pool.filter((w) => w.worker !== worker);
  });
  worker.on('exit', () => {
    pool = pool.filter((w) => w.worker !== worker);
  });
  return { worker, port: port1, ready };
}

/** Grow the pool to `count` workers; false when worker threads are not available here. */
function growPool(count: number): boolean {
  const wt = builtin<WorkerThreads>('node:worker_threads');
  if (!wt || typeof SharedArrayBuffer === 'undefined' || poolFailed) return false;
  while (pool.length < count) {
    let w: PoolWorker | null = null;
    try {
      w = spawn(wt);
    } catch {
      w = null;
    }
    if (!w) {
      poolFailed = pool.length === 0;
      return pool.length > 0;
    }
    pool.push(w);
  }
  return true;
}

/**
 * Start the worker threads of parallel cross-validation ahead of time (they take a moment to load
 * the library), so that the first cross-validation does not wait for them: `threads` counts the
 * calling thread (default: the machine's cores). Resolves when they are ready, to false where
 * worker threads are not available (browsers, or Node without them).
 *
 * @example
 * await startCvWorkers(); // then cvGroupLasso(X, y, { groups, workers: 2 }) uses them at once
 */
/** Most threads startCvWorkers accepts. */
const MAX_THREADS = 256;

export async function startCvWorkers(threads = availableThreads()): Promise<boolean> {
  if (!Number.isInteger(threads) || threads < 1) throw new ValueError('startCvWorkers', `threads must be a whole number ≥ 1, got ${String(threads)}`);
  // Each worker is an operating-system thread with its own heap: thousands would exhaust memory
  // long before they could help, so a count far above any machine's cores is refused.
  if (threads > MAX_THREADS) throw new ValueError('startCvWorkers', `threads is ${threads}, above the limit ${MAX_THREADS} (this machine has ${availableThreads()})`);
  if (threads === 1) return true;
  if (!growPool(threads - 1)) return false;
  const waiting = pool.slice(0, threads - 1);
  for (const w of waiting) w.worker.ref();
  await Promise.all(waiting.map((w) => w.ready));
  for (const w of waiting) w.worker.unref();
  return true;
}

/** Dense column-major data of the design, or null for operators the workers cannot rebuild. */
function denseData(prob: PreparedProblem): { data: Float64Array; backend: string } | null {
  const X = prob.X;
  if (X instanceof FastDense) return { data: X.data, backend: X.backend };
  if (X instanceof DenseMatrix) return { data: X.data, backend: 'auto' };
  return null;
}

const ERRORS: Record<string, typeof GroupSparseError> = { GroupSparseError, ShapeError, ValueError, GroupError, OptionError, DataError };

/**
 * Fit the K folds on up to `workers` threads; false when that is not possible or not worth it
 * (the caller then runs the serial loop). Every fold's prediction is passed to `store` (from the
 * calling thread, in the order they finish); `progress(done)` is called after each.
 */
export function runFoldsInParallel(
  prob: PreparedProblem, folds: Int32Array, K: number, lambdas: Float64Array, o: FoldPathOptions, fn: string,
  // progress(done, k): `done` folds finished, and k fits of the fold this thread is on (so a fold
  // that takes minutes still reports every fit).
  run: { workers?: number; fullPathMs: number; store: (f: number, r: FoldPrediction) => void; progress: (done: number, k: number) => void },
): boolean {
  const wt = builtin<WorkerThreads>('node:worker_threads');
  if (!wt || typeof SharedArrayBuffer === 'undefined' || poolFailed) return false;
  const dense = denseData(prob);
  // The datafit says whether (and how) a worker can rebuild it; the design must be dense data.
  const recipe = prob.datafit.transferable?.() ?? null;
  if (!dense || !recipe || recipe.n !== prob.n || recipe.T !== prob.T) return false;
  const worth = run.fullPathMs * K >= (pool.length > 0 ? PARALLEL_MIN_MS_WARM : PARALLEL_MIN_MS_COLD);
  let threads = run.workers ?? (worth ? availableThreads() : 1);
  threads = Math.min(threads, K);
  if (threads <= 1) return false;
  const need = threads - 1;
  if (!growPool(need)) return false;
  const helpers = pool.slice(0, need);
  if (helpers.length === 0) return false;

  const { n, p, T } = prob;
  const X = new SharedArrayBuffer(n * p * 8);
  new Float64Array(X).set(dense.data.subarray(0, n * p));
  const ctrlBuf = new SharedArrayBuffer(12);
  const ctrl = new Int32Array(ctrlBuf);
  const perf = globalThis.performance;
  const job: FoldJob = {
    id: ++jobCounter, n, p, X, backend: dense.backend, loss: recipe.loss, y: recipe.y, T,
    groups: prob.groups, fitIntercept: prob.fitIntercept, penalty: prob.penalty.spec.name, params: { ...prob.penalty.params },
    folds, K, lambdas,
    options: {
      tol: o.tol, maxIter: o.maxIter, solver: o.solver, screening: o.screening,
      deadlineEpoch: o.deadline === undefined ? undefined : perf.timeOrigin + o.deadline,
    },
    fn, ctrl: ctrlBuf, first: -1,
  };
  // Folds 0 … need−1 are the workers' first ones; the counter hands out the rest.
  ctrl[0] = helpers.length;
  helpers.forEach((h, k) => h.worker.postMessage({ ...job, first: k }));

  const done = new Uint8Array(K);
  let nDone = 0;
  const finish = (f: number, r: FoldPrediction): void => {
    done[f] = 1;
    nDone++;
    run.store(f, r);
    run.progress(nDone, 0);
  };
  const redo: number[] = [];
  const drain = (): void => {
    for (const h of helpers) {
      for (let m = wt.receiveMessageOnPort(h.port); m; m = wt.receiveMessageOnPort(h.port)) {
        const a = m.message as FoldAnswer;
        if (a.id !== job.id || done[a.f]) continue;
        if (a.unavailable !== undefined) {
          redo.push(a.f);
          continue;
        }
        if (a.error) {
          const E = ERRORS[a.error.name];
          if (E) {
            const e = new E(a.error.fn, '');
            e.message = a.error.message;
            throw e;
          }
          throw new Error(a.error.message);
        }
        workerFolds++;
        finish(a.f, { eta: a.eta!, notConverged: a.notConverged! });
      }
    }
  };
  // Time of this thread's own folds: how long a worker's fold may keep it waiting (below).
  let ownMs = 0;
  let own = 0;
  const fitHere = (f: number): void => {
    const t0 = perf.now();
    const r = foldPredictions(prob, folds, f, K, lambdas, { ...o, onProgress: (k) => run.progress(nDone, k) }, fn);
    ownMs += perf.now() - t0;
    own++;
    if (!done[f]) finish(f, r);
  };
  try {
    // The calling thread claims folds too: it starts at once, while the workers read their job.
    if (callerHelps) {
      for (let f = Atomics.add(ctrl, 0, 1); f < K; f = Atomics.add(ctrl, 0, 1)) {
        fitHere(f);
        drain();
      }
    }
    let idleSince = perf.now();
    for (;;) {
      drain();
      for (const f of redo.splice(0)) if (!done[f]) fitHere(f);
      if (nDone === K) break;
      // Every fold is claimed. A worker that is still loading or compiling (its first folds run
      // many times slower than warm code) would keep this thread waiting for longer than the fold
      // takes here: after waiting that long, fit the lowest unfinished fold here too. The same
      // code gives the same bits, so whichever copy comes first is the result.
      const patience = callerHelps && own > 0 ? ownMs / own : WORKER_WAIT_MS;
      if (perf.now() - idleSince > patience) {
        let f = 0;
        while (done[f]) f++;
        fitHere(f);
        idleSince = perf.now();
        continue;
      }
      const seen = Atomics.load(ctrl, 1);
      drain();
      if (nDone === K) break;
      Atomics.wait(ctrl, 1, seen, own > 0 ? Math.max(1, ownMs / own / 4) : 50);
    }
  } finally {
    // Done or failed, the workers stop after their current fit.
    Atomics.store(ctrl, 2, 1);
  }
  return true;
}
