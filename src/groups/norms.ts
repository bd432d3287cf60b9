import { nrm2Indexed } from '../linalg/blas.ts';
import type { GroupStructure } from './groups.ts';

/**
 * ‖w_g‖₂ per group, and the groups with ‖w_g‖ > 0 (in group order): what every result reports
 * (fits, paths, estimators, overlapping fits).
 */
export function groupNorms(w: Float64Array, gs: GroupStructure): { norms: Float64Array; active: number[] } {
  const norms = new Float64Array(gs.nGroups);
  const active: number[] = [];
  for (let g = 0; g < gs.nGroups; g++) {
    norms[g] = nrm2Indexed(w, gs.indices, gs.ptr[g], gs.ptr[g + 1]);
    if (norms[g] > 0) active.push(g);
  }
  return { norms, active };
}
