import { basename } from 'node:path';
import { DataError, ValueError } from '../../errors.ts';
import type { Activation, Graph, IrNode, Weight } from '../ir/graph.ts';
import { validateGraph } from '../ir/graph.ts';
import { encodeWeights, readJson, readShards, writeFilesAtomically, type ManifestGroupJson } from './files.ts';
import { manifestWeights } from './tfjs-graph.ts';

/**
 * face-api.js weight manifests (`*-weights_manifest.json` + shards) ↔ IR. A manifest holds weights
 * only; the architecture is face-api's code, rebuilt here from the weight names with channel counts
 * read from the weight shapes — so a pruned manifest, whose shapes are smaller, reads back too.
 *
 * Tiny Face Detector (face-api `TinyFaceDetector`, separable-conv variant): conv0 3×3 'valid' +
 * bias + leaky ReLU(0.1) → maxpool 2 'same'; conv1…conv5: depthwise 3×3 'same' → pointwise 1×1 +
 * bias + leaky ReLU(0.1) → maxpool 2 'same' (stride 2; stride 1 after conv5); conv8 1×1 + bias.
 * Input NHWC, S × S × 3.
 */

const LEAKY: Activation = { kind: 'leakyRelu', alpha: 0.10000000149011612 };

function tinyFaceDetector(fn: string, w: ReadonlyMap<string, Weight>, size: number): { nodes: IrNode[]; used: string[] } {
  const need = (name: string, rank: number): string => {
    const t = w.get(name);
    if (!t) throw new DataError(fn, `the manifest has no tensor '${name}' (Tiny Face Detector)`);
    if (t.shape.length !== rank) throw new DataError(fn, `tensor '${name}' has rank ${t.shape.length}, expected ${rank}`);
    return name;
  };
  const used: string[] = [];
  const u = (name: string, rank: number): string => {
    used.push(need(name, rank));
    return name;
  };
  const nodes: IrNode[] = [];
  let x = 'input';
  nodes.push({ op: 'conv2d', name: 'conv0', inputs: [x], kernel: u('conv0/filters', 4), bias: u('conv0/bias', 1), strides: [1, 1], dilations: [1, 1], padding: 'valid', activation: LEAKY });
  nodes.push({ op: 'maxPool', name: 'pool0', inputs: ['conv0'], size: [2, 2], strides: [2, 2], padding: 'same' });
  x = 'pool0';
  for (let k = 1; k <= 5; k++) {
    const b = `conv${k}`;
    nodes.push({ op: 'depthwise', name: `${b}/depthwise`, inputs: [x], kernel: u(`${b}/depthwise_filter`, 4), strides: [1, 1], dilations: [1, 1], padding: 'same', activation: { kind: 'linear' } });
    nodes.push({ op: 'conv2d', name: `${b}/pointwise`, inputs: [`${b}/depthwise`], kernel: u(`${b}/pointwise_filter`, 4), bias: u(`${b}/bias`, 1), strides: [1, 1], dilations: [1, 1], padding: 'valid', activation: LEAKY });
    const s = k === 5 ? 1 : 2;
    nodes.push({ op: 'maxPool', name: `pool${k}`, inputs: [`${b}/pointwise`], size: [2, 2], strides: [s, s], padding: 'same' });
    x = `pool${k}`;
  }
  nodes.push({ op: 'conv2d', name: 'conv8', inputs: [x], kernel: u('conv8/filters', 4), bias: u('conv8/bias', 1), strides: [1, 1], dilations: [1, 1], padding: 'valid', activation: { kind: 'linear' } });
  void size;
  return { nodes, used };
}

export interface FaceApiImportOptions {
  /** Input side S (the detector runs on S × S × 3); default 416, face-api's default. */
  readonly inputSize?: number;
}

/** Read a face-api weights manifest and its shards as a graph. Only the Tiny Face Detector is known. */
export function readFaceApiManifest(path: string, options: FaceApiImportOptions = {}): Graph {
  const fn = 'readFaceApiManifest';
  const S = options.inputSize ?? 416;
  if (!Number.isInteger(S) || S < 34) throw new ValueError(fn, `inputSize must be a whole number ≥ 34, got ${String(S)}`);
  const json = readJson(fn, path);
  if (!Array.isArray(json)) throw new DataError(fn, `${path}: a weights manifest must be a JSON array of groups`);
  const manifest = json as ManifestGroupJson[];
  const weights = manifestWeights(fn, manifest, readShards(fn, path, manifest));
  if (!weights.has('conv0/filters') || !weights.has('conv1/depthwise_filter')) {
    throw new DataError(fn, `${path}: not a Tiny Face Detector manifest (no conv0/filters + conv1/depthwise_filter); other face-api nets are not supported`);
  }
  const { nodes, used } = tinyFaceDetector(fn, weights, S);
  const kept = new Map<string, Weight>();
  for (const k of used) kept.set(k, weights.get(k)!);
  const stem = basename(path).replace(/-weights_manifest\.json$/, '').replace(/\.json$/, '');
  const g: Graph = {
    inputs: [{ name: 'input', shape: [-1, S, S, 3] }], outputs: ['conv8'], nodes, weights: kept,
    source: { kind: 'faceapi-manifest', details: { net: 'tinyFaceDetector', stem, order: manifest.flatMap((m) => m.weights.map((x) => x.name)) } },
  };
  validateGraph(fn, g);
  // Shapes must chain: each layer's input channels equal the previous output channels.
  let c = 3;
  for (const n of nodes) {
    if (n.op !== 'conv2d' && n.op !== 'depthwise') continue;
    const k = weights.get(n.kernel)!.shape;
    if (k[2] !== c) throw new DataError(fn, `${path}: '${n.kernel}' has ${k[2]} input channels where the previous layer gives ${c} (manifest does not match the Tiny Face Detector topology)`);
    if (n.op === 'conv2d') c = k[3];
    if (n.bias && weights.get(n.bias)!.shape[0] !== c) throw new DataError(fn, `${path}: '${n.bias}' has ${weights.get(n.bias)!.shape[0]} entries for ${c} channels`);
  }
  return g;
}

/** Write `g` (from `readFaceApiManifest`) as `dir/<stem>-weights_manifest.json` + `dir/<stem>.bin`. */
export function writeFaceApiManifest(g: Graph, dir: string): { files: string[] } {
  const fn = 'writeFaceApiManifest';
  if (g.source.kind !== 'faceapi-manifest') throw new ValueError(fn, `the graph came from ${g.source.kind}, not a face-api manifest`);
  const d = g.source.details ?? {};
  const stem = (d.stem as string | undefined) ?? 'model';
  const order = ((d.order as string[] | undefined) ?? [...g.weights.keys()]).filter((k) => g.weights.has(k));
  const shard = `${stem}.bin`;
  const { manifest, bytes } = encodeWeights(order.map((name) => ({ name, w: g.weights.get(name)!, dtype: 'float32' as const })), shard);
  return writeFilesAtomically(fn, dir, [
    { name: shard, data: bytes },
    { name: `${stem}-weights_manifest.json`, data: new TextEncoder().encode(JSON.stringify(manifest)) },
  ]);
}
