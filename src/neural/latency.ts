import type { Graph } from './ir/graph.ts';
import { graphRunner } from './ir/execute.ts';
import { tf } from './runtime.ts';

/**
 * Median wall time (ms) of `runs` forward passes of `g` on a batch of `batch` at the graph's
 * input shape, after `warmup` untimed passes; outputs are read back so the time includes the work.
 */
export function measureLatency(g: Graph, inputShape: readonly number[], options: { batch?: number; runs?: number; warmup?: number } = {}): number {
  const batch = options.batch ?? 1;
  const runs = options.runs ?? 20;
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
