import type { onnx as O } from 'onnx-proto';

/** What the ONNX pattern matchers (`onnx-attention.ts`, `onnx-fused.ts`) walk a node list with. */

/** A protobuf integer (number or Long) as a number. */
export const num = (v: number | { toNumber(): number } | null | undefined): number => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

/** Producer node of each tensor, and the nodes that read it (in node order). */
export function indexNodes(nodes: readonly O.INodeProto[]): { producer: Map<string, number>; consumers: Map<string, number[]> } {
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
  return { producer, consumers };
}
