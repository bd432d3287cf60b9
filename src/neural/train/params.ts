import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '../../errors.ts';
import type { ImageSet } from '../mnist.ts';
import type { NetStructure } from './structure.ts';
import { checkImageSet, checkParams, checkTensor } from '../check.ts';

/** 'softmax': logits [n, K] with labels 0…K−1; 'logistic': one logit [n, 1] with labels 0/1. */
export type ClassifierLoss = 'softmax' | 'logistic';

/**
 * The model's trainable variables as one float64 vector θ (the iterate the optimizer owns; the
 * float32 variables are its rounding, written back after each step).
 */
export class FlatParams {
  readonly net: NetStructure;
  readonly theta: Float64Array;
  private readonly vars: tf.Variable[];
  private readonly f32: Float32Array;

  constructor(net: NetStructure) {
    checkNet('FlatParams', net);
    this.net = net;
    this.vars = net.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.theta = new Float64Array(net.size);
    this.f32 = new Float32Array(net.size);
    this.pull();
  }

  get variables(): tf.Variable[] {
    return this.vars;
  }

  /** θ ← the model's current weights. */
  pull(): void {
    this.net.variables.forEach((v, k) => {
      const data = this.vars[k].dataSync();
      for (let i = 0; i < v.size; i++) this.theta[v.offset + i] = data[i];
    });
  }

  /** The model's weights ← θ. */
  push(): void {
    for (let i = 0; i < this.theta.length; i++) this.f32[i] = this.theta[i];
    this.net.variables.forEach((v, k) => {
      const t = tf.tensor(this.f32.subarray(v.offset, v.offset + v.size), v.shape);
      this.vars[k].assign(t);
      t.dispose();
    });
  }

  /** Adds the gradients (a map keyed by variable name, or in variable order) into `out` scaled by `scale`. */
  addGradients(grads: tf.NamedTensorMap, out: Float64Array, scale = 1): void {
    this.net.variables.forEach((v, k) => {
      const g = grads[this.vars[k].name];
      if (!g) return; // a variable the loss does not reach has gradient 0
      const data = g.dataSync();
      for (let i = 0; i < v.size; i++) out[v.offset + i] += scale * data[i];
    });
  }
}

/**
 * Per-sample losses of logits against labels (a [n] tensor): softmax cross-entropy −log p_y, or for
 * 'logistic' softplus(z) − y·z = −log σ(z)^y (1 − σ(z))^(1−y), without overflow for large |z|.
 */
export function sampleLossTensor(logits: tf.Tensor, labels: tf.Tensor1D, loss: ClassifierLoss): tf.Tensor1D {
  checkTensor('sampleLossTensor', 'logits', logits);
  checkTensor('sampleLossTensor', 'labels', labels);
  return tf.tidy(() => {
    if (loss === 'logistic') {
      const z = tf.reshape(logits, [-1]);
      return tf.sub(tf.softplus(z), tf.mul(tf.cast(labels, 'float32'), z)) as tf.Tensor1D;
    }
    const K = logits.shape[1] as number;
    return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits as tf.Tensor2D), tf.oneHot(labels, K)), 1)) as tf.Tensor1D;
  });
}

/** Mean loss of logits against labels (a scalar tensor), multiplied by `scale` (e.g. batch / n). */
export function lossTensor(logits: tf.Tensor, labels: tf.Tensor1D, loss: ClassifierLoss, scale = 1): tf.Scalar {
  checkTensor('lossTensor', 'logits', logits);
  checkTensor('lossTensor', 'labels', labels);
  return tf.tidy(() => tf.mul(tf.sum(sampleLossTensor(logits, labels, loss)), scale / (logits.shape[0] as number)) as tf.Scalar);
}

/** A NetStructure from netStructure (checked in O(1): its model and flat size). */
export function checkNet(fn: string, net: unknown): asserts net is NetStructure {
  const n = net as Partial<NetStructure> | null;
  if (n === null || typeof n !== 'object' || typeof n.model !== 'object' || n.model === null || !Array.isArray(n.variables) || !Number.isInteger(n.size)) {
    throw new ShapeError(fn, `net must be the NetStructure that netStructure(model) returns, got ${net === null ? 'null' : typeof net}`);
  }
}

export function checkData(fn: string, net: NetStructure, data: ImageSet, loss: ClassifierLoss): void {
  const inShape = net.model.inputs[0].shape.slice(1) as number[];
  const per = inShape.reduce((a, b) => a * b, 1);
  if (!(data && data.n > 0 && data.x.length === data.n * per && data.y.length === data.n)) {
    throw new ShapeError(fn, `data must hold n samples of shape [${inShape.join(', ')}] (x: n·${per} values, y: n labels)`);
  }
  const out = net.model.outputs[0].shape[1] as number;
  const K = loss === 'logistic' ? 2 : out;
  if (loss === 'logistic' && out !== 1) throw new ShapeError(fn, `the logistic loss needs one output logit, the model has ${out}`);
  for (let i = 0; i < data.n; i++) {
    const y = data.y[i];
    if (!(Number.isInteger(y) && y >= 0 && y < K)) throw new ValueError(fn, `label ${y} at sample ${i} is outside 0…${K - 1}`);
  }
  for (let i = 0; i < data.x.length; i++) {
    if (!Number.isFinite(data.x[i])) throw new ValueError(fn, `input value ${i} is not finite (${data.x[i]})`);
  }
}

/** Samples `ids` of a data set as a batch tensor and a label tensor. */
export function batchOf(data: ImageSet, ids: ArrayLike<number>): { x: tf.Tensor; y: tf.Tensor1D } {
  const per = data.x.length / data.n;
  const x = new Float32Array(ids.length * per);
  const y = new Int32Array(ids.length);
  for (let k = 0; k < ids.length; k++) {
    x.set(data.x.subarray(ids[k] * per, (ids[k] + 1) * per), k * per);
    y[k] = data.y[ids[k]];
  }
  return { x: tf.tensor(x, [ids.length, ...data.shape]), y: tf.tensor1d(y, 'int32') };
}

/**
 * Full-batch mean loss, its gradient over θ (in flat order) and the number of correct predictions,
 * in chunks of `chunk` samples; inference mode (BatchNormalization uses its moving statistics).
 * The loss is the float64 sum of the per-sample float32 losses (a float32 sum over thousands of
 * samples would carry ~1e-5 relative error, more than the decrease a converging step makes).
 */
export function fullBatch(params: FlatParams, data: ImageSet, loss: ClassifierLoss, withGradient: boolean, chunk = 1000): { loss: number; grad: Float64Array | null; correct: number } {
  checkParams('fullBatch', params);
  checkImageSet('fullBatch', data);
  if (!Number.isInteger(chunk) || chunk < 1) throw new ValueError('fullBatch', `chunk must be a whole number ≥ 1, got ${String(chunk)}`);
  const model = params.net.model;
  const grad = withGradient ? new Float64Array(params.net.size) : null;
  let total = 0;
  let correct = 0;
  for (let start = 0; start < data.n; start += chunk) {
    const ids = Array.from({ length: Math.min(chunk, data.n - start) }, (_, k) => start + k);
    const { x, y } = batchOf(data, ids);
    const scale = ids.length / data.n;
    let logits: tf.Tensor | null = null;
    if (grad) {
      const { value, grads } = tf.variableGrads(() => {
        const out = model.apply(x, { training: false }) as tf.Tensor;
        logits = tf.keep(out);
        return lossTensor(out, y, loss, scale);
      }, params.variables);
      params.addGradients(grads, grad);
      value.dispose();
      tf.dispose(grads);
    } else {
      logits = model.apply(x, { training: false }) as tf.Tensor;
    }
    const per = sampleLosses(logits!, y, loss);
    for (let k = 0; k < per.length; k++) total += per[k];
    correct += countCorrect(logits!, y, loss);
    tf.dispose([x, y, logits!]);
  }
  return { loss: total / data.n, grad, correct };
}

/** Per-sample losses of a batch as float32 values. */
function sampleLosses(logits: tf.Tensor, labels: tf.Tensor1D, loss: ClassifierLoss): Float32Array {
  const t = sampleLossTensor(logits, labels, loss);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

function countCorrect(logits: tf.Tensor, y: tf.Tensor1D, loss: ClassifierLoss): number {
  return tf.tidy(() => {
    const pred = loss === 'logistic' ? tf.cast(tf.greater(tf.reshape(logits, [-1]), 0), 'int32') : tf.cast(tf.argMax(logits, 1), 'int32');
    return tf.sum(tf.cast(tf.equal(pred, y), 'int32')).dataSync()[0];
  });
}

/** Fraction of correctly classified samples (inference mode). */
export function accuracy(net: NetStructure, data: ImageSet, loss: ClassifierLoss = 'softmax', chunk = 1000): number {
  checkNet('accuracy', net);
  if (loss !== 'softmax' && loss !== 'logistic') throw new ValueError('accuracy', `loss must be 'softmax' or 'logistic', got ${String(loss)}`);
  if (!Number.isInteger(chunk) || chunk < 1) throw new ValueError('accuracy', `chunk must be a whole number ≥ 1, got ${String(chunk)}`);
  checkData('accuracy', net, data, loss);
  let correct = 0;
  for (let start = 0; start < data.n; start += chunk) {
    const ids = Array.from({ length: Math.min(chunk, data.n - start) }, (_, k) => start + k);
    const { x, y } = batchOf(data, ids);
    const logits = net.model.apply(x, { training: false }) as tf.Tensor;
    correct += countCorrect(logits, y, loss);
    tf.dispose([x, y, logits]);
  }
  return correct / data.n;
}
