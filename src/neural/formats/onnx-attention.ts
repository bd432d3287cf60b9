import type { onnx as O } from 'onnx-proto';
import { DataError } from '../../errors.ts';
import type { AttentionNode, Weight } from '../ir/graph.ts';

/**
 * Multi-head self-attention in an ONNX graph, recognised from its primitive ops as exporters write
 * them (PyTorch's `nn.MultiheadAttention` / BERT-style blocks, and this project's ONNX writer):
 *
 *   Q = Reshape(MatMul(x, Wq) [+ bq], [·, ·, H, d]) → Transpose [0, 2, 1, 3]
 *   K = Reshape(MatMul(x, Wk) [+ bk], [·, ·, H, d]) → Transpose [0, 2, 3, 1]
 *       (or Transpose [0, 2, 1, 3] then [0, 1, 3, 2])
 *   V = Reshape(MatMul(x, Wv) [+ bv], [·, ·, H, dv]) → Transpose [0, 2, 1, 3]
 *   A = Softmax(MatMul(Q [× c], K [× c]) [÷ c | × c], axis −1)
 *   y = MatMul(Reshape(Transpose(MatMul(A, V), [0, 2, 1, 3]), [·, ·, H·dv]), Wo) [+ bo]
 *
 * A softmax over the product of two computed tensors is taken to be attention: if the rest of the
 * block differs from this pattern (a mask added to the scores, keys from another tensor than the
 * queries, a dynamic reshape, an intermediate read outside the block), the import stops with an
 * error naming the node — an attention block is never imported as something else.
 */

/** An attention block: the IR node's fields, with weights named by their ONNX constants. */
export interface AttentionMatch extends Omit<AttentionNode, 'op' | 'name' | 'inputs'> {
  /** Indices of the ONNX nodes the block replaces. */
  readonly nodes: ReadonlySet<number>;
  /** The block's last node; its first output is the attention output. */
  readonly anchor: number;
  /** ONNX name of the tensor queries, keys and values are computed from. */
  readonly input: string;
}

const num = (v: number | { toNumber(): number } | null | undefined): number => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

/**
 * Every attention block of `nodes`. `constant(name)` gives the value of an initializer or Constant
 * output (undefined for computed tensors); `outputs` are the graph's output names.
 */
export function matchOnnxAttention(
  fn: string, label: string, nodes: readonly O.INodeProto[], constant: (name: string) => Weight | undefined, outputs: ReadonlySet<string>, opset: number,
): AttentionMatch[] {
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  nodes.forEach((nd, k) => {
    for (const o of nd.output ?? []) if (o) producer.set(o, k);
    for (const i of nd.input ?? []) {
      if (!i) continue;
      let l = consumers.get(i);
      if (!l) consumers.set(i, (l = []));
      l.push(k);
    }
  });
  const isConst = (t: string | undefined): boolean => t !== undefined && t !== '' && constant(t) !== undefined;
  const nameOf = (k: number): string => nodes[k].name || nodes[k].output?.[0] || `node${k}`;
  const attrOf = (k: number, a: string): O.IAttributeProto | undefined => (nodes[k].attribute ?? []).find((x) => x.name === a);
  const perm = (k: number): string => (attrOf(k, 'perm')?.ints ?? []).map(num).join(',');
  const matches: AttentionMatch[] = [];

  nodes.forEach((sm, s) => {
    if (sm.opType !== 'Softmax') return;
    // Scores: MatMul(Q, K) of two computed tensors, optionally scaled by a constant scalar.
    let scale = 1;
    let scoreNode = producer.get(sm.input?.[0] ?? '');
    const used = new Set<number>([s]);
    if (scoreNode === undefined) return;
    const sc = nodes[scoreNode];
    if ((sc.opType === 'Div' || sc.opType === 'Mul') && (sc.input ?? []).length === 2) {
      const ci = (sc.input ?? []).findIndex((i) => isConst(i));
      if (ci < 0 || (sc.opType === 'Div' && ci === 0)) return;
      const c = constant(sc.input![ci])!;
      if (c.data.length !== 1) return;
      scale = sc.opType === 'Div' ? 1 / c.data[0] : c.data[0];
      used.add(scoreNode);
      scoreNode = producer.get(sc.input![1 - ci]);
      if (scoreNode === undefined) return;
    }
    const qk = (k: number | undefined): boolean => k !== undefined && nodes[k].opType === 'MatMul' && !(nodes[k].input ?? []).some((i) => isConst(i));
    if (!qk(scoreNode)) {
      // A product of two computed tensors a few element-wise steps before the softmax is still
      // attention (a mask added, a bias, a second scaling): refuse it rather than import it as
      // something else.
      let at: number | undefined = scoreNode;
      for (let hop = 0; hop < 3 && at !== undefined && !qk(at); hop++) {
        const computed: string | undefined = (nodes[at].input ?? []).find((i) => i && !isConst(i));
        at = computed === undefined ? undefined : producer.get(computed);
      }
      if (qk(at)) {
        throw new DataError(fn, `node '${nameOf(scoreNode)}' (${nodes[scoreNode].opType}) of ${label}: between the attention scores '${nameOf(at!)}' and softmax '${nameOf(s)}' only a scaling by a constant scalar is supported (no masks or score biases); the multi-head attention around softmax '${nameOf(s)}' is not in a supported form`);
      }
      return;
    }
    const mm = nodes[scoreNode];
    used.add(scoreNode);

    const refuse = (k: number, why: string): never => {
      throw new DataError(fn, `node '${nameOf(k)}' (${nodes[k].opType}) of ${label}: ${why}; the multi-head attention around softmax '${nameOf(s)}' is not in a supported form`);
    };
    const axis = attrOf(s, 'axis') ? num(attrOf(s, 'axis')!.i) : opset >= 13 ? -1 : 1;
    if (axis !== -1 && axis !== 3) refuse(s, `the softmax runs over axis ${axis}, not the keys (−1)`);
    const from = (t: string, k: number): number => {
      const p = producer.get(t);
      if (p === undefined) refuse(k, `its input '${t}' is not computed by a node`);
      return p!;
    };
    const expectOp = (k: number, op: string, what: string): void => {
      if (nodes[k].opType !== op) refuse(k, `expected ${op} (${what})`);
      used.add(k);
    };
    /** Reshape to [·, ·, H, d] ← MatMul(x, W) [+ b]. */
    const projection = (reshapeAt: number, what: string): { x: string; w: string; b?: string; heads: number; dim: number } => {
      expectOp(reshapeAt, 'Reshape', `the ${what} split into heads`);
      const shapeName = nodes[reshapeAt].input?.[1] ?? '';
      const shape = constant(shapeName);
      if (!shape || !isConst(shapeName)) refuse(reshapeAt, 'its target shape is computed at run time (only a constant shape is supported)');
      const sv = Array.from(shape!.data);
      if (sv.length !== 4) refuse(reshapeAt, `splits into ${sv.length} axes, expected 4 ([batch, positions, heads, head width])`);
      let t = nodes[reshapeAt].input![0];
      let k = from(t, reshapeAt);
      let b: string | undefined;
      if (nodes[k].opType === 'Add') {
        const ins = nodes[k].input ?? [];
        const ci = ins.findIndex((i) => isConst(i));
        if (ci < 0) refuse(k, `the ${what} projection adds a computed tensor, not a bias`);
        b = ins[ci];
        used.add(k);
        t = ins[1 - ci];
        k = from(t, k);
      }
      expectOp(k, 'MatMul', `the ${what} projection`);
      const [x, w] = nodes[k].input ?? [];
      if (!isConst(w)) refuse(k, `the ${what} projection's weight '${w}' is not a constant`);
      const W = constant(w)!;
      if (W.shape.length !== 2) refuse(k, `the ${what} projection's weight has shape [${W.shape.join(', ')}], expected 2-d`);
      let [heads, dim] = [sv[2], sv[3]];
      if (heads === -1 && dim > 0) heads = W.shape[1] / dim;
      if (dim === -1 && heads > 0) dim = W.shape[1] / heads;
      if (!(Number.isInteger(heads) && heads >= 1 && Number.isInteger(dim) && dim >= 1) || heads * dim !== W.shape[1]) {
        refuse(reshapeAt, `the shape [${sv.join(', ')}] does not split the ${W.shape[1]} ${what} features into heads`);
      }
      if (b !== undefined && constant(b)!.data.length !== W.shape[1]) refuse(k, `the ${what} bias '${b}' has ${constant(b)!.data.length} entries for ${W.shape[1]} features`);
      return { x, w, b, heads, dim };
    };
    const transposeAt = (t: string, k: number, p: string, what: string): number => {
      const i = from(t, k);
      expectOp(i, 'Transpose', what);
      if (perm(i) !== p) refuse(i, `the ${what} uses perm [${perm(i)}], expected [${p.replace(/,/g, ', ')}]`);
      return i;
    };
    /** A scaling by a constant scalar of the queries or keys (as scaled-dot-product exports write it). */
    const unscale = (t: string): string => {
      const i = producer.get(t);
      if (i === undefined || !['Mul', 'Div'].includes(nodes[i].opType ?? '') || (nodes[i].input ?? []).length !== 2) return t;
      const ins = nodes[i].input!;
      const ci = ins.findIndex((z) => isConst(z));
      if (ci < 0 || (nodes[i].opType === 'Div' && ci === 0) || constant(ins[ci])!.data.length !== 1) return t;
      const c = constant(ins[ci])!.data[0];
      scale *= nodes[i].opType === 'Div' ? 1 / c : c;
      used.add(i);
      return ins[1 - ci];
    };
    const [qT, kT] = mm.input!.map(unscale);
    const q = projection(from(nodes[transposeAt(qT, scoreNode, '0,2,1,3', 'queries’ head transpose')].input![0], scoreNode), 'query');
    let kt = from(kT, scoreNode);
    let kReshape: number;
    if (nodes[kt].opType === 'Transpose' && perm(kt) === '0,1,3,2') {
      used.add(kt);
      kt = transposeAt(nodes[kt].input![0], kt, '0,2,1,3', 'keys’ head transpose');
      kReshape = from(nodes[kt].input![0], kt);
    } else {
      kt = transposeAt(kT, scoreNode, '0,2,3,1', 'keys’ transpose');
      kReshape = from(nodes[kt].input![0], kt);
    }
    const k = projection(kReshape, 'key');

    const single = (t: string, k0: number): number => {
      const c = consumers.get(t) ?? [];
      if (c.length !== 1 || outputs.has(t)) refuse(k0, `its output '${t}' is read ${outputs.has(t) ? 'as a graph output' : `by ${c.length} nodes`}, expected by one`);
      return c[0];
    };
    const pv = single(sm.output![0], s);
    expectOp(pv, 'MatMul', 'attention weights times values');
    if (nodes[pv].input![0] !== sm.output![0]) refuse(pv, 'the attention weights are not its first operand');
    const vt = transposeAt(nodes[pv].input![1], pv, '0,2,1,3', 'values’ head transpose');
    const v = projection(from(nodes[vt].input![0], vt), 'value');
    const back = single(nodes[pv].output![0], pv);
    expectOp(back, 'Transpose', 'heads back to positions');
    if (perm(back) !== '0,2,1,3') refuse(back, `perm [${perm(back)}], expected [0, 2, 1, 3]`);
    const merge = single(nodes[back].output![0], back);
    expectOp(merge, 'Reshape', 'heads merged');
    const ms = constant(nodes[merge].input?.[1] ?? '');
    if (!ms || !isConst(nodes[merge].input?.[1])) refuse(merge, 'its target shape is computed at run time (only a constant shape is supported)');
    const msv = Array.from(ms!.data);
    if (msv.length !== 3 || (msv[2] !== -1 && msv[2] !== v.heads * v.dim)) refuse(merge, `merges the heads to [${msv.join(', ')}], expected [·, ·, ${v.heads * v.dim}]`);
    const proj = single(nodes[merge].output![0], merge);
    expectOp(proj, 'MatMul', 'the output projection');
    const wo = nodes[proj].input![1];
    if (nodes[proj].input![0] !== nodes[merge].output![0] || !isConst(wo)) refuse(proj, 'expected the merged heads times a constant weight');
    const Wo = constant(wo)!;
    if (Wo.shape.length !== 2 || Wo.shape[0] !== v.heads * v.dim) refuse(proj, `the output weight has shape [${Wo.shape.join(', ')}], expected [${v.heads * v.dim}, ·]`);
    let anchor = proj;
    let bo: string | undefined;
    const after = consumers.get(nodes[proj].output![0]) ?? [];
    if (after.length === 1 && !outputs.has(nodes[proj].output![0]) && nodes[after[0]].opType === 'Add') {
      const ins = nodes[after[0]].input ?? [];
      const ci = ins.findIndex((i) => isConst(i));
      if (ci >= 0 && constant(ins[ci])!.data.length === Wo.shape[1]) {
        bo = ins[ci];
        anchor = after[0];
        used.add(anchor);
      }
    }

    if (q.x !== k.x || q.x !== v.x) refuse(scoreNode, `queries come from '${q.x}', keys from '${k.x}', values from '${v.x}': only self-attention (one input) is supported`);
    if (q.heads !== k.heads || q.heads !== v.heads) refuse(scoreNode, `queries, keys and values have ${q.heads}, ${k.heads}, ${v.heads} heads`);
    if (q.dim !== k.dim) refuse(scoreNode, `queries have ${q.dim} features per head, keys ${k.dim}`);
    const W = [q, k, v].map((p) => constant(p.w)!);
    if (W.some((w) => w.shape[0] !== W[0].shape[0]) || Wo.shape[0] !== v.heads * v.dim) refuse(scoreNode, 'the projections disagree on the model width');
    // Nothing inside the block may be read from outside it.
    for (const i of used) {
      if (i === anchor) continue;
      for (const o of nodes[i].output ?? []) {
        if (!o) continue;
        if (outputs.has(o)) refuse(i, `its output '${o}' inside the attention block is a graph output`);
        for (const c of consumers.get(o) ?? []) if (!used.has(c)) refuse(c, `it reads '${o}' from inside the attention block`);
      }
    }
    matches.push({
      nodes: used, anchor, input: q.x, heads: q.heads, headDim: q.dim, valueDim: v.dim, scale,
      wq: q.w, wk: k.w, wv: v.w, wo, bq: q.b, bk: k.b, bv: v.b, bo,
    });
  });
  return matches;
}
