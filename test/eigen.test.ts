import { describe, expect, it } from 'vitest';
import { largestEigenvalueSpd } from '../src/linalg/eigen.ts';
import { Random } from '../src/util/random.ts';

/** Q diag(lam) Qᵀ with Q orthogonal (Gram–Schmidt of a Gaussian matrix): eigenvalues known exactly. */
function withSpectrum(r: Random, lam: number[]): Float64Array {
  const m = lam.length;
  const Q: number[][] = [];
  for (let a = 0; a < m; a++) {
    const v = Array.from({ length: m }, () => r.normal());
    for (const q of Q) {
      const d = v.reduce((s, x, i) => s + x * q[i], 0);
      for (let i = 0; i < m; i++) v[i] -= d * q[i];
    }
    const nv = Math.hypot(...v);
    Q.push(v.map((x) => x / nv));
  }
  const M = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let k = 0; k < m; k++) s += Q[k][i] * lam[k] * Q[k][j];
    M[i * m + j] = s;
  }
  return M;
}

describe('largestEigenvalueSpd', () => {
  it('bounds the top eigenvalue from above within 1e-6 relative, clustered spectra included', () => {
    const r = new Random(3);
    for (const m of [...Array.from({ length: 24 }, (_, k) => k + 1), 40, 64]) {
      for (const kind of ['spread', 'clustered', 'rank1']) {
        const lam = Array.from({ length: m }, (_, k) =>
          kind === 'spread' ? 1 + 9 * r.uniform() : kind === 'clustered' ? 2 * (1 - 1e-3 * k) : k === 0 ? 5 : 0);
        const top = Math.max(...lam);
        const M = withSpectrum(r, lam);
        const L = largestEigenvalueSpd(M, m);
        expect(L, `m = ${m}, ${kind}`).toBeGreaterThanOrEqual(top * (1 - 1e-14));
        expect(L).toBeLessThanOrEqual(top * (1 + 2e-6));
      }
    }
  });

  it('is 0 for the zero matrix', () => {
    expect(largestEigenvalueSpd(new Float64Array(9), 3)).toBe(0);
    expect(largestEigenvalueSpd(new Float64Array(400), 20)).toBe(0);
  });
});
