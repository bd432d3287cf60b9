import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { proxGroupLasso, proxL1, proxSparseGroup, projectL2Ball } from '../src/index.ts';
import { groupedVectorArb, partitionArb, weightsArb } from './helpers/arbitraries.ts';
import { naiveGroupProx, norm } from './helpers/naive.ts';

const NUM_RUNS = 300;

/** Prox input: a partition, a vector with some groups exactly zero, weights and τ. */
const proxCase = partitionArb().chain((part) =>
  fc.record({
    part: fc.constant(part),
    vec: groupedVectorArb(part),
    weights: weightsArb(part.groups.length),
    tau: fc.double({ min: 0, max: 8, noNaN: true }),
  }),
);

describe('group soft-thresholding', () => {
  it('textbook case: v1=(3,4), v2=(1,2), τ=3 → (1.2,1.6), (0,0)', () => {
    const w = proxGroupLasso([3, 4, 1, 2], [[0, 1], [2, 3]], 3, [1, 1]);
    expect(Array.from(w)).toEqual([expect.closeTo(1.2, 14), expect.closeTo(1.6, 14), 0, 0]);
    // default weights √2: τd = 3√2 ≈ 4.24 < 5, so v1 is shrunk by (1 − 3√2/5)
    const w2 = proxGroupLasso([3, 4, 1, 2], [[0, 1], [2, 3]], 3);
    expect(w2[0]).toBeCloseTo(3 * (1 - (3 * Math.SQRT2) / 5), 14);
    expect(w2[2]).toBe(0);
  });

  it('property 1 (optimality, zero groups included): ‖v_g‖ ≤ τd_g ⇔ w_g = 0, else v_g − w_g = τd_g w_g/‖w_g‖', () => {
    fc.assert(
      fc.property(proxCase, ({ part, vec, weights, tau }) => {
        const w = proxGroupLasso(vec.v, part.groups, tau, weights);
        part.groups.forEach((g, k) => {
          const vg = g.map((j) => vec.v[j]);
          const wg = g.map((j) => w[j]);
          const t = tau * weights[k];
          const nv = norm(vg);
          const nw = norm(wg);
          if (vec.zeroed[k]) expect(nw).toBe(0); // the zero-group case: zero in, zero out
          if (nv <= t) {
            expect(nw).toBe(0);
          } else {
            expect(nw).toBeGreaterThan(0);
            g.forEach((_, q) => expect(vg[q] - wg[q]).toBeCloseTo((t * wg[q]) / nw, 10));
          }
        });
        // and it equals the formula written independently
        const ref = naiveGroupProx(vec.v, part.groups, tau, weights);
        ref.forEach((r, j) => expect(w[j]).toBeCloseTo(r, 12));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('property 2a (Moreau): prox_{τΩ}(v) + τ·Π_{B*}(v/τ) = v, B* = {z : ‖z_g‖ ≤ d_g} the dual-norm ball', () => {
    fc.assert(
      fc.property(proxCase, ({ part, vec, weights, tau }) => {
        fc.pre(tau > 1e-3);
        const w = proxGroupLasso(vec.v, part.groups, tau, weights);
        const proj = new Array<number>(part.p).fill(0);
        part.groups.forEach((g, k) => {
          const z = g.map((j) => vec.v[j] / tau);
          const nz = norm(z);
          const s = nz > weights[k] ? weights[k] / nz : 1;
          g.forEach((j, q) => (proj[j] = z[q] * s));
        });
        vec.v.forEach((vj, j) => expect(w[j] + tau * proj[j]).toBeCloseTo(vj, 10));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('property 2b (firm non-expansiveness): ⟨P(x) − P(y), x − y⟩ ≥ ‖P(x) − P(y)‖²', () => {
    fc.assert(
      fc.property(
        proxCase.chain((c) => fc.record({ c: fc.constant(c), other: groupedVectorArb(c.part) })),
        ({ c, other }) => {
          const px = proxGroupLasso(c.vec.v, c.part.groups, c.tau, c.weights);
          const py = proxGroupLasso(other.v, c.part.groups, c.tau, c.weights);
          let inner = 0;
          let sq = 0;
          for (let j = 0; j < c.part.p; j++) {
            const d = px[j] - py[j];
            inner += d * (c.vec.v[j] - other.v[j]);
            sq += d * d;
          }
          expect(inner).toBeGreaterThanOrEqual(sq - 1e-9 * (1 + sq));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('property 3a: size-1 groups reduce to soft-thresholding', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 12 }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (v, tau) => {
          const singletons = v.map((_, j) => [j]);
          const w = proxGroupLasso(v, singletons, tau); // default d_g = √1 = 1
          const s = proxL1(v, tau);
          v.forEach((vj, j) => {
            const ref = Math.sign(vj) * Math.max(Math.abs(vj) - tau, 0);
            expect(w[j]).toBeCloseTo(ref, 12);
            expect(s[j]).toBeCloseTo(ref, 12);
          });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('property 3b: permuting groups (and coordinates) commutes with the prox', () => {
    fc.assert(
      fc.property(proxCase, fc.integer({ min: 0, max: 1000 }), ({ part, vec, weights, tau }, seed) => {
        const k = part.groups.length;
        const order = [...Array(k).keys()].sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101));
        const w = proxGroupLasso(vec.v, part.groups, tau, weights);
        const w2 = proxGroupLasso(vec.v, order.map((g) => part.groups[g]), tau, order.map((g) => weights[g]));
        for (let j = 0; j < part.p; j++) expect(w2[j]).toBe(w[j]);
        // coordinate permutation π: prox(v∘π) = prox(v)∘π
        const pi = [...Array(part.p).keys()].reverse();
        const vp = pi.map((j) => vec.v[j]);
        const inv = new Array<number>(part.p);
        pi.forEach((j, q) => (inv[j] = q));
        const gp = part.groups.map((g) => g.map((j) => inv[j]));
        const wp = proxGroupLasso(vp, gp, tau, weights);
        pi.forEach((j, q) => expect(wp[q]).toBeCloseTo(w[j], 14));
      }),
      { numRuns: 100 },
    );
  });

  it('property 7: inputs are never mutated', () => {
    const v = [3, 4, 1, 2];
    const groups = [[0, 1], [2, 3]];
    const weights = [1, 1];
    const copy = JSON.stringify({ v, groups, weights });
    proxGroupLasso(v, groups, 3, weights);
    proxSparseGroup(v, groups, 1, 0.5, weights);
    proxL1(v, 1);
    projectL2Ball(v, 1);
    const fv = Float64Array.from(v);
    proxGroupLasso(fv, groups, 3, weights);
    expect(JSON.stringify({ v, groups, weights })).toBe(copy);
    expect(Array.from(fv)).toEqual(v);
  });

  it('coordinates in no group pass through unchanged (unpenalized)', () => {
    const w = proxGroupLasso([3, 4, 1, 2, -7], [[0, 1], [2, 3]], 3, [1, 1]);
    expect(w[4]).toBe(-7);
  });

  it('refuses overlapping groups and bad τ', () => {
    expect(() => proxGroupLasso([1, 2, 3], [[0, 1], [1, 2]], 1)).toThrow(/proxGroupLasso: .*overlap/);
    expect(() => proxGroupLasso([1, 2], [[0, 1]], -1)).toThrow(/proxGroupLasso: tau must be ≥ 0/);
    expect(() => proxGroupLasso([1, NaN], [[0, 1]], 1)).toThrow(/proxGroupLasso: v contains a non-finite/);
  });

  it('no overflow: groups with entries near 1e±200', () => {
    const big = proxGroupLasso([3e200, 4e200], [[0, 1]], 1e200, [1]);
    expect(big[0]).toBeCloseTo(2.4e200, -186);
    expect(big[1] / big[0]).toBeCloseTo(4 / 3, 12);
    const tiny = proxGroupLasso([3e-200, 4e-200], [[0, 1]], 1e-200, [1]);
    expect(tiny[0] / 2.4e-200).toBeCloseTo(1, 12);
  });
});

describe('sparse-group prox', () => {
  it('equals soft-thresholding by τα followed by group thresholding by τ(1−α)d_g', () => {
    fc.assert(
      fc.property(proxCase, fc.double({ min: 0, max: 1, noNaN: true }), ({ part, vec, weights, tau }, alpha) => {
        const w = proxSparseGroup(vec.v, part.groups, tau, alpha, weights);
        const soft = vec.v.map((x) => Math.sign(x) * Math.max(Math.abs(x) - tau * alpha, 0));
        const ref = naiveGroupProx(soft, part.groups, tau * (1 - alpha), weights);
        ref.forEach((r, j) => expect(w[j]).toBeCloseTo(r, 12));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('optimality: (v − w)/τ ∈ ∂(α‖·‖₁ + (1−α)Σd_g‖·‖)(w) coordinatewise', () => {
    fc.assert(
      fc.property(proxCase, fc.double({ min: 0.05, max: 0.95, noNaN: true }), ({ part, vec, weights, tau }, alpha) => {
        fc.pre(tau > 1e-3);
        const w = proxSparseGroup(vec.v, part.groups, tau, alpha, weights);
        part.groups.forEach((g, k) => {
          const wg = g.map((j) => w[j]);
          const nw = norm(wg);
          const s = g.map((j) => (vec.v[j] - w[j]) / tau); // must be a subgradient
          if (nw === 0) {
            // s = a + b with |a_j| ≤ α, ‖b‖ ≤ (1−α)d: iff ‖S(s, α)‖ ≤ (1−α)d
            const r = norm(s.map((x) => Math.sign(x) * Math.max(Math.abs(x) - alpha, 0)));
            expect(r).toBeLessThanOrEqual((1 - alpha) * weights[k] + 1e-9);
          } else {
            g.forEach((j, q) => {
              const b = ((1 - alpha) * weights[k] * wg[q]) / nw;
              if (w[j] !== 0) expect(s[q]).toBeCloseTo(alpha * Math.sign(w[j]) + b, 8);
              else expect(Math.abs(s[q])).toBeLessThanOrEqual(alpha + 1e-9);
            });
          }
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('projection onto the L2 ball', () => {
  it('lands on the ball when outside, identity inside, and is the closest point', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (v, r) => {
          const w = projectL2Ball(v, r);
          const nv = norm(v);
          if (nv <= r) expect(Array.from(w)).toEqual(v);
          else {
            expect(norm(w)).toBeCloseTo(r, 10);
            // v − w is parallel to w (normal cone of the ball)
            if (r > 0) v.forEach((vj, j) => expect((vj - w[j]) * nv).toBeCloseTo(vj * (nv - r), 8));
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
