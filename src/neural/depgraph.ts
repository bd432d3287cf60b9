import { ValueError } from '../errors.ts';
import type { AttentionNode, Graph, IrNode, Weight } from './ir/graph.ts';
import { inferShapes } from './ir/execute.ts';
import { checkRuntime } from './runtime.ts';
import { attentionFlops, attentionParams, headSlices } from './ir/attention.ts';
import { checkDependencyGraph, checkGraph, checkSet } from './check.ts';

/**
 * Dependency groups of a graph (DepGraph, Fang et al. 2023): every channel of every tensor gets a
 * channel id; ops that create channels (conv, dense) create ids, channel-wise ops (batch norm,
 * activations, pooling, depthwise, bias) pass them on, residual `add`/`mul` unify the ids of their
 * operands position by position, `concat` on the channel axis lays them end to end, `pad` on the
 * channel axis adds constant channels, a flatten repeats them per spatial position. A group is one
 * class of unified ids: removing it removes, consistently, the producer's output filters and bias,
 * the batch-norm entries, the depthwise channel, every consumer's input slice, through any number
 * of residual adds and concat offsets. Classes that reach a graph input or output, or an op that
 * mixes channels without weights (softmax over channels, an unrecognised reshape, layer norm), are
 * kept. A multi-head attention node reads its input's channels like a dense layer (rows of Wq, Wk,
 * Wv) and creates its output channels (columns of Wo); besides, each of its heads is a group of
 * its own (`head` set): head h's columns of Wq, Wk, Wv, its bias entries and its rows of Wo, whose
 * removal leaves the other heads' arithmetic unchanged. A node keeps at least one head.
 */

/** One slice of a weight: entries `index` along `axis`. */
export interface WeightSlice {
  readonly weight: string;
  readonly axis: number;
  readonly index: number;
  /** Batch-norm statistics are removed with the group but not zeroed (they divide). */
  readonly zeroable: boolean;
}

export interface DependencyGroup {
  readonly id: number;
  /** Producer node and channel that name the group, e.g. `conv3/pointwise:17`. */
  readonly label: string;
  readonly slices: readonly WeightSlice[];
  /** FLOPs per sample saved by removing only this group. */
  readonly flops: number;
  /** Parameters removed with this group. */
  readonly params: number;
  /** Nodes whose output channels belong to the group (the "producers"). */
  readonly producers: readonly string[];
  /** For an attention head group: the attention node and the head's index. */
  readonly head?: { readonly node: string; readonly index: number };
}

export interface DependencyGraph {
  readonly graph: Graph;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** Channel ids of each tensor's last axis (after union: class representatives). */
  readonly channelIds: ReadonlyMap<string, Int32Array>;
  readonly groups: readonly DependencyGroup[];
  /** FLOPs per sample of the whole graph. */
  readonly flops: number;
  readonly params: number;
  /** Class representative → group index, for prunable classes. */
  readonly groupOfClass: ReadonlyMap<number, number>;
  /** Attention node → its head groups' indices, head 0 first. */
  readonly headGroups: ReadonlyMap<string, readonly number[]>;
}

class UnionFind {
  parent: number[] = [];
  make(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(a: number): number {
    while (this.parent[a] !== a) {
      this.parent[a] = this.parent[this.parent[a]];
      a = this.parent[a];
    }
    return a;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * FLOPs per sample of node `n` (one multiply-add = 2) when its input keeps `cin` channels and its
 * output `cout`, spatial sizes from `shapes`.
 */
function nodeFlops(n: IrNode, shapes: ReadonlyMap<string, readonly number[]>, g: Graph, cin: number, cout: number, heads?: number): number {
  const out = shapes.get(n.name)!;
  const spatial = out.length === 4 ? out[1] * out[2] : out.length === 3 ? out[1] : 1;
  switch (n.op) {
    case 'conv2d': {
      const k = g.weights.get(n.kernel)!.shape;
      return spatial * cout * (2 * cin * k[0] * k[1] + (n.bias ? 1 : 0) + (n.activation.kind !== 'linear' ? 1 : 0));
    }
    case 'depthwise': {
      const k = g.weights.get(n.kernel)!.shape;
      return spatial * cout * (2 * k[0] * k[1] + (n.bias ? 1 : 0) + (n.activation.kind !== 'linear' ? 1 : 0));
    }
    case 'dense':
      return spatial * cout * (2 * cin + (n.bias ? 1 : 0) + (n.activation.kind !== 'linear' ? 1 : 0));
    case 'batchNorm': return 2 * spatial * cout;
    case 'maxPool': case 'avgPool': return spatial * cout * n.size[0] * n.size[1];
    case 'globalAvgPool': {
      const i = shapes.get(n.inputs[0])!;
      return i[1] * i[2] * cout;
    }
    case 'add': case 'mul': return spatial * cout * (n.inputs.length - 1);
    case 'addConst': case 'mulConst': case 'activation': return spatial * cout;
    case 'softmax': return 3 * spatial * cout;
    case 'attention': return attentionFlops(n, spatial, heads ?? n.heads, cin, cout);
    // mean, variance (2 each per entry), normalize (2), scale and offset.
    case 'layerNorm': return spatial * cout * (6 + (n.scale ? 1 : 0) + (n.offset ? 1 : 0));
    default: return 0;
  }
}

/** Parameters of `n` when its input keeps `cin` channels and its output `cout`. */
function nodeParams(n: IrNode, g: Graph, cin: number, cout: number, fullOut: number, heads?: number): number {
  const len = (w: string | undefined): number => (w ? g.weights.get(w)!.data.length : 0);
  const perChannel = (w: string | undefined): number => {
    if (!w) return 0;
    const s = g.weights.get(w)!.shape;
    return s.length > 0 && s[s.length - 1] === fullOut && fullOut > 1 ? cout * (prod(s) / fullOut) : prod(s);
  };
  switch (n.op) {
    case 'conv2d': {
      const k = g.weights.get(n.kernel)!.shape;
      return k[0] * k[1] * cin * cout + (n.bias ? cout : 0) + perChannel(n.activation.alphaWeight);
    }
    case 'depthwise': {
      const k = g.weights.get(n.kernel)!.shape;
      return k[0] * k[1] * cout + (n.bias ? cout : 0) + perChannel(n.activation.alphaWeight);
    }
    case 'dense': return cin * cout + (n.bias ? cout : 0) + perChannel(n.activation.alphaWeight);
    case 'batchNorm': return cout * ((n.scale ? 1 : 0) + (n.offset ? 1 : 0) + 2);
    case 'addConst': case 'mulConst': return perChannel(n.weight);
    case 'activation': return perChannel(n.activation.alphaWeight);
    case 'attention': return attentionParams(n, heads ?? n.heads, cin, cout);
    case 'layerNorm': return cout * ((n.scale ? 1 : 0) + (n.offset ? 1 : 0));
    default: void len; return 0;
  }
}

/**
 * Build the dependency graph of `g` (tensor shapes at the graph's input shapes, batch 1, or at
 * `inputShapes`).
 */
export function dependencyGraph(g: Graph, inputShapes?: readonly (readonly number[])[]): DependencyGraph {
  checkGraph('dependencyGraph', g);
  checkRuntime('dependencyGraph');
  const shapes = inferShapes(g, inputShapes);
  const uf = new UnionFind();
  const BLOCK = uf.make();
  const ids = new Map<string, number[]>();
  const fresh = (c: number): number[] => Array.from({ length: c }, () => uf.make());
  const lastDim = (t: string): number => {
    const s = shapes.get(t)!;
    return s.length === 0 ? 1 : s[s.length - 1];
  };
  const block = (xs: readonly number[]): void => xs.forEach((x) => uf.union(x, BLOCK));
  const producerOf = new Map<number, string>();
  for (const i of g.inputs) {
    const x = fresh(lastDim(i.name));
    block(x);
    ids.set(i.name, x);
  }
  for (const n of g.nodes) {
    const inIds = n.inputs.map((i) => ids.get(i)!);
    const C = lastDim(n.name);
    let out: number[];
    switch (n.op) {
      case 'conv2d': case 'dense': case 'attention':
        out = fresh(C);
        out.forEach((x, k) => producerOf.set(x, `${n.name}:${k}`));
        // Dense acts on the last axis of [N, D] and [N, S, D] tensors alike.
        if (n.op === 'dense' && ![2, 3].includes(shapes.get(n.inputs[0])!.length)) block(inIds[0]);
        break;
      case 'depthwise': {
        const m = g.weights.get(n.kernel)!.shape[3];
        out = m === 1 ? inIds[0].slice() : inIds[0].flatMap((x) => Array(m).fill(x) as number[]);
        break;
      }
      case 'batchNorm': case 'addConst': case 'mulConst': case 'activation': case 'maxPool': case 'avgPool': case 'globalAvgPool':
        if (inIds[0].length !== C) {
          // Broadcast that changes the channel count: no channel correspondence.
          block(inIds[0]);
          out = fresh(C);
          block(out);
        } else out = inIds[0].slice();
        break;
      case 'add': case 'mul': {
        const same = inIds.every((x) => x.length === C);
        if (!same) {
          inIds.forEach(block);
          out = fresh(C);
          block(out);
        } else {
          out = inIds[0].slice();
          for (const x of inIds.slice(1)) x.forEach((v, k) => uf.union(out[k], v));
        }
        break;
      }
      case 'concat': {
        const rank = shapes.get(n.name)!.length;
        if (n.axis === rank - 1 || n.axis === -1) out = inIds.flat();
        else {
          out = inIds[0].slice();
          for (const x of inIds.slice(1)) x.forEach((v, k) => uf.union(out[k], v));
        }
        break;
      }
      case 'pad': {
        const p = n.paddings[n.paddings.length - 1];
        const before = fresh(p[0]);
        const after = fresh(p[1]);
        out = [...before, ...inIds[0], ...after];
        break;
      }
      case 'reshape': {
        const si = shapes.get(n.inputs[0])!;
        const so = shapes.get(n.name)!;
        const cin = si[si.length - 1];
        if (so[so.length - 1] === cin && si[0] === so[0]) out = inIds[0].slice();
        else if (so.length === 2 && so[1] === prod(si.slice(1)) && si[0] === so[0]) {
          out = Array.from({ length: so[1] }, (_, p) => inIds[0][p % cin]);
        } else {
          block(inIds[0]);
          out = fresh(C);
          block(out);
        }
        break;
      }
      case 'softmax':
        block(inIds[0]);
        out = fresh(C);
        block(out);
        break;
      case 'layerNorm':
        // Every output depends on every input channel through the mean and variance.
        block(inIds[0]);
        out = inIds[0].slice();
        break;
    }
    if (out.length !== C) throw new ValueError('dependencyGraph', `node '${n.name}' (${n.op}): ${out.length} channel ids for ${C} channels`);
    ids.set(n.name, out);
  }
  for (const o of g.outputs) block(ids.get(o)!);

  // Weight slices by class.
  const slices = new Map<number, WeightSlice[]>();
  const addSlices = (weight: string | undefined, axis: number, chan: readonly number[], zeroable = true): void => {
    if (!weight) return;
    const w = g.weights.get(weight)!;
    const ax = axis < 0 ? w.shape.length + axis : axis;
    if (w.shape[ax] !== chan.length || chan.length <= 1) return;
    chan.forEach((x, index) => {
      const r = uf.find(x);
      let l = slices.get(r);
      if (!l) slices.set(r, (l = []));
      l.push({ weight, axis: ax, index, zeroable });
    });
  };
  for (const n of g.nodes) {
    const cin = n.inputs.length ? ids.get(n.inputs[0])! : [];
    const cout = ids.get(n.name)!;
    switch (n.op) {
      case 'conv2d':
        addSlices(n.kernel, 3, cout); addSlices(n.kernel, 2, cin); addSlices(n.bias, 0, cout); addSlices(n.activation.alphaWeight, -1, cout);
        break;
      case 'dense':
        addSlices(n.kernel, 1, cout); addSlices(n.kernel, 0, cin); addSlices(n.bias, 0, cout); addSlices(n.activation.alphaWeight, -1, cout);
        break;
      case 'depthwise':
        addSlices(n.kernel, 2, cin); addSlices(n.bias, 0, cout); addSlices(n.activation.alphaWeight, -1, cout);
        break;
      case 'batchNorm':
        addSlices(n.scale, 0, cout); addSlices(n.offset, 0, cout); addSlices(n.mean, 0, cout, false); addSlices(n.variance, 0, cout, false);
        break;
      case 'addConst': case 'mulConst': addSlices(n.weight, -1, cout); break;
      case 'activation': addSlices(n.activation.alphaWeight, -1, cout); break;
      case 'attention':
        addSlices(n.wq, 0, cin); addSlices(n.wk, 0, cin); addSlices(n.wv, 0, cin); addSlices(n.wo, 1, cout); addSlices(n.bo, 0, cout);
        break;
      case 'layerNorm': addSlices(n.scale, 0, cout); addSlices(n.offset, 0, cout); break;
      default: break;
    }
  }

  // Costs: per class, how many positions of each tensor it holds.
  const count = new Map<number, Map<string, number>>();
  const channelIds = new Map<string, Int32Array>();
  for (const [t, x] of ids) {
    const r = Int32Array.from(x, (v) => uf.find(v));
    channelIds.set(t, r);
    for (const v of r) {
      let m = count.get(v);
      if (!m) count.set(v, (m = new Map()));
      m.set(t, (m.get(t) ?? 0) + 1);
    }
  }
  const full = (t: string): number => channelIds.get(t)!.length;
  const fullFlops = new Map<string, number>();
  const fullParams = new Map<string, number>();
  let flops = 0;
  let params = 0;
  for (const n of g.nodes) {
    const ci = n.inputs.length ? full(n.inputs[0]) : 0;
    const f = nodeFlops(n, shapes, g, ci, full(n.name));
    const p = nodeParams(n, g, ci, full(n.name), full(n.name));
    fullFlops.set(n.name, f);
    fullParams.set(n.name, p);
    flops += f;
    params += p;
  }
  const readers = new Map<string, IrNode[]>();
  for (const n of g.nodes) for (const i of n.inputs.slice(0, 1)) {
    let l = readers.get(i);
    if (!l) readers.set(i, (l = []));
    l.push(n);
  }
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const groups: DependencyGroup[] = [];
  const groupOfClass = new Map<number, number>();
  const blockRoot = uf.find(BLOCK);
  const classes = [...slices.keys()].filter((r) => r !== blockRoot).sort((a, b) => a - b);
  const membersOf = new Map<number, number[]>();
  for (let v = 0; v < uf.parent.length; v++) {
    const r = uf.find(v);
    let l = membersOf.get(r);
    if (!l) membersOf.set(r, (l = []));
    l.push(v);
  }
  for (const r of classes) {
    const touched = count.get(r) ?? new Map<string, number>();
    const affected = new Set<IrNode>();
    for (const t of touched.keys()) {
      const p = byName.get(t);
      if (p) affected.add(p);
      for (const c of readers.get(t) ?? []) affected.add(c);
    }
    let df = 0;
    let dp = 0;
    for (const n of affected) {
      const ci = n.inputs.length ? full(n.inputs[0]) : 0;
      const ri = n.inputs.length ? touched.get(n.inputs[0]) ?? 0 : 0;
      const co = full(n.name);
      const ro = touched.get(n.name) ?? 0;
      df += fullFlops.get(n.name)! - nodeFlops(n, shapes, g, ci - ri, co - ro);
      dp += fullParams.get(n.name)! - nodeParams(n, g, ci - ri, co - ro, co);
    }
    const members = membersOf.get(r) ?? [];
    const producers = [...new Set(members.map((v) => producerOf.get(v)).filter((s): s is string => s !== undefined))];
    // A class without a producing conv/dense holds only constant pad channels: nothing to prune.
    if (producers.length === 0) continue;
    groupOfClass.set(r, groups.length);
    groups.push({ id: groups.length, label: producers[0] ?? `class ${r}`, slices: slices.get(r)!, flops: df, params: dp, producers: producers.map((p) => p.replace(/:\d+$/, '')) });
  }
  const headGroups = new Map<string, number[]>();
  for (const n of g.nodes) {
    if (n.op !== 'attention' || n.heads < 2) continue;
    const ci = full(n.inputs[0]);
    const co = full(n.name);
    const df = fullFlops.get(n.name)! - nodeFlops(n, shapes, g, ci, co, n.heads - 1);
    const dp = fullParams.get(n.name)! - nodeParams(n, g, ci, co, co, n.heads - 1);
    const ids: number[] = [];
    for (let h = 0; h < n.heads; h++) {
      const hs: WeightSlice[] = [];
      for (const sl of headSlices(n, h)) for (let k = 0; k < sl.count; k++) hs.push({ weight: sl.weight, axis: sl.axis, index: sl.start + k, zeroable: true });
      ids.push(groups.length);
      groups.push({ id: groups.length, label: `${n.name}:head${h}`, slices: hs, flops: df, params: dp, producers: [n.name], head: { node: n.name, index: h } });
    }
    headGroups.set(n.name, ids);
  }
  return { graph: g, shapes, channelIds, groups, flops, params, groupOfClass, headGroups };
}

/** FLOPs and parameters per sample after removing `removed` groups (exact for the compacted graph). */
export function prunedCost(dg: DependencyGraph, removed: ReadonlySet<number>): { flops: number; params: number } {
  checkDependencyGraph('prunedCost', dg);
  checkSet('prunedCost', 'removed', removed);
  const g = dg.graph;
  const kept = (t: string): number => {
    let c = 0;
    for (const v of dg.channelIds.get(t)!) {
      const gi = dg.groupOfClass.get(v);
      if (gi === undefined || !removed.has(gi)) c++;
    }
    return c;
  };
  const keptOf = new Map<string, number>();
  for (const t of dg.channelIds.keys()) keptOf.set(t, kept(t));
  let flops = 0;
  let params = 0;
  for (const n of g.nodes) {
    const ci = n.inputs.length ? keptOf.get(n.inputs[0])! : 0;
    const co = keptOf.get(n.name)!;
    const h = keptHeads(dg, n, removed);
    flops += nodeFlops(n, dg.shapes, g, ci, co, h);
    params += nodeParams(n, g, ci, co, dg.channelIds.get(n.name)!.length, h);
  }
  return { flops, params };
}

/** Heads an attention node keeps when `removed` groups go (undefined for other nodes). */
function keptHeads(dg: DependencyGraph, n: IrNode, removed: ReadonlySet<number>): number | undefined {
  if (n.op !== 'attention') return undefined;
  const ids = dg.headGroups.get(n.name);
  return ids ? ids.reduce((a, gi) => a + (removed.has(gi) ? 0 : 1), 0) : n.heads;
}

/** `w` with entries at `index` along `axis` set to zero. */
function zeroSlice(w: Weight, axis: number, index: number): void {
  const s = w.shape;
  const inner = prod(s.slice(axis + 1));
  const outer = prod(s.slice(0, axis));
  const n = s[axis];
  for (let o = 0; o < outer; o++) w.data.fill(0, (o * n + index) * inner, (o * n + index + 1) * inner);
}

/** A copy of `g` whose weights of the given groups are zero (batch-norm statistics kept). */
export function zeroGroups(dg: DependencyGraph, groups: Iterable<number>): Graph {
  checkDependencyGraph('zeroGroups', dg);
  if (groups === null || typeof groups !== 'object' || typeof (groups as Iterable<number>)[Symbol.iterator] !== 'function') throw new ValueError('zeroGroups', 'groups must be an iterable of dependency group indices');
  groups = [...groups];
  for (const r of groups) checkGroupId('zeroGroups', dg, r);
  const weights = new Map<string, Weight>();
  for (const [k, w] of dg.graph.weights) weights.set(k, w);
  for (const gi of groups) {
    for (const s of dg.groups[gi].slices) {
      if (!s.zeroable) continue;
      let w = weights.get(s.weight)!;
      if (w === dg.graph.weights.get(s.weight)) weights.set(s.weight, (w = { shape: w.shape, data: w.data.slice() }));
      zeroSlice(w, s.axis, s.index);
    }
  }
  return { ...dg.graph, weights };
}

/** `w` keeping along `axis` only the entries where `keep` is true. */
function sliceWeight(w: Weight, axis: number, keep: readonly boolean[]): Weight {
  const s = w.shape;
  const inner = prod(s.slice(axis + 1));
  const outer = prod(s.slice(0, axis));
  const n = s[axis];
  const k = keep.filter(Boolean).length;
  const data = new Float32Array(outer * k * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (let i = 0; i < n; i++) {
      if (!keep[i]) continue;
      data.set(w.data.subarray((a * n + i) * inner, (a * n + i + 1) * inner), o);
      o += inner;
    }
  }
  const shape = s.slice();
  shape[axis] = k;
  return { shape, data };
}

/**
 * The compacted graph without the `removed` groups: every weight slice of those groups cut out,
 * channel-axis pads and reshape targets adjusted. Same function as `zeroGroups` on the original.
 */
/** A dependency group index: a whole number in [0, groups). 1.5 used to pass and fail as a TypeError. */
function checkGroupId(fn: string, dg: DependencyGraph, r: unknown): void {
  if (!(typeof r === 'number' && Number.isInteger(r) && r >= 0 && r < dg.groups.length)) throw new ValueError(fn, `no dependency group ${String(r)}`);
}

export function compactGraph(dg: DependencyGraph, removed: ReadonlySet<number>): Graph {
  checkDependencyGraph('compactGraph', dg);
  checkSet('compactGraph', 'removed', removed);
  const g = dg.graph;
  for (const r of removed) checkGroupId('compactGraph', dg, r);
  // Per weight, per axis: kept mask.
  const masks = new Map<string, Map<number, boolean[]>>();
  for (const gi of removed) {
    for (const s of dg.groups[gi].slices) {
      let m = masks.get(s.weight);
      if (!m) masks.set(s.weight, (m = new Map()));
      let k = m.get(s.axis);
      if (!k) m.set(s.axis, (k = Array(g.weights.get(s.weight)!.shape[s.axis]).fill(true) as boolean[]));
      k[s.index] = false;
    }
  }
  const weights = new Map<string, Weight>();
  for (const [name, w] of g.weights) {
    let x = w;
    const m = masks.get(name);
    if (m) for (const [axis, keep] of [...m.entries()].sort((a, b) => a[0] - b[0])) x = sliceWeight(x, axis, keep);
    weights.set(name, x);
  }
  const isRemoved = (v: number): boolean => {
    const gi = dg.groupOfClass.get(v);
    return gi !== undefined && removed.has(gi);
  };
  const keptCount = (t: string): number => dg.channelIds.get(t)!.reduce((a, v) => a + (isRemoved(v) ? 0 : 1), 0);
  const nodes = g.nodes.map((n): IrNode => {
    if (n.op === 'pad') {
      const x = dg.channelIds.get(n.name)!;
      const p = n.paddings[n.paddings.length - 1];
      let before = 0;
      let after = 0;
      for (let k = 0; k < p[0]; k++) if (!isRemoved(x[k])) before++;
      for (let k = x.length - p[1]; k < x.length; k++) if (!isRemoved(x[k])) after++;
      return { ...n, paddings: [...n.paddings.slice(0, -1), [before, after]] };
    }
    if (n.op === 'reshape') {
      const so = dg.shapes.get(n.name)!;
      const shape = n.shape.slice();
      if (shape[shape.length - 1] === so[so.length - 1] && shape[shape.length - 1] > 0) shape[shape.length - 1] = keptCount(n.name);
      return { ...n, shape };
    }
    if (n.op === 'attention') {
      const heads = keptHeads(dg, n, removed)!;
      if (heads < 1) throw new ValueError('compactGraph', `attention node '${n.name}' would keep no head`);
      return { ...n, heads } satisfies AttentionNode;
    }
    return n;
  });
  return { ...g, nodes, weights };
}
