import type { onnx as O } from 'onnx-proto';
import { indexNodes, num } from './onnx-pattern.ts';
import type { Weight } from '../ir/graph.ts';

/**
 * Small functions that ONNX exporters before opset 17 / 20 spell out in primitive ops, recognised
 * so that a transformer's feed-forward and normalization import as one IR node each:
 * - GELU (erf form): `Div(x, √2)` or `Mul(x, 1/√2)` → Erf → Add 1 → Mul by x and by 0.5 (in either
 *   order), as PyTorch writes `F.gelu` and BERT's `x · 0.5 · (1 + erf(x/√2))`;
 * - layer norm over the last axis: `m = ReduceMean(x)`, `d = Sub(x, m)`, `v = ReduceMean(Pow(d, 2))`,
 *   `Div(d, Sqrt(Add(v, ε)))` [`Mul γ`] [`Add β`].
 * A pattern that does not match exactly is left to the node-by-node import (which refuses Erf,
 * Pow, Sqrt by name): nothing is imported approximately.
 */

export interface FusedMatch {
  /** Indices of the ONNX nodes replaced. */
  readonly nodes: ReadonlySet<number>;
  /** Last node; its first output is the result. */
  readonly anchor: number;
  /** ONNX name of the input tensor. */
  readonly input: string;
  readonly kind: 'gelu' | 'layerNorm';
  /** layerNorm: ε and the ONNX constants γ, β (when present). */
  readonly epsilon?: number;
  readonly scale?: string;
  readonly offset?: string;
}


/** Every GELU and decomposed layer norm of `nodes` (see the module comment). */
export function matchOnnxFused(nodes: readonly O.INodeProto[], constant: (name: string) => Weight | undefined, outputs: ReadonlySet<string>, opset: number): FusedMatch[] {
  const { producer, consumers } = indexNodes(nodes);
  const scalar = (t: string | undefined): number | undefined => {
    const c = t ? constant(t) : undefined;
    return c && c.data.length === 1 ? c.data[0] : undefined;
  };
  const near = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) <= 1e-6 * Math.abs(b);
  const out0 = (k: number): string => nodes[k].output![0];
  /** The single consumer of node k's output (undefined if several, none, or a graph output). */
  const next = (k: number): number | undefined => {
    const c = consumers.get(out0(k)) ?? [];
    return c.length === 1 && !outputs.has(out0(k)) ? c[0] : undefined;
  };
  /** For a binary node: [the other input, the constant scalar] when one input is `t`... */
  const other = (k: number, t: string): string | undefined => {
    const ins = nodes[k].input ?? [];
    if (ins.length !== 2) return undefined;
    return ins[0] === t ? ins[1] : ins[1] === t ? ins[0] : undefined;
  };
  const is = (k: number | undefined, op: string): k is number => k !== undefined && nodes[k].opType === op;
  const matches: FusedMatch[] = [];
  const taken = new Set<number>();

  nodes.forEach((nd, e) => {
    // ---- GELU around an Erf ----
    if (nd.opType !== 'Erf') return;
    const pre = producer.get(nd.input?.[0] ?? '');
    if (pre === undefined) return;
    const p = nodes[pre];
    const pins = p.input ?? [];
    if (pins.length !== 2) return;
    const x = pins[0];
    const c = scalar(pins[1]);
    if (!((p.opType === 'Div' && near(c, Math.SQRT2)) || (p.opType === 'Mul' && near(c, Math.SQRT1_2)))) return;
    if (next(pre) !== e) return;
    const add = next(e);
    if (!is(add, 'Add') || !near(scalar(other(add, out0(e))), 1)) return;
    const m1 = next(add);
    if (!is(m1, 'Mul')) return;
    const used = new Set([pre, e, add, m1]);
    const o1 = other(m1, out0(add));
    let anchor: number | undefined;
    if (o1 === x) {
      // (x · (1 + erf)) · 0.5
      const m2 = next(m1);
      if (is(m2, 'Mul') && near(scalar(other(m2, out0(m1))), 0.5)) anchor = m2;
    } else if (near(scalar(o1), 0.5)) {
      // ((1 + erf) · 0.5) · x
      const m2 = next(m1);
      if (is(m2, 'Mul') && other(m2, out0(m1)) === x) anchor = m2;
    } else if (o1 !== undefined && is(producer.get(o1), 'Mul')) {
      // (x · 0.5) · (1 + erf)
      const h = producer.get(o1)!;
      if (other(h, x) !== undefined && near(scalar(other(h, x)), 0.5) && next(h) === m1) {
        used.add(h);
        anchor = m1;
      }
    }
    if (anchor === undefined) return;
    used.add(anchor);
    if ([...used].some((k) => taken.has(k))) return;
    for (const k of used) taken.add(k);
    matches.push({ nodes: used, anchor, input: x, kind: 'gelu' });
  });

  const lastAxisMean = (k: number): boolean => {
    const nd = nodes[k];
    if (nd.opType !== 'ReduceMean') return false;
    const attr = (nd.attribute ?? []).find((a) => a.name === 'axes');
    const axes = opset >= 18 ? Array.from(constant(nd.input?.[1] ?? '')?.data ?? []) : (attr?.ints ?? []).map(num);
    const keep = (nd.attribute ?? []).find((a) => a.name === 'keepdims');
    return axes.length === 1 && axes[0] === -1 && (keep === undefined || num(keep.i) !== 0);
  };
  nodes.forEach((nd, m) => {
    // ---- layer norm from its mean ----
    if (!lastAxisMean(m) || taken.has(m)) return;
    const x = nd.input![0];
    const subs = (consumers.get(out0(m)) ?? []).filter((k) => nodes[k].opType === 'Sub' && nodes[k].input![0] === x && nodes[k].input![1] === out0(m));
    if (subs.length !== 1 || (consumers.get(out0(m)) ?? []).length !== 1) return;
    const sub = subs[0];
    const dUsers = consumers.get(out0(sub)) ?? [];
    if (dUsers.length !== 2 || outputs.has(out0(sub))) return;
    const pow = dUsers.find((k) => nodes[k].opType === 'Pow' && nodes[k].input![0] === out0(sub) && near(scalar(nodes[k].input![1]), 2));
    const div = dUsers.find((k) => nodes[k].opType === 'Div' && nodes[k].input![0] === out0(sub));
    if (pow === undefined || div === undefined) return;
    const m2 = next(pow);
    if (m2 === undefined || !lastAxisMean(m2)) return;
    const addEps = next(m2);
    if (!is(addEps, 'Add')) return;
    const eps = scalar(other(addEps, out0(m2)));
    if (eps === undefined || !(eps >= 0)) return;
    const sqrt = next(addEps);
    if (!is(sqrt, 'Sqrt') || next(sqrt) !== div || nodes[div].input![1] !== out0(sqrt)) return;
    const used = new Set([m, sub, pow, m2, addEps, sqrt, div]);
    let anchor = div;
    let scale: string | undefined;
    let offset: string | undefined;
    const vec = (t: string | undefined): boolean => t !== undefined && constant(t) !== undefined && constant(t)!.shape.length <= 1;
    let k = next(anchor);
    if (is(k, 'Mul') && vec(other(k, out0(anchor)))) {
      scale = other(k, out0(anchor));
      anchor = k;
      used.add(k);
      k = next(anchor);
    }
    if (is(k, 'Add') && vec(other(k, out0(anchor)))) {
      offset = other(k, out0(anchor));
      anchor = k;
      used.add(k);
    }
    if ([...used].some((z) => taken.has(z))) return;
    for (const z of used) taken.add(z);
    matches.push({ nodes: used, anchor, input: x, kind: 'layerNorm', epsilon: eps, scale, offset });
  });
  return matches;
}
