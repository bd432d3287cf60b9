import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Matrix, solve } from 'ml-matrix';
import {
  bsFit, DataError, nsFit, polyFit, polyPredict, rawPoly, Random,
  splineBasisAt, splinePredict,
} from '../src/index.ts';
import { quantile7 } from '../src/data/basis.ts';
import { householderQR, qrQty, qrQy } from '../src/linalg/qr.ts';

const dotp = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** ‖t − Π_span(cols) t‖ / ‖t‖ by least squares (ml-matrix SVD solve, an independent method). */
function relResidual(cols: ArrayLike<number>[], t: ArrayLike<number>): number {
  const n = t.length;
  const A = new Matrix(n, cols.length);
  cols.forEach((c, j) => {
    for (let i = 0; i < n; i++) A.set(i, j, c[i]);
  });
  const b = Matrix.columnVector(Array.from(t));
  const coef = solve(A, b, true);
  const r = A.mmul(coef).sub(b);
  return r.norm() / b.norm();
}

describe('polyFit: R poly(x, d)', () => {
  it("matches R's documented values for x = 1:3 and x = 1:4 (derived by hand)", () => {
    // poly(1:3, 2): centred x = (−1, 0, 1)/√2; x_c² − 2/3 = (1, −2, 1)/3, normalized (1, −2, 1)/√6.
    const a = polyFit(Float64Array.of(1, 2, 3), 2);
    const s2 = Math.SQRT1_2;
    const s6 = 1 / Math.sqrt(6);
    [-s2, 0, s2].forEach((v, i) => expect(a.basis[0][i]).toBeCloseTo(v, 14));
    [s6, -2 * s6, s6].forEach((v, i) => expect(a.basis[1][i]).toBeCloseTo(v, 14));
    // Recurrence coefficients: alpha = (2, 2), norm2 = (1, n = 3, ‖P1‖² = 2, ‖P2‖² = 2/3).
    expect(a.coefs.alpha[0]).toBeCloseTo(2, 14);
    expect(a.coefs.alpha[1]).toBeCloseTo(2, 14);
    [1, 3, 2, 2 / 3].forEach((v, k) => expect(a.coefs.norm2[k]).toBeCloseTo(v, 13));
    // poly(1:4, 3) is contr.poly(4): (−3, −1, 1, 3)/√20, (1, −1, −1, 1)/2, (−1, 3, −3, 1)/√20.
    const b = polyFit(Float64Array.of(1, 2, 3, 4), 3);
    const r20 = Math.sqrt(20);
    const want = [[-3, -1, 1, 3].map((v) => v / r20), [0.5, -0.5, -0.5, 0.5], [-1, 3, -3, 1].map((v) => v / r20)];
    want.forEach((col, k) => col.forEach((v, i) => expect(b.basis[k][i]).toBeCloseTo(v, 14)));
  });

  it('columns are orthonormal, orthogonal to 1, span {x, x², x³} after centring, and predict() reproduces them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 6, max: 60 }), (seed, n) => {
        const rng = new Random(seed);
        const x = Float64Array.from({ length: n }, () => 20 + 30 * rng.uniform());
        const { basis, coefs } = polyFit(x, 3);
        for (let a = 0; a < 3; a++) {
          expect(Math.abs(dotp(basis[a], new Float64Array(n).fill(1)))).toBeLessThan(1e-10);
          for (let b = 0; b < 3; b++) expect(dotp(basis[a], basis[b])).toBeCloseTo(a === b ? 1 : 0, 10);
        }
        const one = new Float64Array(n).fill(1);
        // Same span as the raw powers (with the constant), each column k inside span{1, x, …, x^k}.
        const raw = rawPoly(x, 3);
        for (let k = 0; k < 3; k++) {
          expect(relResidual([one, ...raw.slice(0, k + 1)], basis[k])).toBeLessThan(1e-8);
          expect(relResidual([one, ...basis], raw[k])).toBeLessThan(1e-8);
          // Leading coefficient > 0: the column correlates positively with x^k's new part.
          expect(dotp(basis[k], raw[k])).toBeGreaterThan(0);
        }
        const again = polyPredict(x, coefs);
        for (let k = 0; k < 3; k++) for (let i = 0; i < n; i++) expect(again[k][i]).toBeCloseTo(basis[k][i], 10);
      }),
      { numRuns: 20 },
    );
  });

  it('new points go through the stored recurrence, not a refit (R predict.poly)', () => {
    const { coefs } = polyFit(Float64Array.of(1, 2, 3, 4), 3);
    // contr.poly(4) extended: the degree-1 polynomial is (x − 2.5)/√5, evaluated at x = 5 and 0.
    const z = polyPredict(Float64Array.of(5, 0), coefs);
    expect(z[0][0]).toBeCloseTo(2.5 / Math.sqrt(5), 14);
    expect(z[0][1]).toBeCloseTo(-2.5 / Math.sqrt(5), 14);
    // Degree 2 at x = 5: ((x − 2.5)² − 1.25)/2 = 2.5 (the 1:4 values are ±0.5 for (x−2.5)² − 1.25 = ±1).
    expect(z[1][0]).toBeCloseTo(2.5, 13);
  });

  it('refuses a degree ≥ number of unique points', () => {
    expect(() => polyFit(Float64Array.of(1, 1, 2, 2), 2)).toThrow(DataError);
  });
});

describe('Householder QR in the LINPACK convention', () => {
  it('Q is orthogonal, QᵀA = R upper triangular with R_11 = −sign(a_11)‖a_1‖', () => {
    const rng = new Random(3);
    const n = 7;
    const p = 3;
    const A = Float64Array.from({ length: n * p }, () => rng.normal());
    const f = householderQR(A.slice(), n, p);
    for (let j = 0; j < p; j++) {
      const col = A.slice(j * n, (j + 1) * n);
      qrQty(f, col);
      for (let i = 0; i < n; i++) expect(col[i]).toBeCloseTo(i <= j ? f.qr[i + j * n] : 0, 12);
      qrQy(f, col);
      for (let i = 0; i < n; i++) expect(col[i]).toBeCloseTo(A[i + j * n], 12);
    }
    const a1 = Math.hypot(...A.slice(0, n));
    expect(f.qr[0]).toBeCloseTo(-Math.sign(A[0]) * a1, 12);
  });
});

describe('quantile7 (R quantile type 7)', () => {
  it('matches hand values', () => {
    expect(quantile7([1, 2, 3, 4], [0, 0.5, 1 / 3, 1])).toEqual([1, 2.5, 2, 4]);
    expect(quantile7([10, 1, 7], [0.25])[0]).toBeCloseTo(4, 14);
  });
});

describe('B-splines (R bs) and natural splines (R ns)', () => {
  const rng = new Random(11);
  const x = Float64Array.from({ length: 40 }, () => 10 * rng.uniform());
  const one = new Float64Array(x.length).fill(1);

  it('bs with df = 3 (no interior knot) is the Bernstein basis without its first member', () => {
    const { basis } = bsFit(x, 3);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of x) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    x.forEach((v, i) => {
      const u = (v - lo) / (hi - lo);
      expect(basis[0][i]).toBeCloseTo(3 * u * (1 - u) ** 2, 13);
      expect(basis[1][i]).toBeCloseTo(3 * u * u * (1 - u), 13);
      expect(basis[2][i]).toBeCloseTo(u ** 3, 13);
    });
  });

  it('full B-spline basis is a partition of unity; derivatives match finite differences', () => {
    const { spline } = bsFit(x, 6);
    const K = spline.allKnots;
    const nb = K.length - 4;
    const row = new Float64Array(nb);
    const d = new Float64Array(nb);
    const up = new Float64Array(nb);
    const dn = new Float64Array(nb);
    for (const v of [spline.boundary[0], 1.3, 4.4, 7.7, spline.boundary[1]]) {
      splineBasisAt(K, 4, v, 0, row);
      expect(row.reduce((s, a) => s + a, 0)).toBeCloseTo(1, 14);
      splineBasisAt(K, 4, v, 1, d);
      const h = 1e-6;
      splineBasisAt(K, 4, v + h, 0, up);
      splineBasisAt(K, 4, v - h, 0, dn);
      for (let j = 0; j < nb; j++) expect(d[j]).toBeCloseTo((up[j] - dn[j]) / (2 * h), 5);
    }
  });

  it('span{1, bs(x, 5)} is the cubic splines with knots at the tertiles: it holds x³ and (x − κ)₊³', () => {
    const { basis, spline } = bsFit(x, 5);
    expect(spline.knots.length).toBe(2);
    const q = quantile7(x, [1 / 3, 2 / 3]);
    expect(Array.from(spline.knots)).toEqual(q);
    const cols = [one, ...basis];
    expect(relResidual(cols, x.map((v) => v ** 3))).toBeLessThan(1e-10);
    for (const k of q) expect(relResidual(cols, x.map((v) => Math.max(v - k, 0) ** 3))).toBeLessThan(1e-10);
    // Not a smooth cubic beyond that space: |x − κ| is not a cubic spline.
    expect(relResidual(cols, x.map((v) => Math.abs(v - q[0])))).toBeGreaterThan(1e-3);
  });

  it('span{1, ns(x, 4)} equals the natural cubic splines (ESL truncated-power basis); x² is not in it', () => {
    const { basis, spline } = nsFit(x, 4);
    expect(basis.length).toBe(4);
    // Knots ξ_1 < … < ξ_K including the boundary: d_k(x) = ((x−ξ_k)₊³ − (x−ξ_K)₊³)/(ξ_K − ξ_k).
    const xi = [spline.boundary[0], ...spline.knots, spline.boundary[1]];
    const K = xi.length;
    const dk = (k: number, v: number) => (Math.max(v - xi[k], 0) ** 3 - Math.max(v - xi[K - 1], 0) ** 3) / (xi[K - 1] - xi[k]);
    const esl = [x.slice(), ...Array.from({ length: K - 2 }, (_, k) => x.map((v) => dk(k, v) - dk(K - 2, v)))];
    const cols = [one, ...basis];
    for (const t of esl) expect(relResidual(cols, t)).toBeLessThan(1e-9);
    for (const t of basis) expect(relResidual([one, ...esl], t)).toBeLessThan(1e-9);
    expect(relResidual(cols, x.map((v) => v * v))).toBeGreaterThan(1e-3);
  });

  it('ns is linear beyond the boundary knots; bs continues its end polynomial', () => {
    const { spline } = nsFit(x, 3);
    const [lo, hi] = spline.boundary;
    const pts = Float64Array.of(lo - 3, lo - 2, lo - 1, hi + 1, hi + 2, hi + 3);
    const z = splinePredict(pts, spline);
    for (const c of z) {
      expect(c[1] - c[0]).toBeCloseTo(c[2] - c[1], 12);
      expect(c[4] - c[3]).toBeCloseTo(c[5] - c[4], 12);
    }
    const b = bsFit(x, 3);
    const [blo, bhi] = b.spline.boundary;
    const u = (hi + 1 - blo) / (bhi - blo);
    expect(splinePredict(Float64Array.of(hi + 1), b.spline)[2][0]).toBeCloseTo(u ** 3, 12);
  });

  it("ns(1:10, df = 3) equals R's construction replayed with scipy B-splines and LAPACK QR", () => {
    // Reference rows computed outside this library: scipy.interpolate.BSpline.design_matrix for the
    // cubic basis (knots 4, 7 = type-7 tertiles), second-derivative constraints at 1 and 10, and
    // numpy.linalg.qr(mode='complete') — LAPACK's Householder reflectors equal LINPACK's (same
    // reflection, same sign), so B·Q[:, 2:] is what R's qr.qty step yields.
    const want = [
      [0, 0, 0],
      [-0.07565330213082364, 0.24547842491098945, -0.16365228327399295],
      [-0.0981338642094792, 0.4425497407765857, -0.2950331605177238],
      [-0.014268946183798545, 0.5428068385513956, -0.36187122570093044],
      [0.19747916583026515, 0.5186736136203155, -0.3396095695740376],
      [0.4321080810442742, 0.4258979790893997, -0.23454927001021708],
      [0.5529803825016694, 0.3410588524949918, -0.060705901663327844],
      [0.46014233555605016, 0.32327669703555306, 0.16719825135901398],
      [0.2003749348016491, 0.36183815855801554, 0.4316140671341624],
      [-1 / 7, 3 / 7, 5 / 7],
    ];
    const { basis, spline } = nsFit(Float64Array.from({ length: 10 }, (_, i) => i + 1), 3);
    expect(Array.from(spline.knots)).toEqual([4, 7]);
    want.forEach((row, i) => row.forEach((v, k) => expect(basis[k][i]).toBeCloseTo(v, 14)));
  });

  it('refuses a constant variable and too small df', () => {
    expect(() => bsFit(Float64Array.of(2, 2, 2), 4)).toThrow(/two distinct values/);
    expect(() => bsFit(x, 2)).toThrow(/df ≥ degree/);
    expect(() => nsFit(x, 0)).toThrow(/df ≥ 1/);
  });
});
