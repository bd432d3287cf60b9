/**
 * `npm run bench kernels`: dense products on a 1000 × 5000 float64 matrix (40 MB) and a 10000 × 2000
 * one — Xᵀr and Xw, plus the per-group block products of a block solver (X_gᵀr for 10-column
 * groups, then r += X_g δ) — for the WebAssembly SIMD kernels, the TypeScript fallback, the
 * DenseMatrix methods and a naive double loop. Median of interleaved repeats (and the best, which
 * is what a busy machine distorts least); GB/s counts the bytes of X read once. When Debian's python3 with numpy is installed, numpy's single-threaded OpenBLAS
 * (`X.T @ r`, `X @ w` on a Fortran-ordered X) is timed in the same rounds, in a child process that
 * times each call itself, for the ratio; skipped with a note otherwise.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { DenseMatrix } from '../src/linalg/dense.ts';
import { fastOperator } from '../src/linalg/kernels/fast.ts';
import { Random } from '../src/util/random.ts';

const PYTHON = '/usr/bin/python3';

interface Shape { n: number; p: number }

function naiveT(d: Float64Array, n: number, p: number, y: Float64Array, out: Float64Array): void {
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[i + j * n] * y[i];
    out[j] = s;
  }
}

function naiveN(d: Float64Array, n: number, p: number, w: Float64Array, out: Float64Array): void {
  out.fill(0);
  for (let j = 0; j < p; j++) {
    const a = w[j];
    for (let i = 0; i < n; i++) out[i] += d[i + j * n] * a;
  }
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

type Case = () => void | Promise<number>;

/**
 * Time every case once per round, rounds interleaved so drifting machine load hits all alike. A
 * case that returns a promise reports its own time in ms (numpy, timed inside Python).
 */
async function timeAll(cases: Record<string, Case>, rounds: number): Promise<{ med: Record<string, number>; best: Record<string, number> }> {
  const times: Record<string, number[]> = {};
  for (const k of Object.keys(cases)) {
    times[k] = [];
    for (let w = 0; w < 3; w++) await cases[k](); // warm-up: JIT tiers, caches
  }
  for (let r = 0; r < rounds; r++) {
    for (const [k, f] of Object.entries(cases)) {
      const t0 = performance.now();
      const inner = f();
      const t1 = performance.now();
      times[k].push(inner instanceof Promise ? await inner : t1 - t0);
    }
  }
  const med: Record<string, number> = {};
  const best: Record<string, number> = {};
  for (const k of Object.keys(cases)) {
    med[k] = median(times[k]);
    best[k] = Math.min(...times[k]);
  }
  return { med, best };
}

/**
 * A Python child holding a Fortran-ordered n × p matrix; `run('t')` times one `Xᵀr`, `run('n')` one
 * `Xw`, in Python, with OpenBLAS held to one thread. Null (with the reason) when numpy is missing.
 */
async function numpyWorker(shape: Shape): Promise<{ run: (op: 't' | 'n') => Promise<number>; close: () => void } | string> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const script = `
import sys, time
import numpy as np
n, p = ${shape.n}, ${shape.p}
rng = np.random.default_rng(1)
X = np.asfortranarray(rng.standard_normal((n, p)))
r = rng.standard_normal(n); w = rng.standard_normal(p)
ot = np.empty(p); on = np.empty(n)
print("ready", flush=True)
for line in sys.stdin:
    op = line.strip()
    s = time.perf_counter()
    if op == "t": np.dot(X.T, r, out=ot)
    else: np.dot(X, w, out=on)
    print(1e3 * (time.perf_counter() - s), flush=True)
`;
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const child = spawn(PYTHON, ['-c', script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let buffered = '';
  let stderr = '';
  const waiting: ((line: string) => void)[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let k;
    while ((k = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, k);
      buffered = buffered.slice(k + 1);
      waiting.shift()?.(line);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => (stderr += c));
  child.on('exit', () => {
    for (const w of waiting.splice(0)) w('exit');
  });
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const first = await next();
  if (first !== 'ready') {
    child.kill();
    return `numpy not usable (${stderr.trim().split('\n').pop() ?? 'no output'}); install Debian's python3-numpy`;
  }
  return {
    run: async (op) => {
      const answer = next();
      child.stdin.write(`${op}\n`);
      return Number(await answer);
    },
    close: () => child.stdin.end(),
  };
}

function fmt(ms: number, bytes: number): string {
  return `${ms.toFixed(3).padStart(8)} ms ${(bytes / ms / 1e6).toFixed(1).padStart(6)} GB/s`;
}

async function benchShape(shape: Shape, rounds: number): Promise<void> {
  const { n, p } = shape;
  const rng = new Random(20261127);
  const X = new DenseMatrix(n, p, rng.normals(n * p));
  const W = fastOperator(X, { backend: 'wasm' });
  const J = fastOperator(X, { backend: 'js' });
  const r = W.vector(n);
  r.set(rng.normals(n));
  const w = W.vector(p);
  w.set(rng.normals(p));
  const outT = W.vector(p), outN = W.vector(n);
  const rJs = r.slice(), wJs = w.slice(), outTJs = new Float64Array(p), outNJs = new Float64Array(n);
  const bytes = 8 * n * p;

  // Group blocks of 10 contiguous columns, as a block solver visits them: X_gᵀr, then r += X_g δ.
  const gsize = 10;
  const groups = Math.floor(p / gsize);
  const idx = Int32Array.from({ length: groups * gsize }, (_, k) => k);
  const delta = Float64Array.from({ length: gsize }, (_, k) => (k % 2 ? 1e-9 : -1e-9));
  const blockOut = W.vector(gsize);
  const blockOutJs = new Float64Array(gsize);
  const blocks = (A: typeof W, res: Float64Array, out: Float64Array) => () => {
    for (let g = 0; g < groups; g++) {
      A.dotBlock(idx, g * gsize, (g + 1) * gsize, res, out);
      A.axpyBlock(idx, g * gsize, (g + 1) * gsize, delta, res);
    }
  };

  const py = await numpyWorker(shape);
  const numpyCases: Record<string, Case> = typeof py === 'string' ? {} : { 'T numpy': () => py.run('t'), 'N numpy': () => py.run('n') };
  const { med: t, best } = await timeAll({
    'T wasm': () => W.applyTranspose(r, outT),
    'T ts': () => J.applyTranspose(rJs, outTJs),
    'T dense': () => X.applyTranspose(rJs, outTJs),
    'T naive': () => naiveT(X.data, n, p, rJs, outTJs),
    'N wasm': () => W.apply(w, outN),
    'N ts': () => J.apply(wJs, outNJs),
    'N dense': () => X.apply(wJs, outNJs),
    'N naive': () => naiveN(X.data, n, p, wJs, outNJs),
    'B wasm': blocks(W, r, blockOut),
    'B ts': blocks(J, rJs, blockOutJs),
    ...numpyCases,
  }, rounds);
  if (typeof py !== 'string') py.close();

  console.log(`\nX: ${n} × ${p} float64 (${(bytes / 1e6).toFixed(0)} MB), median of ${rounds} interleaved repeats ` +
    `(best in brackets; load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores)`);
  console.log('kernel                          Xᵀr                                Xw');
  const row = (name: string, a: string, b: string) =>
    console.log(`${name.padEnd(24)}${fmt(t[a], bytes)} [${best[a].toFixed(3).padStart(7)}]   ${fmt(t[b], bytes)} [${best[b].toFixed(3).padStart(7)}]`);
  row('WebAssembly SIMD', 'T wasm', 'N wasm');
  row('TypeScript kernels', 'T ts', 'N ts');
  row('DenseMatrix methods', 'T dense', 'N dense');
  row('naive double loop', 'T naive', 'N naive');
  if (typeof py === 'string') console.log(`numpy/OpenBLAS: skipped — ${py}`);
  else row('numpy/OpenBLAS 1 thread', 'T numpy', 'N numpy');
  console.log(`ratios (time of the other / time of WebAssembly; > 1 means WebAssembly is faster):`);
  const ratio = (k: string) => `Xᵀr ${(t[`T ${k}`] / t['T wasm']).toFixed(2)}x, Xw ${(t[`N ${k}`] / t['N wasm']).toFixed(2)}x`;
  console.log(`  vs TypeScript ${ratio('ts')};  vs naive ${ratio('naive')};  vs DenseMatrix ${ratio('dense')}`);
  if (typeof py !== 'string') {
    console.log(`  vs numpy/OpenBLAS: ${ratio('numpy')} (WebAssembly runs at ` +
      `${(100 * t['T numpy'] / t['T wasm']).toFixed(0)} % / ${(100 * t['N numpy'] / t['N wasm']).toFixed(0)} % of OpenBLAS speed; ` +
      `best vs best ${(100 * best['T numpy'] / best['T wasm']).toFixed(0)} % / ${(100 * best['N numpy'] / best['N wasm']).toFixed(0)} %)`);
  }
  console.log(`group blocks (${groups} groups of ${gsize}: X_gᵀr then r += X_g δ, 2 passes over X): ` +
    `WebAssembly ${fmt(t['B wasm'], 2 * 8 * n * groups * gsize)}, TypeScript ${fmt(t['B ts'], 2 * 8 * n * groups * gsize)}, ` +
    `ratio ${(t['B ts'] / t['B wasm']).toFixed(2)}x`);
}

export async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  await benchShape({ n: 1000, p: 5000 }, quick ? 9 : 41);
  await benchShape({ n: 10000, p: 2000 }, quick ? 5 : 21);
}
