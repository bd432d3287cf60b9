/**
 * `npm run bench neural`: what structured pruning buys, measured in this one run.
 *
 * ρ = realized speed-up ÷ theoretical speed-up 1/(1 − s) at sparsity s = 50/75/90 %, in the runtime
 * the networks run on: tfjs-wasm (XNNPACK, SIMD) dense matMul vs a CSR SpMM in WebAssembly SIMD
 * (`csr-wasm.ts`) on randomly zeroed weights, and vs the smaller tfjs-wasm matMul with whole output
 * rows removed; the CSR kernel's own speed at 0 % sparsity is printed against tfjs-wasm's dense
 * product so "at the runtime's speed" can be read off. Channel selection against group-norm
 * ranking on whole networks is `neural-models.bench.ts`.
 */
import { cpus, loadavg } from 'node:os';
import { Random } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';
import { wasmSpmm } from './csr-wasm.ts';

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median wall time (ms) of each function over `reps` rounds after `warm` warm-up rounds. The
 * functions run interleaved in every round, so load from other processes hits all of them alike.
 */
function times(fs: (() => void)[], reps: number, warm = 2): number[] {
  for (let i = 0; i < warm; i++) for (const f of fs) f();
  const t: number[][] = fs.map(() => []);
  for (let i = 0; i < reps; i++) {
    fs.forEach((f, k) => {
      const t0 = performance.now();
      f();
      t[k].push(performance.now() - t0);
    });
  }
  return t.map(median);
}

const f2 = (x: number) => x.toFixed(2);

/**
 * ρ of unstructured vs structured sparsity in the runtime the networks run on. (A plain-JavaScript
 * table used to stand here: its scalar dense baseline, far below the machine's peak, made CSR look
 * twice as good as against a SIMD kernel.)
 */
export async function runtimeRhoTable(): Promise<void> {
  const info = await neural.initRuntime();
  const { tf } = neural;
  console.log(`\n## ρ in the runtime: tfjs ${info.backend}${info.simd ? ' (SIMD)' : ''} dense matMul vs CSR SpMM in WASM SIMD vs rows removed\n`);
  const rng = new Random(3);
  const rows = ['| layer (as W · X) | sparsity | tfjs dense ms | CSR ms | rows-removed ms | theory × | ρ CSR | ρ structured | CSR ÷ tfjs speed at 0 % |', '|---|---|---|---|---|---|---|---|---|'];
  const layers: [string, number, number, number][] = [
    ['MobileNetV2 expand 1×1 96→576, 14×14, batch 32', 576, 96, 32 * 196],
    ['dense 1024×1024, batch 64', 1024, 1024, 64],
  ];
  for (const [label, m, k, n] of layers) {
    const W = Float32Array.from(rng.normals(m * k));
    const X = Float32Array.from(rng.normals(k * n));
    const xt = tf.tensor2d(X, [k, n]);
    const wt = tf.tensor2d(W, [m, k]);
    // (tidy must not return the typed array: it would walk its millions of entries as a container.)
    const tfDense = (): void => tf.tidy(() => void tf.matMul(wt, xt).dataSync());
    // Kernel speed: the CSR loop on the full matrix against tfjs' dense product, same FLOPs.
    const full = await wasmSpmm(W, X, m, k, n);
    // Correctness of the kernel against tfjs before timing it.
    {
      const ref = tf.matMul(wt, xt).dataSync();
      const got = full.run();
      let e = 0, d = 0;
      for (let i = 0; i < ref.length; i++) { e = Math.max(e, Math.abs(got[i] - ref[i])); d = Math.max(d, Math.abs(ref[i])); }
      if (!(e <= 1e-4 * d)) throw new Error(`csr-wasm disagrees with tf.matMul: ${e} vs scale ${d}`);
    }
    const [tD0, tC0] = times([tfDense, () => void full.run()], 11);
    for (const s of [0.5, 0.75, 0.9]) {
      const Ws = W.map((v) => (rng.uniform() < s ? 0 : v));
      const csr = await wasmSpmm(Ws, X, m, k, n);
      const mk = Math.round((1 - s) * m);
      const wc = tf.tensor2d(W.subarray(0, mk * k), [mk, k]);
      const [tD, tC, tS] = times([tfDense, () => void csr.run(), () => tf.tidy(() => void tf.matMul(wc, xt).dataSync())], 11);
      wc.dispose();
      const th = 1 / (1 - s);
      rows.push(`| ${label} | ${s * 100} % | ${f2(tD)} | ${f2(tC)} | ${f2(tS)} | ${f2(th)} | **${f2(tD / tC / th)}** | **${f2(tD / tS / th)}** | ${f2(tD0 / tC0)} |`);
    }
    tf.dispose([xt, wt]);
  }
  console.log(rows.join('\n'));
  console.log('\nPublished beside it: ρ ≈ 0.19 unstructured vs ≈ 0.99 structured (design source; Wen et al. 2016 AlexNet CPU: ℓ1 mean 0.18, SSL ≈ 1.00).');
}

export async function main(): Promise<void> {
  const load = loadavg().map((v) => v.toFixed(1)).join(' / ');
  console.log(`Node ${process.version}, ${cpus().length} CPU(s), load average ${load} (1 / 5 / 15 min) at start; timings are medians of interleaved rounds.`);
  await runtimeRhoTable();
}
