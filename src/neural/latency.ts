import { ValueError } from '../errors.ts';
import type { Graph } from './ir/graph.ts';
import { graphRunner, inferShapes } from './ir/execute.ts';
import { tf } from './runtime.ts';

/** The tfjs WASM backend's heap limit (its Emscripten build: 4 GiB − 64 KiB). */
const WASM_HEAP_MAX = 4294901760;

/**
 * Bytes a forward pass at `batch` holds at its peak in `graphRunner(g).run`, which frees every
 * tensor after its last reader: the weights plus the widest set of live activations (float32),
 * from the shapes at batch 1 scaled by the batch.
 */
export function peakForwardBytes(g: Graph, batch = 1): number {
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
 * input shape, after `warmup` untimed passes; outputs are read back so the time includes the work.
 *
 * On the WASM backend a pass whose live tensors would take more than half the backend's 4 GiB
 * heap is refused with a ValueError before it starts: the kernels' scratch buffers and the
 * allocator's fragmentation need the rest, and an allocation that fails inside the backend
 * surfaces as "memory access out of bounds" and leaves the backend unusable.
 */
export function measureLatency(g: Graph, inputShape: readonly number[], options: { batch?: number; runs?: number; warmup?: number } = {}): number {
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
    for (let k = 0; k < (options.warmup ?? 3); k++) tf.dispose(r.run([x]).map((t) => (t.dataSync(), t)));
    const times: number[] = [];
    for (let k = 0; k < runs; k++) {
      const t0 = performance.now();
      const out = r.run([x]);
      for (const t of out) t.dataSync();
      times.push(performance.now() - t0);
      tf.dispose(out);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    x.dispose();
    r.dispose();
  }
}
