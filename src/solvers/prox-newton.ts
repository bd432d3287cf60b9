import { blockGramsAffordable, blockProxStep } from './block.ts';
import { OptionError } from '../errors.ts';
import { FastDense } from '../linalg/kernels/fast.ts';
import { materializeColumn, type ColumnAccess, type LinearOperator } from '../linalg/operator.ts';
import { largestEigenvalueSpd } from '../linalg/eigen.ts';
import { AndersonExtrapolation } from './anderson.ts';
import { columnsFor, startPoint } from './bcd.ts';
import { dualValue, kktViolation } from './certificate.ts';
import { copyPoint, evaluateFromEta0, newPoint, type PointBuffers, type ProblemContext } from './problem.ts';
import type { IterationInfo, IterativeSolver, ProximalOptions } from './proximal.ts';
import { registerSolver } from './registry.ts';

/** Working-set size floor (groups), as in skglm. */
const MIN_WS = 10;
/** Working-set problems are solved to this fraction of the outer KKT violation (skglm's EPS_TOL). */
const INNER_RATIO = 0.3;
/**
 * Once the running gap is within AIM_RANGE of the target gap, the working-set problem is solved
 * to AIM_SAFETY·(target / gap) of the outer violation instead of INNER_RATIO: the gap is first
 * order in the violation (the dual point is the rescaled gradient) while the objective is second
 * order, so the default ratio left a last outer step whose only purpose was the certificate (on
 * a warm-started path, two steps per λ where one does).
 */
const AIM_RANGE = 1e-4;
const AIM_SAFETY = 1;
/** Coordinate-descent epochs on one quadratic model at most. */
const MAX_CD_EPOCHS = 20;
/**
 * Epochs between checks of the quadratic model's own optimality (the check reads the block
 * gradients the sweep forms anyway: every epoch costs nothing).
 */
const CD_CHECK_EVERY = 1;
/** Working sets of at most this many coefficients solve the model on its Gram matrix. */
const GRAM_MAX = 64;
/** Coordinate epochs on one quadratic model at most, in the Gram mode (each costs nc²). */
const MAX_GRAM_EPOCHS = 200;
/**
 * Anderson extrapolation of the Gram-mode model solve: every K + 1 epochs the last K + 1 iterates
 * are extrapolated and the result kept when it lowers the model. Cyclic block steps on a model
 * with correlated groups contract by as little as 5 % an epoch; the model is a quadratic, on
 * which the extrapolation of an affine iteration is close to exact once the support settles.
 */
const MODEL_ANDERSON_K = 5;
/** Newton steps per working set at most. */
const MAX_NEWTON_STEPS = 100;
/** Halvings of the step at most in the line search. */
const MAX_BACKTRACK = 30;

/**
 * Proximal Newton with working sets (skglm's `GroupProxNewton`; Lee, Sun & Saunders 2014 for the
 * method, Massias et al. 2020 for the working sets) for
 *   min_w  F(Xw + A c) + Ω(w)
 * with a separable smooth loss F (logistic, Poisson, or any datafit that gives its Hessian
 * diagonal) and a group penalty Ω.
 *
 * One iteration of this iterator is one outer step:
 * 1. KKT violation dist(−∇_g G, ∂Ω_g(w_g)) of every group at the current point;
 * 2. working set: the support, the unpenalized groups, and the worst violators,
 *    max(10, 2·|support|) groups in all;
 * 3. Newton steps on the working set until its KKT violation is under 0.3× the outer one. Each
 *    step minimizes the quadratic model with the TRUE curvature H = diag ∇²F(η),
 *      q(δ) = ∇Fᵀ X δ + ½ δᵀ Xᵀ H X δ + Ω(w + δ),
 *    by cyclic block prox steps with L_g = ‖H^{1/2} X_g‖₂² (the intercept is a coordinate of the
 *    model with L_b = Σ h_i), then moves along δ with a backtracking line search whose test
 *      Ω(w + tδ) − Ω(w) + t ∇F(w + tδ)ᵀ δ < 0
 *    implies a decrease of the objective by convexity and uses no difference of loss values, so it
 *    stays reliable down to rounding level;
 * 4. the objective, the dual point and the full gradient at the new point, with the exact
 *    unpenalized fit of the problem context (which the next step continues from).
 *
 * Unlike block coordinate descent with the global bound 1/(4n), the steps use the local curvature,
 * which on nearly separable data (where σ(η)(1 − σ(η)) ≪ 1/4) is orders of magnitude smaller than
 * the bound; and it needs no global bound, so it handles Poisson.
 */
export class ProxNewton implements IterativeSolver {
  readonly name = 'proxNewton';
  w: Float64Array;
  /**
   * Set by the driver before each step: the work left (passes over the data) and the deadline, so
   * that one outer step, which may hold many Newton steps and inner epochs, stays within maxIter
   * and maxTime.
   */
  limits?: { work: number; deadline?: number; gapTol?: number };
  /** Inner epochs and Newton steps of the current outer step (each counted as one pass). */
  private work = 0;
  private readonly ctx: ProblemContext;
  private readonly cols: ColumnAccess;
  private readonly op: LinearOperator;
  private readonly fast: FastDense | null;
  private readonly n: number;
  private readonly intercept: boolean;
  /**
   * Whether the quadratic model carries a constant direction of η: the intercept, or, for a loss
   * with F(η + c·1) = F(η) (Cox), a phantom one whose move is dropped. Minimizing the model over it
   * centres the columns in the H-weighted metric, i.e. uses Xᵀ(H − hhᵀ/Σh)X in place of XᵀHX, where
   * the diagonal H = diag ∇²F alone overstates the curvature along every column's mean (Cox's
   * Hessian annihilates constants) and the steps on uncentred columns shrank to a few percent.
   */
  private readonly shift: boolean;
  private readonly nGroups: number;
  private readonly penalized: Uint8Array;
  /** Internal coefficients (unpenalized blocks included) and the intercept. */
  private readonly wi: Float64Array;
  private b = 0;
  /** Intercept before the Newton step. */
  private b0 = 0;
  /** Coefficients of the working set before the Newton step (group-major, stacked). */
  private wOld = new Float64Array(0);
  private wsGrad = new Float64Array(0);
  private wsL = new Float64Array(0);
  /** Full-length gradient for the working-set KKT (only working-set entries are read). */
  private readonly gradFull: Float64Array;
  private readonly blockBuf: Float64Array;
  private readonly blockBuf2: Float64Array;
  private readonly gram: Float64Array;
  /** Gram mode: the model's Hessian, its gradient, the stacked working-set columns, a row. */
  private Q = new Float64Array(0);
  private gm = new Float64Array(0);
  /** Gram mode: the model's gradient at its centre, and the extrapolation's buffers. */
  private gm0 = new Float64Array(0);
  private readonly acc = new AndersonExtrapolation(MODEL_ANDERSON_K);
  private accX = new Float64Array(0);
  private accGm = new Float64Array(0);
  private accSave = new Float64Array(0);
  /** Columns mode: the working set's coefficient indices, stacked. */
  private stacked = new Int32Array(0);
  private readonly wsCols: Int32Array;
  private readonly rowBuf: Float64Array;
  private readonly colBuf: Float64Array<ArrayBuffer>;
  private readonly pt: PointBuffers;
  private readonly scratch: Float64Array;
  // Work vectors of length n (kernel memory when the design lives there), held during a step only.
  private eta: Float64Array = new Float64Array(0);
  private u: Float64Array = new Float64Array(0);
  private h: Float64Array = new Float64Array(0);
  private xd: Float64Array = new Float64Array(0);
  private tmp: Float64Array = new Float64Array(0);
  private etaTry: Float64Array = new Float64Array(0);
  private holding = false;
  private ws: Int32Array = new Int32Array(0);
  private iteration = 0;
  private bestDual = -Infinity;
  private primal = NaN;
  private outerKkt = Infinity;
  initial?: { primal: number; dual: number };

  constructor(ctx: ProblemContext, w0: Float64Array, options: ProximalOptions = {}) {
    if (ctx.T !== 1) throw new OptionError('proxNewton', `proximal Newton handles one response column, got ${ctx.T} tasks; use solver: 'bcd'`);
    if (!ctx.penalty.convex) throw new OptionError('proxNewton', `proximal Newton needs a convex penalty, '${ctx.penalty.name}' is not; use solver: 'bcd'`);
    this.ctx = ctx;
    const { op, cols, fast } = columnsFor(ctx);
    this.op = op;
    this.cols = cols;
    this.fast = fast;
    const n = (this.n = ctx.n);
    this.intercept = ctx.fitIntercept;
    this.shift = ctx.fitIntercept || ctx.datafit.shiftInvariant === true;
    const pen = ctx.penalty;
    const gs = pen.groups;
    const G = (this.nGroups = gs.nGroups);
    this.penalized = new Uint8Array(G);
    let maxM = 0;
    for (let g = 0; g < G; g++) {
      this.penalized[g] = pen.isPenalized(g) ? 1 : 0;
      maxM = Math.max(maxM, gs.ptr[g + 1] - gs.ptr[g]);
    }
    this.wi = w0.slice();
    this.w = new Float64Array(ctx.size);
    this.gradFull = new Float64Array(ctx.size);
    this.blockBuf = new Float64Array(maxM);
    this.blockBuf2 = new Float64Array(maxM);
    this.gram = new Float64Array(maxM * maxM);
    this.wsCols = new Int32Array(GRAM_MAX);
    this.rowBuf = new Float64Array(GRAM_MAX);
    this.colBuf = new Float64Array(fast ? 0 : n);
    this.pt = newPoint(ctx);
    this.scratch = new Float64Array(n);
    this.acquire();
    try {
      // A path's warm start comes evaluated (its last certificate): one evaluation less per λ.
      this.evaluateOuter(startPoint(options.start, n, ctx.size));
    } finally {
      this.releaseBuffers();
    }
    this.initial = { primal: this.primal, dual: this.bestDual };
  }

  private acquire(): void {
    if (this.holding) return;
    const { n, fast } = this;
    const vec = () => (fast ? fast.vector(n) : new Float64Array(n));
    this.eta = vec();
    this.u = vec();
    this.h = vec();
    this.xd = vec();
    this.tmp = vec();
    this.etaTry = vec();
    this.holding = fast === null;
  }

  private releaseBuffers(): void {
    if (this.fast) this.fast.release(this.eta, this.u, this.h, this.xd, this.tmp, this.etaTry);
  }

  /** Objective, dual point, full gradient and KKT at the reported point; adopt the exact unpenalized fit. */
  private evaluateOuter(given: PointBuffers | null = null, etaCurrent = false): void {
    const { ctx, pt } = this;
    const w = this.w;
    w.set(this.wi);
    for (const c of ctx.unpenalizedCoefs) w[c] = 0;
    if (given) {
      copyPoint(given, pt);
    } else {
      // X w without a pass over X where it is known: after the Newton steps η = X w + b (no
      // unpenalized feature in wi; a phantom intercept's moves stay in η, hence excluded), and
      // X·0 = 0 at a cold start. The point's dual value stays a
      // bound whatever rounding η carries (u = ∇F at η, its unpenalized part refitted, θ from the
      // exact Xᵀu), and the driver certifies from scratch.
      if (etaCurrent && ctx.unpenalizedCoefs.length === 0 && (this.intercept || !this.shift)) {
        const b = this.intercept ? this.b : 0;
        for (let i = 0; i < this.n; i++) pt.eta0[i] = this.eta[i] - b;
      } else if (isZero(w)) pt.eta0.fill(0);
      else this.op.apply(w, pt.eta0);
      evaluateFromEta0(ctx, pt, false);
      this.op.applyTranspose(pt.u, pt.grad);
    }
    this.primal = pt.loss + ctx.penalty.value(w);
    const d = dualValue(ctx, pt, this.scratch);
    if (d > this.bestDual) this.bestDual = d;
    this.outerKkt = kktViolation(ctx, w, pt);
    if (ctx.unpenalizedCoefs.length > 0) {
      const full = ctx.fullCoefficients(w);
      for (const c of ctx.unpenalizedCoefs) this.wi[c] = full[c];
    }
    if (this.intercept) this.b = ctx.unpenalizedCoefficients().intercepts[0];
  }

  next(): IteratorResult<IterationInfo> {
    this.iteration++;
    this.acquire();
    try {
      return this.step();
    } finally {
      this.releaseBuffers();
    }
  }

  /** Whether this outer step has used the work or the time the driver left it. */
  private outOfBudget(): boolean {
    const lim = this.limits;
    if (!lim) return false;
    return this.work >= lim.work || (lim.deadline !== undefined && performance.now() >= lim.deadline);
  }

  private step(): IteratorResult<IterationInfo> {
    this.work = 1;
    const { ctx, nGroups: G } = this;
    const pen = ctx.penalty;
    const gs = pen.groups;
    const grad = this.pt.grad;
    // Working set from the scores at the current point.
    const score = new Float64Array(G);
    let support = 0;
    const forced: number[] = [];
    const candidates: number[] = [];
    for (let g = 0; g < G; g++) {
      let nz = false;
      for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) if (this.wi[gs.indices[k]] !== 0) nz = true;
      if (!this.penalized[g] || nz) {
        forced.push(g);
        if (nz && this.penalized[g]) support++;
        continue;
      }
      score[g] = pen.groupViolation(this.w, grad, g);
      if (score[g] > 0) candidates.push(g);
    }
    const size = Math.max(MIN_WS, 2 * support);
    candidates.sort((a, b) => score[b] - score[a] || a - b);
    const chosen = forced.concat(candidates.slice(0, Math.max(0, size - forced.length)));
    chosen.sort((a, b) => a - b);
    this.ws = Int32Array.from(chosen);
    let nc = 0;
    for (const g of this.ws) nc += gs.ptr[g + 1] - gs.ptr[g];
    if (this.wOld.length < nc) {
      this.wOld = new Float64Array(nc);
      this.wsGrad = new Float64Array(nc);
    }
    if (this.wsL.length < this.ws.length) this.wsL = new Float64Array(this.ws.length);
    // The internal point: η = X wi + b (the unpenalized blocks at the context's exact fit), which
    // is the η the outer evaluation just formed, with its loss gradient: no pass over X needed.
    this.eta.set(this.pt.eta);
    this.u.set(this.pt.u);
    this.wsGradient();
    const tolIn = this.innerTolerance();
    for (let s = 0; s < MAX_NEWTON_STEPS; s++) {
      if (!this.newtonStep(tolIn)) break;
      if (this.wsViolation() <= tolIn) break;
      if (this.outOfBudget()) break;
    }
    this.evaluateOuter(null, true);
    if (!Number.isFinite(this.primal)) return this.report('diverged: the objective is not finite');
    return this.report('ok');
  }

  /** KKT target of the working-set problem (see AIM_RANGE). */
  private innerTolerance(): number {
    let ratio = INNER_RATIO;
    const target = this.limits?.gapTol;
    if (target !== undefined) {
      const gap = this.primal - this.bestDual;
      const want = target * Math.abs(this.primal);
      if (gap > want && want >= AIM_RANGE * gap) ratio = Math.min(INNER_RATIO, (AIM_SAFETY * want) / gap);
    }
    return ratio * this.outerKkt;
  }

  private report(status: string): IteratorResult<IterationInfo> {
    return { done: false, value: { iteration: this.iteration, primal: this.primal, dual: this.bestDual, step: NaN, status, work: this.work } };
  }

  /** wsGrad ← X_gᵀ u for every group of the working set (stacked). */
  private wsGradient(): void {
    const gs = this.ctx.penalty.groups;
    let o = 0;
    for (const g of this.ws) {
      const s = gs.ptr[g], e = gs.ptr[g + 1];
      this.cols.dotBlock(gs.indices, s, e, this.u, this.blockBuf);
      for (let k = 0; k < e - s; k++) this.wsGrad[o + k] = this.blockBuf[k];
      o += e - s;
    }
  }

  /** KKT violation of the working-set problem at the internal point (wsGrad and u current). */
  private wsViolation(): number {
    const pen = this.ctx.penalty;
    const gs = pen.groups;
    let v = 0;
    let o = 0;
    for (const g of this.ws) {
      const s = gs.ptr[g], e = gs.ptr[g + 1];
      for (let k = s; k < e; k++) this.gradFull[gs.indices[k]] = this.wsGrad[o + k - s];
      o += e - s;
      const viol = pen.groupViolation(this.wi, this.gradFull, g);
      if (viol > v) v = viol;
    }
    if (this.intercept) {
      let su = 0;
      for (let i = 0; i < this.n; i++) su += this.u[i];
      v = Math.max(v, Math.abs(su));
    }
    return v;
  }

  /** h∘x_j into out (length n). */
  private weightedColumn(j: number, h: Float64Array, out: Float64Array): void {
    const n = this.n;
    if (this.fast) {
      const d = this.fast.data;
      const o = j * n;
      for (let i = 0; i < n; i++) out[i] = h[i] * d[o + i];
      return;
    }
    const col = materializeColumn(this.op, j, this.colBuf);
    for (let i = 0; i < n; i++) out[i] = h[i] * col[i];
  }

  /** ‖H^{1/2} X_g‖₂² (the curvature of the quadratic model along group g). */
  private blockCurvature(g: number): number {
    const gs = this.ctx.penalty.groups;
    const s = gs.ptr[g], e = gs.ptr[g + 1], m = e - s;
    if (m === 1) {
      this.weightedColumn(gs.indices[s], this.h, this.tmp);
      return this.cols.dot(gs.indices[s], this.tmp);
    }
    const M = this.gram;
    // Upper triangle only (M is symmetric): row a needs the columns a..m−1.
    for (let a = 0; a < m; a++) {
      this.weightedColumn(gs.indices[s + a], this.h, this.tmp);
      this.cols.dotBlock(gs.indices, s + a, e, this.tmp, this.blockBuf);
      for (let c = a; c < m; c++) M[a * m + c] = M[c * m + a] = this.blockBuf[c - a];
    }
    return largestEigenvalueSpd(M.subarray(0, m * m), m);
  }

  /**
   * One Newton step on the working set: minimize the quadratic model by block prox steps, then a
   * line search along the result. Returns false when the step cannot move (the model's minimizer
   * is the current point, or no step length passes the test).
   */
  private newtonStep(tolIn: number): boolean {
    const { n, ws } = this;
    const pen = this.ctx.penalty;
    const gs = pen.groups;
    const df = this.ctx.datafit;
    const h = this.h;
    df.hessianDiag(this.eta, h);
    // Save the working-set coefficients; the model is minimized in wi directly.
    let nc = 0;
    for (const g of ws) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) this.wOld[nc++] = this.wi[gs.indices[k]];
    const b0 = this.b;
    this.b0 = b0;
    const xd = this.xd;
    if (nc <= GRAM_MAX) this.modelByGram(nc, tolIn);
    else this.modelByColumns(tolIn);
    // δ = model minimizer − old point; put the old point back and search along δ. A phantom
    // intercept's move changes nothing (the loss ignores constants) and is dropped.
    const delta = this.wsDelta();
    const db = this.intercept ? this.b - b0 : 0;
    let any = db !== 0;
    for (let k = 0; k < delta.length; k++) if (delta[k] !== 0) any = true;
    this.restore(b0);
    if (!any) return false;
    if (nc <= GRAM_MAX) {
      // X δ once, for the line search (the columns mode kept it up to date).
      xd.fill(db);
      this.cols.axpyBlock(this.wsCols, 0, nc, delta, xd);
    }
    const pen0 = pen.value(this.wi);
    const kkt0 = this.wsViolation();
    let t = 1;
    for (let it = 0; it < MAX_BACKTRACK; it++) {
      this.moveTo(t, delta, db);
      const eta = this.etaTry;
      for (let i = 0; i < n; i++) eta[i] = this.eta[i] + t * xd[i];
      df.valueGrad(eta, this.u);
      this.wsGradient();
      let dir = 0;
      for (let k = 0; k < delta.length; k++) dir += this.wsGrad[k] * delta[k];
      if (this.intercept) {
        let su = 0;
        for (let i = 0; i < n; i++) su += this.u[i];
        dir += su * db;
      }
      const crit = pen.value(this.wi) - pen0 + t * dir;
      // Near the optimum the test is second order in δ and drowns in the rounding of Ω's value:
      // a full step that lowers the optimality residual is then what Newton's method takes.
      if (crit < 0 || (t === 1 && this.wsViolation() < kkt0)) {
        this.eta.set(eta);
        return true;
      }
      t /= 2;
    }
    // No step length decreases the objective (rounding level): stay at the old point.
    this.moveTo(0, delta, db);
    df.valueGrad(this.eta, this.u);
    this.wsGradient();
    return false;
  }

  /**
   * Small working sets: the model's Hessian Q = [X_ws, 1]ᵀ H [X_ws, 1] formed once (nc²·n), after
   * which a coordinate epoch costs nc² instead of 3·nc·n, so the model can be solved far more
   * accurately for the price of a few column epochs.
   */
  private modelByGram(nc: number, tolIn: number): void {
    const { n, ws } = this;
    const pen = this.ctx.penalty;
    const gs = pen.groups;
    const h = this.h;
    const K = nc + (this.shift ? 1 : 0);
    if (this.Q.length < K * K) this.Q = new Float64Array(K * K);
    if (this.gm.length < K) {
      this.gm = new Float64Array(K);
      this.gm0 = new Float64Array(K);
      this.accX = new Float64Array(K);
      this.accGm = new Float64Array(K);
      this.accSave = new Float64Array(K);
    }
    const Q = this.Q, gm = this.gm;
    let o = 0;
    for (const g of ws) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) this.wsCols[o++] = gs.indices[k];
    for (let a = 0; a < nc; a++) {
      this.weightedColumn(this.wsCols[a], h, this.tmp);
      this.cols.dotBlock(this.wsCols, 0, nc, this.tmp, this.rowBuf);
      for (let c = 0; c < nc; c++) Q[a * K + c] = this.rowBuf[c];
      if (this.shift) {
        let s = 0;
        for (let i = 0; i < n; i++) s += this.tmp[i];
        Q[a * K + nc] = s;
        Q[nc * K + a] = s;
      }
    }
    let gb = 0;
    if (this.shift) {
      let s = 0;
      for (let i = 0; i < n; i++) {
        s += h[i];
        gb += this.u[i];
      }
      Q[nc * K + nc] = s;
    }
    for (let k = 0; k < nc; k++) gm[k] = this.wsGrad[k];
    if (this.shift) gm[nc] = gb;
    // Block constants: the top eigenvalue of each diagonal block of Q.
    o = 0;
    for (let q = 0; q < ws.length; q++) {
      const m = gs.ptr[ws[q] + 1] - gs.ptr[ws[q]];
      if (m === 1) this.wsL[q] = Q[o * K + o];
      else {
        const M = this.gram;
        for (let a = 0; a < m; a++) for (let c = 0; c < m; c++) M[a * m + c] = Q[(o + a) * K + o + c];
        this.wsL[q] = largestEigenvalueSpd(M.subarray(0, m * m), m);
      }
      o += m;
    }
    this.gm0.set(gm.subarray(0, K));
    const acc = this.acc;
    acc.begin(K);
    this.gatherModel(nc, acc.slot());
    acc.commit();
    const v = this.blockBuf;
    const d = this.blockBuf2;
    for (let epoch = 1; epoch <= MAX_GRAM_EPOCHS; epoch++) {
      this.work++;
      if (this.outOfBudget()) break;
      let worst = 0;
      o = 0;
      for (let q = 0; q < ws.length; q++) {
        const g = ws[q];
        const s = gs.ptr[g], m = gs.ptr[g + 1] - s;
        const L = this.wsL[q];
        for (let k = 0; k < m; k++) this.gradFull[gs.indices[s + k]] = gm[o + k];
        worst = Math.max(worst, pen.groupViolation(this.wi, this.gradFull, g));
        if (blockProxStep(pen, g, this.wi, gm.subarray(o, o + m), L, this.penalized[g] !== 0, v, d) > 0) {
          for (let k = 0; k < m; k++) {
            const dk = d[k];
            if (dk === 0) continue;
            const row = (o + k) * K; // Q is symmetric: column o+k read as a row
            for (let c = 0; c < K; c++) gm[c] += Q[row + c] * dk;
          }
        }
        o += m;
      }
      if (this.shift) {
        const Lb = Q[nc * K + nc];
        worst = Math.max(worst, Math.abs(gm[nc]));
        if (Lb > 0) {
          const db = -gm[nc] / Lb;
          if (db !== 0) {
            this.b += db;
            const row = nc * K;
            for (let c = 0; c < K; c++) gm[c] += Q[row + c] * db;
          }
        }
      }
      if (worst <= INNER_RATIO * tolIn) break;
      this.gatherModel(nc, acc.slot());
      acc.commit();
      if (acc.full) {
        this.extrapolateModel(nc, K);
        acc.restart();
        this.gatherModel(nc, acc.slot());
        acc.commit();
      }
    }
  }

  /** The Gram model's variables: the working-set coefficients (stacked) and the intercept. */
  private gatherModel(nc: number, out: Float64Array): void {
    for (let a = 0; a < nc; a++) out[a] = this.wi[this.wsCols[a]];
    if (this.shift) out[nc] = this.b;
  }

  /**
   * q(x) − q(x₀) of the Gram model at its variables x (wi, b), from gm = gm₀ + Q(x − x₀):
   * ⟨gm₀, d⟩ + ½dᵀQd = ½⟨gm₀ + gm, d⟩ with d = x − x₀, plus the working set's penalty.
   */
  private modelValue(nc: number, gm: Float64Array): number {
    const gm0 = this.gm0;
    let s = 0;
    for (let a = 0; a < nc; a++) s += (gm0[a] + gm[a]) * (this.wi[this.wsCols[a]] - this.wOld[a]);
    if (this.shift) s += (gm0[nc] + gm[nc]) * (this.b - this.b0);
    s *= 0.5;
    const pen = this.ctx.penalty;
    for (const g of this.ws) if (this.penalized[g]) s += pen.groupValue(this.wi, g);
    return s;
  }

  /** Anderson extrapolation of the last epochs of the Gram model, kept only if it lowers the model. */
  private extrapolateModel(nc: number, K: number): void {
    const x = this.accX;
    if (!this.acc.extrapolate(x)) return;
    const { Q, gm0 } = this;
    const gm = this.gm;
    const gmC = this.accGm;
    const before = this.modelValue(nc, gm);
    const save = this.accSave;
    this.gatherModel(nc, save);
    // gmC = gm₀ + Q(x − x₀) (Q symmetric: row a read as column a).
    gmC.set(gm0.subarray(0, K));
    for (let a = 0; a < K; a++) {
      const da = x[a] - (a < nc ? this.wOld[a] : this.b0);
      if (da === 0) continue;
      const row = a * K;
      for (let c = 0; c < K; c++) gmC[c] += Q[row + c] * da;
    }
    for (let a = 0; a < nc; a++) this.wi[this.wsCols[a]] = x[a];
    if (this.shift) this.b = x[nc];
    const after = this.modelValue(nc, gmC);
    if (after < before) {
      gm.set(gmC.subarray(0, K));
      return;
    }
    for (let a = 0; a < nc; a++) this.wi[this.wsCols[a]] = save[a];
    if (this.shift) this.b = save[nc];
  }

  /** Large working sets: block prox steps keeping X δ up to date (3 column passes per block). */
  private modelByColumns(tolIn: number): void {
    const { n, ws } = this;
    const pen = this.ctx.penalty;
    const gs = pen.groups;
    const h = this.h;
    for (let q = 0; q < ws.length; q++) this.wsL[q] = this.blockCurvature(ws[q]);
    let Lb = 0;
    let gb = 0;
    if (this.shift) {
      for (let i = 0; i < n; i++) {
        Lb += h[i];
        gb += this.u[i];
      }
    }
    const xd = this.xd;
    xd.fill(0);
    let nc = 0;
    for (const g of ws) nc += gs.ptr[g + 1] - gs.ptr[g];
    if (this.stacked.length < nc) this.stacked = new Int32Array(nc);
    {
      let o = 0;
      for (const g of ws) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) this.stacked[o++] = gs.indices[k];
    }
    const acc = this.acc;
    const len = nc + 1 + n;
    if (this.accX.length < len) {
      this.accX = new Float64Array(len);
      this.accSave = new Float64Array(len);
    }
    acc.begin(len);
    this.gatherColumns(nc, acc.slot());
    acc.commit();
    const v = this.blockBuf;
    const d = this.blockBuf2;
    for (let epoch = 1; epoch <= MAX_CD_EPOCHS; epoch++) {
      this.work++;
      if (this.outOfBudget()) break;
      let worst = 0;
      const check = epoch % CD_CHECK_EVERY === 0;
      let o = 0;
      // tmp holds H X δ while no block has moved since it was formed: the blocks that stay put
      // (most of the candidates added to the working set) then cost one column pass, not two.
      let hxdStale = true;
      for (let q = 0; q < ws.length; q++) {
        const g = ws[q];
        const s = gs.ptr[g], e = gs.ptr[g + 1], m = e - s;
        const L = this.wsL[q];
        // Model gradient along the block: X_gᵀu + X_gᵀ H X δ (a block with L ≤ 0 does not touch
        // the model: its step needs no gradient).
        if (L > 0) {
          if (hxdStale) {
            const hx = this.tmp;
            for (let i = 0; i < n; i++) hx[i] = h[i] * xd[i];
            hxdStale = false;
          }
          this.cols.dotBlock(gs.indices, s, e, this.tmp, v);
          for (let k = 0; k < m; k++) {
            v[k] += this.wsGrad[o + k];
            if (check) this.gradFull[gs.indices[s + k]] = v[k];
          }
          if (check) worst = Math.max(worst, pen.groupViolation(this.wi, this.gradFull, g));
        }
        const moved = blockProxStep(pen, g, this.wi, v, L, this.penalized[g] !== 0, v, d) > 0;
        if (moved) {
          this.cols.axpyBlock(gs.indices, s, e, d, xd);
          hxdStale = true;
        }
        o += m;
      }
      if (this.shift && Lb > 0) {
        let hx = 0;
        if (hxdStale) for (let i = 0; i < n; i++) hx += h[i] * xd[i];
        else for (let i = 0; i < n; i++) hx += this.tmp[i];
        const gInt = gb + hx;
        if (check) worst = Math.max(worst, Math.abs(gInt));
        const db = -gInt / Lb;
        if (db !== 0) {
          this.b += db;
          for (let i = 0; i < n; i++) xd[i] += db;
        }
      }
      if (check && worst <= INNER_RATIO * tolIn) break;
      this.gatherColumns(nc, acc.slot());
      acc.commit();
      if (acc.full) {
        this.extrapolateColumns(nc);
        acc.restart();
        this.gatherColumns(nc, acc.slot());
        acc.commit();
      }
    }
  }

  /** The columns model's variables: working-set coefficients (stacked), intercept, and X δ. */
  private gatherColumns(nc: number, out: Float64Array): void {
    for (let a = 0; a < nc; a++) out[a] = this.wi[this.stacked[a]];
    out[nc] = this.b;
    out.set(this.xd.subarray(0, this.n), nc + 1);
  }

  /** q(δ) − q(0) of the columns model: ⟨u, Xδ⟩ + ½‖H^{1/2}Xδ‖² plus the working set's penalty. */
  private columnsModelValue(): number {
    const { u, h, xd, n } = this;
    let s = 0;
    for (let i = 0; i < n; i++) s += xd[i] * (u[i] + 0.5 * h[i] * xd[i]);
    const pen = this.ctx.penalty;
    for (const g of this.ws) if (this.penalized[g]) s += pen.groupValue(this.wi, g);
    return s;
  }

  /**
   * Anderson extrapolation of the last epochs of the columns model (X δ is linear in the
   * variables, so it is extrapolated with them), kept only if it lowers the model.
   */
  private extrapolateColumns(nc: number): void {
    const x = this.accX;
    if (!this.acc.extrapolate(x)) return;
    const before = this.columnsModelValue();
    const save = this.accSave;
    this.gatherColumns(nc, save);
    const n = this.n;
    for (let a = 0; a < nc; a++) this.wi[this.stacked[a]] = x[a];
    this.b = x[nc];
    this.xd.set(x.subarray(nc + 1, nc + 1 + n));
    if (this.columnsModelValue() < before) return;
    for (let a = 0; a < nc; a++) this.wi[this.stacked[a]] = save[a];
    this.b = save[nc];
    this.xd.set(save.subarray(nc + 1, nc + 1 + n));
  }

  /** δ over the working set (stacked), from wi (model minimizer) and wOld. */
  private wsDelta(): Float64Array {
    const gs = this.ctx.penalty.groups;
    let o = 0;
    const out = this.tmpDelta();
    for (const g of this.ws) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) {
      out[o] = this.wi[gs.indices[k]] - this.wOld[o];
      o++;
    }
    return out;
  }

  private deltaBuf = new Float64Array(0);
  private tmpDelta(): Float64Array {
    const gs = this.ctx.penalty.groups;
    let nc = 0;
    for (const g of this.ws) nc += gs.ptr[g + 1] - gs.ptr[g];
    if (this.deltaBuf.length !== nc) this.deltaBuf = new Float64Array(nc);
    return this.deltaBuf;
  }

  private restore(b0: number): void {
    const gs = this.ctx.penalty.groups;
    let o = 0;
    for (const g of this.ws) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) this.wi[gs.indices[k]] = this.wOld[o++];
    this.b = b0;
  }

  /** wi ← wOld + tδ on the working set, b ← b0 + t·δb. */
  private moveTo(t: number, delta: Float64Array, db: number): void {
    const gs = this.ctx.penalty.groups;
    let o = 0;
    for (const g of this.ws) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) {
      this.wi[gs.indices[k]] = this.wOld[o] + t * delta[o];
      o++;
    }
    if (this.intercept) this.b = this.b0 + t * db;
  }
}

function isZero(w: Float64Array): boolean {
  for (let j = 0; j < w.length; j++) if (w[j] !== 0) return false;
  return true;
}

// 'auto' prefers it over block coordinate descent (priority 10) for every smooth loss whose
// curvature is not a constant (logistic, Poisson), with one response column and a convex
// penalty (the line search's descent test rests on convexity), and block Hessians that cost
// little next to the fit.
registerSolver('proxNewton', (ctx, w0, options) => new ProxNewton(ctx, w0, options), {
  accepts: (ctx) => Boolean(ctx.X.columns) && !ctx.datafit.quadratic && ctx.T === 1 && ctx.penalty.convex && blockGramsAffordable(ctx.penalty.groups, ctx.p),
  priority: 20,
  workingSets: true,
});
