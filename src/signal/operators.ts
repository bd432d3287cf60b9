/**
 * Matrix-free sensing operators for signal recovery. Each is a {@link LinearOperator} (so every
 * solver takes it), keeps O(n) memory (the matrix is never formed), allocates its work buffers
 * once at construction (apply / applyTranspose allocate nothing) and knows its squared spectral
 * norm ‖A‖₂² exactly where a closed form exists. Work buffers make an operator non-re-entrant:
 * do not call one operator from inside its own apply. `out` must never alias the input.
 */
import { OptionError, ShapeError, ValueError } from '../errors.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { checkProduct, type LinearOperator } from '../linalg/operator.ts';
import { SignalOperator } from '../linalg/combinators.ts';
import { Random } from '../util/random.ts';
import { checkOptions, checkPositiveInt, checkSizeLimit } from '../util/validate.ts';
import { ComplexDFT } from './fft.ts';

/** Longest signal accepted (2²⁶ samples: the transforms hold a few work vectors of this length). */
export const MAX_SIGNAL_LENGTH = 2 ** 26;
/** Largest dense sensing matrix accepted (2²⁷ entries = 1 GiB of float64). */
export const MAX_DENSE_ENTRIES = 2 ** 27;

/** Frequencies of a partial transform built directly: whole numbers in [0, limit). */
function checkFrequencies(fn: string, n: number, frequencies: unknown, limit: number): void {
  if (!(frequencies instanceof Int32Array)) throw new ShapeError(fn, 'frequencies must be an Int32Array (partialFourier / partialDCT take any row spec)');
  if (frequencies.length === 0) throw new ShapeError(fn, 'frequencies is empty');
  for (let k = 0; k < frequencies.length; k++) {
    if (frequencies[k] < 0 || frequencies[k] >= limit) throw new ShapeError(fn, `frequency ${frequencies[k]} is out of range [0, ${limit}) for n = ${n}`);
  }
}

function checkSize(fn: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new ShapeError(fn, `signal length n must be a whole number ≥ 1, got ${String(n)}`);
  }
  checkSizeLimit(fn, 'signal length n', n, MAX_SIGNAL_LENGTH, 'the transform holds work vectors of this length');
  return n;
}

/** Which rows to sample: explicit indices, or m distinct indices drawn with a seed. */
export type RowSpec = ArrayLike<number> | { m: number; seed?: number };

/**
 * Validate explicit row indices (integers in [0, n), no duplicates, at least one) or draw `m`
 * distinct ones uniformly from [0, pool) with the seed, returned sorted.
 */
function resolveRows(fn: string, spec: RowSpec, n: number, pool: number, poolText: string): Int32Array {
  if (spec === null || spec === undefined) throw new ShapeError(fn, 'rows are missing');
  if (typeof spec === 'object' && !('length' in spec)) {
    checkOptions(fn, spec, ['m', 'seed']);
    const m = checkPositiveInt(fn, 'm', spec.m);
    if (m > pool) throw new ShapeError(fn, `m = ${m} rows requested but only ${pool} are available (${poolText})`);
    const seed = spec.seed ?? 0;
    if (!Number.isInteger(seed)) throw new ValueError(fn, `seed must be an integer, got ${String(seed)}`);
    // Partial Fisher–Yates: the first m entries of a seeded shuffle of [0, pool).
    const rng = new Random(seed);
    const perm = new Int32Array(pool);
    for (let i = 0; i < pool; i++) perm[i] = i;
    for (let i = 0; i < m; i++) {
      const j = i + rng.int(pool - i);
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm.slice(0, m).sort();
  }
  const arr = spec as ArrayLike<unknown>;
  if (typeof arr.length !== 'number') throw new ShapeError(fn, 'rows must be an array of indices or { m, seed }');
  if (arr.length === 0) throw new ShapeError(fn, 'rows is empty: select at least one row');
  const out = new Int32Array(arr.length);
  const seen = new Uint8Array(n);
  for (let r = 0; r < arr.length; r++) {
    const k = arr[r];
    if (typeof k !== 'number' || !Number.isFinite(k)) throw new ValueError(fn, `row index at position ${r} is ${String(k)}, not a finite number`);
    if (!Number.isInteger(k)) throw new ValueError(fn, `row index ${k} at position ${r} is not an integer`);
    if (k < 0 || k >= n) throw new ShapeError(fn, `row index ${k} at position ${r} is out of range [0, ${n})`);
    if (seen[k]) throw new ValueError(fn, `row index ${k} is duplicated (position ${r})`);
    seen[k] = 1;
    out[r] = k;
  }
  return out;
}

/** Options of {@link partialFourier}. */
export interface PartialFourierOptions {
  /**
   * false (default): real input x ∈ ℝⁿ. true: complex input z = a + ib stored stacked as
   * [a; b] ∈ ℝ^{2n}.
   */
  complex?: boolean;
}

/**
 * Partial Fourier sensing: the rows Ω = {k_0, …, k_{m−1}} of the unitary DFT
 *   (F x)_k = (1/√n) Σ_{j<n} x_j e^{−2πi jk/n},
 * returned as stacked real and imaginary parts y = [Re F_Ω x; Im F_Ω x] ∈ ℝ^{2m}. The adjoint is
 * exact: Aᵀ[u; v] = Re(F_Ωᴴ(u + iv)) (real input) or [Re; Im] of F_Ωᴴ(u + iv) (complex input).
 * Computed with one length-n FFT (fft.js; lengths that are not powers of two by Bluestein's
 * algorithm on top of it, exact to rounding but 4–7× slower than the next power of two in our benchmark).
 *
 * Real input (default): x ∈ ℝⁿ. Because F_{n−k}x = conj(F_k x), `{ m, seed }` draws m distinct
 * frequencies from the non-redundant half {0, …, ⌊n/2⌋}. ‖A‖₂² is exact: 1 if Ω contains 0, n/2
 * or a pair {k, n−k} (some real x puts all its energy there), else ½ (energy at k is mirrored at
 * n − k, which is not sampled).
 *
 * Complex input (`{ complex: true }`): z = a + ib ∈ ℂⁿ stored as [a; b] ∈ ℝ^{2n}; A is the real
 * form of the complex map F_Ω, `{ m, seed }` draws from all n frequencies, and ‖A‖₂² = 1 (rows of
 * a unitary matrix).
 *
 * @example
 * const A = partialFourier(8, [0, 1, 3]); // ℝ⁸ → ℝ⁶
 * const y = new Float64Array(6);
 * A.apply(Float64Array.of(1, 1, 1, 1, 1, 1, 1, 1), y); // y = [√8, 0, 0, 0, 0, 0]
 */
export function partialFourier(n: number, rows: RowSpec, options: PartialFourierOptions = {}): PartialFourierOperator {
  const fn = 'partialFourier';
  checkOptions(fn, options, ['complex']);
  checkSize(fn, n);
  const complex = options.complex ?? false;
  if (typeof complex !== 'boolean') throw new OptionError(fn, `complex must be true or false, got ${String(complex)}`);
  const pool = complex ? n : Math.floor(n / 2) + 1;
  const idx = resolveRows(fn, rows, n, pool, complex ? 'all n frequencies' : 'frequencies 0..⌊n/2⌋ of a real signal');
  return new PartialFourierOperator(n, idx, complex);
}

/** The operator built by {@link partialFourier}. */
export class PartialFourierOperator extends SignalOperator {
  readonly rows: number;
  readonly cols: number;
  readonly name: string;
  readonly exactNorm = true;
  /** Signal length n. */
  readonly n: number;
  /** Sampled frequencies Ω, in the order of the output rows. */
  readonly frequencies: Int32Array;
  /** Whether the input is complex (stacked [Re; Im], 2n) or real (n). */
  readonly complex: boolean;
  private readonly dft: ComplexDFT;
  private readonly bufIn: Float64Array;
  private readonly bufOut: Float64Array;
  private readonly scale: number;

  constructor(n: number, frequencies: Int32Array, complex: boolean) {
    super();
    checkSize('PartialFourierOperator', n);
    checkFrequencies('PartialFourierOperator', n, frequencies, n);
    if (typeof complex !== 'boolean') throw new ValueError('PartialFourierOperator', `complex must be true or false, got ${String(complex)}`);
    this.n = n;
    this.frequencies = frequencies;
    this.complex = complex;
    this.rows = 2 * frequencies.length;
    this.cols = complex ? 2 * n : n;
    this.name = `partialFourier(n=${n}, m=${frequencies.length}${complex ? ', complex' : ''})`;
    this.dft = new ComplexDFT(n, 'partialFourier');
    this.bufIn = new Float64Array(2 * n);
    this.bufOut = new Float64Array(2 * n);
    this.scale = 1 / Math.sqrt(n);
  }

  apply(x: Float64Array, out: Float64Array): void {
    checkProduct('partialFourier.apply', 'x', x, this.cols, out, this.rows);
    const n = this.n;
    const b = this.bufIn;
    if (this.complex) {
      for (let j = 0; j < n; j++) {
        b[2 * j] = x[j];
        b[2 * j + 1] = x[n + j];
      }
    } else {
      for (let j = 0; j < n; j++) {
        b[2 * j] = x[j];
        b[2 * j + 1] = 0;
      }
    }
    this.dft.forward(this.bufOut, b);
    const f = this.frequencies;
    const m = f.length;
    const s = this.scale;
    const X = this.bufOut;
    for (let r = 0; r < m; r++) {
      out[r] = s * X[2 * f[r]];
      out[m + r] = s * X[2 * f[r] + 1];
    }
  }

  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('partialFourier.applyTranspose', 'y', y, this.rows, out, this.cols);
    const n = this.n;
    const f = this.frequencies;
    const m = f.length;
    const b = this.bufIn;
    b.fill(0);
    for (let r = 0; r < m; r++) {
      b[2 * f[r]] = y[r];
      b[2 * f[r] + 1] = y[m + r];
    }
    this.dft.inverse(this.bufOut, b);
    // inverse() carries 1/n; the adjoint of the 1/√n-scaled map needs 1/√n, hence the factor √n.
    const s = Math.sqrt(n);
    const z = this.bufOut;
    if (this.complex) {
      for (let j = 0; j < n; j++) {
        out[j] = s * z[2 * j];
        out[n + j] = s * z[2 * j + 1];
      }
    } else {
      for (let j = 0; j < n; j++) out[j] = s * z[2 * j];
    }
  }

  protected override computeNormSquared(): number {
    if (this.complex) return 1;
    const n = this.n;
    const seen = new Uint8Array(n);
    for (const k of this.frequencies) seen[k] = 1;
    for (const k of this.frequencies) {
      if (k === 0 || 2 * k === n || seen[(n - k) % n]) return 1;
    }
    return 0.5;
  }
}

/**
 * Partial DCT sensing: the rows Ω of the orthonormal DCT-II
 *   (C x)_k = s_k √(2/n) Σ_{j<n} x_j cos(π(2j+1)k / (2n)),  s_0 = 1/√2, s_k = 1 otherwise,
 * so y = C_Ω x ∈ ℝ^m and Aᵀ = C_Ωᵀ (the orthonormal DCT-III of the zero-filled y). C is
 * orthogonal, so ‖A‖₂² = 1 exactly. Computed by Makhoul's reordering with one length-n complex FFT
 * (fft.js; other lengths by Bluestein, as in {@link partialFourier}). `{ m, seed }` draws m
 * distinct rows from [0, n).
 *
 * @example
 * const A = partialDCT(4, [0]); // the mean row, scaled: (1/2)·(1, 1, 1, 1)
 * const y = new Float64Array(1);
 * A.apply(Float64Array.of(1, 1, 1, 1), y); // y = [2]
 */
export function partialDCT(n: number, rows: RowSpec): PartialDCTOperator {
  const fn = 'partialDCT';
  checkSize(fn, n);
  const idx = resolveRows(fn, rows, n, n, 'all n rows');
  return new PartialDCTOperator(n, idx);
}

/** The operator built by {@link partialDCT}. */
export class PartialDCTOperator extends SignalOperator {
  readonly rows: number;
  readonly cols: number;
  readonly name: string;
  readonly exactNorm = true;
  readonly n: number;
  /** Sampled DCT rows Ω, in the order of the output rows. */
  readonly frequencies: Int32Array;
  private readonly dft: ComplexDFT;
  private readonly bufIn: Float64Array;
  private readonly bufOut: Float64Array;
  private readonly full: Float64Array;
  /** cos, sin of πk/(2n) for every k (the adjoint needs them all). */
  private readonly cosT: Float64Array;
  private readonly sinT: Float64Array;

  constructor(n: number, frequencies: Int32Array) {
    super();
    checkSize('PartialDCTOperator', n);
    checkFrequencies('PartialDCTOperator', n, frequencies, n);
    this.n = n;
    this.frequencies = frequencies;
    this.rows = frequencies.length;
    this.cols = n;
    this.name = `partialDCT(n=${n}, m=${frequencies.length})`;
    this.dft = new ComplexDFT(n, 'partialDCT');
    this.bufIn = new Float64Array(2 * n);
    this.bufOut = new Float64Array(2 * n);
    this.full = new Float64Array(n);
    this.cosT = new Float64Array(n);
    this.sinT = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const t = (Math.PI * k) / (2 * n);
      this.cosT[k] = Math.cos(t);
      this.sinT[k] = Math.sin(t);
    }
  }

  private rowScale(k: number): number {
    return k === 0 ? Math.sqrt(1 / this.n) : Math.sqrt(2 / this.n);
  }

  /** Makhoul: v = (x_0, x_2, x_4, …, x_5, x_3, x_1), V = DFT(v), X_k = Re(e^{−iπk/(2n)} V_k). */
  apply(x: Float64Array, out: Float64Array): void {
    checkProduct('partialDCT.apply', 'x', x, this.cols, out, this.rows);
    const n = this.n;
    const b = this.bufIn;
    const half = (n + 1) >> 1;
    for (let j = 0; j < half; j++) {
      b[2 * j] = x[2 * j];
      b[2 * j + 1] = 0;
    }
    for (let j = 0; j < n >> 1; j++) {
      b[2 * (n - 1 - j)] = x[2 * j + 1];
      b[2 * (n - 1 - j) + 1] = 0;
    }
    this.dft.forward(this.bufOut, b);
    const V = this.bufOut;
    const f = this.frequencies;
    for (let r = 0; r < f.length; r++) {
      const k = f[r];
      out[r] = this.rowScale(k) * (this.cosT[k] * V[2 * k] + this.sinT[k] * V[2 * k + 1]);
    }
  }

  /**
   * Cᵀ = C⁻¹ = T⁻¹D⁻¹ with T the unnormalized DCT-II and D the row scaling: zero-fill, undo D, then
   * invert Makhoul: V_k = e^{iπk/(2n)} (X_k − i X_{n−k}) (X_n = 0), v = IDFT(V), un-permute.
   */
  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('partialDCT.applyTranspose', 'y', y, this.rows, out, this.cols);
    const n = this.n;
    const X = this.full;
    X.fill(0);
    const f = this.frequencies;
    for (let r = 0; r < f.length; r++) X[f[r]] = y[r] / this.rowScale(f[r]);
    const b = this.bufIn;
    for (let k = 0; k < n; k++) {
      const re = X[k];
      const im = k === 0 ? 0 : -X[n - k];
      const c = this.cosT[k];
      const s = this.sinT[k];
      b[2 * k] = c * re - s * im;
      b[2 * k + 1] = s * re + c * im;
    }
    this.dft.inverse(this.bufOut, b);
    const v = this.bufOut;
    const half = (n + 1) >> 1;
    for (let j = 0; j < half; j++) out[2 * j] = v[2 * j];
    for (let j = 0; j < n >> 1; j++) out[2 * j + 1] = v[2 * (n - 1 - j)];
  }

  protected override computeNormSquared(): number {
    return 1;
  }
}

/**
 * Circular convolution with a real kernel h of length L ≤ n (zero-padded to n):
 *   (A x)_i = Σ_{j<n} h_{(i−j) mod n} x_j,   A = F⁻¹ diag(ĥ) F,
 * and the adjoint is circular correlation, Aᵀ = F⁻¹ diag(conj ĥ) F. ‖A‖₂² = max_k |ĥ_k|² exactly
 * (ĥ the unnormalized DFT of the padded kernel). Two length-n FFTs per product (fft.js;
 * non-powers of two by Bluestein). Maps ℝⁿ → ℝⁿ.
 *
 * @example
 * const A = convolution([1, 1], 4); // x_i + x_{i−1 mod 4}
 * const y = new Float64Array(4);
 * A.apply(Float64Array.of(1, 0, 0, 0), y); // y = [1, 1, 0, 0]
 */
export function convolution(kernel: ArrayLike<number>, n: number): ConvolutionOperator {
  const fn = 'convolution';
  checkSize(fn, n);
  if (kernel === null || kernel === undefined || typeof kernel.length !== 'number') {
    throw new ShapeError(fn, 'kernel must be an array of numbers');
  }
  if (kernel.length === 0) throw new ShapeError(fn, 'kernel is empty');
  if (kernel.length > n) throw new ShapeError(fn, `kernel has length ${kernel.length}, longer than the signal length n = ${n}`);
  for (let i = 0; i < kernel.length; i++) {
    if (typeof kernel[i] !== 'number' || !Number.isFinite(kernel[i])) {
      throw new ValueError(fn, `kernel contains a non-finite value (${String(kernel[i])}) at position ${i}`);
    }
  }
  return new ConvolutionOperator(Float64Array.from(kernel), n);
}

/** The operator built by {@link convolution}. */
export class ConvolutionOperator extends SignalOperator {
  readonly rows: number;
  readonly cols: number;
  readonly name: string;
  readonly exactNorm = true;
  readonly n: number;
  readonly kernel: Float64Array;
  /** DFT of the zero-padded kernel, interleaved. */
  private readonly spectrum: Float64Array;
  private readonly dft: ComplexDFT;
  private readonly bufIn: Float64Array;
  private readonly bufOut: Float64Array;

  constructor(kernel: Float64Array, n: number) {
    super();
    checkSize('ConvolutionOperator', n);
    if (!(kernel instanceof Float64Array) || kernel.length === 0 || kernel.length > n) {
      throw new ShapeError('ConvolutionOperator', `kernel must be a Float64Array of length 1 to n = ${n} (convolution takes any array)`);
    }
    this.n = n;
    this.rows = n;
    this.cols = n;
    this.kernel = kernel;
    this.name = `convolution(n=${n}, kernel length ${kernel.length})`;
    this.dft = new ComplexDFT(n, 'convolution');
    this.bufIn = new Float64Array(2 * n);
    this.bufOut = new Float64Array(2 * n);
    this.spectrum = new Float64Array(2 * n);
    for (let i = 0; i < kernel.length; i++) this.bufIn[2 * i] = kernel[i];
    this.dft.forward(this.spectrum, this.bufIn);
  }

  apply(x: Float64Array, out: Float64Array): void {
    checkProduct('convolution.apply', 'x', x, this.cols, out, this.rows);
    this.filter(x, out, 1);
  }

  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('convolution.applyTranspose', 'y', y, this.rows, out, this.cols);
    this.filter(y, out, -1);
  }

  /** out = F⁻¹ (ĥ or conj ĥ) F x. */
  private filter(x: Float64Array, out: Float64Array, conj: 1 | -1): void {
    const n = this.n;
    const b = this.bufIn;
    const X = this.bufOut;
    const H = this.spectrum;
    for (let j = 0; j < n; j++) {
      b[2 * j] = x[j];
      b[2 * j + 1] = 0;
    }
    this.dft.forward(X, b);
    for (let k = 0; k < n; k++) {
      const hr = H[2 * k];
      const hi = conj * H[2 * k + 1];
      const xr = X[2 * k];
      const xi = X[2 * k + 1];
      X[2 * k] = xr * hr - xi * hi;
      X[2 * k + 1] = xr * hi + xi * hr;
    }
    this.dft.inverse(b, X);
    for (let j = 0; j < n; j++) out[j] = b[2 * j];
  }

  protected override computeNormSquared(): number {
    let mx = 0;
    const H = this.spectrum;
    for (let k = 0; k < this.n; k++) mx = Math.max(mx, H[2 * k] * H[2 * k] + H[2 * k + 1] * H[2 * k + 1]);
    return mx;
  }
}

/** Options of {@link gaussian}. */
export interface GaussianOptions {
  /** Seed of the entries (default 0). */
  seed?: number;
  /** Rescale every column to unit Euclidean norm (default false). */
  normalize?: boolean;
}

/**
 * Random Gaussian sensing matrix with i.i.d. N(0, 1/m) entries (so E‖a_j‖² = 1 and
 * E‖Ax‖² = ‖x‖²), seeded; with `normalize: true` every column is rescaled to ‖a_j‖₂ = 1. Dense
 * (m·n numbers, column-major), with fast column access for coordinate solvers. Its norm comes from
 * power iteration ({@link normSquared}); ‖A‖₂ ≈ 1 + √(n/m) for large sizes.
 *
 * @example
 * const A = gaussian(32, 128, { seed: 1 }); // DenseMatrix 32 × 128
 */
export function gaussian(m: number, n: number, options: GaussianOptions = {}): DenseMatrix {
  const fn = 'gaussian';
  checkOptions(fn, options, ['seed', 'normalize']);
  checkPositiveInt(fn, 'm', m);
  checkPositiveInt(fn, 'n', n);
  // A typo (1e6 × 1e6) used to escape as a RangeError from the typed-array allocation.
  checkSizeLimit(fn, 'm·n', m * n, MAX_DENSE_ENTRIES, `a dense ${m} × ${n} matrix does not fit in memory; use partialFourier or partialDCT for large sizes`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ValueError(fn, `seed must be an integer, got ${String(seed)}`);
  const rng = new Random(seed);
  const A = new DenseMatrix(m, n);
  const s = 1 / Math.sqrt(m);
  const d = A.data;
  for (let k = 0; k < d.length; k++) d[k] = s * rng.normal();
  if (options.normalize) {
    for (let j = 0; j < n; j++) {
      let ss = 0;
      for (let i = 0; i < m; i++) ss += d[i + j * m] * d[i + j * m];
      const inv = 1 / Math.sqrt(ss); // a Gaussian column is zero with probability 0
      for (let i = 0; i < m; i++) d[i + j * m] *= inv;
    }
  }
  return A;
}

