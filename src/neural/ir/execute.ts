import { checkRuntime, tf } from '../runtime.ts';
import { DataError, ShapeError } from '../../errors.ts';
import type { Activation, Graph, IrNode, Padding } from './graph.ts';
import { checkPaddings } from './graph.ts';
import { runAttention, runLayerNorm } from './sequence-ops.ts';
import { checkGraph } from '../check.ts';

/**
 * Runs a graph on tfjs ops (whatever backend `initRuntime` chose). Weights become tf tensors once
 * when the runner is built; `dispose()` frees them.
 */
export interface GraphRunner {
  /** Output tensors in `graph.outputs` order (caller disposes them). */
  run(inputs: readonly tf.Tensor[]): tf.Tensor[];
  /** Every tensor by name, inputs included (caller disposes them). */
  runAll(inputs: readonly tf.Tensor[]): Map<string, tf.Tensor>;
  dispose(): void;
}

type Pad4 = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

/**
 * A window that does not fit its input (an empty output) is refused before tfjs sees it: the WASM
 * kernels read out of bounds on it instead of failing.
 */
function checkWindowFits(n: IrNode & { padding: Padding; strides: readonly [number, number] }, x: tf.Tensor, size: readonly number[], dilations: readonly number[]): void {
  if (n.padding === 'same' || x.shape.length !== 4) return;
  for (const a of [0, 1]) {
    const input = (x.shape[a + 1] as number) + (n.padding === 'valid' ? 0 : n.padding[a][0] + n.padding[a][1]);
    const span = (size[a] - 1) * dilations[a] + 1;
    if (span > input) {
      throw new ShapeError('graphRunner', `node '${n.name}' (${n.op}): its window spans ${span} ${a === 0 ? 'rows' : 'columns'} (size ${size[a]}, dilation ${dilations[a]}) but its ${n.padding === 'valid' ? '' : 'padded '}input has ${input}: the output would be empty`);
    }
  }
}

function pad4(p: Padding): Pad4 {
  if (p === 'same' || p === 'valid') return p;
  return [[0, 0], [p[0][0], p[0][1]], [p[1][0], p[1][1]], [0, 0]];
}

type FusedAct = 'linear' | 'relu' | 'relu6' | 'prelu' | 'leakyrelu' | 'elu' | 'sigmoid';

function fusedAct(a: Activation): FusedAct | undefined {
  switch (a.kind) {
    case 'linear': return 'linear';
    case 'relu': return 'relu';
    case 'relu6': return 'relu6';
    case 'prelu': return 'prelu';
    case 'leakyRelu': return 'leakyrelu';
    case 'elu': return 'elu';
    case 'sigmoid': return 'sigmoid';
    default: return undefined;
  }
}

function activate(x: tf.Tensor, a: Activation, w: (name: string) => tf.Tensor): tf.Tensor {
  switch (a.kind) {
    case 'linear': return x;
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    case 'leakyRelu': return tf.leakyRelu(x, a.alpha ?? 0.2);
    case 'prelu': return tf.prelu(x, w(a.alphaWeight!));
    case 'elu': return tf.elu(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'tanh': return tf.tanh(x);
    case 'gelu': return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  }
}

/** Build a runner for `g`. */
export function graphRunner(g: Graph): GraphRunner {
  checkGraph('graphRunner', g);
  checkRuntime('graphRunner');
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, w] of g.weights) tensors.set(name, tf.tensor(w.data, [...w.shape], 'float32'));
  const w = (name: string): tf.Tensor => {
    const t = tensors.get(name);
    if (!t) throw new DataError('graphRunner', `weight '${name}' is missing`);
    return t;
  };
  const step = (n: IrNode, x: tf.Tensor[]): tf.Tensor => {
    switch (n.op) {
      case 'conv2d': {
        const fa = fusedAct(n.activation);
        const y = tf.fused.conv2d({
          x: x[0] as tf.Tensor4D, filter: w(n.kernel) as tf.Tensor4D, strides: [n.strides[0], n.strides[1]], pad: pad4(n.padding),
          dilations: [n.dilations[0], n.dilations[1]], bias: n.bias ? w(n.bias) : undefined, activation: fa ?? 'linear',
          preluActivationWeights: n.activation.kind === 'prelu' ? w(n.activation.alphaWeight!) : undefined,
          leakyreluAlpha: n.activation.alpha,
        });
        return fa ? y : activate(y, n.activation, w);
      }
      case 'depthwise': {
        const fa = fusedAct(n.activation);
        // The fused depthwise op takes no explicit padding: pad first, then run it 'valid'.
        const p = n.padding;
        const xin = typeof p === 'string' ? x[0] : tf.pad(x[0], [[0, 0], [p[0][0], p[0][1]], [p[1][0], p[1][1]], [0, 0]]);
        const y = tf.fused.depthwiseConv2d({
          x: xin as tf.Tensor4D, filter: w(n.kernel) as tf.Tensor4D, strides: [n.strides[0], n.strides[1]], pad: typeof p === 'string' ? p : 'valid',
          dilations: [n.dilations[0], n.dilations[1]], bias: n.bias ? w(n.bias) : undefined, activation: fa ?? 'linear',
          preluActivationWeights: n.activation.kind === 'prelu' ? w(n.activation.alphaWeight!) : undefined,
          leakyreluAlpha: n.activation.alpha,
        });
        return fa ? y : activate(y, n.activation, w);
      }
      case 'dense': {
        const fa = fusedAct(n.activation);
        // On [N, S, D] (sequence models) the same matmul per position, as one [N·S, D] product.
        const s = x[0].shape;
        const a = s.length === 3 ? tf.reshape(x[0], [s[0] * s[1], s[2]]) : x[0];
        const y2 = tf.fused.matMul({
          a: a as tf.Tensor2D, b: w(n.kernel) as tf.Tensor2D, bias: n.bias ? w(n.bias) : undefined, activation: fa ?? 'linear',
          preluActivationWeights: n.activation.kind === 'prelu' ? w(n.activation.alphaWeight!) : undefined,
          leakyreluAlpha: n.activation.alpha,
        });
        const y = s.length === 3 ? tf.reshape(y2, [s[0], s[1], y2.shape[1] as number]) : y2;
        return fa ? y : activate(y, n.activation, w);
      }
      case 'batchNorm':
        return tf.batchNorm(x[0], w(n.mean), w(n.variance), n.offset ? w(n.offset) : undefined, n.scale ? w(n.scale) : undefined, n.epsilon);
      case 'addConst': return tf.add(x[0], w(n.weight));
      case 'mulConst': return tf.mul(x[0], w(n.weight));
      case 'add': return x.length === 2 ? tf.add(x[0], x[1]) : tf.addN(x);
      case 'mul': return x.slice(1).reduce((a, b) => tf.mul(a, b), x[0]);
      case 'concat': return tf.concat(x, n.axis);
      case 'maxPool':
        return tf.maxPool(x[0] as tf.Tensor4D, [n.size[0], n.size[1]], [n.strides[0], n.strides[1]], pad4(n.padding) as 'same');
      case 'avgPool':
        return tf.avgPool(x[0] as tf.Tensor4D, [n.size[0], n.size[1]], [n.strides[0], n.strides[1]], pad4(n.padding) as 'same');
      case 'globalAvgPool': return tf.mean(x[0], [1, 2], n.keepDims);
      case 'pad': return tf.pad(x[0], n.paddings.map((p) => [p[0], p[1]] as [number, number]), n.value);
      case 'reshape':
        // [−1, −1] is a flatten (Keras Flatten): batch kept, the rest in one axis.
        return tf.reshape(x[0], n.shape.length === 2 && n.shape[0] === -1 && n.shape[1] === -1 ? [x[0].shape[0], -1] : [...n.shape]);
      case 'activation': return activate(x[0], n.activation, w);
      case 'softmax': return tf.softmax(x[0]);
      case 'attention': return runAttention(n, x[0], w);
      case 'layerNorm': return runLayerNorm(n, x[0], w);
    }
  };
  // Index of the last node reading each tensor; graph outputs are never freed by `run`.
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, k) => { for (const i of n.inputs) lastUse.set(i, k); });
  for (const o of g.outputs) lastUse.set(o, Infinity);
  /** `free`: dispose each intermediate after its last reader (the peak is then the widest cut, not the sum). */
  const execute = (inputs: readonly tf.Tensor[], free: boolean): Map<string, tf.Tensor> => {
    if (inputs.length !== g.inputs.length) throw new ShapeError('graphRunner', `the graph takes ${g.inputs.length} inputs, got ${inputs.length}`);
    const env = new Map<string, tf.Tensor>();
    g.inputs.forEach((gi, k) => {
      const s = inputs[k].shape;
      if (s.length !== gi.shape.length || gi.shape.some((d, i) => d >= 0 && d !== s[i])) {
        throw new ShapeError('graphRunner', `input '${gi.name}' must have shape [${gi.shape.join(', ')}], got [${s.join(', ')}]`);
      }
      env.set(gi.name, inputs[k].clone());
    });
    for (const [k, n] of g.nodes.entries()) {
      const xs = n.inputs.map((i) => env.get(i)!);
      let y: tf.Tensor;
      try {
        if (n.op === 'conv2d' || n.op === 'depthwise') checkWindowFits(n, xs[0], w(n.kernel).shape, n.dilations);
        else if (n.op === 'maxPool' || n.op === 'avgPool') checkWindowFits(n, xs[0], n.size, [1, 1]);
        // Checked here as well as on import: importers run partial graphs for shapes before they
        // validate, and a pad of 1.8·10⁹ makes the WASM kernel write past its buffer, corrupting
        // the heap for every later tensor of the process.
        else if (n.op === 'pad') checkPaddings('graphRunner', n);
      } catch (e) {
        for (const t of env.values()) t.dispose();
        throw e;
      }
      try {
        y = tf.tidy(() => step(n, xs));
      } catch (e) {
        for (const t of env.values()) t.dispose();
        throw new ShapeError('graphRunner', `node '${n.name}' (${n.op}) failed on inputs [${xs.map((t) => `[${t.shape.join(', ')}]`).join(', ')}]: ${(e as Error).message}`);
      }
      env.set(n.name, y);
      if (free) {
        for (const i of new Set(n.inputs)) {
          if (lastUse.get(i) === k) {
            env.get(i)!.dispose();
            env.delete(i);
          }
        }
        if (!lastUse.has(n.name)) {
          y.dispose();
          env.delete(n.name);
        }
      }
    }
    return env;
  };
  return {
    runAll: (inputs) => execute(inputs, false),
    run(inputs) {
      const env = execute(inputs, true);
      const out = g.outputs.map((o) => env.get(o)!.clone());
      for (const t of env.values()) t.dispose();
      return out;
    },
    dispose() {
      for (const t of tensors.values()) t.dispose();
      tensors.clear();
    },
  };
}

/**
 * Shapes of every tensor for a batch of 1 at the given input shapes (inputs' −1 read as 1), found
 * by running the graph once on zeros: exact, and the same code path as inference.
 */
export function inferShapes(g: Graph, inputShapes?: readonly (readonly number[])[]): Map<string, number[]> {
  checkGraph('inferShapes', g);
  checkRuntime('inferShapes');
  const shapes = inputShapes ?? g.inputs.map((i) => i.shape.map((d) => (d < 0 ? 1 : d)));
  shapes.forEach((s, k) => {
    if (s.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new ShapeError('inferShapes', `input '${g.inputs[k].name}' has unknown dimensions [${g.inputs[k].shape.join(', ')}]: give an input size`);
    }
  });
  const r = graphRunner(g);
  const zeros: tf.Tensor[] = [];
  try {
    for (const s of shapes) zeros.push(tf.zeros([...s]));
    const env = r.runAll(zeros);
    const out = new Map<string, number[]>();
    for (const [k, t] of env) {
      out.set(k, [...t.shape]);
      t.dispose();
    }
    return out;
  } finally {
    for (const z of zeros) z.dispose();
    r.dispose();
  }
}
