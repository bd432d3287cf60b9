import { pcg, PcgWork } from '../linalg/cg.ts';
import type { ProblemContext } from '../solvers/problem.ts';
import type { JointDesign } from './joint.ts';
import type { OverlapStructure } from './structure.ts';

/** Newton steps per polish (quadratic convergence needs a handful once the pattern is right). */
const MAX_STEPS = 30;
/** A group whose restricted norm falls under this fraction of the largest is taken as zero. */
const VANISHING = 1e-8;
/** Polishes per call (each after holding the groups the previous one drove to zero). */
const MAX_ROUNDS = 3;

/**
 * Second-order refinement of consensus ADMM's iterate on its zero pattern.
 *
 * Why: a dual point built from an iterate at distance δ from the solution is O(δ) from the dual
 * optimum (the dual optimum sits on the boundary of the feasible set, so the dual objective loses
 * to first order), while the primal loses only O(δ²): certified gaps that are 1/δ times the true
 * suboptimality. Once ADMM has found which groups are zero (Z), the problem restricted to them,
 *   minimize over (w_F, c):  F(X_F w_F + A c) + λ Σ_{g∉Z} d_g ‖w_{g∩F}‖,   F = features in no group of Z,
 * is smooth wherever the other groups' norms stay away from 0, and damped Newton (CG on each
 * system, Armijo backtracking) reaches its optimum to rounding in a few steps. Its solution and
 * the decomposition t_g = λd_g w_g/‖w_g‖ (groups outside Z), t_g = ρμ_g (groups of Z) give the
 * certificate a dual point as accurate as float64 allows when Z is right. When Z is wrong the
 * certificate's repair and rescaling keep the bound valid (only loose), and the best dual seen is
 * kept, so a failed polish costs its work and nothing else.
 */
export class RestrictedNewton {
  /** Passes over the data spent (products with [X_F A]). */
  work = 0;
  private readonly ctx: ProblemContext;
  private readonly st: OverlapStructure;
  private readonly jd: JointDesign;
  private readonly colNormSq: Float64Array | null;

  constructor(ctx: ProblemContext, st: OverlapStructure, jd: JointDesign) {
    this.ctx = ctx;
    this.st = st;
    this.jd = jd;
    this.colNormSq = null;
    if (ctx.X.columns) {
      this.colNormSq = new Float64Array(ctx.p);
      for (let j = 0; j < ctx.p; j++) this.colNormSq[j] = ctx.X.columns.normSq(j);
    }
  }

  /**
   * Polish `w0` (length p, the sparse iterate) on the zero pattern `zero` (1 per group of Z);
   * `t0` is ADMM's ρμ (stacked), kept for the groups of Z. Spends at most `budget` passes.
   * Returns the polished points (w and its decomposition; a second and third when groups vanish
   * and are held at zero), none when there is nothing to polish (no free feature, a nonzero group
   * with a zero norm, a non-finite objective).
   */
  run(w0: Float64Array, zero: Uint8Array, t0: Float64Array, budget: number): Array<{ w: Float64Array; t: Float64Array }> {
    const out: Array<{ w: Float64Array; t: Float64Array }> = [];
    const z = zero.slice();
    const start = this.work;
    let w = w0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const res = this.once(w, z, t0, budget - (this.work - start));
      if (!res) break;
      out.push(res);
      // A group the restricted optimum drives to (numerically) zero belongs to the zero pattern:
      // there the restricted problem is not smooth and its dual point is loose. Hold it and redo.
      if (res.vanishing.length === 0) break;
      for (const g of res.vanishing) z[g] = 1;
      w = res.w;
    }
    return out;
  }

  private once(w0: Float64Array, zero: Uint8Array, t0: Float64Array, budget: number): { w: Float64Array; t: Float64Array; vanishing: number[] } | null {
    const { ctx, st, jd } = this;
    const { ptr, indices, weights, nGroups } = st.groups;
    const p = ctx.p;
    const n = ctx.n;
    const lambda = ctx.penalty.lambda;
    const held = new Uint8Array(p);
    for (let g = 0; g < nGroups; g++) if (zero[g]) for (let k = ptr[g]; k < ptr[g + 1]; k++) held[indices[k]] = 1;
    const freeList: number[] = [];
    for (const j of st.penalized) if (!held[j]) freeList.push(j);
    const free = Int32Array.from(freeList);
    const f = free.length;
    if (f === 0) return null;
    const pos = new Int32Array(p).fill(-1);
    free.forEach((j, i) => (pos[j] = i));
    // Groups outside Z, restricted to their free members (positions in the joint vector).
    const gPtr: number[] = [0];
    const gIdx: number[] = [];
    const gW: number[] = [];
    const gOf: number[] = [];
    for (let g = 0; g < nGroups; g++) {
      if (zero[g]) continue;
      for (let k = ptr[g]; k < ptr[g + 1]; k++) if (pos[indices[k]] >= 0) gIdx.push(pos[indices[k]]);
      if (gIdx.length === gPtr[gPtr.length - 1]) continue;
      gPtr.push(gIdx.length);
      gW.push(lambda * weights[g]);
      gOf.push(g);
    }
    const na = gW.length;
    const kk = jd.k;
    const dim = f + kk;
    const v = new Float64Array(dim);
    for (let i = 0; i < f; i++) v[i] = w0[free[i]];
    jd.currentUnpenalized(v.subarray(f));
    const norms = new Float64Array(na);
    const groupNorms = (x: Float64Array, out: Float64Array): boolean => {
      for (let a = 0; a < na; a++) {
        let s = 0;
        for (let r = gPtr[a]; r < gPtr[a + 1]; r++) s += x[gIdx[r]] * x[gIdx[r]];
        out[a] = Math.sqrt(s);
        if (!(out[a] > 0)) return false;
      }
      return true;
    };
    const df = ctx.datafit;
    const eta = new Float64Array(n);
    const u = new Float64Array(n);
    const h = new Float64Array(n);
    const dEta = new Float64Array(n);
    const etaTry = new Float64Array(n);
    const tmp = new Float64Array(n);
    const grad = new Float64Array(dim);
    const d = new Float64Array(dim);
    const vTry = new Float64Array(dim);
    const diag = new Float64Array(dim);
    const normsTry = new Float64Array(na);
    const pw = new PcgWork(dim);
    const penaltyValue = (nrm: Float64Array): number => {
      let s = 0;
      for (let a = 0; a < na; a++) s += gW[a] * nrm[a];
      return s;
    };
    const hess = (x: Float64Array, out: Float64Array): void => {
      jd.forward(free, x, tmp);
      for (let i = 0; i < n; i++) tmp[i] *= h[i];
      jd.transpose(free, tmp, out);
      // Hessian of λd_g‖v_g‖: (λd_g/‖v_g‖)(I − v_g v_gᵀ/‖v_g‖²).
      for (let a = 0; a < na; a++) {
        const r = norms[a];
        let dot = 0;
        for (let q = gPtr[a]; q < gPtr[a + 1]; q++) dot += v[gIdx[q]] * x[gIdx[q]];
        const c = gW[a] / r;
        const c2 = (c * dot) / (r * r);
        for (let q = gPtr[a]; q < gPtr[a + 1]; q++) out[gIdx[q]] += c * x[gIdx[q]] - c2 * v[gIdx[q]];
      }
    };
    const vanishingGroups = (): number[] => {
      let largest = 0;
      for (let a = 0; a < na; a++) largest = Math.max(largest, norms[a]);
      const out: number[] = [];
      for (let a = 0; a < na; a++) if (norms[a] < VANISHING * largest) out.push(gOf[a]);
      return out;
    };
    const spent0 = this.work;
    let lastDec = Infinity;
    jd.forward(free, v, eta);
    this.work++;
    if (!groupNorms(v, norms)) return null;
    let phi = df.valueGrad(eta, u) + penaltyValue(norms);
    for (let step = 0; step < MAX_STEPS; step++) {
      const left = budget - (this.work - spent0);
      if (left < 4) break;
      jd.transpose(free, u, grad);
      for (let a = 0; a < na; a++) {
        const c = gW[a] / norms[a];
        for (let q = gPtr[a]; q < gPtr[a + 1]; q++) grad[gIdx[q]] += c * v[gIdx[q]];
      }
      df.hessianDiag(eta, h);
      let hbar = 0;
      for (let i = 0; i < n; i++) hbar += h[i];
      hbar /= n;
      for (let i = 0; i < f; i++) diag[i] = hbar * (this.colNormSq ? this.colNormSq[free[i]] : n);
      for (let a = 0; a < na; a++) for (let q = gPtr[a]; q < gPtr[a + 1]; q++) diag[gIdx[q]] += gW[a] / norms[a];
      for (let i = 0; i < f; i++) if (!(diag[i] > 0)) diag[i] = 1;
      jd.unpenalizedDiag(h, f, diag);
      d.fill(0);
      this.work += 2 + pcg(hess, grad, d, diag, 1e-12, Math.min(4 * dim + 50, left - 4), pw);
      let dec = 0;
      for (let i = 0; i < dim; i++) dec += grad[i] * d[i];
      if (!(dec > 0) || !Number.isFinite(dec)) break;
      jd.forward(free, d, dEta);
      let t = 1;
      let accepted = false;
      let phiTry = phi;
      // In the quadratic region (decrement far under the objective) the full step is right and the
      // objective cannot resolve the decrease: step without a line search, until the decrement
      // reaches rounding (the gradient, which the dual point needs to ~ε, is then ~ε too).
      const quadratic = dec <= 1e-12 * Math.abs(phi);
      if (quadratic && dec >= lastDec) break;
      lastDec = dec;
      for (let ls = 0; ls < (quadratic ? 1 : 50); ls++) {
        for (let i = 0; i < dim; i++) vTry[i] = v[i] - t * d[i];
        for (let i = 0; i < n; i++) etaTry[i] = eta[i] - t * dEta[i];
        if (groupNorms(vTry, normsTry)) {
          phiTry = df.value(etaTry) + penaltyValue(normsTry);
          if (quadratic || phiTry <= phi - 1e-4 * t * dec) {
            accepted = true;
            break;
          }
        }
        t /= 2;
      }
      if (!accepted) break;
      v.set(vTry);
      eta.set(etaTry);
      norms.set(normsTry);
      phi = df.valueGrad(eta, u);
      phi += penaltyValue(norms);
      // The decrement is at rounding (the gradient ~ε relative): the restricted optimum is reached.
      if (dec <= 1e-30 * Math.abs(phi)) break;
      // A group driven to (numerically) zero puts the iterate on a kink of the restricted problem,
      // where Newton steps only oscillate (a 1-member group's term is linear): stop here, and let
      // the next round hold that group at zero (see run), instead of spending the budget on it.
      if (vanishingGroups().length > 0) break;
    }
    if (!Number.isFinite(phi)) return null;
    const w = new Float64Array(p);
    for (let i = 0; i < f; i++) w[free[i]] = v[i];
    const t = new Float64Array(indices.length);
    const active = new Int32Array(nGroups).fill(-1);
    gOf.forEach((g, a) => (active[g] = a));
    for (let g = 0; g < nGroups; g++) {
      const a = active[g];
      for (let k = ptr[g]; k < ptr[g + 1]; k++) {
        if (zero[g]) t[k] = t0[k];
        else if (a >= 0 && !held[indices[k]]) t[k] = (gW[a] * w[indices[k]]) / norms[a];
      }
    }
    let largest = 0;
    for (let a = 0; a < na; a++) largest = Math.max(largest, norms[a]);
    const vanishing: number[] = [];
    for (let a = 0; a < na; a++) if (norms[a] < 1e-8 * largest) vanishing.push(gOf[a]);
    return { w, t, vanishing };
  }
}
