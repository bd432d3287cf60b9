import type { Penalty } from '../penalties/penalty.ts';

/**
 * One block prox-gradient step on group g of the penalty's structure, in place on the stacked
 * coefficients w (entry k of the block is w[indices[ptr[g] + k]]):
 *
 *   w_g ← prox_{Ω_g/L}(w_g − grad/L)        (no prox for an unpenalized block),
 *
 * the step of block coordinate descent (L a block Lipschitz bound) and of proximal Newton's inner
 * model (L the block's curvature). When L ≤ 0 the block does not touch the (model) loss: a
 * penalized block's minimizer is then 0, an unpenalized one keeps its value. `d` receives the
 * change of the block and `v` is work space (both of the block's length); `grad` may be `v`.
 * Returns max_k |d_k| (0 when nothing moved).
 */
export function blockProxStep(
  pen: Penalty, g: number, w: Float64Array, grad: Float64Array, L: number, penalized: boolean,
  v: Float64Array, d: Float64Array,
): number {
  const { ptr, indices } = pen.groups;
  const s = ptr[g];
  const m = ptr[g + 1] - s;
  let moved = 0;
  if (!(L > 0)) {
    for (let k = 0; k < m; k++) {
      const c = indices[s + k];
      d[k] = penalized ? -w[c] : 0;
      if (penalized) w[c] = 0;
      if (Math.abs(d[k]) > moved) moved = Math.abs(d[k]);
    }
    return moved;
  }
  for (let k = 0; k < m; k++) v[k] = w[indices[s + k]] - grad[k] / L;
  if (penalized) pen.groupProx(v, m, g, 1 / L);
  for (let k = 0; k < m; k++) {
    const c = indices[s + k];
    d[k] = v[k] - w[c];
    if (Math.abs(d[k]) > moved) moved = Math.abs(d[k]);
    w[c] = v[k];
  }
  return moved;
}
