/**
 * Independent, deliberately plain re-implementations used as oracles in tests. Nothing here
 * imports the library's numerics: rows are number[][], loops are obvious, no shared code paths.
 */

export type Loss = 'squared' | 'logistic' | 'poisson';

export function matVec(X: number[][], w: ArrayLike<number>): number[] {
  return X.map((row) => row.reduce((s, x, j) => s + x * w[j], 0));
}

export function matTVec(X: number[][], r: ArrayLike<number>): number[] {
  const p = X[0].length;
  const out = new Array<number>(p).fill(0);
  for (let i = 0; i < X.length; i++) for (let j = 0; j < p; j++) out[j] += X[i][j] * r[i];
  return out;
}

function sig(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Mean loss and its derivative with respect to η. */
export function lossAndDeriv(loss: Loss, y: number[], eta: number[]): { value: number; d: number[] } {
  const n = y.length;
  let v = 0;
  const d = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (loss === 'squared') {
      v += 0.5 * (y[i] - eta[i]) ** 2;
      d[i] = (eta[i] - y[i]) / n;
    } else if (loss === 'logistic') {
      v += Math.log(1 + Math.exp(eta[i])) - y[i] * eta[i];
      d[i] = (sig(eta[i]) - y[i]) / n;
    } else {
      let lg = 0;
      for (let k = 2; k <= y[i]; k++) lg += Math.log(k);
      v += Math.exp(eta[i]) - y[i] * eta[i] + lg;
      d[i] = (Math.exp(eta[i]) - y[i]) / n;
    }
  }
  return { value: v / n, d };
}

/** Euclidean norm via Math.hypot (the platform's overflow/underflow-safe routine). */
export function norm(a: ArrayLike<number>): number {
  return Math.hypot(...Array.from(a));
}

export interface NaiveCheck {
  objective: number;
  /** max over groups of the KKT residual, and |Σ∂/∂b|. */
  kkt: number;
  /** per zero group: ‖∇_g‖ − λd_g (≤ 0 when fine). */
  zeroGroupExcess: number;
  /** per nonzero group: ‖∇_g + λd_g w_g/‖w_g‖‖. */
  nonzeroGroupResidual: number;
}

/** Objective and KKT residuals of the group lasso at (w, b), computed from rows. */
export function naiveCheck(
  X: number[][], y: number[], w: ArrayLike<number>, b: number, groups: number[][], weights: number[], lambda: number, loss: Loss, intercept: boolean,
): NaiveCheck {
  const eta = matVec(X, w).map((e) => e + b);
  const { value, d } = lossAndDeriv(loss, y, eta);
  const grad = matTVec(X, d);
  let pen = 0;
  let zeroEx = -Infinity;
  let nzRes = 0;
  for (let g = 0; g < groups.length; g++) {
    const wg = groups[g].map((j) => w[j]);
    const gg = groups[g].map((j) => grad[j]);
    const nw = norm(wg);
    pen += weights[g] * nw;
    const t = lambda * weights[g];
    if (nw === 0) {
      zeroEx = Math.max(zeroEx, norm(gg) - t);
    } else {
      const r = gg.map((x, k) => x + (t * wg[k]) / nw);
      nzRes = Math.max(nzRes, norm(r));
    }
  }
  const db = intercept ? Math.abs(d.reduce((s, x) => s + x, 0)) : 0;
  return {
    objective: value + lambda * pen,
    kkt: Math.max(Math.max(zeroEx, 0), nzRes, db),
    zeroGroupExcess: zeroEx,
    nonzeroGroupResidual: nzRes,
  };
}

/** Group soft-thresholding written from the formula. */
export function naiveGroupProx(v: number[], groups: number[][], tau: number, weights: number[]): number[] {
  const out = v.slice();
  groups.forEach((g, k) => {
    const nv = norm(g.map((j) => v[j]));
    const t = tau * weights[k];
    const s = nv > t ? 1 - t / nv : 0;
    for (const j of g) out[j] = v[j] * s;
  });
  return out;
}

/**
 * Plain proximal gradient (fixed step 1/L from the Frobenius bound, no tricks) for the squared
 * loss with intercept handled by centering — an oracle for small problems, run long.
 */
export function naiveSquaredGroupLasso(
  X: number[][], y: number[], groups: number[][], weights: number[], lambda: number, iters: number,
): { w: number[]; b: number } {
  const n = X.length;
  const p = X[0].length;
  const mx = new Array<number>(p).fill(0);
  for (const r of X) r.forEach((x, j) => (mx[j] += x / n));
  const my = y.reduce((s, v) => s + v, 0) / n;
  const Xc = X.map((r) => r.map((x, j) => x - mx[j]));
  const yc = y.map((v) => v - my);
  let fro = 0;
  for (const r of Xc) for (const x of r) fro += x * x;
  const L = fro / n; // ≥ ‖Xc‖²/n
  let w = new Array<number>(p).fill(0);
  let z = w.slice();
  let t = 1;
  for (let it = 0; it < iters; it++) {
    const r = matVec(Xc, z).map((e, i) => e - yc[i]);
    const g = matTVec(Xc, r).map((v) => v / n);
    const wNew = naiveGroupProx(z.map((v, j) => v - g[j] / L), groups, lambda / L, weights);
    const tNew = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    z = wNew.map((v, j) => v + ((t - 1) / tNew) * (v - w[j]));
    w = wNew;
    t = tNew;
  }
  const b = my - w.reduce((s, v, j) => s + v * mx[j], 0);
  return { w, b };
}

/**
 * The gradient scale a fit's relative KKT violation is taken against (kktViolation/relativeKkt),
 * after checking it against an independent bound: |X_jᵀu| ≤ ‖X_j‖·‖u‖ with ‖u‖ ≤ ‖y‖/n for least
 * squares (the null model projects y) and ≤ 1/√n for the logistic loss. Throws when the library's
 * scale is above the bound (a tolerance relative to an inflated scale would certify anything).
 */
export function checkedKktScale(
  fit: { kktViolation: number; relativeKkt: number }, X: number[][], y: number[], loss: Loss = 'squared',
): number {
  const n = X.length;
  let colNorm = 0;
  for (let j = 0; j < X[0].length; j++) colNorm = Math.max(colNorm, norm(X.map((r) => r[j])));
  const bound = loss === 'squared' ? colNorm * norm(y) / n : loss === 'logistic' ? colNorm / Math.sqrt(n) : Infinity;
  // (A zero KKT violation says nothing about the scale.)
  const scale = fit.relativeKkt > 0 ? fit.kktViolation / fit.relativeKkt : Math.min(bound, 1);
  if (!(scale <= bound * (1 + 1e-9))) throw new Error(`KKT scale ${scale} above the independent bound ${bound}`);
  return scale;
}
