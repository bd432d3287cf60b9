import type * as tfl from '@tensorflow/tfjs-layers';
import { GroupError, ShapeError, ValueError } from '../../errors.ts';
import { callerName } from '../../util/validate.ts';
import type { GroupStructure } from '../../groups/groups.ts';
import { checkLayersModel, checkNet } from '../check.ts';

/**
 * The prunable structure of a chain-shaped tfjs LayersModel (Conv2D / Dense layers, with
 * BatchNormalization, pooling, Flatten, Activation, ReLU and Dropout between them) over the flat
 * vector of its trainable weights (`model.trainableWeights` one after the other, each row-major).
 *
 * A *stage* is the input or a Conv2D/Dense layer; its *units* are channels (input channels, conv
 * filters, dense neurons). Removing unit u of stage s removes its incoming kernel slice, its bias,
 * its BatchNormalization entries and the slice of the next stage's kernel that reads it (for a Dense
 * after Flatten, every spatial position of channel u). The last stage (the logits) is never pruned.
 */
export interface Stage {
  readonly name: string;
  readonly kind: 'input' | 'conv2d' | 'dense';
  readonly units: number;
  /** Output positions per unit (H·W for conv and input images, 1 for dense and flat inputs). */
  readonly positions: number;
  /** Kernel height × width (1 for dense). */
  readonly window: number;
  /** For a stage after the first: input positions per unit of the previous stage (H·W after Flatten, else 1). */
  readonly fanPerUnit: number;
  /** Flat offsets of the kernel and bias (−1 when absent), BatchNormalization gamma / beta after it. */
  readonly kernel: number;
  readonly bias: number;
  readonly bnGamma: number;
  readonly bnBeta: number;
}

export interface NetStructure {
  readonly model: tfl.LayersModel;
  readonly stages: readonly Stage[];
  /** Trainable variables in flat order, with offset and size. */
  readonly variables: readonly { name: string; shape: number[]; offset: number; size: number }[];
  /** Length of the flat parameter vector. */
  readonly size: number;
}

const PASS_THROUGH = new Set(['MaxPooling2D', 'AveragePooling2D', 'Activation', 'ReLU', 'Dropout', 'Flatten']);

export function netStructure(model: tfl.LayersModel): NetStructure {
  checkLayersModel('netStructure', model);
  const fn = 'netStructure';
  const variables: { name: string; shape: number[]; offset: number; size: number }[] = [];
  const offsetOf = new Map<string, number>();
  let size = 0;
  for (const w of model.trainableWeights) {
    const n = (w.shape as number[]).reduce((a, b) => a * b, 1);
    variables.push({ name: w.name, shape: w.shape as number[], offset: size, size: n });
    offsetOf.set(w.name, size);
    size += n;
  }
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const stages: Stage[] = [];
  const inPositions = inShape.length === 3 ? inShape[0] * inShape[1] : 1;
  stages.push({ name: 'input', kind: 'input', units: inShape[inShape.length - 1], positions: inPositions, window: 1, fanPerUnit: 1, kernel: -1, bias: -1, bnGamma: -1, bnBeta: -1 });
  let flattenPositions = 1;
  let spatial = inPositions;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const out = layer.outputShape as number[];
    if (cls === 'Conv2D' || cls === 'Dense') {
      const ws = layer.weights.filter((w) => w.trainable);
      const kernel = ws.find((w) => w.name.endsWith('/kernel'));
      const bias = ws.find((w) => w.name.endsWith('/bias'));
      if (!kernel) throw new ShapeError(fn, `layer ${layer.name} has no trainable kernel`);
      const shape = kernel.shape as number[];
      const units = shape[shape.length - 1];
      const prev = stages[stages.length - 1];
      const fanPerUnit = cls === 'Dense' ? flattenPositions : 1;
      const fanIn = shape[shape.length - 2];
      if (fanIn !== prev.units * fanPerUnit) {
        throw new ShapeError(fn, `layer ${layer.name} reads ${fanIn} inputs, but ${prev.name} gives ${prev.units} units × ${fanPerUnit} positions`);
      }
      const positions = cls === 'Conv2D' ? out[1] * out[2] : 1;
      stages.push({
        name: layer.name, kind: cls === 'Conv2D' ? 'conv2d' : 'dense', units, positions,
        window: cls === 'Conv2D' ? shape[0] * shape[1] : 1, fanPerUnit,
        kernel: offsetOf.get(kernel.name)!, bias: bias ? offsetOf.get(bias.name)! : -1, bnGamma: -1, bnBeta: -1,
      });
      spatial = positions;
      flattenPositions = 1;
    } else if (cls === 'BatchNormalization') {
      const prev = stages[stages.length - 1];
      if (prev.kind === 'input') throw new ShapeError(fn, `${layer.name} normalizes the input, which has no prunable units`);
      const g = layer.weights.find((w) => w.trainable && w.name.endsWith('/gamma'));
      const b = layer.weights.find((w) => w.trainable && w.name.endsWith('/beta'));
      stages[stages.length - 1] = { ...prev, bnGamma: g ? offsetOf.get(g.name)! : -1, bnBeta: b ? offsetOf.get(b.name)! : -1 };
    } else if (PASS_THROUGH.has(cls)) {
      if (cls === 'Flatten') flattenPositions = spatial;
      else if (out.length === 4) spatial = out[1] * out[2];
    } else {
      throw new ShapeError(fn, `layer ${layer.name} is a ${cls}, which chain pruning does not handle (Conv2D, Dense, BatchNormalization, pooling, Flatten, Activation, ReLU, Dropout)`);
    }
  }
  if (stages.length < 2) throw new ShapeError(fn, 'the model has no Conv2D or Dense layer');
  return { model, stages, variables, size };
}

/** Flat indices of the incoming slice of unit u of stage s (kernel[..., u], bias[u], BN gamma/beta[u]). */
export function incomingIndices(net: NetStructure, s: number, u: number, withBn = true): number[] {
  checkNet('incomingIndices', net);
  const st = net.stages[s];
  const out: number[] = [];
  if (st.kind === 'input') return out;
  const fanIn = net.stages[s - 1].units * st.fanPerUnit;
  const rows = st.window * fanIn;
  for (let r = 0; r < rows; r++) out.push(st.kernel + r * st.units + u);
  if (st.bias >= 0) out.push(st.bias + u);
  if (withBn && st.bnGamma >= 0) out.push(st.bnGamma + u);
  if (withBn && st.bnBeta >= 0) out.push(st.bnBeta + u);
  return out;
}

/** Flat indices of the next stage's kernel entries that read unit u of stage s. */
export function outgoingIndices(net: NetStructure, s: number, u: number): number[] {
  checkNet('outgoingIndices', net);
  const next = net.stages[s + 1];
  const C = net.stages[s].units;
  const out: number[] = [];
  // Row-major kernel [kh, kw, C·fan, units] (conv) or [fan·C, units] (dense after Flatten of
  // [H, W, C]: input index p·C + c).
  for (let w = 0; w < next.window; w++) {
    for (let p = 0; p < next.fanPerUnit; p++) {
      const row = w * C * next.fanPerUnit + p * C + u;
      for (let o = 0; o < next.units; o++) out.push(next.kernel + row * next.units + o);
    }
  }
  return out;
}

/** Every parameter removed with unit u of stage s (incoming, BN, outgoing): the coupled group. */
export function unitIndices(net: NetStructure, s: number, u: number): number[] {
  checkNet('unitIndices', net);
  return [...incomingIndices(net, s, u), ...outgoingIndices(net, s, u)];
}

/** A penalized group of flat parameters, tied to the unit its vanishing removes. */
export interface UnitGroup {
  readonly name: string;
  readonly stage: number;
  readonly unit: number;
  readonly indices: Int32Array;
}

export interface UnitGroupOptions {
  /**
   * 'outgoing' (default): the next layer's slice reading the unit (Wen et al.'s channel groups) —
   * disjoint across layers; 'incoming': the unit's kernel slice and bias (filters / neurons);
   * 'bn-scale': the BatchNormalization gamma of the unit (Network Slimming's L1, one entry each).
   */
  mode?: 'outgoing' | 'incoming' | 'bn-scale';
  /** Also penalize the input's channels / features (only with 'outgoing'; default true). */
  inputs?: boolean;
}

/** One group per prunable unit, for proximal training. */
export function unitGroups(net: NetStructure, options: UnitGroupOptions = {}): UnitGroup[] {
  checkNet('unitGroups', net);
  const mode = options.mode ?? 'outgoing';
  if (mode !== 'outgoing' && mode !== 'incoming' && mode !== 'bn-scale') throw new ValueError('unitGroups', `unknown mode '${String(mode)}'`);
  const groups: UnitGroup[] = [];
  const first = mode === 'outgoing' && (options.inputs ?? true) ? 0 : 1;
  for (let s = first; s < net.stages.length - 1; s++) {
    const st = net.stages[s];
    if (mode === 'bn-scale' && st.bnGamma < 0) throw new ValueError('unitGroups', `stage ${st.name} has no BatchNormalization scale to penalize`);
    for (let u = 0; u < st.units; u++) {
      const idx = mode === 'outgoing' ? outgoingIndices(net, s, u) : mode === 'incoming' ? incomingIndices(net, s, u, false) : [st.bnGamma + u];
      groups.push({ name: `${st.name}:${u}`, stage: s, unit: u, indices: Int32Array.from(idx) });
    }
  }
  return groups;
}

/**
 * The groups as a GroupStructure over the flat vector (weights d_g = √p_g unless given), refusing
 * overlaps: the prox of a sum of overlapping norms is not the product of group proxes.
 */
export function groupStructureOf(net: NetStructure, groups: readonly UnitGroup[], weights?: ArrayLike<number>, fn = 'groupStructureOf'): GroupStructure {
  checkNet(callerName(fn, 'groupStructureOf'), net);
  const groupOf = new Int32Array(net.size).fill(-1);
  const ptr = new Int32Array(groups.length + 1);
  let total = 0;
  for (const g of groups) total += g.indices.length;
  const indices = new Int32Array(total);
  let k = 0;
  groups.forEach((g, gi) => {
    if (g.indices.length === 0) throw new GroupError(fn, `group ${g.name} is empty`);
    for (const i of g.indices) {
      if (!(i >= 0 && i < net.size)) throw new GroupError(fn, `group ${g.name} indexes parameter ${i}, outside [0, ${net.size})`);
      if (groupOf[i] >= 0) throw new GroupError(fn, `groups ${groups[groupOf[i]].name} and ${g.name} overlap (parameter ${i}); proximal training needs disjoint groups`);
      groupOf[i] = gi;
      indices[k++] = i;
    }
    ptr[gi + 1] = k;
  });
  const w = new Float64Array(groups.length);
  for (let g = 0; g < groups.length; g++) {
    const d = weights ? weights[g] : Math.sqrt(groups[g].indices.length);
    if (!(d >= 0 && Number.isFinite(d))) throw new ValueError(fn, `group weight ${g} (${groups[g].name}) must be finite and ≥ 0, got ${d}`);
    w[g] = d;
  }
  return { nFeatures: net.size, nGroups: groups.length, ptr, indices, weights: w, names: groups.map((g) => g.name), overlapping: false, groupOf };
}

/** Which units of each stage are kept (1) — the structure compaction would produce. */
export type KeptUnits = Uint8Array[];

export function allKept(net: NetStructure): KeptUnits {
  checkNet('allKept', net);
  return net.stages.map((s) => new Uint8Array(s.units).fill(1));
}

/**
 * Multiply–adds of one forward pass of one sample with only the kept units (×2 = FLOPs):
 * Σ over Conv2D/Dense stages of positions · window · fanPerUnit · keptIn · keptOut (+ keptOut bias).
 */
export function structureFlops(net: NetStructure, kept: KeptUnits): number {
  checkNet('structureFlops', net);
  let flops = 0;
  for (let s = 1; s < net.stages.length; s++) {
    const st = net.stages[s];
    const kin = count(kept[s - 1]);
    const kout = count(kept[s]);
    flops += 2 * st.positions * st.window * st.fanPerUnit * kin * kout + (st.bias >= 0 ? st.positions * kout : 0);
  }
  return flops;
}

/** Trainable parameters left after compaction (kernels, biases, BatchNormalization gamma/beta). */
export function structureParameters(net: NetStructure, kept: KeptUnits): number {
  checkNet('structureParameters', net);
  let p = 0;
  for (let s = 1; s < net.stages.length; s++) {
    const st = net.stages[s];
    const kout = count(kept[s]);
    p += st.window * st.fanPerUnit * count(kept[s - 1]) * kout;
    if (st.bias >= 0) p += kout;
    if (st.bnGamma >= 0) p += kout;
    if (st.bnBeta >= 0) p += kout;
  }
  return p;
}

/** Units per stage that a parameter vector leaves alive: a unit is dead when its outgoing slice is 0. */
export function aliveUnits(net: NetStructure, theta: ArrayLike<number>): KeptUnits {
  checkNet('aliveUnits', net);
  const kept = allKept(net);
  // A unit whose outgoing weights are all 0 no longer influences the output; a unit whose inputs
  // all died and whose incoming slice is 0 outputs a constant that the next bias can absorb — both
  // are removed by compaction. Walk back from the logits so that a stage's death propagates.
  for (let s = net.stages.length - 2; s >= 0; s--) {
    for (let u = 0; u < net.stages[s].units; u++) {
      let alive = false;
      const next = net.stages[s + 1];
      const C = net.stages[s].units;
      for (let w = 0; w < next.window && !alive; w++) {
        for (let p = 0; p < next.fanPerUnit && !alive; p++) {
          const row = w * C * next.fanPerUnit + p * C + u;
          for (let o = 0; o < next.units; o++) {
            if (kept[s + 1][o] && theta[next.kernel + row * next.units + o] !== 0) {
              alive = true;
              break;
            }
          }
        }
      }
      kept[s][u] = alive ? 1 : 0;
    }
  }
  return kept;
}

export function count(a: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) c += a[i];
  return c;
}
