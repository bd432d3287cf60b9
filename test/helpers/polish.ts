/**
 * The independent checker's own tight reference: damped Newton on the problem restricted to the
 * nonzero coefficients of a given point (plus intercepts and unpenalized coefficients), where the
 * objective is smooth. Near a solution with the right zero pattern this converges quadratically to
 * the optimum, so the gradient at its result gives a dual point as tight as rounding allows — far
 * tighter than rescaling the gradient of a point that is only 1e-10 from optimal, which loses
 * first order. Whatever it returns is only a point: the checker evaluates its primal value and
 * rescaled dual itself, so a wrong zero pattern can weaken the reference but never make it lie.
 * Plain arrays and loops only; nothing from the library.
 */
import { lossGrad, safeNorm, type PlainProblem } from './independent.ts';

/** Loss curvature ∂²F/∂η² per entry (mean over samples). */
function curvature(loss: PlainProblem['loss'], eta: number[][], n: number): number[][] {
  return eta.map((row) => row.map((e) => {
    if (loss === 'squared') return 1 / n;
    if (loss === 'logistic') {
      const s = e >= 0 ? 1 / (1 + Math.exp(-e)) : Math.exp(e) / (1 + Math.exp(e));
      return (s * (1 - s)) / n;
    }
    return Math.exp(e) / n;
  }));
}

/** Solve H x = b by Gaussian elimination with partial pivoting; null if singular or non-finite. */
function solve(H: number[][], b: number[]): number[] | null {
  const m = b.length;
  const M = H.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < m; c++) {
    let piv = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    if (!(Math.abs(M[piv][c]) > 0)) return null;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = c + 1; r < m; r++) {
      const f = M[r][c] / M[c][c];
      if (f !== 0) for (let k = c; k <= m; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(m).fill(0);
  for (let r = m - 1; r >= 0; r--) {
    let s = M[r][m];
    for (let k = r + 1; k < m; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x.every(Number.isFinite) ? x : null;
}

/**
 * Newton-polished copy of (coef, intercepts) (coef p·T column-major, as the library returns it),
 * or null when the restricted problem is too large for a dense solve or Newton cannot move.
 */
export function newtonPolish(P: PlainProblem, coef: ArrayLike<number>, intercepts: ArrayLike<number>, maxVars = 400): { coef: Float64Array; intercepts: Float64Array } | null {
  const n = P.X.length;
  const p = P.X[0].length;
  const T = P.Y[0].length;
  const lambda = P.lambda;
  const inGroup = new Array<boolean>(p).fill(false);
  const penalizedFeature = new Array<boolean>(p).fill(false);
  P.groups.forEach((g, gi) => g.forEach((j) => {
    inGroup[j] = true;
    if (lambda > 0 && P.weights[gi] > 0) penalizedFeature[j] = true;
  }));
  // Free coefficients: nonzero ones, and every unpenalized one.
  const vars: { j: number; t: number }[] = [];
  for (let t = 0; t < T; t++) for (let j = 0; j < p; j++) if (!penalizedFeature[j] || coef[t * p + j] !== 0) vars.push({ j, t });
  const nb = P.fitIntercept ? T : 0;
  const m = nb + vars.length;
  if (m === 0 || m > maxVars) return null;
  const x = [...Array.from({ length: nb }, (_, t) => intercepts[t]), ...vars.map((v) => coef[v.t * p + v.j])];
  const slot = new Map<number, number>();
  vars.forEach((v, k) => slot.set(v.t * p + v.j, nb + k));
  // Penalized groups as lists of variable slots (their free coefficients, over all tasks).
  const groups = P.groups.map((g, gi) => ({ gi, slots: g.flatMap((j) => Array.from({ length: T }, (_, t) => slot.get(t * p + j))).filter((s): s is number => s !== undefined) }))
    .filter((g) => lambda > 0 && P.weights[g.gi] > 0 && g.slots.length > 0);
  const signs = x.map((v) => Math.sign(v));
  const etaOf = (z: number[]): number[][] => P.X.map((row) => Array.from({ length: T }, (_, t) => {
    let s = nb > 0 ? z[t] : 0;
    vars.forEach((v, k) => {
      if (v.t === t) s += row[v.j] * z[nb + k];
    });
    return s;
  }));
  const objective = (z: number[]): number => {
    let f = lossGrad(P.loss, P.Y, etaOf(z)).value;
    for (const g of groups) {
      const d = P.weights[g.gi];
      const nw = safeNorm(g.slots.map((s) => z[s]));
      if (P.alpha === undefined) f += lambda * d * nw;
      else f += lambda * P.alpha * g.slots.reduce((a, s) => a + Math.abs(z[s]), 0) + lambda * (1 - P.alpha) * d * nw;
    }
    return f;
  };
  let fx = objective(x);
  if (!Number.isFinite(fx)) return null;
  for (let it = 0; it < 60; it++) {
    const eta = etaOf(x);
    const { U } = lossGrad(P.loss, P.Y, eta);
    const h = curvature(P.loss, eta, n);
    const grad = new Array<number>(m).fill(0);
    const H: number[][] = Array.from({ length: m }, () => new Array<number>(m).fill(0));
    // Design column of variable a in row i: 1 for an intercept, X_ij for a coefficient; task per variable.
    const taskOf = (a: number): number => (a < nb ? a : vars[a - nb].t);
    const col = (a: number, i: number): number => (a < nb ? 1 : P.X[i][vars[a - nb].j]);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < m; a++) {
        const ta = taskOf(a);
        const xa = col(a, i);
        grad[a] += xa * U[i][ta];
        for (let b = a; b < m; b++) if (taskOf(b) === ta) H[a][b] += xa * col(b, i) * h[i][ta];
      }
    }
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) H[a][b] = H[b][a];
    for (const g of groups) {
      const d = P.weights[g.gi];
      const c = lambda * (P.alpha === undefined ? 1 : 1 - P.alpha) * d;
      const v = g.slots.map((s) => x[s]);
      const r = safeNorm(v);
      if (!(r > 0)) return null;
      g.slots.forEach((sa, a) => {
        grad[sa] += (c * v[a]) / r + (P.alpha === undefined ? 0 : lambda * P.alpha * signs[sa]);
        g.slots.forEach((sb, b) => (H[sa][sb] += c * ((a === b ? 1 : 0) / r - (v[a] * v[b]) / (r * r * r))));
      });
    }
    let trace = 0;
    for (let a = 0; a < m; a++) trace += Math.abs(H[a][a]);
    let step: number[] | null = null;
    for (const ridge of [0, 1e-14, 1e-10, 1e-6]) {
      step = solve(H.map((row, a) => row.map((v, b) => v + (a === b ? ridge * trace : 0))), grad.map((g) => -g));
      if (step) break;
    }
    if (!step) return null;
    const dec = -grad.reduce((s, g, a) => s + g * step![a], 0);
    if (!(dec > 0)) break;
    let t = 1;
    let moved = false;
    for (let ls = 0; ls < 50; ls++) {
      const z = x.map((v, a) => v + t * step![a]);
      const fz = objective(z);
      if (fz <= fx - 1e-4 * t * dec) {
        x.splice(0, m, ...z);
        fx = fz;
        moved = true;
        break;
      }
      t /= 2;
    }
    if (!moved || dec < 1e-32 * Math.max(1, Math.abs(fx))) break;
  }
  const out = new Float64Array(p * T);
  vars.forEach((v, k) => (out[v.t * p + v.j] = x[nb + k]));
  const ints = new Float64Array(T);
  for (let t = 0; t < nb; t++) ints[t] = x[t];
  return { coef: out, intercepts: ints };
}
