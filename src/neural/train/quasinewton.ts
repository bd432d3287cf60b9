import type { GroupStructure } from '../../groups/groups.ts';
import { choleskyFactor, choleskySolveInPlace } from '../../linalg/cholesky.ts';
import { proxGroupLassoInPlace } from '../../prox/prox.ts';

/**
 * The L-BFGS approximation B of ∇²F from the last m pairs (s_i, y_i) = (Δθ, Δ∇F), in the compact
 * form of Byrd, Nocedal & Schnabel (1994):
 *
 *   B = σI − [σS Y] [[σSᵀS, L], [Lᵀ, −D]]⁻¹ [σSᵀ; Yᵀ],  σ = yᵀy / sᵀy of the newest pair,
 *
 * L the strictly lower part of SᵀY, D its diagonal. B·v costs 4mn: the proximal subproblem on the
 * model of F is solved with many such products and no network evaluation. The middle system is
 * solved by eliminating D: (σSᵀS + L D⁻¹ Lᵀ) a = σSᵀv + L D⁻¹ Yᵀv (positive definite), b = D⁻¹(Lᵀa − Yᵀv),
 * and B v = σv − σS a − Y b. Pairs with sᵀy ≤ 1e-8‖s‖‖y‖ (no positive curvature along s: the loss
 * is nonconvex) are skipped, which keeps B positive definite.
 */
export class CompactLbfgs {
  readonly memory: number;
  private readonly S: Float64Array[] = [];
  private readonly Y: Float64Array[] = [];
  private sigma = 1;
  private chol = new Float64Array(0);
  private Lm = new Float64Array(0);
  private Dm = new Float64Array(0);

  constructor(memory: number) {
    this.memory = memory;
  }

  get size(): number {
    return this.S.length;
  }

  clear(): void {
    this.S.length = 0;
    this.Y.length = 0;
  }

  /** Adds the pair (s, y) when it has positive curvature; returns whether it was kept. */
  push(s: Float64Array, y: Float64Array): boolean {
    let sy = 0;
    let ss = 0;
    let yy = 0;
    for (let i = 0; i < s.length; i++) { sy += s[i] * y[i]; ss += s[i] * s[i]; yy += y[i] * y[i]; }
    if (!(sy > 1e-8 * Math.sqrt(ss * yy))) return false;
    this.S.push(s);
    this.Y.push(y);
    if (this.S.length > this.memory) { this.S.shift(); this.Y.shift(); }
    this.sigma = yy / sy;
    return this.factor();
  }

  private factor(): boolean {
    const k = this.S.length;
    const SY = new Float64Array(k * k); // SY[i + j k] = s_iᵀ y_j
    const SS = new Float64Array(k * k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        SY[i + j * k] = dot(this.S[i], this.Y[j]);
        if (j <= i) SS[i + j * k] = SS[j + i * k] = dot(this.S[i], this.S[j]);
      }
    }
    this.Dm = Float64Array.from({ length: k }, (_, i) => SY[i + i * k]);
    this.Lm = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) this.Lm[i + j * k] = SY[i + j * k];
    // C = σSᵀS + L D⁻¹ Lᵀ (column-major).
    const C = new Float64Array(k * k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let v = this.sigma * SS[i + j * k];
        for (let l = 0; l < k; l++) v += (this.Lm[i + l * k] * this.Lm[j + l * k]) / this.Dm[l];
        C[i + j * k] = v;
      }
    }
    this.chol = new Float64Array(k * k);
    if (choleskyFactor(C, k, this.chol)) return true;
    // Numerically dependent pairs: start the memory again from the newest.
    const s = this.S[k - 1];
    const y = this.Y[k - 1];
    this.clear();
    if (k > 1) return this.push(s, y);
    return false;
  }

  /** out ← B v. */
  times(v: Float64Array, out: Float64Array): void {
    const k = this.S.length;
    const n = v.length;
    const a = new Float64Array(k);
    const q = new Float64Array(k);
    for (let i = 0; i < k; i++) { a[i] = this.sigma * dot(this.S[i], v); q[i] = dot(this.Y[i], v); }
    // a ← σSᵀv + L D⁻¹ q, then C⁻¹; b = D⁻¹(Lᵀa − q).
    const rhs = Float64Array.from(a);
    for (let i = 0; i < k; i++) for (let l = 0; l < i; l++) rhs[i] += (this.Lm[i + l * k] * q[l]) / this.Dm[l];
    choleskySolveInPlace(this.chol, k, rhs);
    const b = new Float64Array(k);
    for (let l = 0; l < k; l++) {
      let v2 = -q[l];
      for (let i = l + 1; i < k; i++) v2 += this.Lm[i + l * k] * rhs[i];
      b[l] = v2 / this.Dm[l];
    }
    for (let j = 0; j < n; j++) out[j] = this.sigma * v[j];
    for (let i = 0; i < k; i++) {
      const cs = this.sigma * rhs[i];
      const cy = b[i];
      const s = this.S[i];
      const y = this.Y[i];
      for (let j = 0; j < n; j++) out[j] -= cs * s[j] + cy * y[j];
    }
  }

  /** An upper bound on B's largest eigenvalue: power iteration (B is positive definite), with a 10 % margin. */
  largestEigenvalue(n: number, iterations = 40): number {
    let v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = Math.sin(1 + 7.3 * i); // a fixed start without structure
    let w = new Float64Array(n);
    let est = this.sigma;
    for (let it = 0; it < iterations; it++) {
      const nv = Math.sqrt(dot(v, v));
      for (let i = 0; i < n; i++) v[i] /= nv;
      this.times(v, w);
      est = Math.max(est, dot(v, w));
      [v, w] = [w, v];
    }
    return 1.1 * Math.max(est, this.sigma);
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * argmin over u of gᵀ(u − x) + ½(u − x)ᵀB(u − x) + λ Σ_g d_g‖u_g‖ (frozen entries held at 0): the
 * proximal Newton-type subproblem (Lee, Sun & Saunders 2014), by FISTA with step 1/L (L ≥ λ_max(B))
 * and O'Donoghue & Candès's gradient restart. Stops when the subproblem's own KKT residual — the
 * prox-gradient mapping L(y − u⁺), measured per group as the outer residual is — is at most `tol`,
 * or after `maxIter` iterations. Returns the point and the iterations taken.
 */
export function solveProximalModel(
  x: Float64Array, g: Float64Array, B: CompactLbfgs, gs: GroupStructure, lambda: number, frozen: Uint8Array | undefined,
  tol: number, maxIter: number,
): { u: Float64Array; iterations: number; residual: number } {
  const n = x.length;
  const L = B.largestEigenvalue(n);
  let u = Float64Array.from(x);
  let uNext = new Float64Array(n);
  const y = Float64Array.from(x);
  const diff = new Float64Array(n);
  const grad = new Float64Array(n);
  let t = 1;
  let it = 0;
  let residual = Infinity;
  for (; it < maxIter; it++) {
    for (let i = 0; i < n; i++) diff[i] = y[i] - x[i];
    B.times(diff, grad);
    for (let i = 0; i < n; i++) uNext[i] = frozen?.[i] ? 0 : y[i] - (g[i] + grad[i]) / L;
    proxGroupLassoInPlace(uNext, uNext, gs, lambda / L);
    for (let i = 0; i < n; i++) if (frozen?.[i]) uNext[i] = 0;
    residual = L * mappingSize(uNext, y, gs);
    // Restart when the momentum points uphill of the model: (y − u⁺)ᵀ(u⁺ − u) > 0.
    let up = 0;
    for (let i = 0; i < n; i++) up += (y[i] - uNext[i]) * (uNext[i] - u[i]);
    const tNext = up > 0 ? 1 : (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const beta = up > 0 ? 0 : (t - 1) / tNext;
    for (let i = 0; i < n; i++) y[i] = uNext[i] + beta * (uNext[i] - u[i]);
    t = tNext;
    [u, uNext] = [uNext, u];
    if (residual <= tol) { it++; break; }
  }
  return { u, iterations: it, residual };
}

/** max over groups of ‖a_g − b_g‖ and over the entries in no group of |a_i − b_i|: the outer residual's norm. */
function mappingSize(a: Float64Array, b: Float64Array, gs: GroupStructure): number {
  let m = 0;
  for (let k = 0; k < gs.nGroups; k++) {
    let s = 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; s += (a[i] - b[i]) ** 2; }
    m = Math.max(m, Math.sqrt(s));
  }
  for (let i = 0; i < a.length; i++) if (gs.groupOf[i] < 0) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
