/**
 * Operator combinators and views: composition, adjoint, scaling, block-diagonal stacking and column
 * restriction of any {@link LinearOperator}, plus the base class of operators that know their
 * squared spectral norm. Work buffers are allocated once at construction (apply / applyTranspose
 * allocate nothing), which makes an operator non-re-entrant; `out` must never alias the input.
 */
import { OptionError, ShapeError, ValueError } from '../errors.ts';
import { checkProduct, type LinearOperator } from './operator.ts';
import { powerNormSquared, type PowerIterationOptions } from './power.ts';
import { checkPositiveInt } from '../util/validate.ts';

/**
 * Base of the described operators (combinators here, transforms in signal/): a LinearOperator that also reports ‖A‖₂², exactly when
 * `exactNorm` is true, otherwise by a power iteration run once and cached.
 */
export abstract class SignalOperator implements LinearOperator {
  abstract readonly rows: number;
  abstract readonly cols: number;
  /** A short description (`partialFourier(n=1024, m=64)`), for printing. */
  abstract readonly name: string;
  /** True when {@link normSquared} is a closed form, false when it is a power-iteration estimate. */
  abstract readonly exactNorm: boolean;
  abstract apply(x: Float64Array, out: Float64Array): void;
  abstract applyTranspose(y: Float64Array, out: Float64Array): void;
  private cachedNorm: number | undefined;

  constructor() {
    // Abstract: `new SignalOperator()` from JavaScript would make an operator without products.
    if (new.target === SignalOperator) throw new OptionError('SignalOperator', 'SignalOperator is abstract: extend it with rows, cols, apply and applyTranspose');
  }

  /** ‖A‖₂² = λ_max(AᵀA): the closed form when known, else power iteration (cached). */
  normSquared(): number {
    if (this.cachedNorm === undefined) this.cachedNorm = this.computeNormSquared();
    return this.cachedNorm;
  }

  protected computeNormSquared(): number {
    return powerNormSquared('normSquared', this, { tol: 1e-10, maxIter: 500 });
  }

  toString(): string {
    return this.name;
  }
}

/**
 * ‖A‖₂², the squared spectral norm (the Lipschitz constant of x ↦ ½‖Ax − y‖² is ‖A‖₂²): exact for
 * the operators of this module that have a closed form (partial orthonormal transforms: 1 or ½ as
 * documented on each; circular convolution: max_k |ĥ_k|²; scaled and adjoint forms of these), else
 * power iteration on AᵀA (`operatorNormSquared`), which approaches from below.
 *
 * @example
 * normSquared(partialDCT(64, { m: 16, seed: 1 })) // returns 1
 */
export function normSquared(A: LinearOperator, options: PowerIterationOptions = {}): number {
  checkOperator('normSquared', 'A', A);
  if (A instanceof SignalOperator) return A.normSquared();
  return powerNormSquared('normSquared', A, options);
}

export function checkOperator(fn: string, what: string, A: unknown): LinearOperator {
  const op = A as LinearOperator;
  if (
    typeof A !== 'object' || A === null || typeof op.apply !== 'function' ||
    typeof op.applyTranspose !== 'function' || !Number.isInteger(op.rows) || !Number.isInteger(op.cols)
  ) {
    throw new ShapeError(fn, `${what} must be a LinearOperator (rows, cols, apply, applyTranspose)`);
  }
  return op;
}

/**
 * Composition (A∘B) x = A(B x), with (A∘B)ᵀ = Bᵀ∘Aᵀ; needs A.cols = B.rows. One intermediate buffer
 * of length B.rows. ‖A∘B‖₂² by power iteration (‖A‖²‖B‖² is only an upper bound).
 *
 * @example
 * const AB = compose(partialDCT(64, { m: 16 }), convolution([1, -1], 64)); // ℝ⁶⁴ → ℝ¹⁶
 */
export function compose(A: LinearOperator, B: LinearOperator): ComposedOperator {
  const fn = 'compose';
  checkOperator(fn, 'A', A);
  checkOperator(fn, 'B', B);
  if (A.cols !== B.rows) throw new ShapeError(fn, `cannot compose A (${A.rows} × ${A.cols}) with B (${B.rows} × ${B.cols}): A.cols ≠ B.rows`);
  return new ComposedOperator(A, B);
}

/** The operator built by {@link compose}. */
export class ComposedOperator extends SignalOperator {
  readonly rows: number;
  readonly cols: number;
  readonly name: string;
  readonly exactNorm = false;
  readonly outer: LinearOperator;
  readonly inner: LinearOperator;
  private readonly mid: Float64Array;

  constructor(A: LinearOperator, B: LinearOperator) {
    super();
    checkOperator('ComposedOperator', 'A', A);
    checkOperator('ComposedOperator', 'B', B);
    if (A.cols !== B.rows) throw new ShapeError('ComposedOperator', `cannot compose A (${A.rows} × ${A.cols}) with B (${B.rows} × ${B.cols}): A.cols ≠ B.rows`);
    this.outer = A;
    this.inner = B;
    this.rows = A.rows;
    this.cols = B.cols;
    this.mid = new Float64Array(B.rows);
    this.name = `compose(${describe(A)}, ${describe(B)})`;
  }

  apply(x: Float64Array, out: Float64Array): void {
    checkProduct('ComposedOperator.apply', 'x', x, this.cols, out, this.rows);
    this.inner.apply(x, this.mid);
    this.outer.apply(this.mid, out);
  }

  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('ComposedOperator.applyTranspose', 'y', y, this.rows, out, this.cols);
    this.outer.applyTranspose(y, this.mid);
    this.inner.applyTranspose(this.mid, out);
  }
}

/**
 * The adjoint Aᵀ as an operator (apply ↔ applyTranspose), with ‖Aᵀ‖₂ = ‖A‖₂ (exact when A's is).
 * adjoint(adjoint(A)) returns A itself.
 *
 * @example
 * const At = adjoint(partialDCT(64, { m: 16 })); // ℝ¹⁶ → ℝ⁶⁴, the zero-filled inverse DCT
 */
export function adjoint(A: LinearOperator): LinearOperator {
  checkOperator('adjoint', 'A', A);
  if (A instanceof AdjointOperator) return A.base;
  return new AdjointOperator(A);
}

/** The operator built by {@link adjoint}. */
export class AdjointOperator extends SignalOperator {
  readonly rows: number;
  readonly cols: number;
  readonly name: string;
  readonly exactNorm: boolean;
  readonly base: LinearOperator;

  constructor(A: LinearOperator) {
    super();
    checkOperator('AdjointOperator', 'A', A);
    this.base = A;
    this.rows = A.cols;
    this.cols = A.rows;
    this.exactNorm = A instanceof SignalOperator && A.exactNorm;
    this.name = `adjoint(${describe(A)})`;
  }

  apply(x: Float64Array, out: Float64Array): void {
    checkProduct('AdjointOperator.apply', 'x', x, this.cols, out, this.rows);
    this.base.applyTranspose(x, out);
  }

  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('AdjointOperator.applyTranspose', 'y', y, this.rows, out, this.cols);
    this.base.apply(y, out);
  }

  protected override computeNormSquared(): number {
    return normSquared(this.base, { tol: 1e-10, maxIter: 500 });
  }
}

/**
 * c·A for a finite scalar c: (cA)x = c(Ax), (cA)ᵀ = c·Aᵀ, ‖cA‖₂² = c²‖A‖₂² (exact when A's is).
 *
 * @example
 * const B = scaled(partialDCT(64, { m: 16 }), 2); // normSquared(B) returns 4
 */
export function scaled(A: LinearOperator, c: number): ScaledOperator {
  checkOperator('scaled', 'A', A);
  if (typeof c !== 'number' || !Number.isFinite(c)) throw new ValueError('scaled', `scale c must be a finite number, got ${String(c)}`);
  return new ScaledOperator(A, c);
}

/** The operator built by {@link scaled}. */
export class ScaledOperator extends SignalOperator {
  readonly rows: number;
  readonly cols: number;
  readonly name: string;
  readonly exactNorm: boolean;
  readonly base: LinearOperator;
  readonly factor: number;

  constructor(A: LinearOperator, c: number) {
    super();
    checkOperator('ScaledOperator', 'A', A);
    if (typeof c !== 'number' || !Number.isFinite(c)) throw new ValueError('ScaledOperator', `scale c must be a finite number, got ${String(c)}`);
    this.base = A;
    this.factor = c;
    this.rows = A.rows;
    this.cols = A.cols;
    this.exactNorm = A instanceof SignalOperator && A.exactNorm;
    this.name = `scaled(${describe(A)}, ${c})`;
  }

  apply(x: Float64Array, out: Float64Array): void {
    checkProduct('ScaledOperator.apply', 'x', x, this.cols, out, this.rows);
    this.base.apply(x, out);
    const c = this.factor;
    for (let i = 0; i < out.length; i++) out[i] *= c;
  }

  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('ScaledOperator.applyTranspose', 'y', y, this.rows, out, this.cols);
    this.base.applyTranspose(y, out);
    const c = this.factor;
    for (let j = 0; j < out.length; j++) out[j] *= c;
  }

  protected override computeNormSquared(): number {
    return this.factor * this.factor * normSquared(this.base, { tol: 1e-10, maxIter: 500 });
  }
}

/**
 * I_T ⊗ A: the same A applied to each of T stacked blocks, x = [x_1; …; x_T] (each A.cols long)
 * ↦ [A x_1; …; A x_T]. This is the coefficient layout of a column-major p × T matrix X (X[j, t] at
 * t·p + j), so a measurement matrix Y = A X (m × T, column-major) is one vector. ‖·‖₂² = ‖A‖₂²
 * (exact when A's is).
 *
 * @example
 * const B = blockDiagonal(partialDCT(64, { m: 16 }), 3); // ℝ^{192} → ℝ^{48}
 */
export function blockDiagonal(A: LinearOperator, T: number): BlockDiagonalOperator {
  checkOperator('blockDiagonal', 'A', A);
  checkPositiveInt('blockDiagonal', 'T', T);
  // Every product reads and writes vectors of T·cols and T·rows entries: a T of 10⁹ was accepted
  // and failed at the first product as a RangeError (or ran out of memory).
  const longest = T * Math.max(A.rows, A.cols);
  if (longest > MAX_BLOCK_DIAGONAL_LENGTH) throw new ValueError('blockDiagonal', `T · max(rows, cols) is ${longest}, above the limit ${MAX_BLOCK_DIAGONAL_LENGTH} (each product holds vectors of that length)`);
  return new BlockDiagonalOperator(A, T);
}

/** Longest input or output vector a block-diagonal operator may have (2²⁸ float64 = 2 GiB). */
const MAX_BLOCK_DIAGONAL_LENGTH = 2 ** 28;

/** The operator built by {@link blockDiagonal}. */
export class BlockDiagonalOperator extends SignalOperator {
  readonly rows: number;
  readonly cols: number;
  readonly name: string;
  readonly exactNorm: boolean;
  readonly base: LinearOperator;
  readonly blocks: number;
  private readonly xb: Float64Array;
  private readonly yb: Float64Array;

  constructor(A: LinearOperator, T: number) {
    super();
    checkOperator('BlockDiagonalOperator', 'A', A);
    checkPositiveInt('BlockDiagonalOperator', 'T', T);
    this.base = A;
    this.blocks = T;
    this.rows = A.rows * T;
    this.cols = A.cols * T;
    this.exactNorm = A instanceof SignalOperator && A.exactNorm;
    this.name = `blockDiagonal(${describe(A)}, ${T})`;
    this.xb = new Float64Array(A.cols);
    this.yb = new Float64Array(A.rows);
  }

  apply(x: Float64Array, out: Float64Array): void {
    checkProduct('BlockDiagonalOperator.apply', 'x', x, this.cols, out, this.rows);
    const p = this.base.cols;
    const m = this.base.rows;
    for (let t = 0; t < this.blocks; t++) {
      // Copies instead of subarray views: views are objects, and apply must not allocate.
      for (let j = 0; j < p; j++) this.xb[j] = x[t * p + j];
      this.base.apply(this.xb, this.yb);
      out.set(this.yb, t * m);
    }
  }

  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('BlockDiagonalOperator.applyTranspose', 'y', y, this.rows, out, this.cols);
    const p = this.base.cols;
    const m = this.base.rows;
    for (let t = 0; t < this.blocks; t++) {
      for (let i = 0; i < m; i++) this.yb[i] = y[t * m + i];
      this.base.applyTranspose(this.yb, this.xb);
      out.set(this.xb, t * p);
    }
  }

  protected override computeNormSquared(): number {
    return normSquared(this.base, { tol: 1e-10, maxIter: 500 });
  }
}

/**
 * A restricted to the columns in `support`: A_S z = A (Σ_k z_k e_{S_k}), A_Sᵀ y = (Aᵀy)_S. Used for
 * the debiasing least squares on a selected support, without forming A_S.
 *
 * @example
 * const AS = restrictColumns(partialDCT(64, { m: 16 }), [3, 4, 5]); // ℝ³ → ℝ¹⁶
 */
export function restrictColumns(A: LinearOperator, support: ArrayLike<number>): RestrictedOperator {
  const fn = 'restrictColumns';
  checkOperator(fn, 'A', A);
  const idx = Int32Array.from(support);
  const seen = new Uint8Array(A.cols);
  for (let k = 0; k < idx.length; k++) {
    const j = support[k];
    if (!Number.isInteger(j) || j < 0 || j >= A.cols) throw new ShapeError(fn, `support index ${j} is out of range [0, ${A.cols})`);
    if (seen[j]) throw new ValueError(fn, `support index ${j} is duplicated`);
    seen[j] = 1;
  }
  return new RestrictedOperator(A, idx);
}

/** The operator built by {@link restrictColumns}. */
export class RestrictedOperator extends SignalOperator {
  readonly rows: number;
  readonly cols: number;
  readonly name: string;
  readonly exactNorm = false;
  readonly base: LinearOperator;
  readonly support: Int32Array;
  private readonly full: Float64Array;

  constructor(A: LinearOperator, support: Int32Array) {
    super();
    checkOperator('RestrictedOperator', 'A', A);
    if (!(support instanceof Int32Array)) throw new ShapeError('RestrictedOperator', 'support must be an Int32Array of column indices (restrictColumns takes any array)');
    for (let k = 0; k < support.length; k++) {
      if (support[k] < 0 || support[k] >= A.cols) throw new ShapeError('RestrictedOperator', `support index ${support[k]} is out of range [0, ${A.cols})`);
    }
    this.base = A;
    this.support = support;
    this.rows = A.rows;
    this.cols = support.length;
    this.full = new Float64Array(A.cols);
    this.name = `restrictColumns(${describe(A)}, ${support.length} columns)`;
  }

  apply(z: Float64Array, out: Float64Array): void {
    checkProduct('RestrictedOperator.apply', 'z', z, this.cols, out, this.rows);
    const s = this.support;
    if (this.base.columns) {
      // Dense or sparse storage: touch only the selected columns.
      out.fill(0);
      for (let k = 0; k < s.length; k++) this.base.columns.axpy(s[k], z[k], out);
      return;
    }
    this.full.fill(0);
    for (let k = 0; k < s.length; k++) this.full[s[k]] = z[k];
    this.base.apply(this.full, out);
  }

  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('RestrictedOperator.applyTranspose', 'y', y, this.rows, out, this.cols);
    const s = this.support;
    if (this.base.columns) {
      for (let k = 0; k < s.length; k++) out[k] = this.base.columns.dot(s[k], y);
      return;
    }
    this.base.applyTranspose(y, this.full);
    for (let k = 0; k < s.length; k++) out[k] = this.full[s[k]];
  }
}

function describe(A: LinearOperator): string {
  return A instanceof SignalOperator ? A.name : `${A.rows}×${A.cols} operator`;
}
