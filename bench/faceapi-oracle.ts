/**
 * face-api's SSD MobileNetV1 and face recognition forward passes transcribed line by line from
 * @vladmandic/face-api 1.7.15's sources (src/ssdMobilenetv1/*.ts, src/faceRecognitionNet/*.ts) with
 * plain tfjs ops on the raw manifest tensors — written apart from the graph IR, as the reference
 * the IR built from the same manifest must match. Inputs are the nets' normalized tensors (after
 * face-api's `x / 127.5 − 1` and mean-RGB subtraction / 255 respectively).
 */
import * as neural from '../src/neural/index.ts';

const { tf } = neural;
type T4 = import('@tensorflow/tfjs-core').Tensor4D;
type Tensor = import('@tensorflow/tfjs-core').Tensor;

function weightsOf(path: string): (name: string) => Tensor {
  const m = neural.readWeightsManifest(path);
  const cache = new Map<string, Tensor>();
  return (name) => {
    let t = cache.get(name);
    if (!t) {
      const w = m.get(name);
      if (!w) throw new Error(`oracle: no tensor ${name}`);
      cache.set(name, (t = tf.tensor(Float32Array.from(w.data), [...w.shape])));
    }
    return t;
  };
}

/** `{ boxPredictions, classPredictions }` of face-api's `predictionLayer(mobileNetV1(x))`. */
export function ssdOracle(path: string): (x: T4) => Tensor[] {
  const w = weightsOf(path);
  const pointwise = (x: T4, p: string, s: number): T4 => tf.clipByValue(tf.add(tf.conv2d(x, w(`${p}/weights`) as T4, s, 'same'), w(`${p}/convolution_bn_offset`)), 0, 6) as T4;
  const depthwise = (x: T4, p: string, s: number): T4 => {
    const out = tf.depthwiseConv2d(x, w(`${p}/depthwise_weights`) as T4, s, 'same');
    return tf.clipByValue(tf.batchNorm(out, w(`${p}/BatchNorm/moving_mean`), w(`${p}/BatchNorm/moving_variance`), w(`${p}/BatchNorm/beta`), w(`${p}/BatchNorm/gamma`), 0.0010000000474974513), 0, 6) as T4;
  };
  const box = (x: T4, k: number): [Tensor, Tensor] => {
    const p = `Prediction/BoxPredictor_${k}`;
    const conv = (q: string): Tensor => tf.add(tf.conv2d(x, w(`${p}/${q}/weights`) as T4, 1, 'same'), w(`${p}/${q}/biases`));
    return [tf.reshape(conv('BoxEncodingPredictor'), [x.shape[0], -1, 1, 4]), tf.reshape(conv('ClassPredictor'), [x.shape[0], -1, 3])];
  };
  return (x) => tf.tidy(() => {
    let out = pointwise(x, 'MobilenetV1/Conv2d_0_pointwise', 2);
    let conv11 = out;
    for (let k = 1; k <= 13; k++) {
      out = depthwise(out, `MobilenetV1/Conv2d_${k}_depthwise`, [2, 4, 6, 12].includes(k) ? 2 : 1);
      out = pointwise(out, `MobilenetV1/Conv2d_${k}_pointwise`, 1);
      if (k === 11) conv11 = out;
    }
    const c: T4[] = [];
    let y = out;
    for (let k = 0; k <= 7; k++) c.push((y = pointwise(y, `Prediction/Conv2d_${k}_pointwise`, k % 2 === 1 ? 2 : 1)));
    const preds = [conv11, out, c[1], c[3], c[5], c[7]].map((f, k) => box(f, k));
    return [tf.concat(preds.map((p) => p[0]), 1), tf.concat(preds.map((p) => p[1]), 1)];
  });
}

/** The 128-d descriptor of face-api's `FaceRecognitionNet.forwardInput` (after normalization). */
export function faceRecognitionOracle(path: string): (x: T4) => Tensor[] {
  const w = weightsOf(path);
  const convLayer = (x: T4, p: string, s: number, relu: boolean, padding: 'valid' | 'same' = 'same'): T4 => {
    let out = tf.add(tf.conv2d(x, w(`${p}/conv/filters`) as T4, s, padding), w(`${p}/conv/bias`));
    out = tf.add(tf.mul(out, w(`${p}/scale/weights`)), w(`${p}/scale/biases`));
    return (relu ? tf.relu(out) : out) as T4;
  };
  const residual = (x: T4, p: string): T4 => tf.relu(tf.add(convLayer(convLayer(x, `${p}/conv1`, 1, true), `${p}/conv2`, 1, false), x)) as T4;
  const residualDown = (x: T4, p: string): T4 => {
    let out = convLayer(convLayer(x, `${p}/conv1`, 2, true, 'valid'), `${p}/conv2`, 1, false);
    let pooled = tf.avgPool(x, 2, 2, 'valid') as T4;
    const zeros = tf.zeros(pooled.shape);
    const isPad = pooled.shape[3] !== out.shape[3];
    if (pooled.shape[1] !== out.shape[1] || pooled.shape[2] !== out.shape[2]) {
      const sx = [...out.shape] as [number, number, number, number];
      sx[1] = 1;
      out = tf.concat([out, tf.zeros(sx)], 1);
      const sy = [...out.shape] as [number, number, number, number];
      sy[2] = 1;
      out = tf.concat([out, tf.zeros(sy)], 2);
    }
    pooled = isPad ? (tf.concat([pooled, zeros], 3) as T4) : pooled;
    return tf.relu(tf.add(pooled, out)) as T4;
  };
  return (x) => tf.tidy(() => {
    let out = convLayer(x, 'conv32_down', 2, true, 'valid');
    out = tf.maxPool(out, 3, 2, 'valid') as T4;
    for (const b of ['conv32_1', 'conv32_2', 'conv32_3']) out = residual(out, b);
    out = residualDown(out, 'conv64_down');
    for (const b of ['conv64_1', 'conv64_2', 'conv64_3']) out = residual(out, b);
    out = residualDown(out, 'conv128_down');
    for (const b of ['conv128_1', 'conv128_2']) out = residual(out, b);
    out = residualDown(out, 'conv256_down');
    for (const b of ['conv256_1', 'conv256_2']) out = residual(out, b);
    out = residualDown(out, 'conv256_down_out');
    return [tf.matMul(tf.mean(out, [1, 2]) as import('@tensorflow/tfjs-core').Tensor2D, w('fc') as import('@tensorflow/tfjs-core').Tensor2D)];
  });
}
