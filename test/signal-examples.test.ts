import { describe, expect, it } from 'vitest';
import { signal } from '../src/index.ts';

/** The @example lines of the signal module's doc comments, run as written. */
describe('signal doc examples hold', () => {
  it('operators', () => {
    const y6 = new Float64Array(6);
    signal.partialFourier(8, [0, 1, 3]).apply(Float64Array.of(1, 1, 1, 1, 1, 1, 1, 1), y6);
    expect(y6[0]).toBeCloseTo(Math.sqrt(8), 14);
    expect(Math.max(...y6.slice(1).map(Math.abs))).toBeLessThan(1e-14);
    const y1 = new Float64Array(1);
    signal.partialDCT(4, [0]).apply(Float64Array.of(1, 1, 1, 1), y1);
    expect(y1[0]).toBeCloseTo(2, 14);
    const y4 = new Float64Array(4);
    signal.convolution([1, 1], 4).apply(Float64Array.of(1, 0, 0, 0), y4);
    expect(Array.from(y4).map((v) => Math.round(v * 1e12) / 1e12)).toEqual([1, 1, 0, 0]);
    expect(signal.normSquared(signal.partialDCT(64, { m: 16, seed: 1 }))).toBe(1);
    expect(signal.normSquared(signal.scaled(signal.partialDCT(64, { m: 16 }), 2))).toBe(4);
    const G = signal.gaussian(32, 128, { seed: 1 });
    expect([G.rows, G.cols]).toEqual([32, 128]);
    const AB = signal.compose(signal.partialDCT(64, { m: 16 }), signal.convolution([1, -1], 64));
    expect([AB.rows, AB.cols]).toEqual([16, 64]);
    const At = signal.adjoint(signal.partialDCT(64, { m: 16 }));
    expect([At.rows, At.cols]).toEqual([64, 16]);
    const B = signal.blockDiagonal(signal.partialDCT(64, { m: 16 }), 3);
    expect([B.rows, B.cols]).toEqual([48, 192]);
    const AS = signal.restrictColumns(signal.partialDCT(64, { m: 16 }), [3, 4, 5]);
    expect([AS.rows, AS.cols]).toEqual([16, 3]);
    const { x, blocks } = signal.randomBlockSparse(64, 4, 3, 1);
    expect(blocks).toHaveLength(3);
    expect(x.filter((v) => v !== 0)).toHaveLength(12);
  });

  it('problems', () => {
    const A = signal.partialFourier(256, { m: 60, seed: 1 });
    const { x, blocks } = signal.randomBlockSparse(256, 8, 3, 11);
    const y = new Float64Array(A.rows);
    A.apply(x, y);
    const res = signal.blockSparseRecovery(A, y, { blockSize: 8 });
    expect(res.activeGroups).toEqual(blocks);
    expect(Math.max(...res.x.map((v, i) => Math.abs(v - x[i])))).toBeLessThan(1e-10);

    const C = signal.partialFourier(200, { m: 60, seed: 8 }, { complex: true });
    const z = new Float64Array(400);
    z[7] = 1;
    z[200 + 7] = -2;
    const yc = new Float64Array(120);
    C.apply(z, yc);
    expect(signal.complexSparseRecovery(C, yc).activeGroups).toEqual([7]);

    const table = signal.formatPhaseTable(signal.phaseTransition({ n: 64, blockSize: 8, deltas: [0.5], sparsityRatios: [0.25], trials: 2 }));
    expect(table.split('\n')).toHaveLength(2);
    expect(table.split('\n')[1]).toMatch(/^\s+0\.50\s+\d\.\d\d\/\d\.\d\d$/);
  });
});
