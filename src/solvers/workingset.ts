/** Working-set size floor (groups), as in skglm. */
export const MIN_WORKING_SET = 10;

/** What the working-set rule needs to know about each group. */
export interface WorkingSetScores {
  readonly nGroups: number;
  /** Groups proven zero at the optimum (never chosen). */
  isScreened(g: number): boolean;
  /** Unpenalized groups are always in the working set. */
  isPenalized(g: number): boolean;
  /** Whether the group is non-zero at the current point (the support is always in). */
  isActive(g: number): boolean;
  /** The group's KKT violation at the current point (the priority of an inactive group). */
  violation(g: number): number;
}

/**
 * The working set of block coordinate descent (skglm's rule): the support, the unpenalized
 * groups, and the worst KKT violators, max(MIN_WORKING_SET, 2·|support|) groups in all, in
 * increasing group order.
 */
export function chooseWorkingSet(s: WorkingSetScores): Int32Array {
  const G = s.nGroups;
  const score = new Float64Array(G);
  let support = 0;
  const forced: number[] = [];
  const candidates: number[] = [];
  for (let g = 0; g < G; g++) {
    if (s.isScreened(g)) continue;
    const penalized = s.isPenalized(g);
    const nz = s.isActive(g);
    if (!penalized || nz) {
      forced.push(g);
      if (nz && penalized) support++;
      continue;
    }
    score[g] = s.violation(g);
    if (score[g] > 0) candidates.push(g);
  }
  const size = Math.max(MIN_WORKING_SET, 2 * support);
  candidates.sort((a, b) => score[b] - score[a] || a - b);
  const chosen = forced.concat(candidates.slice(0, Math.max(0, size - forced.length)));
  chosen.sort((a, b) => a - b);
  return Int32Array.from(chosen);
}
