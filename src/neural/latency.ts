import { ValueError } from '../errors.ts';
import type { Graph } from './ir/graph.ts';
import { graphRunner, inferShapes } from './ir/execute.ts';
import { tf } from './runtime.ts';
import { checkGraph, checkShape } from './check.ts';

/** The tfjs WASM backend's heap limit (its Emscripten build: 4 GiB − 64 KiB). */
const WASM_HEAP_MAX = 4294901760;

/**
 * Bytes a forward pass at `batch` holds at its peak in `graphRunner(g).run`, which frees every
 * tensor after its last reader: the weights plus the widest set of live activations (float32),
 * from the shapes at batch 1 scaled by the batch.
 */
export function peakForwardBytes(g: Graph, batch = 1): number {
  checkGraph('peakForwardBytes', g);
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

/**
 * Median wall time (ms) of `runs` forward passes of `g` on a batch of `batch` at the graph's
 * input shape; outputs are read back so the time includes the work. `warmup` fixes the number of
 * untimed passes; by default passes run until three in a row lie within 25 % of their median (at
 * least 3, at most 50 passes or 10 s): the first ten or so passes of a small graph on tfjs-wasm can
 * take tens of times longer than the settled ones, and a fixed short warm-up would report that
 * start-up as the model's latency (and its ratio to another model as a speed-up).
 *
 * On the WASM backend a pass whose live tensors would take more than half the backend's 4 GiB
 * heap is refused with a ValueError before it starts: the kernels' scratch buffers and the
 * allocator's fragmentation need the rest, and an allocation that fails inside the backend
 * surfaces as "memory access out of bounds" and leaves the backend unusable.
 */
export function measureLatency(g: Graph, inputShape: readonly number[], options: { batch?: number; runs?: number; warmup?: number } = {}): number {
  checkGraph('measureLatency', g);
  checkShape('measureLatency', 'inputShape', inputShape);
  const batch = options.batch ?? 1;
  const runs = options.runs ?? 20;
  if (tf.getBackend() === 'wasm') {
    const need = peakForwardBytes(g, batch);
    if (need > WASM_HEAP_MAX / 2) {
      throw new ValueError('measureLatency', `a batch of ${batch} needs ${(need / 2 ** 30).toFixed(2)} GiB of live tensors at its peak, above half the WASM backend's 4 GiB heap (kept for kernel scratch and fragmentation); use a smaller batch or input`);
    }
  }
  const r = graphRunner(g);
  const x = tf.randomUniform([batch, ...inputShape.slice(1)], 0, 1);
  try {
    const pass = (): number => {
      const t0 = performance.now();
      const out = r.run([x]);
      for (const t of out) t.dataSync();
      const dt = performance.now() - t0;
      tf.dispose(out);
      return dt;
    };
    if (options.warmup !== undefined) {
      for (let k = 0; k < options.warmup; k++) pass();
    } else {
      const seen: number[] = [];
      const start = performance.now();
      while (seen.length < 50 && performance.now() - start < 10_000) {
        seen.push(pass());
        if (seen.length < 3) continue;
        const last = seen.slice(-3).sort((a, b) => a - b);
        if (last[2] <= 1.25 * last[1] && last[0] >= 0.75 * last[1]) break;
      }
    }
    const times: number[] = [];
    for (let k = 0; k < runs; k++) times.push(pass());
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    x.dispose();
    r.dispose();
  }
}
