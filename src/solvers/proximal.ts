import { OptionError } from '../errors.ts';
import { operatorNormSquared } from '../linalg/power.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import { dualValue } from './certificate.ts';
import { checkCoefs, checkContext, checkPoint, copyPoint, evaluate, evaluateFromEta0, newPoint, ProjectedOperator, type PointBuffers, type ProblemContext } from './problem.ts';

/** What one iteration reports to the driver. */
export interface IterationInfo {
  iteration: number;
  /** Primal objective at the current iterate. */
  primal: number;
  /** Best dual objective found so far (−Infinity if none). */
  dual: number;
  /** Current step size 1/L. */
  step: number;
  /** 'ok', or why the method cannot go on ('diverged: …', 'stalled: …'). */
  status: string;
  /** Whether momentum was restarted in this iteration (FISTA). */
  restarted?: boolean;
  /**
   * Passes over the data this iteration cost (default 1): block coordinate descent reports its
   * inner epochs, so that `maxIter` bounds the work and not only the outer steps.
   */
  work?: number;
}

/**
 * An optimization method as an iterator over explicit state: `w` is always the current iterate
 * (penalized part; unpenalized coordinates are fitted exactly by the problem context), and each
 * `next()` performs one iteration. The driver decides when to stop.
 */
export interface IterativeSolver extends Iterator<IterationInfo> {
  readonly name: string;
  readonly w: Float64Array;
  next(): IteratorResult<IterationInfo>;
  /**
   * Set by the driver before each step: the work (passes over the data) and the time stamp
   * (performance.now(), ms) left. A solver whose one step may run many inner passes stops them
   * there; a one-pass step can ignore it. `gapTol`: the relative duality gap the driver
   * certifies (absent under the KKT rule), which a solver with an inner tolerance may aim its last
   * steps at.
   */
  limits?: { work: number; deadline?: number; gapTol?: number };
  /**
   * Objective and a dual value at the starting point, when the solver evaluated it while being
   * built: the driver then confirms convergence at the start only when this gap is already small,
   * instead of recomputing a certificate there (a warm-started fit along a path rarely starts optimal).
   */
  readonly initial?: { primal: number; dual: number };
}

/** Options shared by the proximal-gradient methods. */
export interface ProximalOptions {
  /** Initial Lipschitz constant of ∇G; estimated by power iteration when absent. */
  lipschitz?: number;
  /**
   * The point w0 already evaluated on this context (as {@link evaluate} fills it, at w0 with its
   * unpenalized entries set to 0), e.g. the certificate of the previous λ of a path: the datafit
   * part does not depend on λ, so a solver may start from it instead of evaluating w0 again.
   * Trusted as given; solvers that do not use it ignore it.
   */
  start?: PointBuffers;
}


/** Initial Lipschitz estimate of the reduced smooth part at the starting point. */
export function estimateLipschitz(ctx: ProblemContext, start?: PointBuffers): number {
  checkContext('estimateLipschitz', ctx);
  if (start !== undefined) checkPoint('estimateLipschitz', ctx, start);
  const normSq = operatorNormSquared(new ProjectedOperator(ctx), { tol: 1e-4, maxIter: 100 });
  let curv = ctx.datafit.curvature;
  if (!Number.isFinite(curv)) {
    if (!start) {
      start = newPoint(ctx);
      evaluate(ctx, new Float64Array(ctx.size), start);
    }
    const h = new Float64Array(start.eta.length);
    ctx.datafit.hessianDiag(start.eta, h);
    curv = 0;
    for (let i = 0; i < h.length; i++) if (h[i] > curv) curv = h[i];
  }
  // Power iteration approaches ‖·‖² from below; a 5 % margin avoids an immediate doubling.
  const L = 1.05 * normSq * curv;
  return L > 0 && Number.isFinite(L) ? L : 1;
}

/** Shared machinery of ISTA and FISTA: one backtracked proximal-gradient step from a point. */
abstract class ProximalBase implements IterativeSolver {
  abstract readonly name: string;
  readonly ctx: ProblemContext;
  w: Float64Array;
  protected pt: PointBuffers; // at the current iterate w
  protected L: number;
  protected iteration = 0;
  protected bestDual = -Infinity;
  protected primal: number;
  protected readonly scratch: Float64Array;
  protected readonly v: Float64Array;
  private readonly L0: number;
  /** Whether the last backtracking trial had a finite loss (tells a stall from a divergence). */
  protected lastTrialFinite = true;

  constructor(ctx: ProblemContext, w0: Float64Array, options: ProximalOptions = {}, fn = 'ProximalBase') {
    checkContext(fn, ctx);
    checkCoefs(fn, ctx, w0, 'w0');
    if (options === null || typeof options !== 'object') throw new OptionError(fn, `options must be an object, got ${options === null ? 'null' : typeof options}`);
    this.ctx = ctx;
    this.w = w0.slice();
    for (const c of ctx.unpenalizedCoefs) this.w[c] = 0;
    this.pt = newPoint(ctx);
    evaluate(ctx, this.w, this.pt);
    this.primal = this.pt.loss + ctx.penalty.value(this.w);
    this.scratch = new Float64Array(ctx.n * ctx.T);
    this.v = new Float64Array(ctx.size);
    this.L = options.lipschitz ?? estimateLipschitz(ctx, this.pt);
    this.L0 = this.L;
    this.updateDual(this.pt);
  }

  protected updateDual(pt: PointBuffers): void {
    const d = dualValue(this.ctx, pt, this.scratch);
    if (d > this.bestDual) this.bestDual = d;
  }

  /**
   * x⁺ = prox_{Ω/L}(y − ∇G(y)/L), increasing L until the quadratic upper bound holds at x⁺.
   * Fills `out` (forward product, unpenalized fit, loss; not the gradient). Returns Ω(x⁺), or
   * NaN when L ran away (divergence).
   */
  protected proxStep(y: Float64Array, ptY: PointBuffers, xNew: Float64Array, out: PointBuffers): number {
    const ctx = this.ctx;
    const mask = ctx.penalizedMask;
    const n = ctx.n;
    for (let bt = 0; bt < 80; bt++) {
      const step = 1 / this.L;
      const v = this.v;
      for (let i = 0; i < v.length; i++) v[i] = mask[i] ? y[i] - step * ptY.grad[i] : 0;
      const omega = ctx.penalty.proxInPlace(xNew, v, step);
      ctx.forward(xNew, out.eta0);
      evaluateFromEta0(ctx, out, false);
      let dd = 0;
      let dg = 0;
      for (let i = 0; i < xNew.length; i++) {
        const d = xNew[i] - y[i];
        dd += d * d;
        dg += d * ptY.grad[i];
      }
      let lhs: number;
      let slack: number;
      if (ctx.datafit.quadratic) {
        // Exact: G(x⁺) − G(y) − ⟨∇G(y), d⟩ = ‖Δη‖²/(2n) for the squared loss.
        let s = 0;
        let e = 0;
        for (let i = 0; i < out.eta.length; i++) {
          const a = out.eta[i] - ptY.eta[i];
          s += a * a;
          e += out.eta[i] * out.eta[i];
        }
        lhs = s / (2 * n);
        slack = (64 * Number.EPSILON) ** 2 * e / n;
      } else {
        lhs = out.loss - ptY.loss - dg;
        slack = 16 * Number.EPSILON * (Math.abs(out.loss) + Math.abs(ptY.loss));
      }
      this.lastTrialFinite = Number.isFinite(out.loss);
      if (Number.isFinite(out.loss) && lhs <= 0.5 * this.L * dd + slack) return omega;
      this.L *= 2;
      if (!(this.L < 1e16 * this.L0)) break;
    }
    return NaN;
  }

  abstract next(): IteratorResult<IterationInfo>;

  /**
   * Why backtracking gave up: with a finite loss the method has reached rounding level (the
   * descent test can no longer be resolved), which is a stall, not a divergence.
   */
  protected failedStepStatus(): string {
    return this.lastTrialFinite
      ? 'stalled: no step size satisfies the descent condition at rounding level'
      : 'diverged: no step size satisfies the descent condition (non-finite loss)';
  }

  protected report(status: string, restarted?: boolean): IteratorResult<IterationInfo> {
    return {
      done: false,
      value: { iteration: this.iteration, primal: this.primal, dual: this.bestDual, step: 1 / this.L, status, restarted },
    };
  }
}

/**
 * ISTA: proximal gradient with backtracking,  w⁺ = prox_{Ω/L}(w − ∇G(w)/L),  L doubled until
 * G(w⁺) ≤ G(w) + ⟨∇G(w), w⁺ − w⟩ + (L/2)‖w⁺ − w‖². Monotone; O(1/k).
 */
export class Ista extends ProximalBase {
  readonly name = 'ista';
  private ptNew: PointBuffers;
  private wNew: Float64Array;
  constructor(ctx: ProblemContext, w0: Float64Array, options: ProximalOptions = {}) {
    super(ctx, w0, options, 'Ista');
    this.ptNew = newPoint(ctx);
    this.wNew = new Float64Array(ctx.size);
  }
  next(): IteratorResult<IterationInfo> {
    this.iteration++;
    const omega = this.proxStep(this.w, this.pt, this.wNew, this.ptNew);
    if (Number.isNaN(omega)) return this.report(this.failedStepStatus());
    this.ctx.transpose(this.ptNew.u, this.ptNew.grad);
    [this.w, this.wNew] = [this.wNew, this.w];
    [this.pt, this.ptNew] = [this.ptNew, this.pt];
    this.primal = this.pt.loss + omega;
    this.updateDual(this.pt);
    return this.report('ok');
  }
}

/**
 * FISTA (Beck & Teboulle 2009) with backtracking and adaptive restart (O'Donoghue & Candès 2015):
 *   x⁺ = prox_{Ω/L}(y − ∇G(y)/L),  t⁺ = (1 + √(1 + 4t²))/2,  y⁺ = x⁺ + ((t − 1)/t⁺)(x⁺ − x),
 * momentum reset (t = 1, y = x⁺) when ⟨y − x⁺, x⁺ − x⟩ > 0 or the objective goes up. X y is
 * obtained from X x⁺ and X x by linearity, so an iteration costs one product with X and one with Xᵀ.
 */
export class Fista extends ProximalBase {
  readonly name = 'fista';
  private y: Float64Array;
  private ptY: PointBuffers;
  private xNew: Float64Array;
  private ptNew: PointBuffers;
  private t = 1;
  constructor(ctx: ProblemContext, w0: Float64Array, options: ProximalOptions = {}) {
    super(ctx, w0, options, 'Fista');
    this.y = this.w.slice();
    this.ptY = newPoint(ctx);
    copyPoint(this.pt, this.ptY);
    this.xNew = new Float64Array(ctx.size);
    this.ptNew = newPoint(ctx);
  }
  next(): IteratorResult<IterationInfo> {
    this.iteration++;
    const ctx = this.ctx;
    const omega = this.proxStep(this.y, this.ptY, this.xNew, this.ptNew);
    if (Number.isNaN(omega)) return this.report(this.failedStepStatus());
    const primalNew = this.ptNew.loss + omega;
    let dot = 0;
    for (let i = 0; i < this.xNew.length; i++) dot += (this.y[i] - this.xNew[i]) * (this.xNew[i] - this.w[i]);
    const restart = dot > 0 || primalNew > this.primal + 1e-12 * Math.abs(this.primal);
    const tNew = restart ? 1 : (1 + Math.sqrt(1 + 4 * this.t * this.t)) / 2;
    const beta = restart ? 0 : (this.t - 1) / tNew;
    // y⁺ = x⁺ + β(x⁺ − x), and X y⁺ by the same combination of X x⁺ and X x.
    const y = this.y;
    for (let i = 0; i < y.length; i++) y[i] = this.xNew[i] + beta * (this.xNew[i] - this.w[i]);
    const e0 = this.ptY.eta0;
    for (let i = 0; i < e0.length; i++) e0[i] = this.ptNew.eta0[i] + beta * (this.ptNew.eta0[i] - this.pt.eta0[i]);
    if (this.iteration % 64 === 0) ctx.forward(y, e0); // refresh the recurrence against drift
    evaluateFromEta0(ctx, this.ptY, true);
    this.updateDual(this.ptY);
    [this.w, this.xNew] = [this.xNew, this.w];
    [this.pt, this.ptNew] = [this.ptNew, this.pt];
    this.primal = primalNew;
    this.t = tNew;
    return this.report('ok', restart);
  }
}

