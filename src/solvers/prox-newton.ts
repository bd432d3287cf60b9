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
/**
 * Variables (working-set coefficients and intercepts over all tasks) up to which the Gram model of
 * a loss that couples its tasks (the multinomial) carries the true Hessian rather than its
 * diagonal: its matrix has (T·K)² entries, and forming it costs T·K Hessian-vector products.
 */
const COUPLED_MAX = 1024;
/** Newton steps per working set at most. */
const MAX_NEWTON_STEPS = 100;
/** Halvings of the step at most in the line search. */
const MAX_BACKTRACK = 30;

/**
 * Proximal Newton with working sets (skglm's `GroupProxNewton`; Lee, Sun & Saunders 2014 for the
 * method, Massias et al. 2020 for the working sets) for
 *   min_w  F(Xw + A c) + Ω(w)
 * with a smooth loss F of η (n × T: logistic, Poisson, Cox, the multinomial, weighted squared
 * losses, any datafit that gives its Hessian diagonal) and a group penalty Ω.
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
 *
 * Several response columns (T > 1, W p × T column-major, group g = its features' rows of W): the
 * model's metric is H = diag ∇²F(η) in η-space, so its Hessian (I ⊗ X)ᵀ H (I ⊗ X) is block-diagonal
 * over the tasks and a group's block constant is max_t ‖H_t^{1/2} X_g‖₂². For a separable loss that
 * is the exact Hessian; for the multinomial (row blocks diag p − ppᵀ) it is the Hessian's diagonal,
 * within a factor 2 of it (diag p − ppᵀ ≼ 2 diag(p(1 − p)), Gershgorin), and scaled like it on nearly
 * separable rows, where p(1 − p) ≪ the global bound 1/2 that FISTA steps with. The line search's
 * test needs only convexity, so the metric's mismatch costs steps, never descent. One intercept
 * per task is a coordinate of the model.
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
  private readonly p: number;
  /** Response columns (tasks); a group's coefficients are its m_g features × T, task-major. */
  private readonly T: number;
  /** Features per group (its coefficients over T); the features are gs.indices[ptr[g] .. ptr[g] + m_g). */
  private readonly fm: Int32Array;
  private readonly intercept: boolean;
  /**
   * Whether the loss couples the tasks (∇²F not diagonal, T > 1: the multinomial). Small working
   * sets then solve the model with its true Hessian (I ⊗ X)ᵀ∇²F(I ⊗ X), formed from Hessian-vector
   * products: with the diagonal alone each Newton step cut the KKT violation only ~1.5× near a
   * nearly separable optimum, where the true Hessian gives Newton's local convergence.
   */
  private readonly coupled: boolean;
  /** Gram mode: whether the current model's Q is the coupled one (T·K × T·K), else T blocks K × K. */
  private qCoupled = false;
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
  /** Internal coefficients (unpenalized blocks included) and the intercept of every task. */
  private readonly wi: Float64Array;
  private readonly b: Float64Array;
  /** Intercepts before the Newton step, and their move. */
  private readonly b0: Float64Array;
  private readonly db: Float64Array;
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
  /** Gram mode: the model's gradient at its centre, its variables there, and the extrapolation's buffers. */
  private gm0 = new Float64Array(0);
  private x0 = new Float64Array(0);
  private readonly acc = new AndersonExtrapolation(MODEL_ANDERSON_K);
  private accX = new Float64Array(0);
  private accGm = new Float64Array(0);
  private accSave = new Float64Array(0);
  /** Columns mode: the working set's coefficient indices, stacked. */
  private stacked = new Int32Array(0);
  /** Gram mode: the working set's features (stacked), with the offset of each group's. */
  private readonly wsCols: Int32Array;
  private wsFeatOff = new Int32Array(0);
  private readonly rowBuf: Float64Array;
  /** One task's part of a block (T > 1): its gradient or its move. */
  private readonly taskBuf: Float64Array;
  /** One task's part of δ over the working-set features (Gram mode, T > 1). */
  private readonly deltaTask: Float64Array;
  private readonly colBuf: Float64Array<ArrayBuffer>;
  private readonly pt: PointBuffers;
  private readonly scratch: Float64Array;
  // Work vectors of length n·T (kernel memory when the design lives there), held during a step
  // only, with their per-task views (remade when the pool hands out another vector).
  private eta: Float64Array = new Float64Array(0);
  private u: Float64Array = new Float64Array(0);
  private h: Float64Array = new Float64Array(0);
  private xd: Float64Array = new Float64Array(0);
  private tmp: Float64Array = new Float64Array(0);
  private etaTry: Float64Array = new Float64Array(0);
  private etaTryT: Float64Array[] = [];
  /** The rows' Hessian blocks (n·T², datafits that give them) and their n-long views. */
  private rowH = new Float64Array(0);
  private rowHT: Float64Array[] = [];
  private uT: Float64Array[] = [];
  private hT: Float64Array[] = [];
  private xdT: Float64Array[] = [];
  private tmpT: Float64Array[] = [];
  private holding = false;
  private ws: Int32Array = new Int32Array(0);
  private iteration = 0;
  private bestDual = -Infinity;
  private primal = NaN;
  private outerKkt = Infinity;
  initial?: { primal: number; dual: number };

  constructor(ctx: ProblemContext, w0: Float64Array, options: ProximalOptions = {}) {
    if (!ctx.penalty.convex) throw new OptionError('proxNewton', `proximal Newton needs a convex penalty, '${ctx.penalty.name}' is not; use solver: 'bcd'`);
    this.ctx = ctx;
    const { op, cols, fast } = columnsFor(ctx);
    this.op = op;
    this.cols = cols;
    this.fast = fast;
    const n = (this.n = ctx.n);
    const T = (this.T = ctx.T);
    this.p = ctx.p;
    this.intercept = ctx.fitIntercept;
    this.coupled = T > 1 && !ctx.datafit.separable;
    // A loss invariant to one constant added to all of η (Cox) gets a phantom intercept; with
    // several tasks that constant spans them all, which no per-task coordinate is.
    this.shift = ctx.fitIntercept || (T === 1 && ctx.datafit.shiftInvariant === true);
    const pen = ctx.penalty;
    const gs = pen.groups;
    const G = (this.nGroups = gs.nGroups);
    const fm = taskLayout(gs, ctx.p, T);
    if (!fm) throw new OptionError('proxNewton', `proximal Newton needs every group to hold the same features in each of the ${T} tasks (expandForTasks); use solver: 'fista'`);
    this.fm = fm;
    this.penalized = new Uint8Array(G);
    let maxM = 0;
    let maxF = 0;
    for (let g = 0; g < G; g++) {
      this.penalized[g] = pen.isPenalized(g) ? 1 : 0;
      maxM = Math.max(maxM, gs.ptr[g + 1] - gs.ptr[g]);
      maxF = Math.max(maxF, fm[g]);
    }
    this.b = new Float64Array(T);
    this.b0 = new Float64Array(T);
    this.db = new Float64Array(T);
    this.wi = w0.slice();
    this.w = new Float64Array(ctx.size);
    this.gradFull = new Float64Array(ctx.size);
    this.blockBuf = new Float64Array(maxM);
    this.blockBuf2 = new Float64Array(maxM);
    this.gram = new Float64Array(maxM * maxM);
    this.wsCols = new Int32Array(GRAM_MAX);
    this.rowBuf = new Float64Array(Math.max(GRAM_MAX + 1, maxF));
    this.taskBuf = new Float64Array(T > 1 ? maxF : 0);
    this.deltaTask = new Float64Array(T > 1 ? GRAM_MAX : 0);
    this.colBuf = new Float64Array(fast ? 0 : n);
    this.pt = newPoint(ctx);
    this.scratch = new Float64Array(n * T);
    this.acquire();
    try {
      // A path's warm start comes evaluated (its last certificate): one evaluation less per λ.
      this.evaluateOuter(startPoint(options.start, n * T, ctx.size));
    } finally {
      this.releaseBuffers();
    }
    this.initial = { primal: this.primal, dual: this.bestDual };
  }

  private acquire(): void {
    if (this.holding) return;
    const { n, T, fast } = this;
    const vec = () => (fast ? fast.vector(n * T) : new Float64Array(n * T));
    this.eta = vec();
    const u = vec(), h = vec(), xd = vec(), tmp = vec();
    if (u !== this.u) this.uT = taskViews(u, n, T);
    if (h !== this.h) this.hT = taskViews(h, n, T);
    if (xd !== this.xd) this.xdT = taskViews(xd, n, T);
    if (tmp !== this.tmp) this.tmpT = taskViews(tmp, n, T);
    this.u = u;
    this.h = h;
    this.xd = xd;
    this.tmp = tmp;
    const etaTry = vec();
    if (etaTry !== this.etaTry) this.etaTryT = taskViews(etaTry, n, T);
    this.etaTry = etaTry;
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
      const { n, p, T } = this;
      if (etaCurrent && ctx.unpenalizedCoefs.length === 0 && (this.intercept || !this.shift)) {
        for (let t = 0; t < T; t++) {
          const b = this.intercept ? this.b[t] : 0;
          for (let i = t * n; i < (t + 1) * n; i++) pt.eta0[i] = this.eta[i] - b;
        }
      } else if (isZero(w)) pt.eta0.fill(0);
      else if (T === 1) this.op.apply(w, pt.eta0);
      else for (let t = 0; t < T; t++) this.op.apply(w.subarray(t * p, (t + 1) * p), pt.eta0.subarray(t * n, (t + 1) * n));
      evaluateFromEta0(ctx, pt, false);
      if (T === 1) this.op.applyTranspose(pt.u, pt.grad);
      else for (let t = 0; t < T; t++) this.op.applyTranspose(pt.u.subarray(t * n, (t + 1) * n), pt.grad.subarray(t * p, (t + 1) * p));
    }
    this.primal = pt.loss + ctx.penalty.value(w);
    const d = dualValue(ctx, pt, this.scratch);
    if (d > this.bestDual) this.bestDual = d;
    this.outerKkt = kktViolation(ctx, w, pt);
    if (ctx.unpenalizedCoefs.length > 0) {
      const full = ctx.fullCoefficients(w);
      for (const c of ctx.unpenalizedCoefs) this.wi[c] = full[c];
    }
    if (this.intercept) this.b.set(ctx.unpenalizedCoefficients().intercepts);
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
    if (this.wsL.length < this.ws.length) {
      this.wsL = new Float64Array(this.ws.length);
      this.wsFeatOff = new Int32Array(this.ws.length);
    }
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

  /** wsGrad ← X_gᵀ u_t for every group of the working set and every task (stacked, group order). */
  private wsGradient(): void {
    const gs = this.ctx.penalty.groups;
    const { T, fm } = this;
    let o = 0;
    for (const g of this.ws) {
      const s = gs.ptr[g], m = fm[g];
      for (let t = 0; t < T; t++) {
        this.cols.dotBlock(gs.indices, s, s + m, this.uT[t], this.blockBuf);
        for (let k = 0; k < m; k++) this.wsGrad[o + k] = this.blockBuf[k];
        o += m;
      }
    }
  }

  /** Σ_i u_ti, the intercept's gradient in task t. */
  private taskSum(v: Float64Array[], t: number): number {
    const vt = v[t];
    let s = 0;
    for (let i = 0; i < this.n; i++) s += vt[i];
    return s;
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
    if (this.intercept) for (let t = 0; t < this.T; t++) v = Math.max(v, Math.abs(this.taskSum(this.uT, t)));
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

  /**
   * out[k] ← x_{idx[k]}ᵀ diag(h) x_j for k in [start, end): a row of the weighted Gram matrix, on
   * the kernels without forming h∘x_j where the design lives there, else through tmp (length n).
   */
  private weightedRow(idx: Int32Array, start: number, end: number, j: number, h: Float64Array, tmp: Float64Array, out: Float64Array): void {
    const fast = this.fast;
    if (fast) {
      const n = this.n;
      fast.dotBlockWeighted(idx, start, end, fast.data.subarray(j * n, (j + 1) * n), h, out);
      return;
    }
    this.weightedColumn(j, h, tmp);
    this.cols.dotBlock(idx, start, end, tmp, out);
  }

  /** max_t ‖H_t^{1/2} X_g‖₂² (the curvature of the quadratic model along group g). */
  private blockCurvature(g: number): number {
    let L = 0;
    for (let t = 0; t < this.T; t++) L = Math.max(L, this.taskCurvature(g, this.hT[t], this.tmpT[0]));
    return L;
  }

  /** ‖diag(h)^{1/2} X_g‖₂² over the group's features, with tmp (length n) as work space. */
  private taskCurvature(g: number, h: Float64Array, tmp: Float64Array): number {
    const gs = this.ctx.penalty.groups;
    const s = gs.ptr[g], m = this.fm[g], e = s + m;
    if (m === 1) {
      this.weightedColumn(gs.indices[s], h, tmp);
      return this.cols.dot(gs.indices[s], tmp);
    }
    const M = this.gram;
    // Upper triangle only (M is symmetric): row a needs the columns a..m−1.
    for (let a = 0; a < m; a++) {
      this.weightedRow(gs.indices, s + a, e, gs.indices[s + a], h, tmp, this.blockBuf);
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
    const { n, T, ws } = this;
    const pen = this.ctx.penalty;
    const gs = pen.groups;
    const df = this.ctx.datafit;
    // Save the working-set coefficients; the model is minimized in wi directly.
    let nc = 0;
    let ncf = 0;
    for (const g of ws) {
      for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) this.wOld[nc++] = this.wi[gs.indices[k]];
      ncf += this.fm[g];
    }
    this.b0.set(this.b);
    const xd = this.xd;
    const gram = ncf <= GRAM_MAX;
    this.qCoupled = gram && this.coupled && T * (ncf + (this.shift ? 1 : 0)) <= COUPLED_MAX;
    // The coupled model reads the Hessian through its products only.
    if (!this.qCoupled) df.hessianDiag(this.eta, this.h);
    if (gram) this.modelByGram(ncf, tolIn);
    else this.modelByColumns(tolIn);
    // δ = model minimizer − old point; put the old point back and search along δ. A phantom
    // intercept's move changes nothing (the loss ignores constants) and is dropped.
    const delta = this.wsDelta();
    const db = this.db;
    let any = false;
    for (let t = 0; t < T; t++) {
      db[t] = this.intercept ? this.b[t] - this.b0[t] : 0;
      if (db[t] !== 0) any = true;
    }
    for (let k = 0; k < delta.length; k++) if (delta[k] !== 0) any = true;
    this.restore();
    if (!any) return false;
    if (gram) {
      // X δ once, for the line search (the columns mode kept it up to date).
      if (T === 1) {
        xd.fill(db[0]);
        this.cols.axpyBlock(this.wsCols, 0, nc, delta, xd);
      } else {
        for (let t = 0; t < T; t++) {
          this.xdT[t].fill(db[t]);
          this.cols.axpyBlock(this.wsCols, 0, ncf, this.taskDelta(delta, t), this.xdT[t]);
        }
      }
    }
    const pen0 = pen.value(this.wi);
    const kkt0 = this.wsViolation();
    const N = n * T;
    let t = 1;
    for (let it = 0; it < MAX_BACKTRACK; it++) {
      this.moveTo(t, delta);
      const eta = this.etaTry;
      for (let i = 0; i < N; i++) eta[i] = this.eta[i] + t * xd[i];
      df.valueGrad(eta, this.u);
      this.wsGradient();
      let dir = 0;
      for (let k = 0; k < delta.length; k++) dir += this.wsGrad[k] * delta[k];
      if (this.intercept) for (let q = 0; q < T; q++) dir += this.taskSum(this.uT, q) * db[q];
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
    this.moveTo(0, delta);
    df.valueGrad(this.eta, this.u);
    this.wsGradient();
    return false;
  }

  /** Task t's part of δ (stacked, group order) over the working-set features, in wsCols' order. */
  private taskDelta(delta: Float64Array, t: number): Float64Array {
    const gs = this.ctx.penalty.groups;
    const out = this.deltaTask;
    let o = 0;
    let a = 0;
    for (const g of this.ws) {
      const m = this.fm[g];
      for (let q = 0; q < m; q++) out[a + q] = delta[o + t * m + q];
      a += m;
      o += gs.ptr[g + 1] - gs.ptr[g];
    }
    return out;
  }

  /**
   * Small working sets: the model's Hessian formed once, after which a coordinate epoch costs a
   * row of it per coefficient instead of 3·n per coefficient, so the model can be solved far more
   * accurately for the price of a few column epochs. The model's variables are task-major:
   * variable t·K + a is feature a of the working set (a < ncf) or the intercept (a = ncf) in task
   * t. With the diagonal metric, Q is T blocks Q_t = [X_ws, 1]ᵀ H_t [X_ws, 1] (T·ncf²·n to form);
   * for a loss that couples the tasks, the whole (T·K)² matrix (I ⊗ [X_ws, 1])ᵀ ∇²F (I ⊗ [X_ws, 1]).
   */
  private modelByGram(ncf: number, tolIn: number): void {
    const { n, T, ws, fm } = this;
    const pen = this.ctx.penalty;
    const gs = pen.groups;
    const K = ncf + (this.shift ? 1 : 0);
    const KK = K * K;
    const V = T * K;
    const coupled = this.qCoupled;
    // Row of variable (t, a) in Q, and the span of gm it updates: [go, go + span).
    const rowOf = coupled ? (t: number, a: number) => (t * K + a) * V : (t: number, a: number) => t * KK + a * K;
    const span = coupled ? V : K;
    const qLen = coupled ? V * V : T * KK;
    if (this.Q.length < qLen) this.Q = new Float64Array(qLen);
    if (this.gm.length < V) {
      this.gm = new Float64Array(V);
      this.gm0 = new Float64Array(V);
      this.x0 = new Float64Array(V);
      this.accX = new Float64Array(V);
      this.accGm = new Float64Array(V);
      this.accSave = new Float64Array(V);
    }
    const Q = this.Q, gm = this.gm;
    let o = 0;
    for (let q = 0; q < ws.length; q++) {
      const g = ws[q];
      this.wsFeatOff[q] = o;
      for (let k = gs.ptr[g]; k < gs.ptr[g] + fm[g]; k++) this.wsCols[o++] = gs.indices[k];
    }
    if (coupled) this.coupledGram(ncf, K);
    else {
      const tmp = this.tmpT[0];
      for (let t = 0; t < T; t++) {
        const h = this.hT[t];
        const Qt = t * KK;
        for (let a = 0; a < ncf; a++) {
          this.weightedRow(this.wsCols, 0, ncf, this.wsCols[a], h, tmp, this.rowBuf);
          for (let c = 0; c < ncf; c++) Q[Qt + a * K + c] = this.rowBuf[c];
          if (this.shift) {
            // Σ_i h_i x_ia: h∘x_a is in tmp only on the path that formed it.
            let s = 0;
            if (this.fast) s = this.cols.dot(this.wsCols[a], h);
            else for (let i = 0; i < n; i++) s += tmp[i];
            Q[Qt + a * K + ncf] = s;
            Q[Qt + ncf * K + a] = s;
          }
        }
        if (this.shift) Q[Qt + ncf * K + ncf] = this.taskSum(this.hT, t);
      }
    }
    // The model's gradient at its centre (wsGrad is stacked in group order, task-major per group).
    o = 0;
    for (let q = 0; q < ws.length; q++) {
      const m = fm[ws[q]], a0 = this.wsFeatOff[q];
      for (let t = 0; t < T; t++) for (let k = 0; k < m; k++) gm[t * K + a0 + k] = this.wsGrad[o++];
    }
    if (this.shift) for (let t = 0; t < T; t++) gm[t * K + ncf] = this.taskSum(this.uT, t);
    // Block constants: the top eigenvalue of each group's diagonal block of Q (with the diagonal
    // metric, the largest over the tasks' blocks).
    for (let q = 0; q < ws.length; q++) {
      const m = fm[ws[q]], a0 = this.wsFeatOff[q];
      const M = this.gram;
      let L = 0;
      if (coupled) {
        const mT = m * T;
        for (let t = 0; t < T; t++) for (let k = 0; k < m; k++) {
          const row = rowOf(t, a0 + k);
          for (let u = 0; u < T; u++) for (let l = 0; l < m; l++) M[(t * m + k) * mT + u * m + l] = Q[row + u * K + a0 + l];
        }
        L = mT === 1 ? M[0] : largestEigenvalueSpd(M.subarray(0, mT * mT), mT);
      } else {
        for (let t = 0; t < T; t++) {
          const Qt = t * KK;
          if (m === 1) L = Math.max(L, Q[Qt + a0 * K + a0]);
          else {
            for (let a = 0; a < m; a++) for (let c = 0; c < m; c++) M[a * m + c] = Q[Qt + (a0 + a) * K + a0 + c];
            L = Math.max(L, largestEigenvalueSpd(M.subarray(0, m * m), m));
          }
        }
      }
      this.wsL[q] = L;
    }
    this.gm0.set(gm.subarray(0, V));
    this.gatherModel(ncf, K, this.x0);
    const acc = this.acc;
    acc.begin(V);
    this.gatherModel(ncf, K, acc.slot());
    acc.commit();
    const v = this.blockBuf;
    const d = this.blockBuf2;
    for (let epoch = 1; epoch <= MAX_GRAM_EPOCHS; epoch++) {
      this.work++;
      if (this.outOfBudget()) break;
      let worst = 0;
      for (let q = 0; q < ws.length; q++) {
        const g = ws[q];
        const s = gs.ptr[g], m = fm[g], a0 = this.wsFeatOff[q];
        const L = this.wsL[q];
        // The block's model gradient, in the group's order (task-major).
        for (let t = 0; t < T; t++) {
          for (let k = 0; k < m; k++) {
            const gk = gm[t * K + a0 + k];
            v[t * m + k] = gk;
            this.gradFull[gs.indices[s + t * m + k]] = gk;
          }
        }
        worst = Math.max(worst, pen.groupViolation(this.wi, this.gradFull, g));
        if (blockProxStep(pen, g, this.wi, v, L, this.penalized[g] !== 0, v, d) > 0) {
          for (let t = 0; t < T; t++) {
            const go = coupled ? 0 : t * K;
            for (let k = 0; k < m; k++) {
              const dk = d[t * m + k];
              if (dk === 0) continue;
              const row = rowOf(t, a0 + k); // Q is symmetric: column read as a row
              for (let c = 0; c < span; c++) gm[go + c] += Q[row + c] * dk;
            }
          }
        }
      }
      if (this.shift) {
        // One coordinate per task's intercept: exact on the model (the coupled Hessian is singular
        // along a shift common to all tasks, which no coordinate step sees).
        for (let t = 0; t < T; t++) {
          const go = coupled ? 0 : t * K;
          const row = rowOf(t, ncf);
          const Lb = Q[row + (coupled ? t * K : 0) + ncf];
          worst = Math.max(worst, Math.abs(gm[t * K + ncf]));
          if (Lb > 0) {
            const db = -gm[t * K + ncf] / Lb;
            if (db !== 0) {
              this.b[t] += db;
              for (let c = 0; c < span; c++) gm[go + c] += Q[row + c] * db;
            }
          }
        }
      }
      if (worst <= INNER_RATIO * tolIn) break;
      this.gatherModel(ncf, K, acc.slot());
      acc.commit();
      if (acc.full) {
        this.extrapolateModel(ncf, K);
        acc.restart();
        this.gatherModel(ncf, K, acc.slot());
        acc.commit();
      }
    }
  }

  /**
   * Q ← (I ⊗ [X_ws, 1])ᵀ ∇²F(η) (I ⊗ [X_ws, 1]), V × V with V = T·K: from the rows' Hessian blocks
   * where the datafit gives them (one weighted Gram matrix per pair of tasks), else one column
   * per Hessian-vector product (nothing here knows the loss's form); then symmetrized (rounding).
   */
  private coupledGram(ncf: number, K: number): void {
    const { n, T } = this;
    const V = T * K;
    const Q = this.Q;
    const df = this.ctx.datafit;
    const tmp = this.tmpT[0];
    if (df.rowHessian) {
      if (this.rowH.length !== n * T * T) {
        this.rowH = new Float64Array(n * T * T);
        this.rowHT = taskViews(this.rowH, n, T * T);
      }
      df.rowHessian(this.eta, this.rowH);
      for (let t = 0; t < T; t++) {
        for (let s = t; s < T; s++) {
          const h = this.rowHT[t * T + s];
          for (let a = 0; a < K; a++) {
            // Column (s, a) of Q over the rows (t, ·), and by symmetry row (s, a) over (t, ·).
            if (a < ncf) this.weightedColumn(this.wsCols[a], h, tmp);
            else tmp.set(h);
            this.cols.dotBlock(this.wsCols, 0, ncf, tmp, this.rowBuf);
            if (ncf < K) {
              let sum = 0;
              for (let i = 0; i < n; i++) sum += tmp[i];
              this.rowBuf[ncf] = sum;
            }
            const col = s * K + a;
            for (let c = 0; c < K; c++) {
              Q[(t * K + c) * V + col] = this.rowBuf[c];
              Q[col * V + t * K + c] = this.rowBuf[c];
            }
          }
        }
      }
    } else {
      const vin = this.tmp, out = this.etaTry;
      for (let s = 0; s < T; s++) {
        for (let a = 0; a < K; a++) {
          vin.fill(0);
          if (a < ncf) this.cols.axpy(this.wsCols[a], 1, this.tmpT[s]);
          else this.tmpT[s].fill(1);
          df.hessianVec(this.eta, vin, out);
          const col = s * K + a;
          for (let t = 0; t < T; t++) {
            const ot = this.etaTryT[t];
            this.cols.dotBlock(this.wsCols, 0, ncf, ot, this.rowBuf);
            for (let c = 0; c < ncf; c++) Q[(t * K + c) * V + col] = this.rowBuf[c];
            if (ncf < K) {
              let sum = 0;
              for (let i = 0; i < n; i++) sum += ot[i];
              Q[(t * K + ncf) * V + col] = sum;
            }
          }
        }
      }
    }
    for (let r = 0; r < V; r++) {
      for (let c = r + 1; c < V; c++) {
        const m = 0.5 * (Q[r * V + c] + Q[c * V + r]);
        Q[r * V + c] = m;
        Q[c * V + r] = m;
      }
    }
  }

  /** The Gram model's variables (task-major): the working-set coefficients and the intercepts. */
  private gatherModel(ncf: number, K: number, out: Float64Array): void {
    const { p } = this;
    for (let t = 0; t < this.T; t++) {
      for (let a = 0; a < ncf; a++) out[t * K + a] = this.wi[t * p + this.wsCols[a]];
      if (this.shift) out[t * K + ncf] = this.b[t];
    }
  }

  /** Set the Gram model's variables to x (task-major). */
  private scatterModel(ncf: number, K: number, x: Float64Array): void {
    const { p } = this;
    for (let t = 0; t < this.T; t++) {
      for (let a = 0; a < ncf; a++) this.wi[t * p + this.wsCols[a]] = x[t * K + a];
      if (this.shift) this.b[t] = x[t * K + ncf];
    }
  }

  /**
   * q(x) − q(x₀) of the Gram model at its variables x (wi, b), from gm = gm₀ + Q(x − x₀):
   * ⟨gm₀, d⟩ + ½dᵀQd = ½⟨gm₀ + gm, d⟩ with d = x − x₀, plus the working set's penalty.
   */
  private modelValue(ncf: number, K: number, gm: Float64Array): number {
    const { gm0, x0, p } = this;
    let s = 0;
    for (let t = 0; t < this.T; t++) {
      const go = t * K;
      for (let a = 0; a < ncf; a++) s += (gm0[go + a] + gm[go + a]) * (this.wi[t * p + this.wsCols[a]] - x0[go + a]);
      if (this.shift) s += (gm0[go + ncf] + gm[go + ncf]) * (this.b[t] - x0[go + ncf]);
    }
    s *= 0.5;
    const pen = this.ctx.penalty;
    for (const g of this.ws) if (this.penalized[g]) s += pen.groupValue(this.wi, g);
    return s;
  }

  /** Anderson extrapolation of the last epochs of the Gram model, kept only if it lowers the model. */
  private extrapolateModel(ncf: number, K: number): void {
    const x = this.accX;
    if (!this.acc.extrapolate(x)) return;
    const { Q, gm0, x0, T } = this;
    const KK = K * K;
    const V = T * K;
    const gm = this.gm;
    const gmC = this.accGm;
    const before = this.modelValue(ncf, K, gm);
    const save = this.accSave;
    this.gatherModel(ncf, K, save);
    // gmC = gm₀ + Q(x − x₀) (Q symmetric: row read as column).
    gmC.set(gm0.subarray(0, V));
    for (let t = 0; t < T; t++) {
      const go = this.qCoupled ? 0 : t * K, span = this.qCoupled ? V : K;
      for (let a = 0; a < K; a++) {
        const da = x[t * K + a] - x0[t * K + a];
        if (da === 0) continue;
        const row = this.qCoupled ? (t * K + a) * V : t * KK + a * K;
        for (let c = 0; c < span; c++) gmC[go + c] += Q[row + c] * da;
      }
    }
    this.scatterModel(ncf, K, x);
    const after = this.modelValue(ncf, K, gmC);
    if (after < before) {
      gm.set(gmC.subarray(0, V));
      return;
    }
    this.scatterModel(ncf, K, save);
  }

  /** Large working sets: block prox steps keeping X δ up to date (3 column passes per block and task). */
  private modelByColumns(tolIn: number): void {
    const { n, T, ws, fm } = this;
    const pen = this.ctx.penalty;
    const gs = pen.groups;
    for (let q = 0; q < ws.length; q++) this.wsL[q] = this.blockCurvature(ws[q]);
    const Lb = new Float64Array(T);
    const gb = new Float64Array(T);
    if (this.shift) {
      for (let t = 0; t < T; t++) {
        Lb[t] = this.taskSum(this.hT, t);
        gb[t] = this.taskSum(this.uT, t);
      }
    }
    const xd = this.xd;
    const N = n * T;
    xd.fill(0);
    let nc = 0;
    for (const g of ws) nc += gs.ptr[g + 1] - gs.ptr[g];
    if (this.stacked.length < nc) this.stacked = new Int32Array(nc);
    {
      let o = 0;
      for (const g of ws) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) this.stacked[o++] = gs.indices[k];
    }
    const acc = this.acc;
    const len = nc + T + N;
    if (this.accX.length < len) {
      this.accX = new Float64Array(len);
      this.accSave = new Float64Array(len);
    }
    acc.begin(len);
    this.gatherColumns(nc, acc.slot());
    acc.commit();
    const v = this.blockBuf;
    const d = this.blockBuf2;
    const h = this.h;
    const fast = this.fast;
    for (let epoch = 1; epoch <= MAX_CD_EPOCHS; epoch++) {
      this.work++;
      if (this.outOfBudget()) break;
      let worst = 0;
      const check = epoch % CD_CHECK_EVERY === 0;
      let o = 0;
      // Without the kernels (a sparse design), tmp holds H X δ while no block has moved since it was
      // formed: the blocks that stay put (most of the candidates added to the working set) then
      // cost one column pass, not two.
      let hxdStale = true;
      for (let q = 0; q < ws.length; q++) {
        const g = ws[q];
        const s = gs.ptr[g], m = fm[g], mT = gs.ptr[g + 1] - s;
        const L = this.wsL[q];
        // Model gradient along the block: X_gᵀu_t + X_gᵀ H_t X δ_t (a block with L ≤ 0 does not
        // touch the model: its step needs no gradient).
        if (L > 0) {
          if (fast) {
            // X_gᵀ H X δ on the kernels, weighting X δ on the fly: no pass forming H X δ after a move.
            if (T === 1) fast.dotBlockWeighted(gs.indices, s, s + m, xd, h, v);
            else {
              for (let t = 0; t < T; t++) {
                fast.dotBlockWeighted(gs.indices, s, s + m, this.xdT[t], this.hT[t], this.taskBuf);
                for (let k = 0; k < m; k++) v[t * m + k] = this.taskBuf[k];
              }
            }
          } else {
            if (hxdStale) {
              const hx = this.tmp;
              for (let i = 0; i < N; i++) hx[i] = h[i] * xd[i];
              hxdStale = false;
            }
            if (T === 1) this.cols.dotBlock(gs.indices, s, s + m, this.tmp, v);
            else {
              for (let t = 0; t < T; t++) {
                this.cols.dotBlock(gs.indices, s, s + m, this.tmpT[t], this.taskBuf);
                for (let k = 0; k < m; k++) v[t * m + k] = this.taskBuf[k];
              }
            }
          }
          for (let k = 0; k < mT; k++) {
            v[k] += this.wsGrad[o + k];
            if (check) this.gradFull[gs.indices[s + k]] = v[k];
          }
          if (check) worst = Math.max(worst, pen.groupViolation(this.wi, this.gradFull, g));
        }
        const moved = blockProxStep(pen, g, this.wi, v, L, this.penalized[g] !== 0, v, d) > 0;
        if (moved) {
          if (T === 1) this.cols.axpyBlock(gs.indices, s, s + m, d, xd);
          else {
            for (let t = 0; t < T; t++) {
              let nz = false;
              for (let k = 0; k < m; k++) if ((this.taskBuf[k] = d[t * m + k]) !== 0) nz = true;
              if (nz) this.cols.axpyBlock(gs.indices, s, s + m, this.taskBuf, this.xdT[t]);
            }
          }
          hxdStale = true;
        }
        o += mT;
      }
      if (this.shift) {
        for (let t = 0; t < T; t++) {
          if (!(Lb[t] > 0)) continue;
          const hxT = this.tmpT[t], xdt = this.xdT[t], ht = this.hT[t];
          let hx = 0;
          if (hxdStale) for (let i = 0; i < n; i++) hx += ht[i] * xdt[i];
          else for (let i = 0; i < n; i++) hx += hxT[i];
          const gInt = gb[t] + hx;
          if (check) worst = Math.max(worst, Math.abs(gInt));
          const db = -gInt / Lb[t];
          if (db !== 0) {
            this.b[t] += db;
            for (let i = 0; i < n; i++) xdt[i] += db;
          }
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

  /** The columns model's variables: working-set coefficients (stacked), intercepts, and X δ. */
  private gatherColumns(nc: number, out: Float64Array): void {
    const T = this.T;
    for (let a = 0; a < nc; a++) out[a] = this.wi[this.stacked[a]];
    out.set(this.b, nc);
    out.set(this.xd.subarray(0, this.n * T), nc + T);
  }

  /** q(δ) − q(0) of the columns model: ⟨u, Xδ⟩ + ½‖H^{1/2}Xδ‖² plus the working set's penalty. */
  private columnsModelValue(): number {
    const { u, h, xd } = this;
    const N = this.n * this.T;
    let s = 0;
    for (let i = 0; i < N; i++) s += xd[i] * (u[i] + 0.5 * h[i] * xd[i]);
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
    this.scatterColumns(nc, x);
    if (this.columnsModelValue() < before) return;
    this.scatterColumns(nc, save);
  }

  /** Set the columns model's variables to x (see gatherColumns). */
  private scatterColumns(nc: number, x: Float64Array): void {
    const { T } = this;
    const N = this.n * T;
    for (let a = 0; a < nc; a++) this.wi[this.stacked[a]] = x[a];
    for (let t = 0; t < T; t++) this.b[t] = x[nc + t];
    this.xd.set(x.subarray(nc + T, nc + T + N));
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

  /** The working set and the intercepts back at their values before the Newton step. */
  private restore(): void {
    const gs = this.ctx.penalty.groups;
    let o = 0;
    for (const g of this.ws) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) this.wi[gs.indices[k]] = this.wOld[o++];
    this.b.set(this.b0);
  }

  /** wi ← wOld + tδ on the working set, b ← b0 + t·δb. */
  private moveTo(t: number, delta: Float64Array): void {
    const gs = this.ctx.penalty.groups;
    let o = 0;
    for (const g of this.ws) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) {
      this.wi[gs.indices[k]] = this.wOld[o] + t * delta[o];
      o++;
    }
    if (this.intercept) for (let q = 0; q < this.T; q++) this.b[q] = this.b0[q] + t * this.db[q];
  }
}

function isZero(w: Float64Array): boolean {
  for (let j = 0; j < w.length; j++) if (w[j] !== 0) return false;
  return true;
}

/** Per-task views of a vector of length n·T (the vector itself when T = 1). */
function taskViews(v: Float64Array, n: number, T: number): Float64Array[] {
  return T === 1 ? [v] : Array.from({ length: T }, (_, t) => v.subarray(t * n, (t + 1) * n));
}

/**
 * Features per group when every group holds the same features in each of the T tasks, task-major
 * (the layout of expandForTasks: coefficient t·p + j at position t·m_g + q, j the q-th feature,
 * which is then gs.indices[ptr[g] + q]); null for any other layout.
 */
function taskLayout(gs: { nFeatures: number; nGroups: number; ptr: Int32Array; indices: Int32Array }, p: number, T: number): Int32Array | null {
  const fm = new Int32Array(gs.nGroups);
  if (T === 1) {
    for (let g = 0; g < gs.nGroups; g++) fm[g] = gs.ptr[g + 1] - gs.ptr[g];
    return fm;
  }
  if (gs.nFeatures !== p * T) return null;
  for (let g = 0; g < gs.nGroups; g++) {
    const s = gs.ptr[g], size = gs.ptr[g + 1] - s;
    if (size % T !== 0) return null;
    const m = (fm[g] = size / T);
    for (let q = 0; q < m; q++) {
      const j = gs.indices[s + q];
      if (!(j < p)) return null;
      for (let t = 1; t < T; t++) if (gs.indices[s + t * m + q] !== t * p + j) return null;
    }
  }
  return fm;
}

/**
 * Whether the model's block Hessians cost little next to the fit: with several tasks a group's
 * block is T Gram matrices of its features (the metric is diagonal in η-space), whose cost per pass
 * over the T tasks is that of one response column's.
 */
function affordable(ctx: ProblemContext): boolean {
  const gs = ctx.penalty.groups;
  if (ctx.T === 1) return blockGramsAffordable(gs, ctx.p);
  const fm = taskLayout(gs, ctx.p, ctx.T);
  if (!fm) return false;
  const ptr = new Int32Array(gs.nGroups + 1);
  for (let g = 0; g < gs.nGroups; g++) ptr[g + 1] = ptr[g] + fm[g];
  return blockGramsAffordable({ nGroups: gs.nGroups, ptr, indices: gs.indices }, ctx.p);
}

// 'auto' prefers it over block coordinate descent (priority 10) for every smooth loss whose
// curvature is not a constant (logistic, Poisson, Cox, the multinomial, weighted squared losses),
// any number of response columns, with a convex penalty (the line search's descent test rests on
// convexity), and block Hessians that cost little next to the fit.
registerSolver('proxNewton', (ctx, w0, options) => new ProxNewton(ctx, w0, options), {
  accepts: (ctx) => Boolean(ctx.X.columns) && !ctx.datafit.quadratic && ctx.penalty.convex && affordable(ctx),
  priority: 20,
  workingSets: true,
});
