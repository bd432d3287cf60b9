/**
 * Loading of the WebAssembly SIMD kernels (kernels.wat, assembled at build time and embedded in
 * wasm-bytes.generated.ts). The module is decoded and compiled once per process, synchronously
 * (it is under 4 KB, which every host allows on the main thread), and instantiated once per
 * memory: each fast operator owns its own linear memory.
 */
import { KERNELS_WASM_BASE64 } from './wasm-bytes.generated.ts';

/** The part of the WebAssembly JS API used here (the ES2022 + Node typings do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
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
 * A fixed-size linear memory (initial = maximum, so it can never grow and detach the views taken
 * on it) with the kernels instantiated over it. Throws when the host refuses the allocation.
 */
export function instantiateKernels(bytes: number): { memory: WasmMemory; exports: WasmKernelExports } {
  const wa = api();
  const module = kernelModule();
  if (!wa || module === null) throw new Error('WebAssembly SIMD is not available');
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  const memory = new wa.Memory({ initial: pages, maximum: pages });
  live.memories++;
  live.created++;
  live.bytes += pages * WASM_PAGE;
  released?.register(memory, pages * WASM_PAGE);
  const instance = new wa.Instance(module, { env: { memory } });
  return { memory, exports: instance.exports as unknown as WasmKernelExports };
}

/** Kernel memories created, and those not yet collected (counts kept for the soak benchmark's leak check). */
const live = { memories: 0, bytes: 0, created: 0 };
const released = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<number>((bytes) => {
    live.memories--;
    live.bytes -= bytes;
  })
  : undefined;

/**
 * How many kernel memories are alive and their bytes. Collected memories are counted out by a
 * finalizer, which runs after a garbage collection once the event loop turns.
 */
export function liveKernelMemory(): { memories: number; bytes: number; created: number } {
  return { ...live };
}
