/**
 * `npm run bench peers`: groupsparse against skglm, celer and grpreg on the same data in the same
 * run — single-λ fits, 100-λ paths, 10-fold cross-validation, a logistic problem and a nearly
 * separable one. Every design has centred, orthonormal groups (X_gᵀX_g/n = I, as grpreg makes
 * them), so all four solve the same problem: (1/(2n))‖y − Xw − b‖² (or the mean logistic
 * negative log-likelihood) + λ Σ_g √p_g ‖w_g‖₂ with an unpenalized intercept.
 *
 * groupsparse runs at a certified relative duality gap ≤ 1e-6 per λ (its own certificate, printed).
 * Each peer's coefficients are scored here with this library's objective, against the dual bound
 * groupsparse certified: "subopt" is (P_peer − D)/P_peer ≥ the peer's true suboptimality, so a
 * peer is compared at the accuracy it actually reached (marked * above 1e-6).
 *
 * Peers are found through GROUPSPARSE_SKGLM and GROUPSPARSE_CELER (source checkouts put on
 * PYTHONPATH; default /work/peers/skglm and /work/peers/celer), GROUPSPARSE_PYTHON (default
 * /usr/bin/python3) and GROUPSPARSE_RLIB (the R library holding grpreg; default /work/rlib).
 * Whatever is missing is reported as skipped. BENCH_QUICK=1: one repeat and the small problems
 * only; BENCH_PEERS_ONLY=name,... runs only the rows whose label contains one of the names.
 * BENCH_CLOCK=cpu times everyone by the CPU time of their process (user + system; for groupsparse
 * that includes its cross-validation worker threads, so parallel CV is charged its total work)
 * instead of wall time: on a shared, loaded machine wall time mostly measures the other load.
 * Other draws of the same kinds of problem: BENCH_SEED=k adds k to every generator seed (and, for
 * k ≠ 0, fits birthwt on a bootstrap resample of its rows drawn with seed k); BENCH_SCALE=f
 * multiplies the synthetic problems' rows and columns by f (groups keep their size).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastOperator, type FastDense } from '../src/linalg/kernels/fast.ts';
import { DenseMatrix } from '../src/linalg/dense.ts';
import { orthonormalizeGroups } from '../src/data/standardize.ts';
import { fitGroupLasso, lambdaMax, prepareProblem } from '../src/problem/problem.ts';
import { groupLassoPath, lambdaGrid } from '../src/path/path.ts';
import { cvGroupLasso } from '../src/path/cv.ts';
import { availableThreads, startCvWorkers } from '../src/path/parallel.ts';
import { certify } from '../src/solvers/certificate.ts';
import { Random } from '../src/util/random.ts';
import { birthwtProblem, gaussianProblem } from './problems.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const REPS = QUICK ? 1 : 3;
/**
 * Repeats of a case (everyone's, CV included): REPS, but the millisecond problems — a
 * single sample of those is mostly the noise of a shared machine — get enough for a median.
 */
function repsOf(c: { X: { rows: number; cols: number }; lambdas: Float64Array; loss: string }): number {
  const small = c.X.rows * c.X.cols <= 100_000;
  if (!small || c.loss !== 'squared') return REPS;
  return Math.max(REPS, c.lambdas.length === 1 ? 25 : 7);
}
const TOL = 1e-6;
const PYTHON = process.env.GROUPSPARSE_PYTHON ?? '/usr/bin/python3';
const SKGLM = process.env.GROUPSPARSE_SKGLM ?? '/work/peers/skglm';
const CELER = process.env.GROUPSPARSE_CELER ?? '/work/peers/celer';
const RLIB = process.env.GROUPSPARSE_RLIB ?? '/work/rlib';
const ONLY = process.env.BENCH_PEERS_ONLY?.split(',');
const CPU_CLOCK = process.env.BENCH_CLOCK === 'cpu';
const SEED = Number(process.env.BENCH_SEED ?? 0);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
if (!Number.isInteger(SEED) || SEED < 0) throw new Error(`BENCH_SEED must be a non-negative integer, got ${process.env.BENCH_SEED}`);
if (!(SCALE > 0 && SCALE <= 4)) throw new Error(`BENCH_SCALE must be in (0, 4], got ${process.env.BENCH_SCALE}`);
/** A synthetic dimension scaled by BENCH_SCALE, a multiple of the group size `unit`. */
function dim(v: number, unit = 1): number {
  return Math.max(unit, Math.round((v * SCALE) / unit) * unit);
}
/** Seconds on the chosen clock (wall, or this process's CPU time with BENCH_CLOCK=cpu). */
function now(): number {
  if (!CPU_CLOCK) return performance.now() / 1000;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
/** Peer tolerances, chosen so that their answers land near a relative suboptimality of 1e-6. */
const PEER_TOL = { skglm: 1e-7, celer: 1e-7, grpregEps: 1e-7 };

type Loss = 'squared' | 'logistic';
interface Case {
  label: string;
  X: DenseMatrix;
  y: Float64Array;
  sizes: number[];
  loss: Loss;
  lambdas: Float64Array;
  cv: boolean;
  peers: ('skglm' | 'celer' | 'grpreg')[];
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
}

function fmt(s: number): string {
  return s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
}

/** Centred, orthonormal groups (contiguous), as grpreg would make them. */
function orthonormal(X: DenseMatrix, labels: number[]): { X: DenseMatrix; sizes: number[] } {
  const o = orthonormalizeGroups(X, labels);
  const sizes: number[] = [];
  for (let g = 0; g < o.groups.nGroups; g++) sizes.push(o.groups.ptr[g + 1] - o.groups.ptr[g]);
  for (let k = 0; k < o.groups.indices.length; k++) if (o.groups.indices[k] !== k) throw new Error('groups are not contiguous');
  return { X: o.X, sizes };
}

function labelsOf(sizes: number[]): number[] {
  return sizes.flatMap((s, g) => new Array<number>(s).fill(g));
}

function logisticLabels(X: DenseMatrix, seed: number, nActive: number, scale: number, flip = 0): Float64Array {
  const r = new Random(seed);
  const n = X.rows;
  const eta = new Float64Array(n);
  const beta = new Float64Array(X.cols);
  for (let j = 0; j < nActive; j++) beta[Math.floor((j * X.cols) / nActive)] = scale * (j % 2 ? 1 : -1);
  X.apply(beta, eta);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const pr = 1 / (1 + Math.exp(-eta[i]));
    y[i] = flip > 0 ? (eta[i] > 0) !== (r.uniform() < flip) ? 1 : 0 : r.uniform() < pr ? 1 : 0;
  }
  return y;
}

/** birthwt itself (BENCH_SEED 0), else a bootstrap resample of its rows drawn with that seed. */
function resampled(P: { X: DenseMatrix; y: Float64Array; groups: number[] }): { X: DenseMatrix; y: Float64Array; groups: number[] } {
  if (SEED === 0) return P;
  const r = new Random(SEED);
  const n = P.X.rows, p = P.X.cols;
  const X = new DenseMatrix(n, p, new Float64Array(n * p));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r.uniform() * n);
    y[i] = P.y[k];
    for (let j = 0; j < p; j++) X.data[i + j * n] = P.X.data[k + j * n];
  }
  return { X, y, groups: P.groups };
}

function cases(): Case[] {
  const out: Case[] = [];
  const bw = resampled(birthwtProblem());
  const b = orthonormal(bw.X, bw.groups);
  const groupsB = labelsOf(b.sizes);
  const lmB = lambdaMax(b.X, bw.y, { groups: groupsB });
  const low = Float64Array.from(bw.y, (v) => (v < 2.5 ? 1 : 0));
  const lmBl = lambdaMax(b.X, low, { groups: groupsB, loss: 'logistic' });
  out.push({ label: 'birthwt gaussian, one λ', X: b.X, y: bw.y, sizes: b.sizes, loss: 'squared', lambdas: Float64Array.of(lmB / 10), cv: false, peers: ['skglm', 'celer'] });
  out.push({ label: '100-λ path, birthwt gaussian', X: b.X, y: bw.y, sizes: b.sizes, loss: 'squared', lambdas: lambdaGrid(lmB, 100, 1e-3), cv: true, peers: ['skglm', 'celer', 'grpreg'] });
  out.push({ label: '100-λ path, birthwt logistic', X: b.X, y: low, sizes: b.sizes, loss: 'logistic', lambdas: lambdaGrid(lmBl, 100, 1e-3), cv: true, peers: ['skglm', 'grpreg'] });
  // Nearly separable: a wide margin with 1 % of the labels flipped.
  {
    const r = new Random(7 + SEED);
    const n = dim(300), p = 15;
    const X0 = new DenseMatrix(n, p, r.normals(n * p));
    const s = orthonormal(X0, Array.from({ length: p }, (_, j) => Math.floor(j / 3)));
    const y = logisticLabels(s.X, 8 + SEED, 2, 4, 0.01);
    const lm = lambdaMax(s.X, y, { groups: labelsOf(s.sizes), loss: 'logistic' });
    out.push({ label: `100-λ path, near-separable logistic ${n}×${p}`, X: s.X, y, sizes: s.sizes, loss: 'logistic', lambdas: lambdaGrid(lm, 100, 1e-3), cv: false, peers: ['skglm', 'grpreg'] });
  }
  if (QUICK) return out;
  {
    const P = gaussianProblem(1 + SEED, dim(1000), dim(5000, 10), 10, 0.5, 10);
    const s = orthonormal(P.X, P.groups);
    const lm = lambdaMax(s.X, P.y, { groups: labelsOf(s.sizes) });
    out.push({ label: `synth ${s.X.rows}×${s.X.cols}, ${s.sizes.length} groups, one λ`, X: s.X, y: P.y, sizes: s.sizes, loss: 'squared', lambdas: Float64Array.of(lm / 10), cv: false, peers: ['skglm', 'celer'] });
    out.push({ label: `100-λ path, synth ${s.X.rows}×${s.X.cols}`, X: s.X, y: P.y, sizes: s.sizes, loss: 'squared', lambdas: lambdaGrid(lm, 100, 0.05), cv: true, peers: ['celer', 'grpreg'] });
  }
  {
    const P = gaussianProblem(2 + SEED, dim(10000), dim(2000, 10), 10, 0.5, 10);
    const s = orthonormal(P.X, P.groups);
    const lm = lambdaMax(s.X, P.y, { groups: labelsOf(s.sizes) });
    out.push({ label: `synth ${s.X.rows}×${s.X.cols}, one λ`, X: s.X, y: P.y, sizes: s.sizes, loss: 'squared', lambdas: Float64Array.of(lm / 10), cv: false, peers: ['skglm', 'celer'] });
  }
  {
    const P = gaussianProblem(3 + SEED, dim(2000), dim(2000, 5), 5, 0.5, 10);
    const s = orthonormal(P.X, P.groups);
    const y = logisticLabels(s.X, 4 + SEED, 20, 0.8);
    const lm = lambdaMax(s.X, y, { groups: labelsOf(s.sizes), loss: 'logistic' });
    out.push({ label: `synth logistic ${s.X.rows}×${s.X.cols}, ${s.sizes.length} groups of 5`, X: s.X, y, sizes: s.sizes, loss: 'logistic', lambdas: Float64Array.of(lm / 10), cv: false, peers: ['skglm'] });
  }
  return out;
}

interface PeerResult { seconds?: number; cvSeconds?: number; coefFile?: string; intercepts?: number[]; skipped?: string }

function runPeers(c: Case, dir: string): Record<string, PeerResult> {
  const Xf = join(dir, 'X.bin'), yf = join(dir, 'y.bin');
  writeFileSync(Xf, new Uint8Array(c.X.data.buffer, c.X.data.byteOffset, c.X.data.byteLength));
  writeFileSync(yf, new Uint8Array(c.y.buffer, c.y.byteOffset, c.y.byteLength));
  const manifest = {
    n: c.X.rows, p: c.X.cols, X: Xf, y: yf, groupSizes: c.sizes, weights: c.sizes.map(Math.sqrt), loss: c.loss,
    fitIntercept: true, lambdas: Array.from(c.lambdas), reps: repsOf(c), tol: { skglm: PEER_TOL.skglm, celer: PEER_TOL.celer },
    grpregEps: PEER_TOL.grpregEps, cvFolds: c.cv ? 10 : 0, peers: c.peers.filter((p) => p !== 'grpreg'), clock: CPU_CLOCK ? 'cpu' : 'wall',
  };
  const mf = join(dir, 'manifest.json');
  writeFileSync(mf, JSON.stringify(manifest));
  const res: Record<string, PeerResult> = {};
  if (manifest.peers.length > 0) {
    const paths = [SKGLM, CELER].filter((p) => existsSync(p));
    const out = join(dir, 'py.json');
    const r = spawnSync(PYTHON, [new URL('./peers/run_python.py', import.meta.url).pathname, mf, out], {
      env: { ...process.env, PYTHONPATH: paths.join(':'), OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', NUMBA_NUM_THREADS: '1' },
      encoding: 'utf8', timeout: 1_800_000, maxBuffer: 1 << 28,
    });
    if (r.status === 0 && existsSync(out)) Object.assign(res, JSON.parse(readFileSync(out, 'utf8')));
    else for (const p of manifest.peers) res[p] = { skipped: `python failed: ${(r.stderr || String(r.error)).trim().split('\n').slice(-1)[0]}` };
  }
  if (c.peers.includes('grpreg') && c.lambdas.length > 1) {
    const out = join(dir, 'r.json');
    const r = spawnSync('Rscript', [new URL('./peers/run_grpreg.R', import.meta.url).pathname, mf, out], {
      env: { ...process.env, GROUPSPARSE_RLIB: RLIB, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' }, encoding: 'utf8', timeout: 1_800_000, maxBuffer: 1 << 28,
    });
    if (r.status === 0 && existsSync(out)) Object.assign(res, JSON.parse(readFileSync(out, 'utf8')));
    else res.grpreg = { skipped: `Rscript failed or absent: ${(r.stderr || String(r.error)).trim().split('\n').slice(-1)[0]}` };
  }
  return res;
}

/** Largest (P(w_peer) − D_k)/P(w_peer) over the λ values, D_k the dual bound groupsparse certified. */
function peerSubopt(c: Case, coefs: Float64Array, intercepts: number[], duals: number[]): number {
  const groups = labelsOf(c.sizes);
  const prob = prepareProblem(c.X, c.y, { groups, loss: c.loss });
  const p = c.X.cols, n = c.X.rows;
  const eta = new Float64Array(n);
  let worst = 0;
  for (let k = 0; k < c.lambdas.length; k++) {
    const w = coefs.subarray(k * p, (k + 1) * p);
    prob.X.apply(Float64Array.from(w), eta);
    for (let i = 0; i < n; i++) eta[i] += intercepts[k];
    const ctx = prob.context(c.lambdas[k]);
    const P = prob.datafit.value(eta) + ctx.penalty.value(Float64Array.from(w));
    worst = Math.max(worst, (P - duals[k]) / Math.abs(P));
  }
  return worst;
}

export async function main(): Promise<void> {
  // Cross-validation fits folds on worker threads (default `workers`): start them before timing,
  // as a long-running program would have them (cv.grpreg runs on one core).
  const w0 = performance.now();
  const threads = availableThreads();
  const started = await startCvWorkers(threads);
  console.log(`cross-validation threads: ${started ? threads : 1} (worker start-up ${fmt((performance.now() - w0) / 1000)}, not timed); clock: ${CPU_CLOCK ? 'CPU time' : 'wall time'}`);
  const dir = mkdtempSync(join(tmpdir(), 'gs-peers-'));
  const table: string[] = [];
  try {
    for (const c of cases()) {
      if (ONLY && !ONLY.some((s) => c.label.includes(s))) continue;
      const groups = labelsOf(c.sizes);
      const A: FastDense = fastOperator(c.X);
      const one = c.lambdas.length === 1;
      const times: number[] = [];
      let duals: number[] = [];
      let worstGap = 0;
      const runOurs = () => {
        if (one) {
          const f = fitGroupLasso(A, c.y, { groups, loss: c.loss, lambda: c.lambdas[0], tol: TOL });
          if (!f.converged) throw new Error(`${c.label}: groupsparse did not converge (${f.status})`);
          duals = [f.dualObjective];
          worstGap = f.relativeGap;
        } else {
          const pth = groupLassoPath(A, c.y, { groups, loss: c.loss, lambdas: c.lambdas, tol: TOL });
          duals = pth.certificates.map((q) => q.objective - q.dualityGap);
          worstGap = Math.max(...pth.certificates.map((q) => (q.converged ? q.relativeGap : Infinity)));
        }
      };
      // Warm-up until the JIT has settled (as the peers' compiled code has): at least 3 runs, then
      // runs for 1.5 s (at most 5000). Thirty runs of a sub-millisecond fit left its median at 0.63
      // ms against 0.26 ms once optimized (birthwt, one λ): the compiler had not finished.
      const w0 = performance.now();
      for (let r = 0; r < 3 || (performance.now() - w0 < 1500 && r < 5000); r++) runOurs();
      const reps = repsOf(c);
      for (let r = 0; r < reps; r++) {
        const t0 = now();
        runOurs();
        times.push(now() - t0);
      }
      const ours = median(times);
      let cvOurs = NaN;
      let cvGap = 0;
      if (c.cv) {
        const ts: number[] = [];
        // The same warm-up as the path's: the folds run code the full path does not (row
        // subsets, non-orthonormal blocks), and its first runs are the JIT's, not the method's.
        const cw0 = performance.now();
        for (let r = 0; r < 1 || (performance.now() - cw0 < 1500 && r < 5000); r++) {
          cvGroupLasso(A, c.y, { groups, loss: c.loss, lambdas: c.lambdas, tol: TOL, nFolds: 10, seed: 100 + r });
        }
        for (let r = 0; r < reps; r++) {
          const t0 = now();
          const cv = cvGroupLasso(A, c.y, { groups, loss: c.loss, lambdas: c.lambdas, tol: TOL, nFolds: 10, seed: r + 1 });
          ts.push(now() - t0);
          cvGap = Math.max(cvGap, ...cv.path.certificates.map((q) => q.relativeGap));
        }
        cvOurs = median(ts);
      }
      const peers = runPeers(c, dir);
      let best = Infinity, bestName = '';
      const parts: string[] = [];
      for (const name of c.peers) {
        const r = peers[name];
        if (!r || r.skipped || r.seconds === undefined) {
          parts.push(`${name}: skipped (${r?.skipped ?? 'not run'})`);
          continue;
        }
        const buf = readFileSync(r.coefFile!);
        // A small file's Buffer is a view into a shared pool: copy exactly its bytes.
        const coefs = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        const sub = peerSubopt(c, coefs, r.intercepts!, duals);
        parts.push(`${name} ${fmt(r.seconds)} (subopt ${sub.toExponential(1)}${sub > 1e-6 ? '*' : ''})`);
        if (r.seconds < best) {
          best = r.seconds;
          bestName = name;
        }
      }
      const ratio = Number.isFinite(best) ? (ours / best).toFixed(2) : 'n/a';
      console.log(`${c.label}\n  groupsparse ${fmt(ours)} (max certified rel. gap ${worstGap.toExponential(1)}); ${parts.join('; ')}\n  ratio groupsparse / best peer (${bestName || 'none'}): ${ratio}`);
      table.push(`| ${c.label} | ${bestName ? `${bestName} ${fmt(best)}` : 'skipped'} | ${fmt(ours)} | ${ratio} |`);
      if (c.cv) {
        const g = peers.grpreg;
        const cvPeer = g && g.cvSeconds !== undefined ? g.cvSeconds : NaN;
        const cvRatio = Number.isFinite(cvPeer) ? (cvOurs / cvPeer).toFixed(2) : 'n/a';
        console.log(`  10-fold CV: groupsparse ${fmt(cvOurs)} (max certified rel. gap of the full path ${cvGap.toExponential(1)}); cv.grpreg ${Number.isFinite(cvPeer) ? fmt(cvPeer) : 'skipped'}; ratio ${cvRatio}`);
        table.push(`| 10-fold CV, ${c.label.replace('100-λ path, ', '')} | ${Number.isFinite(cvPeer) ? `cv.grpreg ${fmt(cvPeer)}` : 'skipped'} | ${fmt(cvOurs)} | ${cvRatio} |`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('\n| problem | best peer | groupsparse | groupsparse / best peer |\n|---|---|---|---|\n' + table.join('\n'));
}
