import { ShapeError } from '../errors.ts';
import { checkFiniteArray } from '../util/validate.ts';
import { dot } from '../linalg/blas.ts';
import {
  convStrides, denseStrides, depthwiseStrides, poolGeometry, shapeSize,
  type Conv2dLayer, type DenseLayer, type Layer, type Sequential, type Shape3,
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
      const F = layer.inFeatures;
      const O = layer.outFeatures;
      const w = denseMatrix(layer);
      const b = layer.bias;
      for (let s = 0; s < n; s++) {
        const xo = s * F;
        const yo = s * O;
        for (let o = 0; o < O; o++) out[yo + o] = (b ? b[o] : 0) + dot(F, w, o * F, x, xo);
      }
      return;
    }
    case 'conv2d': {
      const [C, H, W] = inS;
      const [O, Ho, Wo] = outS;
      const { kernelH: kh, kernelW: kw, stride, padding: pad } = layer;
      const K = C * kh * kw;
      const P = Ho * Wo;
      const wm = convMatrix(layer);
      const cols = new Float64Array(K * P);
      const b = layer.bias;
      for (let s = 0; s < n; s++) {
        im2colSample(x, s * inSize, C, H, W, kh, kw, stride, pad, Ho, Wo, cols);
        const ys = s * outSize;
        for (let o = 0; o < O; o++) {
          const yo = ys + o * P;
          out.fill(b ? b[o] : 0, yo, yo + P);
          for (let t = 0; t < K; t++) {
            const a = wm[o * K + t];
            if (a === 0) continue;
            const co = t * P;
            for (let q = 0; q < P; q++) out[yo + q] += a * cols[co + q];
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

/** Dense weight as an out × in row-major matrix (a view when the layout is already 'out,in'). */
export function denseMatrix(layer: DenseLayer): Float64Array {
  if (layer.layout === 'out,in') return layer.weight;
  const { so, si } = denseStrides(layer);
  const F = layer.inFeatures;
  const O = layer.outFeatures;
  const m = new Float64Array(O * F);
  for (let o = 0; o < O; o++) for (let i = 0; i < F; i++) m[o * F + i] = layer.weight[o * so + i * si];
  return m;
}

/** Conv weight as an O × (C·kh·kw) row-major matrix, column c·kh·kw + i·kw + j (a view for OIHW). */
export function convMatrix(layer: Conv2dLayer): Float64Array {
  if (layer.layout === 'OIHW') return layer.weight;
  const { so, sc, sh, sw } = convStrides(layer);
  const { inChannels: C, outChannels: O, kernelH: kh, kernelW: kw } = layer;
  const K = C * kh * kw;
  const m = new Float64Array(O * K);
  for (let o = 0; o < O; o++) for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
    m[o * K + (c * kh + i) * kw + j] = layer.weight[o * so + c * sc + i * sh + j * sw];
  }
  return m;
}

/** im2col of one sample at x[xs…]: cols[(c·kh + i)·kw + j, p·Wo + q] = x[c, p·s − pad + i, q·s − pad + j] (0 outside). */
export function im2colSample(x: Float64Array, xs: number, C: number, H: number, W: number, kh: number, kw: number, stride: number, pad: number, Ho: number, Wo: number, cols: Float64Array): void {
  const P = Ho * Wo;
  for (let c = 0; c < C; c++) {
    const xc = xs + c * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((c * kh + i) * kw + j) * P;
        for (let p = 0; p < Ho; p++) {
          const hh = p * stride - pad + i;
          const ro = row + p * Wo;
          if (hh < 0 || hh >= H) {
            cols.fill(0, ro, ro + Wo);
            continue;
          }
          const xr = xc + hh * W;
          for (let q = 0; q < Wo; q++) {
            const ww = q * stride - pad + j;
            cols[ro + q] = ww >= 0 && ww < W ? x[xr + ww] : 0;
          }
        }
      }
    }
  }
}

/** Adjoint of {@link im2colSample}: dx[c, h, w] += Σ of the cols entries that read it. */
export function col2imSampleAdd(cols: Float64Array, dx: Float64Array, xs: number, C: number, H: number, W: number, kh: number, kw: number, stride: number, pad: number, Ho: number, Wo: number): void {
  const P = Ho * Wo;
  for (let c = 0; c < C; c++) {
    const xc = xs + c * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((c * kh + i) * kw + j) * P;
        for (let p = 0; p < Ho; p++) {
          const hh = p * stride - pad + i;
          if (hh < 0 || hh >= H) continue;
          const xr = xc + hh * W;
          const ro = row + p * Wo;
          for (let q = 0; q < Wo; q++) {
            const ww = q * stride - pad + j;
            if (ww >= 0 && ww < W) dx[xr + ww] += cols[ro + q];
          }
        }
      }
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
