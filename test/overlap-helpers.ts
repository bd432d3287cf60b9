/**
 * Naive oracles for the overlapping-group tests: plain loops over arrays of rows, written apart from
 * the library code so they check it rather than repeat it.
 */
import { Random } from '../src/index.ts';

export interface Data {
  X: number[][];
  y: number[];
  n: number;
  p: number;
}

/** Gaussian design, y = Xβ + b0 + σ·noise. */
export function makeData(seed: number, n: number, beta: number[], sigma = 0.1, b0 = 0.5): Data {
  const rng = new Random(seed);
  const p = beta.length;
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const r: number[] = [];
    let s = b0;
    for (let j = 0; j < p; j++) {
      r.push(rng.normal());
      s += r[j] * beta[j];
    }
    X.push(r);
    y.push(s + sigma * rng.normal());
  }
  return { X, y, n, p };
}

/** The explicitly duplicated design: group g's members repeated as columns, groups one after another. */
export function duplicate(X: number[][], groups: number[][]): { Xd: number[][]; blocks: number[][] } {
  const Xd = X.map((row) => groups.flatMap((g) => g.map((j) => row[j])));
  const blocks: number[][] = [];
  let k = 0;
  for (const g of groups) {
    blocks.push(g.map(() => k++));
  }
  return { Xd, blocks };
}

export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** Residual-based gradient of the squared loss: ∇_j = −(1/n) Σ_i x_ij (y_i − b − x_iᵀw), and r. */
export function squaredGradient(d: Data, w: ArrayLike<number>, b: number): { grad: number[]; r: number[] } {
  const r = d.y.map((yi, i) => yi - b - d.X[i].reduce((s, x, j) => s + x * w[j], 0));
  const grad: number[] = [];
  for (let j = 0; j < d.p; j++) {
    let s = 0;
    for (let i = 0; i < d.n; i++) s += d.X[i][j] * r[i];
    grad.push(-s / d.n);
  }
  return { grad, r };
}

/** (1/(2n))‖y − b − Xw‖² + λ Σ_g d_g ‖w_g‖ (the plain overlapping objective). */
export function plainObjective(d: Data, w: ArrayLike<number>, b: number, groups: number[][], lambda: number, weights?: number[]): number {
  const { r } = squaredGradient(d, w, b);
  let pen = 0;
  groups.forEach((g, q) => {
    const dg = weights ? weights[q] : Math.sqrt(g.length);
    pen += dg * norm(g.map((j) => w[j]));
  });
  return r.reduce((s, v) => s + v * v, 0) / (2 * d.n) + lambda * pen;
}

/** Solve A x = b (dense, Gaussian elimination with partial pivoting). */
export function solveDense(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/** Column means, response mean, centred Gram matrix XcᵀXc/n and Xcᵀ(y − ȳ)/n (the intercept profiled out). */
function centredGram(d: Data): { xm: number[]; ym: number; G: number[][]; c: number[] } {
  const { n, p } = d;
  const xm = Array.from({ length: p }, (_, j) => d.X.reduce((s, r) => s + r[j], 0) / n);
  const ym = d.y.reduce((s, v) => s + v, 0) / n;
  const G: number[][] = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const c = new Array<number>(p).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const a = d.X[i][j] - xm[j];
      c[j] += (a * (d.y[i] - ym)) / n;
      for (let k = 0; k < p; k++) G[j][k] += (a * (d.X[i][k] - xm[k])) / n;
    }
  }
  return { xm, ym, G, c };
}

/**
 * Second method for the plain overlapping problem (squared loss, intercept): iteratively reweighted
 * ridge from the variational form ‖x‖ = min_{η>0} (‖x‖²/η + η)/2 (an MM algorithm, monotone in the
 * smoothed objective), with η_g floored at `eps`. Returns w, b and the exact objective at them.
 */
export function irlsPlain(d: Data, groups: number[][], lambda: number, iters = 3000, eps = 1e-13): { w: number[]; b: number; objective: number } {
  const { n, p } = d;
  const { xm, ym, G, c } = centredGram(d);
  let w = solveDense(G.map((row, j) => row.map((v, k) => v + (j === k ? 1e-3 : 0))), c);
  for (let it = 0; it < iters; it++) {
    const diag = new Array<number>(p).fill(0);
    for (const g of groups) {
      const eta = Math.max(norm(g.map((j) => w[j])), eps);
      for (const j of g) diag[j] += (lambda * Math.sqrt(g.length)) / eta;
    }
    w = solveDense(G.map((row, j) => row.map((v, k) => v + (j === k ? diag[j] : 0))), c);
  }
  const b = ym - w.reduce((s, v, j) => s + v * xm[j], 0);
  return { w, b, objective: plainObjective(d, w, b, groups, lambda) };
}

/**
 * A tight reference for the plain overlapping problem (squared loss, intercept), by a method of
 * its own: with the groups in `zero` held at 0, the objective is smooth in the other features
 * (every other group's norm stays away from 0 near a solution), so damped Newton on it — dense,
 * naive, from `w0` — reaches machine precision in a few steps. Its value is the optimum of a
 * restricted problem, hence ≥ the true optimum: P(w) − value is a lower bound on the
 * suboptimality of any w, whatever `zero` is.
 */
export function restrictedNewtonPlain(
  d: Data, groups: number[][], lambda: number, zero: number[], w0: ArrayLike<number>,
): { w: number[]; b: number; objective: number } {
  const { n, p } = d;
  const { xm, ym, G, c } = centredGram(d);
  const held = new Set(zero.flatMap((g) => groups[g]));
  const free = Array.from({ length: p }, (_, j) => j).filter((j) => !held.has(j));
  const live = groups.map((g, q) => ({ q, members: g.filter((j) => !held.has(j)) })).filter((g) => !zero.includes(g.q) && g.members.length > 0);
  const f = (w: number[]): number => {
    let q = 0;
    for (let j = 0; j < p; j++) {
      q -= c[j] * w[j];
      for (let k = 0; k < p; k++) q += 0.5 * w[j] * G[j][k] * w[k];
    }
    for (const g of live) q += lambda * Math.sqrt(groups[g.q].length) * norm(g.members.map((j) => w[j]));
    return q;
  };
  let w = Array.from({ length: p }, (_, j) => (held.has(j) ? 0 : w0[j]));
  for (let it = 0; it < 100; it++) {
    const grad = new Array<number>(p).fill(0);
    const H: number[][] = Array.from({ length: p }, (_, j) => G[j].slice());
    for (let j = 0; j < p; j++) grad[j] = G[j].reduce((s, v, k) => s + v * w[k], 0) - c[j];
    for (const g of live) {
      const dg = lambda * Math.sqrt(groups[g.q].length);
      const v = g.members.map((j) => w[j]);
      const r = norm(v);
      g.members.forEach((j, a) => {
        grad[j] += (dg * v[a]) / r;
        g.members.forEach((k, b) => (H[j][k] += dg * ((a === b ? 1 : 0) / r - (v[a] * v[b]) / (r * r * r))));
      });
    }
    const step = solveDense(free.map((j) => free.map((k) => H[j][k])), free.map((j) => -grad[j]));
    const dec = -free.reduce((s, j, a) => s + grad[j] * step[a], 0);
    let t = 1;
    const f0 = f(w);
    let next = w;
    for (let ls = 0; ls < 60; ls++) {
      next = w.slice();
      free.forEach((j, a) => (next[j] += t * step[a]));
      if (f(next) <= f0 - 0.25 * t * dec || t < 1e-12) break;
      t /= 2;
    }
    w = next;
    if (dec < 1e-30) break;
  }
  const b = ym - w.reduce((s, v, j) => s + v * xm[j], 0);
  return { w, b, objective: plainObjective(d, w, b, groups, lambda) };
}

/** Kinds of random overlapping problems: well conditioned, correlated columns, columns scaled over 10⁴, p > n. */
export type OverlapKind = 'plain' | 'correlated' | 'scaled' | 'wide';

/**
 * A random overlapping-group problem (squared loss, intercept) of the given kind: random groups of
 * 1–5 features (every feature in at least one), a sparse β, λ a random fraction (3–53 %) of a bound
 * above λ_max (max_g ‖X_gᵀ(y − ȳ)‖/(n d_g) on centred columns), so that fits range from nearly
 * empty to dense.
 */
export function randomOverlapProblem(seed: number, kind: OverlapKind): { d: Data; groups: number[][]; lambda: number } {
  const rng = new Random(seed);
  const wide = kind === 'wide';
  const p = wide ? 15 + Math.floor(rng.uniform() * 16) : 5 + Math.floor(rng.uniform() * 16);
  const n = wide ? 6 + Math.floor(rng.uniform() * (p - 8)) : p + 5 + Math.floor(rng.uniform() * 150);
  const corr = kind === 'correlated' ? 0.95 : 0;
  const scale = Array.from({ length: p }, () => (kind === 'scaled' ? 10 ** (4 * rng.uniform() - 2) : 1));
  const beta = Array.from({ length: p }, () => (rng.uniform() < 0.4 ? rng.normal() : 0));
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const common = rng.normal();
    const r = Array.from({ length: p }, (_, j) => scale[j] * (Math.sqrt(1 - corr * corr) * rng.normal() + corr * common));
    X.push(r);
    y.push(r.reduce((s, v, j) => s + (v * beta[j]) / scale[j], 0) + 0.3 * rng.normal() + 0.5);
  }
  const nG = 2 + Math.floor(rng.uniform() * p);
  const groups: number[][] = [];
  for (let g = 0; g < nG; g++) {
    const size = 1 + Math.floor(rng.uniform() * Math.min(5, p));
    const s = new Set<number>();
    while (s.size < size) s.add(Math.floor(rng.uniform() * p));
    groups.push([...s]);
  }
  const covered = new Set(groups.flat());
  for (let j = 0; j < p; j++) if (!covered.has(j)) groups[Math.floor(rng.uniform() * nG)].push(j);
  for (const g of groups) g.sort((a, b) => a - b);
  const ym = y.reduce((a, b) => a + b, 0) / n;
  const xm = Array.from({ length: p }, (_, j) => X.reduce((s, r) => s + r[j], 0) / n);
  const c = Array.from({ length: p }, (_, j) => X.reduce((a, r, i) => a + (r[j] - xm[j]) * (y[i] - ym), 0) / n);
  const bound = Math.max(...groups.map((g) => norm(g.map((j) => c[j])) / Math.sqrt(g.length)));
  return { d: { X, y, n, p }, groups, lambda: bound * (0.03 + 0.5 * rng.uniform()) };
}

/**
 * An upper bound on the optimum of the plain overlapping problem, as tight as two zero patterns
 * allow: the restricted Newton optimum (an attained objective value, so ≥ the optimum) on the
 * pattern of `coef` and on that of the reweighted-ridge solution (groups with norm < 1e-7 of the
 * largest held at zero), whichever is lower. P(w) − this ≤ the true suboptimality of w.
 */
export function optimumUpperBound(d: Data, groups: number[][], lambda: number, coef: ArrayLike<number>): number {
  const zeroOf = (w: ArrayLike<number>, rel: number): number[] => {
    const norms = groups.map((g) => norm(g.map((j) => w[j])));
    const top = Math.max(...norms);
    return groups.map((_, g) => g).filter((g) => norms[g] <= rel * top);
  };
  const a = restrictedNewtonPlain(d, groups, lambda, zeroOf(coef, 0), coef).objective;
  const irls = irlsPlain(d, groups, lambda, 400);
  const b = restrictedNewtonPlain(d, groups, lambda, zeroOf(irls.w, 1e-7), irls.w).objective;
  // A degenerate restricted start (a live group with no free nonzero member) gives NaN: skip it.
  return Math.min(...[a, b, irls.objective].filter(Number.isFinite));
}
