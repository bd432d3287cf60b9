import { tf } from '../runtime.ts';
import { DataError } from '../../errors.ts';
import type { AttentionNode, Graph, LayerNormNode } from './graph.ts';

/**
 * Multi-head attention and layer norm of the IR: how they run on tfjs, what they cost, and which
 * weight slices belong to one head. One home for the attention arithmetic: the runner, the
 * dependency groups and the exporters all read it from here.
 */

/** Which slices of an attention node's weights one head owns (axis, first index, count). */
export interface HeadSlice {
  readonly role: 'wq' | 'wk' | 'wv' | 'wo' | 'bq' | 'bk' | 'bv';
  readonly weight: string;
  readonly axis: number;
  readonly start: number;
  readonly count: number;
}

/** Slices owned by head `h`: its columns of Wq, Wk, Wv, its bias entries, its rows of Wo. */
export function headSlices(n: AttentionNode, h: number): HeadSlice[] {
  const q = { start: h * n.headDim, count: n.headDim };
  const v = { start: h * n.valueDim, count: n.valueDim };
  const out: HeadSlice[] = [
    { role: 'wq', weight: n.wq, axis: 1, ...q }, { role: 'wk', weight: n.wk, axis: 1, ...q },
    { role: 'wv', weight: n.wv, axis: 1, ...v }, { role: 'wo', weight: n.wo, axis: 0, ...v },
  ];
  if (n.bq) out.push({ role: 'bq', weight: n.bq, axis: 0, ...q });
  if (n.bk) out.push({ role: 'bk', weight: n.bk, axis: 0, ...q });
  if (n.bv) out.push({ role: 'bv', weight: n.bv, axis: 0, ...v });
  return out;
}

/**
 * Check an attention node's weight shapes against its heads and dims; throws DataError naming the
 * node. Returns the model width D (rows of Wq) and the output width (columns of Wo).
 */
export function checkAttention(fn: string, g: Pick<Graph, 'weights'>, n: AttentionNode): { dIn: number; dOut: number } {
  const where = `attention node '${n.name}'`;
  const shape = (w: string): readonly number[] => {
    const x = g.weights.get(w);
    if (!x) throw new DataError(fn, `${where} references weight '${w}', which the weights do not hold`);
    return x.shape;
  };
  if (!(Number.isInteger(n.heads) && n.heads >= 1 && Number.isInteger(n.headDim) && n.headDim >= 1 && Number.isInteger(n.valueDim) && n.valueDim >= 1)) {
    throw new DataError(fn, `${where} has ${n.heads} heads of ${n.headDim} (values ${n.valueDim}): need positive whole numbers`);
  }
  if (!Number.isFinite(n.scale)) throw new DataError(fn, `${where} has a non-finite score scale ${n.scale}`);
  const hq = n.heads * n.headDim;
  const hv = n.heads * n.valueDim;
  const q = shape(n.wq);
  const dIn = q[0];
  const want = (w: string, role: string, s: readonly number[]): void => {
    const have = shape(w);
    if (have.length !== s.length || have.some((d, i) => d !== s[i])) {
      throw new DataError(fn, `${where}: ${role} '${w}' has shape [${have.join(', ')}], expected [${s.join(', ')}] for ${n.heads} heads of ${n.headDim} (values ${n.valueDim})`);
    }
  };
  want(n.wq, 'Wq', [dIn, hq]);
  want(n.wk, 'Wk', [dIn, hq]);
  want(n.wv, 'Wv', [dIn, hv]);
  const o = shape(n.wo);
  want(n.wo, 'Wo', [hv, o[1] ?? -1]);
  if (n.bq) want(n.bq, 'bq', [hq]);
  if (n.bk) want(n.bk, 'bk', [hq]);
  if (n.bv) want(n.bv, 'bv', [hv]);
  if (n.bo) want(n.bo, 'bo', [o[1]]);
  return { dIn, dOut: o[1] };
}

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

/**
 * FLOPs per sample (one multiply-add = 2) of self-attention over S positions with `heads` heads
 * kept, `dIn` input and `dOut` output features kept: the Q, K, V projections S·2·dIn·heads·(2·headDim
 * + valueDim), the scores S²·heads·2·headDim, their scaling and softmax 4·S²·heads, the weighted sum
 * S²·heads·2·valueDim, the output projection S·2·heads·valueDim·dOut, plus one add per bias entry
 * and position.
 */
export function attentionFlops(n: AttentionNode, S: number, heads: number, dIn: number, dOut: number): number {
  const hq = heads * n.headDim;
  const hv = heads * n.valueDim;
  const proj = S * 2 * dIn * (2 * hq + hv) + S * ((n.bq ? hq : 0) + (n.bk ? hq : 0) + (n.bv ? hv : 0));
  const scores = S * S * heads * (2 * n.headDim + 4 + 2 * n.valueDim);
  const out = S * (2 * hv * dOut + (n.bo ? dOut : 0));
  return proj + scores + out;
}

/** Parameters of an attention node with `heads` heads, `dIn` inputs and `dOut` outputs kept. */
export function attentionParams(n: AttentionNode, heads: number, dIn: number, dOut: number): number {
  const hq = heads * n.headDim;
  const hv = heads * n.valueDim;
  return dIn * (2 * hq + hv) + hv * dOut + (n.bq ? hq : 0) + (n.bk ? hq : 0) + (n.bv ? hv : 0) + (n.bo ? dOut : 0);
}
