import type { GroupStructure } from '../groups/groups.ts';

/**
 * Group-lasso prox in a diagonal metric, in place on the members of every group:
 *
 *   w_g = argmin_u ½ Σ_{i∈g} D_i (u_i − v_i)² + τ d_g ‖u‖₂        (D_i > 0)
 *
 * the step an adaptive optimizer with preconditioner D (Adam: D = √v̂ + ε, after the step
 * v − lr·m̂/D) must take so that the penalty keeps its weight λ (τ = lr·λ). With D = δ·1 it is
 * group soft-thresholding at τ d_g / δ.
 *
 * w_g = 0 exactly when ‖D_g v_g‖ ≤ τ d_g. Otherwise w_i = D_i v_i t / (D_i t + τ d_g) where t = ‖w_g‖
 * is the root of ψ(t) = Σ (D_i v_i)² / (D_i t + τ d_g)² − 1, which is convex and decreasing on
 * t ≥ 0 with ψ(0) > 0: Newton from t = 0 climbs to the root monotonically (no overshoot), with
 * quadratic convergence at the end; the bracket [0, ‖v_g‖] guards against rounding.
 * Entries outside every group are left as they are. Returns Σ_g d_g ‖w_g‖.
 */
export function proxGroupLassoMetricInPlace(
  v: Float64Array, gs: GroupStructure, tau: number, diag: Float64Array, weights: ArrayLike<number> = gs.weights,
): number {
  const { ptr, indices } = gs;
  let value = 0;
  for (let g = 0; g < gs.nGroups; g++) {
    const start = ptr[g];
    const end = ptr[g + 1];
    const c = tau * weights[g];
    let dv2 = 0;
    let v2 = 0;
    for (let k = start; k < end; k++) {
      const i = indices[k];
      const x = diag[i] * v[i];
      dv2 += x * x;
      v2 += v[i] * v[i];
    }
    if (c <= 0) {
      value += weights[g] * Math.sqrt(v2);
      continue;
    }
    if (dv2 <= c * c) {
      for (let k = start; k < end; k++) v[indices[k]] = 0;
      continue;
    }
    const hi = Math.sqrt(v2);
    let t = 0;
    for (let it = 0; it < 100; it++) {
      let psi = -1;
      let dpsi = 0;
      for (let k = start; k < end; k++) {
        const i = indices[k];
        const a = diag[i] * v[i];
        const b = diag[i] * t + c;
        const q = (a * a) / (b * b);
        psi += q;
        dpsi -= (2 * q * diag[i]) / b;
      }
      if (psi <= 0 || dpsi >= 0) break;
      let next = t - psi / dpsi;
      if (!(next <= hi)) next = hi;
      if (next - t <= 1e-15 * next) {
        t = next;
        break;
      }
      t = next;
    }
    let norm2 = 0;
    for (let k = start; k < end; k++) {
      const i = indices[k];
      const w = (diag[i] * v[i] * t) / (diag[i] * t + c);
      v[i] = w;
      norm2 += w * w;
    }
    value += weights[g] * Math.sqrt(norm2);
  }
  return value;
}
