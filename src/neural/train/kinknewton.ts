import type { GroupStructure } from '../../groups/groups.ts';
import { choleskyFactor, choleskySolveInPlace } from '../../linalg/cholesky.ts';
import type { ImageSet } from '../mnist.ts';
import type { ClassifierLoss, FlatParams } from './params.ts';
import { clarkeAt, type ClarkeResidual } from './clarke.ts';
import { denseDirectional, sampleBackward, denseForward, denseGradient, denseLoss, preactivationGradient, tfjsForward, type DenseChain } from './dense.ts';
import { addPenaltyHessian } from './objective.ts';

/** float32's unit roundoff. */
const EPS32 = 2 ** -24;

export interface KinkContext {
  chain: DenseChain;
  params: FlatParams;
  data: ImageSet;
  loss: ClassifierLoss;
  band: number;
  /** Trust-region radius Δ (parameter-space 2-norm), carried from step to step. */
  radius: number;
  /** Full-batch gradients of the frozen-pattern network so far (one per Hessian × vector product, one per step). */
  gradients: number;
}

/** Most pre-activations held at their kinks in one step (the constraints' Gram matrix is dense). */
const MAX_HELD = 400;

type Pair = { layer: number; sample: number; unit: number };

type Eval = { loss: number; grad: Float64Array; P: number; st: { kkt: number; penalty: number } };

/**
 * A Newton step on the support for a network of Dense ReLU layers, on the kink manifold. A ReLU
 * network's minimizer generically has a few (sample, unit) pre-activations exactly at 0, where P is
 * not differentiable; Newton steps built from finite differences of tfjs gradients then fail twice:
 * the gradient jumps across the kink (so the step keeps pushing those pre-activations over it), and a
 * difference quotient across a kink is not a curvature at all. Here:
 *
 * - the generalized residual at x (`clarkeAt`: ReLU′ ∈ [0, 1] chosen at the pairs within the kink
 *   band) gives each pair's derivative σ*; pairs with σ* strictly inside (0, 1) at a convex kink
 *   (∂F/∂a > 0: the loss grows on the active side only, where a minimizer can sit) are held at the
 *   kink (constraints z_k(θ) = 0, linearized: z_k + ∇z_kᵀd = 0), the others take σ* as their derivative;
 * - the model is the network with that activation pattern frozen (F̃: every ReLU replaced by its
 *   mask, σ* at the band pairs, the sign pattern elsewhere — a smooth function equal to F where the
 *   signs agree), evaluated here in float64; its gradient is the generalized gradient ∇F(σ*), and
 *   Hessian × vector is a forward difference of F̃'s gradients (step 10⁻⁷·max(1, ‖x‖∞)/‖v‖∞: no kink
 *   is crossed, since the pattern does not change), plus the penalty's exact curvature
 *   Σ_g λd_g/‖θ_g‖ (I − θ̂_gθ̂_gᵀ) on the nonzero groups;
 * - the step solves the equality-constrained quadratic model inside a trust region (`solveOnKinks`:
 *   normal step, then projected conjugate gradients, Steihaug); convex kinks the step would carry
 *   against the frozen pattern (forward-mode derivatives of every pre-activation along it) are held
 *   too and the step solved again, up to three rounds; P in float64 at each round's full step picks
 *   one (each model is wrong past the kinks it lets the step cross), and the ratio of actual to
 *   predicted decrease sets the next radius (×¼ below 0.25, ×2 above 0.75 at the boundary);
 * - groups smaller than the radius whose zero satisfies its KKT condition are tried at 0;
 * - when no full step lowers P, a backtracking search along the first round's step; the decision
 *   is on P in float64 (the decreases are below what tfjs's float32 forward pass resolves), and the
 *   point is taken only if tfjs's P stays within float32's resolution of the lowest P.
 *
 * Zero groups and frozen entries stay at 0; the caller takes the step only when the zero groups are
 * identified. Every float64 gradient and forward pass is counted in `ctx.gradients`. Returns the
 * accepted point, or null.
 */
export function kinkNewtonStep<E extends Eval>(
  ctx: KinkContext, x: Float64Array, cur: E, gs: GroupStructure, lambda: number, frozen: Uint8Array | undefined,
  onSupport: Uint8Array, evalAt: (x: Float64Array) => E, best: number, kktRelative: number,
): { x: Float64Array; at: E; clarke: ClarkeResidual } | null {
  const { chain, params, data, loss } = ctx;
  const n = x.length;
  params.theta.set(x);
  params.push();
  const fwd0 = tfjsForward(params.net, chain, data);
  const clarke = clarkeAt(chain, x, fwd0, data, loss, gs, lambda, frozen, cur.grad, ctx.band, 1e-10, 2000);
  // The frozen pattern: tfjs's derivatives, σ* at the pairs in the band.
  const masks = chain.layers.map((L, l) => (L.activation === 'relu' && l < chain.layers.length - 1 ? Float64Array.from(fwd0.d[l]) : null));
  const heldPairs: Pair[] = [];
  clarke.where.forEach((p, k) => {
    masks[p.layer]![p.sample * chain.layers[p.layer].units + p.unit] = clarke.sigma[k];
    if (clarke.sigma[k] > 1e-9 && clarke.sigma[k] < 1 - 1e-9 && clarke.slopes[k] > 0) heldPairs.push(p);
  });
  const gradAt = (theta: Float64Array) => {
    ctx.gradients++;
    const f = denseForward(chain, theta, data.x, data.n, masks, true);
    return { f, g: denseGradient(chain, theta, f, data, loss, n).grad };
  };
  const norms = new Float64Array(gs.nGroups);
  for (let k = 0; k < gs.nGroups; k++) {
    let n2 = 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; if (!frozen?.[i]) n2 += x[i] ** 2; }
    norms[k] = Math.sqrt(n2);
  }
  const at0 = gradAt(x);
  const g0 = at0.g;
  // G: the support gradient of F̃ + λΩ.
  const G = new Float64Array(n);
  for (let i = 0; i < n; i++) G[i] = onSupport[i] ? g0[i] : 0;
  for (let k = 0; k < gs.nGroups; k++) {
    if (!(norms[k] > 0)) continue;
    const c = (lambda * gs.weights[k]) / norms[k];
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; if (onSupport[i]) G[i] += c * x[i]; }
  }
  let xMax = 1;
  for (let i = 0; i < n; i++) if (onSupport[i]) xMax = Math.max(xMax, Math.abs(x[i]));
  const probe = new Float64Array(n);
  const hessianTimes = (v: Float64Array, out: Float64Array): void => {
    let vMax = 0;
    for (let i = 0; i < n; i++) vMax = Math.max(vMax, Math.abs(v[i]));
    out.fill(0);
    if (vMax === 0) return;
    const eps = (1e-7 * xMax) / vMax;
    for (let i = 0; i < n; i++) probe[i] = onSupport[i] ? x[i] + eps * v[i] : x[i];
    const g1 = gradAt(probe).g;
    for (let i = 0; i < n; i++) out[i] = onSupport[i] ? (g1[i] - g0[i]) / eps : 0;
    addPenaltyHessian(out, x, v, norms, onSupport, gs, lambda);
  };
  const rowOf = (p: Pair) => {
    const r = preactivationGradient(chain, x, at0.f, p.sample, p.layer, p.unit);
    const idx: number[] = [];
    const val: number[] = [];
    for (let q = 0; q < r.idx.length; q++) if (onSupport[r.idx[q]]) { idx.push(r.idx[q]); val.push(r.val[q]); }
    return { idx: Int32Array.from(idx), val: Float64Array.from(val), z: at0.f.z[p.layer][p.sample * chain.layers[p.layer].units + p.unit] };
  };
  const radius = ctx.radius;
  let rows = heldPairs.map(rowOf).filter((r) => r.idx.length > 0);
  let solved = solveOnKinks(rows, G, hessianTimes, onSupport, radius, kktRelative);
  if (!solved) return null;
  const candidates = [solved];
  // Pairs the step would carry across their kink against the frozen pattern are held at it too
  // (the pattern is the model only up to the kink), and the step solved again.
  const key = (p: Pair) => `${p.layer}:${p.sample}:${p.unit}`;
  const isHeld = new Set(heldPairs.map(key));
  for (let round = 0; round < 3; round++) {
    const zdot = denseDirectional(chain, x, at0.f, solved.d);
    const crossing: Pair[] = [];
    chain.layers.forEach((L, l) => {
      const mk = masks[l];
      if (!mk) return;
      const zl = at0.f.z[l];
      for (let i = 0; i < zl.length; i++) {
        const after = zl[i] + zdot[l][i];
        const wrongSide = mk[i] === 1 ? after < 0 : mk[i] === 0 ? after > 0 : false;
        if (!wrongSide) continue;
        const p = { layer: l, sample: Math.floor(i / L.units), unit: i % L.units };
        if (!isHeld.has(key(p))) crossing.push(p);
      }
    });
    // Only convex kinks (loss slope ∂F/∂a > 0 in the unit's output) stop the step: past a concave
    // one P is lower than the frozen model says, so crossing it is safe.
    const slopeOf = new Map<number, Float64Array[]>();
    const convex = crossing.filter((p) => {
      let dh = slopeOf.get(p.sample);
      if (!dh) { dh = sampleBackward(chain, x, at0.f, data.y[p.sample], loss, p.sample, null); slopeOf.set(p.sample, dh); }
      return dh[p.layer][p.unit] > 0;
    });
    if (convex.length === 0 || rows.length + convex.length > MAX_HELD) break;
    for (const p of convex) isHeld.add(key(p));
    rows = rows.concat(convex.map(rowOf).filter((r) => r.idx.length > 0));
    const again = solveOnKinks(rows, G, hessianTimes, onSupport, radius, kktRelative);
    if (!again) break;
    solved = again;
    candidates.push(again);
  }
  // The search is decided on P in float64 (the network evaluated here on the float32 weights): the
  // decreases a converging Newton step makes are below what tfjs's float32 forward pass resolves.
  const p64 = (theta: Float64Array): number => {
    let pen = 0;
    for (let k = 0; k < gs.nGroups; k++) {
      let q = 0;
      for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; if (!frozen?.[i]) q += theta[i] ** 2; }
      pen += gs.weights[k] * Math.sqrt(q);
    }
    return denseLoss(chain, denseForward(chain, theta, data.x, data.n), data, loss) + lambda * pen;
  };
  const here = p64(x);
  const floor = 1e-8 * xMax;
  const trial = new Float64Array(n);
  const place = (d: Float64Array, alpha: number): boolean => {
    let moved = false;
    for (let i = 0; i < n; i++) {
      trial[i] = onSupport[i] ? Math.fround(x[i] + alpha * d[i]) : x[i];
      if (trial[i] !== x[i]) moved = true;
    }
    for (let k = 0; k < gs.nGroups; k++) {
      if (!(norms[k] > 0)) continue;
      let after = 0;
      for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) after += trial[gs.indices[j]] ** 2;
      if (after < 0.25 * norms[k] ** 2) for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) trial[gs.indices[j]] = 0;
    }
    return moved;
  };
  // The rounds' steps differ in which kinks they stop at; the models cannot compare them (each is
  // wrong past the kinks it lets the step cross): P itself at each full step decides.
  let pick = -1;
  let pickValue = Infinity;
  candidates.forEach((c, k) => {
    if (!place(c.d, 1)) return;
    ctx.gradients++; // a forward pass, counted as an evaluation
    const v = p64(trial);
    if (v < here + 1e-4 * Math.min(0, c.predicted) && v < pickValue) { pickValue = v; pick = k; }
  });
  // Trust-region update from the ratio of the actual to the predicted decrease of the full steps.
  const first = candidates[0];
  if (pick < 0) ctx.radius = Math.max(floor, 0.25 * first.length);
  else {
    const c = candidates[pick];
    const rho = c.predicted < 0 ? (here - pickValue) / -c.predicted : 1;
    if (rho < 0.25) ctx.radius = Math.max(floor, 0.25 * c.length);
    else if (rho > 0.75 && c.length >= 0.99 * radius) ctx.radius = 2 * radius;
  }
  // Groups smaller than the region whose zero satisfies its KKT condition (‖∇_g F‖ ≤ λd_g at x) are
  // on their way to 0, and the smooth model of their norm is wrong over the region: P decides
  // whether the accepted step takes them to 0 at once.
  const zeroable: number[] = [];
  for (let k = 0; k < gs.nGroups; k++) {
    if (!(norms[k] > 0 && norms[k] <= radius)) continue;
    let g2 = 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; if (!frozen?.[i]) g2 += g0[i] ** 2; }
    if (Math.sqrt(g2) <= lambda * gs.weights[k]) zeroable.push(k);
  }
  // No full step decreases P: backtrack along the first (its model is exact up to the first kink crossed).
  const d = pick >= 0 ? candidates[pick].d : first.d;
  for (let tries = pick >= 0 ? 0 : 1, alpha = pick >= 0 ? 1 : 0.5; tries < 8; tries++, alpha *= 0.5) {
    if (!place(d, alpha)) return null;
    let value = pickValue;
    if (tries > 0) {
      ctx.gradients++;
      value = p64(trial);
      if (!(value < here + 1e-4 * alpha * Math.min(0, first.predicted))) continue;
    }
    if (zeroable.length > 0) {
      const kept = Float64Array.from(trial);
      for (const k of zeroable) for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) trial[gs.indices[j]] = 0;
      ctx.gradients++;
      if (!(p64(trial) < value)) trial.set(kept);
    }
    const at = evalAt(trial);
    const delta = EPS32 * Math.abs(best);
    if (at.P <= best + delta) return { x: Float64Array.from(trial), at, clarke };
    return null;
  }
  return null;
}

/**
 * min Gᵀd + ½dᵀHd over the support subject to z_k + ∇z_kᵀd = 0 for the given rows and ‖d‖ ≤ Δ:
 * the normal step d_r = −Jᵀ(JJᵀ)⁻¹z, then projected conjugate gradients in the null space of J
 * (Gould, Hribar & Nocedal 2001) stopped at the trust-region boundary or at nonpositive curvature
 * (Steihaug), to a relative projected residual min(0.1, √kktRelative), at most 40 products.
 * Returns the step, its length, the model's value and slope Gᵀd; null when JJᵀ does not factor.
 */
function solveOnKinks(
  rows: readonly { idx: Int32Array; val: Float64Array; z: number }[], G: Float64Array,
  hessianTimes: (v: Float64Array, out: Float64Array) => void, onSupport: Uint8Array, radius: number, kktRelative: number,
): { d: Float64Array; predicted: number; length: number; slope: number } | null {
  const n = G.length;
  const m = rows.length;
  const chol = new Float64Array(m * m);
  if (m > 0) {
    const M = new Float64Array(m * m);
    const dense = new Float64Array(n);
    for (let a = 0; a < m; a++) {
      const ra = rows[a];
      for (let q = 0; q < ra.idx.length; q++) dense[ra.idx[q]] = ra.val[q];
      for (let b = 0; b <= a; b++) {
        const rb = rows[b];
        let v = 0;
        for (let q = 0; q < rb.idx.length; q++) v += dense[rb.idx[q]] * rb.val[q];
        M[a + b * m] = M[b + a * m] = v;
      }
      for (let q = 0; q < ra.idx.length; q++) dense[ra.idx[q]] = 0;
    }
    // Dependent constraints (more held pairs on a unit than it has inputs) get a small ridge.
    if (!choleskyFactor(M, m, chol, { diagonal: 1e-10 })) return null;
  }
  const Jt = (w: Float64Array, out: Float64Array) => { rows.forEach((r, a) => { for (let q = 0; q < r.idx.length; q++) out[r.idx[q]] += w[a] * r.val[q]; }); };
  const J = (v: Float64Array) => Float64Array.from(rows, (r) => { let s = 0; for (let q = 0; q < r.idx.length; q++) s += r.val[q] * v[r.idx[q]]; return s; });
  const project = (v: Float64Array, out: Float64Array) => {
    out.set(v);
    if (m === 0) return;
    const w = J(v);
    choleskySolveInPlace(chol, m, w);
    for (let a = 0; a < m; a++) w[a] = -w[a];
    Jt(w, out);
  };
  const norm = (v: Float64Array) => { let q = 0; for (let i = 0; i < n; i++) q += v[i] * v[i]; return Math.sqrt(q); };
  const d = new Float64Array(n);
  const r = Float64Array.from(G);
  const Hp = new Float64Array(n);
  if (m > 0) {
    const w = Float64Array.from(rows, (row) => -row.z);
    choleskySolveInPlace(chol, m, w);
    Jt(w, d);
    if (norm(d) > 0) { hessianTimes(d, Hp); for (let i = 0; i < n; i++) r[i] += Hp[i]; }
  }
  const toBoundary = (p: Float64Array): number => {
    let dp = 0, pp = 0, dd = 0;
    for (let i = 0; i < n; i++) { dp += d[i] * p[i]; pp += p[i] * p[i]; dd += d[i] * d[i]; }
    if (!(pp > 0)) return 0;
    return (-dp + Math.sqrt(Math.max(0, dp * dp + pp * (radius * radius - dd)))) / pp;
  };
  if (norm(d) > 0.8 * radius) {
    // The normal step would leave (most of) the region: its part within 0.8Δ (Byrd–Omojokun), the
    // model gradient scaled along; the held pairs then only move towards their kinks.
    const c = (0.8 * radius) / norm(d);
    for (let i = 0; i < n; i++) { d[i] *= c; r[i] = G[i] + c * (r[i] - G[i]); }
  }
  {
    const y = new Float64Array(n);
    project(r, y);
    for (let i = 0; i < n; i++) if (!onSupport[i]) y[i] = 0;
    const p = Float64Array.from(y, (v) => -v);
    let ry = 0;
    for (let i = 0; i < n; i++) ry += r[i] * y[i];
    const stop = Math.min(0.01, kktRelative) * ry;
    for (let it = 0; it < 40 && ry > stop && ry > 0; it++) {
      hessianTimes(p, Hp);
      let pHp = 0;
      for (let i = 0; i < n; i++) pHp += p[i] * Hp[i];
      let a = pHp > 0 ? ry / pHp : Infinity;
      const tau = toBoundary(p);
      const boundary = a >= tau;
      if (boundary) a = tau;
      for (let i = 0; i < n; i++) { d[i] += a * p[i]; r[i] += a * Hp[i]; }
      if (boundary) break;
      project(r, y);
      for (let i = 0; i < n; i++) if (!onSupport[i]) y[i] = 0;
      let next = 0;
      for (let i = 0; i < n; i++) next += r[i] * y[i];
      const b = next / ry;
      ry = next;
      for (let i = 0; i < n; i++) p[i] = -y[i] + b * p[i];
    }
  }
  // The model's value at d: Gᵀd + ½dᵀHd, with Hd = r − G.
  let gd = 0;
  let rd = 0;
  for (let i = 0; i < n; i++) { gd += G[i] * d[i]; rd += r[i] * d[i]; }
  return { d, predicted: 0.5 * (gd + rd), length: norm(d), slope: gd };
}
