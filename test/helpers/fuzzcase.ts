/**
 * Random group-sparse problems for fuzzing, built by construction from a handful of parameters
 * (so fast-check shrinks a failure to a small, readable case), and the check that a fit on one of
 * them can be trusted. Shared by test/fuzz.test.ts (CI-sized) and scripts/fuzz.ts (long run).
 */
import fc from 'fast-check';
import {
  fitGroupLasso, fitSparseGroupLasso, GroupSparseError, lambdaMax, Random, solverNames, type FitResult,
} from '../../src/index.ts';
import { checkResult, type PlainProblem } from './independent.ts';

export type FuzzLoss = 'squared' | 'logistic' | 'poisson' | 'multitask';
export type Quirk = 'none' | 'duplicate' | 'constant' | 'zero' | 'scaled' | 'collinear';

export interface FuzzParams {
  seed: number;
  n: number;
  p: number;
  /** Number of groups asked for (clipped to p). */
  nGroups: number;
  /** Leave the last chunk of columns in no group (ungrouped: 'unpenalized'). */
  leaveUngrouped: boolean;
  loss: FuzzLoss;
  /** Tasks for 'multitask'. */
  T: number;
  weightMode: 'default' | 'one' | 'random' | 'withZeros';
  /** λ as a fraction of λ_max (0 and ≥ 1 included). */
  lambdaFrac: number;
  solver: string;
  intercept: boolean;
  /** α for the sparse-group lasso, or null for the group lasso. */
  alpha: number | null;
  tol: number;
  stopOn: 'gap' | 'kkt' | 'both';
  maxIter: number;
  quirk: Quirk;
}

/** fast-check arbitrary over the parameters; solvers are whatever is registered right now. */
export function fuzzParamsArb(maxIter = 4000): fc.Arbitrary<FuzzParams> {
  return fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    n: fc.integer({ min: 2, max: 24 }),
    p: fc.integer({ min: 1, max: 30 }),
    nGroups: fc.integer({ min: 1, max: 8 }),
    leaveUngrouped: fc.boolean(),
    loss: fc.constantFrom<FuzzLoss>('squared', 'logistic', 'poisson', 'multitask'),
    T: fc.integer({ min: 2, max: 3 }),
    weightMode: fc.constantFrom('default' as const, 'one' as const, 'random' as const, 'withZeros' as const),
    lambdaFrac: fc.constantFrom(0, 1e-3, 0.05, 0.3, 0.7, 0.99, 1, 1.5),
    solver: fc.constantFrom(...solverNames()),
    intercept: fc.boolean(),
    alpha: fc.constantFrom(null, null, 0, 0.3, 0.95, 1),
    tol: fc.constantFrom(1e-4, 1e-6, 1e-8),
    stopOn: fc.constantFrom('gap' as const, 'gap' as const, 'kkt' as const, 'both' as const),
    maxIter: fc.constant(maxIter),
    quirk: fc.constantFrom<Quirk>('none', 'none', 'duplicate', 'constant', 'zero', 'scaled', 'collinear'),
  });
}

export interface FuzzCase {
  params: FuzzParams;
  problem: Omit<PlainProblem, 'lambda'>;
  /** The `groups`/`weights`/`ungrouped` options passed to the library. */
  options: { groups: number[][]; weights?: number[] | 'one'; ungrouped?: 'unpenalized'; loss: 'squared' | 'logistic' | 'poisson' | 'multitask'; fitIntercept: boolean };
  /** y as passed to the library (vector, or rows for multitask). */
  y: number[] | number[][];
}

function poissonDraw(rng: Random, mean: number): number {
  const L = Math.exp(-mean);
  let k = 0;
  let prod = rng.uniform();
  while (prod > L) {
    k++;
    prod *= rng.uniform();
  }
  return k;
}

/** Build the data of a case from its parameters (deterministic in the seed). */
export function buildCase(params: FuzzParams): FuzzCase {
  const rng = new Random(params.seed);
  const { n, p } = params;
  const X: number[][] = [];
  for (let i = 0; i < n; i++) X.push(Array.from(rng.normals(p)));
  // Partition by construction: shuffle the columns and cut into non-empty chunks.
  const perm = Array.from({ length: p }, (_, j) => j);
  rng.shuffle(perm);
  const k = Math.min(params.nGroups, p);
  const cuts = new Set<number>();
  while (cuts.size < k - 1) cuts.add(1 + rng.int(p - 1));
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), p];
  let chunks = bounds.slice(0, -1).map((b, q) => perm.slice(b, bounds[q + 1]));
  let ungrouped: number[] = [];
  if (params.leaveUngrouped && chunks.length >= 2) {
    ungrouped = chunks[chunks.length - 1];
    chunks = chunks.slice(0, -1);
  }
  const T = params.loss === 'multitask' ? params.T : 1;
  const loss = params.loss === 'multitask' ? 'squared' : params.loss;
  // Sparse truth over groups.
  const beta: number[][] = Array.from({ length: T }, () => new Array<number>(p).fill(0));
  chunks.forEach((g, gi) => {
    if (gi % 2 === 0) for (let t = 0; t < T; t++) for (const j of g) beta[t][j] = rng.normal() / Math.sqrt(p);
  });
  for (let t = 0; t < T; t++) for (const j of ungrouped) beta[t][j] = 0.3 * rng.normal();
  const Y: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let t = 0; t < T; t++) {
      let e = 0.2;
      for (let j = 0; j < p; j++) e += X[i][j] * beta[t][j];
      if (loss === 'squared') row.push(e + 0.5 * rng.normal());
      else if (loss === 'logistic') row.push(rng.uniform() < 1 / (1 + Math.exp(-2 * e)) ? 1 : 0);
      else row.push(poissonDraw(rng, Math.exp(Math.max(-3, Math.min(2, e)))));
    }
    Y.push(row);
  }
  // Column quirks that break naive code (applied after drawing the response): exact duplicates,
  // constants, zeros, badly scaled columns, a group whose columns are exactly collinear.
  if (p >= 2) {
    const a = perm[0];
    const b = perm[p - 1];
    if (params.quirk === 'duplicate') for (const r of X) r[b] = r[a];
    if (params.quirk === 'constant') for (const r of X) r[a] = 3;
    if (params.quirk === 'zero') for (const r of X) r[a] = 0;
    if (params.quirk === 'scaled') {
      for (const r of X) r[a] *= 1e4;
      for (const r of X) r[b] *= 1e-4;
    }
    if (params.quirk === 'collinear') {
      const g = chunks[0];
      for (const r of X) for (let q = 1; q < g.length; q++) r[g[q]] = (q + 1) * r[g[0]];
    }
  }
  const sizes = chunks.map((g) => g.length);
  let weights: number[];
  let optWeights: number[] | 'one' | undefined;
  switch (params.weightMode) {
    case 'default':
      weights = sizes.map(Math.sqrt);
      optWeights = undefined;
      break;
    case 'one':
      weights = sizes.map(() => 1);
      optWeights = 'one';
      break;
    case 'random':
      weights = sizes.map(() => 0.2 + 3 * rng.uniform());
      optWeights = weights;
      break;
    default:
      weights = sizes.map((s) => (rng.uniform() < 0.3 ? 0 : Math.sqrt(s)));
      optWeights = weights;
  }
  const options: FuzzCase['options'] = {
    groups: chunks, loss: params.loss, fitIntercept: params.intercept,
    ...(optWeights !== undefined ? { weights: optWeights } : {}),
    ...(ungrouped.length > 0 ? { ungrouped: 'unpenalized' as const } : {}),
  };
  return {
    params,
    problem: { X, Y, loss, groups: chunks, weights, alpha: params.alpha ?? undefined, fitIntercept: params.intercept },
    options,
    y: T === 1 ? Y.map((r) => r[0]) : Y,
  };
}

export interface FuzzOutcome {
  /** 'fit': a result came back; 'refused': a library error (fine: e.g. separable at λ = 0). */
  kind: 'fit' | 'refused';
  failures: string[];
  /** Certified gaps the checker could not confirm although no reference solve contradicts them. */
  unconfirmed?: string[];
  converged?: boolean;
  status?: string;
  error?: string;
  lambda?: number;
}

/** Run one case and list everything untrustworthy about what came back. */
export function runCase(params: FuzzParams): FuzzOutcome {
  const c = buildCase(params);
  const sparse = params.alpha !== null;
  let lambda = NaN;
  try {
    const lm = lambdaMax(c.problem.X, c.y, sparse ? { ...c.options, alpha: params.alpha! } : c.options);
    if (!(Number.isFinite(lm) && lm >= 0)) return { kind: 'fit', failures: [`lambdaMax returned ${lm}`] };
    // λ_max at rounding level of Xᵀy (the penalized columns lie in the span of the unpenalized
    // ones) is 0 in exact arithmetic; a λ made from it would only measure rounding.
    let xty = 0;
    for (let j = 0; j < c.problem.X[0].length; j++) {
      for (let t = 0; t < c.problem.Y[0].length; t++) {
        let s = 0;
        for (let i = 0; i < c.problem.X.length; i++) s += Math.abs(c.problem.X[i][j] * c.problem.Y[i][t]);
        xty = Math.max(xty, s / c.problem.X.length);
      }
    }
    lambda = lm <= 1e-12 * xty ? 0 : params.lambdaFrac * lm;
    const solve = { lambda, solver: params.solver as 'fista', tol: params.tol, stopOn: params.stopOn, maxIter: params.maxIter };
    const fit: FitResult = sparse
      ? fitSparseGroupLasso(c.problem.X, c.y, { ...c.options, ...solve, alpha: params.alpha! })
      : fitGroupLasso(c.problem.X, c.y, { ...c.options, ...solve });
    const refine = (): (FitResult | null)[] => {
      // Points with a much smaller KKT violation, whose rescaled gradients are near-optimal dual
      // points. Any point is a valid source of a dual point, so an unconverged one is used too.
      // Gap and KKT both at rounding level (a run usually ends on its stall rule there); cold
      // starts, as the returned point itself may be where the method can no longer move; two
      // methods, as FISTA can stall on a nearly separable logistic problem where Newton does not.
      const second = params.loss === 'logistic' || params.loss === 'poisson' ? 'proxNewton' : 'bcd';
      return (['fista', second] as const).map((solver) => {
        const o = { lambda, solver, stopOn: 'both' as const, tol: 1e-14, maxIter: 30_000 };
        try {
          return sparse
            ? fitSparseGroupLasso(c.problem.X, c.y, { ...c.options, ...o, alpha: params.alpha! })
            : fitGroupLasso(c.problem.X, c.y, { ...c.options, ...o });
        } catch (e) {
          if (e instanceof GroupSparseError) return null; // this method does not take the problem
          throw e;
        }
      });
    };
    const unconfirmed: string[] = [];
    const failures = checkResult({ ...c.problem, lambda }, fit, { tol: params.tol, stopOn: params.stopOn, unconfirmed }, refine);
    // λ > λ_max > 0: every penalized group is exactly zero.
    if (fit.converged && params.lambdaFrac > 1 && lambda > 0) {
      c.problem.groups.forEach((_, gi) => {
        if (c.problem.weights[gi] > 0 && fit.groupNorms[gi] !== 0) failures.push(`λ = ${params.lambdaFrac}·λ_max but group ${gi} is nonzero`);
      });
    }
    return { kind: 'fit', failures, unconfirmed, converged: fit.converged, status: fit.status, lambda };
  } catch (e) {
    if (e instanceof GroupSparseError) {
      const why = unjustifiedRefusal(c, e.message, e.message.startsWith('lambdaMax') ? 1 : lambda);
      return { kind: 'refused', failures: why ? [why] : [], error: e.message, lambda };
    }
    return { kind: 'fit', failures: [`threw a non-library error: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`], lambda };
  }
}

/** Orthonormal basis of the columns (Gram–Schmidt twice, dependent columns dropped). */
function orthonormalBasis(cols: number[][], n: number): number[][] {
  const basis: number[][] = [];
  for (const a of cols) {
    const v = a.slice();
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= d * q[i];
      }
    }
    const nv = Math.hypot(...v);
    if (nv > 1e-9 * Math.hypot(...a) && nv > 0) basis.push(v.map((x) => x / nv));
  }
  return basis;
}

/**
 * A refusal must be justified: "no finite optimum" needs a witness that the unpenalized part
 * (intercept, weight-0 and ungrouped columns; every column at λ = 0) really runs off — for the
 * logistic loss a direction in span(A) separating the labels (rank(A) = n, or found by a
 * perceptron on normalized columns), for Poisson a direction that sends the zero-count rows to
 * −∞ while leaving the others fixed. Returns why a refusal is unjustified, or null.
 */
function unjustifiedRefusal(c: FuzzCase, message: string, lambda: number): string | null {
  if (!/no finite optimum/.test(message)) return null; // other refusals (all one class, …) are checked by the bad-input matrix
  if (/labels are all|targets are all/.test(message)) {
    const y = c.problem.Y.map((r) => r[0]);
    return y.every((v) => v === y[0]) ? null : `refused as single-class but the labels vary: ${message}`;
  }
  const X = c.problem.X;
  const n = X.length;
  const p = X[0].length;
  const inGroup = new Array<boolean>(p).fill(false);
  for (const g of c.problem.groups) for (const j of g) inGroup[j] = true;
  const cols: number[][] = [];
  if (c.problem.fitIntercept) cols.push(new Array<number>(n).fill(1));
  for (let j = 0; j < p; j++) if (!inGroup[j]) cols.push(X.map((r) => r[j]));
  c.problem.groups.forEach((g, gi) => {
    if (lambda === 0 || !(c.problem.weights[gi] > 0)) for (const j of g) cols.push(X.map((r) => r[j]));
  });
  const y = c.problem.Y.map((r) => r[0]);
  const basis = orthonormalBasis(cols, n);
  // Target directions: logistic ±1 by label; Poisson −1 on zero counts, 0 elsewhere.
  const target = c.problem.loss === 'logistic' ? y.map((v) => 2 * v - 1) : y.map((v) => (v === 0 ? -1 : 0));
  if (c.problem.loss === 'poisson' && !target.some((t) => t < 0)) return `Poisson refusal without a zero count: ${message}`;
  // Exactly reachable in span(A)?
  const proj = new Array<number>(n).fill(0);
  for (const q of basis) {
    let d = 0;
    for (let i = 0; i < n; i++) d += q[i] * target[i];
    for (let i = 0; i < n; i++) proj[i] += d * q[i];
  }
  if (Math.hypot(...proj.map((v, i) => v - target[i])) <= 1e-8 * Math.sqrt(n)) return null;
  if (c.problem.loss === 'poisson') {
    // Directions in span(A) that vanish on the rows with positive counts (null space of those
    // rows of the basis), then a perceptron for one that is negative on every zero-count row.
    const pos = y.map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0);
    const zero = y.map((v, i) => (v === 0 ? i : -1)).filter((i) => i >= 0);
    const r = basis.length;
    const rowSpace = orthonormalBasis(pos.map((i) => basis.map((q) => q[i])), r);
    const nullSpace = orthonormalBasis(Array.from({ length: r }, (_, k) => Array.from({ length: r }, (_, l) => (l === k ? 1 : 0))), r)
      .map((e) => {
        const v = e.slice();
        for (const q of rowSpace) {
          const d = q.reduce((acc, x, l) => acc + x * v[l], 0);
          for (let l = 0; l < r; l++) v[l] -= d * q[l];
        }
        return v;
      })
      .filter((v) => Math.hypot(...v) > 1e-9);
    const dirs = orthonormalBasis(nullSpace, r).map((z) => Array.from({ length: n }, (_, i) => basis.reduce((acc, q, k) => acc + q[i] * z[k], 0)));
    if (dirs.length > 0) {
      const w = new Array<number>(dirs.length).fill(0);
      for (let it = 0; it < 100_000; it++) {
        let clean = true;
        for (const i of zero) {
          let m = 0;
          for (let k = 0; k < dirs.length; k++) m += dirs[k][i] * w[k];
          if (m >= 0) {
            clean = false;
            for (let k = 0; k < dirs.length; k++) w[k] -= dirs[k][i];
          }
        }
        if (clean) return null;
      }
    }
  }
  if (c.problem.loss === 'logistic') {
    // Perceptron in the basis coordinates (scale-free): converges iff strictly separable.
    const w = new Array<number>(basis.length).fill(0);
    // (R/γ)² updates suffice for margin γ with rows of norm R ≤ 1 here: allow up to ~10⁶.
    for (let it = 0; it < 300_000; it++) {
      let clean = true;
      for (let i = 0; i < n; i++) {
        let m = 0;
        for (let k = 0; k < basis.length; k++) m += basis[k][i] * w[k];
        if (target[i] * m <= 0) {
          clean = false;
          for (let k = 0; k < basis.length; k++) w[k] += target[i] * basis[k][i];
        }
      }
      if (clean) return null;
    }
    // Tiny margins defeat the perceptron: minimize the logistic loss itself by damped Newton in
    // the orthonormal coordinates and look for a point where every margin is positive (any point
    // with loss < log(2)/n is one, and such points exist only for separable labels).
    const r = basis.length;
    const z = new Array<number>(r).fill(0);
    const lossAt = (v: number[]): { f: number; m: number[] } => {
      const m = target.map((t, i) => t * basis.reduce((acc, q, k) => acc + q[i] * v[k], 0));
      return { f: m.reduce((acc, mi) => acc + (mi > 0 ? Math.log1p(Math.exp(-mi)) : -mi + Math.log1p(Math.exp(mi))), 0), m };
    };
    let cur = lossAt(z);
    for (let it = 0; it < 300; it++) {
      if (cur.m.every((mi) => mi > 0)) return null;
      const g = new Array<number>(r).fill(0);
      const H = Array.from({ length: r }, () => new Array<number>(r + 1).fill(0));
      for (let i = 0; i < n; i++) {
        const sg = 1 / (1 + Math.exp(cur.m[i])); // σ(−m)
        const d = -target[i] * sg;
        const h = sg * (1 - sg) + 1e-12;
        for (let a = 0; a < r; a++) {
          g[a] += d * basis[a][i];
          for (let b = 0; b < r; b++) H[a][b] += h * basis[a][i] * basis[b][i];
        }
      }
      for (let a = 0; a < r; a++) H[a][r] = g[a];
      for (let c = 0; c < r; c++) { // Gaussian elimination with partial pivoting
        let piv = c;
        for (let q = c + 1; q < r; q++) if (Math.abs(H[q][c]) > Math.abs(H[piv][c])) piv = q;
        [H[c], H[piv]] = [H[piv], H[c]];
        for (let q = c + 1; q < r; q++) {
          const f = H[q][c] / H[c][c];
          for (let k = c; k <= r; k++) H[q][k] -= f * H[c][k];
        }
      }
      const step = new Array<number>(r).fill(0);
      for (let q = r - 1; q >= 0; q--) {
        let acc = H[q][r];
        for (let k = q + 1; k < r; k++) acc -= H[q][k] * step[k];
        step[q] = acc / H[q][q];
      }
      let t = 1;
      let next = cur;
      for (let ls = 0; ls < 50; ls++, t /= 2) {
        next = lossAt(z.map((v, k) => v - t * step[k]));
        if (next.f < cur.f) break;
      }
      if (!(next.f < cur.f)) break;
      for (let k = 0; k < r; k++) z[k] -= t * step[k];
      cur = next;
    }
  }
  return `refusal without a witness of a run-off (${c.problem.loss}, n = ${n}, ${basis.length} independent unpenalized columns): ${message}`;
}
