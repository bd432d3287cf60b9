import { ValueError } from '../../errors.ts';
import type { GroupStructure } from '../../groups/groups.ts';
import { checkGroups, checkNet, checkTyped } from '../check.ts';
import { incomingIndices, outgoingIndices, type NetStructure } from './structure.ts';

/** A hidden unit whose output scales with its incoming weights: the pair of slices a rescaling moves. */
export interface RescalableUnit {
  readonly stage: number;
  readonly unit: number;
  /** Kernel column and bias of the unit (multiplied by α). */
  readonly incoming: Int32Array;
  /** The next stage's kernel entries that read the unit (divided by α). */
  readonly outgoing: Int32Array;
}

/**
 * The hidden units of `net` that a positive rescaling leaves the network's function unchanged for:
 * a unit is computed as a(w·x + b) and read only through the next kernel, so when a is positively
 * homogeneous (a(αz) = α·a(z) for α > 0: ReLU without a cap or threshold, linear) and everything
 * between it and the next Conv2D / Dense is too (max / average pooling, Flatten, Dropout),
 * multiplying (w, b) by α and the outgoing slice by 1/α computes the same outputs. Stages with
 * BatchNormalization (its moving statistics do not follow the scale), a saturating or shifted
 * activation, the input and the logits are left out.
 */
export function rescalableUnits(net: NetStructure): RescalableUnit[] {
  checkNet('rescalableUnits', net);
  const homogeneous: boolean[] = net.stages.map(() => false);
  let stage = 0;
  for (const layer of net.model.layers) {
    const cls = layer.getClassName();
    const config = layer.getConfig() as { activation?: string; maxValue?: number | null; threshold?: number | null };
    if (cls === 'Conv2D' || cls === 'Dense') {
      stage++;
      homogeneous[stage] = config.activation === 'relu' || config.activation === 'linear' || config.activation === undefined;
    } else if (cls === 'Activation') {
      if (!(config.activation === 'relu' || config.activation === 'linear')) homogeneous[stage] = false;
    } else if (cls === 'ReLU') {
      if ((config.maxValue ?? null) !== null || (config.threshold ?? 0) !== 0) homogeneous[stage] = false;
    } else if (cls === 'BatchNormalization') {
      homogeneous[stage] = false;
    } else if (!(cls === 'MaxPooling2D' || cls === 'AveragePooling2D' || cls === 'Flatten' || cls === 'Dropout')) {
      homogeneous[stage] = false;
    }
  }
  const units: RescalableUnit[] = [];
  for (let s = 1; s < net.stages.length - 1; s++) {
    if (!homogeneous[s] || net.stages[s].bnGamma >= 0 || net.stages[s].bnBeta >= 0) continue;
    for (let u = 0; u < net.stages[s].units; u++) {
      units.push({ stage: s, unit: u, incoming: Int32Array.from(incomingIndices(net, s, u, false)), outgoing: Int32Array.from(outgoingIndices(net, s, u)) });
    }
  }
  return units;
}

/**
 * The penalty Σ_g d_g‖θ_g‖ minimized over the rescalings of `units` (θ changed in place): the loss
 * of the network is the same at every rescaling, so this lowers the objective P = F + λΣ d_g‖θ_g‖
 * by the penalty alone, and at its end P has zero slope along every unit's scaling direction —
 * directions along which F is flat, so gradient steps get no help from the loss there and crawl.
 *
 * With α = e^β for one unit, each group g it touches contributes d_g·√(R_g + e^{2β}M⁺_g + e^{−2β}M⁻_g),
 * M⁺ / M⁻ the squared parts of θ_g in its incoming / outgoing slice and R_g the rest: a convex
 * function of β (the exponential of half a log-sum-exp of affine functions), and so is the sum,
 * also jointly over every unit's β. Each unit's β is found by Newton's method on the derivative,
 * safeguarded by a bracket (the derivative is increasing); sweeps over the units repeat until a
 * sweep lowers the penalty by less than `tol` relative (block coordinate descent on a smooth convex
 * function of the β's), at most `sweeps` times. A unit whose penalty does not grow both ways
 * (no penalized weight among its incoming or its outgoing entries, or all of them 0) is skipped:
 * its infimum is not attained.
 */
export function rescaleUnits(
  theta: Float64Array, units: readonly RescalableUnit[], gs: GroupStructure, options: { sweeps?: number; tol?: number } = {},
): { before: number; after: number; sweeps: number } {
  const fn = 'rescaleUnits';
  checkTyped(fn, 'theta', theta, Float64Array);
  checkGroups(fn, gs, theta.length);
  if (!Array.isArray(units)) throw new ValueError(fn, 'units must be an array of { incoming, outgoing } slices (from rescalableUnits)');
  for (const u of units) {
    if (!(u?.incoming instanceof Int32Array && u.outgoing instanceof Int32Array)) throw new ValueError(fn, 'units must be an array of { incoming, outgoing } slices (from rescalableUnits)');
    for (const slice of [u.incoming, u.outgoing]) for (const i of slice) if (!(i >= 0 && i < theta.length)) throw new ValueError(fn, `unit ${u.stage}:${u.unit} indexes parameter ${i}, outside [0, ${theta.length})`);
  }
  const sq = new Float64Array(gs.nGroups);
  for (let k = 0; k < gs.nGroups; k++) for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) sq[k] += theta[gs.indices[j]] ** 2;
  const penalty = () => { let p = 0; for (let k = 0; k < gs.nGroups; k++) p += gs.weights[k] * Math.sqrt(sq[k]); return p; };
  const before = penalty();
  const maxSweeps = options.sweeps ?? 50;
  const tol = options.tol ?? 1e-12;
  // Per unit, the touched groups with their M⁺, M⁻ (reused buffers indexed by group).
  const mPlus = new Float64Array(gs.nGroups);
  const mMinus = new Float64Array(gs.nGroups);
  const touched: number[] = [];
  let current = before;
  let sweep = 0;
  for (; sweep < maxSweeps; sweep++) {
    for (const unit of units) {
      touched.length = 0;
      for (const [slice, m] of [[unit.incoming, mPlus], [unit.outgoing, mMinus]] as const) {
        for (const i of slice) {
          const g = gs.groupOf[i];
          if (g < 0 || theta[i] === 0) continue;
          if (mPlus[g] === 0 && mMinus[g] === 0) touched.push(g);
          m[g] += theta[i] * theta[i];
        }
      }
      let grows = 0;
      for (const g of touched) if (gs.weights[g] > 0) grows |= (mPlus[g] > 0 ? 1 : 0) | (mMinus[g] > 0 ? 2 : 0);
      if (grows === 3) {
        const beta = minimizeBeta(touched, gs.weights, sq, mPlus, mMinus);
        if (beta !== 0) {
          const a = Math.exp(beta);
          for (const i of unit.incoming) theta[i] *= a;
          for (const i of unit.outgoing) theta[i] /= a;
          for (const g of touched) sq[g] = Math.max(0, sq[g] - mPlus[g] - mMinus[g]) + a * a * mPlus[g] + mMinus[g] / (a * a);
        }
      }
      for (const g of touched) { mPlus[g] = 0; mMinus[g] = 0; }
    }
    const next = penalty();
    const gain = current - next;
    current = next;
    if (gain <= tol * Math.abs(next)) { sweep++; break; }
  }
  // The group norms were updated incrementally: end on the exact value at the returned θ.
  sq.fill(0);
  for (let k = 0; k < gs.nGroups; k++) for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) sq[k] += theta[gs.indices[j]] ** 2;
  return { before, after: penalty(), sweeps: sweep };
}

/**
 * argmin over β of φ(β) = Σ_g d_g √(R_g + e^{2β}M⁺_g + e^{−2β}M⁻_g) (R_g = sq_g − M⁺_g − M⁻_g),
 * a convex function that grows both ways: Newton on φ′ inside a bracket kept around its root.
 */
function minimizeBeta(touched: readonly number[], d: Float64Array, sq: Float64Array, mPlus: Float64Array, mMinus: Float64Array): number {
  const derivs = (beta: number): [number, number] => {
    const e2 = Math.exp(2 * beta);
    let g1 = 0;
    let g2 = 0;
    for (const g of touched) {
      const p = e2 * mPlus[g];
      const m = mMinus[g] / e2;
      const n2 = Math.max(0, sq[g] - mPlus[g] - mMinus[g]) + p + m;
      if (n2 <= 0 || d[g] === 0) continue;
      const n = Math.sqrt(n2);
      g1 += (d[g] * (p - m)) / n;
      g2 += d[g] * ((2 * (p + m)) / n - ((p - m) * (p - m)) / (n2 * n));
    }
    return [g1, g2];
  };
  const phi = (beta: number): number => {
    const e2 = Math.exp(2 * beta);
    let v = 0;
    for (const g of touched) v += d[g] * Math.sqrt(Math.max(0, sq[g] - mPlus[g] - mMinus[g]) + e2 * mPlus[g] + mMinus[g] / e2);
    return v;
  };
  const [f0] = derivs(0);
  if (f0 === 0) return 0;
  // Bracket the root of the increasing φ′, walking from 0 downhill in doubling steps.
  const dir = f0 < 0 ? 1 : -1;
  let near = 0;
  let far = 0.5 * dir;
  while (dir * derivs(far)[0] < 0) {
    near = far;
    far *= 2;
    if (Math.abs(far) > 300) return 0; // e^{±600}: no root in floating point
  }
  let lo = Math.min(near, far);
  let hi = Math.max(near, far);
  let beta = 0.5 * (lo + hi);
  for (let it = 0; it < 100; it++) {
    const [f, f2] = derivs(beta);
    if (f === 0) break;
    if (f < 0) lo = beta; else hi = beta;
    let next = f2 > 0 ? beta - f / f2 : NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const moved = Math.abs(next - beta);
    beta = next;
    if (moved <= 1e-15 * (1 + Math.abs(beta)) || hi - lo <= 1e-15 * (1 + Math.abs(beta))) break;
  }
  // Convexity makes every β between 0 and the root no worse than 0; rounding is guarded anyway.
  return phi(beta) < phi(0) ? beta : 0;
}

/**
 * The units along whose rescaling the penalty falls without bound while the loss stays the same:
 * penalized entries on one side only (incoming or outgoing) with the other side unpenalized. For
 * such a unit, scaling the penalized side by c → 0 and the other by 1/c keeps the network and lowers
 * P strictly whenever a penalized entry is nonzero, so P has no stationary point at which the unit
 * keeps a nonzero penalized weight, and the KKT distance cannot reach 0 with the unit alive.
 */
export function oneSidedUnits(units: readonly RescalableUnit[], gs: GroupStructure): RescalableUnit[] {
  const penalized = (slice: Int32Array) => { for (const i of slice) { const g = gs.groupOf[i]; if (g >= 0 && gs.weights[g] > 0) return true; } return false; };
  return units.filter((u) => penalized(u.incoming) !== penalized(u.outgoing));
}
