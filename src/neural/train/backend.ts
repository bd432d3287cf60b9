import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers the gradients of every core op (tfjs-core alone has none).
import '@tensorflow/tfjs-layers';
import { initRuntime } from '../runtime.ts';

/**
 * Starts the runtime for training (`initRuntime`: WASM with SIMD, cpu fallback) and adds what
 * training needs on top of it: the gradients of every core op (registered by tfjs-layers) and, on
 * WASM, the Conv2D kernel gradient the backend lacks. Returns the backend in use.
 */
export async function initBackend(): Promise<string> {
  const info = await initRuntime();
  if (info.backend === 'wasm') registerWasmConvFilterGradient();
  else {
    // The cpu backend's first write prints a suggestion to install tfjs-node (which cannot be
    // installed here) on stderr; it is a fallback we chose, not a mistake to report.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
  return info.backend;
}

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so a Conv2D kernel could not be
 * trained on it. This one computes the gradient as the product the convolution is, dW = P·dY, with
 * P the im2col patches of x ([kh·kw·C, B·Ho·Wo], zero outside the padded image) built here and the
 * product done by the backend's own SIMD BatchMatMul. NHWC and dilation 1 only.
 */
function registerWasmConvFilterGradient(): void {
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
  const mm = (backend: unknown, a: tf.TensorInfo, b: tf.TensorInfo, transposeB: boolean): tf.TensorInfo =>
    matmul.kernelFunc({ inputs: { a, b }, attrs: { transposeA: false, transposeB }, backend: backend as tf.KernelBackend }) as tf.TensorInfo;

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
      const out = mm(backend, { dataId: pId, shape: [1, K, N], dtype: 'float32' }, { dataId: dy.dataId, shape: [1, N, dy.shape[3]], dtype: 'float32' }, false);
      be.disposeData(pId);
      return { dataId: out.dataId, shape: [...fs], dtype: 'float32' };
    },
  });
  (tf.getKernel('Conv2DBackpropFilter', 'wasm') as unknown as { groupsparse: boolean }).groupsparse = true;
}
