/**
 * `npm run bench soak`: 10⁴ fits of assorted sizes (n from 20 to 200, p from 4 to 60; squared,
 * logistic and multi-task losses; FISTA and block coordinate descent; a few paths) in one process,
 * with the resident set size sampled every 500 fits. Each design is a fresh matrix, so every fit
 * copies X into the kernels' memory and lets it go: a leak in the WebAssembly memories, the
 * kernels' vector pools or the per-operator caches shows as RSS that keeps growing after warm-up.
 * Prints the samples, the growth from the first sample after warm-up to the end, and its rate per
 * 1000 fits; SOAK_FITS=N changes the count. Every fit must come back certified (or honestly not).
 * Also sampled: the kernel memories still alive (WebAssembly memories not yet collected) and their
 * bytes. Verdict: PASS when, after warm-up, the live kernel memories stay at most their warm-up
 * peak and RSS grows by no more than the largest kernel pool seen in warm-up (at least 16 MB of
 * allocator slack); else FAIL (exit code 1).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fitGroupLasso, lambdaMax } from '../src/problem/problem.ts';
import { groupLassoPath } from '../src/path/path.ts';
import { Random } from '../src/util/random.ts';
import { liveKernelMemory } from '../src/linalg/kernels/wasm.ts';

export async function main(): Promise<void> {
  const total = Number(process.env.SOAK_FITS ?? 10_000);
  const every = Math.max(1, Math.floor(total / 20));
  const rng = new Random(20261201);
  const samples: { fits: number; rssMB: number; heapMB: number; wasmLive: number; wasmMB: number; seconds: number }[] = [];
  const t0 = performance.now();
  let converged = 0;
  let honest = 0;
  // A full collection before each sample, so it measures retained memory, not garbage.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // The finalizers that count collected kernel memories run once the event loop turns.
  const sample = async (fits: number): Promise<void> => {
    gc();
    await new Promise((r) => setTimeout(r, 0));
    gc();
    await new Promise((r) => setTimeout(r, 0));
    const m = process.memoryUsage();
    const w = liveKernelMemory();
    samples.push({ fits, rssMB: m.rss / 2 ** 20, heapMB: m.heapUsed / 2 ** 20, wasmLive: w.memories, wasmMB: w.bytes / 2 ** 20, seconds: (performance.now() - t0) / 1000 });
  };
  await sample(0);
  for (let k = 1; k <= total; k++) {
    const n = 20 + rng.int(180);
    const nGroups = 2 + rng.int(14);
    const size = 1 + rng.int(4);
    const p = nGroups * size;
    const kind = rng.int(3);
    const T = kind === 2 ? 2 : 1;
    const X: number[][] = [];
    for (let i = 0; i < n; i++) X.push(Array.from(rng.normals(p)));
    const groups = Array.from({ length: p }, (_, j) => Math.floor(j / size));
    const Y = X.map((r) => {
      const e = r[0] - 0.5 * r[p - 1] + 0.3 * rng.normal();
      return kind === 1 ? (rng.uniform() < 1 / (1 + Math.exp(-2 * e)) ? 1 : 0) : T === 2 ? [e, e + rng.normal()] : e;
    });
    const loss = kind === 1 ? 'logistic' : kind === 2 ? 'multitask' : 'squared';
    const solver = rng.int(2) === 0 ? 'fista' : 'bcd';
    try {
      if (k % 50 === 0) {
        const path = groupLassoPath(X, Y as number[], { groups, loss, nLambda: 10, tol: 1e-6, solver });
        if (path.certificates.every((c) => c.converged)) converged++;
        else honest++;
      } else {
        const lm = lambdaMax(X, Y as number[], { groups, loss });
        const fit = fitGroupLasso(X, Y as number[], { groups, loss, lambda: (0.05 + 0.9 * rng.uniform()) * lm, tol: 1e-7, solver, maxIter: 20_000 });
        if (fit.converged) converged++;
        else if (fit.status.length > 0) honest++;
      }
    } catch (e) {
      // Separable labels can be refused (no finite optimum): that is an answer too.
      if (!(e instanceof Error && e.name.endsWith('Error') && /^\w+: /.test(e.message))) throw e;
      honest++;
    }
    if (k % every === 0) await sample(k);
  }
  console.log(`soak: ${total} fits (every 50th a 10-λ path), ${converged} certified, ${honest} refused or honestly not converged, ` +
    `${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log('   fits     RSS MB   heap MB  live kernel memories (MB)       s');
  for (const s of samples) {
    console.log(`${String(s.fits).padStart(7)}  ${s.rssMB.toFixed(1).padStart(9)}  ${s.heapMB.toFixed(1).padStart(8)}  ${String(s.wasmLive).padStart(10)} (${s.wasmMB.toFixed(1).padStart(6)})  ${s.seconds.toFixed(1).padStart(9)}`);
  }
  // Warm-up: the first quarter (pools and caches reach their working size, the JIT settles).
  const warm = samples[Math.floor(samples.length / 4)];
  const last = samples[samples.length - 1];
  const grow = last.rssMB - warm.rssMB;
  const rate = (grow / Math.max(1, last.fits - warm.fits)) * 1000;
  const heapGrow = last.heapMB - warm.heapMB;
  console.log(`RSS from ${warm.fits} to ${last.fits} fits: ${grow >= 0 ? '+' : ''}${grow.toFixed(1)} MB (${rate.toFixed(2)} MB per 1000 fits); ` +
    `heap ${heapGrow >= 0 ? '+' : ''}${heapGrow.toFixed(1)} MB; peak RSS ${Math.max(...samples.map((s) => s.rssMB)).toFixed(1)} MB`);
  const warmSamples = samples.slice(0, Math.floor(samples.length / 4) + 1);
  const poolMB = Math.max(16, ...warmSamples.map((x) => x.wasmMB));
  const livePeak = Math.max(...warmSamples.map((x) => x.wasmLive));
  const liveAfter = Math.max(...samples.slice(warmSamples.length).map((x) => x.wasmLive), 0);
  const leaks: string[] = [];
  if (grow > poolMB) leaks.push(`RSS grew ${grow.toFixed(1)} MB after warm-up, more than the kernel pool (${poolMB.toFixed(1)} MB)`);
  if (liveAfter > livePeak) leaks.push(`${liveAfter} kernel memories alive after warm-up, above the warm-up peak ${livePeak}`);
  console.log(leaks.length === 0
    ? `verdict: PASS (RSS growth ${grow.toFixed(1)} MB ≤ pool ${poolMB.toFixed(1)} MB; live kernel memories ≤ ${livePeak} after warm-up, ${last.wasmLive} at the end, of ${liveKernelMemory().created} created)`
    : `verdict: FAIL: ${leaks.join('; ')}`);
  if (leaks.length > 0) process.exitCode = 1;
}
