import type { GroupStructure } from '../../groups/groups.ts';
import type { ImageSet } from '../mnist.ts';
import { fullBatch, type ClassifierLoss, type FlatParams } from './params.ts';
import { checkGroups, checkImageSet, checkLambda, checkParams } from '../check.ts';
import { clarkeBand, clarkeResidual } from './clarke.ts';

/**
 * The objective proximal training states and its certificate, at one point:
 *
 *   P(θ) = F(θ) + λ Σ_g d_g ‖θ_g‖₂,  F(θ) = (1/n) Σ_i CE(f_θ(x_i), y_i) (full batch, inference mode),
 *
 * and the KKT distance dist(0, ∂P(θ)): max over groups of dist(−∇_g F, λ d_g ∂‖θ_g‖) — for a
 * nonzero group ‖∇_g F + λ d_g θ_g/‖θ_g‖‖, for a zero group max(0, ‖∇_g F‖ − λ d_g) — and over
 * unpenalized, unfrozen entries |∂F/∂θ_i|. Frozen entries (a pruned structure) are not variables.
 */
export interface TrainProgress {
  epoch: number;
  steps: number;
  /** P(θ) on the whole training set. */
  objective: number;
  loss: number;
  penalty: number;
  /** KKT distance of P at θ (see above). */
  kkt: number;
  /**
   * `kkt / kktScale`, the residual relative to the size the subgradient terms have: kktScale =
   * λ·max_g d_g when λ > 0 and there are groups, else ‖∇F‖_∞ where training started.
   */
  kktRelative: number;
  /**
   * Networks of Dense layers (`denseChain`): the generalized (Clarke-type) KKT distance — the same
   * measure with ReLU′ chosen in [0, 1] at every (sample, unit) pair whose kink lies within parameter
   * distance δ = `kinkBand` of θ (|z| ≤ δ‖(a, 1)‖), minimized over those choices (`clarkeResidual`).
   * Always ≤ `kkt`, equal to it when no pre-activation is in the band; where `kkt` stays up only
   * because the iterate sits on a ReLU kink (tfjs's gradient takes the one-sided ReLU′(0) = 0) this
   * one can reach 0. Absent for other networks (convolutions, BatchNormalization).
   */
  kktClarke?: number;
  /** `kktClarke / kktScale`. */
  kktClarkeRelative?: number;
  /** (sample, unit) pairs in the kink band. */
  kinkPairs?: number;
  trainAccuracy: number;
  testAccuracy?: number;
  /** Groups with ‖θ_g‖ > 0. */
  activeGroups: number;
  /** 'polish': full-batch loss-and-gradient evaluations of the phase so far (trial points included). */
  evaluations?: number;
  /** 'stochastic': after an epoch of minibatch steps; 'polish': after a full-batch proximal gradient step. */
  phase: 'stochastic' | 'polish';
}

/** Penalty value Σ_g d_g‖θ_g‖ (without λ), KKT distance and active groups at θ given ∇F. */
export function stationarity(
  theta: Float64Array, grad: Float64Array, gs: GroupStructure, lambda: number, frozen: Uint8Array | undefined,
): { penalty: number; kkt: number; active: number } {
  let penalty = 0;
  let kkt = 0;
  let active = 0;
  for (let k = 0; k < gs.nGroups; k++) {
    const d = gs.weights[k];
    let n2 = 0;
    let g2 = 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) {
      const i = gs.indices[j];
      if (frozen?.[i]) continue;
      n2 += theta[i] ** 2;
      g2 += grad[i] ** 2;
    }
    const norm = Math.sqrt(n2);
    penalty += d * norm;
    let dist: number;
    if (norm > 0) {
      active++;
      let r2 = 0;
      for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) {
        const i = gs.indices[j];
        if (frozen?.[i]) continue;
        r2 += (grad[i] + (lambda * d * theta[i]) / norm) ** 2;
      }
      dist = Math.sqrt(r2);
    } else {
      dist = Math.max(0, Math.sqrt(g2) - lambda * d);
    }
    if (dist > kkt) kkt = dist;
  }
  for (let i = 0; i < theta.length; i++) {
    if (gs.groupOf[i] < 0 && !frozen?.[i] && Math.abs(grad[i]) > kkt) kkt = Math.abs(grad[i]);
  }
  return { penalty, kkt, active };
}

/** The scale `kktRelative` divides by when λ > 0: λ·max_g d_g (0 without groups). */
export function penaltyScale(gs: GroupStructure, lambda: number): number {
  let d = 0;
  for (let k = 0; k < gs.nGroups; k++) d = Math.max(d, gs.weights[k]);
  return lambda * d;
}

/** ‖g‖_∞ over the unfrozen entries. */
export function maxAbs(g: Float64Array, frozen?: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < g.length; i++) if (!frozen?.[i] && Math.abs(g[i]) > m) m = Math.abs(g[i]);
  return m;
}

/** Sets the Clarke fields of `p` from `c` (none when `c` is null: not a Dense chain). */
export function addClarke(p: TrainProgress, c: { kkt: number; pairs: number } | null, scale: number): void {
  if (!c) return;
  p.kktClarke = c.kkt;
  p.kktClarkeRelative = c.kkt / scale;
  p.kinkPairs = c.pairs;
}

/**
 * The full-batch objective, its parts and the KKT distance at the model's current θ. `kktScale`
 * (default λ·max_g d_g, or 1 when that is 0) divides the residual into `kktRelative`; `kinkBand` is
 * the δ of `kktClarke` (see clarkeBand: by default 10⁻⁴ on networks small enough, else not computed).
 */
export function evaluateObjective(
  params: FlatParams, gs: GroupStructure, data: ImageSet, loss: ClassifierLoss, lambda: number,
  frozen: Uint8Array | undefined, epoch = 0, steps = 0, kktScale?: number, kinkBand?: number | false,
): TrainProgress {
  const fn = 'evaluateObjective';
  checkParams(fn, params);
  checkGroups(fn, gs, params.theta.length);
  checkImageSet(fn, data);
  checkLambda(fn, lambda);
  const band = clarkeBand(fn, kinkBand, params, data.n);
  const fb = fullBatch(params, data, loss, true);
  const st = stationarity(params.theta, fb.grad!, gs, lambda, frozen);
  const scale = kktScale ?? (penaltyScale(gs, lambda) || 1);
  const penalty = lambda * st.penalty;
  const p: TrainProgress = {
    epoch, steps, objective: fb.loss + penalty, loss: fb.loss, penalty, kkt: st.kkt, kktRelative: st.kkt / scale,
    trainAccuracy: fb.correct / data.n, activeGroups: st.active, phase: 'stochastic',
  };
  if (band !== null) addClarke(p, clarkeResidual(params, gs, data, loss, lambda, frozen, fb.grad!, { band }), scale);
  return p;
}

/**
 * out += ∇²(λ Σ_g d_g‖x_g‖)·v on the support (groups with norms[g] = ‖x_g‖ > 0): for each such group
 * (λd_g/‖x_g‖)(v_g − x_g (x_gᵀv_g)/‖x_g‖²). The one home of the penalty's curvature for the
 * Newton steps of polishing and of the kink steps.
 */
export function addPenaltyHessian(
  out: Float64Array, x: ArrayLike<number>, v: ArrayLike<number>, norms: ArrayLike<number>, onSupport: ArrayLike<number | boolean>,
  gs: GroupStructure, lambda: number,
): void {
  for (let k = 0; k < gs.nGroups; k++) {
    if (!(norms[k] > 0)) continue;
    let proj = 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; if (onSupport[i]) proj += x[i] * v[i]; }
    proj /= norms[k];
    const c = (lambda * gs.weights[k]) / norms[k];
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; if (onSupport[i]) out[i] += c * (v[i] - (proj * x[i]) / norms[k]); }
  }
}
