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
  /** out[k] = Σ_i X[i, idx[k]]·w[i]·y[i] for k < count (X_gᵀ diag(w) y). */
  gemv_tw(X: number, n: number, idx: number, count: number, y: number, w: number, out: number): void;
  /** y += Σ_{k<count} coef[k]·X[:, idx[k]]. */
  gemv_n(X: number, n: number, idx: number, count: number, coef: number, y: number): void;
  /**
   * sums[j] += Σ x_ij, ss[j] += Σ x_ij² over rows [row0, row0 + rows) of columns [j0, j1) (blocks of 8
   * rows summed as a balanced tree, in order; sums and ss are f64 arrays indexed by column).
   */
  col_sums(X: number, n: number, row0: number, rows: number, j0: number, j1: number, sums: number, ss: number): void;
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

/** A linear memory with the kernels instantiated over it. */
export interface KernelMemory {
  readonly memory: WasmMemory;
  readonly exports: WasmKernelExports;
  /** Its size in bytes (whole pages). */
  readonly bytes: number;
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

/**
 * Kernel memories given back by operators whose owner is done with them (a one-call fit on rows,
 * an ml-matrix or a CSC matrix it converted itself), kept for the next operator of a size they
 * fit. A fresh memory is paid for page by page on first touch — on a 10000 × 2000 design several
 * times the cost of writing X into memory already touched — so a sequence of fits on designs of
 * one size writes into the same pages. At most {@link POOL_MAX} are kept, none larger than needed
 * by more than {@link POOL_SLACK}× is handed out (a small problem does not pin a large memory),
 * and a miss drops the pool (its memories are too small or too large for what is asked now).
 */
const pool: KernelMemory[] = [];
const POOL_MAX = 2;
const POOL_SLACK = 2;

/**
 * A kernel memory of at least `bytes`, from the pool when one fits (`reused`: its contents are
 * whatever the last owner left) or new (zero-filled); `fromPool` false: always new (for an
 * operator whose owner keeps it). Throws when the host refuses the allocation.
 */
export function acquireKernelMemory(bytes: number, fromPool = true): KernelMemory & { reused: boolean } {
  if (!fromPool) {
    const { memory, exports } = instantiateKernels(bytes);
    return { memory, exports, bytes: memory.buffer.byteLength, reused: false };
  }
  let best = -1;
  for (let k = 0; k < pool.length; k++) {
    const b = pool[k].bytes;
    if (b >= bytes && b <= POOL_SLACK * bytes + WASM_PAGE && (best < 0 || b < pool[best].bytes)) best = k;
  }
  if (best >= 0) {
    const m = pool.splice(best, 1)[0];
    return { ...m, reused: true };
  }
  pool.length = 0;
  const { memory, exports } = instantiateKernels(bytes);
  return { memory, exports, bytes: memory.buffer.byteLength, reused: false };
}

/**
 * Give a memory from {@link acquireKernelMemory} back for reuse. The caller guarantees that no view
 * on it is used afterwards (the next owner overwrites it).
 */
export function releaseKernelMemory(m: KernelMemory): void {
  if (pool.some((q) => q.memory === m.memory)) return;
  pool.push({ memory: m.memory, exports: m.exports, bytes: m.bytes });
  if (pool.length > POOL_MAX) pool.shift();
}

/** Memories held for reuse and their bytes (for tests and the soak benchmark). */
export function pooledKernelMemory(): { memories: number; bytes: number } {
  let bytes = 0;
  for (const m of pool) bytes += m.bytes;
  return { memories: pool.length, bytes };
}

/** Drop every pooled memory (the garbage collector takes them back). */
export function drainKernelPool(): void {
  pool.length = 0;
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
