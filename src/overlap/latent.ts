import { GroupError, ShapeError } from '../errors.ts';
import { isGroupStructure, type GroupStructure } from '../groups/groups.ts';
import { checkOperator } from '../linalg/combinators.ts';
import { checkProduct, type ColumnAccess, type LinearOperator } from '../linalg/operator.ts';

/**
 * The latent (duplicated) design X·P of the latent group lasso (Jacob, Obozinski & Vert 2009),
 * applied without ever building it.
 *
 * Groups g = 1..G over the p columns of X may overlap. The latent vector v stacks one block v_g
 * per group (length Σ_g p_g, block g at `groups.ptr[g] .. groups.ptr[g+1]`, entry k standing for
 * feature `groups.indices[k]`). P: ℝ^{Σp_g} → ℝ^p sums the blocks back onto the features,
 *   (P v)_j = Σ_{g ∋ j} (v_g)_j,   w = P v = Σ_g v_g,
 * so X·P is X with every column repeated once per group that holds it, and
 *   apply:      out = X (P v)          (one scatter-add of length Σp_g, one product with X),
 *   transpose:  out = Pᵀ (Xᵀ r),  (Pᵀ s)_k = s_{indices[k]}  (one product with Xᵀ, one gather).
 * Memory: two work vectors of length p, against n·Σ_g p_g numbers for the explicit duplicate.
 *
 * When X has column access, so does this operator (latent column k is column indices[k] of X), so
 * block solvers run on it unchanged. The caller's X is only read.
 */
export class LatentDesign implements LinearOperator {
  readonly rows: number;
  readonly cols: number;
  /** The design X (n × p), read only. */
  readonly base: LinearOperator;
  /** The (possibly overlapping) groups over the p features that define P. */
  readonly groups: GroupStructure;
  /** Disjoint groups over the latent coordinates: block g = [ptr[g], ptr[g+1]), same weights and names. */
  readonly latentGroups: GroupStructure;
  readonly columns?: ColumnAccess;
  private readonly wBuf: Float64Array;
  private readonly gBuf: Float64Array;

  constructor(X: LinearOperator, groups: GroupStructure) {
    checkOperator('LatentDesign', 'X', X);
    checkGroupArg('LatentDesign', groups);
    if (groups.nFeatures !== X.cols) {
      throw new ShapeError('LatentDesign', `groups index ${groups.nFeatures} features but X has ${X.cols} columns`);
    }
    this.base = X;
    this.groups = groups;
    this.rows = X.rows;
    this.cols = groups.indices.length;
    this.wBuf = new Float64Array(X.cols);
    this.gBuf = new Float64Array(X.cols);
    this.latentGroups = latentGroupStructure(groups);
    if (X.columns) this.columns = new LatentColumns(X.columns, groups.indices, this.latentGroups.indices);
  }

  /** out ← P v = Σ_g v_g (length p): the coefficients on X's columns. */
  sumParts(v: Float64Array, out: Float64Array): void {
    const idx = this.groups.indices;
    out.fill(0);
    for (let k = 0; k < idx.length; k++) out[idx[k]] += v[k];
  }

  apply(v: Float64Array, out: Float64Array): void {
    checkProduct('LatentDesign.apply', 'v', v, this.cols, out, this.rows);
    this.sumParts(v, this.wBuf);
    this.base.apply(this.wBuf, out);
  }

  applyTranspose(r: Float64Array, out: Float64Array): void {
    checkProduct('LatentDesign.applyTranspose', 'r', r, this.rows, out, this.cols);
    const idx = this.groups.indices;
    this.base.applyTranspose(r, this.gBuf);
    for (let k = 0; k < idx.length; k++) out[k] = this.gBuf[idx[k]];
  }
}

/**
 * Latent groups: group g owns the latent coordinates ptr[g] .. ptr[g+1] − 1 (a partition of
 * 0..Σp_g − 1), with the weights and names of the original groups.
 */
export function latentGroupStructure(gs: GroupStructure): GroupStructure {
  checkGroupArg('latentGroupStructure', gs);
  const m = gs.indices.length;
  const indices = new Int32Array(m);
  const groupOf = new Int32Array(m);
  for (let g = 0; g < gs.nGroups; g++) {
    for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) {
      indices[k] = k;
      groupOf[k] = g;
    }
  }
  return {
    nFeatures: m, nGroups: gs.nGroups, ptr: gs.ptr, indices, weights: gs.weights, names: gs.names,
    overlapping: false, groupOf,
  };
}

/** Columns of X·P: latent column k is column featureOf[k] of X. */
class LatentColumns implements ColumnAccess {
  private readonly base: ColumnAccess;
  private readonly featureOf: Int32Array;
  /** The latent groups' own index array (the identity); blocks given through it map without copying. */
  private readonly identity: Int32Array;
  private scratch = new Int32Array(0);

  constructor(base: ColumnAccess, featureOf: Int32Array, identity: Int32Array) {
    this.base = base;
    this.featureOf = featureOf;
    this.identity = identity;
  }
  dot(k: number, y: Float64Array): number {
    return this.base.dot(this.featureOf[k], y);
  }
  axpy(k: number, alpha: number, y: Float64Array): void {
    this.base.axpy(this.featureOf[k], alpha, y);
  }
  normSq(k: number): number {
    return this.base.normSq(this.featureOf[k]);
  }
  /** Feature indices for latent indices idx[start..end): a view when idx is the identity. */
  private map(idx: Int32Array, start: number, end: number): [Int32Array, number, number] {
    if (idx === this.identity) return [this.featureOf, start, end];
    const m = end - start;
    if (this.scratch.length < m) this.scratch = new Int32Array(m);
    for (let k = 0; k < m; k++) this.scratch[k] = this.featureOf[idx[start + k]];
    return [this.scratch, 0, m];
  }
  dotBlock(idx: Int32Array, start: number, end: number, y: Float64Array, out: Float64Array): void {
    const [f, s, e] = this.map(idx, start, end);
    this.base.dotBlock(f, s, e, y, out);
  }
  axpyBlock(idx: Int32Array, start: number, end: number, coef: Float64Array, y: Float64Array): void {
    const [f, s, e] = this.map(idx, start, end);
    this.base.axpyBlock(f, s, e, coef, y);
  }
}

/**
 * The latent parts v_g of a latent group lasso fit, stored flat: `values[ptr[g] .. ptr[g+1])` are
 * the entries of v_g on the features `indices[ptr[g] .. ptr[g+1])`. w = Σ_g v_g.
 */
export class LatentDecomposition {
  readonly nFeatures: number;
  readonly ptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
  readonly names: readonly string[];

  constructor(groups: GroupStructure, values: Float64Array) {
    checkGroupArg('LatentDecomposition', groups);
    if (!(values instanceof Float64Array) || values.length !== groups.indices.length) {
      throw new ShapeError('LatentDecomposition', `values must be a Float64Array with one entry per group membership (${groups.indices.length})`);
    }
    this.nFeatures = groups.nFeatures;
    this.ptr = groups.ptr;
    this.indices = groups.indices;
    this.values = values;
    this.names = groups.names;
  }

  get nGroups(): number {
    return this.ptr.length - 1;
  }

  /** v_g on its own members (a view of length p_g, in the order of `members(g)`). */
  part(g: number): Float64Array {
    return this.values.subarray(this.ptr[g], this.ptr[g + 1]);
  }

  /** Member features of group g. */
  members(g: number): Int32Array {
    return this.indices.subarray(this.ptr[g], this.ptr[g + 1]);
  }

  /** v_g as a full vector of length p (zero off the group). */
  dense(g: number): Float64Array {
    const out = new Float64Array(this.nFeatures);
    for (let k = this.ptr[g]; k < this.ptr[g + 1]; k++) out[this.indices[k]] = this.values[k];
    return out;
  }

  /** Σ_g v_g (length p). */
  sum(): Float64Array {
    const out = new Float64Array(this.nFeatures);
    for (let k = 0; k < this.indices.length; k++) out[this.indices[k]] += this.values[k];
    return out;
  }
}


/** A group structure argument (from makeGroups), checked in O(1). */
function checkGroupArg(fn: string, groups: unknown): asserts groups is GroupStructure {
  if (!isGroupStructure(groups)) throw new GroupError(fn, `groups must be a group structure from makeGroups, got ${groups === null ? 'null' : typeof groups}`);
}
