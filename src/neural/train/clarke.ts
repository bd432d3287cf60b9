import { ValueError } from '../../errors.ts';
import { checkGroups, checkImageSet, checkLambda, checkObject, checkParams } from '../check.ts';
import type { GroupStructure } from '../../groups/groups.ts';
import type { ImageSet } from '../mnist.ts';
import type { ClassifierLoss, FlatParams } from './params.ts';
import { stationarity } from './objective.ts';
import { denseChain, preactivationGradient, sampleBackward, tfjsForward, type DenseChain, type DenseForward } from './dense.ts';

/** Default kink band δ (a distance in parameter space; see `clarkeResidual`). */
export const KINK_BAND = 1e-4;

/**
 * Parameters × samples up to which training reports the generalized residual without being asked
 * (about 0.3 s a report). It costs a float64 pass over the training set: 10 ms for a 64-24-10
 * MLP on 1 797 digits, but 10 s for 784-500-300-10 on 8 004 MNIST images, and 165 s at its random
 * start, where 13 716 (sample, unit) pairs sat in the band.
 */
export const CLARKE_AUTO_WORK = 1e8;

/**
 * The kink band δ training reports the generalized residual with, or null when it does not: a
 * number (≥ 0) asks for it, false turns it off, undefined reports it on networks up to
 * CLARKE_AUTO_WORK parameters × samples with δ = KINK_BAND.
 */
export function clarkeBand(fn: string, option: number | false | undefined, params: FlatParams, samples: number): number | null {
  if (option === false) return null;
  if (option === undefined) return params.theta.length * samples <= CLARKE_AUTO_WORK ? KINK_BAND : null;
  if (!(typeof option === 'number' && option >= 0 && Number.isFinite(option))) throw new ValueError(fn, `kinkBand must be a finite number ≥ 0 or false, got ${String(option)}`);
  return option;
}

export interface ClarkeResidual {
  /**
   * The KKT distance (the same max-over-groups measure as `stationarity`'s) with ReLU′ ∈ [0, 1]
   * chosen at the pairs in the band: at the best choice found, and never more than `plain` (the
   * one-sided choice is one of the candidates).
   */
  kkt: number;
  /** The KKT distance of the gradient given (tfjs's one-sided ReLU′(0) = 0 choice). */
  plain: number;
  /** (sample, unit) pairs in the band. */
  pairs: number;
  band: number;
  /** The ReLU′ chosen for each pair in the band, in the order of `where`. */
  sigma: Float64Array;
  /** Layer, sample and unit of each pair in the band. */
  where: { layer: number; sample: number; unit: number }[];
  /**
   * ∂F/∂a_l[s, u] of each pair (the loss's slope in the unit's output): > 0 makes the kink convex
   * in z (the loss grows on the active side only), where a minimizer can sit.
   */
  slopes: Float64Array;
  /** ‖r‖₂ of the whole KKT residual vector at the chosen derivatives, and with the one-sided ones. */
  norm: number;
  normPlain: number;
  /**
   * A lower bound on min over the choices of ‖r‖₂ (the Frank–Wolfe gap of the convex bounded
   * least-squares problem); exact when `linear` (no sample has pairs in the band in two layers, so
   * the gradient is affine in the choices), otherwise for the problem linearized at the one-sided choice.
   */
  normLower: number;
  linear: boolean;
  sweeps: number;
}

/**
 * The generalized (Clarke-type, ε-) stationarity residual of P = F + λΣ d_g‖θ_g‖ for a network of
 * Dense layers with ReLUs (`denseChain`). ReLU is not differentiable at 0, and tfjs's gradient takes
 * ReLU′(0) = 0 (step(z) for z ≤ 0): at a minimizer where some pre-activation z_l[s, u] sits at the
 * kink — generic for piecewise-linear networks — that one-sided gradient leaves a KKT residual
 * that no algorithm can remove, however exactly the point is a stationary point of P. Here the
 * derivative of every (sample, unit) pair whose kink lies within parameter distance δ of θ,
 *
 *   |z_l[s, u]| ≤ δ · ‖(a_l[s], 1)‖₂  (the distance from θ to the hyperplane z_l[s, u] = 0 when only
 *   unit u's incoming weights and bias move),
 *
 * ranges over [0, 1] (the convex hull of the one-sided derivatives: Clarke's generalized gradient
 * of the ReLU), and the residual is minimized over those choices. The gradient is affine in the
 * choices σ (exactly so when no sample has pairs in two layers, `linear`), ∇F(σ) = ∇F(σ₀) + Σ_k
 * (σ_k − σ₀_k) c_k with c_k = ∂F/∂a_l[s, u] · ∇θ z_l[s, u], and ‖r(σ)‖₂² — per nonzero group
 * ‖∇_g F(σ) + λd_g θ_g/‖θ_g‖‖², per zero group (‖∇_g F(σ)‖ − λd_g)₊², per unpenalized entry
 * (∂F/∂θ_i)² — is a convex function of σ ∈ [0, 1]^K with a Lipschitz gradient (a bounded
 * least-squares problem, with ball distances for the zero groups). It is minimized by cyclic
 * coordinate descent (each coordinate's step 1 / (2‖c_k‖²), a majorization: monotone) until the
 * Frank–Wolfe gap certifies the value to `tol` relative (`normLower`); the reported `kkt` is the
 * max-over-groups KKT distance at the σ found, evaluated exactly (the per-sample gradients
 * recomputed with those derivatives) and kept at most the plain one.
 *
 * `grad` is the full-batch gradient the plain residual is computed from (tfjs's, float32); the
 * corrections are computed here in float64 on the model's float32 weights. Null when the model is
 * not a Dense chain (convolutions, BatchNormalization: not modelled). δ = `band` (default 10⁻⁴);
 * δ = 0 keeps only pre-activations that are exactly 0.
 */
export function clarkeResidual(
  params: FlatParams, gs: GroupStructure, data: ImageSet, loss: ClassifierLoss, lambda: number, frozen: Uint8Array | undefined,
  grad: Float64Array, options: { band?: number; tol?: number; maxSweeps?: number; chain?: DenseChain | null } = {},
): ClarkeResidual | null {
  const fn = 'clarkeResidual';
  checkParams(fn, params);
  checkGroups(fn, gs, params.theta.length);
  checkImageSet(fn, data);
  checkLambda(fn, lambda);
  if (loss !== 'softmax' && loss !== 'logistic') throw new ValueError(fn, `loss must be 'softmax' or 'logistic', got ${String(loss)}`);
  checkObject(fn, 'options', options);
  const band = options.band ?? KINK_BAND;
  if (!(typeof band === 'number' && band >= 0 && Number.isFinite(band))) throw new ValueError(fn, `band must be a finite number ≥ 0, got ${String(band)}`);
  if (!(grad instanceof Float64Array && grad.length === params.theta.length)) throw new ValueError(fn, `grad must be a Float64Array of ${params.theta.length} entries`);
  const chain = options.chain === undefined ? denseChain(params.net) : options.chain;
  if (!chain) return null;
  const theta = Float64Array.from(params.theta, (v) => Math.fround(v)); // what the model computes with
  const fwd = tfjsForward(params.net, chain, data);
  return clarkeAt(chain, theta, fwd, data, loss, gs, lambda, frozen, grad, band, options.tol ?? 1e-8, options.maxSweeps ?? 2000);
}

/** The pairs in the band at `fwd` (layer-major, then sample, then unit). */
export function kinkPairs(chain: DenseChain, fwd: DenseForward, band: number): { layer: number; sample: number; unit: number }[] {
  const out: { layer: number; sample: number; unit: number }[] = [];
  chain.layers.forEach((L, l) => {
    if (L.activation !== 'relu' || l === chain.layers.length - 1) return;
    const F = L.fanIn;
    const al = fwd.a[l];
    for (let s = 0; s < fwd.n; s++) {
      let n2 = 1;
      for (let j = 0; j < F; j++) n2 += al[s * F + j] ** 2;
      const lim = band * Math.sqrt(n2);
      for (let u = 0; u < L.units; u++) if (Math.abs(fwd.z[l][s * L.units + u]) <= lim) out.push({ layer: l, sample: s, unit: u });
    }
  });
  return out;
}

export function clarkeAt(
  chain: DenseChain, theta: Float64Array, fwd: DenseForward, data: ImageSet, loss: ClassifierLoss, gs: GroupStructure, lambda: number,
  frozen: Uint8Array | undefined, grad: Float64Array, band: number, tol: number, maxSweeps: number,
): ClarkeResidual {
  const P = theta.length;
  const plainSt = stationarity(theta, grad, gs, lambda, frozen);
  const where = kinkPairs(chain, fwd, band);
  const K = where.length;
  const sigma0 = Float64Array.from(where, (p) => fwd.d[p.layer][p.sample * chain.layers[p.layer].units + p.unit]);
  // The residual's pieces per entry: 1 quadratic (g_i + a_i)², 2 member of a zero group, 0 not a variable.
  const kind = new Uint8Array(P);
  const offset = new Float64Array(P);
  const zeroGroups: number[] = [];
  for (let k = 0; k < gs.nGroups; k++) {
    let n2 = 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; if (!frozen?.[i]) n2 += theta[i] ** 2; }
    const norm = Math.sqrt(n2);
    if (norm === 0) zeroGroups.push(k);
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) {
      const i = gs.indices[j];
      if (frozen?.[i]) continue;
      kind[i] = norm > 0 ? 1 : 2;
      if (norm > 0) offset[i] = (lambda * gs.weights[k] * theta[i]) / norm;
    }
  }
  for (let i = 0; i < P; i++) if (gs.groupOf[i] < 0 && !frozen?.[i]) kind[i] = 1;
  const g = Float64Array.from(grad);
  const groupSq = new Float64Array(gs.nGroups);
  const recomputeGroups = () => {
    for (const k of zeroGroups) { let s = 0; for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; if (kind[i] === 2) s += g[i] ** 2; } groupSq[k] = s; }
  };
  const phi = (): number => {
    let v = 0;
    for (let i = 0; i < P; i++) if (kind[i] === 1) v += (g[i] + offset[i]) ** 2;
    for (const k of zeroGroups) v += Math.max(0, Math.sqrt(groupSq[k]) - lambda * gs.weights[k]) ** 2;
    return v;
  };
  const dPhi = (i: number): number => {
    if (kind[i] === 1) return 2 * (g[i] + offset[i]);
    if (kind[i] === 2) { const k = gs.groupOf[i]; const nn = Math.sqrt(groupSq[k]); return nn > lambda * gs.weights[k] ? 2 * (1 - (lambda * gs.weights[k]) / nn) * g[i] : 0; }
    return 0;
  };
  recomputeGroups();
  const phiPlain = phi();
  // Columns c_k = ∂F/∂a_l[s, u] · ∇θ z_l[s, u], from one backward pass per sample with pairs.
  const bySample = new Map<number, number[]>();
  where.forEach((p, k) => { const list = bySample.get(p.sample); if (list) list.push(k); else bySample.set(p.sample, [k]); });
  let linear = true;
  const cols: { idx: Int32Array; val: Float64Array; L: number }[] = new Array(K);
  const slopes = new Float64Array(K);
  for (const [s, list] of bySample) {
    if (new Set(list.map((k) => where[k].layer)).size > 1) linear = false;
    const dh = sampleBackward(chain, theta, fwd, data.y[s], loss, s, null);
    for (const k of list) {
      const p = where[k];
      const e = dh[p.layer][p.unit];
      slopes[k] = e;
      const zg = preactivationGradient(chain, theta, fwd, s, p.layer, p.unit);
      const idx: number[] = [];
      const val: number[] = [];
      let L = 0;
      for (let q = 0; q < zg.idx.length; q++) {
        const i = zg.idx[q];
        const v = e * zg.val[q];
        if (kind[i] === 0 || v === 0) continue;
        idx.push(i); val.push(v); L += v * v;
      }
      cols[k] = { idx: Int32Array.from(idx), val: Float64Array.from(val), L: 2 * L };
    }
  }
  const sigma = Float64Array.from(sigma0);
  const partial = (k: number): number => { const c = cols[k]; let v = 0; for (let q = 0; q < c.idx.length; q++) v += c.val[q] * dPhi(c.idx[q]); return v; };
  const move = (k: number, delta: number) => {
    const c = cols[k];
    for (let q = 0; q < c.idx.length; q++) {
      const i = c.idx[q];
      const old = g[i];
      g[i] += delta * c.val[q];
      if (kind[i] === 2) groupSq[gs.groupOf[i]] += g[i] * g[i] - old * old;
    }
  };
  let sweeps = 0;
  let value = phiPlain;
  let gap = 0;
  for (; sweeps < maxSweeps && K > 0; sweeps++) {
    for (let k = 0; k < K; k++) {
      if (!(cols[k].L > 0)) continue;
      const next = Math.min(1, Math.max(0, sigma[k] - partial(k) / cols[k].L));
      if (next !== sigma[k]) { move(k, next - sigma[k]); sigma[k] = next; }
    }
    recomputeGroups(); // the incremental group norms drift by rounding
    value = phi();
    gap = 0;
    for (let k = 0; k < K; k++) { const d = partial(k); gap += d >= 0 ? d * sigma[k] : d * (sigma[k] - 1); }
    if (gap <= tol * value || value === 0) { sweeps++; break; }
  }
  // The chosen derivatives, evaluated exactly: each affected sample's gradient recomputed with them.
  let kkt = plainSt.kkt;
  let norm = Math.sqrt(phiPlain);
  if (K > 0) {
    const exact = Float64Array.from(grad);
    const chosen = new Map<string, number>();
    where.forEach((p, k) => chosen.set(`${p.layer}:${p.sample}:${p.unit}`, sigma[k]));
    for (const [s, list] of bySample) {
      if (!list.some((k) => sigma[k] !== sigma0[k])) continue;
      sampleBackward(chain, theta, fwd, data.y[s], loss, s, exact, (l, u) => chosen.get(`${l}:${s}:${u}`), 1);
      sampleBackward(chain, theta, fwd, data.y[s], loss, s, exact, undefined, -1);
    }
    const st = stationarity(theta, exact, gs, lambda, frozen);
    g.set(exact);
    recomputeGroups();
    const exactValue = phi();
    if (st.kkt < kkt) kkt = st.kkt;
    norm = Math.sqrt(Math.min(exactValue, phiPlain));
  }
  return {
    kkt, plain: plainSt.kkt, pairs: K, band, sigma, where, slopes, norm, normPlain: Math.sqrt(phiPlain),
    normLower: Math.sqrt(Math.max(0, Math.min(value, phiPlain) - gap)), linear, sweeps,
  };
}
