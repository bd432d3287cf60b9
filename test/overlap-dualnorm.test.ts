/**
 * The certified dual-norm interval of the overlapping group norm, against independent truths:
 * the closed form max_g ‖s_g‖/d_g for disjoint groups, and for two groups sharing one feature a
 * dense scan of the only free parameter (how the shared feature's value is split).
 */
import { describe, expect, it } from 'vitest';
import { makeGroups } from '../src/index.ts';
import { dualNormInterval, maxRatio } from '../src/overlap/dualnorm.ts';
import { OverlapStructure } from '../src/overlap/structure.ts';
import { Random } from '../src/util/random.ts';

/** The equal-share decomposition of s (exact: Σ_g t_g = s), the warm start. */
function equalShare(st: OverlapStructure, s: Float64Array): Float64Array {
  const t = new Float64Array(st.groups.indices.length);
  for (let k = 0; k < t.length; k++) t[k] = s[st.groups.indices[k]] / st.count[st.groups.indices[k]];
  return t;
}

/** Σ_j |s_j − Σ_g t_g,j|: how far t is from an exact decomposition. */
function defect(st: OverlapStructure, s: Float64Array, t: Float64Array): number {
  const sum = new Float64Array(s.length);
  for (let k = 0; k < t.length; k++) sum[st.groups.indices[k]] += t[k];
  return s.reduce((a, v, j) => a + Math.abs(v - sum[j]), 0);
}

describe('dualNormInterval', () => {
  const rng = new Random(5);

  it('disjoint groups: the interval holds max_g ‖s_g‖/d_g and is 1e-3 wide at most', () => {
    const gs = makeGroups([[0, 1], [2, 3, 4], [5]], 6, { weights: [1, 2, 0.5] });
    const st = new OverlapStructure(gs, 1);
    for (let r = 0; r < 5; r++) {
      const s = Float64Array.from(rng.normals(6));
      const truth = Math.max(Math.hypot(s[0], s[1]) / 1, Math.hypot(s[2], s[3], s[4]) / 2, Math.abs(s[5]) / 0.5);
      const t = equalShare(st, s);
      const iv = dualNormInterval(st, s, t);
      expect(iv.lower).toBeLessThanOrEqual(truth * (1 + 1e-12));
      expect(iv.upper).toBeGreaterThanOrEqual(truth * (1 - 1e-12));
      expect(iv.upper - iv.lower).toBeLessThanOrEqual(1e-3 * iv.upper);
    }
  });

  it('two groups sharing a feature: the interval holds the scanned minimum, t stays exact and attains the upper bound', () => {
    const gs = makeGroups([[0, 1, 2], [2, 3]], 4, { weights: [1, 1.5], allowOverlap: true });
    const st = new OverlapStructure(gs, 1);
    for (let r = 0; r < 8; r++) {
      const s = Float64Array.from(rng.normals(4));
      // min over a of max(‖(s0, s1, a)‖/1, ‖(s2 − a, s3)‖/1.5), by a scan fine enough for 1e-6.
      let truth = Infinity;
      const span = 2 * Math.abs(s[2]) + 1;
      for (let i = 0; i <= 200000; i++) {
        const a = -span + (2 * span * i) / 200000;
        truth = Math.min(truth, Math.max(Math.hypot(s[0], s[1], a), Math.hypot(s[2] - a, s[3]) / 1.5));
      }
      const t = equalShare(st, s);
      const iv = dualNormInterval(st, s, t);
      expect(iv.lower).toBeLessThanOrEqual(truth * (1 + 1e-9));
      expect(iv.upper).toBeGreaterThanOrEqual(truth * (1 - 1e-6));
      expect(iv.upper - iv.lower).toBeLessThanOrEqual(1e-3 * iv.upper);
      expect(defect(st, s, t)).toBeLessThan(1e-12 * (1 + Math.abs(s[2])) * 4);
      expect(maxRatio(st, t)).toBeCloseTo(iv.upper, 12);
    }
  });
});
