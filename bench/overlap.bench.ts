/**
 * `npm run bench overlap`: the latent group lasso through the implicit operator X·P
 * (LatentDesign) against the same problem on the explicitly duplicated design, on a problem with
 * heavy overlap: n = 2000, p = 2000, groups = sliding windows of 10 features with stride 2, so every
 * feature is in 5 groups and the duplicated design has Σ_g p_g = 10 000 columns (160 MB).
 *
 * Each way runs in its own child process (same data from the same seed), which reports its peak
 * resident set size (`process.resourceUsage().maxRSS`) above its baseline after generating the
 * data, the bytes of the arrays the design owns beyond X, and the time to build and fit. Both fits
 * run FISTA from the same start with the same λ and tolerance, so they take the same iterations;
 * the printed ratios compare them. Sizes can be changed with BENCH_OVERLAP_N / _P / _ITER.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  DenseMatrix, fitGroupLasso, fitOverlappingGroupLasso, lambdaMax, LatentDesign, makeGroups, Random,
} from '../src/index.ts';
import { prepareProblem } from '../src/extend.ts';

const here = fileURLToPath(import.meta.url);
const N = Number(process.env.BENCH_OVERLAP_N ?? 2000);
const P = Number(process.env.BENCH_OVERLAP_P ?? 2000);
const MAX_ITER = Number(process.env.BENCH_OVERLAP_ITER ?? 300);
const WINDOW = 10;
const STRIDE = 2;

interface ChildReport {
  way: string;
  lambda: number;
  buildMs: number;
  fitMs: number;
  iterations: number;
  objective: number;
  relativeGap: number;
  converged: boolean;
  designBytes: number;
  rssBaselineMB: number;
  rssPeakMB: number;
  activeGroups: number;
}

function makeProblem(): { X: DenseMatrix; y: Float64Array; groups: number[][] } {
  const rng = new Random(2024);
  const X = new DenseMatrix(N, P, rng.normals(N * P));
  const groups: number[][] = [];
  for (let s = 0; s < P; s += STRIDE) groups.push(Array.from({ length: WINDOW }, (_, k) => (s + k) % P));
  // Signal on the union of a few windows.
  const beta = new Float64Array(P);
  for (const g of [3, 4, 40, 41, 42, 500]) for (const j of groups[g % groups.length]) beta[j] = rng.normal();
  const y = new Float64Array(N);
  X.apply(beta, y);
  for (let i = 0; i < N; i++) y[i] += 0.5 * rng.normal();
  return { X, y, groups };
}

function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in kilobytes
}

/** The plain overlapping norm on the same data by consensus ADMM (a different model: no ratio). */
function childConsensus(): void {
  const { X, y, groups } = makeProblem();
  globalThis.gc?.();
  const rssBaselineMB = process.memoryUsage().rss / 2 ** 20;
  const t = performance.now();
  const fit = fitOverlappingGroupLasso(X, y, { groups, lambda: 0.15, mode: 'consensus' });
  const ms = performance.now() - t;
  process.stdout.write(`${JSON.stringify({
    ms, iterations: fit.iterations, relativeGap: fit.relativeGap, converged: fit.converged, admm: fit.admm,
    active: fit.activeGroups.length, support: fit.support.length, rssBaselineMB, rssPeakMB: peakRssMB(),
  })}\n`);
}

function child(way: 'latent' | 'duplicated'): void {
  const { X, y, groups } = makeProblem();
  globalThis.gc?.();
  const rssBaselineMB = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  const gs = makeGroups(groups, P, { allowOverlap: true });
  let design: DenseMatrix | LatentDesign;
  let blocks: { ptr: Int32Array; indices: Int32Array };
  if (way === 'latent') {
    design = new LatentDesign(X, gs);
    blocks = design.latentGroups;
  } else {
    // X with every column repeated once per group that holds it, groups one after another.
    const m = gs.indices.length;
    const D = new DenseMatrix(N, m);
    for (let k = 0; k < m; k++) D.data.set(X.column(gs.indices[k]), k * N);
    design = D;
    blocks = makeGroups(groups.map((g, q) => g.map((_, r) => q * WINDOW + r)), m);
  }
  const buildMs = performance.now() - t0;
  // Storage the design owns beyond X: the latent operator's two work vectors of length p and its
  // latent-group index arrays, or the duplicate's n × Σp_g entries.
  const designBytes = design instanceof LatentDesign
    ? 2 * P * 8 + design.latentGroups.indices.byteLength + design.latentGroups.groupOf.byteLength
    : design.data.byteLength;
  const spec = way === 'latent' ? (design as LatentDesign).latentGroups : blocks as never;
  const lambda = 0.3 * lambdaMax(design, y, { groups: spec });
  const t1 = performance.now();
  const fit = way === 'latent'
    ? prepareProblem(design, y, { groups: spec }).fit(lambda, { solver: 'fista', tol: 1e-7, maxIter: MAX_ITER })
    : fitGroupLasso(design, y, { groups: spec, lambda, solver: 'fista', tol: 1e-7, maxIter: MAX_ITER });
  const fitMs = performance.now() - t1;
  const report: ChildReport = {
    way, lambda, buildMs, fitMs, iterations: fit.iterations, objective: fit.objective, relativeGap: fit.relativeGap,
    converged: fit.converged, designBytes, rssBaselineMB, rssPeakMB: peakRssMB(), activeGroups: fit.activeGroups.length,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function runChild(way: 'consensus'): Record<string, unknown> & { ms: number; rssPeakMB: number; rssBaselineMB: number };
function runChild(way: 'latent' | 'duplicated'): ChildReport;
function runChild(way: string): unknown {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', here, '--child', way], {
    encoding: 'utf8', env: process.env, maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`child ${way} failed:\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line);
}

export async function main(): Promise<void> {
  console.log(`latent group lasso, n = ${N}, p = ${P}, windows of ${WINDOW} with stride ${STRIDE} ` +
    `(each feature in ${WINDOW / STRIDE} groups, ${(P / STRIDE) * WINDOW} latent columns), FISTA, maxIter ${MAX_ITER}`);
  const lat = runChild('latent');
  const dup = runChild('duplicated');
  const rows = [lat, dup].map((r) => ({
    way: r.way,
    'design MB': (r.designBytes / 2 ** 20).toFixed(1),
    'peak RSS MB': r.rssPeakMB.toFixed(0),
    'peak − baseline MB': (r.rssPeakMB - r.rssBaselineMB).toFixed(0),
    'build ms': r.buildMs.toFixed(0),
    'fit ms': r.fitMs.toFixed(0),
    iterations: r.iterations,
    'ms/iter': (r.fitMs / Math.max(r.iterations, 1)).toFixed(1),
    'rel. gap': r.relativeGap.toExponential(1),
    active: r.activeGroups,
  }));
  console.table(rows);
  const relObj = Math.abs(lat.objective - dup.objective) / dup.objective;
  console.log(`same problem: λ ${lat.lambda.toPrecision(6)} vs ${dup.lambda.toPrecision(6)}, objectives differ by ${relObj.toExponential(1)} (relative)`);
  console.log(`ratios duplicated / latent: design memory ${(dup.designBytes / Math.max(lat.designBytes, 1)).toFixed(1)}×, ` +
    `peak RSS above baseline ${((dup.rssPeakMB - dup.rssBaselineMB) / Math.max(lat.rssPeakMB - lat.rssBaselineMB, 1)).toFixed(1)}×, ` +
    `peak RSS ${(dup.rssPeakMB / lat.rssPeakMB).toFixed(2)}×, ` +
    `fit time ${(dup.fitMs / lat.fitMs).toFixed(2)}×, build + fit time ${((dup.fitMs + dup.buildMs) / (lat.fitMs + lat.buildMs)).toFixed(2)}×`);
  const cons = runChild('consensus');
  console.log(`plain norm on the same data (consensus ADMM, λ = 0.15, tol 1e-6): ${(cons.ms / 1000).toFixed(1)} s, ` +
    `peak RSS ${cons.rssPeakMB.toFixed(0)} MB (+${(cons.rssPeakMB - cons.rssBaselineMB).toFixed(0)} MB), ${JSON.stringify({
      iterations: cons.iterations, converged: cons.converged, relativeGap: cons.relativeGap, active: cons.active, admm: cons.admm,
    })}`);
}

if (process.argv[1] === here && process.argv[2] === '--child') {
  if (process.argv[3] === 'consensus') childConsensus();
  else child(process.argv[3] as 'latent' | 'duplicated');
}
