import { describe, expect, it } from 'vitest';
import { proxGroupLasso } from '../src/index.ts';

describe('proxGroupLasso textbook case', () => {
  it('v1=(3,4), v2=(1,2), τ=3, unit weights → (1.2,1.6), (0,0)', () => {
    const w = proxGroupLasso([3, 4, 1, 2], [[0, 1], [2, 3]], 3, [1, 1]);
    expect(w[0]).toBeCloseTo(1.2, 14);
    expect(w[1]).toBeCloseTo(1.6, 14);
    expect(w[2]).toBe(0);
    expect(w[3]).toBe(0);
  });
});
