import { describe, expect, it } from 'vitest';
import { wasmSpmm } from '../bench/csr-wasm.ts';

describe('CSR SpMM in WebAssembly SIMD (the ρ kernel of the benchmarks and notebooks)', () => {
  it('equals a naive triple loop, for two products alive at once and a rewritten input', async () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const [m, k, n] = [13, 29, 32];
    const dense = (sparsity: number): Float32Array => Float32Array.from({ length: m * k }, () => (rnd() < sparsity ? 0 : rnd() - 0.5));
    const naive = (W: Float32Array, X: Float32Array): Float64Array => {
      const Y = new Float64Array(m * n);
      for (let o = 0; o < m; o++) for (let t = 0; t < k; t++) for (let j = 0; j < n; j++) Y[o * n + j] += W[o * k + t] * X[t * n + j];
      return Y;
    };
    const X = Float32Array.from({ length: k * n }, () => rnd() - 0.5);
    const W1 = dense(0.7);
    const W2 = dense(0);
    W2.fill(0, 3 * k, 4 * k); // an empty row
    const a = await wasmSpmm(W1, X, m, k, n);
    const b = await wasmSpmm(W2, X, m, k, n);
    expect(a.nnz).toBe(W1.filter((v) => v !== 0).length);
    const worst = (got: Float32Array, ref: Float64Array): number => got.reduce((w, v, i) => Math.max(w, Math.abs(v - ref[i])), 0);
    expect(worst(a.run(), naive(W1, X))).toBeLessThan(1e-5);
    expect(worst(b.run(), naive(W2, X))).toBeLessThan(1e-5);
    const X2 = Float32Array.from({ length: k * n }, () => rnd() - 0.5);
    a.input.set(X2);
    expect(worst(a.run(), naive(W1, X2))).toBeLessThan(1e-5);
    expect(worst(b.run(), naive(W2, X))).toBeLessThan(1e-5); // b's memory is its own
    await expect(wasmSpmm(W1, X, m, k, 20)).rejects.toThrow(/multiple of 16/);
  });
});
