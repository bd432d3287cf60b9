import { choleskyFactorSemidefinite, choleskySolveColumns } from '../linalg/cholesky.ts';
import { crossProducts, RowMajorProducts } from '../linalg/rowmajor.ts';
import { prunedCost, type DependencyGraph, type DependencyGroup } from './depgraph.ts';
import { geometry, heldBack, linearConsumers, patch, positions } from './refit.ts';
import type { tf } from './runtime.ts';

/**
 * Per-layer guard of a channel selection. A layer's channels can be chosen by two rankings — the
 * lasso path's, the group norms' — and a ranking is only a heuristic for what a selection is meant
 * to achieve: reconstructing the layer's consumers. So for every layer (groups of the same
 * producers) the channels an allocation kept are compared with the same number chosen by another
 * ranking, by the relative reconstruction error of every convolution and dense layer reading them
 * on the held-back calibration images' rows (the original network's activations there; every other
 * layer unpruned): the error with the consumer's kernel sliced, or refitted by least squares on the
 * other images' rows to the original output, whichever is lower, as the refit that follows keeps a
 * layer's new kernel only when it helps. The other ranking's channels replace the allocation's only
 * when their error is strictly lower — and, given a judge, when the network's output error falls
 * too: a layer reconstructed better on its own is not a better network (with every layer judged
 * alone on the original activations, the swaps together raised facemesh's held-back output error
 * at 25 % of its FLOPs from 0.146 to 0.181), so layer by layer, in order, a swap is made only when it
 * lowers the network's error with every earlier swap made.
 */

export interface LayerChoiceInfo {
  /** The layer's producers, joined by '|'. */
  readonly layer: string;
  readonly groups: number;
  readonly kept: number;
  /** Σ over the layer's consumers of ‖error‖² / ‖output‖² on the held-back rows: the allocation's channels, the other ranking's. */
  readonly errKept: number;
  readonly errOther: number;
  /** With a judge: the network's error before this layer's decision, and with the swap (when the layer's errors favoured it). */
  readonly outputKept?: number;
  readonly outputOther?: number;
  readonly chose: 'kept' | 'other';
}

export interface LayerChoiceOptions {
  /** Rows sampled per consumer (positions × images), default 4096. */
  readonly maxRows?: number;
  /**
   * The network's output error with a set of groups removed (on the held-back calibration images).
   * When given, a swap the layer's reconstruction favours is also made only when it lowers this,
   * judged in order with every earlier swap made.
   */
  readonly judge?: (removed: ReadonlySet<number>) => number;
  /** Called with each compared layer's errors and choice. */
  readonly onLayer?: (info: LayerChoiceInfo) => void;
}

/** Memory bound on one consumer's sampled patches (rows × unknowns, float64). */
const MAX_PATCHES = 1 << 22;
/** Largest consumer input (kh·kw·C) solved by least squares in the guard; above it only the sliced kernel is judged. */
const MAX_REFIT = 512;
/** Ridge factor of the guard's least squares (μ = λ × the Gram's mean diagonal). */
const RIDGE = 1e-3;

function layerKey(grp: DependencyGroup): string {
  return [...grp.producers].sort().join('|');
}

/**
 * Sampled input patches of consumer n and its original output on them, split into the fit images'
 * rows and the held-back images' rows.
 */
function consumerRows(dg: DependencyGraph, n: ReturnType<typeof linearConsumers>[number], act: tf.Tensor, maxRows: number) {
  const g = dg.graph;
  const t = n.inputs[0];
  const C = dg.channelIds.get(t)!.length;
  const geo = geometry(g, n, dg.shapes.get(t)!, dg.shapes.get(n.name)!);
  const D = geo.kh * geo.kw * C;
  const N = act.shape[0];
  const held = heldBack(N);
  // Rows for the guard's least squares: a few per unknown, no more (its Gram costs rows × D²).
  const want = Math.max(1, Math.min(maxRows, Math.max(1024, 4 * Math.min(D, MAX_REFIT)), Math.floor(MAX_PATCHES / D)));
  const pos = positions(geo.Ho * geo.Wo, Math.max(1, Math.ceil(want / N)));
  const nHeld = held.filter(Boolean).length;
  const Xf = new Float64Array((N - nHeld) * pos.length * D);
  const Xh = new Float64Array(nHeld * pos.length * D);
  const data = act.dataSync();
  const per = data.length / N;
  let rf = 0;
  let rh = 0;
  for (let i = 0; i < N; i++) {
    const src = data.subarray(i * per, (i + 1) * per);
    for (const q of pos) {
      if (held[i]) patch(src, C, geo, q, Xh, D * rh++);
      else patch(src, C, geo, q, Xf, D * rf++);
    }
  }
  return { C, D, kk: geo.kh * geo.kw, Xf, Xh, rf, rh };
}

/** Y = X·W for rows of X [R × D] and W [D × O]. */
/**
 * What the guard needs of one consumer: its sampled rows, its original output on the held-back
 * rows, and for a least-squares refit the fit rows' Gram G = XᵀX and XᵀY = G·W (Y = X·W), shared
 * by the channel sets compared; the held-back rows' products run on the kernels (`held`, which
 * the caller disposes).
 */
interface ConsumerStats {
  readonly rows: ReturnType<typeof consumerRows>;
  readonly W: ArrayLike<number>;
  readonly O: number;
  readonly held: RowMajorProducts;
  readonly Yh: Float64Array;
  readonly norm: number;
  readonly G?: Float64Array;
  readonly GW?: Float64Array;
}

function consumerStats(rows: ReturnType<typeof consumerRows>, W: ArrayLike<number>, O: number): ConsumerStats {
  const { D, Xf, Xh, rf, rh } = rows;
  const held = new RowMajorProducts(Xh, rh, D, O);
  const Yh = held.product(W, O);
  let norm = 0;
  for (const v of Yh) norm += v * v;
  if (D > MAX_REFIT) return { rows, W, O, held, Yh, norm };
  const { G } = crossProducts(Xf, rf, D);
  const g = new RowMajorProducts(G, D, D, O);
  try {
    return { rows, W, O, held, Yh, norm, G, GW: g.product(W, O) };
  } finally {
    g.dispose();
  }
}

/**
 * One consumer's relative held-back reconstruction error when only the input channels `keep`
 * remain: min(sliced kernel, least-squares refit) ÷ ‖Y‖² on the held-back rows.
 */
function consumerError(st: ConsumerStats, keep: (c: number) => boolean): number {
  const { rows, W, O, Yh, norm } = st;
  const { C, D, rf } = rows;
  if (!(norm > 0)) return 0;
  const cols: number[] = [];
  const gone: number[] = [];
  for (let u = 0; u < D; u++) (keep(u % C) ? cols : gone).push(u);
  // Sliced: the removed columns' contribution is the error.
  const Wg = new Float64Array(D * O);
  for (const u of gone) for (let o = 0; o < O; o++) Wg[u * O + o] = W[u * O + o];
  let sliced = 0;
  for (const v of st.held.product(Wg, O)) sliced += v * v;
  const K = cols.length;
  const { G, GW } = st;
  if (K === 0 || !G || !GW || rf < 2 * K) return sliced / norm;
  // Least squares on the fit rows, shrunk toward the sliced kernel W_S (collinear channels).
  const A = new Float64Array(K * K);
  let tr = 0;
  for (let a = 0; a < K; a++) {
    for (let b = 0; b < K; b++) A[a * K + b] = G[cols[a] * D + cols[b]];
    tr += A[a * K + a];
  }
  if (!(tr > 0)) return sliced / norm;
  const mu = RIDGE * (tr / K);
  for (let a = 0; a < K; a++) A[a * K + a] += mu;
  const L = new Float64Array(K * K);
  choleskyFactorSemidefinite(A, K, L, 'chooseLayerChannels');
  const Wn = new Float64Array(K * O);
  const rhs = new Float64Array(K * O);
  for (let o = 0; o < O; o++) for (let a = 0; a < K; a++) rhs[o * K + a] = GW[cols[a] * O + o] + mu * W[cols[a] * O + o];
  choleskySolveColumns(L, K, rhs, O);
  for (let o = 0; o < O; o++) for (let a = 0; a < K; a++) Wn[a * O + o] = rhs[o * K + a];
  const Wf = new Float64Array(D * O);
  for (let a = 0; a < K; a++) for (let o = 0; o < O; o++) Wf[cols[a] * O + o] = Wn[a * O + o];
  const P = st.held.product(Wf, O);
  let refit = 0;
  for (let k = 0; k < P.length; k++) refit += (P[k] - Yh[k]) ** 2;
  return Math.min(sliced, refit) / norm;
}

/**
 * For every layer, the channels `removed` keeps there, or as many chosen by `other` (highest score
 * kept), whichever reconstructs the layer's consumers better on the held-back calibration rows
 * (see the module comment). `activations` holds the original network's input of every convolution
 * and dense layer on the calibration images ([N, …] each, N ≥ 2 so some are held back). The result
 * never costs more FLOPs than `maxFlops`: a swap that would is not made. With `judge`, a swap must
 * also lower the network's error (see `LayerChoiceOptions.judge`).
 */
export function chooseLayerChannels(dg: DependencyGraph, removed: ReadonlySet<number>, other: ArrayLike<number>, activations: ReadonlyMap<string, tf.Tensor>, maxFlops: number, options: LayerChoiceOptions = {}): Set<number> {
  const g = dg.graph;
  const maxRows = options.maxRows ?? 4096;
  const layers = new Map<string, number[]>();
  dg.groups.forEach((grp, k) => {
    if (grp.head) return;
    const key = layerKey(grp);
    let l = layers.get(key);
    if (!l) layers.set(key, (l = []));
    l.push(k);
  });
  const consumers = linearConsumers(g).filter((n) => activations.has(n.inputs[0]));
  const out = new Set(removed);
  let outCur: number | undefined;
  for (const [key, members] of layers) {
    const kept = members.filter((k) => !removed.has(k));
    if (kept.length === 0 || kept.length === members.length) continue;
    const alt = members.slice().sort((a, b) => other[b] - other[a] || a - b).slice(0, kept.length);
    const altSet = new Set(alt);
    if (kept.every((k) => altSet.has(k))) continue;
    const inLayer = new Set(members);
    const keptSet = new Set(kept);
    let errKept = 0;
    let errOther = 0;
    let any = false;
    for (const n of consumers) {
      const ids = dg.channelIds.get(n.inputs[0])!;
      const grpOf = Array.from(ids, (v) => dg.groupOfClass.get(v));
      if (!grpOf.some((gi) => gi !== undefined && inLayer.has(gi))) continue;
      const act = activations.get(n.inputs[0])!;
      if (heldBack(act.shape[0]).every((h) => !h)) continue;
      const rows = consumerRows(dg, n, act, maxRows);
      const kw = g.weights.get(n.kernel)!;
      const O = kw.shape[kw.shape.length - 1];
      const st = consumerStats(rows, kw.data, O);
      const keepWith = (s: Set<number>) => (c: number): boolean => {
        const gi = grpOf[c];
        return gi === undefined || !inLayer.has(gi) || s.has(gi);
      };
      try {
        errKept += consumerError(st, keepWith(keptSet));
        errOther += consumerError(st, keepWith(altSet));
      } finally {
        st.held.dispose();
      }
      any = true;
    }
    if (!any) continue;
    const info: LayerChoiceInfo = { layer: key, groups: members.length, kept: kept.length, errKept, errOther, chose: 'kept' };
    if (!(errOther < errKept)) { options.onLayer?.(info); continue; }
    const trial = new Set(out);
    for (const k of members) { if (altSet.has(k)) trial.delete(k); else trial.add(k); }
    if (prunedCost(dg, trial).flops > maxFlops) { options.onLayer?.(info); continue; }
    if (options.judge) {
      outCur ??= options.judge(out);
      const outTrial = options.judge(trial);
      const judged = { ...info, outputKept: outCur, outputOther: outTrial };
      if (!(outTrial < outCur)) { options.onLayer?.(judged); continue; }
      outCur = outTrial;
      options.onLayer?.({ ...judged, chose: 'other' });
    } else options.onLayer?.({ ...info, chose: 'other' });
    for (const k of members) { if (altSet.has(k)) out.delete(k); else out.add(k); }
  }
  return out;
}
