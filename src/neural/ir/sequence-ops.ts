import { tf } from '../runtime.ts';
import type { AttentionNode, LayerNormNode } from './graph.ts';

/** The IR's sequence-model nodes (multi-head attention, layer norm) on tfjs ops, for the runner. */

/**
 * Self-attention on x [N, S, D] with tfjs ops (inside the caller's tidy). The projections are one
 * matmul each over all heads, the heads split by a reshape: the same arithmetic as the ONNX
 * pattern the exporter writes.
 */
export function runAttention(n: AttentionNode, x: tf.Tensor, w: (name: string) => tf.Tensor): tf.Tensor {
  if (x.rank !== 3) throw new Error(`attention reads [N, S, D] tensors, got rank ${x.rank}`);
  const [N, S, D] = x.shape;
  const x2 = tf.reshape(x, [N * S, D]);
  const proj = (wt: string, b: string | undefined, width: number): tf.Tensor => {
    const y = tf.matMul(x2 as tf.Tensor2D, w(wt) as tf.Tensor2D);
    const yb = b ? tf.add(y, w(b)) : y;
    return tf.transpose(tf.reshape(yb, [N, S, n.heads, width]), [0, 2, 1, 3]);
  };
  const q = proj(n.wq, n.bq, n.headDim);
  const k = proj(n.wk, n.bk, n.headDim);
  const v = proj(n.wv, n.bv, n.valueDim);
  const scores = tf.mul(tf.matMul(q, k, false, true), n.scale);
  const ctx = tf.matMul(tf.softmax(scores), v);
  const flat = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [N * S, n.heads * n.valueDim]);
  const y = tf.matMul(flat as tf.Tensor2D, w(n.wo) as tf.Tensor2D);
  const yb = n.bo ? tf.add(y, w(n.bo)) : y;
  return tf.reshape(yb, [N, S, yb.shape[1] as number]);
}

/** Layer norm over the last axis. */
export function runLayerNorm(n: LayerNormNode, x: tf.Tensor, w: (name: string) => tf.Tensor): tf.Tensor {
  // Written out rather than tf.moments, which costs ~25× more on the WASM backend at these sizes.
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centred), -1, true);
  let y = tf.mul(centred, tf.rsqrt(tf.add(variance, n.epsilon)));
  if (n.scale) y = tf.mul(y, w(n.scale));
  if (n.offset) y = tf.add(y, w(n.offset));
  return y;
}

