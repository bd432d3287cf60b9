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

/**
 * Second method for the plain overlapping problem (squared loss, intercept): iteratively reweighted
 * ridge from the variational form ‖x‖ = min_{η>0} (‖x‖²/η + η)/2 (an MM algorithm, monotone in the
 * smoothed objective), with η_g floored at `eps`. Returns w, b and the exact objective at them.
 */
export function irlsPlain(d: Data, groups: number[][], lambda: number, iters = 3000, eps = 1e-13): { w: number[]; b: number; objective: number } {
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
