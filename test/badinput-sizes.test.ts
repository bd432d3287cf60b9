/**
 * Sizes far beyond any real input used to hang or exhaust memory (makeFolds(1e9, …) allocated
 * gigabytes; the block kernels looped over a length the arrays do not have). Each must be refused
 * at once with an error that names the function and the size.
 */
import { describe, expect, it } from 'vitest';
import { GroupSparseError } from '../src/errors.ts';
import { expandForTasks, makeFolds, makeGroups } from '../src/index.ts';
import { axpy, dot, groupSoftThresholdBlock, nrm2, softThresholdBlock } from '../src/extend.ts';

function refusal(f: () => unknown): GroupSparseError {
  const t0 = performance.now();
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  // Refused before any allocation or loop of that size, not after it.
  expect(performance.now() - t0).toBeLessThan(200);
  expect(err).toBeInstanceOf(GroupSparseError);
  return err as GroupSparseError;
}

describe('huge sizes are refused at once', () => {
  it('makeFolds(1e9, 5) names the row limit', () => {
    const e = refusal(() => makeFolds(1e9, 5));
    expect(e.fn).toBe('makeFolds');
    expect(e.message).toMatch(/^makeFolds: n is 1000000000, above the limit 67108864/);
  });
  it('makeFolds at the limit boundary still works for ordinary n', () => {
    const f = makeFolds(10, 5, 3);
    // Round-robin dealing: every fold gets exactly two of the ten rows.
    const counts = [0, 0, 0, 0, 0];
    for (const k of f) counts[k]++;
    expect(counts).toEqual([2, 2, 2, 2, 2]);
  });
  it('groupSoftThresholdBlock(1e9, 1e9, 1e9) and a length past the array are refused', () => {
    expect(refusal(() => groupSoftThresholdBlock(1e9 as unknown as Float64Array, 1e9, 1e9)).message).toMatch(/^groupSoftThresholdBlock: v must be a Float64Array/);
    expect(refusal(() => groupSoftThresholdBlock(new Float64Array(4), 1e9, 1)).message).toMatch(/^groupSoftThresholdBlock: v\[0\.\.1000000000\) runs past its length 4/);
    expect(refusal(() => groupSoftThresholdBlock(new Float64Array(4), 2, 1, 3)).message).toMatch(/v\[3\.\.5\) runs past its length 4/);
    expect(refusal(() => softThresholdBlock(new Float64Array(4), 1e9, 1)).fn).toBe('softThresholdBlock');
  });
  it('the BLAS wrappers check n and offsets against the arrays', () => {
    const x = new Float64Array([1, 2, 3]);
    const y = new Float64Array([4, 5, 6]);
    expect(refusal(() => dot(1e9, x, 0, y, 0)).message).toMatch(/^dot: x\[0\.\.1000000000\) runs past its length 3/);
    expect(refusal(() => axpy(2, 1, x, 0, y, 2)).message).toMatch(/^axpy: y\[2\.\.4\) runs past its length 3/);
    expect(refusal(() => nrm2(-1, x)).message).toMatch(/^nrm2: n must be a whole number ≥ 0, got -1/);
    // In range they agree with the sums written out.
    expect(dot(3, x, 0, y, 0)).toBe(1 * 4 + 2 * 5 + 3 * 6);
    expect(dot(2, x, 1, y, 1)).toBe(2 * 5 + 3 * 6);
    expect(nrm2(2, x, 1)).toBeCloseTo(Math.sqrt(13), 15);
    axpy(2, 10, x, 0, y, 1);
    expect(Array.from(y)).toEqual([4, 15, 26]);
  });
  it('groupSoftThresholdBlock in range shrinks the block by t along its direction', () => {
    const v = new Float64Array([9, 3, 4, 9]);
    expect(groupSoftThresholdBlock(v, 2, 2, 1)).toBeCloseTo(3, 15); // ‖(3, 4)‖ = 5, minus t = 2
    expect([v[0], v[3]]).toEqual([9, 9]); // outside the block: untouched
    expect(v[1]).toBeCloseTo(1.8, 15);
    expect(v[2]).toBeCloseTo(2.4, 15);
  });
  it('expandForTasks refuses a task count whose index arrays could not be allocated', () => {
    const gs = makeGroups([[0, 1], [2]], 3);
    const e = refusal(() => expandForTasks(gs, 1e9));
    expect(e.fn).toBe('expandForTasks');
    expect(e.message).toMatch(/below 2\^31, got 1000000000/);
    expect(expandForTasks(gs, 2).nFeatures).toBe(6);
  });
});
