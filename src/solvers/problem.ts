import type { Datafit } from '../datafits/datafits.ts';
import { ShapeError, ValueError } from '../errors.ts';
import { isGroupStructure } from '../groups/groups.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import type { Penalty } from '../penalties/penalties.ts';
import { UnpenalizedSolver } from './unpenalized.ts';

/**
 * A composite problem  min_{w, c}  F(Xw + A c) + Ω(w)  with F a datafit over η (n × T),
 * Ω a group penalty over the p·T coefficients (W column-major: W[j, t] at t·p + j), and A the
 * unpenalized columns (intercept, groups with λd_g = 0), minimized exactly for each w.
 * Owns all work buffers, so solvers allocate nothing per iteration.
 */
export class ProblemContext {
  readonly X: LinearOperator;
  readonly datafit: Datafit;
  private pen: Penalty;
  readonly fitIntercept: boolean;
  readonly n: number;
  readonly p: number;
  readonly T: number;
  /** Number of coefficients p·T. */
  readonly size: number;
  /** Coefficient indices (in 0..p·T) that belong to unpenalized groups; kept at 0 in w. */
  readonly unpenalizedCoefs: Int32Array;
  /** Features of unpenalized groups, in the column order of A after the intercept. */
  readonly unpenalizedFeatures: Int32Array;
  /** 1 for penalized coefficients, 0 for unpenalized ones (masks gradient steps). */
  readonly penalizedMask: Uint8Array;
  readonly unpenalized: UnpenalizedSolver;
  /** Objective at w = 0 (unpenalized part fitted): the scale for the gap's absolute floor. */
  readonly nullObjective: number;

  constructor(X: LinearOperator, datafit: Datafit, penalty: Penalty, fitIntercept: boolean) {
    const fn = 'ProblemContext';
    if (X === null || typeof X !== 'object' || typeof X.apply !== 'function' || typeof X.applyTranspose !== 'function' ||
      !Number.isInteger(X.rows) || !Number.isInteger(X.cols) || X.rows < 1 || X.cols < 1) {
      throw new ShapeError(fn, 'X must be a LinearOperator with at least one row and column (see toOperator)');
    }
    if (datafit === null || typeof datafit !== 'object' || typeof datafit.valueGrad !== 'function' || !Number.isInteger(datafit.T) || datafit.T < 1) {
      throw new ShapeError(fn, 'datafit must be a Datafit (from makeDatafit or a loss class)');
    }
    if (datafit.n !== X.rows) throw new ShapeError(fn, `the datafit has ${datafit.n} rows but X has ${X.rows}`);
    if (penalty === null || typeof penalty !== 'object' || typeof penalty.value !== 'function' || !isGroupStructure(penalty.groups)) {
      throw new ShapeError(fn, 'penalty must be a Penalty with its groups (from getPenalty or a penalty class)');
    }
    if (penalty.groups.nFeatures !== X.cols * datafit.T && penalty.groups.nFeatures !== X.cols) {
      throw new ShapeError(fn, `the penalty's groups cover ${penalty.groups.nFeatures} coefficients but X has ${X.cols} columns`);
    }
    if (typeof fitIntercept !== 'boolean') throw new ValueError(fn, `fitIntercept must be true or false, got ${String(fitIntercept)}`);
    this.X = X;
    this.datafit = datafit;
    this.pen = penalty;
    this.fitIntercept = fitIntercept;
    this.n = X.rows;
    this.p = X.cols;
    this.T = datafit.T;
    this.size = this.p * this.T;
    const gs = penalty.groups;
    this.penalizedMask = new Uint8Array(this.size);
    const featUnpen = new Uint8Array(this.p);
    for (let g = 0; g < gs.nGroups; g++) {
      const pen = penalty.isPenalized(g);
      for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) {
        const c = gs.indices[k];
        if (pen) this.penalizedMask[c] = 1;
        else featUnpen[c % this.p] = 1;
      }
    }
    const feats: number[] = [];
    for (let j = 0; j < this.p; j++) if (featUnpen[j]) feats.push(j);
    this.unpenalizedFeatures = Int32Array.from(feats);
    const coefs: number[] = [];
    for (let c = 0; c < this.size; c++) if (!this.penalizedMask[c]) coefs.push(c);
    this.unpenalizedCoefs = Int32Array.from(coefs);
    this.unpenalized = new UnpenalizedSolver(X, this.unpenalizedFeatures, fitIntercept, datafit);
    const pt = newPoint(this);
    evaluate(this, new Float64Array(this.size), pt);
    this.nullObjective = pt.loss;
  }

  /** The penalty Ω (λ included). */
  get penalty(): Penalty {
    return this.pen;
  }

  /**
   * Move the context to another λ > 0 (when it was built with λ > 0): the penalized pattern, and
   * so the unpenalized factorization, stay the same; only the penalty object is replaced.
   */
  setLambda(lambda: number): void {
    if (lambda === this.pen.lambda) return;
    if (!(lambda > 0) || !(this.pen.lambda > 0)) throw new Error('ProblemContext.setLambda: λ must stay > 0 (λ = 0 changes which groups are penalized)');
    this.pen = this.pen.withLambda(lambda);
  }

  /** η₀ ← X W (one operator product per task). */
  forward(w: Float64Array, eta0: Float64Array): void {
    const { n, p, T } = this;
    if (T === 1) {
      this.X.apply(w, eta0);
      return;
    }
    for (let t = 0; t < T; t++) this.X.apply(w.subarray(t * p, (t + 1) * p), eta0.subarray(t * n, (t + 1) * n));
  }

  /** grad ← Xᵀ u per task. */
  transpose(u: Float64Array, grad: Float64Array): void {
    const { n, p, T } = this;
    if (T === 1) {
      this.X.applyTranspose(u, grad);
      return;
    }
    for (let t = 0; t < T; t++) this.X.applyTranspose(u.subarray(t * n, (t + 1) * n), grad.subarray(t * p, (t + 1) * p));
  }

  /** Fit the unpenalized part for η₀ = Xw: η ← η₀ + A c*; returns F(η). */
  fitUnpenalized(eta0: Float64Array, eta: Float64Array): number {
    return this.unpenalized.solve(eta0, eta);
  }

  /** Intercepts (length T) and unpenalized feature coefficients from the current c. */
  unpenalizedCoefficients(): { intercepts: Float64Array; features: Float64Array } {
    const { T } = this;
    const k = this.unpenalized.k;
    const off = this.fitIntercept ? 1 : 0;
    const intercepts = new Float64Array(T);
    const features = new Float64Array(this.unpenalizedFeatures.length * T);
    for (let t = 0; t < T; t++) {
      if (this.fitIntercept) intercepts[t] = this.unpenalized.c[t * k];
      for (let q = 0; q < this.unpenalizedFeatures.length; q++) {
        features[t * this.unpenalizedFeatures.length + q] = this.unpenalized.c[t * k + off + q];
      }
    }
    return { intercepts, features };
  }

  /** Full coefficient vector: penalized part w plus the fitted unpenalized features. */
  fullCoefficients(w: Float64Array): Float64Array {
    const out = w.slice();
    const { features } = this.unpenalizedCoefficients();
    const m = this.unpenalizedFeatures.length;
    for (let t = 0; t < this.T; t++) {
      for (let q = 0; q < m; q++) out[t * this.p + this.unpenalizedFeatures[q]] = features[t * m + q];
    }
    return out;
  }
}

/** Everything a solver needs to know about one point w (penalized part), filled by `evaluate`. */
export interface PointBuffers {
  /** X w (n·T). */
  eta0: Float64Array;
  /** X w + A c* (n·T). */
  eta: Float64Array;
  /** ∇F(η) (n·T). */
  u: Float64Array;
  /** Xᵀ u (p·T). */
  grad: Float64Array;
  /** F(η). */
  loss: number;
}

/*
 * O(1) checks for the extension kit's entry points (an instanceof and a few lengths): each of
 * those functions does O(n·p) work per call, so the checks cost nothing measurable in a solver
 * loop, and a wrong argument is named instead of surfacing as a TypeError deep inside.
 */
export function checkContext(fn: string, ctx: unknown): asserts ctx is ProblemContext {
  if (!(ctx instanceof ProblemContext)) throw new ShapeError(fn, 'ctx must be a ProblemContext (new ProblemContext(X, datafit, penalty, fitIntercept))');
}

/** Coefficients w of the context's problem: a Float64Array of length p·T. */
export function checkCoefs(fn: string, ctx: ProblemContext, w: unknown, what = 'w'): asserts w is Float64Array {
  if (!(w instanceof Float64Array) || w.length !== ctx.size) {
    throw new ShapeError(fn, `${what} must be a Float64Array of length p·T = ${ctx.size}, got ${w instanceof Float64Array ? `length ${w.length}` : w === null ? 'null' : typeof w}`);
  }
}

/** Point buffers of the context (from newPoint). */
export function checkPoint(fn: string, ctx: ProblemContext, pt: unknown): asserts pt is PointBuffers {
  const q = pt as PointBuffers | null;
  const m = ctx.n * ctx.T;
  if (q === null || typeof q !== 'object' || !(q.eta0 instanceof Float64Array) || q.eta0.length !== m || !(q.eta instanceof Float64Array) ||
    q.eta.length !== m || !(q.u instanceof Float64Array) || q.u.length !== m || !(q.grad instanceof Float64Array) || q.grad.length !== ctx.size) {
    throw new ShapeError(fn, 'pt must be the point buffers of this context (from newPoint(ctx))');
  }
}

/** Copy an evaluated point (predictors, gradient, loss) into another of the same context. */
export function copyPoint(src: PointBuffers, dst: PointBuffers): void {
  dst.eta0.set(src.eta0);
  dst.eta.set(src.eta);
  dst.u.set(src.u);
  dst.grad.set(src.grad);
  dst.loss = src.loss;
}

export function newPoint(ctx: ProblemContext): PointBuffers {
  checkContext('newPoint', ctx);
  return {
    eta0: new Float64Array(ctx.n * ctx.T),
    eta: new Float64Array(ctx.n * ctx.T),
    u: new Float64Array(ctx.n * ctx.T),
    grad: new Float64Array(ctx.size),
    loss: NaN,
  };
}

/** Given pt.eta0, fit the unpenalized part and fill loss, u; optionally grad. */
export function evaluateFromEta0(ctx: ProblemContext, pt: PointBuffers, withGrad: boolean): void {
  checkContext('evaluateFromEta0', ctx);
  checkPoint('evaluateFromEta0', ctx, pt);
  if (typeof withGrad !== 'boolean') throw new ValueError('evaluateFromEta0', `withGrad must be true or false, got ${String(withGrad)}`);
  ctx.fitUnpenalized(pt.eta0, pt.eta);
  pt.loss = ctx.datafit.valueGrad(pt.eta, pt.u);
  // A non-finite linear predictor (an operator returning ±Infinity) can still give a finite loss
  // (logistic with η = +∞ and y = 1), which was then certified as converged: mark the point as
  // invalid so backtracking reports divergence and no certificate accepts it.
  const eta = pt.eta;
  for (let i = 0; i < eta.length; i++) {
    if (!Number.isFinite(eta[i])) {
      pt.loss = NaN;
      break;
    }
  }
  if (withGrad) ctx.transpose(pt.u, pt.grad);
}

/** Full evaluation at w: forward product, unpenalized fit, loss, dual residual and gradient. */
export function evaluate(ctx: ProblemContext, w: Float64Array, pt: PointBuffers): void {
  checkContext('evaluate', ctx);
  checkCoefs('evaluate', ctx, w);
  checkPoint('evaluate', ctx, pt);
  ctx.forward(w, pt.eta0);
  evaluateFromEta0(ctx, pt, true);
}

/**
 * Operator P^⊥X restricted to penalized coordinates, P^⊥ = projection off the unpenalized columns
 * span(A): its squared norm times the loss curvature bounds the Lipschitz constant of the reduced
 * smooth part (exactly for the squared loss). Used only for the power-iteration estimate.
 */
export class ProjectedOperator implements LinearOperator {
  readonly rows: number;
  readonly cols: number;
  private readonly ctx: ProblemContext;
  private readonly tmp: Float64Array;
  private readonly tmpRows: Float64Array;
  constructor(ctx: ProblemContext) {
    this.ctx = ctx;
    this.rows = ctx.n * ctx.T;
    this.cols = ctx.size;
    this.tmp = new Float64Array(ctx.size);
    this.tmpRows = new Float64Array(ctx.n * ctx.T);
  }
  apply(x: Float64Array, out: Float64Array): void {
    const m = this.ctx.penalizedMask;
    for (let i = 0; i < x.length; i++) this.tmp[i] = m[i] ? x[i] : 0;
    this.ctx.forward(this.tmp, out);
    this.ctx.unpenalized.projectOut(out);
  }
  applyTranspose(y: Float64Array, out: Float64Array): void {
    this.tmpRows.set(y);
    this.ctx.unpenalized.projectOut(this.tmpRows);
    this.ctx.transpose(this.tmpRows, out);
    const m = this.ctx.penalizedMask;
    for (let i = 0; i < out.length; i++) if (!m[i]) out[i] = 0;
  }
}
