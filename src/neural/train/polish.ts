import type { GroupStructure } from '../../groups/groups.ts';
import { proxGroupLassoInPlace } from '../../prox/prox.ts';
import type { ImageSet } from '../mnist.ts';
import { fullBatch, type ClassifierLoss, type FlatParams } from './params.ts';
import { stationarity, type TrainProgress } from './objective.ts';
import { checkGroups, checkImageSet, checkLambda, checkObject, checkParams } from '../check.ts';

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
  onStep?: (p: TrainProgress) => boolean | void;
  signal?: AbortSignal;
}

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
 * (An accelerated variant with restarts was tried and made less progress per gradient on MLPs.)
 * Iterates are kept at float32 values, the ones the model computes with, so the objective and the
 * KKT distance reported are those of the network as it stands. Stops when kkt / kktScale ≤ `tol`
 * ('converged'), after `maxSteps` ('max steps'), when no step of at least 1e-12·t₀ decreases P or
 * a step no longer moves any float32 weight ('stalled': the float32 floor), or on the callback /
 * signal. Returns one progress record per accepted step.
 */
export function polishProximal(
  params: FlatParams, gs: GroupStructure, data: ImageSet, loss: ClassifierLoss, lambda: number, options: PolishOptions,
): { history: TrainProgress[]; status: string } {
  const fn = 'polishProximal';
  checkParams(fn, params);
  checkGroups(fn, gs, params.theta.length);
  checkImageSet(fn, data);
  checkLambda(fn, lambda);
  checkObject(fn, 'options', options);
  const { frozen, kktScale, tol } = options;
  const theta = params.theta;
  const n = theta.length;
  const evalAt = (x: Float64Array): Eval => {
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
  for (let k = 1; k <= options.maxSteps; k++) {
    if (cur.st.kkt / kktScale <= tol) { status = 'converged'; break; }
    if (options.signal?.aborted) { status = 'stopped by signal'; break; }
    let accepted: Eval | null = null;
    while (t >= tMin) {
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
    const p: TrainProgress = {
      epoch: options.epoch, steps: options.steps + k, objective: cur.P, loss: cur.loss, penalty: lambda * cur.st.penalty, kkt: cur.st.kkt,
      kktRelative: cur.st.kkt / kktScale, trainAccuracy: cur.correct / data.n, activeGroups: cur.st.active, phase: 'polish',
    };
    history.push(p);
    if (options.onStep?.(p) === false) { status = 'stopped by callback'; break; }
    if (p.kktRelative <= tol) { status = 'converged'; break; }
  }
  // The model ends at x (the last accepted iterate), not at a rejected trial point.
  theta.set(x);
  params.push();
  return { history, status };
}
