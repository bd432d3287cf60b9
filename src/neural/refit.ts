import { choleskyFactorSemidefinite, choleskySolveInPlace } from '../linalg/cholesky.ts';
import type { DependencyGraph } from './depgraph.ts';
import type { Conv2dNode, DenseNode, Graph, Weight } from './ir/graph.ts';
import { graphRunner } from './ir/execute.ts';
import { tf } from './runtime.ts';
import { checkDependencyGraph, checkGraph, checkSet, checkTensor } from './check.ts';

/**
 * Least-squares reconstruction of a pruned network's linear layers (He et al. 2017, §3.1). Every
 * 1×1 stride-1 convolution or dense layer ("consumer") is visited in topological order. Its input
 * X_p is computed by running the pruned network — with the consumers before it already refitted —
 * on the calibration batch, and its target is the original network's output of that layer
 * Y = X_o·W (pre-bias, restricted to the output channels the pruning kept). The new kernel solves
 * min ‖X_p W' − Y‖² on four fifths of the sampled rows (with `meanShift`, min ‖X_p W' + 1 b'ᵀ − Y‖²,
 * b' — the mean shift the removed channels leave — folded into the layer's bias, or into the batch
 * norm that directly follows a bias-free linear layer, and dropped when neither exists). The refit is kept only when it lowers
 * ‖X_p W − Y‖ on the held-back fifth of the rows against the plain sliced kernel, so a layer whose
 * reconstruction would overfit or blow up keeps what compaction gave it.
 */

export type Consumer = Conv2dNode | DenseNode;

/** The 1×1 stride-1 convolutions and dense layers of `g`: the layers the refit can solve exactly. */
export function linearConsumers(g: Graph): Consumer[] {
  const out: Consumer[] = [];
  for (const n of g.nodes) {
    if (n.op === 'dense') out.push(n);
    else if (n.op === 'conv2d') {
      const k = g.weights.get(n.kernel)!.shape;
      if (k[0] === 1 && k[1] === 1 && n.strides[0] === 1 && n.strides[1] === 1) out.push(n);
    }
  }
  return out;
}

export interface RefitOptions {
  /** Upper bound on sampled rows per layer; at least 5 per input channel are wanted. Default 8192. */
  readonly maxRows?: number;
  /**
   * Also fit a per-output intercept b' and fold it into the bias (or the following batch norm).
   * Default false: on the Tiny Face Detector and MobileNetV2 the calibration images' mean shift
   * lowered the held-out error in one of five budgets and raised it in four.
   */
  readonly meanShift?: boolean;
  /** Called with each consumer's outcome (for tests and diagnostics). */
  readonly onLayer?: (info: RefitLayerInfo) => void;
}

export interface RefitLayerInfo {
  readonly node: string;
  /** 'refit' when the new kernel was kept; otherwise why the sliced kernel stayed. */
  readonly outcome: 'refit' | 'unchanged' | 'too-few-rows' | 'no-gain';
  readonly keptInputs: number;
  readonly keptOutputs: number;
  /** Relative error ‖X_p W − Y‖/‖Y‖ on the held-back rows: sliced kernel, refitted kernel. */
  readonly errSliced?: number;
  readonly errRefit?: number;
}

/** Row positions sampled in each image: `per` evenly spaced rows of the `P` an image holds. */
function positions(P: number, per: number): Int32Array {
  const n = Math.min(P, per);
  return Int32Array.from({ length: n }, (_, j) => Math.floor(((j + 0.5) * P) / n));
}

/** Gather rows `pos` of each image's [P, C] activation (one tensor per image) into [rows × C]. */
function gather(parts: readonly Float32Array[], C: number, pos: Int32Array): Float64Array {
  const X = new Float64Array(parts.length * pos.length * C);
  let r = 0;
  for (const d of parts) {
    for (const p of pos) {
      for (let c = 0; c < C; c++) X[r * C + c] = d[p * C + c];
      r++;
    }
  }
  return X;
}

/** Each calibration image's value of `tensor` in graph `g` (nodes after its producer not run). */
function activationsOf(g: Graph, tensor: string, calibration: tf.Tensor): Float32Array[] {
  const idx = g.nodes.findIndex((n) => n.name === tensor);
  const nodes = g.nodes.slice(0, idx + 1);
  const used = new Set<string>();
  for (const n of nodes) for (const [k, v] of Object.entries(n)) if (typeof v === 'string' && g.weights.has(v) && k !== 'name') used.add(v);
  for (const n of nodes) if ('activation' in n && n.activation.alphaWeight) used.add(n.activation.alphaWeight);
  const weights = new Map([...g.weights].filter(([k]) => used.has(k)));
  const runner = graphRunner({ ...g, nodes, outputs: [tensor], weights });
  const out: Float32Array[] = [];
  try {
    for (let i = 0; i < calibration.shape[0]; i++) {
      const xi = tf.slice(calibration, [i], [1]);
      const [y] = runner.run([xi]);
      xi.dispose();
      out.push(y.dataSync() as Float32Array);
      y.dispose();
    }
  } finally {
    runner.dispose();
  }
  return out;
}

/** Nodes referencing each weight name (a shared weight is never given a layer-specific shift). */
function weightUses(g: Graph): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of g.nodes) for (const [k, v] of Object.entries(n)) if (k !== 'name' && typeof v === 'string' && g.weights.has(v)) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/** Where a per-output shift b' of `n` can go: its bias, or the mean of the batch norm right after it. */
function shiftTarget(g: Graph, n: Consumer, uses: Map<string, number>): { weight: string; sign: 1 | -1 } | undefined {
  if (n.bias) return uses.get(n.bias) === 1 ? { weight: n.bias, sign: 1 } : undefined;
  if (n.activation.kind !== 'linear') return undefined;
  const readers = g.nodes.filter((m) => m.inputs.includes(n.name));
  if (g.outputs.includes(n.name) || readers.length !== 1 || readers[0].op !== 'batchNorm') return undefined;
  const bn = readers[0];
  // BN((y + b') ) = (y − (mean − b'))/σ·scale + offset.
  return uses.get(bn.mean) === 1 ? { weight: bn.mean, sign: -1 } : undefined;
}

/**
 * Refit the linear layers of `compacted` (= `compactGraph(dg, removed)`) to reconstruct the
 * original network's layer outputs on `calibration` (NHWC batch, run one image at a time since
 * some graphs fix batch 1). Returns a graph with the same nodes and refitted weights.
 */
export function refitGraph(dg: DependencyGraph, removed: ReadonlySet<number>, compacted: Graph, calibration: tf.Tensor, options: RefitOptions = {}): Graph {
  const fn = 'refitGraph';
  checkDependencyGraph(fn, dg);
  checkSet(fn, 'removed', removed);
  checkGraph(fn, compacted, 'the compacted graph');
  checkTensor(fn, 'the calibration batch', calibration);
  const maxRows = options.maxRows ?? 8192;
  const g = dg.graph;
  const consumers = linearConsumers(g).filter((n) => g.nodes.some((m) => m.name === n.inputs[0]));
  const isKept = (v: number): boolean => {
    const gi = dg.groupOfClass.get(v);
    return gi === undefined || !removed.has(gi);
  };
  const N = calibration.shape[0];
  // Original activations at each consumer's input, sampled once (same positions in the pruned net).
  const plan = new Map<string, { C: number; pos: Int32Array; Xo: Float64Array }>();
  {
    const needed = new Set(consumers.map((n) => n.inputs[0]));
    const parts = new Map<string, Float32Array[]>();
    for (const [k, l] of consumerActivations(g, calibration, needed)) {
      parts.set(k, l.map((t) => t.dataSync() as Float32Array));
      tf.dispose(l);
    }
    for (const [t, l] of parts) {
      const C = dg.channelIds.get(t)!.length;
      const P = l[0].length / C;
      const want = Math.min(maxRows, Math.max(1024, 5 * C));
      const pos = positions(P, Math.ceil(want / N));
      plan.set(t, { C, pos, Xo: gather(l, C, pos) });
    }
  }
  const weights = new Map(compacted.weights);
  const uses = weightUses(compacted);
  const cache = new Map<string, Float64Array>();
  for (const n of consumers) {
    const t = n.inputs[0];
    const { C, pos, Xo } = plan.get(t)!;
    const R = Xo.length / C;
    const keepIn: number[] = [];
    dg.channelIds.get(t)!.forEach((v, c) => { if (isKept(v)) keepIn.push(c); });
    const keepOut: number[] = [];
    dg.channelIds.get(n.name)!.forEach((v, o) => { if (isKept(v)) keepOut.push(o); });
    const K = keepIn.length;
    const Ok = keepOut.length;
    const report = (outcome: RefitLayerInfo['outcome'], errSliced?: number, errRefit?: number): void =>
      options.onLayer?.({ node: n.name, outcome, keptInputs: K, keptOutputs: Ok, errSliced, errRefit });
    let Xp = cache.get(t);
    if (!Xp) {
      Xp = gather(activationsOf({ ...compacted, weights }, t, calibration), K, pos);
      cache.set(t, Xp);
    }
    // Unchanged input (nothing pruned at or before it): the original kernel is already exact.
    if (K === C) {
      let same = true;
      for (let i = 0; i < Xp.length && same; i++) if (Xp[i] !== Xo[i]) same = false;
      if (same) { report('unchanged'); continue; }
    }
    const fit: number[] = [];
    const held: number[] = [];
    for (let r = 0; r < R; r++) (r % 5 === 4 ? held : fit).push(r);
    // Fewer than 2 rows per unknown: the fit would interpolate the calibration rows rather than
    // reconstruct the layer.
    if (fit.length < 2 * K || held.length === 0) { report('too-few-rows'); continue; }
    const Wo = g.weights.get(n.kernel)!.data; // [C, O] (1×1 conv: [1, 1, C, O])
    const O = dg.channelIds.get(n.name)!.length;
    const target = (r: number, out: Float64Array): void => {
      out.fill(0);
      for (let c = 0; c < C; c++) {
        const x = Xo[r * C + c];
        if (x === 0) continue;
        for (let j = 0; j < Ok; j++) out[j] += x * Wo[c * O + keepOut[j]];
      }
    };
    const shift = options.meanShift ? shiftTarget(compacted, n, uses) : undefined;
    // Means over the fit rows (zero without a place for the shift: a plain least squares).
    const mx = new Float64Array(K);
    const my = new Float64Array(Ok);
    const y = new Float64Array(Ok);
    const A = new Float64Array(K * K);
    const B = new Float64Array(K * Ok);
    if (shift) {
      for (const r of fit) {
        target(r, y);
        for (let a = 0; a < K; a++) mx[a] += Xp[r * K + a];
        for (let j = 0; j < Ok; j++) my[j] += y[j];
      }
      for (let a = 0; a < K; a++) mx[a] /= fit.length;
      for (let j = 0; j < Ok; j++) my[j] /= fit.length;
    }
    const xr = new Float64Array(K);
    for (const r of fit) {
      target(r, y);
      for (let a = 0; a < K; a++) xr[a] = Xp[r * K + a] - mx[a];
      for (let j = 0; j < Ok; j++) y[j] -= my[j];
      for (let a = 0; a < K; a++) {
        const xa = xr[a];
        if (xa === 0) continue;
        const row = a * K;
        for (let b = a; b < K; b++) A[row + b] += xa * xr[b];
        const rb = a * Ok;
        for (let j = 0; j < Ok; j++) B[rb + j] += xa * y[j];
      }
    }
    let tr = 0;
    for (let a = 0; a < K; a++) {
      for (let b = a + 1; b < K; b++) A[b * K + a] = A[a * K + b];
      tr += A[a * K + a];
    }
    if (!(tr > 0)) { report('no-gain'); continue; }
    for (let a = 0; a < K; a++) A[a * K + a] += 1e-7 * (tr / K);
    // A is symmetric, so its row-major storage is the column-major one the factorization reads.
    const L = new Float64Array(K * K);
    choleskyFactorSemidefinite(A, K, L, fn);
    const Wn = new Float64Array(K * Ok);
    const col = new Float64Array(K);
    for (let j = 0; j < Ok; j++) {
      for (let a = 0; a < K; a++) col[a] = B[a * Ok + j];
      choleskySolveInPlace(L, K, col);
      for (let a = 0; a < K; a++) Wn[a * Ok + j] = col[a];
    }
    const bn = new Float64Array(Ok);
    for (let j = 0; j < Ok; j++) {
      let s = my[j];
      for (let a = 0; a < K; a++) s -= mx[a] * Wn[a * Ok + j];
      bn[j] = s;
    }
    // Held-back rows: sliced kernel against refitted kernel (+ shift).
    const cur = weights.get(n.kernel)!;
    const Ws = cur.data;
    let es = 0;
    let er = 0;
    let ey = 0;
    for (const r of held) {
      target(r, y);
      for (let j = 0; j < Ok; j++) {
        let ps = 0;
        let pr = bn[j];
        for (let a = 0; a < K; a++) {
          const x = Xp[r * K + a];
          ps += x * Ws[a * Ok + j];
          pr += x * Wn[a * Ok + j];
        }
        es += (ps - y[j]) ** 2;
        er += (pr - y[j]) ** 2;
        ey += y[j] ** 2;
      }
    }
    const den = Math.sqrt(Math.max(ey, 1e-300));
    if (!(er < es)) { report('no-gain', Math.sqrt(es) / den, Math.sqrt(er) / den); continue; }
    weights.set(n.kernel, { shape: cur.shape, data: Float32Array.from(Wn) } satisfies Weight);
    if (shift) {
      const w = weights.get(shift.weight)!;
      const d = Float32Array.from(w.data);
      for (let j = 0; j < Ok; j++) d[j] += shift.sign * bn[j];
      weights.set(shift.weight, { shape: w.shape, data: d });
    }
    // Every activation downstream of this layer has changed.
    cache.clear();
    report('refit', Math.sqrt(es) / den, Math.sqrt(er) / den);
  }
  return { ...compacted, weights };
}

/**
 * The activations of the tensors in `needed`, one tensor per calibration image, from a run of g
 * one image at a time (some graphs fix batch 1 in their reshapes); every other tensor is disposed.
 */
export function consumerActivations(g: Graph, calibration: tf.Tensor, needed: Set<string>): Map<string, tf.Tensor[]> {
  const runner = graphRunner(g);
  const parts = new Map<string, tf.Tensor[]>();
  try {
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
  } catch (e) {
    for (const l of parts.values()) tf.dispose(l);
    throw e;
  } finally {
    runner.dispose();
  }
  return parts;
}
