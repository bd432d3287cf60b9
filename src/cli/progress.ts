import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import type { FitIteration } from '../path/path.ts';
import { CliError } from './errors.ts';

/** Ctrl-C during a fit: the fit ended early, nothing was written (exit code 130, as a shell does). */
export class CliInterrupt extends CliError {
  override name = 'CliInterrupt';
}

/**
 * A progress reporter for long work: `(done, total)` calls per fit of a path, `onIteration` inside
 * one fit, `stop()` when the work ends, and `interrupted()` — what was under way when Ctrl-C came.
 */
export interface Progress {
  readonly onProgress: ((done: number, total: number) => boolean | void) | undefined;
  readonly onIteration: ((info: FitIteration) => boolean | void) | undefined;
  /**
   * Resolves once Ctrl-C is watched for during synchronous work (the watcher is up, or a signal
   * already came): await it before the work, then look at `interrupted()`.
   */
  ready(): Promise<void>;
  /** A description of where Ctrl-C stopped the work, or undefined when it was not pressed. */
  interrupted(): string | undefined;
  stop(): void;
}

/** Seconds a single fit runs before its iterations are reported. */
const QUIET_SECONDS = 1;

/**
 * Watches for Ctrl-C while the main thread is busy in a fit. A fit is synchronous, so a SIGINT
 * handler of the main thread cannot run before it ends; and signals are not delivered to worker
 * threads. So a small child process (in the same process group, which is what the terminal signals)
 * reports SIGINT on its stdout to a worker thread, which raises a shared flag that the fit's
 * callbacks read. The child writes 'r' once its handler is in place and the worker then posts
 * 'ready': a signal that comes before (and kills the still-starting child) also raises the flag,
 * and the caller waits for 'ready' before the fit, when the main thread's own handler can still
 * run. The child exits when the worker goes (its stdin closes).
 */
const WATCHER = `
const { workerData, parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const flag = new Int32Array(workerData);
let told = false;
const ready = () => { if (!told) { told = true; parentPort.postMessage('ready'); } };
const child = spawn(process.execPath, ['-e', "process.on('SIGINT', () => process.stdout.write('i')); process.stdout.write('r'); process.stdin.on('end', () => process.exit(0)); process.stdin.resume();"], { stdio: ['pipe', 'pipe', 'ignore'] });
child.stdout.on('data', (d) => {
  const s = String(d);
  if (s.includes('i')) Atomics.store(flag, 0, 1);
  if (s.includes('r')) ready();
});
child.on('exit', (code, signal) => {
  if (signal === 'SIGINT') Atomics.store(flag, 0, 1);
  ready();
});
child.on('error', ready);
`;

/**
 * A progress bar on stderr (plain lines `fit 12/1100 fits, 35 s`, at most once a second and written
 * synchronously, when stderr is not a terminal), or nothing when `quiet`. The bar starts at the
 * first report, and plain lines a second after it, so quick work prints nothing. A single fit that
 * runs longer than a second also prints a line per second (λ, iteration, running relative gap),
 * written synchronously because the event loop does not turn during a fit. Ctrl-C (quiet or not)
 * makes the callbacks return false: the fit ends early and `interrupted()` says where.
 */
export function progressBar(label: string, unit: string, quiet: boolean, stream: NodeJS.WriteStream | undefined = process.stderr): Progress {
  stream ??= process.stderr;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  let where: string | undefined;
  let watcher: Worker | undefined;
  const onSigint = (): void => {
    Atomics.store(flag, 0, 1);
  };
  process.on('SIGINT', onSigint);
  // Started now, on its own thread: by the time a fit runs long enough to be interrupted, the
  // watcher is listening.
  watcher = new Worker(WATCHER, { eval: true, workerData: flag.buffer });
  // Referenced until it is ready, so that awaiting `ready()` keeps the process alive.
  const whenReady = new Promise<void>((resolve) => {
    const done = (): void => {
      watcher?.unref();
      resolve();
    };
    watcher!.once('message', done);
    watcher!.once('error', done);
    watcher!.once('exit', done);
  });
  const stopRequested = (): boolean => Atomics.load(flag, 0) === 1;
  // Off a terminal the bar's own lines come from a timer, which cannot fire while a synchronous
  // path or cross-validation runs (minutes on a 5000-level categorical showed '0/1100' and
  // nothing more): there the reports write their own line, at most once a second.
  const tty = stream.isTTY === true;
  const bar = quiet || !tty ? undefined : new cliProgress.SingleBar({
    stream, noTTYOutput: false, hideCursor: false, clearOnComplete: false,
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit}`,
  }, cliProgress.Presets.legacy);
  let started = false;
  let total = 0;
  let fitStart = performance.now();
  let lastLine = 0;
  let lastK = -1;
  // Plain lines (no terminal): when the work began and when the last line was written.
  const workStart = performance.now();
  let lastPlain = 0;
  const fd = (stream as unknown as { fd?: number }).fd;
  const line = (s: string): void => {
    if (typeof fd === 'number') writeSync(fd, s);
    else stream!.write(s);
  };
  return {
    onProgress(done: number, t: number) {
      if (stopRequested()) {
        where ??= `after ${done} of ${t} ${unit}`;
        return false;
      }
      if (quiet) return undefined;
      if (!bar) {
        const now = performance.now();
        if (!started) {
          started = true;
          lastPlain = now;
        } else if (now - lastPlain >= 1000 || done === t) {
          lastPlain = now;
          line(`${label} ${done}/${t} ${unit}, ${((now - workStart) / 1000).toFixed(0)} s\n`);
        }
        return undefined;
      }
      if (!started) {
        bar.start(t, 0);
        started = true;
        total = t;
      } else if (t !== total) {
        bar.setTotal(t);
        total = t;
      }
      bar.update(done);
      return undefined;
    },
    onIteration(info: FitIteration) {
      if (info.lambdaIndex !== lastK || info.iteration === 1) {
        lastK = info.lambdaIndex;
        fitStart = performance.now();
      }
      const gap = Number.isFinite(info.relativeGap) ? info.relativeGap.toExponential(2) : 'not yet known';
      const state = `fit ${info.lambdaIndex + 1} of ${info.nLambda}, iteration ${info.iteration}, relative gap ${gap}`;
      if (stopRequested()) {
        where ??= `in ${state}`;
        return false;
      }
      // Only every 64th iteration looks at the clock: the callback runs once per iteration.
      if ((info.iteration & 63) !== 0) return undefined;
      const now = performance.now();
      const seconds = (now - fitStart) / 1000;
      if (seconds < QUIET_SECONDS) return undefined;
      if (!quiet && now - lastLine >= 1000) {
        lastLine = now;
        line(`${label}: ${state}, ${seconds.toFixed(1)} s in this fit (Ctrl-C stops)\n`);
      }
      return undefined;
    },
    ready() {
      return whenReady;
    },
    interrupted() {
      return stopRequested() ? where ?? 'before the work began' : undefined;
    },
    stop() {
      if (started) bar?.stop();
      started = false;
      process.off('SIGINT', onSigint);
      void watcher?.terminate();
      watcher = undefined;
    },
  };
}
