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
