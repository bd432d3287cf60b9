/**
 * Loading of the WebAssembly SIMD kernels (kernels.wat, assembled at build time and embedded in
 * wasm-bytes.generated.ts). The module is decoded and compiled once per process, synchronously
 * (it is under 4 KB, which every host allows on the main thread), and instantiated once per
 * memory: each fast operator owns its own linear memory.
 */
import { KERNELS_WASM_BASE64 } from './wasm-bytes.generated.ts';

/** The part of the WebAssembly JS API used here (the ES2022 + Node typings do not declare it). */
export interface WasmMemory {
  /** A SharedArrayBuffer for a shared memory (typed as ArrayBuffer: views treat both alike). */
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}

/** Exports of kernels.wat; every pointer is a byte offset into the instance's memory. */
export interface WasmKernelExports {
  /** Σ_{i<n} x[i]·y[i]. */
  dot(x: number, y: number, n: number): number;
  /** y += a·x over n entries. */
  axpy(a: number, x: number, y: number, n: number): void;
  /** out[k] = X[:, idx[k]]ᵀ y for k < count (X column-major with n rows). */
  gemv_t(X: number, n: number, idx: number, count: number, y: number, out: number): void;
  /** y += Σ_{k<count} coef[k]·X[:, idx[k]]. */
  gemv_n(X: number, n: number, idx: number, count: number, coef: number, y: number): void;
  /** Rows above which gemv_t / gemv_n share each vector load among four columns (default 4096). */
  split: { value: number };
}

/** Largest linear memory a fast operator asks for: 2 GiB keeps every byte offset a positive i32. */
export const MAX_WASM_BYTES = 2 ** 31;
/** Size of a WebAssembly memory page. */
export const WASM_PAGE = 65536;

function api(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

function decodeBase64(s: string): Uint8Array {
  // atob exists in Node ≥ 16, Deno and browsers; the payload is small.
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let k = 0; k < bin.length; k++) out[k] = bin.charCodeAt(k);
  return out;
}

let compiled: object | null | undefined;

/**
 * The compiled kernel module, or null when this host has no WebAssembly or no SIMD (the module
 * fails validation there). Cached after the first call.
 */
export function kernelModule(): object | null {
  if (compiled !== undefined) return compiled;
  const wa = api();
  if (!wa) return (compiled = null);
  try {
    const bytes = decodeBase64(KERNELS_WASM_BASE64);
    compiled = wa.validate(bytes) ? new wa.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** True when the WebAssembly SIMD kernels can run here. */
export function wasmSimdAvailable(): boolean {
  return kernelModule() !== null;
}

/**
 * The kernel module importing a *shared* memory instead: the same code, with the memory import's
 * limits rewritten from `min 1` to `min 1, max 32768 pages (2 GiB), shared` (the threads
 * proposal's encoding, flag 0x03). A shared memory's buffer is a SharedArrayBuffer, so worker
 * threads can read a design in place (parallel cross-validation) instead of each copying it.
 * Null when the host has no shared memories or the module is not shaped as expected.
 */
let compiledShared: object | null | undefined;
function sharedKernelModule(): object | null {
  if (compiledShared !== undefined) return compiledShared;
  compiledShared = null;
  const wa = api();
  if (!wa || kernelModule() === null || typeof SharedArrayBuffer === 'undefined') return null;
  const bytes = decodeBase64(KERNELS_WASM_BASE64);
  // Sections follow the 8-byte header: id, size (LEB128), contents. Find the import section (id 2).
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    let size = 0, shift = 0, k = at + 1;
    for (;;) {
      const b = bytes[k++];
      size |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (id === 2) {
      // Exactly one import, env.memory with limits {flag 0, min 1}, and a one-byte section size.
      const want = [1, 3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, 0, 1];
      if (k !== at + 2 || size !== want.length || want.some((v, q) => bytes[k + q] !== v)) return null;
      const limits = [3, 1, 0x80, 0x80, 0x02]; // shared, min 1, max 32768
      const out = new Uint8Array(bytes.length + limits.length - 2);
      out.set(bytes.subarray(0, at + 1));
      out[at + 1] = size + limits.length - 2;
      out.set(bytes.subarray(k, k + size - 2), at + 2);
      out.set(limits, at + 2 + size - 2);
      out.set(bytes.subarray(k + size), at + 2 + size - 2 + limits.length);
      try {
        compiledShared = wa.validate(out) ? new wa.Module(out) : null;
      } catch {
        compiledShared = null;
      }
      return compiledShared;
    }
    at = k + size;
  }
  return null;
}

/**
 * A fixed-size linear memory (initial = maximum, so it can never grow and detach the views taken
 * on it) with the kernels instantiated over it: a shared memory where the host has them (see
 * {@link sharedKernelModule}), else an ordinary one. Throws when the host refuses the allocation.
 */
export function instantiateKernels(bytes: number): { memory: WasmMemory; exports: WasmKernelExports } {
  const wa = api();
  const module = kernelModule();
  if (!wa || module === null) throw new Error('WebAssembly SIMD is not available');
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  const shared = sharedKernelModule();
  if (shared !== null) {
    let memory: WasmMemory | null = null;
    try {
      memory = new wa.Memory({ initial: pages, maximum: pages, shared: true });
    } catch {
      memory = null; // e.g. a page without cross-origin isolation: an ordinary memory below
    }
    if (memory !== null) {
      const instance = new wa.Instance(shared, { env: { memory } });
      return { memory, exports: instance.exports as unknown as WasmKernelExports };
    }
  }
  const memory = new wa.Memory({ initial: pages, maximum: pages });
  const instance = new wa.Instance(module, { env: { memory } });
  return { memory, exports: instance.exports as unknown as WasmKernelExports };
}
