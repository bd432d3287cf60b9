/**
 * Spline bases as piecewise polynomials, so that an engine can evaluate them with CASE and
 * Horner's rule. Each piece's coefficients are the Taylor coefficients D^d f(a⁺)/d! of the basis
 * function at the piece's left break a, taken from the same Cox–de Boor recursion that
 * `splinePredict` evaluates (so both agree to rounding), including R's end rules: a B-spline basis
 * continues the end pieces' polynomials beyond the boundary knots, a natural spline continues
 * linearly.
 */
import { splineBasisAt, type SplineBasis } from '../data/basis.ts';
import { qrQty } from '../linalg/qr.ts';
import { num } from './sql.ts';

/** One design column of a spline basis as pieces. */
export interface SplinePieces {
  /** Breaks u_0 = b0 < u_1 < … < u_m = b1. */
  breaks: number[];
  /** Taylor coefficients per piece (degree + 1 each), piece i on [u_i, u_{i+1}). */
  pieces: Float64Array[];
  /** Natural splines only: value and slope at the two boundary knots, for the linear continuation. */
  linear?: { left: [number, number]; right: [number, number] };
}

/** The spline basis columns of `spline` (as many as `splinePredict` returns) as pieces. */
export function splinePieces(spline: SplineBasis): SplinePieces[] {
  const ord = spline.degree + 1;
  const K = spline.allKnots;
  const nb = K.length - ord;
  const [b0, b1] = spline.boundary;
  const breaks = [...new Set(Array.from(K).filter((k) => k >= b0 && k <= b1))].sort((a, b) => a - b);
  // Column j as a combination of B_1 … B_{nb−1}: the identity for bs, rows 2… of Qᵀ for ns.
  const ncol = spline.kind === 'bs' ? nb - 1 : nb - 3;
  const mix: Float64Array[] = [];
  if (spline.kind === 'bs') {
    for (let j = 0; j < ncol; j++) {
      const r = new Float64Array(nb - 1);
      r[j] = 1;
      mix.push(r);
    }
  } else {
    const Qt = Array.from({ length: nb - 1 }, () => new Float64Array(nb - 1));
    for (let k = 0; k < nb - 1; k++) {
      const e = new Float64Array(nb - 1);
      e[k] = 1;
      qrQty(spline.constraintQR!, e);
      for (let r = 0; r < nb - 1; r++) Qt[r][k] = e[r];
    }
    for (let j = 0; j < ncol; j++) mix.push(Qt[j + 2]);
  }
  const row = new Float64Array(nb);
  const at = (x: number, deriv: number): Float64Array => {
    splineBasisAt(K, ord, x, deriv, row);
    const out = new Float64Array(ncol);
    for (let j = 0; j < ncol; j++) {
      let s = 0;
      for (let k = 1; k < nb; k++) s += mix[j][k - 1] * row[k];
      out[j] = s;
    }
    return out;
  };
  const out: SplinePieces[] = Array.from({ length: ncol }, () => ({ breaks, pieces: [] as Float64Array[] }));
  for (let i = 0; i + 1 < breaks.length; i++) {
    const derivs: Float64Array[] = [];
    let fact = 1;
    for (let d = 0; d <= spline.degree; d++) {
      if (d > 0) fact *= d;
      const v = at(breaks[i], d);
      for (let j = 0; j < ncol; j++) v[j] /= fact;
      derivs.push(v);
    }
    for (let j = 0; j < ncol; j++) out[j].pieces.push(Float64Array.from(derivs, (v) => v[j]));
  }
  if (spline.kind === 'ns') {
    const v0 = at(b0, 0), s0 = at(b0, 1), v1 = at(b1, 0), s1 = at(b1, 1);
    for (let j = 0; j < ncol; j++) out[j].linear = { left: [v0[j], s0[j]], right: [v1[j], s1[j]] };
  }
  return out;
}

/** Horner's rule c0 + t(c1 + t(c2 + …)) as SQL, with t = x − a. */
function hornerSql(c: Float64Array, x: string, a: number): string {
  const t = a === 0 ? x : `(${x} - ${num(a)})`;
  let s = num(c[c.length - 1]);
  for (let d = c.length - 2; d >= 0; d--) s = `${num(c[d])} + ${t} * (${s})`;
  return `(${s})`;
}

/** One spline column as a SQL CASE expression in the double-valued expression `x`. */
export function splineSql(p: SplinePieces, x: string): string {
  const { breaks, pieces } = p;
  const m = pieces.length;
  const parts: string[] = [];
  if (p.linear) {
    const { left, right } = p.linear;
    parts.push(`WHEN ${x} < ${num(breaks[0])} THEN ${num(left[0])} + (${x} - ${num(breaks[0])}) * ${num(left[1])}`);
    parts.push(`WHEN ${x} > ${num(breaks[m])} THEN ${num(right[0])} + (${x} - ${num(breaks[m])}) * ${num(right[1])}`);
  }
  for (let i = 0; i < m - 1; i++) parts.push(`WHEN ${x} < ${num(breaks[i + 1])} THEN ${hornerSql(pieces[i], x, breaks[i])}`);
  return `(CASE ${parts.join(' ')} ELSE ${hornerSql(pieces[m - 1], x, breaks[m - 1])} END)`;
}
