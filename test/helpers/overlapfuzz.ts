/**
 * Random overlapping-group problems for fuzzing fitOverlappingGroupLasso in both modes, built by
 * construction from a few parameters (so a failure shrinks to a small case), and the check that a
 * result can be trusted:
 * - latent mode is an ordinary group lasso on the explicitly duplicated design, so its result is
 *   checked by the independent certificate (test/helpers/independent.ts) on that design;
 * - consensus mode (squared loss) is checked against an upper bound on the optimum from two
 *   methods of the tests' own (restricted Newton and reweighted ridge): a converged fit must be
 *   within its tolerance of it, and its dual below it;
 * - every refusal must be a GroupSparseError; every unconverged result must say why.
 */
import fc from 'fast-check';
import { fitOverlappingGroupLasso, GroupSparseError, Random, type OverlapFitResult } from '../../src/index.ts';
import { checkResult, type PlainProblem } from './independent.ts';
import { optimumUpperBound, plainObjective } from '../overlap-helpers.ts';

export type OverlapQuirk = 'none' | 'duplicate' | 'constant' | 'scaled' | 'huge' | 'tiny';
export type OverlapLayout = 'random' | 'cover' | 'singletons' | 'chain';

export interface OverlapFuzzParams {
  seed: number;
  n: number;
  p: number;
  layout: OverlapLayout;
  nGroups: number;
  mode: 'latent' | 'consensus';
  loss: 'squared' | 'logistic' | 'poisson';
  /** λ as a fraction of max_g ‖X_gᵀ(y − ȳ)‖/(n d_g) (an upper bound on λ_max). */
  lambdaFrac: number;
  intercept: boolean;
  tol: number;
  quirk: OverlapQuirk;
}

export function overlapFuzzArb(): fc.Arbitrary<OverlapFuzzParams> {
  return fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    n: fc.integer({ min: 2, max: 30 }),
    p: fc.integer({ min: 1, max: 14 }),
    layout: fc.constantFrom<OverlapLayout>('random', 'random', 'cover', 'singletons', 'chain'),
    nGroups: fc.integer({ min: 1, max: 8 }),
    mode: fc.constantFrom('latent' as const, 'consensus' as const),
    loss: fc.constantFrom('squared' as const, 'squared' as const, 'logistic' as const, 'poisson' as const),
    lambdaFrac: fc.constantFrom(0, 1e-3, 0.05, 0.3, 0.7, 1, 1.5),
    intercept: fc.boolean(),
    tol: fc.constantFrom(1e-4, 1e-6, 1e-8, 1e-12, 1e-15),
    quirk: fc.constantFrom<OverlapQuirk>('none', 'none', 'duplicate', 'constant', 'scaled', 'huge', 'tiny'),
  });
}

export interface OverlapCase {
  X: number[][];
  y: number[];
  groups: number[][];
  lambda: number;
}

export function buildOverlapCase(q: OverlapFuzzParams): OverlapCase {
  const rng = new Random(q.seed);
  const { n, p } = q;
  const X: number[][] = [];
  for (let i = 0; i < n; i++) X.push(Array.from(rng.normals(p)));
  let groups: number[][];
  if (q.layout === 'cover') groups = [Array.from({ length: p }, (_, j) => j), ...Array.from({ length: Math.max(0, q.nGroups - 1) }, () => [rng.int(p)])];
  else if (q.layout === 'singletons') groups = [...Array.from({ length: p }, (_, j) => [j]), ...(p >= 2 ? [[0, p - 1]] : [])];
  else if (q.layout === 'chain') groups = Array.from({ length: Math.max(1, p - 1) }, (_, g) => (p >= 2 ? [g, g + 1] : [0]));
  else {
    groups = Array.from({ length: q.nGroups }, () => {
      const s = new Set<number>();
      const size = 1 + rng.int(Math.min(4, p));
      while (s.size < size) s.add(rng.int(p));
      return [...s].sort((a, b) => a - b);
    });
    const covered = new Set(groups.flat());
    for (let j = 0; j < p; j++) if (!covered.has(j)) groups[rng.int(groups.length)].push(j);
    for (const g of groups) g.sort((a, b) => a - b);
  }
  const beta = Array.from({ length: p }, (_, j) => (j % 3 === 0 ? rng.normal() : 0));
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    let e = 0.2;
    for (let j = 0; j < p; j++) e += X[i][j] * beta[j];
    if (q.loss === 'squared') y.push(e + 0.5 * rng.normal());
    else if (q.loss === 'logistic') y.push(rng.uniform() < 1 / (1 + Math.exp(-2 * e)) ? 1 : 0);
    else y.push(Math.round(Math.exp(Math.max(-2, Math.min(2, e))) * (0.5 + rng.uniform())));
  }
  if (p >= 2 && q.quirk === 'duplicate') for (const r of X) r[p - 1] = r[0];
  if (q.quirk === 'constant') for (const r of X) r[0] = 3;
  if (p >= 2 && q.quirk === 'scaled') for (const r of X) (r[0] *= 1e4), (r[p - 1] *= 1e-4);
  const s = q.quirk === 'huge' ? 1e140 : q.quirk === 'tiny' ? 1e-140 : 1;
  if (s !== 1) for (const r of X) for (let j = 0; j < p; j++) r[j] *= s;
  // λ from a bound above λ_max on centred data (the intercept's fit), in the design's units.
  const ym = y.reduce((a, b) => a + b, 0) / n;
  let bound = 0;
  for (const g of groups) {
    let ss = 0;
    for (const j of g) {
      const xm = X.reduce((a, r) => a + r[j], 0) / n;
      const c = X.reduce((a, r, i) => a + (r[j] - xm) * (y[i] - ym), 0) / n;
      ss += c * c;
    }
    bound = Math.max(bound, Math.sqrt(ss / g.length));
  }
  return { X, y, groups, lambda: q.lambdaFrac * bound };
}

export interface OverlapOutcome {
  kind: 'fit' | 'refused';
  failures: string[];
  converged?: boolean;
  status?: string;
  error?: string;
}

export function runOverlapCase(q: OverlapFuzzParams): OverlapOutcome {
  const c = buildOverlapCase(q);
  const opts = { groups: c.groups, lambda: c.lambda, mode: q.mode, loss: q.loss, fitIntercept: q.intercept, tol: q.tol, maxIter: 20_000 };
  let f: OverlapFitResult;
  const t0 = performance.now();
  try {
    f = fitOverlappingGroupLasso(c.X, c.y, opts);
  } catch (e) {
    if (e instanceof GroupSparseError) return { kind: 'refused', failures: [], error: e.message };
    return { kind: 'fit', failures: [`non-library error ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`] };
  }
  const secs = (performance.now() - t0) / 1000;
  const bad: string[] = [];
  if (secs > 60) bad.push(`took ${secs.toFixed(0)} s with no callback asked for`);
  if (!f.converged && !/^(max iterations reached|stalled: |diverged: )/.test(f.status)) bad.push(`not converged with status '${f.status}'`);
  if (f.mode === 'latent') {
    // The same fit on the explicitly duplicated design, checked from scratch.
    const L = f.latent!;
    const dupCols: number[] = [];
    const blocks: number[][] = [];
    const weights: number[] = [];
    for (let g = 0; g < L.nGroups; g++) {
      const m = L.members(g);
      blocks.push(Array.from(m, (_, k) => dupCols.length + k));
      for (const j of m) dupCols.push(j);
      weights.push(Math.sqrt(m.length));
    }
    const P: PlainProblem = {
      X: c.X.map((r) => dupCols.map((j) => r[j])), Y: c.y.map((v) => [v]), loss: q.loss, groups: blocks, weights,
      lambda: c.lambda, fitIntercept: q.intercept,
    };
    const groupNorms = new Float64Array(L.nGroups);
    for (let g = 0; g < L.nGroups; g++) groupNorms[g] = Math.hypot(...L.part(g));
    const active: number[] = [];
    groupNorms.forEach((v, g) => v > 0 && active.push(g));
    const unconfirmed: string[] = [];
    bad.push(...checkResult(P, { ...f, coef: Float64Array.from(L.values), groupNorms, activeGroups: active }, { tol: q.tol, stopOn: 'gap', unconfirmed }));
  } else if (f.converged && q.loss === 'squared' && q.intercept) {
    const d = { X: c.X, y: c.y, n: c.X.length, p: c.X[0].length };
    const P = plainObjective(d, f.coef, f.intercept, c.groups, c.lambda);
    // The objective's scale: F(0) = ‖y‖²/(2n) bounds every term the loss sums.
    const scale = Math.max(Math.abs(P), c.y.reduce((a, v) => a + v * v, 0) / (2 * d.n));
    if (!(Math.abs(P - f.objective) <= 1e-10 * scale)) bad.push(`objective ${f.objective} but recomputed ${P}`);
    const U = optimumUpperBound(d, c.groups, c.lambda, f.coef);
    const slack = Math.max(q.tol, 1e-11) * Math.abs(P) * 1.01 + Math.max(f.roundingFloor.gap, 1e-13 * scale) * 10;
    if (P - U > slack) bad.push(`converged at relative gap ${f.relativeGap} but a point with objective ${U} is ${(P - U) / P} below (relative)`);
    if (f.dualObjective > U + 1e-12 * scale) bad.push(`dual ${f.dualObjective} above an attained objective ${U}`);
  }
  return { kind: 'fit', failures: bad, converged: f.converged, status: f.status };
}
