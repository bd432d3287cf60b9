import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { OptionError, ValueError } from '../errors.ts';

/**
 * The network runtime: TensorFlow.js with its WASM backend (SIMD where the host has it) and the
 * plain-JavaScript CPU backend as fallback. Every forward pass, timing and training step of the
 * neural part runs on the backend chosen here; nothing else in the project touches tfjs globals.
 */

export type BackendName = 'wasm' | 'cpu';

export interface RuntimeInfo {
  readonly backend: BackendName;
  /** WASM only: whether the SIMD binary was loaded. */
  readonly simd: boolean;
}

let ready: Promise<RuntimeInfo> | undefined;
let readyFor: BackendName | 'auto' | undefined;

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Folder of the tfjs WASM binaries in Node (resolved from node_modules), `undefined` elsewhere. */
async function nodeWasmFolder(): Promise<string | undefined> {
  if (!isNode) return undefined;
  const { createRequire } = await import('node:module');
  const { dirname, join } = await import('node:path');
  const req = createRequire(import.meta.url);
  const pkg = req.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  // Node's wasm loader reads a plain path; the trailing separator makes it a folder prefix.
  return join(dirname(pkg), 'dist') + '/';
}

/**
 * Choose and initialise the backend once: `'wasm'` (default `'auto'` tries it and falls back to
 * `'cpu'` when the WASM binary cannot be loaded). Later calls with the same choice return the same
 * promise; a different explicit choice switches the backend.
 *
 * @example
 * const info = await initRuntime(); // returns { backend: 'wasm', simd: true } on Node 20
 */
export function initRuntime(backend: BackendName | 'auto' = 'auto'): Promise<RuntimeInfo> {
  if (backend !== 'auto' && backend !== 'wasm' && backend !== 'cpu') {
    throw new OptionError('initRuntime', `backend must be 'auto', 'wasm' or 'cpu', got ${String(backend)}`);
  }
  if (ready && (readyFor === backend || backend === 'auto')) return ready;
  readyFor = backend;
  ready = (async (): Promise<RuntimeInfo> => {
    if (backend !== 'cpu') {
      try {
        const folder = await nodeWasmFolder();
        if (folder) setWasmPaths(folder);
        if (await tf.setBackend('wasm')) {
          await tf.ready();
          const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
          return { backend: 'wasm', simd };
        }
      } catch (e) {
        if (backend === 'wasm') throw new OptionError('initRuntime', `the WASM backend cannot start: ${(e as Error).message}`);
      }
      if (backend === 'wasm') throw new OptionError('initRuntime', 'the WASM backend cannot start');
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return { backend: 'cpu', simd: false };
  })();
  return ready;
}

/**
 * Refuse to run before a backend is up. tfjs picks the WASM backend (registered first in priority)
 * and cannot start it synchronously, so a forward pass before `await initRuntime()` failed with
 * tfjs' own "backend 'wasm' has not yet been initialized".
 */
export function checkRuntime(fn: string): void {
  try {
    tf.backend();
  } catch {
    throw new ValueError(fn, 'the tfjs runtime is not started: await initRuntime() (or initBackend()) once before running a network');
  }
}

export { tf };
