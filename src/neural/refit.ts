import { choleskyFactorSemidefinite, choleskySolveColumns } from '../linalg/cholesky.ts';
import { crossProducts, RowMajorProducts } from '../linalg/rowmajor.ts';
import type { DependencyGraph } from './depgraph.ts';
import type { Conv2dNode, DenseNode, Graph, IrNode, Weight } from './ir/graph.ts';
import { graphRunner } from './ir/execute.ts';
import { tf } from './runtime.ts';
import { checkDependencyGraph, checkGraph, checkSet, checkTensor } from './check.ts';

/**
 * Least-squares reconstruction of a pruned network's convolutions and dense layers (He et al.
 * 2017, §3.1, extended from 1×1 convolutions to k×k ones on their input patches). Every such layer
 * ("consumer") is visited in topological order. Its input X_p is the pruned network's activation —
 * with the consumers before it already decided — and its target is the original network's output of
 * that layer Y = X_o·W (pre-bias, restricted to the output channels the pruning kept); a k×k
 * convolution's rows are its kh·kw·C input patches, so the kept channels' whole kernel is solved.
 *
 * The calibration images are split: every fourth image (indices 3, 7, …; the last one when there
 * are 2 or 3) is held back, the new kernel solves min ‖X_p W' − Y‖² + μ‖W' − W_s‖² on the other
 * images' rows — a ridge toward the sliced kernel W_s, μ = λ·tr(XᵀX)/unknowns with λ from a short
 * grid picked by the layer's error on the held-back images' rows (with `meanShift` also a
 * per-output intercept b', the mean shift the removed channels leave, folded into the layer's bias,
 * or into the batch norm that directly follows a bias-free linear layer, and dropped when neither
 * exists). A refit that does not lower the layer's own held-back error is dropped. A better
 * reconstruction of one layer is not a better network: the layers after it were not trained on the
 * refitted output, a nonlinearity weighs the errors unevenly, and an ill-conditioned kernel
 * compounds its error downstream. So with the default guard 'output' a refit is kept only when it
 * also lowers the whole network's output error (relative to the original network) on the held-back
 * images, against the network with every earlier decision made and this layer's sliced kernel:
 * layer by layer the held-back output error can only fall, and a layer whose refit would raise it
 * keeps what compaction gave it. That greedy pass is myopic — a refit that raises the output error
 * on its own can be what the later refits need — so guard 'output' also runs the pass of guard
 * 'layer', which stops at the layer's own error (He et al.'s layer-by-layer reconstruction), and
 * returns whichever network has the lower held-back output error.
 *
 * The pruned network's activations are advanced from one consumer to the next, so each node runs
 * once on the calibration images rather than once per consumer after it; judging a refit runs the
 * rest of the network on the held-back images only.
 */

export type Consumer = Conv2dNode | DenseNode;

export function isPointwise(g: Graph, n: Consumer): boolean {
  if (n.op === 'dense') return true;
  const k = g.weights.get(n.kernel)!.shape;
  return k[0] === 1 && k[1] === 1 && n.strides[0] === 1 && n.strides[1] === 1;
}

/**
 * The layers the refit can solve by least squares: every convolution and dense layer of `g`, or
 * with `pointwise` only the 1×1 stride-1 convolutions and dense layers.
 */
export function linearConsumers(g: Graph, pointwise = false): Consumer[] {
  const out: Consumer[] = [];
  for (const n of g.nodes) if ((n.op === 'dense' || n.op === 'conv2d') && (!pointwise || isPointwise(g, n))) out.push(n);
  return out;
}

export interface RefitOptions {
  /** Upper bound on sampled rows per layer (output positions × images); at least 6 per unknown are wanted. Default 8192. */
  readonly maxRows?: number;
  /**
   * Also fit a per-output intercept b' and fold it into the bias (or the following batch norm).
   * Default false: on the Tiny Face Detector and MobileNetV2 the calibration images' mean shift
   * lowered the held-out error in one of five budgets and raised it in four.
   */
  readonly meanShift?: boolean;
  /** 'all' (default): every convolution and dense layer; 'pointwise': only 1×1 stride-1 convolutions and dense layers. */
  readonly kernels?: 'all' | 'pointwise';
  /**
   * What a refit must lower on the held-back calibration images to be kept: 'output' (default) the
   * network's output error — of the refits kept layer by layer that way and of every refit that
   * lowers its layer's error (the 'layer' pass), the network with the lower held-back output error
   * is returned — or 'layer': only the layer's own output error.
   */
  readonly guard?: 'output' | 'layer';
  /** Called with each consumer's outcome in each pass (for tests and diagnostics). */
  readonly onLayer?: (info: RefitLayerInfo) => void;
  /** Called once with the held-back output errors of the sliced and the returned network. */
  readonly onDone?: (summary: RefitSummary) => void;
}

/** Relative output errors of the network on the held-back calibration images. */
export interface RefitSummary {
  /** Every layer sliced (the compacted graph). */
  readonly sliced: number;
  /** The graph returned. */
  readonly refitted: number;
}

export interface RefitLayerInfo {
  readonly node: string;
  /** Which pass decided (see `refitGraph`). */
  readonly pass: 'sequential' | 'greedy';
  /**
   * 'refit' when the new kernel was kept; otherwise why the sliced kernel stayed: 'unchanged' (its
   * input and kernel are the original ones), 'too-few-rows' (fewer than 2 fit rows per unknown),
   * 'no-gain' (the layer's held-back error did not fall), 'worse-output' (the network's held-back
   * output error did not fall), 'no-validation' (a single calibration image: nothing to judge with).
   */
  readonly outcome: 'refit' | 'unchanged' | 'too-few-rows' | 'no-gain' | 'worse-output' | 'no-validation';
  readonly keptInputs: number;
  readonly keptOutputs: number;
  /** Unknowns per output channel: kh·kw·keptInputs. */
  readonly unknowns: number;
  /** Rows the fit had (sampled positions of the images not held back). */
  readonly rows: number;
  /** Relative error ‖X_p W − Y‖/‖Y‖ of the layer on the held-back images' rows: sliced kernel, refitted kernel. */
  readonly errSliced?: number;
  readonly errRefit?: number;
  /** The network's relative output error on the held-back images before this layer's decision and with its refit. */
  readonly outputSliced?: number;
  readonly outputRefit?: number;
  /** The ridge factor λ the held-back rows chose (μ = λ·tr(XᵀX)/unknowns). */
  readonly ridge?: number;
}

/** Which calibration images judge the refits: every fourth (3, 7, …), the last of 2 or 3, none of 1. */
export function heldBack(n: number): boolean[] {
  const h = Array.from({ length: n }, (_, i) => i % 4 === 3);
  if (n >= 2 && n < 4) h[n - 1] = true;
  return h;
}

/** Row positions sampled in each image: `per` evenly spaced of the `P` an image holds. */
export function positions(P: number, per: number): Int32Array {
  const n = Math.min(P, per);
  return Int32Array.from({ length: n }, (_, j) => Math.floor(((j + 0.5) * P) / n));
}

/** Where a consumer's output position reads its input: kernel, strides, dilations, leading pads, sizes. */
export interface Geometry {
  readonly kh: number; readonly kw: number;
  readonly sy: number; readonly sx: number;
  readonly dy: number; readonly dx: number;
  readonly top: number; readonly left: number;
  readonly H: number; readonly W: number;
  readonly Ho: number; readonly Wo: number;
}

/** Leading pad of a 'same' window (TensorFlow's rule: the odd pixel goes after). */
function samePad(inp: number, out: number, k: number, s: number, d: number): number {
  return Math.floor(Math.max((out - 1) * s + (k - 1) * d + 1 - inp, 0) / 2);
}

export function geometry(g: Graph, n: Consumer, inShape: readonly number[], outShape: readonly number[]): Geometry {
  if (n.op === 'dense') {
    // Every leading position of the input is a row of its own.
    const P = inShape.slice(0, -1).reduce((a, b) => a * b, 1);
    return { kh: 1, kw: 1, sy: 1, sx: 1, dy: 1, dx: 1, top: 0, left: 0, H: 1, W: P, Ho: 1, Wo: P };
  }
  const [kh, kw] = g.weights.get(n.kernel)!.shape;
  const [, H, W] = inShape;
  const [, Ho, Wo] = outShape;
  const [sy, sx] = n.strides;
  const [dy, dx] = n.dilations;
  const p = n.padding;
  const top = p === 'valid' ? 0 : p === 'same' ? samePad(H, Ho, kh, sy, dy) : p[0][0];
  const left = p === 'valid' ? 0 : p === 'same' ? samePad(W, Wo, kw, sx, dx) : p[1][0];
  return { kh, kw, sy, sx, dy, dx, top, left, H, W, Ho, Wo };
}

/**
 * The input patch output position q reads, in the kernel's row order ((ky·kw + kx)·Cx + c), from
 * one image's [H, W, Cx] activation; zeros where the window hangs over the padding.
 */
export function patch(src: ArrayLike<number>, Cx: number, geo: Geometry, q: number, dst: Float64Array, off: number): void {
  const oy = Math.floor(q / geo.Wo);
  const ox = q - oy * geo.Wo;
  for (let ky = 0; ky < geo.kh; ky++) {
    const iy = oy * geo.sy - geo.top + ky * geo.dy;
    for (let kx = 0; kx < geo.kw; kx++) {
      const ix = ox * geo.sx - geo.left + kx * geo.dx;
      const o = off + (ky * geo.kw + kx) * Cx;
      if (iy < 0 || iy >= geo.H || ix < 0 || ix >= geo.W) {
        dst.fill(0, o, o + Cx);
        continue;
      }
      const b = (iy * geo.W + ix) * Cx;
      for (let c = 0; c < Cx; c++) dst[o + c] = src[b + c];
    }
  }
}

/** Weight names a node references (its own fields and its activation's slope). */
function nodeWeights(n: IrNode, weights: ReadonlyMap<string, Weight>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(n)) if (k !== 'name' && typeof v === 'string' && weights.has(v)) out.push(v);
  if ('activation' in n && n.activation.alphaWeight) out.push(n.activation.alphaWeight);
  return out;
}

/** Nodes referencing each weight name (a shared weight is never given a layer-specific shift). */
function weightUses(g: Graph): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of g.nodes) for (const v of nodeWeights(n, g.weights)) m.set(v, (m.get(v) ?? 0) + 1);
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
 * A graph's activations on a batch of images, one image at a time (some graphs fix batch 1), held
 * at a position in its node list: only the tensors a later node or the outputs still read.
 */
class Frontier {
  private readonly produced = new Map<string, number>();
  private readonly lastUse = new Map<string, number>();
  pos = 0;
  envs: Map<string, tf.Tensor>[];

  constructor(private readonly g: Graph, images: tf.Tensor) {
    for (const i of g.inputs) this.produced.set(i.name, -1);
    g.nodes.forEach((n, k) => {
      this.produced.set(n.name, k);
      for (const i of n.inputs) this.lastUse.set(i, k);
    });
    for (const o of g.outputs) this.lastUse.set(o, Infinity);
    this.envs = Array.from({ length: images.shape[0] }, (_, i) => new Map([[g.inputs[0].name, tf.slice(images, [i], [1])]]));
  }

  /** Tensors alive before node p runs. */
  live(p: number): string[] {
    const out: string[] = [];
    for (const [t, k] of this.produced) if (k < p && (this.lastUse.get(t) ?? -1) >= p) out.push(t);
    return out;
  }

  /** Run nodes [pos, to) with `weights` on the images `which`, returning `outputs` per image (the frontier is left as it was). */
  run(weights: ReadonlyMap<string, Weight>, to: number, outputs: readonly string[], which: readonly number[]): tf.Tensor[][] {
    const inputs = this.live(this.pos);
    const nodes = this.g.nodes.slice(this.pos, to);
    const used = new Set<string>();
    for (const n of nodes) for (const w of nodeWeights(n, weights)) used.add(w);
    const e0 = this.envs[which[0] ?? 0];
    const runner = graphRunner({
      ...this.g,
      inputs: inputs.map((name) => ({ name, shape: e0.get(name)!.shape })),
      nodes,
      outputs: [...outputs],
      weights: new Map([...weights].filter(([k]) => used.has(k))),
    });
    try {
      return which.map((i) => runner.run(inputs.map((t) => this.envs[i].get(t)!)));
    } finally {
      runner.dispose();
    }
  }

  /** Move every image's frontier to node `to`. */
  advance(weights: ReadonlyMap<string, Weight>, to: number): void {
    if (to <= this.pos) return;
    const keep = this.live(to);
    const out = this.run(weights, to, keep, this.envs.map((_, i) => i));
    this.dispose();
    this.envs = out.map((ts) => new Map(keep.map((t, k) => [t, ts[k]])));
    this.pos = to;
  }

  dispose(): void {
    for (const e of this.envs) tf.dispose([...e.values()]);
  }
}

/** A consumer's sampled rows: where they are, and the original layer's output Y on them (kept outputs). */
interface Plan {
  readonly n: Consumer;
  readonly index: number;
  readonly geo: Geometry;
  readonly keepIn: readonly number[];
  readonly keepOut: readonly number[];
  readonly pos: Int32Array;
  /** [fit images' rows × kept outputs], [held-back images' rows × kept outputs]. */
  readonly yFit: Float64Array;
  readonly yHeld: Float64Array;
}

/** Ridge factors λ tried (μ = λ × the Gram's mean diagonal), weakest first. */
const RIDGE = [1e-6, 1e-3, 1e-2, 1e-1, 1];

/**
 * Whether X·W (rows of D, W D × O row-major) gives Y bit for bit, summed as the targets were
 * (inputs in order, zeros skipped): the layer then sees exactly the original network's inputs.
 * Stops at the first row that differs, so a changed layer costs one row.
 */
function reproduces(X: Float64Array, Y: Float64Array, W: ArrayLike<number>, D: number, O: number): boolean {
  const pr = new Float64Array(O);
  for (let r = 0; r < X.length / D; r++) {
    pr.fill(0);
    for (let u = 0; u < D; u++) {
      const x = X[r * D + u];
      if (x === 0) continue;
      for (let j = 0; j < O; j++) pr[j] += x * W[u * O + j];
    }
    for (let j = 0; j < O; j++) if (pr[j] !== Y[r * O + j]) return false;
  }
  return true;
}

/** Memory bound on one layer's sampled design (rows × unknowns, float64). */
const MAX_DESIGN = 1 << 23;

/**
 * Refit the convolutions and dense layers of `compacted` (= `compactGraph(dg, removed)`) to
 * reconstruct the original network's layer outputs on `calibration` (NHWC batch, run one image at
 * a time since some graphs fix batch 1). Returns a graph with the same nodes and refitted weights.
 */
export function refitGraph(dg: DependencyGraph, removed: ReadonlySet<number>, compacted: Graph, calibration: tf.Tensor, options: RefitOptions = {}): Graph {
  const fn = 'refitGraph';
  checkDependencyGraph(fn, dg);
  checkSet(fn, 'removed', removed);
  checkGraph(fn, compacted, 'the compacted graph');
  checkTensor(fn, 'the calibration batch', calibration);
  const maxRows = options.maxRows ?? 8192;
  const guard = options.guard ?? 'output';
  const g = dg.graph;
  const index = new Map(g.nodes.map((n, k) => [n.name, k]));
  const consumers = linearConsumers(g, options.kernels === 'pointwise').filter((n) => index.has(n.inputs[0]));
  const isKept = (v: number): boolean => {
    const gi = dg.groupOfClass.get(v);
    return gi === undefined || !removed.has(gi);
  };
  const N = calibration.shape[0];
  const held = heldBack(N);
  const nHeld = held.filter(Boolean).length;
  const nFit = N - nHeld;
  /** Is row j of image i held back? */
  const heldRow = (i: number, j: number, per: number): boolean => held[i];
  const countHeld = (per: number): number => { let c = 0; for (let i = 0; i < N; i++) for (let j = 0; j < per; j++) if (heldRow(i, j, per)) c++; return c; };
  const plans: Plan[] = consumers.map((n) => {
    const t = n.inputs[0];
    const keepIn: number[] = [];
    dg.channelIds.get(t)!.forEach((v, c) => { if (isKept(v)) keepIn.push(c); });
    const keepOut: number[] = [];
    dg.channelIds.get(n.name)!.forEach((v, o) => { if (isKept(v)) keepOut.push(o); });
    const geo = geometry(g, n, dg.shapes.get(t)!, dg.shapes.get(n.name)!);
    const D = geo.kh * geo.kw * keepIn.length;
    const want = Math.max(1, Math.min(maxRows, Math.floor(MAX_DESIGN / D), Math.max(2048, 6 * D)));
    const pos = positions(geo.Ho * geo.Wo, Math.ceil(want / N));
    return { n, index: index.get(n.name)!, geo, keepIn, keepOut, pos, yFit: new Float64Array((N * pos.length - countHeld(pos.length)) * keepOut.length), yHeld: new Float64Array(countHeld(pos.length) * keepOut.length) };
  });
  // The original network, one image at a time: each layer's target rows, and the held-back images' outputs.
  const reference: Float32Array[][] = [];
  {
    const runner = graphRunner(g);
    try {
      // Rows filled so far per consumer (by node index): fit rows, held-back rows.
      const rowF = new Int32Array(g.nodes.length);
      const rowH = new Int32Array(g.nodes.length);
      for (let i = 0; i < N; i++) {
        const xi = tf.slice(calibration, [i], [1]);
        const all = runner.runAll([xi]);
        xi.dispose();
        try {
          for (const p of plans) {
            const C = dg.channelIds.get(p.n.inputs[0])!.length;
            const O = dg.channelIds.get(p.n.name)!.length;
            const Ok = p.keepOut.length;
            const src = all.get(p.n.inputs[0])!.dataSync();
            const Wo = g.weights.get(p.n.kernel)!.data; // [kh·kw·C, O]
            const Df = p.geo.kh * p.geo.kw * C;
            const x = new Float64Array(Df);
            for (let jq = 0; jq < p.pos.length; jq++) {
              const q = p.pos[jq];
              const h = heldRow(i, jq, p.pos.length);
              const Y = h ? p.yHeld : p.yFit;
              const row = (h ? rowH[p.index]++ : rowF[p.index]++) * Ok;
              patch(src, C, p.geo, q, x, 0);
              for (let u = 0; u < Df; u++) {
                const xu = x[u];
                if (xu === 0) continue;
                const wr = u * O;
                for (let j = 0; j < Ok; j++) Y[row + j] += xu * Wo[wr + p.keepOut[j]];
              }
            }
          }
          if (held[i]) reference.push(g.outputs.map((o) => Float32Array.from(all.get(o)!.dataSync())));
        } finally {
          tf.dispose([...all.values()]);
        }
      }
    } finally {
      runner.dispose();
    }
  }
  const heldIdx = held.flatMap((h, i) => (h ? [i] : []));
  const uses = weightUses(compacted);
  /**
   * One pass over the consumers: 'sequential' (guard 'layer') keeps each refit that lowers its
   * layer's held-back error, 'greedy' (guard 'output') only those that also lower the network's.
   */
  const pass = (mode: 'sequential' | 'greedy'): { weights: Map<string, Weight>; error: number; start: number } => {
    const weights = new Map(compacted.weights);
    const front = new Frontier(compacted, calibration);
    /** The network's relative output error on the held-back images with `w`, from the frontier on. */
    const outputError = (w: ReadonlyMap<string, Weight>): number => {
      const outs = front.run(w, compacted.nodes.length, compacted.outputs, heldIdx);
      let num = 0;
      let den = 0;
      outs.forEach((ts, k) => ts.forEach((t, o) => {
        const a = t.dataSync();
        const b = reference[k][o];
        for (let i = 0; i < b.length; i++) {
          num += (a[i] - b[i]) ** 2;
          den += b[i] ** 2;
        }
      }));
      tf.dispose(outs.flat());
      return Math.sqrt(num / Math.max(den, 1e-300));
    };
    try {
      const start = outputError(weights);
      let outCur = start;
      for (const p of plans) {
        const { n, geo, keepIn, keepOut, pos } = p;
        const K = keepIn.length;
        const Ok = keepOut.length;
        const D = geo.kh * geo.kw * K;
        const R = p.yFit.length / Math.max(Ok, 1);
        const report = (outcome: RefitLayerInfo['outcome'], extra: Partial<RefitLayerInfo> = {}): void =>
          options.onLayer?.({ node: n.name, pass: mode, outcome, keptInputs: K, keptOutputs: Ok, unknowns: D, rows: R, ...extra });
        front.advance(weights, p.index);
        const Xf = new Float64Array(R * D);
        const Xh = new Float64Array((p.yHeld.length / Math.max(Ok, 1)) * D);
        {
          let rf = 0;
          let rh = 0;
          for (let i = 0; i < N; i++) {
            const src = front.envs[i].get(n.inputs[0])!.dataSync();
            for (let jq = 0; jq < pos.length; jq++) {
              const q = pos[jq];
              if (heldRow(i, jq, pos.length)) patch(src, K, geo, q, Xh, D * rh++);
              else patch(src, K, geo, q, Xf, D * rf++);
            }
          }
        }
        // Nothing pruned at or before this layer's input, no refit before it: the kernel is exact.
        const Ws0 = weights.get(n.kernel)!.data;
        if (K === dg.channelIds.get(n.inputs[0])!.length && reproduces(Xf, p.yFit, Ws0, D, Ok) && reproduces(Xh, p.yHeld, Ws0, D, Ok)) { report('unchanged'); continue; }
        // Fewer rows than half the unknowns: the data would fix less than half the kernel's
        // directions, the rest being the ridge's guess.
        if (2 * R < D) { report('too-few-rows'); continue; }
        const shift = options.meanShift ? shiftTarget(compacted, n, uses) : undefined;
        // Means over the fit rows (zero without a place for the shift: a plain least squares).
        const mx = new Float64Array(D);
        const my = new Float64Array(Ok);
        if (shift) {
          for (let r = 0; r < R; r++) {
            for (let a = 0; a < D; a++) mx[a] += Xf[r * D + a];
            for (let j = 0; j < Ok; j++) my[j] += p.yFit[r * Ok + j];
          }
          for (let a = 0; a < D; a++) mx[a] /= R;
          for (let j = 0; j < Ok; j++) my[j] /= R;
        }
        const { G: A, B: Bm } = crossProducts(Xf, R, D, { mx: shift ? mx : undefined, Y: p.yFit, O: Ok, my: shift ? my : undefined });
        const B = Bm!;
        let tr = 0;
        for (let a = 0; a < D; a++) tr += A[a * D + a];
        if (!(tr > 0)) { report('no-gain'); continue; }
        // The held-back rows' products X_h·W for the sliced kernel and each ridge's, on the kernels.
        const held = new RowMajorProducts(Xh, Xh.length / D, D, Ok);
        const residual = (Wt: ArrayLike<number>, b?: Float64Array): { err: number; norm: number } => {
          const P = held.product(Wt, Ok, b);
          const Y = p.yHeld;
          let e = 0;
          let s = 0;
          for (let k = 0; k < P.length; k++) {
            e += (P[k] - Y[k]) ** 2;
            s += Y[k] ** 2;
          }
          return { err: e, norm: s };
        };
        try {
          const cur = weights.get(n.kernel)!;
          const Ws = cur.data; // [D, Ok]
          const es = residual(Ws);
          const den = Math.sqrt(Math.max(es.norm, 1e-300));
          // Ridge toward the sliced kernel, min ‖X_p W' − Y‖² + μ‖W' − W_s‖², μ = λ·tr(XᵀX)/D: a nearly
          // collinear design (dead or duplicated channels, few rows) otherwise yields a kernel that
          // matches the calibration rows and blows up elsewhere.
          const M = new Float64Array(D * D);
          const L = new Float64Array(D * D);
          const rhs = new Float64Array(D * Ok);
          let best: { err: number; lambda: number; w: Map<string, Weight> } | undefined;
          let bestLayer = Infinity;
          for (const lambda of RIDGE) {
            const mu = lambda * (tr / D);
            M.set(A);
            for (let a = 0; a < D; a++) M[a * D + a] += mu;
            // M is symmetric, so its row-major storage is the column-major one the factorization reads.
            choleskyFactorSemidefinite(M, D, L, fn);
            const Wn = new Float64Array(D * Ok);
            for (let j = 0; j < Ok; j++) for (let a = 0; a < D; a++) rhs[j * D + a] = B[a * Ok + j] + mu * Ws[a * Ok + j];
            choleskySolveColumns(L, D, rhs, Ok);
            for (let j = 0; j < Ok; j++) for (let a = 0; a < D; a++) Wn[a * Ok + j] = rhs[j * D + a];
            const bn = new Float64Array(Ok);
            for (let j = 0; j < Ok; j++) {
              let s = my[j];
              for (let a = 0; a < D; a++) s -= mx[a] * Wn[a * Ok + j];
              bn[j] = s;
            }
            // The layer on the held-back images' rows picks λ; a refit that does not beat the sliced kernel there is dropped.
            const er = residual(Wn, bn).err;
            bestLayer = Math.min(bestLayer, er);
            if (!(er < es.err)) continue;
            const candidate = new Map(weights);
            candidate.set(n.kernel, { shape: cur.shape, data: Float32Array.from(Wn) } satisfies Weight);
            if (shift) {
              const w = weights.get(shift.weight)!;
              const d = Float32Array.from(w.data);
              for (let j = 0; j < Ok; j++) d[j] += shift.sign * bn[j];
              candidate.set(shift.weight, { shape: w.shape, data: d });
            }
            if (!best || er < best.err) best = { err: er, lambda, w: candidate };
          }
          if (!best) { report('no-gain', { errSliced: Math.sqrt(es.err) / den, errRefit: Math.sqrt(bestLayer) / den }); continue; }
          const layer = { errSliced: Math.sqrt(es.err) / den, errRefit: Math.sqrt(best.err) / den, ridge: best.lambda };
          let info: Partial<RefitLayerInfo> = layer;
          if (mode === 'greedy') {
            const out = outputError(best.w);
            info = { ...layer, outputSliced: outCur, outputRefit: out };
            if (!(out < outCur)) { report('worse-output', info); continue; }
            outCur = out;
          }
          for (const [k, v] of best.w) weights.set(k, v);
          report('refit', info);
        } finally {
          held.dispose();
        }
      }
      return { weights, error: outputError(weights), start };
    } finally {
      front.dispose();
    }
  };
  if (nHeld === 0) {
    for (const p of plans) options.onLayer?.({ node: p.n.name, pass: 'sequential', outcome: 'no-validation', keptInputs: p.keepIn.length, keptOutputs: p.keepOut.length, unknowns: p.geo.kh * p.geo.kw * p.keepIn.length, rows: 0 });
    return { ...compacted, weights: new Map(compacted.weights) };
  }
  let res = pass(guard === 'layer' ? 'sequential' : 'greedy');
  if (guard === 'output') {
    // The greedy pass is myopic: it drops a refit that raises the output error now although the
    // refits after it would more than make up for it (BlazeFace at 75 %: 0.147 on the held-back
    // images against 0.131 for refitting every layer that gains). The sequential pass's network is
    // taken when its held-back output error is lower, so that error still never rises.
    const seq = pass('sequential');
    if (seq.error < res.error) res = seq;
  }
  options.onDone?.({ sliced: res.start, refitted: res.error });
  return { ...compacted, weights: res.weights };
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
