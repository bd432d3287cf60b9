import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Starts TensorFlow.js on the WASM backend (SIMD where the engine has it) and falls back to the
 * plain JS cpu backend when WASM cannot start. Returns the backend in use. Safe to call many times.
 */
let started: Promise<string> | null = null;
export function initBackend(): Promise<string> {
  started ??= (async () => {
    try {
      const require = createRequire(import.meta.url);
      const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      setWasmPaths(join(dir, 'dist') + '/');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        registerWasmConvFilterGradient();
        return tf.getBackend();
      }
    } catch {
      // No WASM here (or its files are missing): the cpu backend computes the same values.
    }
    await tf.setBackend('cpu');
    await tf.ready();
    // The cpu backend's first write prints a suggestion to install tfjs-node (which cannot be
    // installed here) on stderr; it is a fallback we chose, not a mistake to report.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    return tf.getBackend();
  })();
  return started;
}

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so the gradient of a Conv2D kernel
 * cannot be taken on it. This one computes it as the product the convolution is: dW = Pᵀ·dY, with
 * P the im2col patches of x (built here, [B·Ho·Wo, kh·kw·C], zero outside the padded image) and the
 * product done by the backend's own BatchMatMul (SIMD). Dilations other than 1 are refused.
 */
function registerWasmConvFilterGradient(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const matmul = tf.getKernel('BatchMatMul', 'wasm');
  if (!matmul) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as { strides: [number, number] | number; pad: 'valid' | 'same' | number; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
      if (a.dataFormat && a.dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
      const be = backend as unknown as { readSync(id: object): Float32Array; write(v: Float32Array, s: number[], d: string): object; disposeData(id: object): void };
      const xv = be.readSync(x.dataId);
      const [B, H, W, C] = x.shape;
      const { outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
      const top = info.padInfo.top;
      const left = info.padInfo.left;
      const K = fh * fw * C;
      const N = B * Ho * Wo;
      const patches = new Float32Array(N * K);
      for (let b = 0; b < B; b++) {
        for (let oy = 0; oy < Ho; oy++) {
          for (let ox = 0; ox < Wo; ox++) {
            const row = ((b * Ho + oy) * Wo + ox) * K;
            for (let ky = 0; ky < fh; ky++) {
              const iy = oy * sh - top + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < fw; kx++) {
                const ix = ox * sw - left + kx;
                if (ix < 0 || ix >= W) continue;
                const src = ((b * H + iy) * W + ix) * C;
                patches.set(xv.subarray(src, src + C), row + (ky * fw + kx) * C);
              }
            }
          }
        }
      }
      const pId = be.write(patches, [1, N, K], 'float32');
      const out = matmul.kernelFunc({
        inputs: { a: { dataId: pId, shape: [1, N, K], dtype: 'float32' }, b: { dataId: dy.dataId, shape: [1, N, dy.shape[3]], dtype: 'float32' } },
        attrs: { transposeA: true, transposeB: false },
        backend,
      }) as tf.TensorInfo;
      be.disposeData(pId);
      return { dataId: out.dataId, shape: [...a.filterShape], dtype: 'float32' };
    },
  });
}
