/**
 * A CSR sparse × dense product in WebAssembly SIMD (f32x4), for measuring unstructured sparsity in
 * the same runtime class as tfjs-wasm's dense kernels: Y (m × n) = W (m × k, CSR) · X (k × n),
 * row-major float32, n a multiple of 16. Per output row and per 16 columns, four f32x4 accumulators
 * stay in registers while the row's nonzeros stream by — the usual register-blocked SpMM. Assembled
 * at run time with wabt (a devDependency), so it lives with the benchmarks; the notebooks that
 * measure ρ import it from here (its one home), and test/csr-wasm.test.ts checks it.
 */
const WAT = `(module
  (memory (export "memory") 1)
  (func (export "spmm") (param $y i32) (param $rp i32) (param $ci i32) (param $va i32) (param $x i32) (param $m i32) (param $n i32)
    (local $o i32) (local $j i32) (local $p i32) (local $pend i32) (local $px i32) (local $py i32)
    (local $v v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $o) (local.get $m)))
      (local.set $j (i32.const 0))
      (block $cdone (loop $cols
        (br_if $cdone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.load (i32.add (local.get $rp) (i32.shl (local.get $o) (i32.const 2)))))
        (local.set $pend (i32.load offset=4 (i32.add (local.get $rp) (i32.shl (local.get $o) (i32.const 2)))))
        (block $ndone (loop $nz
          (br_if $ndone (i32.ge_u (local.get $p) (local.get $pend)))
          (local.set $v (f32x4.splat (f32.load (i32.add (local.get $va) (i32.shl (local.get $p) (i32.const 2))))))
          (local.set $px (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (i32.load (i32.add (local.get $ci) (i32.shl (local.get $p) (i32.const 2)))) (local.get $n)) (local.get $j)) (i32.const 2))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $v) (v128.load (local.get $px)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $px)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $px)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $px)))))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $nz)))
        (local.set $py (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $n)) (local.get $j)) (i32.const 2))))
        (v128.store (local.get $py) (local.get $a0))
        (v128.store offset=16 (local.get $py) (local.get $a1))
        (v128.store offset=32 (local.get $py) (local.get $a2))
        (v128.store offset=48 (local.get $py) (local.get $a3))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $cols)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $rows)))))`;

/** A product with its own instance and memory: several can be alive at once (a network's layers). */
export interface WasmSpmm {
  /** Y = W·X for the W given at creation and the X now in `input`; returns Y (a view into this product's memory). */
  run(): Float32Array;
  /** X (k × n, row-major), a view into this product's memory: write a new input here before `run`. */
  readonly input: Float32Array;
  readonly nnz: number;
}

let compiled: WebAssembly.Module | undefined;

/** The module is assembled (wabt) and compiled once per process; each product instantiates it. */
async function instantiate(): Promise<WebAssembly.Instance> {
  if (!compiled) {
    const wabt = await (await import('wabt')).default();
    const mod = wabt.parseWat('csr.wat', WAT, { simd: true });
    const { buffer } = mod.toBinary({});
    mod.destroy();
    compiled = await WebAssembly.compile(new Uint8Array(buffer) as BufferSource);
  }
  return WebAssembly.instantiate(compiled, {});
}

/** A CSR product for dense `W` (m × k, zeros skipped) and `X` (k × n), both row-major. */
export async function wasmSpmm(W: Float32Array, X: Float32Array, m: number, k: number, n: number): Promise<WasmSpmm> {
  if (n % 16 !== 0) throw new Error(`wasmSpmm: n = ${n} must be a multiple of 16`);
  if (W.length !== m * k || X.length !== k * n) throw new Error(`wasmSpmm: W has ${W.length} entries for ${m} × ${k}, X ${X.length} for ${k} × ${n}`);
  const inst = await instantiate();
  const mem = inst.exports.memory as WebAssembly.Memory;
  let nnz = 0;
  for (let i = 0; i < m * k; i++) if (W[i] !== 0) nnz++;
  const bytes = 4 * ((m + 1) + 2 * nnz + k * n + m * n) + 64 * 5;
  const need = Math.ceil((bytes - mem.buffer.byteLength) / 65536);
  if (need > 0) mem.grow(need);
  const align = (b: number): number => Math.ceil(b / 64) * 64;
  const rp = 0;
  const ci = align(rp + 4 * (m + 1));
  const va = align(ci + 4 * nnz);
  const x = align(va + 4 * nnz);
  const y = align(x + 4 * k * n);
  const buf = mem.buffer;
  const rpA = new Int32Array(buf, rp, m + 1);
  const ciA = new Int32Array(buf, ci, nnz);
  const vaA = new Float32Array(buf, va, nnz);
  let p = 0;
  for (let o = 0; o < m; o++) {
    rpA[o] = p;
    for (let t = 0; t < k; t++) {
      const v = W[o * k + t];
      if (v !== 0) {
        ciA[p] = t;
        vaA[p++] = v;
      }
    }
  }
  rpA[m] = p;
  const input = new Float32Array(buf, x, k * n);
  input.set(X);
  const spmm = inst.exports.spmm as (...a: number[]) => void;
  const out = new Float32Array(buf, y, m * n);
  return { nnz, input, run: () => (spmm(y, rp, ci, va, x, m, n), out) };
}
