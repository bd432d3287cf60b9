import type { Tensor } from '@tensorflow/tfjs-core';
import * as neural from '../../src/neural/index.ts';

const { tf } = neural;

/**
 * Relative output error √(Σ‖g(x_i) − ref(x_i)‖² / Σ‖ref(x_i)‖²) over every output of `g` against
 * `ref`, on the images `idx` of `x` (all of them by default), run one image at a time (some graphs
 * fix batch 1 in their reshapes). Computed here, independently of the library's own error measures.
 */
export function relativeOutputError(g: neural.Graph, ref: neural.Graph, x: Tensor, idx?: readonly number[]): number {
  const a = neural.graphRunner(g);
  const b = neural.graphRunner(ref);
  let num = 0;
  let den = 0;
  try {
    for (const i of idx ?? Array.from({ length: x.shape[0] }, (_, k) => k)) {
      const xi = tf.slice(x, [i], [1]);
      const oa = a.run([xi]);
      const ob = b.run([xi]);
      oa.forEach((t, k) => {
        num += tf.sum(tf.square(tf.sub(t, ob[k]))).dataSync()[0];
        den += tf.sum(tf.square(ob[k])).dataSync()[0];
      });
      tf.dispose([xi, ...oa, ...ob]);
    }
  } finally {
    a.dispose();
    b.dispose();
  }
  return Math.sqrt(num / den);
}
