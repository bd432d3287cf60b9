/**
 * An optimality certificate computed from scratch, independent of the library's solver, datafit,
 * penalty and certificate code: rows are number[][], loops are plain, the dual point is built by
 * rescaling the loss gradient, and the sparse-group dual norm is found by bisection rather than
 * the library's closed form. Used by the reliability, fuzz and determinism tests to check that a
 * result marked `converged` really is.
 */

import { newtonPolish } from './polish.ts';

export type IndependentLoss = 'squared' | 'logistic' | 'poisson';

/** A problem as plain arrays. Features listed in no group are unpenalized. */
export interface PlainProblem {
  /** n × p rows. */
  X: number[][];
  /** n × T rows (T = 1 for a single response). */
  Y: number[][];
  loss: IndependentLoss;
  /** Member lists over features. */
  groups: number[][];
  /** d_g ≥ 0 per group (0 = unpenalized). */
  weights: number[];
  lambda: number;
  /** Sparse-group mixing α; undefined = plain group lasso. */
  alpha?: number;
  fitIntercept: boolean;
}

export interface IndependentCertificate {
  /** P = F(η) + Ω(W). */
  primal: number;
  /** D = −F*(θU) with θ = min(1, λ / max_g ρ_g(XᵀU)). */
  dual: number;
  /** P − D. */
  gap: number;
  /** max of the parts below. */
  kkt: number;
  /** max over penalized groups of dist(−∇_g, ∂Ω_g). */
  kktPenalized: number;
  /** max over unpenalized groups/features of ‖∇_g‖ (dual feasibility Aᵀu = 0). */
  kktUnpenalized: number;
  /** max_t |Σ_i U_it| when an intercept is fitted (else 0). */
  kktIntercept: number;
  /** F at η = 0: an upper bound on the scale of the null objective (for rounding floors). */
  scale: number;
  /** max_j ‖∇_j‖ over all coefficients: the scale of the gradient. */
  gradScale: number;
  /** Rounding level of a gradient entry: ~ε·max_j Σ_i |X_ij|(|U_i| + |δU_i|). */
  gradRound: number;
  /** ‖U‖_F, the loss gradient's norm. */
  uNorm: number;
}

function log1pExpPlain(x: number): number {
  // log(1 + e^x) = max(x, 0) + log(1 + e^{−|x|}); exact algebra, no overflow.
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

function sigmoidPlain(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

const logFactorialMemo = new Map<number, number>();

/** log k!: a plain sum of logs up to 1000, Stirling's series (error < 1e-20 there) beyond. */
function logFactorial(k: number): number {
  if (!Number.isInteger(k) || k < 0) throw new Error(`independent certificate: Poisson count ${k} is not a whole number`);
  const hit = logFactorialMemo.get(k);
  if (hit !== undefined) return hit;
  let s = 0;
  if (k <= 1000) {
    for (let m = 2; m <= k; m++) s += Math.log(m);
  } else {
    s = k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k) + 1 / (12 * k) - 1 / (360 * k ** 3) + 1 / (1260 * k ** 5);
  }
  logFactorialMemo.set(k, s);
  return s;
}

function xlogx(x: number): number {
  return x > 0 ? x * Math.log(x) : 0;
}

/** ‖a‖₂ scaled by the largest entry, so 1e±200 entries neither overflow nor underflow. */
export function safeNorm(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  if (m === 0 || !Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] / m) ** 2;
  return m * Math.sqrt(s);
}

/** Loss value F(η) and gradient ∇F(η) (n × T, mean over samples). */
export function lossGrad(loss: IndependentLoss, Y: number[][], eta: number[][]): { value: number; U: number[][] } {
  const n = Y.length;
  const T = Y[0].length;
  let v = 0;
  const U = Y.map(() => new Array<number>(T).fill(0));
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) {
      const e = eta[i][t];
      const y = Y[i][t];
      if (loss === 'squared') {
        v += 0.5 * (y - e) * (y - e);
        U[i][t] = (e - y) / n;
      } else if (loss === 'logistic') {
        v += log1pExpPlain(e) - y * e;
        U[i][t] = (sigmoidPlain(e) - y) / n;
      } else {
        v += Math.exp(e) - y * e + logFactorial(y);
        U[i][t] = (Math.exp(e) - y) / n;
      }
    }
  }
  return { value: v / n, U };
}

/** −F*(V): the dual objective at V (n × T). */
function dualObjective(loss: IndependentLoss, Y: number[][], V: number[][]): number {
  const n = Y.length;
  const T = Y[0].length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) {
      const v = V[i][t];
      const y = Y[i][t];
      if (loss === 'squared') {
        // F*(v) = v·y + (n/2)v² for F = (1/(2n))(y − η)².
        s += v * y + (n / 2) * v * v;
      } else if (loss === 'logistic') {
        const q = Math.min(1, Math.max(0, n * v + y));
        s += (xlogx(q) + xlogx(1 - q)) / n;
      } else {
        // q log q − q − log y! with q = y(1 + r): as y[(1 + r)log(1 + r) − r] + y r log y +
        // (y log y − y − log y!), so that terms of size y log y do not cancel for large counts.
        const q = Math.max(0, n * v + y);
        if (y === 0) s += (xlogx(q) - q) / n;
        else {
          const r = q / y - 1;
          const head = q === 0 ? y - y * Math.log(y) : y * ((1 + r) * Math.log1p(r) - r) + y * r * Math.log(y);
          s += (head + y * Math.log(y) - y - logFactorial(y)) / n;
        }
      }
    }
  }
  return -s;
}

function softAbs(a: number, t: number): number {
  const b = Math.abs(a);
  return b > t ? b - t : 0;
}

/**
 * Sparse-group dual norm by bisection: the smallest s ≥ 0 with ‖S(z, sα)‖₂ ≤ s(1 − α)d
 * (the left side decreases in s, the right side increases).
 */
export function sparseGroupDualNormBisect(z: number[], alpha: number, d: number): number {
  const c = (1 - alpha) * d;
  const zmax = Math.max(0, ...z.map(Math.abs));
  if (zmax === 0) return 0;
  if (alpha === 0) return c > 0 ? safeNorm(z) / c : Infinity;
  let lo = 0;
  let hi = zmax / alpha; // S(z, hi·α) = 0 here
  const f = (s: number): number => safeNorm(z.map((x) => softAbs(x, s * alpha))) - s * c;
  for (let it = 0; it < 200 && hi - lo > 1e-17 * hi; it++) {
    const mid = 0.5 * (lo + hi);
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Certificate of (coef, intercepts) for a plain problem. `coef` is p·T column-major
 * (W[j, t] at t·p + j), as the library returns it.
 */
export function independentCertificate(P: PlainProblem, coef: ArrayLike<number>, intercepts: ArrayLike<number>): IndependentCertificate {
  const n = P.X.length;
  const p = P.X[0].length;
  const T = P.Y[0].length;
  const W = (j: number, t: number): number => coef[t * p + j];
  // η = X W + 1 bᵀ, row by row.
  const eta: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let t = 0; t < T; t++) {
      let s = P.fitIntercept ? intercepts[t] : 0;
      for (let j = 0; j < p; j++) s += P.X[i][j] * W(j, t);
      row.push(s);
    }
    eta.push(row);
  }
  const { value: F, U } = lossGrad(P.loss, P.Y, eta);
  const zero = P.Y.map((r) => r.map(() => 0));
  const scale = lossGrad(P.loss, P.Y, zero).value;
  // Z = Xᵀ U (p × T).
  const Z: number[][] = [];
  for (let j = 0; j < p; j++) {
    const row = new Array<number>(T).fill(0);
    for (let i = 0; i < n; i++) for (let t = 0; t < T; t++) row[t] += P.X[i][j] * U[i][t];
    Z.push(row);
  }
  let gradScale = 0;
  for (let j = 0; j < p; j++) gradScale = Math.max(gradScale, safeNorm(Z[j]));
  const lambda = P.lambda;
  const alpha = P.alpha;
  const inGroup = new Array<boolean>(p).fill(false);
  let pen = 0;
  let kktPen = 0;
  let kktUnpen = 0;
  P.groups.forEach((g, gi) => {
    for (const j of g) inGroup[j] = true;
    const d = P.weights[gi];
    const wg: number[] = [];
    const zg: number[] = [];
    for (let t = 0; t < T; t++) for (const j of g) {
      wg.push(W(j, t));
      zg.push(Z[j][t]);
    }
    const penalized = lambda > 0 && d > 0;
    if (!penalized) {
      kktUnpen = Math.max(kktUnpen, safeNorm(zg));
      return;
    }
    const nw = safeNorm(wg);
    if (alpha === undefined) {
      pen += lambda * d * nw;
      const t = lambda * d;
      const r = nw === 0 ? Math.max(safeNorm(zg) - t, 0) : safeNorm(zg.map((z, k) => z + (t * wg[k]) / nw));
      kktPen = Math.max(kktPen, r);
    } else {
      const l1 = lambda * alpha;
      const l2 = lambda * (1 - alpha) * d;
      pen += l1 * wg.reduce((s, x) => s + Math.abs(x), 0) + l2 * nw;
      let r: number;
      if (nw === 0) {
        r = Math.max(safeNorm(zg.map((z) => softAbs(z, l1))) - l2, 0);
      } else {
        r = safeNorm(zg.map((z, k) => (wg[k] !== 0 ? z + l1 * Math.sign(wg[k]) + (l2 * wg[k]) / nw : softAbs(z, l1))));
      }
      kktPen = Math.max(kktPen, r);
    }
  });
  for (let j = 0; j < p; j++) if (!inGroup[j]) kktUnpen = Math.max(kktUnpen, safeNorm(Z[j]));
  // Dual point: U projected onto {Aᵀu = 0}, A = [1, unpenalized columns], so it is feasible
  // whether or not the unpenalized part was fitted exactly; then ρ_g over penalized groups from
  // Xᵀ of the projected point. Projection through an orthonormal basis of span(A) (Gram–Schmidt
  // twice, dependent columns dropped).
  const unpenalized: number[] = [];
  for (let j = 0; j < p; j++) if (!inGroup[j]) unpenalized.push(j);
  P.groups.forEach((g, gi) => {
    if (!(lambda > 0 && P.weights[gi] > 0)) unpenalized.push(...g);
  });
  const cols: number[][] = [];
  if (P.fitIntercept) cols.push(new Array<number>(n).fill(1));
  for (const j of unpenalized) cols.push(P.X.map((r) => r[j]));
  const basis: number[][] = [];
  for (const a of cols) {
    const v = a.slice();
    const n0 = safeNorm(v);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= d * q[i];
      }
    }
    const nv = safeNorm(v);
    if (nv > 1e-10 * n0 && nv > 0) basis.push(v.map((x) => x / nv));
  }
  const V = U.map((r) => r.slice());
  for (let t = 0; t < T; t++) {
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i] * V[i][t];
        for (let i = 0; i < n; i++) V[i][t] -= d * q[i];
      }
    }
  }
  let rhoMax = 0;
  P.groups.forEach((g, gi) => {
    const d = P.weights[gi];
    if (!(lambda > 0 && d > 0)) return;
    const zg: number[] = [];
    for (let t = 0; t < T; t++) for (const j of g) {
      let s = 0;
      for (let i = 0; i < n; i++) s += P.X[i][j] * V[i][t];
      zg.push(s);
    }
    rhoMax = Math.max(rhoMax, alpha === undefined ? safeNorm(zg) / d : sparseGroupDualNormBisect(zg, alpha, d));
  });
  // Rounding level of Xᵀu: each u_i carries the error of η_i (ε times Σ|X_ik W_k| + |b|) times
  // the loss curvature, plus its own.
  const du: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let t = 0; t < T; t++) {
      let ea = P.fitIntercept ? Math.abs(intercepts[t]) : 0;
      for (let q = 0; q < p; q++) ea += Math.abs(P.X[i][q] * W(q, t));
      const h = P.loss === 'squared' ? 1 : P.loss === 'logistic' ? 0.25 : Math.exp(eta[i][t]);
      row.push(Math.abs(U[i][t]) + (ea * h + Math.abs(P.Y[i][t])) / n);
    }
    du.push(row);
  }
  let gradRound = 0;
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(P.X[i][j]) * du[i][t];
      gradRound = Math.max(gradRound, s);
    }
  }
  if (P.fitIntercept) {
    // The intercept's condition Σ_i u_i = 0 has its own rounding level.
    for (let t = 0; t < T; t++) gradRound = Math.max(gradRound, du.reduce((s, r) => s + r[t], 0));
  }
  gradRound *= 64 * Number.EPSILON;
  let kktInt = 0;
  if (P.fitIntercept) {
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += U[i][t];
      kktInt = Math.max(kktInt, Math.abs(s));
    }
  }
  // Feasible scalings are θ ∈ [0, θmax]; D(θU) is concave in θ, so a golden-section search finds
  // the best one (θmax itself is the textbook choice; the search only ever improves on it).
  const thetaMax = rhoMax > lambda ? lambda / rhoMax : 1;
  const Dof = (th: number): number => dualObjective(P.loss, P.Y, V.map((r) => r.map((v) => th * v)));
  let D = Dof(thetaMax);
  let a = 0;
  let b = thetaMax;
  const gr = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 80 && b - a > 1e-15 * thetaMax; it++) {
    const c1 = b - gr * (b - a);
    const c2 = a + gr * (b - a);
    const f1 = Dof(c1);
    const f2 = Dof(c2);
    D = Math.max(D, f1, f2);
    if (f1 < f2) a = c1;
    else b = c2;
  }
  const primal = F + pen;
  return {
    primal, dual: D, gap: primal - D,
    kkt: Math.max(kktPen, kktUnpen, kktInt), kktPenalized: kktPen, kktUnpenalized: kktUnpen, kktIntercept: kktInt,
    scale, gradScale, gradRound, uNorm: safeNorm(U.flat()),
  };
}

/** What a result must satisfy, given how it was asked to stop. */
export interface CheckOptions {
  tol: number;
  stopOn: 'gap' | 'kkt' | 'both';
  /**
   * Where to put duality gaps this checker could not confirm although no reference solve
   * contradicts them (its dual points, built by rescaling gradients, can be weaker than the
   * solver's). Without it they are failures; with it they are reported apart, and only a claim a
   * reference solve disproves is a failure.
   */
  unconfirmed?: string[];
}

/** The parts of a FitResult the checks read (kept structural so the helper imports nothing). */
export interface ResultLike {
  coef: Float64Array;
  intercepts: Float64Array;
  objective: number;
  dualityGap: number;
  kktViolation: number;
  /** KKT violation over the library's gradient scale (what stopOn 'kkt' compares with tol). */
  relativeKkt?: number;
  /** The rounding floors the library claims (used only with status 'at rounding level'). */
  roundingFloor?: { gap: number; kkt: number };
  converged: boolean;
  status: string;
  groupNorms: Float64Array;
  activeGroups: number[];
}

/**
 * An independent upper bound on the rounding floor of a certificate: sums of N = n·T terms of sizes
 * |P|, |D|, 2√(|P|·F(0)) (the cross terms ⟨u, y⟩), off by ~ε√N of their total, and the error of the
 * linear predictor ε·Σ_j|X_ij||w_j| passed through the loss gradient; 16× slack over the typical
 * error. A claimed floor above this is not rounding.
 */
function floorBound(P: PlainProblem, r: ResultLike, c: IndependentCertificate): { gap: number; kkt: number } {
  const n = P.X.length;
  const p = P.X[0].length;
  const T = P.Y[0].length;
  const rootN = Math.sqrt(n * T);
  let etaErr = 0; // rms over rows of Σ_j |X_ij||w_j|
  let colNorm = 0;
  for (let j = 0; j < p; j++) colNorm = Math.max(colNorm, Math.sqrt(P.X.reduce((a, row) => a + row[j] * row[j], 0)));
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += Math.abs(P.X[i][j] * r.coef[t * p + j]);
      etaErr += s * s;
    }
  }
  etaErr = EPS * Math.sqrt(p) * Math.sqrt(etaErr / n);
  const uNorm = c.uNorm;
  const Pabs = Math.abs(c.primal);
  const gap = 16 * (EPS * rootN * (Pabs + Math.abs(c.dual) + 2 * Math.sqrt(Pabs * Math.abs(c.scale))) + rootN * uNorm * etaErr);
  const kkt = 16 * Math.sqrt(p) * (EPS * rootN * colNorm * uNorm + colNorm * rootN * etaErr / n) + c.gradRound;
  return { gap, kkt };
}

/**
 * An independent upper bound on the gradient scale the library may divide the KKT violation by
 * (its gradient at the null model): |X_jᵀu| ≤ ‖X_j‖·‖u‖, with ‖u‖ ≤ ‖y‖/n for least squares (the
 * null model is a projection of y) and ≤ √n/n for the logistic loss; none for Poisson.
 */
function kktScaleBound(P: PlainProblem): number {
  const n = P.X.length;
  const p = P.X[0].length;
  let colNorm = 0;
  for (let j = 0; j < p; j++) colNorm = Math.max(colNorm, Math.sqrt(P.X.reduce((a, row) => a + row[j] * row[j], 0)));
  if (P.loss === 'squared') return colNorm * Math.sqrt(P.Y.reduce((a, row) => a + row.reduce((b, v) => b + v * v, 0), 0)) / n * (1 + 1e-9);
  if (P.loss === 'logistic') return colNorm * Math.sqrt(n) / n * (1 + 1e-9);
  return Infinity;
}

const EPS = Number.EPSILON;

/**
 * Every way a result can be untrustworthy, as messages (empty = fine):
 * - converged ⇒ status 'converged', every number finite, the independently recomputed objective
 *   equal to the reported one, the chosen certificate (relative gap, or KKT) under tol — up to a
 *   rounding floor of a few hundred ulps of the problem's scale — and the reported KKT violation
 *   equal to the recomputed one up to rounding;
 * - not converged ⇒ a status that says why.
 */
export function checkResult(P: PlainProblem, r: ResultLike, o: CheckOptions, refine?: () => ResultLike | readonly (ResultLike | null)[] | null): string[] {
  const bad: string[] = [];
  if (!r.converged) {
    if (typeof r.status !== 'string' || r.status.length === 0 || r.status === 'converged') {
      bad.push(`not converged but status is '${r.status}'`);
    }
    return bad;
  }
  const atFloor = r.status === 'at rounding level';
  if (r.status !== 'converged' && !atFloor) bad.push(`converged with status '${r.status}'`);
  const finite = (a: ArrayLike<number>): boolean => Array.from(a).every(Number.isFinite);
  if (!finite(r.coef) || !finite(r.intercepts) || !Number.isFinite(r.objective) || !Number.isFinite(r.dualityGap) ||
    !Number.isFinite(r.kktViolation) || !finite(r.groupNorms)) {
    bad.push('converged result contains a non-finite number');
    return bad;
  }
  const c = independentCertificate(P, r.coef, r.intercepts);
  const scale = Math.max(Math.abs(c.primal), Math.abs(c.dual), Math.abs(c.scale));
  const floor = 512 * EPS * scale;
  // 'at rounding level' is a promise that the certificate cannot go lower: the floors claimed must
  // be rounding (under an independent bound), and are then allowed on top of tol.
  let claimedGap = 0;
  let claimedKkt = 0;
  if (atFloor) {
    const fb = floorBound(P, r, c);
    const rf = r.roundingFloor;
    // (Floors under the checker's own rounding floor of the objective, 512ε·scale, are rounding
    // whatever formula produced them.)
    if (!rf || !(rf.gap <= Math.max(fb.gap, floor)) || !(rf.kkt <= Math.max(fb.kkt, c.gradRound))) {
      bad.push(`'at rounding level' with floors ${JSON.stringify(rf)} above the independent bounds gap ${fb.gap.toExponential(2)}, KKT ${fb.kkt.toExponential(2)}`);
    } else {
      claimedGap = rf.gap;
      claimedKkt = rf.kkt;
    }
  }
  if (!(Math.abs(c.primal - r.objective) <= 1e-10 * Math.max(Math.abs(c.primal), 1e-300) + floor)) {
    bad.push(`objective ${r.objective} but recomputed ${c.primal}`);
  }
  if (o.stopOn !== 'kkt') {
    // Verified to 1 % of the tolerance: dual values built two different ways (here, and in the
    // solver from other iterates) differ by rounding amplified by the conditioning.
    const limit = (o.tol * Math.abs(c.primal) + claimedGap) * 1.01 + floor;
    let dual = c.dual;
    let bestPrimal = c.primal;
    let refined = 'not tried';
    if (!(c.primal - dual <= limit) && refine) {
      // The solver certifies with the best dual point met along the way, which may beat the one
      // rescaled from the returned point. Any dual point we build and evaluate ourselves is a valid
      // lower bound wherever its primal point came from, so take the best one from tighter solves
      // (by several methods: one may stall where another reaches rounding level).
      const got = refine();
      const list = got === null ? [] : Array.isArray(got) ? got : [got as ResultLike];
      refined = 'no converged refinement';
      const parts: string[] = [];
      for (const better of list) {
        if (!better) continue;
        const cb = independentCertificate(P, better.coef, better.intercepts);
        parts.push(`gap ${cb.gap.toExponential(3)}, KKT ${cb.kkt.toExponential(3)}`);
        dual = Math.max(dual, cb.dual);
        if (Number.isFinite(cb.primal)) bestPrimal = Math.min(bestPrimal, cb.primal);
      }
      // Newton on the smooth restricted problem from the best of these points: its gradient is a
      // dual point as tight as rounding allows when the zero pattern is right, and its objective
      // disproves the claim when the pattern is wrong and the point is better.
      const sources = [{ coef: r.coef, intercepts: r.intercepts }, ...list.filter((b): b is ResultLike => b !== null)];
      let bestKkt = Infinity;
      let polished: ReturnType<typeof newtonPolish> = null;
      for (const s of sources) {
        const k = independentCertificate(P, s.coef, s.intercepts).kkt;
        if (k < bestKkt) {
          bestKkt = k;
          polished = newtonPolish(P, s.coef, s.intercepts);
        }
      }
      if (polished) {
        const cp = independentCertificate(P, polished.coef, polished.intercepts);
        parts.push(`Newton-polished: gap ${cp.gap.toExponential(3)}, KKT ${cp.kkt.toExponential(3)}`);
        dual = Math.max(dual, cp.dual);
        if (Number.isFinite(cp.primal)) bestPrimal = Math.min(bestPrimal, cp.primal);
      }
      if (parts.length > 0) refined = `refined points: ${parts.join('; ')}`;
    }
    if (!(c.primal - dual <= limit)) {
      const msg = `independent duality gap ${(c.primal - dual).toExponential(3)} > tol·P = ${(o.tol * c.primal).toExponential(3)} (floor ${floor.toExponential(2)}; solver's own gap ${r.dualityGap.toExponential(3)}; ${refined})`;
      // P(ref) ≥ P*, so P(w) − P(ref) > tol·P proves the claimed gap false.
      if (c.primal - bestPrimal > limit) bad.push(`disproved: a reference solve is ${(c.primal - bestPrimal).toExponential(3)} below the returned objective; ${msg}`);
      else if (o.unconfirmed) o.unconfirmed.push(`${msg}; the best reference objective is ${(c.primal - bestPrimal).toExponential(3)} below`);
      else bad.push(msg);
    }
  }
  if (o.stopOn !== 'gap') {
    // The KKT tolerance is relative to the library's gradient scale, which must itself be sane.
    const bound = kktScaleBound(P);
    // (A zero KKT violation says nothing about the scale: then the bound itself is used.)
    const kktScale = r.relativeKkt !== undefined && r.relativeKkt > 0 ? r.kktViolation / r.relativeKkt : Math.min(bound, 1);
    if (!(kktScale <= bound)) bad.push(`KKT scale ${kktScale.toExponential(3)} above the independent bound ${bound.toExponential(3)}`);
    if (!(c.kkt <= o.tol * Math.min(kktScale, bound) * (1 + 1e-6) + c.gradRound + claimedKkt * 1.01)) {
      bad.push(`independent KKT violation ${c.kkt.toExponential(3)} > tol·scale = ${(o.tol * kktScale).toExponential(3)}`);
    }
  }
  // The reported KKT violation is the one at the returned point.
  // Both are rounding-level numbers near 0: allow the library's KKT floor when it is rounding.
  const kd = Math.abs(c.kkt - r.kktViolation);
  const kFloor = r.roundingFloor && r.roundingFloor.kkt <= floorBound(P, r, c).kkt ? r.roundingFloor.kkt : 0;
  if (!(kd <= 1e-6 * Math.max(c.kkt, r.kktViolation) + c.gradRound + kFloor)) {
    bad.push(`reported KKT violation ${r.kktViolation} but recomputed ${c.kkt} (rounding level ${c.gradRound.toExponential(2)})`);
  }
  // Group bookkeeping agrees with the coefficients.
  const T = P.Y[0].length;
  const p = P.X[0].length;
  P.groups.forEach((g, gi) => {
    const vals: number[] = [];
    for (let t = 0; t < T; t++) for (const j of g) vals.push(r.coef[t * p + j]);
    const nrm = safeNorm(vals);
    if (!(Math.abs(nrm - r.groupNorms[gi]) <= 1e-12 * nrm + 1e-300)) bad.push(`groupNorms[${gi}] = ${r.groupNorms[gi]}, recomputed ${nrm}`);
    if ((nrm > 0) !== r.activeGroups.includes(gi)) bad.push(`activeGroups disagrees with group ${gi} (norm ${nrm})`);
  });
  return bad;
}
