import { blockGramBound, blockGramsAffordable, blockProxStep, disjointBlockBound } from './block.ts';
import { OptionError } from '../errors.ts';
import { AndersonExtrapolation } from './anderson.ts';
import { chooseWorkingSet, type WorkingSetScores } from './workingset.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { FastDense, sharedFastCopy } from '../linalg/kernels/fast.ts';
import { materializeColumn, type ColumnAccess, type LinearOperator } from '../linalg/operator.ts';
import { dualValue, kktViolation, safeSphere } from './certificate.ts';
import { checkCoefs, checkContext, copyPoint, evaluateFromEta0, newPoint, type PointBuffers, type ProblemContext } from './problem.ts';
import type { IterationInfo, IterativeSolver, ProximalOptions } from './proximal.ts';
import { registerSolver } from './registry.ts';

/** Epochs between Anderson extrapolations (and between fresh inner KKT checks). */
const ANDERSON_K = 5;
/** Inner problems are solved to this fraction of the outer KKT violation. */
const INNER_RATIO = 0.3;
const MAX_EPOCHS = 2000;

/**
 * Column means and squared norms per operator (properties of X alone, so a λ path or repeated fits
 * on the same operator compute them once).
 */
const statsCache = new WeakMap<LinearOperator, { mu: Float64Array; normSq: Float64Array; version: number }>();

function columnStats(op: LinearOperator, cols: ColumnAccess, fast: FastDense | null): { mu: Float64Array; normSq: Float64Array } {
  const hit = statsCache.get(op);
  if (hit && (!fast || hit.version === fast.version)) return hit;
  const { rows: n, cols: p } = op;
  // The pass that wrote the kernel copy summed every column already: no pass of its own.
  const known = fast ? fast.columnStats() : null;
  if (known) {
    const entry = { mu: Float64Array.from(known.sums, (s) => s / n), normSq: Float64Array.from(known.sumSq), version: fast!.version };
    statsCache.set(op, entry);
    return entry;
  }
  const ones = fast ? fast.vector(n) : new Float64Array(n);
  ones.fill(1);
  const mu = fast ? fast.vector(p) : new Float64Array(p);
  op.applyTranspose(ones, mu);
  for (let j = 0; j < p; j++) mu[j] /= n;
  const normSq = new Float64Array(p);
  for (let j = 0; j < p; j++) normSq[j] = cols.normSq(j);
  const entry = { mu: Float64Array.from(mu), normSq, version: fast ? fast.version : 0 };
  if (fast) fast.release(ones, mu);
  statsCache.set(op, entry);
  return entry;
}

/** Fast column access per problem context: the dense design copied once into the kernel memory. */
const fastCache = new WeakMap<ProblemContext, { op: LinearOperator; cols: ColumnAccess; fast: FastDense | null }>();

export function columnsFor(ctx: ProblemContext): { op: LinearOperator; cols: ColumnAccess; fast: FastDense | null } {
  const hit = fastCache.get(ctx);
  if (hit) return hit;
  let entry: { op: LinearOperator; cols: ColumnAccess; fast: FastDense | null };
  if (ctx.X instanceof FastDense) entry = { op: ctx.X, cols: ctx.X, fast: ctx.X };
  else if (ctx.X instanceof DenseMatrix) {
    const f = sharedFastCopy(ctx.X);
    entry = { op: f, cols: f, fast: f };
  } else if (ctx.X.columns) entry = { op: ctx.X, cols: ctx.X.columns, fast: null };
  else throw new OptionError('bcd', "block coordinate descent needs column access (a dense or sparse matrix); use solver: 'fista' for matrix-free operators");
  fastCache.set(ctx, entry);
  return entry;
}

/** Per-context layout of the block coordinate descent (design and groups only; λ-independent). */
interface BcdLayout {
  version: number;
  groups: unknown;
  fptr: Int32Array;
  fidx: Int32Array;
  penalized: Uint8Array;
  /** Lipschitz constant per group (NaN until the group first enters a working set). */
  L: Float64Array;
  mu: Float64Array;
  colSq: Float64Array;
}
const layoutCache = new WeakMap<ProblemContext, BcdLayout>();

/**
 * Block coordinate descent over groups with working sets, gap-safe screening and Anderson
 * extrapolation (the scheme of skglm: Bertrand, Klopfenstein, Massias et al. 2022), for
 *   min_w  G(w) + Ω(w),   G(w) = min_c F(Xw + A c)
 * with F the squared (also multi-task) or logistic loss and Ω the group or sparse-group lasso.
 *
 * One iteration of this iterator is one outer step:
 * 1. scores: the KKT violation dist(−∇_g G, ∂Ω_g(w_g)) of every group at the current point;
 * 2. gap-safe screening: group g is zero at the optimum when ‖X_gᵀθ‖ + ‖P⊥X_g‖·r < λd_g, with θ
 *    the feasible dual point and r = √(2·gap·curvature) (F* is 1/curvature-strongly convex);
 * 3. working set: the support, the unpenalized groups, and the worst violators, max(10, 2·|support|)
 *    groups in all;
 * 4. inner solve on the working set by cyclic block steps
 *      w_g ← prox_{Ω_g/L_g}(w_g − ∇_g G(w)/L_g),  L_g = curvature·‖P⊥X_g‖₂²
 *    (L_g = ‖X_g‖₂²/n for the squared loss, ‖X_g‖₂²/(4n) for the logistic loss: a majorization),
 *    keeping the residual up to date with rank-|g| updates, with Anderson extrapolation of the
 *    last 5 epochs accepted when it lowers the objective, until the working set's KKT violation is
 *    under 0.3× the outer one;
 * 5. the objective and a dual point with the exact unpenalized fit of the problem context.
 *
 * The intercept is handled exactly: for the squared loss by working with the centred residual
 * (column means tracked, nothing copied), for the logistic loss as a coordinate of its own with
 * step 4. Poisson has no global curvature bound, so this solver refuses it (use FISTA).
 */
export class BlockCoordinateDescent implements IterativeSolver {
  readonly name = 'bcd';
  /** Current iterate (penalized coefficients; unpenalized ones are 0 by the context's convention). */
  w: Float64Array;
  limits?: { work: number; deadline?: number };
  initial?: { primal: number; dual: number };
  /** Passes over the data spent by the inner epochs of the current step. */
  private stepWork = 0;
  private readonly ctx: ProblemContext;
  private readonly cols: ColumnAccess;
  private readonly op: LinearOperator;
  private readonly fast: FastDense | null;
  private readonly n: number;
  private readonly p: number;
  private readonly T: number;
  private readonly squared: boolean;
  private readonly intercept: boolean;
  private readonly curvature: number;
  private readonly nGroups: number;
  /** Feature CSR per group (coefficient c of group g, task t, position q is t·p + fidx[fptr[g] + q]). */
  private readonly fptr: Int32Array;
  private readonly fidx: Int32Array;
  private readonly penalized: Uint8Array;
  private readonly screened: Uint8Array;
  /** Lipschitz constant per group, computed when the group first enters a working set. */
  private readonly L: Float64Array;
  /** Column means (intercept, squared loss). */
  private readonly mu: Float64Array;
  /** ‖P⊥x_j‖² per feature (P⊥ removes the mean when there is an intercept). */
  private readonly colSq: Float64Array;
  /** Internal coefficients, unpenalized blocks included. */
  private readonly wi: Float64Array;
  /** Squared loss: r = y − X wi (n·T, uncentred), S_t = Σ_i r_{t,i}. Other losses: η = X wi + b (n·T). */
  private r: Float64Array = new Float64Array(0);
  private readonly S: Float64Array;
  /** Multi-task gradient buffers in the kernel memory (empty when T = 1). */
  private uT: Float64Array = new Float64Array(0);
  private gT: Float64Array = new Float64Array(0);
  /** Per-task views of r (made once: subarray allocates). */
  private rT: Float64Array[] = [];
  /** Intercept per task (losses other than the squared one, where it is handled by centring). */
  private readonly b: Float64Array;
  private u: Float64Array = new Float64Array(0);
  private gbuf: Float64Array = new Float64Array(0);
  private dbuf: Float64Array = new Float64Array(0);
  /** Largest group size (features). */
  private readonly maxM: number;
  private holding = false;
  private readonly vbuf: Float64Array;
  private readonly gradW: Float64Array;
  private readonly pt: PointBuffers;
  private readonly scratch: Float64Array;
  private iteration = 0;
  private bestDual = -Infinity;
  private primal = NaN;
  private outerKkt = Infinity;
  /** Dual value at the current point's own dual point θ (the centre of the safe ball). */
  private curDual = -Infinity;
  private ws: Int32Array = new Int32Array(0);
  /** What the working-set rule reads (made once: closures cost per call). */
  private readonly scores: WorkingSetScores;
  /** Anderson history of the working-set coefficients, and the candidate buffer. */
  private readonly acc = new AndersonExtrapolation(ANDERSON_K);
  private accBuf: Float64Array = new Float64Array(0);
  // Saved state to go back to when an extrapolation does not lower the objective.
  private readonly wSave: Float64Array;
  private readonly rSave: Float64Array;
  private readonly SSave: Float64Array;

  constructor(ctx: ProblemContext, w0: Float64Array, options: ProximalOptions = {}) {
    checkContext('BlockCoordinateDescent', ctx);
    checkCoefs('BlockCoordinateDescent', ctx, w0, 'w0');
    const df = ctx.datafit;
    if (!Number.isFinite(df.curvature)) {
      throw new OptionError('bcd', `block coordinate descent needs a loss with a global curvature bound, and '${df.name}' has none; use solver: 'fista'`);
    }
    // Its residual updates and intercept steps are those of unweighted losses.
    if (df.sampleWeight !== undefined) throw new OptionError('bcd', "block coordinate descent does not take sample weights; use solver: 'fista'");
    this.ctx = ctx;
    const { op, cols, fast } = columnsFor(ctx);
    this.op = op;
    this.cols = cols;
    this.fast = fast;
    const n = (this.n = ctx.n);
    const p = (this.p = ctx.p);
    const T = (this.T = ctx.T);
    this.squared = df.quadratic;
    this.intercept = ctx.fitIntercept;
    this.curvature = df.curvature;
    const pen = ctx.penalty;
    const gs = pen.groups;
    const G = (this.nGroups = gs.nGroups);
    // What depends on the design and the groups only is kept per context: a λ path builds one
    // solver per λ on the same context, and recomputing the block Lipschitz constants (a Gram
    // matrix and an eigenvalue per group) for each cost more than the warm-started fits.
    const layout = layoutCache.get(ctx);
    if (layout && layout.version === (fast ? fast.version : 0) && layout.groups === gs) {
      this.fptr = layout.fptr;
      this.fidx = layout.fidx;
      this.penalized = layout.penalized;
      this.L = layout.L;
      this.mu = layout.mu;
      this.colSq = layout.colSq;
    } else {
      ({ fptr: this.fptr, fidx: this.fidx, penalized: this.penalized, L: this.L, mu: this.mu, colSq: this.colSq } = this.layout(ctx, fast));
    }
    this.screened = new Uint8Array(G);
    this.scores = {
      nGroups: G,
      isScreened: (g) => this.screened[g] === 1,
      isPenalized: (g) => this.penalized[g] !== 0,
      isActive: (g) => this.groupNorm(g) > 0,
      violation: (g) => this.ctx.penalty.groupViolation(this.w, this.pt.grad, g),
    };
    this.wi = w0.slice();
    this.w = new Float64Array(ctx.size);
    this.wSave = new Float64Array(ctx.size);
    this.rSave = new Float64Array(n * T);
    this.SSave = new Float64Array(T);
    this.S = new Float64Array(T);
    let maxM = 0;
    for (let g = 0; g < G; g++) maxM = Math.max(maxM, this.fptr[g + 1] - this.fptr[g]);
    this.maxM = maxM;
    this.vbuf = new Float64Array(maxM * T);
    this.gradW = new Float64Array(ctx.size);
    this.pt = newPoint(ctx);
    this.scratch = new Float64Array(n * T);
    this.b = new Float64Array(T);
    this.acquire();
    this.evaluateOuter(startPoint(options.start, n * T, ctx.size));
    this.releaseBuffers();
    this.initial = { primal: this.primal, dual: this.bestDual };
  }

  /** The per-context layout (see the constructor): feature CSR per group, penalized flags, column statistics. */
  private layout(ctx: ProblemContext, fast: FastDense | null): BcdLayout {
    const { p, T, n } = this;
    const pen = ctx.penalty;
    const gs = pen.groups;
    const G = gs.nGroups;
    // Feature lists per group from the coefficient groups (task-major layout of expandForTasks).
    const fptr = new Int32Array(G + 1);
    for (let g = 0; g < G; g++) fptr[g + 1] = fptr[g] + (gs.ptr[g + 1] - gs.ptr[g]) / T;
    const fidx = new Int32Array(fptr[G]);
    for (let g = 0; g < G; g++) {
      const m = fptr[g + 1] - fptr[g];
      for (let q = 0; q < m; q++) {
        const c = gs.indices[gs.ptr[g] + q];
        fidx[fptr[g] + q] = c % p;
        for (let t = 1; t < T; t++) {
          if (gs.indices[gs.ptr[g] + t * m + q] !== t * p + (c % p)) throw new Error('bcd: unexpected multi-task group layout');
        }
      }
    }
    const penalized = new Uint8Array(G);
    for (let g = 0; g < G; g++) penalized[g] = pen.isPenalized(g) ? 1 : 0;
    // Column statistics: means (for the centring) and centred squared norms (screening bounds).
    const stats = columnStats(this.op, this.cols, fast);
    const mu = this.intercept ? stats.mu : new Float64Array(p);
    const colSq = new Float64Array(p);
    for (let j = 0; j < p; j++) colSq[j] = Math.max(stats.normSq[j] - n * mu[j] * mu[j], 0);
    const out: BcdLayout = { version: fast ? fast.version : 0, groups: gs, fptr, fidx, penalized, L: new Float64Array(G).fill(NaN), mu, colSq };
    layoutCache.set(ctx, out);
    return out;
  }

  /**
   * Work vectors in the kernel memory, held only during a step and given back after it, so an
   * operator reused by many fits (a λ path) never runs out of kernel memory. Nothing in them
   * survives a step: the residual is rebuilt from the coefficients at the start of each one.
   */
  private acquire(): void {
    if (this.holding) return;
    const { n, p, T, fast } = this;
    const vec = (len: number) => (fast ? fast.vector(len) : new Float64Array(len));
    const r = vec(n * T);
    // The pool usually hands back the same vector: keep its task views then.
    if (r !== this.r) this.rT = Array.from({ length: T }, (_, t) => r.subarray(t * n, (t + 1) * n));
    this.r = r;
    this.u = vec(n * T);
    this.gbuf = vec(this.maxM * T);
    this.dbuf = vec(this.maxM * T);
    if (T > 1) {
      this.uT = vec(n * T);
      this.gT = vec(p * T);
    }
    this.holding = fast === null; // ordinary arrays are simply kept
  }

  private releaseBuffers(): void {
    if (this.fast) this.fast.release(this.r, this.u, this.gbuf, this.dbuf, this.uT, this.gT);
  }

  /** r ← y − X wi (squared) or η ← X wi + b (logistic), from scratch (no drift). */
  private refreshResidual(): void {
    const { n, p, T } = this;
    const y = this.ctx.datafit.y;
    for (let t = 0; t < T; t++) {
      const rt = this.r.subarray(t * n, (t + 1) * n);
      this.applyTask(this.wi.subarray(t * p, (t + 1) * p), rt);
      if (this.squared) {
        let s = 0;
        for (let i = 0; i < n; i++) {
          rt[i] = y[t * n + i] - rt[i];
          s += rt[i];
        }
        this.S[t] = s;
      } else {
        const b = this.b[t];
        for (let i = 0; i < n; i++) rt[i] += b;
      }
    }
  }

  private applyTask(w: Float64Array, out: Float64Array): void {
    this.op.apply(w, out);
  }

  /**
   * Objective, dual point and full gradient at the reported w, with the context's exact unpenalized
   * fit; `given` is that point already evaluated (the constructor's start), copied instead.
   */
  private evaluateOuter(given: PointBuffers | null = null): void {
    const { ctx, n, p, T, pt } = this;
    const w = this.w;
    w.set(this.wi);
    for (const c of ctx.unpenalizedCoefs) w[c] = 0;
    if (given) {
      copyPoint(given, pt);
    } else {
      for (let t = 0; t < T; t++) this.op.apply(w.subarray(t * p, (t + 1) * p), pt.eta0.subarray(t * n, (t + 1) * n));
      evaluateFromEta0(ctx, pt, false);
      if (this.fast && T > 1) {
        // Several tasks: X read once for all of them, through vectors in the kernel memory.
        this.uT.set(pt.u);
        this.fast.applyTransposeTasks(this.uT, T, this.gT);
        pt.grad.set(this.gT);
      } else {
        for (let t = 0; t < T; t++) this.op.applyTranspose(pt.u.subarray(t * n, (t + 1) * n), pt.grad.subarray(t * p, (t + 1) * p));
      }
    }
    this.primal = pt.loss + ctx.penalty.value(w);
    const d = dualValue(ctx, pt, this.scratch);
    this.curDual = d;
    if (d > this.bestDual) this.bestDual = d;
    this.outerKkt = kktViolation(ctx, w, pt);
    // The context's exact fit of the unpenalized part (intercept, unpenalized groups) is the best
    // given w: continue from it.
    if (ctx.unpenalizedCoefs.length > 0 || (!this.squared && this.intercept)) {
      if (ctx.unpenalizedCoefs.length > 0) {
        const full = ctx.fullCoefficients(w);
        for (const c of ctx.unpenalizedCoefs) this.wi[c] = full[c];
      }
      if (!this.squared && this.intercept) this.b.set(ctx.unpenalizedCoefficients().intercepts);
    }
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

  private step(): IteratorResult<IterationInfo> {
    const { ctx, nGroups: G } = this;
    const pen = ctx.penalty;
    const gs = pen.groups;
    const pt = this.pt;
    // 2. Gap-safe screening, for penalties that have a safe rule.
    // The gap is known only to its rounding floor: at a computed gap of 0 (an optimum, where an
    // active group has ‖X_gᵀθ‖ = λd_g exactly) a radius of 0 screened active groups out on
    // rounding, and the next step jumped to a far worse point.
    const sphere = pen.gapSafe ? safeSphere(ctx, pt, this.w, this.primal, this.curDual) : null;
    if (sphere) {
      for (let g = 0; g < G; g++) {
        if (!this.penalized[g] || this.screened[g]) continue;
        let fro = 0;
        for (let k = this.fptr[g]; k < this.fptr[g + 1]; k++) fro += this.colSq[this.fidx[k]];
        if (pen.gapSafeScreen(g, sphere.theta * pen.groupDualNorm(pt.grad, g), Math.sqrt(fro) * sphere.radius)) {
          this.screened[g] = 1;
          this.zeroGroup(g);
        }
      }
    }
    // 1 + 3. Scores and working set.
    this.ws = chooseWorkingSet(this.scores);
    // 4. Inner solve.
    this.refreshResidual();
    this.innerSolve(INNER_RATIO * this.outerKkt);
    // 5. Certificate quantities at the new point.
    this.evaluateOuter();
    if (!Number.isFinite(this.primal)) return this.report('diverged: the objective is not finite');
    return this.report('ok');
  }

  private report(status: string): IteratorResult<IterationInfo> {
    // One pass for the outer evaluation plus the inner epochs' share.
    const work = 1 + this.stepWork;
    this.stepWork = 0;
    return { done: false, value: { iteration: this.iteration, primal: this.primal, dual: this.bestDual, step: NaN, status, work } };
  }

  private groupNorm(g: number): number {
    const gs = this.ctx.penalty.groups;
    let s = 0;
    for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) s += this.wi[gs.indices[k]] ** 2;
    return Math.sqrt(s);
  }

  /** Set a (screened) group to zero (the residual is rebuilt before the inner solve). */
  private zeroGroup(g: number): void {
    const gs = this.ctx.penalty.groups;
    for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) this.wi[gs.indices[k]] = 0;
  }

  /** Residual update for wi_g += δ (δ in dbuf layout: task-major, m per task). */
  private applyDelta(g: number, delta: Float64Array): void {
    const { n, T } = this;
    const fs = this.fptr[g], fe = this.fptr[g + 1], m = fe - fs;
    if (m === 1) {
      // One column: plain axpy, no index list to pass (the common Lasso / multi-task case).
      const j = this.fidx[fs];
      for (let t = 0; t < T; t++) {
        const dt = delta[t];
        if (dt === 0) continue;
        if (this.squared) {
          this.cols.axpy(j, -dt, this.rT[t]);
          this.S[t] -= n * this.mu[j] * dt;
        } else this.cols.axpy(j, dt, this.rT[t]);
      }
      return;
    }
    if (this.squared) {
      // r = y − Xw: r_t −= X_g δ_t, and the sum S_t −= n μ_gᵀδ_t.
      const neg = this.vbuf;
      for (let t = 0; t < T; t++) {
        let s = 0;
        for (let q = 0; q < m; q++) {
          neg[q] = -delta[t * m + q];
          s += this.mu[this.fidx[fs + q]] * delta[t * m + q];
        }
        this.cols.axpyBlock(this.fidx, fs, fe, neg, this.r.subarray(t * n, (t + 1) * n));
        this.S[t] -= n * s;
      }
    } else {
      for (let t = 0; t < T; t++) this.cols.axpyBlock(this.fidx, fs, fe, delta.subarray(t * m, (t + 1) * m), this.rT[t]);
    }
  }

  /**
   * L_g = curvature · ‖P⊥X_g‖₂² from the Gram matrix of the block, once per group and context:
   * exact for orthonormal groups (the block step is then the block's exact minimizer for the
   * squared loss), else by power iteration (see blockGramBound).
   */
  private lipschitz(g: number): number {
    const cached = this.L[g];
    if (!Number.isNaN(cached)) return cached;
    const { n } = this;
    const fs = this.fptr[g], fe = this.fptr[g + 1], m = fe - fs;
    const centre = this.squared && this.intercept;
    let top: number;
    if (m === 1) {
      const j = this.fidx[fs];
      top = centre ? this.colSq[j] : this.cols.normSq(j);
    } else if (this.cols.disjointBlock && this.cols.disjointBlock(this.fidx, fs, fe)) {
      top = disjointBlockBound(this.cols, this.fidx, fs, fe);
    } else {
      const M = new Float64Array(m * m);
      const col = this.fast ? null : new Float64Array(n);
      const row = new Float64Array(m);
      for (let a = 0; a < m; a++) {
        const j = this.fidx[fs + a];
        const xj = this.fast ? this.fast.data.subarray(j * n, (j + 1) * n) : materializeColumn(this.op, j, col!);
        this.cols.dotBlock(this.fidx, fs, fe, xj, row);
        for (let b = 0; b < m; b++) M[a * m + b] = row[b] - (centre ? n * this.mu[j] * this.mu[this.fidx[fs + b]] : 0);
      }
      top = blockGramBound(M, m).bound;
    }
    const L = this.curvature * top;
    this.L[g] = L;
    return L;
  }

  /** One block step on group g; returns the largest |δ| (0 when nothing moved). */
  private blockStep(g: number): number {
    const L = this.lipschitz(g);
    const grad = this.gbuf;
    // A block that does not touch the loss (zero or, with an intercept, constant columns) leaves
    // the residual as it is: only its coefficients change.
    if (L > 0) this.blockGradient(g, grad);
    const d = this.dbuf;
    const moved = blockProxStep(this.ctx.penalty, g, this.wi, grad, L, this.penalized[g] !== 0, this.vbuf, d);
    if (moved > 0 && L > 0) this.applyDelta(g, d);
    return moved;
  }

  /** ∇_g G at the internal point: −X_gᵀ(r − S/n)/n (squared) or X_gᵀ∇F(η) (other losses). */
  private blockGradient(g: number, out: Float64Array): void {
    const { n, T } = this;
    const fs = this.fptr[g], fe = this.fptr[g + 1], m = fe - fs;
    if (this.squared && m === 1) {
      const j = this.fidx[fs];
      for (let t = 0; t < T; t++) {
        const s = this.intercept ? this.S[t] : 0;
        out[t] = -(this.cols.dot(j, this.rT[t]) - s * this.mu[j]) / n;
      }
    } else if (this.squared) {
      for (let t = 0; t < T; t++) {
        this.cols.dotBlock(this.fidx, fs, fe, this.r.subarray(t * n, (t + 1) * n), out.subarray(t * m, (t + 1) * m));
        const s = this.intercept ? this.S[t] : 0;
        for (let q = 0; q < m; q++) out[t * m + q] = -(out[t * m + q] - s * this.mu[this.fidx[fs + q]]) / n;
      }
    } else {
      this.ctx.datafit.gradient(this.r, this.u);
      for (let t = 0; t < T; t++) this.cols.dotBlock(this.fidx, fs, fe, this.u.subarray(t * n, (t + 1) * n), out.subarray(t * m, (t + 1) * m));
    }
  }

  /**
   * Intercept steps (losses other than the squared one): b_t ← b_t − (Σ_i u_{t,i})/L_b with
   * L_b = n·curvature (1/4 for the logistic loss); returns the largest |Δb_t|.
   */
  private interceptStep(): number {
    const { n, T } = this;
    this.ctx.datafit.gradient(this.r, this.u);
    let moved = 0;
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += this.u[t * n + i];
      const db = -s / (n * this.curvature);
      if (db === 0) continue;
      this.b[t] += db;
      for (let i = 0; i < n; i++) this.r[t * n + i] += db;
      moved = Math.max(moved, Math.abs(db));
    }
    return moved;
  }

  /** Internal objective (squared: centred residual; logistic: from η) plus the penalty. */
  private internalObjective(r: Float64Array, S: Float64Array, w: Float64Array): number {
    const { n, T } = this;
    let f: number;
    if (this.squared) {
      let s = 0;
      for (let t = 0; t < T; t++) {
        const mean = this.intercept ? S[t] / n : 0;
        for (let i = 0; i < n; i++) {
          const e = r[t * n + i] - mean;
          s += e * e;
        }
      }
      f = s / (2 * n);
    } else {
      f = this.ctx.datafit.value(r);
    }
    return f + this.wsPenalty(w);
  }

  /** Ω(w) summed over the working set (every group outside it is zero). */
  private wsPenalty(w: Float64Array): number {
    const pen = this.ctx.penalty;
    let s = 0;
    for (const g of this.ws) if (this.penalized[g]) s += pen.groupValue(w, g);
    return s;
  }

  /** KKT violation over the working set, from fresh block gradients. */
  private wsViolation(): number {
    const pen = this.ctx.penalty;
    const gs = pen.groups;
    let v = 0;
    for (const g of this.ws) {
      const m = this.fptr[g + 1] - this.fptr[g];
      this.blockGradient(g, this.gbuf);
      for (let k = 0; k < m * this.T; k++) this.gradW[gs.indices[gs.ptr[g] + k]] = this.gbuf[k];
      const viol = pen.groupViolation(this.wi, this.gradW, g);
      if (viol > v) v = viol;
    }
    if (!this.squared && this.intercept) {
      this.ctx.datafit.gradient(this.r, this.u);
      for (let t = 0; t < this.T; t++) {
        let s = 0;
        for (let i = 0; i < this.n; i++) s += this.u[t * this.n + i];
        v = Math.max(v, Math.abs(s));
      }
    }
    return v;
  }

  /** Gather the working set's coefficients into `out` (in working-set order). */
  private gatherWs(out: Float64Array): void {
    const gs = this.ctx.penalty.groups;
    let o = 0;
    for (const g of this.ws) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) out[o++] = this.wi[gs.indices[k]];
  }

  private innerSolve(tol: number): void {
    const gs = this.ctx.penalty.groups;
    const ws = this.ws;
    let nc = 0;
    for (const g of ws) nc += gs.ptr[g + 1] - gs.ptr[g];
    // An epoch costs nc/size of a pass over the data; the driver's work budget and deadline cap
    // the epochs (one outer step used to run 2000 epochs whatever maxIter said).
    const epochCost = nc / Math.max(1, this.ctx.size);
    const lim = this.limits;
    const maxEpochs = lim ? Math.max(1, Math.min(MAX_EPOCHS, Math.floor((lim.work - 1) / Math.max(epochCost, 1e-12)))) : MAX_EPOCHS;
    const acc = this.acc;
    acc.begin(nc);
    this.gatherWs(acc.slot());
    acc.commit();
    for (let epoch = 1; epoch <= maxEpochs; epoch++) {
      this.stepWork += epochCost;
      if (lim?.deadline !== undefined && (epoch & 15) === 0 && performance.now() > lim.deadline) return;
      let moved = 0;
      if (!this.squared && this.intercept) moved = this.interceptStep();
      for (const g of ws) moved = Math.max(moved, this.blockStep(g));
      this.gatherWs(acc.slot());
      acc.commit();
      if (acc.full) {
        this.anderson(nc);
        acc.restart();
        this.gatherWs(acc.slot());
        acc.commit();
        if (this.wsViolation() <= tol) return;
      }
      if (moved === 0) return;
    }
  }

  /** Anderson extrapolation of the last epochs on the working set, kept only if it lowers the objective. */
  private anderson(nc: number): void {
    if (this.accBuf.length < nc) this.accBuf = new Float64Array(nc);
    const cand = this.accBuf;
    if (!this.acc.extrapolate(cand)) return;
    const gs = this.ctx.penalty.groups;
    // Keep the current state, move to the candidate, and go back unless it is better.
    const before = this.internalObjective(this.r, this.S, this.wi);
    this.wSave.set(this.wi);
    this.rSave.set(this.r);
    this.SSave.set(this.S);
    let o = 0;
    for (const g of this.ws) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) this.wi[gs.indices[k]] = cand[o++];
    // Unpenalized blocks need no check; penalized ones stay in the prox's range (prox output is
    // feasible for any w), so only the objective decides.
    this.refreshResidual();
    const after = this.internalObjective(this.r, this.S, this.wi);
    if (!(after < before)) {
      this.wi.set(this.wSave);
      this.r.set(this.rSave);
      this.S.set(this.SSave);
    }
  }
}

/** The given start point when its buffers have this context's shapes, else null. */
export function startPoint(start: PointBuffers | undefined, rows: number, size: number): PointBuffers | null {
  if (!start || !Number.isFinite(start.loss)) return null;
  return start.eta0.length === rows && start.eta.length === rows && start.u.length === rows && start.grad.length === size ? start : null;
}

// 'auto' picks it whenever it can run: columns to read and a global curvature bound.
registerSolver('bcd', (ctx, w0, options) => new BlockCoordinateDescent(ctx, w0, options), {
  // Its block steps majorize a separable, unweighted loss (the multinomial's coupled classes and
  // sample weights go to FISTA), with block Gram matrices that cost little next to the fit.
  accepts: (ctx) => Boolean(ctx.X.columns) && Number.isFinite(ctx.datafit.curvature) && ctx.datafit.separable && ctx.datafit.sampleWeight === undefined &&
    blockGramsAffordable(ctx.penalty.groups, ctx.p, ctx.X.columns),
  priority: 10,
  workingSets: true,
  // Exact block minimizations (squared loss) or majorization steps that always descend: no
  // objective test stops it short of rounding.
  refinesToRounding: true,
});
