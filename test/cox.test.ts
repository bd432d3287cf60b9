import { describe, expect, it } from 'vitest';
import { CoxLoss, type CoxTies } from '../src/datafits/cox.ts';
import { ValueError } from '../src/errors.ts';
import { mulberry32 } from './helpers/problems.ts';

/** Deterministic uniform generator (mulberry32). */
const rng = mulberry32;

/** Survival data with many ties (times on a coarse grid) and about 30 % censoring. */
function survData(n: number, seed: number, weighted = false) {
  const r = rng(seed);
  const time = new Float64Array(n);
  const status = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    time[i] = 1 + Math.floor(r() * n * 0.4);
    status[i] = r() < 0.7 ? 1 : 0;
    w[i] = weighted ? Math.floor(r() * 4) : 1; // includes zero weights
  }
  status[0] = 1;
  w[0] = Math.max(w[0], 1);
  return { time, status, w };
}

/**
 * Naive O(n²) negative log partial likelihood straight from the definition (weighted Breslow and
 * Efron as in survival::coxph), normalised by Σw — an independent oracle for CoxLoss.value.
 */
function naiveCox(time: Float64Array, status: Float64Array, w: Float64Array, eta: ArrayLike<number>, ties: CoxTies): number {
  const n = time.length;
  let sw = 0;
  for (let i = 0; i < n; i++) sw += w[i];
  const wn = Array.from(w, (v) => (v * n) / sw);
  const times = [...new Set(Array.from(time))].sort((a, b) => a - b);
  let L = 0;
  for (const t of times) {
    const deaths: number[] = [];
    let risk = 0;
    for (let j = 0; j < n; j++) {
      if (time[j] >= t) risk += wn[j] * Math.exp(eta[j]);
      if (time[j] === t && status[j] === 1 && wn[j] > 0) deaths.push(j);
    }
    if (deaths.length === 0) continue;
    let W = 0;
    let SD = 0;
    for (const i of deaths) {
      W += wn[i];
      SD += wn[i] * Math.exp(eta[i]);
      L -= wn[i] * eta[i];
    }
    const d = deaths.length;
    if (ties === 'breslow' || d === 1) L += W * Math.log(risk);
    else for (let r = 0; r < d; r++) L += (W / d) * Math.log(risk - (r / d) * SD);
  }
  return L / n;
}

function randomEta(n: number, seed: number, scale = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => scale * (2 * r() - 1));
}

describe('CoxLoss value against the naive O(n²) definition', () => {
  for (const ties of ['breslow', 'efron'] as const) {
    for (const weighted of [false, true]) {
      it(`${ties}, ${weighted ? 'weighted with zero weights' : 'unweighted'}, with ties and censoring`, () => {
        const { time, status, w } = survData(60, 3, weighted);
        const f = new CoxLoss(time, status, { ties, sampleWeight: weighted ? w : undefined });
        for (let s = 0; s < 4; s++) {
          const eta = randomEta(60, 10 + s, 2);
          const ref = naiveCox(time, status, w, eta, ties);
          expect(f.value(eta)).toBeCloseTo(ref, 12);
          const g = new Float64Array(60);
          expect(f.valueGrad(eta, g)).toBeCloseTo(ref, 12);
        }
      });
    }
  }

  it('Efron differs from Breslow only when event times are tied', () => {
    const time = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const status = Float64Array.from([1, 0, 1, 1, 0, 1]);
    const eta = randomEta(6, 4);
    const b = new CoxLoss(time, status, { ties: 'breslow' }).value(eta);
    const e = new CoxLoss(time, status, { ties: 'efron' }).value(eta);
    expect(e).toBeCloseTo(b, 14);
    const tied = Float64Array.from([1, 2, 2, 2, 5, 6]);
    const status2 = Float64Array.from([1, 1, 1, 0, 0, 1]);
    const b2 = new CoxLoss(tied, status2, { ties: 'breslow' }).value(eta);
    const e2 = new CoxLoss(tied, status2, { ties: 'efron' }).value(eta);
    expect(Math.abs(b2 - e2)).toBeGreaterThan(1e-3);
    // Efron's risk sets are smaller for the later tied deaths: its loss is the smaller one.
    expect(e2).toBeLessThan(b2);
  });

  it('stays finite and shift-invariant where e^η overflows', () => {
    const { time, status } = survData(40, 5);
    const f = new CoxLoss(time, status, { ties: 'efron' });
    const eta = randomEta(40, 6, 3);
    const v0 = f.value(eta);
    const shifted = eta.map((e) => e + 800); // e^{800} = Infinity in double precision
    const g0 = new Float64Array(40);
    const g1 = new Float64Array(40);
    f.valueGrad(eta, g0);
    expect(f.valueGrad(shifted, g1)).toBeCloseTo(v0, 10);
    for (let i = 0; i < 40; i++) expect(g1[i]).toBeCloseTo(g0[i], 12);
    // A spread of 1500 between rows: some risk sets sum terms e^{−750}, which underflow.
    const wide = eta.map((e, i) => (i % 2 ? 750 : -750) + e);
    expect(Number.isFinite(f.value(wide))).toBe(true);
    expect(f.value(wide)).toBeGreaterThan(0);
  });
});

describe('CoxLoss derivatives', () => {
  for (const ties of ['breslow', 'efron'] as const) {
    it(`gradient by central finite differences (${ties}, weighted)`, () => {
      const n = 30;
      const { time, status, w } = survData(n, 7, true);
      const f = new CoxLoss(time, status, { ties, sampleWeight: w });
      const eta = randomEta(n, 8);
      const g = new Float64Array(n);
      f.valueGrad(eta, g);
      const h = 1e-6;
      for (let i = 0; i < n; i++) {
        const a = eta.slice();
        const b = eta.slice();
        a[i] += h;
        b[i] -= h;
        expect(g[i]).toBeCloseTo((f.value(a) - f.value(b)) / (2 * h), 8);
      }
      // The gradient sums to 0: F is invariant to a common shift of η.
      expect(Math.abs(g.reduce((s, v) => s + v, 0))).toBeLessThan(1e-14);
    });

    it(`Hessian-vector products by finite differences of the gradient, diagonal included (${ties})`, () => {
      const n = 25;
      const { time, status, w } = survData(n, 9, true);
      const f = new CoxLoss(time, status, { ties, sampleWeight: w });
      const eta = randomEta(n, 10);
      const v = randomEta(n, 11);
      const hv = new Float64Array(n);
      f.hessianVec(eta, v, hv);
      const h = 1e-5;
      const gp = new Float64Array(n);
      const gm = new Float64Array(n);
      f.valueGrad(eta.map((e, i) => e + h * v[i]), gp);
      f.valueGrad(eta.map((e, i) => e - h * v[i]), gm);
      for (let i = 0; i < n; i++) expect(hv[i]).toBeCloseTo((gp[i] - gm[i]) / (2 * h), 8);
      const diag = new Float64Array(n);
      f.hessianDiag(eta, diag);
      const e = new Float64Array(n);
      const col = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        e.fill(0);
        e[i] = 1;
        f.hessianVec(eta, e, col);
        expect(diag[i]).toBeCloseTo(col[i], 13);
      }
    });
  }

  it('the curvature bound holds: vᵀ∇²F v ≤ curvatureBound·‖v‖² at random points', () => {
    const n = 40;
    const { time, status, w } = survData(n, 12, true);
    for (const ties of ['breslow', 'efron'] as const) {
      const f = new CoxLoss(time, status, { ties, sampleWeight: w });
      for (let s = 0; s < 20; s++) {
        const eta = randomEta(n, 100 + s, 3);
        const v = randomEta(n, 200 + s);
        const hv = new Float64Array(n);
        f.hessianVec(eta, v, hv);
        let q = 0, vv = 0;
        for (let i = 0; i < n; i++) {
          q += v[i] * hv[i];
          vv += v[i] * v[i];
        }
        expect(q).toBeGreaterThanOrEqual(-1e-15);
        expect(q).toBeLessThanOrEqual(f.curvatureBound * vv * (1 + 1e-12));
      }
    }
  });
});

describe('CoxLoss dual bound', () => {
  for (const ties of ['breslow', 'efron'] as const) {
    it(`Fenchel–Young: F(η') ≥ ⟨u, η'⟩ + D(u) for u = θ∇F(η), with equality at η' = η, θ = 1 (${ties})`, () => {
      const n = 30;
      const { time, status, w } = survData(n, 13, true);
      const f = new CoxLoss(time, status, { ties, sampleWeight: w });
      const eta = randomEta(n, 14);
      const g = new Float64Array(n);
      f.valueGrad(eta, g);
      const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
        let s = 0;
        for (let i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
      };
      // Equality at θ = 1 (term-by-term Fenchel–Young is tight at the gradient).
      expect(f.value(eta)).toBeCloseTo(dot(g, eta) + f.dualValue(g, eta), 12);
      for (const theta of [1, 0.7, 0.2, 0]) {
        const u = g.map((v) => theta * v);
        const D = f.dualValue(u, eta);
        expect(Number.isFinite(D)).toBe(true);
        for (let s = 0; s < 10; s++) {
          const e2 = randomEta(n, 300 + s, 3);
          expect(f.value(e2) - dot(u, e2) - D).toBeGreaterThanOrEqual(-1e-12);
        }
      }
      // A point that is not a multiple of ∇F(η) has no known decomposition: no dual value.
      const other = g.map((v, i) => v + (i === 0 ? 1e-3 : i === 1 ? -1e-3 : 0));
      expect(f.dualValue(other, eta)).toBe(-Infinity);
      expect(f.dualValue(g)).toBe(-Infinity);
    });
  }
});

describe('CoxLoss refuses bad input', () => {
  const t = Float64Array.from([1, 2, 3]);
  const s = Float64Array.from([1, 0, 1]);
  it.each([
    ['time 0', [0, 2, 3], [1, 0, 1], /times must be finite and > 0, got 0/],
    ['negative time', [1, -2, 3], [1, 0, 1], /> 0, got -2/],
    ['NaN time', [1, NaN, 3], [1, 0, 1], /got NaN/],
    ['infinite time', [1, Infinity, 3], [1, 0, 1], /got Infinity/],
    ['status 2', [1, 2, 3], [1, 2, 1], /status must be 1 \(event\) or 0 \(censored\), got 2/],
    ['no events', [1, 2, 3], [0, 0, 0], /no events/],
  ])('%s', (_name, time, status, msg) => {
    expect(() => new CoxLoss(time, status, {}, 'grpsurv')).toThrow(ValueError);
    expect(() => new CoxLoss(time, status, {}, 'grpsurv')).toThrow(msg);
  });
  it('lengths, ties option and weights', () => {
    expect(() => new CoxLoss(t, [1, 0], {}, 'f')).toThrow(/time has 3 entries but status has 2/);
    expect(() => new CoxLoss(t, s, { ties: 'exact' as CoxTies }, 'f')).toThrow(/ties must be 'breslow' or 'efron'/);
    expect(() => new CoxLoss(t, s, { sampleWeight: [1, -1, 1] }, 'f')).toThrow(/sampleWeight must be finite and ≥ 0/);
    expect(() => new CoxLoss(t, s, { sampleWeight: [0, 1, 0] }, 'f')).toThrow(/every event has sample weight 0/);
  });
});
