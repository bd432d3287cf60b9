import { OptionError, ValueError } from '../../errors.ts';
import type { GroupStructure } from '../../groups/groups.ts';
import { proxGroupLassoInPlace } from '../../prox/prox.ts';
import type { ImageSet } from '../mnist.ts';
import { fullBatch, type ClassifierLoss, type FlatParams } from './params.ts';
import { stationarity, type TrainProgress } from './objective.ts';
import { rescaleUnits, type RescalableUnit } from './rescale.ts';
import { CompactLbfgs, solveProximalModel } from './quasinewton.ts';
import { checkGroups, checkImageSet, checkLambda, checkObject, checkParams } from '../check.ts';
import { clarkeBand, clarkeResidual, KINK_BAND } from './clarke.ts';
import { denseChain } from './dense.ts';
import { kinkNewtonStep, type KinkContext } from './kinknewton.ts';
import { addClarke } from './objective.ts';
import { addPenaltyHessian } from './objective.ts';

export interface PolishOptions {
  /** Most full-batch steps. */
  maxSteps: number;
  /** Stop when kkt / kktScale ≤ tol. */
  tol: number;
  kktScale: number;
  /** First trial step t (then Barzilai–Borwein proposes, backtracking halves). */
  step: number;
  epoch: number;
  steps: number;
  frozen?: Uint8Array;
  /**
   * Hidden units whose positive rescaling leaves the loss unchanged (`rescalableUnits`): before the
   * first step and then every `rescaleEvery` steps the penalty is minimized over their scales
   * (`rescaleUnits`), an exact step along directions where the loss is flat.
   */
  rescale?: readonly RescalableUnit[];
  /** Steps between rescalings (default 1). */
  rescaleEvery?: number;
  /**
   * After each proximal gradient step, a quasi-Newton step on the smooth restriction of P to the
   * current support (zero groups held at 0) with an L-BFGS memory of this many pairs (0: none).
   */
  memory?: number;
  /**
   * 'gradient' (default): proximal gradient steps (with the support steps of `memory`);
   * 'quasi-newton': proximal quasi-Newton steps — each solves the prox subproblem on an L-BFGS model
   * of F (memory `memory`, default 10, pairs from every accepted move) and searches along it; see
   * `polishProximal`;
   * 'newton': the quasi-Newton steps, each followed — once kktRelative ≤ 0.1 and when the support
   * is identified (every zero group satisfies its KKT condition better than the nonzero ones do) — by a Newton step on the
   * smooth restriction of P to the support, by conjugate gradients on Hessian-vector products
   * (differences of full-batch gradients, one evaluation each) (see `supportNewtonStep`); on Dense
   * ReLU networks by a trust-region step on the kink manifold (`kinkNewtonStep`) when those pay.
   */
  method?: 'gradient' | 'quasi-newton' | 'newton';
  /**
   * δ of the generalized residual reported with each step (`kktClarke`; default and false as in
   * trainProximal's `kinkBand`, see clarkeBand) and of the kinks the 'newton' steps of Dense ReLU
   * networks hold (see `kinkNewtonStep`; 10⁻⁴ when the residual is off).
   */
  kinkBand?: number | false;
  onStep?: (p: TrainProgress) => boolean | void;
  signal?: AbortSignal;
  /** performance.now() time stamp (ms) after which no step starts (status 'time limit reached'). */
  deadline?: number;
}

/** 'newton': Newton steps on the support once kktRelative is at most this. */
const NEWTON_BELOW = 0.1;

/** 'newton' on Dense ReLU networks: steps between kink steps when they made less progress per evaluation than the quasi-Newton steps. */
const PROBE = 20;

/** float32's unit roundoff. */
const EPS32 = 2 ** -24;

type Eval = { loss: number; grad: Float64Array; correct: number; P: number; st: ReturnType<typeof stationarity> };

/**
 * Full-batch proximal gradient on P(θ) = F(θ) + λ Σ_g d_g ‖θ_g‖ from the model's current weights:
 * θ⁺ = prox_{tλ d_g‖·‖}(θ − t∇F(θ)), the trial step t proposed by Barzilai–Borwein (sᵀs / sᵀy,
 * where s, y are the last changes of θ and ∇F; at most ten times the last step) and halved until
 * the sufficient-decrease condition F(θ⁺) ≤ F(θ) + ∇F(θ)ᵀ(θ⁺ − θ) + ‖θ⁺ − θ‖² / (2t) holds and
 * P(θ⁺) ≤ min over the phase of P — Beck & Teboulle's backtracking, up to δ = 2⁻²⁴·|P|, what the
 * float32 forward pass resolves: P as evaluated never exceeds its running minimum by more than δ.
 * (An accelerated variant with restarts was tried and made less progress per gradient on MLPs;
 * quasi-Newton steps on the support, `memory`, made more: see `supportQuasiNewton`.)
 * `method: 'quasi-newton'` replaces the gradient step by a proximal quasi-Newton step
 * (`proximalModelStep`: the prox subproblem on a compact L-BFGS model of F, then a line search) and
 * keeps the proximal gradient step as the fallback when that step fails; `'newton'` adds, near
 * stationarity and once the zero groups are identified, a Newton step on the support
 * (`supportNewtonStep`), which is what ends the slow tail: on a tanh MLP 64-8-10 (600 digits,
 * λ = 5·10⁻³) it reaches kktRelative 6·10⁻⁵ in 1 607 evaluations where quasi-Newton alone was at
 * 1.4·10⁻² after 1 500. On Dense ReLU networks the Newton step is `kinkNewtonStep` instead (the
 * activation pattern frozen, convex kinks held at z = 0, a trust region), taken when its decrease of
 * P per evaluation is at least the quasi-Newton steps' (and every PROBE steps otherwise): there the
 * plain residual cannot reach 0 — a few (sample, unit) pre-activations converge to the kink, where
 * tfjs's one-sided gradient jumps — so each record also carries the generalized residual
 * `kktClarke` (`clarkeResidual`, δ = `kinkBand`), and 'converged' means either is at most `tol`.
 * Iterates are kept at float32 values, the ones the model computes with, so the objective and the
 * KKT distance reported are those of the network as it stands. Stops when kkt / kktScale ≤ `tol`
 * ('converged'), after `maxSteps` ('max steps'), when no step of at least 1e-12·t₀ decreases P or
 * a step no longer moves any float32 weight ('stalled': the float32 floor), or on the callback /
 * signal. Returns one progress record per accepted step.
 */
export function polishProximal(
  params: FlatParams, gs: GroupStructure, data: ImageSet, loss: ClassifierLoss, lambda: number, options: PolishOptions,
): { history: TrainProgress[]; status: string; evaluations: number } {
  const fn = 'polishProximal';
  checkParams(fn, params);
  checkGroups(fn, gs, params.theta.length);
  checkImageSet(fn, data);
  checkLambda(fn, lambda);
  checkObject(fn, 'options', options);
  const { frozen, kktScale, tol } = options;
  if (options.deadline !== undefined && (typeof options.deadline !== 'number' || Number.isNaN(options.deadline))) {
    throw new ValueError(fn, `deadline must be a performance.now() time stamp in ms, got ${String(options.deadline)}`);
  }
  const memory = options.memory ?? 0;
  if (!(Number.isInteger(memory) && memory >= 0)) throw new ValueError(fn, `memory must be an integer ≥ 0, got ${String(memory)}`);
  const every = options.rescaleEvery ?? 1;
  if (!(Number.isInteger(every) && every >= 1)) throw new ValueError(fn, `rescaleEvery must be an integer ≥ 1, got ${String(every)}`);
  const theta = params.theta;
  const n = theta.length;
  let evaluations = 0;
  const evalAt = (x: Float64Array): Eval => {
    evaluations++;
    theta.set(x);
    params.push();
    const fb = fullBatch(params, data, loss, true);
    const st = stationarity(x, fb.grad!, gs, lambda, frozen);
    return { loss: fb.loss, grad: fb.grad!, correct: fb.correct, P: fb.loss + lambda * st.penalty, st };
  };
  const x = Float64Array.from(theta, (v, i) => (frozen?.[i] ? 0 : Math.fround(v)));
  const z = new Float64Array(n);
  let cur = evalAt(x);
  let best = cur.P;
  const history: TrainProgress[] = [];
  let t = options.step;
  const tMin = options.step * 1e-12;
  let status = 'max steps';
  const units = options.rescale && options.rescale.length > 0 ? options.rescale : null;
  const method = options.method ?? 'gradient';
  if (method !== 'gradient' && method !== 'quasi-newton' && method !== 'newton') throw new OptionError(fn, `method must be 'gradient', 'quasi-newton' or 'newton', got '${String(method)}'`);
  const lbfgs = method === 'gradient' && memory > 0 ? supportQuasiNewton(gs, lambda, frozen, memory, evalAt, () => best) : null;
  const model = method !== 'gradient' ? new CompactLbfgs(memory || 10) : null;
  // The generalized residual's band (null: not reported, see clarkeBand); the kink steps hold pairs
  // within it, or within the default band when the residual is off.
  const report = clarkeBand(fn, options.kinkBand, params, data.n);
  const band = report ?? KINK_BAND;
  const chain = denseChain(params.net);
  const kinks: KinkContext | null = method === 'newton' && chain && chain.layers.some((L, l) => L.activation === 'relu' && l < chain.layers.length - 1)
    ? { chain, params, data, loss, band, radius: 0.1, gradients: 0 } : null;
  let prevX: Float64Array | null = null;
  let prevG: Float64Array | null = null;
  // Decrease of P per evaluation of the last kink step and of the recent quasi-Newton steps ('newton' on ReLU networks).
  let newtonRate = Infinity;
  let qnRate = 0;
  let lastNewton = 0;
  for (let k = 1; k <= options.maxSteps; k++) {
    if (cur.st.kkt / kktScale <= tol) { status = 'converged'; break; }
    if (options.signal?.aborted) { status = 'stopped by signal'; break; }
    if (options.deadline !== undefined && performance.now() > options.deadline) { status = 'time limit reached'; break; }
    if (units && (k - 1) % every === 0) {
      const y = Float64Array.from(x);
      const r = rescaleUnits(y, units, gs);
      if (r.after < r.before) {
        for (let i = 0; i < n; i++) y[i] = Math.fround(y[i]);
        const atY = evalAt(y);
        if (atY.P <= best + EPS32 * Math.abs(best)) {
          x.set(y);
          cur = atY;
          best = Math.min(best, cur.P);
          if (cur.st.kkt / kktScale <= tol) { status = 'converged'; break; }
        }
      }
    }
    let accepted: Eval | null = null;
    const startP = cur.P;
    const startEvaluations = evaluations;
    if (model) {
      // The pair from the last iterate, whatever moved it (a model step, a proximal gradient step, a rescaling).
      if (prevX && prevG) {
        const s = new Float64Array(n);
        const y = new Float64Array(n);
        for (let i = 0; i < n; i++) if (!frozen?.[i]) { s[i] = x[i] - prevX[i]; y[i] = cur.grad[i] - prevG[i]; }
        model.push(s, y);
      }
      prevX = Float64Array.from(x);
      prevG = Float64Array.from(cur.grad);
      if (model.size > 0) {
        const r = proximalModelStep(x, cur, model, gs, lambda, frozen, evalAt, best, z);
        if (r) accepted = r;
      }
    }
    if (!accepted) while (t >= tMin) {
      for (let i = 0; i < n; i++) z[i] = x[i] - t * cur.grad[i];
      proxGroupLassoInPlace(z, z, gs, t * lambda);
      let lin = 0;
      let q = 0;
      for (let i = 0; i < n; i++) {
        z[i] = frozen?.[i] ? 0 : Math.fround(z[i]);
        const d = z[i] - x[i];
        lin += cur.grad[i] * d;
        q += d * d;
      }
      if (q === 0) break; // the step no longer moves any float32 weight
      const atZ = evalAt(z);
      // δ: what the float32 forward pass can resolve of P. Below it a decrease cannot be measured,
      // so a step is accepted if P stays within δ of the best value seen: P never rises by more
      // than δ over the whole phase (no drift), and the gradient keeps steering below the noise.
      const delta = EPS32 * Math.abs(best);
      if (atZ.loss <= cur.loss + lin + q / (2 * t) + delta && atZ.P <= best + delta) { accepted = atZ; break; }
      t *= 0.5;
    }
    if (!accepted) { status = 'stalled'; break; }
    let ss = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      const s = z[i] - x[i];
      ss += s * s;
      sy += s * (accepted.grad[i] - cur.grad[i]);
    }
    t = sy > 0 ? Math.min(ss / sy, 10 * t) : 2 * t;
    x.set(z);
    cur = accepted;
    best = Math.min(best, cur.P);
    if (lbfgs) {
      const r = lbfgs.step(x, cur);
      if (r) { x.set(r.x); cur = r.at; best = Math.min(best, cur.P); }
    }
    // Far from stationarity the quasi-Newton steps are cheaper per unit of progress: on a tanh MLP
    // 64-8-10 Newton steps from the start took 866 evaluations for 20 steps with P barely lower.
    // On a ReLU network the kink steps are taken when they pay: each kind of step's decrease of P
    // per full-batch evaluation is measured (the quasi-Newton steps' as a running mean over the
    // last few), and a kink step follows the quasi-Newton step while its last rate is at least the
    // quasi-Newton rate, and otherwise every PROBE steps to measure it again. Far from a minimizer
    // the activation pattern keeps changing and the frozen-pattern model is valid only over short
    // steps; near one the quasi-Newton steps stall on the kinks and the kink steps take over.
    const qnSpent = evaluations - startEvaluations;
    if (kinks) qnRate = 0.8 * qnRate + 0.2 * Math.max(0, startP - cur.P) / Math.max(1, qnSpent);
    const newtonNow = kinks ? newtonRate >= qnRate || k - lastNewton >= PROBE : cur.st.kkt / kktScale <= NEWTON_BELOW;
    if (method === 'newton' && cur.st.kkt / kktScale > tol && cur.st.kkt / kktScale <= NEWTON_BELOW && newtonNow) {
      const before = kinks?.gradients ?? 0;
      const fromP = cur.P;
      const r = supportNewtonStep(x, cur, gs, lambda, frozen, evalAt, best, cur.st.kkt / kktScale, kinks);
      // The frozen-pattern gradients are full-batch gradient evaluations too.
      if (kinks) evaluations += kinks.gradients - before;
      if (r) { x.set(r.x); cur = r.at; best = Math.min(best, cur.P); }
      if (kinks) {
        lastNewton = k;
        newtonRate = Math.max(0, fromP - cur.P) / Math.max(1, kinks.gradients - before);
      }
    }
    const p: TrainProgress = {
      epoch: options.epoch, steps: options.steps + k, objective: cur.P, loss: cur.loss, penalty: lambda * cur.st.penalty, kkt: cur.st.kkt,
      kktRelative: cur.st.kkt / kktScale, trainAccuracy: cur.correct / data.n, activeGroups: cur.st.active, phase: 'polish', evaluations,
    };
    // The record and the callback see the model at the iterate they are told about (not at the last trial point).
    theta.set(x);
    params.push();
    if (chain && report !== null) addClarke(p, clarkeResidual(params, gs, data, loss, lambda, frozen, cur.grad, { band: report, chain }), kktScale);
    history.push(p);
    if (options.onStep && options.onStep(p) === false) { status = 'stopped by callback'; break; }
    if (p.kktRelative <= tol || (p.kktClarkeRelative ?? Infinity) <= tol) { status = 'converged'; break; }
  }
  // The model ends at x (the last accepted iterate), not at a rejected trial point.
  theta.set(x);
  params.push();
  return { history, status, evaluations };
}

/**
 * One proximal quasi-Newton step: u = argmin gᵀ(u − x) + ½(u − x)ᵀB(u − x) + λΩ(u) on the L-BFGS
 * model B of F (solved to a tenth of the current KKT distance), then a backtracking search along
 * d = u − x from α = 1: accepted when P falls by the Armijo fraction of the model's predicted
 * decrease Δ = gᵀd + λ(Ω(u) − Ω(x)) < 0 (the proximal Newton decrease, valid for every α ≤ 1 by the
 * convexity of Ω) up to float32's resolution of P, and stays within it of the lowest P. Writes the
 * accepted point into `z`; null when the model predicts no decrease or no trial is accepted (the
 * proximal gradient step is then taken instead).
 */
function proximalModelStep(
  x: Float64Array, cur: Eval, model: CompactLbfgs, gs: GroupStructure, lambda: number, frozen: Uint8Array | undefined,
  evalAt: (x: Float64Array) => Eval, best: number, z: Float64Array,
): Eval | null {
  const n = x.length;
  const { u } = solveProximalModel(x, cur.grad, model, gs, lambda, frozen, 0.1 * cur.st.kkt, 300);
  let lin = 0;
  for (let i = 0; i < n; i++) lin += cur.grad[i] * (u[i] - x[i]);
  const predicted = lin + lambda * (penaltyOf(u, gs, frozen) - cur.st.penalty);
  if (!(predicted < 0)) return null;
  for (let tries = 0, alpha = 1; tries < 20; tries++, alpha *= 0.5) {
    let moved = false;
    for (let i = 0; i < n; i++) {
      z[i] = frozen?.[i] ? 0 : Math.fround(x[i] + alpha * (u[i] - x[i]));
      if (z[i] !== x[i]) moved = true;
    }
    if (!moved) return null;
    const at = evalAt(z);
    const delta = EPS32 * Math.abs(best);
    if (at.P <= cur.P + 1e-4 * alpha * predicted + delta && at.P <= best + delta) return at;
  }
  return null;
}

/**
 * A Newton step on the support: with the zero groups held at 0, P is smooth in the other entries
 * (nonzero groups, entries in no group), with gradient G (`supportGradient`) and Hessian
 * ∇²F + Σ_g λd_g/‖θ_g‖ (I − θ̂_gθ̂_gᵀ) on the nonzero groups. Taken only when the support is
 * identified: every zero group satisfies its KKT condition (‖∇_g F‖ ≤ λd_g) by more than the
 * nonzero groups' residual — otherwise the proximal steps have a group to move first. Hessian ×
 * vector: the penalty part exactly, the loss part as (∇F(θ + εv) − ∇F(θ)) / ε at the float32 point
 * θ + εv (ε·‖v‖_∞ = √(2⁻²⁴)·max(1, ‖θ‖_∞): half float32's digits for the difference, half for the
 * step), one full-batch evaluation per product. Conjugate gradients solve H d = −G to a relative
 * residual min(0.1, √kktRelative) (tighter as the point converges) in at most 40 products, stopping
 * at a direction of nonpositive curvature; a backtracking search from α = 1 accepts when P falls by
 * the Armijo fraction of α Gᵀd up to float32's resolution and stays within it of the lowest P (a
 * group the trial cuts below half its norm is set to 0, as in the support's quasi-Newton steps).
 */
function supportNewtonStep(
  x: Float64Array, cur: Eval, gs: GroupStructure, lambda: number, frozen: Uint8Array | undefined,
  evalAt: (x: Float64Array) => Eval, best: number, kktRelative: number, kinks: KinkContext | null,
): { x: Float64Array; at: Eval } | null {
  const n = x.length;
  const onSupport = new Uint8Array(n);
  for (let i = 0; i < n; i++) onSupport[i] = frozen?.[i] || gs.groupOf[i] >= 0 ? 0 : 1;
  const norms = new Float64Array(gs.nGroups);
  let zeroViolation = 0;
  let nonzeroResidual = 0;
  for (let k = 0; k < gs.nGroups; k++) {
    let n2 = 0;
    let g2 = 0;
    let r2 = 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; if (!frozen?.[i]) { n2 += x[i] ** 2; g2 += cur.grad[i] ** 2; } }
    norms[k] = Math.sqrt(n2);
    if (norms[k] > 0) {
      for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) {
        const i = gs.indices[j];
        if (frozen?.[i]) continue;
        onSupport[i] = 1;
        r2 += (cur.grad[i] + (lambda * gs.weights[k] * x[i]) / norms[k]) ** 2;
      }
      nonzeroResidual = Math.max(nonzeroResidual, Math.sqrt(r2));
    } else {
      zeroViolation = Math.max(zeroViolation, Math.sqrt(g2) - lambda * gs.weights[k]);
    }
  }
  for (let i = 0; i < n; i++) if (onSupport[i] && gs.groupOf[i] < 0) nonzeroResidual = Math.max(nonzeroResidual, Math.abs(cur.grad[i]));
  if (zeroViolation >= nonzeroResidual) return null;
  if (kinks) return kinkNewtonStep(kinks, x, cur, gs, lambda, frozen, onSupport, evalAt, best, kktRelative);
  const G = new Float64Array(n);
  supportGradient(x, cur.grad, gs, lambda, frozen, G);
  let xMax = 1;
  for (let i = 0; i < n; i++) if (onSupport[i]) xMax = Math.max(xMax, Math.abs(x[i]));
  const trial = new Float64Array(n);
  const hessianTimes = (v: Float64Array, out: Float64Array): void => {
    let vMax = 0;
    for (let i = 0; i < n; i++) vMax = Math.max(vMax, Math.abs(v[i]));
    const eps = (Math.sqrt(EPS32) * xMax) / vMax;
    for (let i = 0; i < n; i++) trial[i] = onSupport[i] ? Math.fround(x[i] + eps * v[i]) : x[i];
    const at = evalAt(trial);
    for (let i = 0; i < n; i++) out[i] = onSupport[i] ? (at.grad[i] - cur.grad[i]) / eps : 0;
    addPenaltyHessian(out, x, v, norms, onSupport, gs, lambda);
  };
  // Conjugate gradients on H d = −G over the support.
  const d = new Float64Array(n);
  const r = Float64Array.from(G, (v) => -v);
  const p = Float64Array.from(r);
  const Hp = new Float64Array(n);
  let rr = 0;
  for (let i = 0; i < n; i++) rr += r[i] * r[i];
  const stop = Math.min(0.01, kktRelative) * rr; // (relative residual min(0.1, √kktRelative))²
  let steps = 0;
  for (let it = 0; it < 40 && rr > stop; it++) {
    hessianTimes(p, Hp);
    let pHp = 0;
    for (let i = 0; i < n; i++) pHp += p[i] * Hp[i];
    if (!(pHp > 0)) break;
    const a = rr / pHp;
    for (let i = 0; i < n; i++) { d[i] += a * p[i]; r[i] -= a * Hp[i]; }
    steps++;
    let rrNext = 0;
    for (let i = 0; i < n; i++) rrNext += r[i] * r[i];
    const b = rrNext / rr;
    rr = rrNext;
    for (let i = 0; i < n; i++) p[i] = r[i] + b * p[i];
  }
  if (steps === 0) return null;
  let slope = 0;
  for (let i = 0; i < n; i++) slope += G[i] * d[i];
  if (!(slope < 0)) return null;
  for (let tries = 0, alpha = 1; tries < 10; tries++, alpha *= 0.5) {
    let moved = false;
    for (let i = 0; i < n; i++) {
      trial[i] = onSupport[i] ? Math.fround(x[i] + alpha * d[i]) : x[i];
      if (trial[i] !== x[i]) moved = true;
    }
    if (!moved) return null;
    for (let k = 0; k < gs.nGroups; k++) {
      if (!(norms[k] > 0)) continue;
      let after = 0;
      for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) after += trial[gs.indices[j]] ** 2;
      if (after < 0.25 * norms[k] ** 2) for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) trial[gs.indices[j]] = 0;
    }
    const at = evalAt(trial);
    const delta = EPS32 * Math.abs(best);
    if (at.P <= cur.P + 1e-4 * alpha * slope + delta && at.P <= best + delta) return { x: Float64Array.from(trial), at };
  }
  return null;
}

/** Σ_g d_g‖x_g‖ over the unfrozen entries. */
function penaltyOf(x: Float64Array, gs: GroupStructure, frozen: Uint8Array | undefined): number {
  let p = 0;
  for (let k = 0; k < gs.nGroups; k++) {
    let s = 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; if (!frozen?.[i]) s += x[i] ** 2; }
    p += gs.weights[k] * Math.sqrt(s);
  }
  return p;
}

/** P's gradient on the support of x: ∇F + λ d_g x_g/‖x_g‖ on nonzero groups, ∇F off the groups, 0 on zero groups and frozen entries. */
function supportGradient(x: Float64Array, grad: Float64Array, gs: GroupStructure, lambda: number, frozen: Uint8Array | undefined, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) out[i] = frozen?.[i] ? 0 : grad[i];
  for (let k = 0; k < gs.nGroups; k++) {
    let n2 = 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) n2 += x[gs.indices[j]] ** 2;
    const norm = Math.sqrt(n2);
    const c = norm > 0 ? (lambda * gs.weights[k]) / norm : 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) {
      const i = gs.indices[j];
      out[i] = norm > 0 && !frozen?.[i] ? out[i] + c * x[i] : 0;
    }
  }
}

/**
 * Quasi-Newton steps on the support: where no group is 0 or about to become 0, P is smooth in the
 * nonzero coordinates, and its curvature (the loss's, with the penalty's λd_g/‖θ_g‖ across each
 * group) is what first-order steps are slow on — flat directions such as a unit's rescaling next to
 * stiff ones. L-BFGS (two-loop recursion, the pairs forgotten whenever the support changes) proposes
 * the step; a backtracking line search accepts it when P falls by the Armijo fraction of the
 * predicted decrease (up to float32's resolution of P) and stays within δ of the lowest P. A group
 * whose norm the trial step cuts below half is set to 0 in the trial (the smooth model breaks down
 * there; the same test decides whether that point is taken, and the pairs are then forgotten).
 */
function supportQuasiNewton(
  gs: GroupStructure, lambda: number, frozen: Uint8Array | undefined, memory: number,
  evalAt: (x: Float64Array) => Eval, best: () => number,
) {
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  let support = '';
  const supportOf = (x: Float64Array): string => {
    let key = '';
    for (let k = 0; k < gs.nGroups; k++) {
      let nz = false;
      for (let j = gs.ptr[k]; j < gs.ptr[k + 1] && !nz; j++) nz = x[gs.indices[j]] !== 0;
      key += nz ? '1' : '0';
    }
    return key;
  };
  let prevX: Float64Array | null = null;
  let prevG: Float64Array | null = null;
  return {
    step(x: Float64Array, at: Eval): { x: Float64Array; at: Eval } | null {
      const n = x.length;
      const G = new Float64Array(n);
      supportGradient(x, at.grad, gs, lambda, frozen, G);
      const key = supportOf(x);
      if (key !== support) { S.length = 0; Y.length = 0; support = key; prevX = null; }
      if (prevX && prevG) {
        // The pair from the last point of the same support (a proximal step between is part of it).
        const s = new Float64Array(n);
        const y = new Float64Array(n);
        let sy = 0;
        for (let i = 0; i < n; i++) { s[i] = x[i] - prevX[i]; y[i] = G[i] - prevG[i]; sy += s[i] * y[i]; }
        let ss = 0;
        for (let i = 0; i < n; i++) ss += s[i] * s[i];
        if (sy > 1e-12 * ss) { S.push(s); Y.push(y); if (S.length > memory) { S.shift(); Y.shift(); } }
      }
      // Two-loop recursion: q ← H G.
      const q = Float64Array.from(G);
      const a = new Float64Array(S.length);
      const rho = S.map((s, k) => { let v = 0; for (let i = 0; i < n; i++) v += s[i] * Y[k][i]; return 1 / v; });
      for (let k = S.length - 1; k >= 0; k--) {
        let v = 0;
        for (let i = 0; i < n; i++) v += S[k][i] * q[i];
        a[k] = rho[k] * v;
        for (let i = 0; i < n; i++) q[i] -= a[k] * Y[k][i];
      }
      let gamma = 0;
      if (S.length > 0) {
        const k = S.length - 1;
        let yy = 0;
        for (let i = 0; i < n; i++) yy += Y[k][i] * Y[k][i];
        gamma = 1 / (rho[k] * yy);
      }
      prevX = Float64Array.from(x);
      prevG = G;
      if (S.length === 0) return null; // no curvature yet: the proximal step alone
      for (let i = 0; i < n; i++) q[i] *= gamma;
      for (let k = 0; k < S.length; k++) {
        let v = 0;
        for (let i = 0; i < n; i++) v += Y[k][i] * q[i];
        const b = rho[k] * v;
        for (let i = 0; i < n; i++) q[i] += (a[k] - b) * S[k][i];
      }
      let slope = 0;
      for (let i = 0; i < n; i++) slope -= G[i] * q[i];
      if (!(slope < 0)) { S.length = 0; Y.length = 0; return null; }
      let alpha = 1;
      const trial = new Float64Array(n);
      for (let tries = 0; tries < 30; tries++, alpha *= 0.5) {
        for (let i = 0; i < n; i++) trial[i] = frozen?.[i] ? 0 : Math.fround(x[i] - alpha * q[i]);
        for (let k = 0; k < gs.nGroups; k++) {
          let before = 0;
          let after = 0;
          for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; before += x[i] ** 2; after += trial[i] ** 2; }
          if (before > 0 && after < 0.25 * before) for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) trial[gs.indices[j]] = 0;
        }
        const atT = evalAt(trial);
        const delta = EPS32 * Math.abs(best());
        if (atT.P <= at.P + 1e-4 * alpha * slope + delta && atT.P <= best() + delta) return { x: trial, at: atT };
      }
      S.length = 0;
      Y.length = 0;
      return null;
    },
  };
}
