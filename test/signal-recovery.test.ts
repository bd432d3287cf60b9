import { describe, expect, it } from 'vitest';
import { DenseMatrix, OptionError, Random, ShapeError, ValueError, signal } from '../src/index.ts';
import type { LinearOperator } from '../src/index.ts';

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, s = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i] - b[i]) ** 2;
    s += b[i] ** 2;
  }
  return Math.sqrt(d / s);
}

function measure(A: LinearOperator, x: Float64Array, sigma = 0, seed = 0): Float64Array {
  const y = new Float64Array(A.rows);
  A.apply(x, y);
  const rng = new Random(seed);
  for (let i = 0; i < y.length; i++) y[i] += sigma * rng.normal();
  return y;
}

/**
 * Optimality of the group lasso (1/(2m))‖y − Aw‖² + λΣ d_g‖w_g‖, checked independently of the
 * solver: g_g = (1/m)A_gᵀ(y − Aw) equals λ d_g w_g/‖w_g‖ on active groups and has ‖g_g‖ ≤ λ d_g on
 * the others. Returns the largest violation relative to λ.
 */
function kktViolation(A: LinearOperator, y: Float64Array, w: Float64Array, groups: number[][], lambda: number): number {
  const r = new Float64Array(A.rows);
  A.apply(w, r);
  for (let i = 0; i < r.length; i++) r[i] = (y[i] - r[i]) / A.rows;
  const g = new Float64Array(A.cols);
  A.applyTranspose(r, g);
  let worst = 0;
  for (const grp of groups) {
    const d = Math.sqrt(grp.length);
    const nw = Math.hypot(...grp.map((j) => w[j]));
    if (nw === 0) {
      worst = Math.max(worst, (Math.hypot(...grp.map((j) => g[j])) - lambda * d) / lambda);
    } else {
      worst = Math.max(worst, Math.hypot(...grp.map((j) => g[j] - (lambda * d * w[j]) / nw)) / lambda);
    }
  }
  return worst;
}

const blocksOf = (n: number, b: number) => Array.from({ length: n / b }, (_, g) => Array.from({ length: b }, (_, q) => g * b + q));

describe('blockSparseRecovery: exact recovery in the noiseless, well-sampled regime', () => {
  const n = 256;
  const cases: [string, () => LinearOperator][] = [
    ['partialFourier', () => signal.partialFourier(n, { m: 60, seed: 1 })],
    ['partialFourier, non-power-of-two n = 240', () => signal.partialFourier(240, { m: 60, seed: 1 })],
    ['partialDCT', () => signal.partialDCT(n, { m: 96, seed: 2 })],
    ['gaussian', () => signal.gaussian(96, n, { seed: 3 })],
    ['convolution then partialDCT', () => signal.compose(signal.partialDCT(n, { m: 110, seed: 4 }), signal.convolution([1, 0.5, 0.25], n))],
  ];
  it.each(cases)('%s: relative error < 1e-6 after debiasing, and the lasso step is certified', (_name, make) => {
    const A = make();
    const { x, blocks } = signal.randomBlockSparse(A.cols, 8, 3, 11);
    const y = measure(A, x);
    const res = signal.blockSparseRecovery(A, y, { blockSize: 8 });
    expect(relErr(res.x, x)).toBeLessThan(1e-6);
    expect(res.activeGroups).toEqual(blocks);
    expect(res.fit.converged).toBe(true);
    expect(res.debias?.converged).toBe(true);
    expect(res.debias?.droppedGroups).toEqual([]);
    expect(res.residualNorm).toBeLessThan(1e-8);
    // The group lasso alone is biased (shrunk by λd_g) — what debiasing removes.
    expect(relErr(res.lassoCoef, x)).toBeGreaterThan(1e-5);
    // Independent optimality check of the lasso step.
    expect(kktViolation(A, y, res.lassoCoef, blocksOf(A.cols, 8), res.lambda)).toBeLessThan(1e-2);
    expect(res.lambda).toBeCloseTo(1e-3 * res.lambdaMax, 15);
  });

  it('debias: false returns the group lasso solution itself', () => {
    const A = signal.partialDCT(128, { m: 50, seed: 5 });
    const { x } = signal.randomBlockSparse(128, 4, 3, 1);
    const res = signal.blockSparseRecovery(A, measure(A, x), { blockSize: 4, debias: false, lambdaRatio: 0.05 });
    expect(res.debias).toBeNull();
    expect(res.x).toBe(res.lassoCoef);
    expect(relErr(res.x, x)).toBeGreaterThan(1e-3);
  });

  it('λ_max is the smallest λ with every group at zero: (1/m) max_g ‖A_gᵀy‖/√p_g', () => {
    const A = signal.partialDCT(64, { m: 30, seed: 9 });
    const { x } = signal.randomBlockSparse(64, 4, 2, 2);
    const y = measure(A, x);
    const g = new Float64Array(64);
    A.applyTranspose(y, g);
    let lmax = 0;
    for (const grp of blocksOf(64, 4)) lmax = Math.max(lmax, Math.hypot(...grp.map((j) => g[j])) / (2 * 30));
    const above = signal.blockSparseRecovery(A, y, { blockSize: 4, lambda: lmax * 1.001, debias: false });
    expect(above.lambdaMax).toBeCloseTo(lmax, 12);
    expect(above.activeGroups).toEqual([]);
    const below = signal.blockSparseRecovery(A, y, { blockSize: 4, lambda: lmax * 0.99, debias: false });
    expect(below.activeGroups.length).toBeGreaterThan(0);
  });
});

describe('zero measurements', () => {
  it('y = 0 gives λ_max = 0 and x = 0', () => {
    const A = signal.partialDCT(64, { m: 20, seed: 1 });
    const res = signal.blockSparseRecovery(A, new Float64Array(20), { blockSize: 4 });
    expect(res.lambdaMax).toBe(0);
    expect(res.activeGroups).toEqual([]);
    expect(res.x.every((v) => v === 0)).toBe(true);
    expect(res.fit.converged).toBe(true);
  });
});

describe('recovery error shrinks with SNR', () => {
  it('block-sparse partial Fourier: error roughly proportional to the noise level', () => {
    const n = 256;
    const A = signal.partialFourier(n, { m: 64, seed: 7 });
    const { x } = signal.randomBlockSparse(n, 8, 3, 3);
    const errs = [1e-2, 1e-3, 1e-4].map((sigma) => {
      const y = measure(A, x, sigma, 5);
      return relErr(signal.blockSparseRecovery(A, y, { blockSize: 8, lambdaRatio: 0.05 }).x, x);
    });
    expect(errs[0]).toBeLessThan(0.2);
    expect(errs[1]).toBeLessThan(errs[0] / 5);
    expect(errs[2]).toBeLessThan(errs[1] / 5);
  });

  it('denoiseMultitone: tones found across channels, error shrinking with SNR', () => {
    const n = 256;
    const T = 4;
    const tones = [5, 17, 40];
    const rng = new Random(3);
    const clean = new DenseMatrix(n, T);
    for (let t = 0; t < T; t++) {
      for (const k of tones) {
        const a = 0.5 + rng.uniform();
        const phi = 2 * Math.PI * rng.uniform();
        for (let j = 0; j < n; j++) clean.data[t * n + j] += a * Math.cos((2 * Math.PI * j * k) / n + phi);
      }
    }
    const errs: number[] = [];
    for (const sigma of [0.5, 0.05, 0.005]) {
      const noisy = clean.clone();
      const nr = new Random(8);
      for (let i = 0; i < noisy.data.length; i++) noisy.data[i] += sigma * nr.normal();
      const res = signal.denoiseMultitone(noisy, { noiseStd: sigma });
      expect(res.frequencies).toEqual(tones);
      errs.push(relErr(res.denoised.data, clean.data));
      // Denoising must beat doing nothing by a wide margin (3 tones × 2 of 2K ≈ n coefficients).
      expect(errs[errs.length - 1]).toBeLessThan(relErr(noisy.data, clean.data) / 4);
    }
    expect(errs[1]).toBeLessThan(errs[0] / 5);
    expect(errs[2]).toBeLessThan(errs[1] / 5);
  });

  it('denoiseMultitone reports amplitudes a of a·cos(2πjk/n + φ)', () => {
    const n = 64;
    const Y = Array.from({ length: n }, (_, j) => [2 * Math.cos((2 * Math.PI * 3 * j) / n + 1), 0.5 * Math.sin((2 * Math.PI * 3 * j) / n)]);
    const res = signal.denoiseMultitone(Y, { lambdaRatio: 0.1 });
    expect(res.frequencies).toEqual([3]);
    expect(res.amplitudes[0][0]).toBeCloseTo(2, 8);
    expect(res.amplitudes[0][1]).toBeCloseTo(0.5, 8);
  });
});

describe('jointSparseRecovery (multiple measurement vectors)', () => {
  it('recovers a row-sparse X exactly, and agrees with the block-diagonal stacking formulation', () => {
    const p = 128;
    const T = 3;
    const A = signal.partialDCT(p, { m: 40, seed: 6 });
    const rng = new Random(4);
    const rowsOn = [3, 50, 51, 90, 127];
    const X = new DenseMatrix(p, T);
    for (const j of rowsOn) for (let t = 0; t < T; t++) X.set(j, t, rng.normal());
    const Y = new DenseMatrix(A.rows, T);
    const col = new Float64Array(A.rows);
    for (let t = 0; t < T; t++) {
      A.apply(X.column(t).slice(), col);
      Y.data.set(col, t * A.rows);
    }
    const res = signal.jointSparseRecovery(A, Y.toRows());
    expect(res.channels).toBe(T);
    expect(res.support).toEqual(rowsOn);
    expect(relErr(res.X.data, X.data)).toBeLessThan(1e-6);
    // Same problem as one vector: I_T ⊗ A over the column-major coefficients, groups {j, p+j, 2p+j}.
    const B = signal.blockDiagonal(A, T);
    const groups = Array.from({ length: p }, (_, j) => [j, p + j, 2 * p + j]);
    // Weights 1 as in the multitask form, where d_g = √(features in g) = 1 whatever T is.
    const stacked = signal.blockSparseRecovery(B, Y.data, { groups, weights: new Float64Array(p).fill(1) });
    expect(stacked.support.filter((c) => c < p)).toEqual(rowsOn);
    expect(relErr(stacked.x, X.data)).toBeLessThan(1e-6);
    // (1/(2mT))‖·‖² vs (1/(2m))‖·‖²: λ_max scales by 1/T and the solutions coincide.
    expect(stacked.lambdaMax * T).toBeCloseTo(res.lambdaMax, 12);
    expect(relErr(stacked.lassoCoef, res.lassoCoef)).toBeLessThan(1e-4);
  });

  it('needs fewer measurements than channel-by-channel recovery (shared support)', () => {
    const p = 64;
    const T = 6;
    const m = 16;
    const A = signal.gaussian(m, p, { seed: 1 });
    const rng = new Random(11);
    const order = Array.from({ length: p }, (_, j) => j);
    rng.shuffle(order);
    const rowsOn = order.slice(0, 7); // 7 nonzeros per channel, 16 measurements
    const X = new DenseMatrix(p, T);
    for (const j of rowsOn) for (let t = 0; t < T; t++) X.set(j, t, rng.normal());
    const Y = new DenseMatrix(m, T);
    const col = new Float64Array(m);
    for (let t = 0; t < T; t++) {
      A.apply(X.column(t).slice(), col);
      Y.data.set(col, t * m);
    }
    const joint = signal.jointSparseRecovery(A, Y);
    expect(relErr(joint.X.data, X.data)).toBeLessThan(1e-6);
    let failures = 0;
    for (let t = 0; t < T; t++) {
      const single = signal.blockSparseRecovery(A, Y.column(t), { blockSize: 1 });
      expect(single.fit.converged).toBe(true); // a failure of the method, not of the solver
      if (relErr(single.x, X.column(t)) > 1e-3) failures++;
    }
    expect(failures).toBeGreaterThanOrEqual(T / 2);
  });
});

describe('complexSparseRecovery', () => {
  it('recovers sparse complex coefficients from partial Fourier samples; (Re, Im) enter together', () => {
    const n = 200; // Bluestein length
    const A = signal.partialFourier(n, { m: 60, seed: 8 }, { complex: true });
    const rng = new Random(5);
    const z = new Float64Array(2 * n);
    const on = [7, 64, 65, 150, 199];
    for (const j of on) {
      z[j] = rng.normal();
      z[n + j] = rng.normal();
    }
    z[n + 64] = 0; // a purely real coefficient is still one complex group
    const res = signal.complexSparseRecovery(A, measure(A, z));
    expect(res.activeGroups).toEqual(on);
    expect(res.support).toEqual([...on, ...on.map((j) => n + j)]);
    expect(relErr(res.x, z)).toBeLessThan(1e-6);
    expect(relErr(res.re, z.slice(0, n))).toBeLessThan(1e-6);
    expect(res.im[64]).toBeCloseTo(0, 9);
  });
});

describe('phaseTransition', () => {
  it('block structure succeeds where the plain lasso fails (n = 128, blocks of 16, m = 40, k = 16)', () => {
    const rows = signal.phaseTransition({ n: 128, blockSize: 16, deltas: [0.3125], sparsityRatios: [0.4], trials: 5, seed: 2 });
    expect(rows).toHaveLength(2);
    const group = rows.find((r) => r.method === 'group')!;
    const lasso = rows.find((r) => r.method === 'lasso')!;
    expect(group).toMatchObject({ delta: 0.3125, sparsityRatio: 0.4, m: 40, k: 16, trials: 5 });
    expect(group.successRate).toBeGreaterThanOrEqual(0.8);
    expect(lasso.successRate).toBeLessThanOrEqual(0.2);
    expect(signal.formatPhaseTable(rows)).toContain('0.31');
  });

  it('easy corner: both succeed with many measurements and one block', () => {
    const rows = signal.phaseTransition({ n: 32, blockSize: 4, deltas: [0.75], sparsityRatios: [0.1], trials: 3, seed: 1 });
    expect(rows.map((r) => r.successRate)).toEqual([1, 1]);
  });
});

describe('recovery input errors', () => {
  const A = signal.partialDCT(32, { m: 12, seed: 1 });
  const y = new Float64Array(12).fill(1);
  it('refuses bad measurements and options', () => {
    expect(() => signal.blockSparseRecovery(A, new Float64Array(11), { blockSize: 4 })).toThrow(ShapeError);
    expect(() => signal.blockSparseRecovery(A, [...y.slice(0, 11), NaN], { blockSize: 4 })).toThrow(ValueError);
    expect(() => signal.blockSparseRecovery(A, y, {})).toThrow(/blockSize or groups/);
    expect(() => signal.blockSparseRecovery(A, y, { blockSize: 4, groups: [[0]] })).toThrow(OptionError);
    expect(() => signal.blockSparseRecovery(A, y, { blockSize: 4, lambda: 1, lambdaRatio: 0.1 })).toThrow(OptionError);
    expect(() => signal.blockSparseRecovery(A, y, { blockSize: 4, lambdaRatio: 2 })).toThrow(ValueError);
    expect(() => signal.blockSparseRecovery(A, y, { blockSize: 40 })).toThrow(ShapeError);
    expect(() => signal.blockSparseRecovery(A, y, { blockSize: 4, lambda: 0 })).toThrow(/> 0/);
    expect(() => signal.blockSparseRecovery(A, y, { blockSize: 4, lamda: 1 } as never)).toThrow(/did you mean 'lambda'/);
    expect(() => signal.complexSparseRecovery(signal.partialDCT(31, [0, 1]), [1, 1])).toThrow(/even number of columns/);
    expect(() => signal.jointSparseRecovery(A, [[1, 2], [3, 4]])).toThrow(ShapeError);
    expect(() => signal.denoiseMultitone([[1], [2], [NaN]], { lambdaRatio: 0.1 })).toThrow(ValueError);
    expect(() => signal.denoiseMultitone([[1], [2]], { lambda: 1, noiseStd: 1 })).toThrow(OptionError);
    expect(() => signal.phaseTransition({ n: 30, blockSize: 4, deltas: [0.5], sparsityRatios: [0.2] })).toThrow(/multiple of blockSize/);
    expect(() => signal.phaseTransition({ n: 32, blockSize: 4, deltas: [1.5], sparsityRatios: [0.2] })).toThrow(ValueError);
    expect(() => signal.randomBlockSparse(32, 4, 9)).toThrow(ValueError);
  });
});
