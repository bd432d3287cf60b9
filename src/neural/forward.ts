import { ShapeError } from '../errors.ts';
import { checkFiniteArray } from '../util/validate.ts';
import {
  convStrides, denseStrides, depthwiseStrides, poolGeometry, shapeSize,
  type Layer, type Sequential, type Shape3,
} from './layers.ts';

/**
 * Inference forward pass of a `Sequential` on a batch (NCHW, sample after sample). Direct loops
 * over strided weights, so every layout runs through the same code: O(n·FLOPs) time, no im2col
 * buffer. Used by training (which adds the backward pass), compaction checks and the channel
 * selection data pipeline.
 */

/**
 * One layer: reads `n` samples of shape `inS` from `x`, writes shape `outS` into `out`.
 * For max pooling, `argmax` (if given) receives the flat input index of each output's maximum.
 */
export function layerForward(layer: Layer, inS: Shape3, outS: Shape3, x: Float64Array, n: number, out: Float64Array, argmax?: Int32Array): void {
  const inSize = shapeSize(inS);
  const outSize = shapeSize(outS);
  switch (layer.kind) {
    case 'dense': {
      const { so, si } = denseStrides(layer);
      const F = layer.inFeatures;
      const O = layer.outFeatures;
      const w = layer.weight;
      const b = layer.bias;
      for (let s = 0; s < n; s++) {
        const xo = s * F;
        const yo = s * O;
        for (let o = 0; o < O; o++) {
          let acc = b ? b[o] : 0;
          const base = o * so;
          for (let i = 0; i < F; i++) acc += w[base + i * si] * x[xo + i];
          out[yo + o] = acc;
        }
      }
      return;
    }
    case 'conv2d': {
      const { so, sc, sh, sw } = convStrides(layer);
      const [C, H, W] = inS;
      const [O, Ho, Wo] = outS;
      const { kernelH: kh, kernelW: kw, stride, padding: pad } = layer;
      const w = layer.weight;
      const b = layer.bias;
      for (let s = 0; s < n; s++) {
        const xs = s * inSize;
        const ys = s * outSize;
        for (let o = 0; o < O; o++) {
          const bo = b ? b[o] : 0;
          for (let p = 0; p < Ho; p++) {
            for (let q = 0; q < Wo; q++) {
              let acc = bo;
              const h0 = p * stride - pad;
              const w0 = q * stride - pad;
              for (let c = 0; c < C; c++) {
                const xc = xs + c * H * W;
                const wc = o * so + c * sc;
                for (let i = 0; i < kh; i++) {
                  const hh = h0 + i;
                  if (hh < 0 || hh >= H) continue;
                  for (let j = 0; j < kw; j++) {
                    const ww = w0 + j;
                    if (ww < 0 || ww >= W) continue;
                    acc += w[wc + i * sh + j * sw] * x[xc + hh * W + ww];
                  }
                }
              }
              out[ys + (o * Ho + p) * Wo + q] = acc;
            }
          }
        }
      }
      return;
    }
    case 'depthwise2d': {
      const { sc, sh, sw } = depthwiseStrides(layer);
      const [C, H, W] = inS;
      const [, Ho, Wo] = outS;
      const { kernelH: kh, kernelW: kw, stride, padding: pad } = layer;
      const w = layer.weight;
      const b = layer.bias;
      for (let s = 0; s < n; s++) {
        for (let c = 0; c < C; c++) {
          const xc = s * inSize + c * H * W;
          const yc = s * outSize + c * Ho * Wo;
          const bc = b ? b[c] : 0;
          for (let p = 0; p < Ho; p++) {
            for (let q = 0; q < Wo; q++) {
              let acc = bc;
              for (let i = 0; i < kh; i++) {
                const hh = p * stride - pad + i;
                if (hh < 0 || hh >= H) continue;
                for (let j = 0; j < kw; j++) {
                  const ww = q * stride - pad + j;
                  if (ww < 0 || ww >= W) continue;
                  acc += w[c * sc + i * sh + j * sw] * x[xc + hh * W + ww];
                }
              }
              out[yc + p * Wo + q] = acc;
            }
          }
        }
      }
      return;
    }
    case 'batchnorm': {
      const [C, H, W] = inS;
      const hw = H * W;
      for (let c = 0; c < C; c++) {
        const a = layer.gamma[c] / Math.sqrt(layer.variance[c] + layer.epsilon);
        const d = layer.beta[c] - a * layer.mean[c];
        for (let s = 0; s < n; s++) {
          const base = s * inSize + c * hw;
          for (let k = 0; k < hw; k++) out[base + k] = a * x[base + k] + d;
        }
      }
      return;
    }
    case 'relu': {
      const m = n * inSize;
      for (let k = 0; k < m; k++) out[k] = x[k] > 0 ? x[k] : 0;
      return;
    }
    case 'leakyRelu': {
      const m = n * inSize;
      const a = layer.alpha;
      for (let k = 0; k < m; k++) out[k] = x[k] > 0 ? x[k] : a * x[k];
      return;
    }
    case 'maxpool2d': {
      const [C, H, W] = inS;
      const [, Ho, Wo] = outS;
      const { size: k, stride } = layer;
      const ph = poolGeometry(H, k, stride, layer.padding).padBefore;
      const pw = poolGeometry(W, k, stride, layer.padding).padBefore;
      for (let s = 0; s < n; s++) {
        for (let c = 0; c < C; c++) {
          const xc = s * inSize + c * H * W;
          const yc = s * outSize + c * Ho * Wo;
          for (let p = 0; p < Ho; p++) {
            for (let q = 0; q < Wo; q++) {
              let best = -Infinity;
              let arg = -1;
              for (let i = 0; i < k; i++) {
                const hh = p * stride - ph + i;
                if (hh < 0 || hh >= H) continue;
                for (let j = 0; j < k; j++) {
                  const ww = q * stride - pw + j;
                  if (ww < 0 || ww >= W) continue;
                  const v = x[xc + hh * W + ww];
                  if (v > best) {
                    best = v;
                    arg = xc + hh * W + ww;
                  }
                }
              }
              out[yc + p * Wo + q] = best;
              if (argmax) argmax[yc + p * Wo + q] = arg;
            }
          }
        }
      }
      return;
    }
    case 'flatten': {
      if (layer.order === 'chw') {
        out.set(x.subarray(0, n * inSize));
        return;
      }
      const [C, H, W] = inS;
      const hw = H * W;
      for (let s = 0; s < n; s++) {
        const b = s * inSize;
        for (let c = 0; c < C; c++) for (let k = 0; k < hw; k++) out[b + k * C + c] = x[b + c * hw + k];
      }
      return;
    }
  }
}

/** Check a batch and return its number of samples. */
export function batchSize(model: Sequential, x: ArrayLike<number>, fn: string): number {
  const size = shapeSize(model.shapes[0]);
  if (x === null || x === undefined || typeof x.length !== 'number') throw new ShapeError(fn, 'input must be an array of numbers');
  if (x.length === 0 || x.length % size !== 0) {
    throw new ShapeError(fn, `input has ${x.length} values, not a whole number of samples of shape [${model.shapes[0].join(', ')}] (${size} values each)`);
  }
  return x.length / size;
}

/**
 * Every activation of the stack: result[0] is the input, result[k+1] the output of layer k.
 * Input: n samples flattened NCHW (length n·C·H·W).
 */
export function forwardAll(model: Sequential, x: ArrayLike<number>, fn = 'forwardAll'): Float64Array[] {
  const n = batchSize(model, x, fn);
  checkFiniteArray(fn, 'input', x);
  const acts: Float64Array[] = [x instanceof Float64Array ? x : Float64Array.from(x)];
  model.layers.forEach((l, k) => {
    const out = new Float64Array(n * shapeSize(model.shapes[k + 1]));
    layerForward(l, model.shapes[k], model.shapes[k + 1], acts[k], n, out);
    acts.push(out);
  });
  return acts;
}

/**
 * Output of the stack for a batch (n samples, NCHW flattened); length n·(size of the last shape).
 *
 * @example
 * forward(net, digitsRow) // returns Float64Array of 10 logits for a 64-feature MLP
 */
export function forward(model: Sequential, x: ArrayLike<number>): Float64Array {
  const fn = 'forward';
  const n = batchSize(model, x, fn);
  checkFiniteArray(fn, 'input', x);
  let cur: Float64Array = x instanceof Float64Array ? x : Float64Array.from(x);
  model.layers.forEach((l, k) => {
    const out = new Float64Array(n * shapeSize(model.shapes[k + 1]));
    layerForward(l, model.shapes[k], model.shapes[k + 1], cur, n, out);
    cur = out;
  });
  return cur;
}
