import { SingularValueDecomposition, Matrix } from 'ml-matrix';
import { ShapeError, ValueError } from '../errors.ts';
import { makeGroups, type GroupSpec, type GroupStructure } from '../groups/groups.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import type { SparseMatrix } from '../linalg/sparse.ts';
import { toDense } from '../linalg/input.ts';
import { checkOptions } from '../util/validate.ts';

/** A linear model's coefficients on the original scale of the design. */
export interface RawCoefficients {
  coef: Float64Array;
  intercept: number;
}

/** Result of {@link standardize}. */
export interface Standardized {
  /** The transformed design X̃ with x̃_ij = (x_ij − m_j) / s_j. */
  X: DenseMatrix;
  /** m_j (0 when `center` is false). */
  means: Float64Array;
  /** s_j (1 when `scale` is false, and for constant columns). */
  scales: Float64Array;
  /** Columns whose standard deviation is 0 (left as centred zeros with s_j = 1). */
  constantColumns: number[];
  /**
   * Map coefficients (w̃, b̃) fitted on X̃ back to the original scale:
   * w_j = w̃_j / s_j, b = b̃ − Σ_j m_j w_j, so that b̃ + X̃ w̃ = b + X w for every row.
   */
  unscale(coef: ArrayLike<number>, intercept?: number): RawCoefficients;
}

/**
 * Standardize the columns of X: x̃_ij = (x_ij − m_j) / s_j with m_j the column mean and
 * s_j = √((1/n) Σ_i (x_ij − m_j)²) (the population standard deviation, as grpreg and glmnet
 * use), so that each column of X̃ has mean 0 and (1/n)‖x̃_j‖² = 1.
 *
 * What it changes: the penalty λ Σ_g d_g ‖w̃_g‖ then acts on coefficients of the standardized
 * columns, so fitting on X̃ and calling `unscale` is a different estimator from fitting on X (it
 * penalizes s_j·w_j instead of w_j). Predictions are unchanged by the back-transform itself.
 * Centring needs a fitted, unpenalized intercept to be harmless.
 *
 * @example
 * const s = standardize([[1, 10], [3, 30]]);
 * // s.means is [2, 20], s.scales is [1, 10]; s.unscale([2, 3], 1) gives coef [2, 0.3], intercept 1 − 4 − 6 = −9
 */
export function standardize(X: unknown, options: { center?: boolean; scale?: boolean } = {}): Standardized {
  const fn = 'standardize';
  checkOptions(fn, options, ['center', 'scale']);
  const A = toDense(X, fn);
  const center = options.center ?? true;
  const doScale = options.scale ?? true;
  const n = A.rows;
  const p = A.cols;
  const out = new DenseMatrix(n, p);
  const means = new Float64Array(p);
  const scales = new Float64Array(p).fill(1);
  const constantColumns: number[] = [];
  for (let j = 0; j < p; j++) {
    const col = A.column(j);
    let m = 0;
    if (center) {
      for (let i = 0; i < n; i++) m += col[i];
      m /= n;
      // Second pass: the mean of the residuals corrects the rounding of the first sum.
      let r = 0;
      for (let i = 0; i < n; i++) r += col[i] - m;
      m += r / n;
    }
    means[j] = m;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (col[i] - m) ** 2;
    let s = Math.sqrt(ss / n);
    // A column equal to its mean (up to rounding) has no scale to divide by.
    let maxAbs = 0;
    for (let i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs(col[i]));
    if (s <= 1e-14 * Math.max(maxAbs, Number.MIN_VALUE)) {
      constantColumns.push(j);
      s = 1;
    }
    if (!doScale) s = 1;
    scales[j] = s;
    const o = j * n;
    for (let i = 0; i < n; i++) out.data[o + i] = (col[i] - m) / s;
  }
  return {
    X: out,
    means,
    scales,
    constantColumns,
    unscale: unscaler('standardize.unscale', means, scales),
  };
}

/** Coefficients (and intercept) fitted on the standardized columns, mapped back to the raw ones. */
function unscaler(fn: string, means: Float64Array, scales: Float64Array): Standardized['unscale'] {
  const p = means.length;
  return (coef: ArrayLike<number>, intercept = 0): RawCoefficients => {
    if (coef.length !== p) throw new ShapeError(fn, `coef has length ${coef.length}, expected ${p}`);
    const w = new Float64Array(p);
    let b = intercept;
    for (let j = 0; j < p; j++) {
      w[j] = coef[j] / scales[j];
      b -= means[j] * w[j];
    }
    return { coef: w, intercept: b };
  };
}

/** Result of {@link standardizeSparse}. */
export interface StandardizedSparse extends Omit<Standardized, 'X'> {
  /** X S⁻¹: the columns scaled, not centred, in the input's CSC pattern. */
  X: SparseMatrix;
  /**
   * The intercept on {@link standardize}'s centred scale from one fitted on the uncentred X S⁻¹:
   * b̃ = b + Σ_j (m_j / s_j) w̃_j, since (X − 1mᵀ)S⁻¹w̃ + b̃ = XS⁻¹w̃ + b.
   */
  centredIntercept(coef: ArrayLike<number>, intercept: number): number;
}

/**
 * {@link standardize}'s column means and scales for a CSC matrix, without centring it: centring a
 * dummy column fills it (one nonzero per row becomes n), while with a fitted, unpenalized
 * intercept the centred and the uncentred scaled designs have the same penalized coefficients —
 * the intercept absorbs 1mᵀS⁻¹w̃, and a dual point orthogonal to 1 sees XᵀS⁻¹ and its centred
 * form alike — so the fit runs on X S⁻¹ in O(nnz) and `centredIntercept` gives standardize's
 * intercept. The means, scales and constant columns are standardize's, summed over the stored
 * entries (the zeros add nothing to the sums; the rounding corrections differ in order only).
 */
export function standardizeSparse(A: SparseMatrix): StandardizedSparse {
  const n = A.rows;
  const p = A.cols;
  const means = new Float64Array(p);
  const scales = new Float64Array(p).fill(1);
  const factors = new Float64Array(p);
  const constantColumns: number[] = [];
  const { colPtr, values } = A;
  for (let j = 0; j < p; j++) {
    const a = colPtr[j], b = colPtr[j + 1];
    const zeros = n - (b - a);
    let m = 0;
    for (let t = a; t < b; t++) m += values[t];
    m /= n;
    let r = -zeros * m;
    for (let t = a; t < b; t++) r += values[t] - m;
    m += r / n;
    means[j] = m;
    let ss = zeros * m * m;
    let maxAbs = 0;
    for (let t = a; t < b; t++) {
      ss += (values[t] - m) ** 2;
      maxAbs = Math.max(maxAbs, Math.abs(values[t]));
    }
    let sd = Math.sqrt(ss / n);
    if (sd <= 1e-14 * Math.max(maxAbs, Number.MIN_VALUE)) {
      constantColumns.push(j);
      sd = 1;
    }
    scales[j] = sd;
    factors[j] = 1 / sd;
  }
  return {
    X: A.scaleColumns(factors),
    means,
    scales,
    constantColumns,
    unscale: unscaler('standardizeSparse.unscale', means, scales),
    centredIntercept(coef: ArrayLike<number>, intercept: number): number {
      let b = intercept;
      for (let j = 0; j < p; j++) if (coef[j] !== 0) b += (means[j] / scales[j]) * coef[j];
      return b;
    },
  };
}

/** Result of {@link orthonormalizeGroups}. */
export interface OrthonormalizedGroups {
  /** The transformed design X̃ = [X̃_1 … X̃_G] (columns of rank-deficient directions removed). */
  X: DenseMatrix;
  /** Group structure of X̃ (same group names; groups whose block is 0 are dropped). */
  groups: GroupStructure;
  /** Group label per column of X̃. */
  labels: string[];
  /** For each column of X̃, the group it belongs to (index into the input groups). */
  groupOfColumn: Int32Array;
  /** Column means m_j of the input (0 when `center` is false). */
  means: Float64Array;
  /** Per input group g: T_g (p_g × r_g, column-major) with X̃_g = (X_g − 1 m_gᵀ) T_g. */
  transforms: Float64Array[];
  /** Rank r_g kept per input group. */
  ranks: number[];
  /**
   * Map coefficients (θ, b̃) fitted on X̃ back to X: w_g = T_g θ_g, b = b̃ − Σ_j m_j w_j, so that
   * b̃ + X̃ θ = b + X w for every row.
   */
  backTransform(theta: ArrayLike<number>, intercept?: number): RawCoefficients;
}

/**
 * Orthonormalize each group's block of columns as grpreg does (`orthogonalize`): centre the columns,
 * take the thin SVD X_g = U D Vᵀ of the centred block, keep the directions with d_k > tol · d_1,
 * and set T_g = V_r diag(√n / d_r), X̃_g = X_g T_g, so that X̃_gᵀ X̃_g / n = I_{r_g}. Directions
 * with d_k ≤ tol·d_1 (collinear dummies, a constant column) are dropped; a block that is all zero
 * after centring is dropped whole. Default tol = 1e-10 (grpreg uses an absolute 1e-10 on d; the
 * relative rule here does not depend on the units of X).
 *
 * What it changes: the group penalty λ Σ d_g ‖θ_g‖ then acts on θ_g = D_r V_rᵀ w_g / √n, i.e.
 * ‖θ_g‖ = ‖X_g w_g‖ / √n, the size of the group's contribution to the fit rather than of its raw
 * coefficients. The selected groups and the fit differ from the raw-scale problem; this is the
 * standard grpreg behaviour, which makes the penalty invariant to reparametrizations inside a group
 * (dummy coding, polynomial basis). Only with a fitted intercept is the centring harmless.
 *
 * @example
 * const o = orthonormalizeGroups([[1, 2], [2, 0], [3, 1], [4, 5]], ['a', 'a']);
 * // o.X has 2 columns with X̃ᵀX̃/4 = I; o.backTransform(theta, b) gives raw (coef, intercept)
 */
export function orthonormalizeGroups(
  X: unknown, groups: GroupSpec, options: { tol?: number; center?: boolean } = {},
): OrthonormalizedGroups {
  const fn = 'orthonormalizeGroups';
  checkOptions(fn, options, ['tol', 'center']);
  const A = toDense(X, fn);
  const tol = options.tol ?? 1e-10;
  if (!(tol >= 0 && tol < 1)) throw new ValueError(fn, `tol must be in [0, 1), got ${tol}`);
  const center = options.center ?? true;
  const gs = makeGroups(groups, A.cols, {}, fn);
  const n = A.rows;
  const p = A.cols;
  const means = new Float64Array(p);
  if (center) {
    for (let j = 0; j < p; j++) {
      const c = A.column(j);
      let m = 0;
      for (let i = 0; i < n; i++) m += c[i];
      m /= n;
      let r = 0;
      for (let i = 0; i < n; i++) r += c[i] - m;
      means[j] = m + r / n;
    }
  }
  const outCols: Float64Array[] = [];
  const labels: string[] = [];
  const groupOfColumn: number[] = [];
  const transforms: Float64Array[] = [];
  const ranks: number[] = [];
  const thetaStart: number[] = [];
  for (let g = 0; g < gs.nGroups; g++) {
    const idx = Array.from(gs.indices.subarray(gs.ptr[g], gs.ptr[g + 1]));
    const pg = idx.length;
    const B = new Matrix(n, pg);
    for (let k = 0; k < pg; k++) {
      const c = A.column(idx[k]);
      const m = means[idx[k]];
      for (let i = 0; i < n; i++) B.set(i, k, c[i] - m);
    }
    // Thin SVD; for n < p_g the transpose keeps ml-matrix on its tall-matrix path.
    const svd = new SingularValueDecomposition(n >= pg ? B : B.transpose(), { autoTranspose: false });
    const d = svd.diagonal;
    const V = n >= pg ? svd.rightSingularVectors : svd.leftSingularVectors;
    const d1 = d.length > 0 ? d[0] : 0;
    const keep: number[] = [];
    for (let k = 0; k < d.length; k++) if (d1 > 0 && d[k] > tol * d1) keep.push(k);
    const r = keep.length;
    const T = new Float64Array(pg * r);
    keep.forEach((kk, c) => {
      const f = Math.sqrt(n) / d[kk];
      for (let a = 0; a < pg; a++) T[a + c * pg] = V.get(a, kk) * f;
    });
    transforms.push(T);
    ranks.push(r);
    thetaStart.push(outCols.length);
    for (let c = 0; c < r; c++) {
      const col = new Float64Array(n);
      for (let a = 0; a < pg; a++) {
        const t = T[a + c * pg];
        if (t === 0) continue;
        const src = A.column(idx[a]);
        const m = means[idx[a]];
        for (let i = 0; i < n; i++) col[i] += t * (src[i] - m);
      }
      outCols.push(col);
      labels.push(gs.names[g]);
      groupOfColumn.push(g);
    }
  }
  if (outCols.length === 0) throw new ValueError(fn, 'every group is constant: nothing is left after centring');
  const Xt = DenseMatrix.fromColumns(outCols, fn);
  const q = outCols.length;
  return {
    X: Xt,
    groups: makeGroups(labels, q, {}, fn),
    labels,
    groupOfColumn: Int32Array.from(groupOfColumn),
    means,
    transforms,
    ranks,
    backTransform(theta: ArrayLike<number>, intercept = 0): RawCoefficients {
      if (theta.length !== q) throw new ShapeError('orthonormalizeGroups.backTransform', `coef has length ${theta.length}, expected ${q}`);
      const w = new Float64Array(p);
      for (let g = 0; g < gs.nGroups; g++) {
        const start = gs.ptr[g];
        const pg = gs.ptr[g + 1] - start;
        const T = transforms[g];
        for (let c = 0; c < ranks[g]; c++) {
          const th = theta[thetaStart[g] + c];
          if (th === 0) continue;
          for (let a = 0; a < pg; a++) w[gs.indices[start + a]] += T[a + c * pg] * th;
        }
      }
      let b = intercept;
      for (let j = 0; j < p; j++) b -= means[j] * w[j];
      return { coef: w, intercept: b };
    },
  };
}
