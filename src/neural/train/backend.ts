import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers the gradients of every core op (tfjs-core alone has none).
import '@tensorflow/tfjs-layers';
import { OptionError } from '../../errors.ts';
import { initRuntime, type BackendName } from '../runtime.ts';

/**
 * Starts the runtime for training (`initRuntime`: WASM with SIMD, cpu fallback) and adds what
 * training needs on top of it: the gradients of every core op (registered by tfjs-layers) and, on
 * WASM, the Conv2D kernel gradient the backend lacks. `backend` as for `initRuntime` (default
 * 'auto'). Returns the backend in use.
 */
export async function initBackend(backend: BackendName | 'auto' = 'auto'): Promise<string> {
  if (backend !== 'auto' && backend !== 'wasm' && backend !== 'cpu') {
    throw new OptionError('initBackend', `backend must be 'auto', 'wasm' or 'cpu', got ${String(backend)}`);
  }
  const info = await initRuntime(backend);
  if (info.backend === 'wasm') {
    registerWasmTransposedMatMul();
    registerWasmConvGradients();
  }
  else {
    // The cpu backend's first write prints a suggestion to install tfjs-node (which cannot be
    // installed here) on stderr; it is a fallback we chose, not a mistake to report.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
  return info.backend;
}

/**
 * tfjs-backend-wasm 4.22's BatchMatMul with transposeA or transposeB runs 10–20× slower than the
 * plain product (measured here: [64, 500]·[784, 500]ᵀ 54 ms vs 2.4 ms for [64, 784]·[784, 500]),
 * and every Dense / conv gradient is such a product (dx = dy·Wᵀ, dW = xᵀ·dy). This wraps the
 * kernel: a transposed operand is first laid out transposed by the backend's own Transpose kernel
 * (a copy, O(size)), then the fast untransposed product runs. Same result up to float32 rounding
 * order.
 */
function registerWasmTransposedMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!original || !transpose || (original as { groupsparse?: boolean }).groupsparse) return;
  type Be = { disposeData(id: object): void };
  const swapLast = (backend: unknown, x: tf.TensorInfo): tf.TensorInfo => {
    const r = x.shape.length;
    const perm = Array.from({ length: r }, (_, i) => (i < r - 2 ? i : i === r - 2 ? r - 1 : r - 2));
    return transpose.kernelFunc({ inputs: { x }, attrs: { perm }, backend: backend as tf.KernelBackend }) as tf.TensorInfo;
  };
  const inner = original.kernelFunc;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return inner({ inputs, backend, attrs });
      const at = transposeA ? swapLast(backend, a) : a;
      const bt = transposeB ? swapLast(backend, b) : b;
      const out = inner({ inputs: { a: at, b: bt }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      if (transposeA) (backend as unknown as Be).disposeData(at.dataId);
      if (transposeB) (backend as unknown as Be).disposeData(bt.dataId);
      return out;
    },
  });
  (tf.getKernel('BatchMatMul', 'wasm') as unknown as { groupsparse: boolean }).groupsparse = true;
}

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so a Conv2D kernel could not be
 * trained on it. This one computes the gradient as the product the convolution is, dW = P·dY, with
 * P the im2col patches of x ([kh·kw·C, B·Ho·Wo], zero outside the padded image) built here and the
 * product done by the backend's own SIMD BatchMatMul. NHWC and dilation 1 only.
 */
function registerWasmConvGradients(): void {
  const matmul = tf.getKernel('BatchMatMul', 'wasm');
  if (!matmul || (tf.getKernel('Conv2DBackpropFilter', 'wasm') as { groupsparse?: boolean } | undefined)?.groupsparse) return;
  type Attrs = { strides: [number, number] | number; pad: 'valid' | 'same' | number; dataFormat?: string; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  type Be = { readSync(id: object): Float32Array; write(v: Float32Array, s: number[], d: string): object; disposeData(id: object): void };
  const geometry = (xShape: number[], filterShape: [number, number, number, number], a: Attrs) => {
    if (a.dataFormat && a.dataFormat !== 'NHWC') throw new Error('Conv2D gradient (wasm): only NHWC is supported');
    const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const [B, H, W, C] = xShape;
    return { B, H, W, C, Ho: info.outHeight, Wo: info.outWidth, sh: info.strideHeight, sw: info.strideWidth, fh: info.filterHeight, fw: info.filterWidth, top: info.padInfo.top, left: info.padInfo.left };
  };
  const mm = (backend: unknown, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo =>
    matmul.kernelFunc({ inputs: { a, b }, attrs: { transposeA, transposeB }, backend: backend as tf.KernelBackend }) as tf.TensorInfo;

  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const fs = (attrs as unknown as { filterShape: [number, number, number, number] }).filterShape;
      const g = geometry(x.shape, fs, attrs as unknown as Attrs);
      const be = backend as unknown as Be;
      const xv = be.readSync(x.dataId);
      const N = g.B * g.Ho * g.Wo;
      const K = g.fh * g.fw * g.C;
      const P = new Float32Array(K * N); // Pᵀ laid out [K, N]: row k = (ky·kw + kx)·C + c
      for (let b = 0; b < g.B; b++) for (let oy = 0; oy < g.Ho; oy++) for (let ox = 0; ox < g.Wo; ox++) {
        const n = (b * g.Ho + oy) * g.Wo + ox;
        for (let ky = 0; ky < g.fh; ky++) {
          const iy = oy * g.sh - g.top + ky;
          if (iy < 0 || iy >= g.H) continue;
          for (let kx = 0; kx < g.fw; kx++) {
            const ix = ox * g.sw - g.left + kx;
            if (ix < 0 || ix >= g.W) continue;
            const src = ((b * g.H + iy) * g.W + ix) * g.C;
            const k0 = (ky * g.fw + kx) * g.C;
            for (let c = 0; c < g.C; c++) P[(k0 + c) * N + n] = xv[src + c];
          }
        }
      }
      const pId = be.write(P, [1, K, N], 'float32');
      const out = mm(backend, { dataId: pId, shape: [1, K, N], dtype: 'float32' }, { dataId: dy.dataId, shape: [1, N, dy.shape[3]], dtype: 'float32' }, false, false);
      be.disposeData(pId);
      return { dataId: out.dataId, shape: [...fs], dtype: 'float32' };
    },
  });
  (tf.getKernel('Conv2DBackpropFilter', 'wasm') as unknown as { groupsparse: boolean }).groupsparse = true;

  // The input gradient: the backend has Conv2DBackpropInput, but as a direct loop it is the
  // slowest kernel of a LeNet step (144 ms of 312 at batch 64 here). The same product form:
  // Q = dY·Wᵀ ([B·Ho·Wo, O]·[O, kh·kw·C], SIMD), then col2im adds each patch row back where it came from.
  const slowInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (slowInput) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const a = attrs as unknown as Attrs & { inputShape: [number, number, number, number] };
      const fs = filter.shape as [number, number, number, number];
      const g = geometry(a.inputShape, fs, a);
      const be = backend as unknown as Be;
      const N = g.B * g.Ho * g.Wo;
      const K = g.fh * g.fw * g.C;
      const O = fs[3];
      const q = mm(backend, { dataId: dy.dataId, shape: [1, N, O], dtype: 'float32' }, { dataId: filter.dataId, shape: [1, K, O], dtype: 'float32' }, false, true);
      const Q = be.readSync(q.dataId);
      be.disposeData(q.dataId);
      const dx = new Float32Array(g.B * g.H * g.W * g.C);
      for (let b = 0; b < g.B; b++) for (let oy = 0; oy < g.Ho; oy++) for (let ox = 0; ox < g.Wo; ox++) {
        const n = (b * g.Ho + oy) * g.Wo + ox;
        for (let ky = 0; ky < g.fh; ky++) {
          const iy = oy * g.sh - g.top + ky;
          if (iy < 0 || iy >= g.H) continue;
          for (let kx = 0; kx < g.fw; kx++) {
            const ix = ox * g.sw - g.left + kx;
            if (ix < 0 || ix >= g.W) continue;
            const dst = ((b * g.H + iy) * g.W + ix) * g.C;
            const src = n * K + (ky * g.fw + kx) * g.C;
            for (let c = 0; c < g.C; c++) dx[dst + c] += Q[src + c];
          }
        }
      }
      const id = be.write(dx, [...a.inputShape], 'float32');
      return { dataId: id, shape: [...a.inputShape], dtype: 'float32' };
    },
  });
}
