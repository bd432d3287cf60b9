import { dualValue, problemScales, safeSphere } from '../solvers/certificate.ts';
import type { PointBuffers, ProblemContext } from '../solvers/problem.ts';

/**
 * Sequential gap-safe screening (Ndiaye, Fercoq, Gramfort & Salmon 2017) at the context's λ from
 * a point w fitted at an earlier λ, with `pt` its evaluation (the datafit part of a point does not
 * depend on λ): with P and D the primal and dual objectives at λ of w and of the rescaled dual
 * point θ = u·min(1, λ / max_g ρ_g(Xᵀu)), every solution's dual point lies in the ball of radius
 * √(2·(P − D)·curvature) around θ (F* is 1/curvature-strongly convex), so a penalized group with
 *   ‖X_gᵀθ‖ + ‖X_g‖_F·radius < λ d_g
 * is zero at every optimum. ‖X_g‖_F (uncentred) bounds ‖P⊥X_g‖_F, the norm the rule needs.
 *
 * Sets out[g] = 1 for the groups it proves zero and returns how many. Proves nothing (returns 0)
 * for penalties without a safe rule, losses without a global curvature bound, designs without
 * stored columns, or a point whose gap is not finite.
 */
export function gapSafeSequential(ctx: ProblemContext, w: Float64Array, pt: PointBuffers, out: Uint8Array): number {
  const pen = ctx.penalty;
  const curvature = ctx.datafit.curvature;
  const scales = problemScales(ctx);
  const rms = scales.colRmsEach;
  if (!pen.convex || !pen.gapSafe || !Number.isFinite(curvature) || rms === null || !Number.isFinite(pt.loss)) return 0;
  const gs = pen.groups;
  const G = gs.nGroups;
  const sphere = safeSphere(ctx, pt, w, pt.loss + pen.value(w), dualValue(ctx, pt, new Float64Array(pt.u.length)));
  if (!sphere) return 0;
  const n = ctx.n, p = ctx.p;
  let count = 0;
  for (let g = 0; g < G; g++) {
    if (!pen.isPenalized(g)) continue;
    let fro = 0;
    for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) {
      const r = rms[gs.indices[k] % p];
      fro += n * r * r;
    }
    if (pen.gapSafeScreen(g, sphere.theta * pen.groupDualNorm(pt.grad, g), Math.sqrt(fro) * sphere.radius)) {
      out[g] = 1;
      count++;
    }
  }
  return count;
}
