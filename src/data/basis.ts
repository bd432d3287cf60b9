/**
 * Basis expansions of one numeric variable, computed exactly as R does so that designs (and
 * fitted coefficients) agree with R's `poly`, `bs` and `ns`:
 *
 * - orthogonal polynomials `poly(x, d)` with the three-term recurrence coefficients (alpha, norm2)
 *   kept for new data (`predict.poly`);
 * - B-splines `splines::bs(x, df)` and natural cubic splines `splines::ns(x, df)`, knots at the
 *   type-7 quantiles of the training x, boundary knots at its range, kept for new data.
 */
import { DataError } from '../errors.ts';
import { callerName, checkFiniteArray } from '../util/validate.ts';
import { householderQR, qrQty, qrQy, type CompactQR } from '../linalg/qr.ts';

// ---------------------------------------------------------------------------------------------
// Orthogonal polynomials.

/** Largest polynomial / spline degree accepted (beyond it the basis is numerically meaningless). */
const MAX_DEGREE = 100;
/** Largest spline df accepted (one column per df). */
const MAX_SPLINE_DF = 10_000;

/** What `poly(x, degree)` stores to map new data (R's `attr(, "coefs")`). */
export interface PolyCoefs {
  readonly degree: number;
  /** alpha_1..alpha_d of the recurrence (on the raw scale of x). */
  readonly alpha: Float64Array;
  /** (1, n, ‖P_1‖², …, ‖P_d‖²) before normalization (length d + 2). */
  readonly norm2: Float64Array;
}

/**
 * Orthogonal polynomial basis of degree `degree` on the points x, as R's `poly(x, degree)`:
 * centre x, take the QR of [1, x_c, x_c², …, x_c^d] and keep column k of Q·diag(R) — the part of
 * x_c^k orthogonal to all lower powers — divided by its norm. Columns are orthonormal, orthogonal to
 * the constant, column k has leading coefficient > 0, and they span {x, …, x^d} modulo constants.
 * The recurrence P_{k+1}(x) = (x − α_{k+1}) P_k(x) − (‖P_k‖² / ‖P_{k−1}‖²) P_{k−1}(x) with the
 * stored (α, norm2) maps new points (R's `predict.poly`).
 *
 * @example
 * const { basis } = polyFit(Float64Array.of(1, 2, 3), 2);
 * // basis[0] ≈ [-0.7071, 0, 0.7071]; basis[1] ≈ [0.4082, -0.8165, 0.4082]
 */
export function polyFit(x: Float64Array, degree: number, fn = 'polyFit'): { basis: Float64Array[]; coefs: PolyCoefs } {
  fn = callerName(fn, 'polyFit');
  checkFiniteArray(fn, 'x', x);
  const n = x.length;
  if (!Number.isInteger(degree) || degree < 1 || degree > MAX_DEGREE) throw new DataError(fn, `polynomial degree must be a whole number from 1 to ${MAX_DEGREE}, got ${String(degree)}`);
  if (new Set(x).size <= degree) {
    throw new DataError(fn, `degree ${degree} must be less than the number of unique points (${new Set(x).size})`);
  }
  let xbar = 0;
  for (let i = 0; i < n; i++) xbar += x[i];
  xbar /= n;
  const xc = new Float64Array(n);
  for (let i = 0; i < n; i++) xc[i] = x[i] - xbar;
  const p = degree + 1;
  const A = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    let v = 1;
    for (let k = 0; k < p; k++) {
      A[i + k * n] = v;
      v *= xc[i];
    }
  }
  const f = householderQR(A, n, p);
  const Z: Float64Array[] = [];
  const norm2 = new Float64Array(p + 1);
  norm2[0] = 1;
  const alpha = new Float64Array(degree);
  for (let k = 0; k < p; k++) {
    const z = new Float64Array(n);
    z[k] = f.qr[k + k * n];
    qrQy(f, z);
    let s = 0;
    let sx = 0;
    for (let i = 0; i < n; i++) {
      s += z[i] * z[i];
      sx += xc[i] * z[i] * z[i];
    }
    norm2[k + 1] = s;
    if (k < degree) alpha[k] = sx / s + xbar;
    Z.push(z);
  }
  const basis: Float64Array[] = [];
  for (let k = 1; k < p; k++) {
    const s = Math.sqrt(norm2[k + 1]);
    const z = Z[k];
    for (let i = 0; i < n; i++) z[i] /= s;
    basis.push(z);
  }
  return { basis, coefs: { degree, alpha, norm2 } };
}

/** Orthogonal polynomial basis at new points with stored coefficients (R's `predict(poly(…), x)`). */
export function polyPredict(x: Float64Array, coefs: PolyCoefs): Float64Array[] {
  checkFiniteArray('polyPredict', 'x', x);
  const c = coefs as Partial<PolyCoefs> | null;
  if (c === null || typeof c !== 'object' || !Number.isInteger(c.degree) || !(c.alpha instanceof Float64Array) || !(c.norm2 instanceof Float64Array) ||
    c.alpha.length < c.degree! || c.norm2.length < c.degree! + 2) {
    throw new DataError('polyPredict', 'coefs must be the PolyCoefs that polyFit returned');
  }
  const { degree, alpha, norm2 } = coefs;
  const n = x.length;
  const Z: Float64Array[] = [new Float64Array(n).fill(1)];
  const z1 = new Float64Array(n);
  for (let i = 0; i < n; i++) z1[i] = x[i] - alpha[0];
  Z.push(z1);
  for (let k = 1; k < degree; k++) {
    const z = new Float64Array(n);
    const r = norm2[k + 1] / norm2[k];
    for (let i = 0; i < n; i++) z[i] = (x[i] - alpha[k]) * Z[k][i] - r * Z[k - 1][i];
    Z.push(z);
  }
  const out: Float64Array[] = [];
  for (let k = 1; k <= degree; k++) {
    const s = Math.sqrt(norm2[k + 1]);
    const z = Z[k];
    for (let i = 0; i < n; i++) z[i] /= s;
    out.push(z);
  }
  return out;
}

/** Raw powers x, x², …, x^d (R's `poly(x, d, raw = TRUE)`). */
export function rawPoly(x: Float64Array, degree: number): Float64Array[] {
  if (!(x instanceof Float64Array)) throw new DataError('rawPoly', `x must be a Float64Array, got ${x === null ? 'null' : typeof x}`);
  // Powers beyond ~100 over- or underflow for any |x| ≠ 1; 1e300 used to loop for ever.
  if (!Number.isInteger(degree) || degree < 1 || degree > 100) throw new DataError('rawPoly', `degree must be a whole number from 1 to 100, got ${degree}`);
  const out: Float64Array[] = [];
  for (let k = 1; k <= degree; k++) out.push(x.map((v) => v ** k));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Splines.

/** Sample quantiles by R's default rule (type 7): linear interpolation between order statistics. */
export function quantile7(x: ArrayLike<number>, probs: readonly number[]): number[] {
  const s = Float64Array.from(x).sort();
  const n = s.length;
  return probs.map((p) => {
    const index = (n - 1) * p; // 0-based
    const lo = Math.floor(index);
    const hi = Math.ceil(index);
    const h = index - lo;
    return h > 0 && s[hi] !== s[lo] ? (1 - h) * s[lo] + h * s[hi] : s[lo];
  });
}

/**
 * Values (or derivatives of order `deriv`) of the B-spline basis of order `ord` (degree ord − 1)
 * with knot sequence `knots` at one point x: `out[j]` = D^deriv B_j(x), j = 0 … knots.length − ord − 1
 * (R's `splines::splineDesign`). Points outside [knots[ord−1], knots[nb]] use the polynomial piece
 * of the nearest end interval, so the basis extends smoothly (R's `outer.ok = TRUE`), and the
 * right end point belongs to the last interval.
 */
export function splineBasisAt(knots: Float64Array, ord: number, x: number, deriv: number, out: Float64Array): void {
  // O(1) checks only: this runs once per row inside splinePredict.
  const fn = 'splineBasisAt';
  if (!(knots instanceof Float64Array)) throw new DataError(fn, 'knots must be a Float64Array (the allKnots of a SplineBasis)');
  if (!Number.isInteger(ord) || ord < 1 || ord > MAX_DEGREE + 1) throw new DataError(fn, `ord must be a whole number from 1 to ${MAX_DEGREE + 1}, got ${String(ord)}`);
  if (knots.length < 2 * ord) throw new DataError(fn, `knots has ${knots.length} entries; order ${ord} needs at least ${2 * ord}`);
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new DataError(fn, `x must be a finite number, got ${String(x)}`);
  if (!Number.isInteger(deriv) || deriv < 0) throw new DataError(fn, `deriv must be a whole number ≥ 0, got ${String(deriv)}`);
  if (!(out instanceof Float64Array) || out.length < knots.length - ord) throw new DataError(fn, `out must be a Float64Array of length ≥ ${knots.length - ord}`);
  const nb = knots.length - ord;
  out.fill(0);
  if (deriv >= ord) return;
  // Interval i with knots[i] ≤ x < knots[i+1], ord−1 ≤ i ≤ nb−1 (clamped at both ends).
  let i = ord - 1;
  while (i < nb - 1 && x >= knots[i + 1]) i++;
  // Order-1..(ord−deriv) values by the Cox–de Boor triangle: vals[r] = B_{i−m+1+r, m}(x).
  const m0 = ord - deriv;
  let vals = new Float64Array(ord);
  vals[0] = 1;
  for (let m = 2; m <= m0; m++) {
    const next = new Float64Array(ord);
    for (let r = 0; r < m; r++) {
      const j = i - m + 1 + r;
      let v = 0;
      if (r > 0) {
        const d = knots[j + m - 1] - knots[j];
        if (d > 0) v += ((x - knots[j]) / d) * vals[r - 1];
      }
      if (r < m - 1) {
        const d = knots[j + m] - knots[j + 1];
        if (d > 0) v += ((knots[j + m] - x) / d) * vals[r];
      }
      next[r] = v;
    }
    vals = next;
  }
  // Derivative steps: D B_{j,m} = (m−1) [B_{j,m−1}/(t_{j+m−1} − t_j) − B_{j+1,m−1}/(t_{j+m} − t_{j+1})].
  for (let m = m0 + 1; m <= ord; m++) {
    const next = new Float64Array(ord);
    for (let r = 0; r < m; r++) {
      const j = i - m + 1 + r;
      let v = 0;
      if (r > 0) {
        const d = knots[j + m - 1] - knots[j];
        if (d > 0) v += vals[r - 1] / d;
      }
      if (r < m - 1) {
        const d = knots[j + m] - knots[j + 1];
        if (d > 0) v -= vals[r] / d;
      }
      next[r] = (m - 1) * v;
    }
    vals = next;
  }
  for (let r = 0; r < ord; r++) {
    const j = i - ord + 1 + r;
    if (j >= 0 && j < nb) out[j] = vals[r];
  }
}

/** What a spline expansion stores to map new data. */
export interface SplineBasis {
  readonly kind: 'bs' | 'ns';
  readonly degree: number;
  /** Interior knots. */
  readonly knots: Float64Array;
  readonly boundary: readonly [number, number];
  /** Full knot sequence (boundary knots repeated ord times). */
  readonly allKnots: Float64Array;
  /** ns only: the QR of the boundary second-derivative constraints (R's `qr(t(const))`). */
  readonly constraintQR?: CompactQR;
}

function knotSequence(boundary: readonly [number, number], inner: readonly number[], ord: number): Float64Array {
  const k = [...Array(ord).fill(boundary[0]), ...inner, ...Array(ord).fill(boundary[1])];
  return Float64Array.from(k).sort();
}

function checkSplineInput(x: Float64Array, fn: string): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi > lo)) throw new DataError(fn, 'a spline expansion needs at least two distinct values');
  return [lo, hi];
}

/**
 * B-spline basis with `df` columns and no intercept column, as R's `splines::bs(x, df, degree)`:
 * df − degree interior knots at the type-7 quantiles of x (equally spaced probabilities), boundary
 * knots at range(x), and the first basis function dropped (it is spanned by the intercept and the
 * others). Together with a constant, the columns span the cubic splines with those knots.
 */
export function bsFit(x: Float64Array, df: number, degree = 3, fn = 'bsFit'): { basis: Float64Array[]; spline: SplineBasis } {
  fn = callerName(fn, 'bsFit');
  checkFiniteArray(fn, 'x', x);
  if (!Number.isInteger(degree) || degree < 1 || degree > MAX_DEGREE) throw new DataError(fn, `degree must be a whole number from 1 to ${MAX_DEGREE}, got ${String(degree)}`);
  if (typeof df !== 'number' || df > MAX_SPLINE_DF) throw new DataError(fn, `df must be a whole number up to ${MAX_SPLINE_DF}, got ${String(df)}`);
  if (!Number.isInteger(df) || df < degree) throw new DataError(fn, `bs needs df ≥ degree (${degree}), got ${df}`);
  const boundary = checkSplineInput(x, fn);
  const nIn = df - degree;
  const probs = Array.from({ length: nIn }, (_, k) => (k + 1) / (nIn + 1));
  const inner = quantile7(x, probs);
  const spline: SplineBasis = { kind: 'bs', degree, knots: Float64Array.from(inner), boundary, allKnots: knotSequence(boundary, inner, degree + 1) };
  return { basis: splinePredict(x, spline), spline };
}

/**
 * Natural cubic spline basis with `df` columns and no intercept column, as R's
 * `splines::ns(x, df)`: df − 1 interior knots at the type-7 quantiles of x, boundary knots at
 * range(x); the cubic B-spline basis (first function dropped) is projected by Qᵀ onto the
 * complement of the two constraints "second derivative = 0 at each boundary knot", with Q from the
 * Householder QR of the constraint matrix (as R does). Beyond the boundary knots the basis is
 * linear.
 */
export function nsFit(x: Float64Array, df: number, fn = 'nsFit'): { basis: Float64Array[]; spline: SplineBasis } {
  fn = callerName(fn, 'nsFit');
  checkFiniteArray(fn, 'x', x);
  if (typeof df !== 'number' || df > MAX_SPLINE_DF) throw new DataError(fn, `df must be a whole number up to ${MAX_SPLINE_DF}, got ${String(df)}`);
  if (!Number.isInteger(df) || df < 1) throw new DataError(fn, `ns needs df ≥ 1, got ${df}`);
  const boundary = checkSplineInput(x, fn);
  const nIn = df - 1;
  const probs = Array.from({ length: nIn }, (_, k) => (k + 1) / (nIn + 1));
  const inner = quantile7(x, probs);
  const allKnots = knotSequence(boundary, inner, 4);
  const nb = allKnots.length - 4;
  // const = second derivatives at both boundaries, first column dropped: a (nb−1) × 2 matrix tᵀ.
  const q = nb - 1;
  const C = new Float64Array(q * 2);
  const row = new Float64Array(nb);
  for (let s = 0; s < 2; s++) {
    splineBasisAt(allKnots, 4, boundary[s], 2, row);
    for (let j = 1; j < nb; j++) C[j - 1 + s * q] = row[j];
  }
  const constraintQR = householderQR(C, q, 2);
  const spline: SplineBasis = { kind: 'ns', degree: 3, knots: Float64Array.from(inner), boundary, allKnots, constraintQR };
  return { basis: splinePredict(x, spline), spline };
}

/** Spline basis columns at (new) points with a stored basis (R's `predict.bs` / `predict.ns`). */
export function splinePredict(x: Float64Array, spline: SplineBasis): Float64Array[] {
  checkFiniteArray('splinePredict', 'x', x);
  const s = spline as Partial<SplineBasis> | null;
  if (s === null || typeof s !== 'object' || (s.kind !== 'bs' && s.kind !== 'ns') || !Number.isInteger(s.degree) || !(s.allKnots instanceof Float64Array) ||
    !Array.isArray(s.boundary) && !(s.boundary as unknown instanceof Float64Array)) {
    throw new DataError('splinePredict', 'spline must be the SplineBasis that bsFit or nsFit returned');
  }
  const ord = spline.degree + 1;
  const K = spline.allKnots;
  const nb = K.length - ord;
  const n = x.length;
  const [b0, b1] = spline.boundary;
  const row = new Float64Array(nb);
  const d1 = new Float64Array(nb);
  const ncol = spline.kind === 'bs' ? nb - 1 : nb - 3;
  const out: Float64Array[] = Array.from({ length: ncol }, () => new Float64Array(n));
  const tmp = new Float64Array(nb - 1);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    if (spline.kind === 'ns' && (xi < b0 || xi > b1)) {
      // Linear beyond the boundary: value + slope at the boundary knot (R's ns).
      const piv = xi < b0 ? b0 : b1;
      splineBasisAt(K, ord, piv, 0, row);
      splineBasisAt(K, ord, piv, 1, d1);
      for (let j = 0; j < nb; j++) row[j] += (xi - piv) * d1[j];
    } else {
      splineBasisAt(K, ord, xi, 0, row);
    }
    if (spline.kind === 'bs') {
      for (let j = 1; j < nb; j++) out[j - 1][i] = row[j];
    } else {
      for (let j = 1; j < nb; j++) tmp[j - 1] = row[j];
      qrQty(spline.constraintQR!, tmp);
      for (let j = 0; j < ncol; j++) out[j][i] = tmp[j + 2];
    }
  }
  return out;
}
