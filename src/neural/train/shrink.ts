import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError } from '../../errors.ts';
import { count, type KeptUnits, type NetStructure } from './structure.ts';
import { checkNet, checkTyped } from '../check.ts';

/**
 * The smaller dense network that keeps only `kept` units of a chain model (see `netStructure`):
 * kernels, biases and BatchNormalization entries (moving statistics included) sliced, every other
 * layer rebuilt from its configuration. Removed input channels / features are dropped from the input:
 * feed the compacted model `x` gathered at `inputIndex` (null when the input is kept whole).
 * The compacted model computes the same outputs as the original with the removed units' weights at 0.
 */
export function compactModel(net: NetStructure, kept: KeptUnits): { model: tfl.Sequential; inputIndex: Int32Array | null } {
  checkNet('compactModel', net);
  const fn = 'compactModel';
  if (kept.length !== net.stages.length) throw new ShapeError(fn, `kept has ${kept.length} stages, the model ${net.stages.length}`);
  kept.forEach((k, s) => {
    if (k.length !== net.stages[s].units) throw new ShapeError(fn, `stage ${net.stages[s].name} has ${net.stages[s].units} units, kept lists ${k.length}`);
    if (count(k) === 0) throw new ShapeError(fn, `stage ${net.stages[s].name} keeps no unit`);
  });
  const idx = kept.map((k) => Int32Array.from(Array.from(k, (v, u) => (v ? u : -1)).filter((u) => u >= 0)));
  const inShape = net.model.inputs[0].shape.slice(1) as number[];
  const newIn = [...inShape];
  newIn[newIn.length - 1] = idx[0].length;
  const layers: tfl.layers.Layer[] = [];
  const weights: tf.Tensor[][] = [];
  let stage = 0;
  let flattenPositions = 1;
  let spatial = inShape.length === 3 ? inShape[0] * inShape[1] : 1;
  for (const layer of net.model.layers) {
    const cls = layer.getClassName();
    const c = layer.getConfig() as Record<string, unknown>;
    const first = layers.length === 0 ? { inputShape: newIn } : {};
    const vals = layer.getWeights();
    if (cls === 'Conv2D' || cls === 'Dense') {
      stage++;
      const kin = idx[stage - 1];
      const kout = idx[stage];
      const st = net.stages[stage];
      const fan = cls === 'Dense' ? flattenPositions : 1;
      const Cin = net.stages[stage - 1].units;
      const kernel = vals[0].dataSync();
      const out = new Float32Array(st.window * fan * kin.length * kout.length);
      let q = 0;
      for (let w = 0; w < st.window; w++) {
        for (let p = 0; p < fan; p++) {
          for (const ci of kin) {
            const row = w * Cin * fan + p * Cin + ci;
            for (const o of kout) out[q++] = kernel[row * st.units + o];
          }
        }
      }
      const shape = cls === 'Conv2D' ? [...(vals[0].shape.slice(0, 2) as number[]), kin.length, kout.length] : [fan * kin.length, kout.length];
      const ws: tf.Tensor[] = [tf.tensor(out, shape)];
      if (vals.length > 1) ws.push(tf.tensor(Float32Array.from(kout, (o) => vals[1].dataSync()[o])));
      if (cls === 'Conv2D') {
        layers.push(tfl.layers.conv2d({ ...first, filters: kout.length, kernelSize: c.kernelSize as number[], strides: c.strides as number[], padding: c.padding as 'valid' | 'same', dilationRate: c.dilationRate as [number, number], activation: c.activation as 'relu', useBias: c.useBias as boolean }));
      } else {
        layers.push(tfl.layers.dense({ ...first, units: kout.length, activation: c.activation as 'relu', useBias: c.useBias as boolean }));
      }
      weights.push(ws);
      spatial = st.positions;
      flattenPositions = 1;
    } else if (cls === 'BatchNormalization') {
      const kout = idx[stage];
      weights.push(vals.map((v) => tf.tensor(Float32Array.from(kout, (o) => v.dataSync()[o]))));
      layers.push(tfl.layers.batchNormalization({ ...first, axis: c.axis as number, momentum: c.momentum as number, epsilon: c.epsilon as number, center: c.center as boolean, scale: c.scale as boolean }));
    } else {
      let l: tfl.layers.Layer;
      if (cls === 'MaxPooling2D') l = tfl.layers.maxPooling2d({ ...first, poolSize: c.poolSize as [number, number], strides: c.strides as [number, number], padding: c.padding as 'valid' });
      else if (cls === 'AveragePooling2D') l = tfl.layers.averagePooling2d({ ...first, poolSize: c.poolSize as [number, number], strides: c.strides as [number, number], padding: c.padding as 'valid' });
      else if (cls === 'Flatten') { l = tfl.layers.flatten(first); flattenPositions = spatial; }
      else if (cls === 'Activation') l = tfl.layers.activation({ ...first, activation: c.activation as 'relu' });
      else if (cls === 'ReLU') l = tfl.layers.reLU({ ...first, maxValue: c.maxValue as number | undefined });
      else if (cls === 'Dropout') l = tfl.layers.dropout({ ...first, rate: c.rate as number });
      else throw new ShapeError(fn, `layer ${layer.name} is a ${cls}, which compaction does not handle`);
      if (cls === 'MaxPooling2D' || cls === 'AveragePooling2D') {
        const o = layer.outputShape as number[];
        spatial = o[1] * o[2];
      }
      layers.push(l);
      weights.push([]);
    }
  }
  const model = tfl.sequential({ layers });
  model.layers.forEach((l, k) => {
    if (weights[k].length) l.setWeights(weights[k]);
    tf.dispose(weights[k]);
  });
  const inputIndex = idx[0].length === net.stages[0].units ? null : idx[0];
  return { model, inputIndex };
}

/** Gathers the kept input channels / features of every sample (the last axis), for a compacted model's input. */
export function gatherInputs(x: Float32Array, perSample: number, channels: number, inputIndex: Int32Array): Float32Array {
  const fn = 'gatherInputs';
  checkTyped(fn, 'x', x, Float32Array);
  checkTyped(fn, 'inputIndex', inputIndex, Int32Array);
  if (!Number.isInteger(channels) || channels < 1) throw new ValueError(fn, `channels must be a whole number ≥ 1, got ${String(channels)}`);
  if (!Number.isInteger(perSample) || perSample < 1 || perSample % channels !== 0 || x.length % perSample !== 0) {
    throw new ShapeError(fn, `perSample (${String(perSample)}) must be a whole multiple of channels (${channels}) dividing x.length (${x.length})`);
  }
  // An index past the channels read the next position's values (or past x: NaN) silently.
  for (let k = 0; k < inputIndex.length; k++) {
    if (inputIndex[k] < 0 || inputIndex[k] >= channels) throw new ValueError(fn, `inputIndex[${k}] is ${inputIndex[k]}, not a channel in [0, ${channels})`);
  }
  const n = x.length / perSample;
  const positions = perSample / channels;
  const out = new Float32Array(n * positions * inputIndex.length);
  let q = 0;
  for (let i = 0; i < n; i++) for (let p = 0; p < positions; p++) for (const c of inputIndex) out[q++] = x[i * perSample + p * channels + c];
  return out;
}
