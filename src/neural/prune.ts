import { ShapeError, ValueError } from '../errors.ts';
import { checkOptions } from '../util/validate.ts';
import { groupLassoPath } from '../path/path.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { compactGraph, prunedCost, type DependencyGraph, type DependencyGroup } from './depgraph.ts';
import { consumerActivations, heldBack, linearConsumers, refitGraph } from './refit.ts';
import { graphRunner } from './ir/execute.ts';
import { chooseLayerChannels } from './choice.ts';
import type { Conv2dNode, DenseNode, Graph } from './ir/graph.ts';
import { tf } from './runtime.ts';
import { checkDependencyGraph, checkTensor } from './check.ts';

/**
 * Pruning a graph's dependency groups to a FLOP budget. A method gives every group a score (higher
 * = keep); `selectToBudget` removes the lowest-scored groups until the compacted graph's exact FLOP
 * count is at most `ratio` × the original, never emptying a tensor. Methods:
 * - `norm`: ‖w_g‖₂ over every weight entry of the group, raw with `normScope` 'global' (default)
 *   or over its layer's mean with 'layer' (Torch-Pruning's per-layer normalisation);
 * - `channel-selection` (He et al. 2017): for each conv/dense that reads pruned channels, the
 *   contribution of each input channel to its output on calibration inputs is a column of a
 *   regression design; the group lasso path (`groupLassoPath`, one group per channel) ranks channels
 *   by the λ at which they enter. Of the two budget allocations between layers — the lasso ranks'
 *   and the group norms' — the one with the lower output error on the held-back calibration images
 *   is kept; then a layer takes the other ranking's channels where they reconstruct its consumers
 *   better on held-back rows and lower that output error (`choice.ts`); after selection every conv
 *   / dense is refitted by least squares to the original layer's output from the pruned network's
 *   activations, a refit kept only when it lowers the network's output error on the held-back
 *   calibration images (`refit.ts`). So with two or more calibration images its held-back error is
 *   never above group norm's.
 */

export type PruneMethod = 'norm' | 'channel-selection';

/**
 * How group norms are made comparable: 'layer' divides each by its layer's mean norm, 'global'
 * compares raw norms across the whole network.
 */
export type NormScope = 'layer' | 'global';

function checkNormScope(fn: string, scope: unknown): NormScope {
  if (scope !== 'layer' && scope !== 'global') throw new ValueError(fn, `normScope must be 'layer' or 'global', got ${String(scope)}`);
  return scope;
}

export interface PruneResult {
  readonly graph: Graph;
  readonly removed: ReadonlySet<number>;
  readonly flopsBefore: number;
  readonly flopsAfter: number;
  readonly paramsBefore: number;
  readonly paramsAfter: number;
}

/**
 * The layer a group belongs to: its set of producing nodes (a residual chain's coupled convs form
 * one such set), or its attention node for a head group.
 */
function layerKey(grp: DependencyGroup): string {
  return grp.head ? `head:${grp.head.node}` : [...grp.producers].sort().join('|');
}

/** Groups by layer (see `layerKey`). */
function layersOf(dg: DependencyGraph): number[][] {
  const m = new Map<string, number[]>();
  dg.groups.forEach((grp, k) => {
    const key = layerKey(grp);
    let l = m.get(key);
    if (!l) m.set(key, (l = []));
    l.push(k);
  });
  return [...m.values()];
}

/**
 * Group-norm scores: ‖w_g‖₂ over every zeroable weight entry of the group, raw with scope 'global'
 * (default), or with 'layer' divided by the mean of that norm over the groups of the same layer
 * (Torch-Pruning's importance normalisation). Raw norms are not comparable across layers — a layer
 * of small weights (a wide dense head after batch-norm folding) is thinned before any channel of a
 * large-weight layer goes, held back only by the per-tensor floor of `selectToBudget` — yet on the
 * real models measured (MobileNetV2, Tiny Face Detector, face recognition) they gave the lower
 * output error at most FLOP budgets: evening the share removed per layer cut the layers that carry
 * the output as deeply as the redundant ones.
 */
export function normScores(dg: DependencyGraph, scope: NormScope = 'global'): Float64Array {
  checkDependencyGraph('normScores', dg);
  checkNormScope('normScores', scope);
  const g = dg.graph;
  const out = new Float64Array(dg.groups.length);
  dg.groups.forEach((grp, k) => {
    let s = 0;
    for (const sl of grp.slices) {
      if (!sl.zeroable) continue;
      const w = g.weights.get(sl.weight)!;
      const inner = w.shape.slice(sl.axis + 1).reduce((a, b) => a * b, 1);
      const outer = w.shape.slice(0, sl.axis).reduce((a, b) => a * b, 1);
      const n = w.shape[sl.axis];
      for (let o = 0; o < outer; o++) {
        const base = (o * n + sl.index) * inner;
        for (let i = 0; i < inner; i++) s += w.data[base + i] * w.data[base + i];
      }
    }
    out[k] = Math.sqrt(s);
  });
  if (scope === 'global') return out;
  for (const layer of layersOf(dg)) {
    let mean = 0;
    for (const k of layer) mean += out[k];
    mean /= layer.length;
    for (const k of layer) out[k] = mean > 0 ? out[k] / mean : 0;
  }
  return out;
}

/**
 * Each group's rank by `scores` within its layer, as a fraction in [0, 1) (ties by index). With
 * `include`, only those groups are ranked, among themselves; the others keep their score.
 */
function layerRanks(dg: DependencyGraph, scores: ArrayLike<number>, include?: (k: number) => boolean): Float64Array {
  const out = Float64Array.from(scores);
  for (const layer of layersOf(dg)) {
    const members = include ? layer.filter(include) : layer;
    const order = members.slice().sort((a, b) => scores[a] - scores[b] || a - b);
    order.forEach((k, rank) => { out[k] = rank / members.length; });
  }
  return out;
}

/**
 * Share of each tensor's channels selection keeps when the budget allows: a layer is thinned, not
 * collapsed to one channel, unless no selection within the budget can keep this much.
 */
const MIN_KEEP = 0.1;

/**
 * Remove lowest-scored groups until FLOPs ≤ ratio × original, keeping at least `MIN_KEEP` of every
 * tensor's channels while that is feasible and otherwise one channel per tensor. Throws ValueError
 * when even the smallest network the groups allow (one channel left per tensor) is above the budget.
 */
export function selectToBudget(dg: DependencyGraph, scores: ArrayLike<number>, ratio: number): Set<number> {
  const fn = 'selectToBudget';
  if (!(ratio > 0 && ratio <= 1)) throw new ValueError(fn, `the FLOP ratio must be in (0, 1], got ${String(ratio)}`);
  if (scores.length !== dg.groups.length) throw new ValueError(fn, `${scores.length} scores for ${dg.groups.length} groups`);
  // NaN compares as neither smaller nor larger, so it used to leave the removal order arbitrary.
  for (let i = 0; i < scores.length; i++) if (typeof scores[i] !== 'number' || Number.isNaN(scores[i])) throw new ValueError(fn, `score ${i} is ${String(scores[i])}; scores must be numbers`);
  const target = ratio * dg.flops;
  const tensorsOf: Map<string, number>[] = dg.groups.map(() => new Map());
  for (const [t, ids] of dg.channelIds) {
    for (const v of ids) {
      const gi = dg.groupOfClass.get(v);
      if (gi === undefined) continue;
      const m = tensorsOf[gi];
      m.set(t, (m.get(t) ?? 0) + 1);
    }
  }
  const order = Array.from({ length: dg.groups.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  /** Greedy removal keeping at least `keep(n)` of a tensor's n channels; the FLOPs it stops at. */
  const greedy = (keep: (n: number) => number): { removed: Set<number>; flops: number } => {
    // Channels per tensor that may still go, so no tensor drops below its floor.
    const left = new Map<string, number>();
    for (const [t, ids] of dg.channelIds) left.set(t, ids.length - keep(ids.length));
    // Heads per attention node that may still go, so every attention node keeps one.
    const headsLeft = new Map<string, number>();
    for (const [node, ids] of dg.headGroups) headsLeft.set(node, ids.length - 1);
    const removed = new Set<number>();
    let flops = dg.flops;
    let k = 0;
    while (flops > target) {
      // Take groups until their (single-group) savings cover the gap, then recount exactly.
      let need = flops - target;
      let took = 0;
      while (k < order.length && (need > 0 || took === 0)) {
        const gi = order[k++];
        const m = tensorsOf[gi];
        let ok = true;
        for (const [t, c] of m) if (left.get(t)! - c < 0) ok = false;
        const head = dg.groups[gi].head;
        if (head && headsLeft.get(head.node)! <= 0) ok = false;
        if (!ok) continue;
        for (const [t, c] of m) left.set(t, left.get(t)! - c);
        if (head) headsLeft.set(head.node, headsLeft.get(head.node)! - 1);
        removed.add(gi);
        need -= dg.groups[gi].flops;
        took++;
      }
      if (took === 0) break;
      flops = prunedCost(dg, removed).flops;
    }
    return { removed, flops };
  };
  const thinned = greedy((n) => Math.max(1, Math.ceil(MIN_KEEP * n)));
  if (thinned.flops <= target) return thinned.removed;
  const smallest = greedy(() => 1);
  if (smallest.flops > target) {
    const flops = smallest.flops;
    throw new ValueError(fn, `a budget of ${(ratio * 100).toFixed(1)} % (${Math.round(target)} FLOPs) is below the smallest network the dependency groups allow (${Math.round(flops)} FLOPs, ${((flops / dg.flops) * 100).toFixed(1)} %)`);
  }
  return smallest.removed;
}

export interface PruneOptions {
  readonly method?: PruneMethod;
  /** Calibration inputs (NHWC batch) for channel selection. */
  readonly calibration?: tf.Tensor;
  /** Channel selection: rows of each layer's regression design (rows × output channels), default 4096. */
  readonly designRows?: number;
  /**
   * Norm scores (method 'norm', and channel selection's groups no consumer scores): 'global'
   * (default) compares raw norms across the network, 'layer' normalises each group's norm by its
   * layer's mean.
   */
  readonly normScope?: NormScope;
  /** Called with (done, total) while scoring. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Prune `dg.graph` to `ratio` of its FLOPs with the chosen method; returns the compacted graph. */
export function pruneGraph(dg: DependencyGraph, ratio: number, options: PruneOptions = {}): PruneResult {
  checkDependencyGraph('pruneGraph', dg);
  checkOptions('pruneGraph', options, ['method', 'normScope', 'calibration', 'designRows', 'onProgress']);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new ValueError('pruneGraph', `onProgress must be a function (done, total) => void, got ${options.onProgress === null ? 'null' : typeof options.onProgress}`);
  }
  if (options.calibration !== undefined) checkCalibration(dg, options.calibration);
  const method = options.method ?? 'norm';
  const scope = checkNormScope('pruneGraph', options.normScope ?? 'global');
  let graph: Graph;
  let removed: Set<number>;
  if (method === 'norm') {
    removed = selectToBudget(dg, normScores(dg, scope), ratio);
    graph = compactGraph(dg, removed);
  } else if (method === 'channel-selection') {
    if (!options.calibration) throw new ValueError('pruneGraph', "method 'channel-selection' needs calibration inputs");
    const cs = channelSelection(dg, options.calibration, ratio, options.designRows ?? 4096, scope, options.onProgress);
    removed = cs.removed;
    graph = cs.graph;
  } else {
    throw new ValueError('pruneGraph', `method must be 'norm' or 'channel-selection', got ${String(method)}`);
  }
  const after = prunedCost(dg, removed);
  return { graph, removed, flopsBefore: dg.flops, flopsAfter: after.flops, paramsBefore: dg.params, paramsAfter: after.params };
}

/**
 * Calibration inputs in the shape of the graph's input (any batch), finite and not disposed. A
 * batch of the wrong size was refused by the runner in its own name; a NaN batch was scored and
 * pruned on as if it were data; a disposed one escaped as a TypeError.
 */
function checkCalibration(dg: DependencyGraph, calibration: unknown, fn = 'pruneGraph'): void {
  const t = checkTensor(fn, 'calibration', calibration);
  const input = dg.graph.inputs[0];
  const want = dg.shapes.get(input.name) ?? input.shape;
  if (t.shape.length !== want.length || t.shape.some((d, i) => i > 0 && d !== want[i])) {
    throw new ShapeError(fn, `calibration has shape [${t.shape.join(', ')}]; the graph's input '${input.name}' takes [N, ${want.slice(1).join(', ')}]`);
  }
  const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(t))).dataSync()[0]);
  if (bad) throw new ValueError(fn, 'calibration holds a NaN or infinite value');
}

/** Rows of a [N, H, W, C] (or [N, C]) tensor as a Float64 matrix [rows × C] (row-major). */
function rowsOf(t: tf.Tensor): { rows: number; cols: number; data: Float32Array } {
  const s = t.shape;
  const cols = s[s.length - 1];
  return { rows: t.size / cols, cols, data: t.dataSync() as Float32Array };
}

/**
 * He et al. 2017 on dependency groups. For each 1×1 conv or dense consumer reading a tensor of
 * prunable channels: with calibration activations X (rows × C) and the consumer's pre-bias output
 * Y = X·W (rows × O), channel c's contribution is the column z_c = vec(X[:, c] · W[c, :]); the group
 * lasso path of vec(Y) on [z_1 … z_C] (groups of one column) gives each channel the largest λ at
 * which it is active. Channels are ranked within their layer by that λ (ties: by ‖z_c‖), a group
 * takes its best rank fraction over its consumers, and those are ranked again within the group's
 * layer — so every layer loses about the same share, as in He et al.; groups with no such consumer
 * fall back to their norm score: with scope 'layer' their rank by normalised norm within their
 * layer, with 'global' their raw norm over the network's largest. Those ranks and the group norms
 * each allocate the budget; the allocation whose sliced network has the lower output error on the
 * held-back calibration images is kept, its layers take the other ranking's channels where that
 * is better (`chooseLayerChannels`), and the convolutions and dense layers are refitted one after
 * another on the pruned network's own activations (`refitGraph`).
 */
/** The activations of `tensors` on the calibration images, each as one [N, …] tensor. */
function activations(g: Graph, calibration: tf.Tensor, tensors: readonly string[]): Map<string, tf.Tensor> {
  const parts = consumerActivations(g, calibration, new Set(tensors));
  const env = new Map<string, tf.Tensor>();
  for (const [k, l] of parts) {
    env.set(k, tf.concat(l, 0));
    tf.dispose(l);
  }
  return env;
}

/**
 * Channel selection's lasso scores (see `channelSelection`): within its layer, each group's rank
 * fraction in [0, 1), groups no 1×1 conv or dense layer reads on their norm score. Allocating
 * the budget by these (`selectToBudget`) thins every layer by about the same share.
 */
export function channelSelectionScores(dg: DependencyGraph, calibration: tf.Tensor, options: { readonly designRows?: number; readonly normScope?: NormScope } = {}): Float64Array {
  checkDependencyGraph('channelSelectionScores', dg);
  checkCalibration(dg, calibration, 'channelSelectionScores');
  const scope = checkNormScope('channelSelectionScores', options.normScope ?? 'global');
  const env = activations(dg.graph, calibration, pointwiseConsumers(dg.graph).map((n) => n.inputs[0]));
  try {
    return lassoScores(dg, env, options.designRows ?? 4096, scope);
  } finally {
    for (const t of env.values()) t.dispose();
  }
}

/** The 1×1 stride-1 convolutions and dense layers: the consumers whose input channels the lasso scores. */
function pointwiseConsumers(g: Graph): (Conv2dNode | DenseNode)[] {
  return g.nodes.filter((n): n is Conv2dNode | DenseNode => (n.op === 'conv2d' || n.op === 'dense') && (() => {
    const k = g.weights.get(n.kernel)!.shape;
    return n.op === 'dense' || (k[0] === 1 && k[1] === 1 && n.strides[0] === 1 && n.strides[1] === 1);
  })());
}

function lassoScores(dg: DependencyGraph, env: ReadonlyMap<string, tf.Tensor>, maxDesignRows: number, scope: NormScope, onProgress?: (done: number, total: number) => void): Float64Array {
  const g = dg.graph;
  const consumers = pointwiseConsumers(g);
  const score = new Float64Array(dg.groups.length).fill(-1);
  consumers.forEach((n, done) => {
    onProgress?.(done, consumers.length);
    const x = env.get(n.inputs[0])!;
    const ids = dg.channelIds.get(n.inputs[0])!;
    const groupsHere = [...ids].map((v) => dg.groupOfClass.get(v));
    if (groupsHere.every((gi) => gi === undefined)) return;
    const { rows, cols: C, data } = rowsOf(x);
    const kw = g.weights.get((n as { kernel: string }).kernel)!;
    const O = kw.shape[kw.shape.length - 1];
    // Sub-sample rows evenly (the design has rows·O rows).
    const R = Math.min(rows, Math.max(8, Math.floor(maxDesignRows / O)));
    const X = new Float64Array(R * C);
    for (let r = 0; r < R; r++) {
      const src = Math.floor((r * rows) / R);
      for (let c = 0; c < C; c++) X[r * C + c] = data[src * C + c];
    }
    const Wm = kw.data; // [C, O] (1×1 conv: [1, 1, C, O])
    const Y = new Float64Array(R * O);
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
      const xv = X[r * C + c];
      if (xv === 0) continue;
      for (let o = 0; o < O; o++) Y[r * O + o] += xv * Wm[c * O + o];
    }
    // Design: column c = vec(X[:, c] W[c, :]) over the R·O rows, stored column-major as the
    // kernels read it (built as rows it was converted again by each of the grid's fits).
    const N = R * O;
    const Zd = new Float64Array(N * C);
    const contrib = new Float64Array(C);
    let lmax = 0;
    for (let c = 0; c < C; c++) {
      const base = c * N;
      let dot = 0;
      let ss = 0;
      for (let r = 0; r < R; r++) {
        const xv = X[r * C + c];
        if (xv === 0) continue;
        for (let o = 0; o < O; o++) {
          const z = xv * Wm[c * O + o];
          Zd[base + r * O + o] = z;
          dot += z * Y[r * O + o];
          ss += z * z;
        }
      }
      contrib[c] = ss;
      lmax = Math.max(lmax, Math.abs(dot) / N);
    }
    if (!(lmax > 0)) return;
    const groups = Array.from({ length: C }, (_, c) => `c${c}`);
    // λ at which each channel enters, on a short λ grid of the lasso: one warm-started path (the
    // design converted once) rather than a cold fit per λ.
    const grid = [0.8, 0.5, 0.3, 0.15, 0.07, 0.02];
    const path = groupLassoPath(new DenseMatrix(N, C, Zd), Y, { groups, lambdas: grid.map((f) => f * lmax), fitIntercept: false, maxIter: 2000 });
    const entry = new Float64Array(C);
    grid.forEach((f, k) => {
      const w = path.coefs[k];
      for (let c = 0; c < C; c++) if (entry[c] === 0 && Math.abs(w[c]) > 0) entry[c] = f;
    });
    // Rank within this layer (He et al. prune each layer by the same ratio): by entry λ, ties by
    // the channel's contribution ‖z_c‖; the score is the rank's fraction in [0, 1).
    const order = Array.from({ length: C }, (_, c) => c).sort((a, b) => entry[a] - entry[b] || contrib[a] - contrib[b]);
    order.forEach((c, rank) => {
      const gi = dg.groupOfClass.get(ids[c]);
      if (gi !== undefined) score[gi] = Math.max(score[gi], rank / C);
    });
  });
  onProgress?.(consumers.length, consumers.length);
  // A group read by several consumers took its best rank over them, so groups tied through residual
  // adds (many consumers) sat near 1 and a branch read once spread over [0, 1): the branches were cut
  // to the floor first (facemesh's heads to 4 of 32 channels, 6× its norm-ranking error). Ranked
  // again within their layer, every layer's scored groups spread over [0, 1) alike, as He et al. prune
  // each layer by the same share.
  score.set(layerRanks(dg, score, (k) => score[k] >= 0));
  // Groups no consumer scored, on the [0, 1] scale of the channel-selection ranks: per layer, their
  // rank by normalised norm within their layer; globally, their raw norm over the largest.
  let fallback: Float64Array;
  if (scope === 'layer') fallback = layerRanks(dg, normScores(dg, 'layer'));
  else {
    fallback = normScores(dg, 'global');
    let nmax = 1e-30;
    for (const v of fallback) nmax = Math.max(nmax, v);
    for (let k = 0; k < fallback.length; k++) fallback[k] /= nmax;
  }
  for (let k = 0; k < score.length; k++) if (score[k] < 0) score[k] = fallback[k];
  return score;
}

function channelSelection(dg: DependencyGraph, calibration: tf.Tensor, ratio: number, maxDesignRows: number, scope: NormScope, onProgress?: (done: number, total: number) => void): { removed: Set<number>; graph: Graph } {
  const g = dg.graph;
  // Activations every convolution and dense layer reads: the 1×1 ones' for the lasso, all of them for the per-layer guard.
  const env = activations(g, calibration, linearConsumers(g).map((n) => n.inputs[0]));
  let score: Float64Array;
  try {
    score = lassoScores(dg, env, maxDesignRows, scope, onProgress);
  } catch (e) {
    for (const t of env.values()) t.dispose();
    throw e;
  }
  // Two allocations of the budget between layers: the lasso ranks' (every layer loses about the
  // same share, as in He et al.) and the group norms' (a layer of small weights loses more; on
  // facemesh, whose heads the lasso allocation cut as deeply as its trunk, it gave under a third of the
  // output error). The one whose sliced network has the lower output error on the held-back
  // calibration images is kept — sliced, not refitted: a refit judged on crops of the photographs
  // it was fitted to looked better there than it was elsewhere (emotion at 25 %). Then, layer by
  // layer, the other ranking's channels replace the allocation's where they reconstruct the
  // layer's consumers better and lower that output error (`chooseLayerChannels`), and the result
  // is refitted (`refitGraph`).
  const norms = normScores(dg, scope);
  const target = ratio * dg.flops;
  const judge = heldBackJudge(dg, calibration);
  let removed: Set<number>;
  try {
    const lasso = selectToBudget(dg, score, ratio);
    const byNorm = selectToBudget(dg, norms, ratio);
    const pick = judge ? (judge.error(byNorm) < judge.error(lasso) ? 'norm' : 'lasso') : 'lasso';
    removed = pick === 'norm' ? byNorm : lasso;
    if (judge) {
      removed = chooseLayerChannels(dg, removed, pick === 'norm' ? score : norms, env, target, { judge: judge.error });
    }
  } finally {
    for (const t of env.values()) t.dispose();
    judge?.dispose();
  }
  return { removed, graph: refitGraph(dg, removed, compactGraph(dg, removed), calibration) };
}

/**
 * The relative output error (over every output) of the graph with a set of groups removed, on the
 * held-back calibration images (`heldBack`: those the refit judges with), against the original
 * network; undefined with fewer than two calibration images.
 */
function heldBackJudge(dg: DependencyGraph, calibration: tf.Tensor): { error: (removed: ReadonlySet<number>) => number; dispose: () => void } | undefined {
  const idx = heldBack(calibration.shape[0]).flatMap((h, i) => (h ? [i] : []));
  if (idx.length === 0) return undefined;
  const images = idx.map((i) => tf.slice(calibration, [i], [1]));
  const runAll = (g: Graph): Float32Array[][] => {
    const r = graphRunner(g);
    try {
      return images.map((x) => {
        const out = r.run([x]);
        const d = out.map((t) => Float32Array.from(t.dataSync()));
        tf.dispose(out);
        return d;
      });
    } finally {
      r.dispose();
    }
  };
  const reference = runAll(dg.graph);
  return {
    error: (removed) => {
      const outs = runAll(compactGraph(dg, removed));
      let num = 0;
      let den = 0;
      outs.forEach((os, k) => os.forEach((a, o) => {
        const b = reference[k][o];
        for (let i = 0; i < b.length; i++) {
          num += (a[i] - b[i]) ** 2;
          den += b[i] ** 2;
        }
      }));
      return Math.sqrt(num / Math.max(den, 1e-300));
    },
    dispose: () => tf.dispose(images),
  };
}
