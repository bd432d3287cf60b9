import { ValueError } from '../errors.ts';
import { fitGroupLasso } from '../index.ts';
import { choleskyFactorSemidefinite, choleskySolveInPlace } from '../linalg/cholesky.ts';
import { compactGraph, prunedCost, type DependencyGraph } from './depgraph.ts';
import type { Graph, Weight } from './ir/graph.ts';
import { graphRunner } from './ir/execute.ts';
import { tf } from './runtime.ts';
import { checkDependencyGraph } from './check.ts';

/**
 * Pruning a graph's dependency groups to a FLOP budget. A method gives every group a score (higher
 * = keep); `selectToBudget` removes the lowest-scored groups until the compacted graph's exact FLOP
 * count is at most `ratio` × the original, never emptying a tensor. Methods:
 * - `norm`: ‖w_g‖₂ over every weight entry of the group (Torch-Pruning's group-norm baseline);
 * - `channel-selection` (He et al. 2017): for each conv/dense that reads pruned channels, the
 *   contribution of each input channel to its output on calibration inputs is a column of a
 *   regression design; the group lasso path (`fitGroupLasso`, one group per channel) ranks channels
 *   by the λ at which they enter, and after selection the consumer's kernel is refitted by least
 *   squares on the kept channels.
 */

export type PruneMethod = 'norm' | 'channel-selection';

export interface PruneResult {
  readonly graph: Graph;
  readonly removed: ReadonlySet<number>;
  readonly flopsBefore: number;
  readonly flopsAfter: number;
  readonly paramsBefore: number;
  readonly paramsAfter: number;
}

/** Group-norm scores. */
export function normScores(dg: DependencyGraph): Float64Array {
  checkDependencyGraph('normScores', dg);
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
  return out;
}

/**
 * Remove lowest-scored groups until FLOPs ≤ ratio × original. Throws ValueError when even the
 * smallest network the groups allow (one channel left per tensor) is above the budget.
 */
export function selectToBudget(dg: DependencyGraph, scores: ArrayLike<number>, ratio: number): Set<number> {
  const fn = 'selectToBudget';
  if (!(ratio > 0 && ratio <= 1)) throw new ValueError(fn, `the FLOP ratio must be in (0, 1], got ${String(ratio)}`);
  if (scores.length !== dg.groups.length) throw new ValueError(fn, `${scores.length} scores for ${dg.groups.length} groups`);
  const target = ratio * dg.flops;
  // Channels per tensor that may still go, so no tensor is emptied.
  const left = new Map<string, number>();
  for (const [t, ids] of dg.channelIds) left.set(t, ids.length);
  const tensorsOf: Map<string, number>[] = dg.groups.map(() => new Map());
  for (const [t, ids] of dg.channelIds) {
    for (const v of ids) {
      const gi = dg.groupOfClass.get(v);
      if (gi === undefined) continue;
      const m = tensorsOf[gi];
      m.set(t, (m.get(t) ?? 0) + 1);
    }
  }
  // Heads per attention node that may still go, so every attention node keeps one.
  const headsLeft = new Map<string, number>();
  for (const [node, ids] of dg.headGroups) headsLeft.set(node, ids.length);
  const order = Array.from({ length: dg.groups.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
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
      for (const [t, c] of m) if (left.get(t)! - c < 1) ok = false;
      const head = dg.groups[gi].head;
      if (head && headsLeft.get(head.node)! <= 1) ok = false;
      if (!ok) continue;
      for (const [t, c] of m) left.set(t, left.get(t)! - c);
      if (head) headsLeft.set(head.node, headsLeft.get(head.node)! - 1);
      removed.add(gi);
      need -= dg.groups[gi].flops;
      took++;
    }
    if (took === 0) {
      throw new ValueError(fn, `a budget of ${(ratio * 100).toFixed(1)} % (${Math.round(target)} FLOPs) is below the smallest network the dependency groups allow (${Math.round(flops)} FLOPs, ${((flops / dg.flops) * 100).toFixed(1)} %)`);
    }
    flops = prunedCost(dg, removed).flops;
  }
  return removed;
}

export interface PruneOptions {
  readonly method?: PruneMethod;
  /** Calibration inputs (NHWC batch) for channel selection. */
  readonly calibration?: tf.Tensor;
  /** Channel selection: rows of each layer's regression design (rows × output channels), default 4096. */
  readonly designRows?: number;
  /** Called with (done, total) while scoring. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Prune `dg.graph` to `ratio` of its FLOPs with the chosen method; returns the compacted graph. */
export function pruneGraph(dg: DependencyGraph, ratio: number, options: PruneOptions = {}): PruneResult {
  checkDependencyGraph('pruneGraph', dg);
  const method = options.method ?? 'norm';
  let graph: Graph;
  let removed: Set<number>;
  if (method === 'norm') {
    removed = selectToBudget(dg, normScores(dg), ratio);
    graph = compactGraph(dg, removed);
  } else if (method === 'channel-selection') {
    if (!options.calibration) throw new ValueError('pruneGraph', "method 'channel-selection' needs calibration inputs");
    const cs = channelSelection(dg, options.calibration, ratio, options.designRows ?? 4096, options.onProgress);
    removed = cs.removed;
    graph = cs.graph;
  } else {
    throw new ValueError('pruneGraph', `method must be 'norm' or 'channel-selection', got ${String(method)}`);
  }
  const after = prunedCost(dg, removed);
  return { graph, removed, flopsBefore: dg.flops, flopsAfter: after.flops, paramsBefore: dg.params, paramsAfter: after.params };
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
 * which it is active. Channels are ranked within their layer by that λ (ties: by ‖z_c‖), and a
 * group's score is its best rank fraction over its consumers — so every layer loses about the same
 * share, as in He et al.; groups with no such consumer fall back to their norm scaled into [0, 1].
 * After selection each such consumer's kernel is refitted: W_kept = argmin ‖Y − X_kept W‖²
 * (normal equations with a 1e-6 relative ridge).
 */
function channelSelection(dg: DependencyGraph, calibration: tf.Tensor, ratio: number, maxDesignRows: number, onProgress?: (done: number, total: number) => void): { removed: Set<number>; graph: Graph } {
  const g = dg.graph;
  const consumers = g.nodes.filter((n) => (n.op === 'conv2d' || n.op === 'dense') && (() => {
    const k = g.weights.get(n.kernel)!.shape;
    return n.op === 'dense' || (k[0] === 1 && k[1] === 1 && n.strides[0] === 1 && n.strides[1] === 1);
  })());
  // Activations the consumers read, gathered one calibration image at a time (some graphs fix
  // batch 1 in their reshapes) and only for the tensors needed.
  const needed = new Set(consumers.map((n) => n.inputs[0]));
  const runner = graphRunner(g);
  const parts = new Map<string, tf.Tensor[]>();
  for (let i = 0; i < calibration.shape[0]; i++) {
    const xi = tf.slice(calibration, [i], [1]);
    const all = runner.runAll([xi]);
    xi.dispose();
    for (const [k, t] of all) {
      if (needed.has(k)) {
        let l = parts.get(k);
        if (!l) parts.set(k, (l = []));
        l.push(t);
      } else t.dispose();
    }
  }
  runner.dispose();
  const env = new Map<string, tf.Tensor>();
  for (const [k, l] of parts) {
    env.set(k, tf.concat(l, 0));
    tf.dispose(l);
  }
  const score = new Float64Array(dg.groups.length).fill(-1);
  const fits = new Map<string, { X: Float64Array; Y: Float64Array; rows: number; C: number; O: number }>();
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
    // The refit solves for up to C weights per output: it needs many more rows than the design
    // (which has R·O rows) — with R rows alone a wide consumer (R = 8 for O = 960) was refitted
    // from fewer equations than unknowns, and the "reconstruction" destroyed the layer.
    const Rf = Math.min(rows, Math.max(R, 4 * C));
    const Xf = new Float64Array(Rf * C);
    for (let r = 0; r < Rf; r++) {
      const src = Math.floor((r * rows) / Rf);
      for (let c = 0; c < C; c++) Xf[r * C + c] = data[src * C + c];
    }
    const Yf = new Float64Array(Rf * O);
    for (let r = 0; r < Rf; r++) for (let c = 0; c < C; c++) {
      const xv = Xf[r * C + c];
      if (xv === 0) continue;
      for (let o = 0; o < O; o++) Yf[r * O + o] += xv * Wm[c * O + o];
    }
    fits.set(n.name, { X: Xf, Y: Yf, rows: Rf, C, O });
    // Design: column c = vec(X[:, c] W[c, :]), column-major rows = R·O.
    const N = R * O;
    const Z: number[][] = Array.from({ length: N }, () => new Array<number>(C).fill(0));
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
      const xv = X[r * C + c];
      for (let o = 0; o < O; o++) Z[r * O + o][c] = xv * Wm[c * O + o];
    }
    const y = Array.from(Y);
    const groups = Array.from({ length: C }, (_, c) => `c${c}`);
    // λ at which each channel enters: bisection on a short λ grid of the lasso.
    const entry = new Float64Array(C);
    let lmax = 0;
    for (let c = 0; c < C; c++) {
      let dot = 0;
      for (let i = 0; i < N; i++) dot += Z[i][c] * y[i];
      lmax = Math.max(lmax, Math.abs(dot) / N);
    }
    if (!(lmax > 0)) return;
    const grid = [0.8, 0.5, 0.3, 0.15, 0.07, 0.02];
    for (const f of grid) {
      const w = fitGroupLasso(Z, y, { groups, lambda: f * lmax, fitIntercept: false, maxIter: 2000 }).coef;
      for (let c = 0; c < C; c++) if (entry[c] === 0 && Math.abs(w[c]) > 0) entry[c] = f;
    }
    // Rank within this layer (He et al. prune each layer by the same ratio): by entry λ, ties by
    // the channel's contribution ‖z_c‖; the score is the rank's fraction in [0, 1).
    const contrib = new Float64Array(C);
    for (let i = 0; i < N; i++) for (let c = 0; c < C; c++) contrib[c] += Z[i][c] * Z[i][c];
    const order = Array.from({ length: C }, (_, c) => c).sort((a, b) => entry[a] - entry[b] || contrib[a] - contrib[b]);
    order.forEach((c, rank) => {
      const gi = dg.groupOfClass.get(ids[c]);
      if (gi !== undefined) score[gi] = Math.max(score[gi], rank / C);
    });
  });
  onProgress?.(consumers.length, consumers.length);
  for (const t of env.values()) t.dispose();
  const ns = normScores(dg);
  const nmax = Math.max(1e-30, ...ns);
  for (let k = 0; k < score.length; k++) if (score[k] < 0) score[k] = ns[k] / nmax;
  const removed = selectToBudget(dg, score, ratio);
  const compacted = compactGraph(dg, removed);
  // Least-squares refit of each scored consumer on its kept input channels.
  const weights = new Map(compacted.weights);
  for (const n of consumers) {
    const f = fits.get(n.name);
    if (!f) continue;
    const ids = dg.channelIds.get(n.inputs[0])!;
    const keep: number[] = [];
    ids.forEach((v, c) => {
      const gi = dg.groupOfClass.get(v);
      if (gi === undefined || !removed.has(gi)) keep.push(c);
    });
    if (keep.length === f.C) continue;
    const kname = (n as { kernel: string }).kernel;
    const cur = weights.get(kname)!;
    const K = keep.length;
    const Ocur = cur.shape[cur.shape.length - 1];
    if (Ocur !== f.O) continue; // its outputs were pruned too; keep the sliced kernel
    // Fewer than 2 rows per unknown: a least-squares fit would interpolate the calibration rows
    // rather than reconstruct the layer; keep the sliced kernel.
    if (f.rows < 2 * keep.length) continue;
    const A = new Float64Array(K * K);
    const B = new Float64Array(K * f.O);
    for (let r = 0; r < f.rows; r++) {
      for (let a = 0; a < K; a++) {
        const xa = f.X[r * f.C + keep[a]];
        if (xa === 0) continue;
        for (let b = 0; b < K; b++) A[a * K + b] += xa * f.X[r * f.C + keep[b]];
        for (let o = 0; o < f.O; o++) B[a * f.O + o] += xa * f.Y[r * f.O + o];
      }
    }
    let tr = 0;
    for (let a = 0; a < K; a++) tr += A[a * K + a];
    for (let a = 0; a < K; a++) A[a * K + a] += 1e-6 * (tr / K) + 1e-12;
    // A is symmetric, so its row-major storage is the column-major one the factorization reads.
    const L = new Float64Array(K * K);
    choleskyFactorSemidefinite(A, K, L, 'pruneGraph');
    const Wn = new Float32Array(K * f.O);
    const col = new Float64Array(K);
    for (let o = 0; o < f.O; o++) {
      for (let a = 0; a < K; a++) col[a] = B[a * f.O + o];
      choleskySolveInPlace(L, K, col);
      for (let a = 0; a < K; a++) Wn[a * f.O + o] = col[a];
    }
    weights.set(kname, { shape: cur.shape, data: Wn } as Weight);
  }
  return { removed, graph: { ...compacted, weights } };
}
