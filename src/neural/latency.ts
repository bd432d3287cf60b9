import { OptionError, ValueError } from '../errors.ts';
import type { Graph } from './ir/graph.ts';
import { graphRunner, inferShapes } from './ir/execute.ts';
import { tf } from './runtime.ts';
import { checkGraph, checkShape } from './check.ts';
import { checkOptions, checkPositiveInt, checkSizeLimit } from '../util/validate.ts';

/** The tfjs WASM backend's heap limit (its Emscripten build: 4 GiB − 64 KiB). */
const WASM_HEAP_MAX = 4294901760;

/**
 * Bytes a forward pass at `batch` holds at its peak in `graphRunner(g).run`, which frees every
 * tensor after its last reader: the weights plus the widest set of live activations (float32),
 * from the shapes at batch 1 scaled by the batch.
 */
export function peakForwardBytes(g: Graph, batch = 1): number {
  checkGraph('peakForwardBytes', g);
  checkPositiveInt('peakForwardBytes', 'batch', batch);
  const shapes = inferShapes(g);
  const size = (name: string): number => (shapes.get(name) ?? [0]).reduce((a, b) => a * b, 1);
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, k) => { for (const i of n.inputs) lastUse.set(i, k); });
  for (const o of g.outputs) lastUse.set(o, Infinity);
  let live = 0;
  for (const i of g.inputs) live += size(i.name);
  let peak = live;
  g.nodes.forEach((n, k) => {
    live += size(n.name);
    peak = Math.max(peak, live);
    for (const i of new Set(n.inputs)) if (lastUse.get(i) === k) live -= size(i);
    if (!lastUse.has(n.name)) live -= size(n.name);
  });
  let weights = 0;
  for (const w of g.weights.values()) weights += w.data.length;
  return 4 * (weights + batch * peak);
}

/** How many passes a latency measurement times, and how it warms up first. */
export interface LatencyOptions {
  /** Examples per pass (default 1). */
  batch?: number;
  /** Timed passes, at least (default 20): the median is never taken over fewer. */
  runs?: number;
  /** Timed passes, at most (default `runs`); passes beyond `runs` stop once the timed ones add up to `maxSeconds`. */
  maxRuns?: number;
  /** Time cap (s) on the timed passes beyond `runs` (default no cap); it never cuts below `runs`. */
  maxSeconds?: number;
  /** Untimed passes first; by default until three in a row settle (see `RunSchedule`). */
  warmup?: number;
  /**
   * Called after every pass (warm-up included) with the passes done so far and the last one's
   * time; returning false ends the measurement after the timed passes done (a pass of a large
   * batch can take seconds, so a long measurement is otherwise silent and cannot be stopped).
   */
  onProgress?: (info: { warmup: number; timed: number; lastMs: number }) => boolean | void;
}

/** A latency measurement: the median (ms) of `runs` timed passes after `warmup` untimed ones. */
export interface LatencyStats {
  median: number;
  runs: number;
  warmup: number;
  /** The timed passes (ms), sorted. */
  times: number[];
  /** 'complete', or 'stopped by callback' (onProgress returned false; `runs` says how many were timed). */
  status: 'complete' | 'stopped by callback';
}

/** The adaptive warm-up's caps: passes, and their total time (ms). */
const WARMUP_MAX = 50;
const WARMUP_MS = 10_000;

/**
 * The passes of one latency measurement, fed one duration at a time (`record`) until `done`, so
 * the tfjs measurement here and a benchmark's timing of another runtime (onnxruntime, async) share
 * one rule. Warm-up: `warmup` passes if given, otherwise passes until the last three lie within 25 %
 * of their median (at most 50 passes or 10 s of them; at least one — the first pass pays for
 * compilation and allocation): the first ten or so passes of a small graph on tfjs-wasm can take
 * tens of times longer than the settled ones, while a pass of seconds (a large network at batch 32)
 * is settled after one. Then `runs` timed passes whatever they cost, and more up to `maxRuns` while
 * the timed ones add up to less than `maxMs`.
 */
export class RunSchedule {
  readonly warm: number[] = [];
  readonly times: number[] = [];
  private warmMs = 0;
  private timedMs = 0;
  constructor(private readonly plan: { runs: number; maxRuns: number; maxMs: number; warmup?: number }) {}

  get warming(): boolean {
    const w = this.warm;
    if (this.plan.warmup !== undefined) return w.length < this.plan.warmup;
    if (w.length === 0) return true;
    if (w.length >= WARMUP_MAX || this.warmMs >= WARMUP_MS) return false;
    if (w.length < 3) return true;
    const last = w.slice(-3).sort((a, b) => a - b);
    return !(last[2] <= 1.25 * last[1] && last[0] >= 0.75 * last[1]);
  }

  get done(): boolean {
    if (this.warming) return false;
    const n = this.times.length;
    return n >= Math.max(this.plan.runs, this.plan.maxRuns) || (n >= this.plan.runs && this.timedMs >= this.plan.maxMs);
  }

  record(ms: number): void {
    if (this.warming) {
      this.warm.push(ms);
      this.warmMs += ms;
    } else {
      this.times.push(ms);
      this.timedMs += ms;
    }
  }

  stats(): LatencyStats {
    const t = [...this.times].sort((a, b) => a - b);
    return { median: t[Math.floor(t.length / 2)], runs: t.length, warmup: this.warm.length, times: t, status: 'complete' };
  }
}

/** Most forward passes one latency measurement times. */
const MAX_LATENCY_RUNS = 10_000;

/** The options of a latency measurement, checked, with their defaults. */
export function latencyPlan(fn: string, options: unknown): { batch: number; runs: number; maxRuns: number; maxMs: number; warmup?: number } {
  checkOptions(fn, options as object | undefined, ['batch', 'runs', 'maxRuns', 'maxSeconds', 'warmup', 'onProgress']);
  const o = (options ?? {}) as LatencyOptions;
  const batch = o.batch === undefined ? 1 : checkPositiveInt(fn, 'batch', o.batch);
  const runs = o.runs === undefined ? 20 : checkPositiveInt(fn, 'runs', o.runs);
  const maxRuns = o.maxRuns === undefined ? runs : checkPositiveInt(fn, 'maxRuns', o.maxRuns);
  // A timing is a median over runs, and a median of 10⁴ passes is as good as one of 10⁹ (which
  // was accepted and ran for hours without a word).
  checkSizeLimit(fn, o.maxRuns === undefined ? 'runs' : 'maxRuns', maxRuns, MAX_LATENCY_RUNS, 'passes timed one after another');
  if (maxRuns < runs) throw new ValueError(fn, `maxRuns (${maxRuns}) must be ≥ runs (${runs})`);
  const maxS = o.maxSeconds === undefined ? Infinity : o.maxSeconds;
  if (typeof maxS !== 'number' || Number.isNaN(maxS) || maxS <= 0) throw new ValueError(fn, `maxSeconds must be a number > 0, got ${String(maxS)}`);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new OptionError(fn, `onProgress must be a function ({ warmup, timed, lastMs }) => boolean | void, got ${o.onProgress === null ? 'null' : typeof o.onProgress}`);
  }
  if (o.warmup !== undefined && (typeof o.warmup !== 'number' || !Number.isInteger(o.warmup) || o.warmup < 0)) {
    throw new ValueError(fn, `warmup must be a whole number ≥ 0, got ${String(o.warmup)}`);
  }
  return { batch, runs, maxRuns, maxMs: 1000 * maxS, warmup: o.warmup };
}

/**
 * Median wall time (ms) of forward passes of `g` on a batch of `batch` at the graph's input shape
 * (`latencyStats(...).median`).
 */
export function measureLatency(g: Graph, inputShape: readonly number[], options: LatencyOptions = {}): number {
  return timeGraph('measureLatency', g, inputShape, options).median;
}

/**
 * Latency of `g` on a batch of `batch` at the graph's input shape: the median of at least `runs`
 * timed forward passes (default 20) after a warm-up (`RunSchedule`), with the counts of timed and
 * warm-up passes. Outputs are read back so the time includes the work.
 *
 * On the WASM backend a pass whose live tensors would take more than half the backend's 4 GiB
 * heap is refused with a ValueError before it starts: the kernels' scratch buffers and the
 * allocator's fragmentation need the rest, and an allocation that fails inside the backend
 * surfaces as "memory access out of bounds" and leaves the backend unusable.
 */
export function latencyStats(g: Graph, inputShape: readonly number[], options: LatencyOptions = {}): LatencyStats {
  return timeGraph('latencyStats', g, inputShape, options);
}

function timeGraph(fn: string, g: Graph, inputShape: readonly number[], options: LatencyOptions): LatencyStats {
  checkGraph(fn, g);
  checkShape(fn, 'inputShape', inputShape);
  const plan = latencyPlan(fn, options);
  const batch = plan.batch;
  if (tf.getBackend() === 'wasm') {
    const need = peakForwardBytes(g, batch);
    if (need > WASM_HEAP_MAX / 2) {
      throw new ValueError(fn, `a batch of ${batch} needs ${(need / 2 ** 30).toFixed(2)} GiB of live tensors at its peak, above half the WASM backend's 4 GiB heap (kept for kernel scratch and fragmentation); use a smaller batch or input`);
    }
  }
  const r = graphRunner(g);
  const x = tf.randomUniform([batch, ...inputShape.slice(1)], 0, 1);
  try {
    const schedule = new RunSchedule(plan);
    const onProgress = (options as LatencyOptions).onProgress;
    while (!schedule.done) {
      const t0 = performance.now();
      const out = r.run([x]);
      for (const t of out) t.dataSync();
      const ms = performance.now() - t0;
      schedule.record(ms);
      tf.dispose(out);
      if (onProgress && onProgress({ warmup: schedule.warm.length, timed: schedule.times.length, lastMs: ms }) === false) {
        // A median of no timed pass does not exist: say so rather than return NaN.
        if (schedule.times.length === 0) throw new ValueError(fn, `onProgress stopped the measurement during the warm-up (${schedule.warm.length} passes), before any timed pass`);
        return { ...schedule.stats(), status: 'stopped by callback' };
      }
    }
    return schedule.stats();
  } finally {
    x.dispose();
    r.dispose();
  }
}
