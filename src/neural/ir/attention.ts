import { DataError } from '../../errors.ts';
import type { AttentionNode, Graph } from './graph.ts';

/**
 * The structure of the IR's multi-head attention node: which weight slices belong to one head, the
 * shapes its weights must have, what it costs. The dependency groups, the importers and the
 * exporters read it from here; `sequence-ops.ts` runs it on tfjs.
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
