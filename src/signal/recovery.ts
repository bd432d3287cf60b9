/**
 * Signal-recovery problems on top of the core group lasso: block-sparse compressed sensing, joint
 * sparsity across channels (multiple measurement vectors), complex coefficients, and multi-tone
 * denoising. Each solves
 *   minimize_w  (1/(2m)) ‖Y − A W‖²_F + λ Σ_g d_g ‖w_g‖₂      (no intercept; m = A.rows)
 * with FISTA (`fitGroupLasso`, solver 'fista'), then by default debiases: least squares on the
 * selected support, solved matrix-free by CGLS on A restricted to the support's columns. The group
 * lasso shrinks every active group by λ d_g; debiasing removes that bias, so in the noiseless,
 * well-sampled regime the recovered signal is exact to the CG tolerance. Least squares on m or more
 * columns would interpolate y on any support, so when the active groups span ≥ m columns only the
 * largest groups (by ‖w_g‖) fitting in m − 1 columns are debiased; the others are reported in
 * `debias.droppedGroups` and set to zero. At small λ this drops the O(λ)-sized groups a group
 * lasso keeps alongside the true ones.
 */
import { OptionError, ShapeError, ValueError } from '../errors.ts';
import { defaultLoss } from '../datafits/index.ts';
import type { GroupSpec } from '../groups/groups.ts';
import { nrm2 } from '../linalg/blas.ts';
import { cgls, CglsWork } from '../linalg/cg.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { toOperator, toResponse, toVector } from '../linalg/input.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import { prepareProblem, type FitResult } from '../problem/problem.ts';
import { checkOptions, checkPositive, checkPositiveInt, checkSizeLimit, checkTolerance, deadlineFrom } from '../util/validate.ts';
import type { IterationInfo } from '../solvers/proximal.ts';
import { adjoint, restrictColumns } from '../linalg/combinators.ts';
import { MAX_SIGNAL_LENGTH, partialFourier } from './operators.ts';

/** Options shared by the recovery problems. */
export interface RecoveryOptions {
  /** Consecutive blocks of this many coefficients are the groups (the last may be shorter). */
  blockSize?: number;
  /** Explicit groups (labels, member lists or a GroupStructure); exclusive with blockSize. */
  groups?: GroupSpec;
  /** Group weights d_g (default √p_g). */
  weights?: ArrayLike<number>;
  /** λ > 0, absolute; exclusive with lambdaRatio. */
  lambda?: number;
  /**
   * λ = lambdaRatio · λ_max, in (0, 1] (default 1e-3: near the noiseless limit; raise it with
   * noise). When λ_max = 0 (Aᵀy = 0) the answer is 0 and λ = lambdaRatio is used.
   */
  lambdaRatio?: number;
  /** Relative duality gap at which FISTA stops (default 1e-7). */
  tol?: number;
  /** FISTA iteration cap (default 20 000). */
  maxIter?: number;
  /** Least squares on the selected support after the group lasso (default true). */
  debias?: boolean;
  /** CGLS stops when ‖A_Sᵀ(y − A_S z)‖ ≤ debiasTol · ‖A_Sᵀ y‖ (default 1e-12). */
  debiasTol?: number;
  /** CGLS iteration cap (default 10·|S| + 100). */
  debiasMaxIter?: number;
  /**
   * Time budget of the whole call in seconds (default none): the group lasso stops with
   * `fit.status` 'time limit reached' and the debiasing with `debias.converged: false`. A large
   * operator (n = 2²⁰) costs a few tenths of a second per FISTA iteration.
   */
  maxTime?: number;
  /** Called after each FISTA iteration with its progress (as `fitGroupLasso`'s); return false to stop. */
  callback?: (info: IterationInfo) => boolean | void;
}

/** What the debiasing step did. */
export interface DebiasReport {
  /** CGLS iterations (the largest over channels). */
  iterations: number;
  /** Final relative normal-equation residual ‖A_Sᵀ(y − A_S z)‖ / ‖A_Sᵀ y‖ (the largest over channels). */
  relativeResidual: number;
  converged: boolean;
  /**
   * Active groups left out of the least squares: when the active groups span m = A.rows columns or
   * more (least squares would interpolate y on any such support), only the largest groups (by
   * ‖w_g‖) that fit in m − 1 columns are kept. Empty in the usual case.
   */
  droppedGroups: number[];
}

/** A recovered signal with its certificate. */
export interface RecoveryResult {
  /** Recovered coefficients (debiased unless `debias: false`), length A.cols (× channels, column-major). */
  x: Float64Array;
  /** The group lasso solution before debiasing. */
  lassoCoef: Float64Array;
  /** Indices of the selected groups: nonzero in the group lasso (minus `debias.droppedGroups`). */
  activeGroups: number[];
  /** Coefficient indices of the selected groups (features; for joint recovery shared by all channels). */
  support: number[];
  /** The group lasso fit with its certificate (duality gap, KKT violation, converged). */
  fit: FitResult;
  /** λ used, and λ_max of this problem. */
  lambda: number;
  lambdaMax: number;
  /** Debiasing report, or null when `debias: false`. */
  debias: DebiasReport | null;
  /** ‖Y − A X‖_F at the returned x. */
  residualNorm: number;
}

const RECOVERY_KEYS = ['blockSize', 'groups', 'weights', 'lambda', 'lambdaRatio', 'tol', 'maxIter', 'debias', 'debiasTol', 'debiasMaxIter', 'maxTime', 'callback'] as const;

interface Resolved {
  lambda?: number;
  lambdaRatio: number;
  tol: number;
  maxIter: number;
  debias: boolean;
  debiasTol: number;
  debiasMaxIter?: number;
  /** performance.now() at which the call must end, or undefined. */
  deadline?: number;
  callback?: (info: IterationInfo) => boolean | void;
}

function resolveCommon(fn: string, o: RecoveryOptions): Resolved {
  if (o.lambda !== undefined && o.lambdaRatio !== undefined) throw new OptionError(fn, 'give lambda or lambdaRatio, not both');
  if (o.lambda !== undefined && (typeof o.lambda !== 'number' || !Number.isFinite(o.lambda) || o.lambda <= 0)) {
    // λ = 0 is plain least squares, which has no unique solution when A has more columns than rows.
    throw new ValueError(fn, `lambda must be a finite number > 0, got ${String(o.lambda)}`);
  }
  const lambdaRatio = o.lambdaRatio === undefined ? 1e-3 : checkPositive(fn, 'lambdaRatio', o.lambdaRatio);
  if (lambdaRatio > 1) throw new ValueError(fn, `lambdaRatio must be in (0, 1], got ${lambdaRatio}`);
  const debias = o.debias ?? true;
  if (typeof debias !== 'boolean') throw new ValueError(fn, `debias must be true or false, got ${String(debias)}`);
  if (o.callback !== undefined && typeof o.callback !== 'function') throw new ValueError(fn, `callback must be a function, got ${o.callback === null ? 'null' : typeof o.callback}`);
  return {
    lambda: o.lambda,
    lambdaRatio,
    tol: checkTolerance(fn, o.tol, 1e-7),
    maxIter: o.maxIter === undefined ? 20_000 : checkPositiveInt(fn, 'maxIter', o.maxIter),
    debias,
    debiasTol: o.debiasTol === undefined ? 1e-12 : checkPositive(fn, 'debiasTol', o.debiasTol),
    debiasMaxIter: o.debiasMaxIter === undefined ? undefined : checkPositiveInt(fn, 'debiasMaxIter', o.debiasMaxIter),
    deadline: deadlineFrom(fn, o.maxTime),
    callback: o.callback,
  };
}

/** Consecutive blocks [0, b), [b, 2b), … over p coefficients, as member lists. */
function blockLists(p: number, b: number): number[][] {
  const lists: number[][] = [];
  for (let s = 0; s < p; s += b) {
    const g: number[] = [];
    for (let j = s; j < Math.min(p, s + b); j++) g.push(j);
    lists.push(g);
  }
  return lists;
}

function resolveGroups(fn: string, o: RecoveryOptions, p: number, fallback: () => GroupSpec): GroupSpec {
  if (o.blockSize !== undefined && o.groups !== undefined) throw new OptionError(fn, 'give blockSize or groups, not both');
  if (o.groups !== undefined) return o.groups;
  if (o.blockSize !== undefined) {
    const b = checkPositiveInt(fn, 'blockSize', o.blockSize);
    if (b > p) throw new ShapeError(fn, `blockSize ${b} is larger than the number of coefficients ${p}`);
    return blockLists(p, b);
  }
  return fallback();
}

/**
 * Core of every problem: group lasso over the p·T coefficients of A (m × p) against Y (m × T,
 * column-major), then optional debiasing on the union support.
 */
function solveRecovery(
  fn: string, A: LinearOperator, Y: Float64Array, T: number, groups: GroupSpec, weights: ArrayLike<number> | undefined, r: Resolved,
): RecoveryResult {
  const m = A.rows;
  const p = A.cols;
  // One feature group of size p_g spans p_g·T coefficients for T channels.
  const response = T === 1 ? Y : rowsOf(Y, m, T);
  const problem = prepareProblem(A, response, { groups, weights, fitIntercept: false, loss: defaultLoss(T) }, fn);
  const lmax = problem.lambdaMax();
  // λ_max = 0 (Aᵀy = 0): w = 0 is optimal for every λ > 0; λ = lambdaRatio stands in for 0·λ_max.
  const lambda = r.lambda ?? (lmax > 0 ? r.lambdaRatio * lmax : r.lambdaRatio);
  // The budget is the whole call's: the fit gets what is left of it (at least a microsecond, so an
  // exhausted budget still ends the fit at once with its own status).
  const maxTime = r.deadline === undefined ? undefined : Math.max(1e-6, (r.deadline - performance.now()) / 1000);
  const fit = problem.fit(lambda, { solver: 'fista', tol: r.tol, maxIter: r.maxIter, maxTime, callback: r.callback });
  const gs = problem.groups;
  const lassoCoef = fit.coef;
  // Support: features of groups with w_g ≠ 0 (group lasso zeros are exact). Least squares on as
  // many columns as rows (or more) interpolates y whatever the support, so then only the largest
  // groups are kept, by ‖w_g‖, while they fit in m − 1 columns; the others are reported dropped.
  const kept: number[] = [];
  const dropped: number[] = [];
  {
    const byNorm = [...fit.activeGroups].sort((a, b) => fit.groupNorms[b] - fit.groupNorms[a]);
    let total = 0;
    for (const g of byNorm) total += gs.ptr[g + 1] - gs.ptr[g];
    let cols = 0;
    for (const g of byNorm) {
      const size = gs.ptr[g + 1] - gs.ptr[g];
      if (!r.debias || total < m || cols + size < m) {
        kept.push(g);
        cols += size;
      } else {
        dropped.push(g);
      }
    }
    kept.sort((a, b) => a - b);
    dropped.sort((a, b) => a - b);
  }
  const inSupport = new Uint8Array(p);
  for (const g of kept) for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) inSupport[gs.indices[k]] = 1;
  const support: number[] = [];
  for (let j = 0; j < p; j++) if (inSupport[j]) support.push(j);
  let x = lassoCoef;
  let debias: DebiasReport | null = null;
  if (r.debias) {
    x = new Float64Array(p * T);
    debias = { iterations: 0, relativeResidual: 0, converged: true, droppedGroups: dropped };
    if (support.length > 0) {
      const AS = restrictColumns(A, support);
      const yt = new Float64Array(m);
      const z = new Float64Array(support.length);
      const work = new CglsWork(m, support.length);
      const maxIter = r.debiasMaxIter ?? 10 * support.length + 100;
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < m; i++) yt[i] = Y[t * m + i];
        for (let k = 0; k < support.length; k++) z[k] = lassoCoef[t * p + support[k]]; // warm start
        const rep = cgls(AS, yt, z, r.debiasTol, maxIter, work, r.deadline);
        debias.iterations = Math.max(debias.iterations, rep.iterations);
        debias.relativeResidual = Math.max(debias.relativeResidual, rep.relativeResidual);
        debias.converged &&= rep.converged;
        for (let k = 0; k < support.length; k++) x[t * p + support[k]] = z[k];
      }
    }
  }
  return {
    x, lassoCoef, activeGroups: kept, support, fit, lambda, lambdaMax: lmax, debias,
    residualNorm: residualNorm(A, Y, x, T),
  };
}

function rowsOf(Y: Float64Array, m: number, T: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < m; i++) {
    const r = new Array<number>(T);
    for (let t = 0; t < T; t++) r[t] = Y[t * m + i];
    rows.push(r);
  }
  return rows;
}

function residualNorm(A: LinearOperator, Y: Float64Array, X: Float64Array, T: number): number {
  const m = A.rows;
  const p = A.cols;
  const out = new Float64Array(m);
  const xt = new Float64Array(p);
  let s = 0;
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < p; j++) xt[j] = X[t * p + j];
    A.apply(xt, out);
    for (let i = 0; i < m; i++) {
      const d = Y[t * m + i] - out[i];
      s += d * d;
    }
  }
  return Math.sqrt(s);
}

/**
 * Block-sparse compressed sensing with known blocks, no intercept:
 *   minimize_x (1/(2m)) ‖y − A x‖² + λ Σ_g d_g ‖x_g‖₂,   d_g = √p_g, λ = lambdaRatio·λ_max by default,
 * solved by FISTA (`fitGroupLasso`), then debiased by least squares on the selected blocks (CGLS on
 * A restricted to them, matrix-free). A is any LinearOperator (e.g. {@link partialFourier}) or a
 * dense matrix; y has length m = A.rows. Groups: `blockSize` (consecutive blocks) or `groups`.
 *
 * @example
 * const A = partialFourier(256, { m: 60, seed: 1 });
 * const { x } = randomBlockSparse(256, 8, 3, 11);
 * const y = new Float64Array(A.rows);
 * A.apply(x, y);
 * const res = blockSparseRecovery(A, y, { blockSize: 8 });
 * res.activeGroups // returns the 3 true blocks; res.x equals x to ~1e-12
 */
export function blockSparseRecovery(A: unknown, y: ArrayLike<number>, options: RecoveryOptions): RecoveryResult {
  const fn = 'blockSparseRecovery';
  checkOptions(fn, options, RECOVERY_KEYS);
  const o = options ?? {};
  const op = toOperator(A, fn, 'A');
  const yv = toVector(y, fn, 'y', op.rows);
  const r = resolveCommon(fn, o);
  const groups = resolveGroups(fn, o, op.cols, () => {
    throw new OptionError(fn, 'give blockSize or groups');
  });
  return solveRecovery(fn, op, yv, 1, groups, o.weights, r);
}

/** Result of {@link jointSparseRecovery}: `x` is p × T column-major; `X` is the same as a matrix. */
export interface JointRecoveryResult extends RecoveryResult {
  /** The recovered coefficient matrix, p × channels. */
  X: DenseMatrix;
  channels: number;
}

/**
 * Joint sparsity across channels (multiple measurement vectors): Y = A X + noise with X (p × T)
 * row-sparse — a feature is active in every channel or in none. Solves
 *   minimize_X (1/(2m)) ‖Y − A X‖²_F + λ Σ_g d_g ‖X_{g,:}‖_F
 * (loss 'multitask', the row of a feature across channels is one group; `blockSize`/`groups`
 * group features further), then debiases each channel on the shared support. Y is m × T: rows of
 * numbers, an ml-matrix Matrix or a DenseMatrix.
 *
 * @example
 * const A = partialDCT(128, { m: 40, seed: 6 });
 * // Y: 40 rows × T channels of measurements A X of a row-sparse 128 × T matrix X
 * const res = jointSparseRecovery(A, Y);
 * res.support // returns the rows of X that are nonzero; res.X is 128 × T
 */
export function jointSparseRecovery(A: unknown, Y: unknown, options: RecoveryOptions = {}): JointRecoveryResult {
  const fn = 'jointSparseRecovery';
  checkOptions(fn, options, RECOVERY_KEYS);
  const o = options ?? {};
  const op = toOperator(A, fn, 'A');
  const resp = Y instanceof DenseMatrix ? denseResponse(fn, Y, op.rows) : toResponse(Y, fn, op.rows);
  const r = resolveCommon(fn, o);
  const groups = resolveGroups(fn, o, op.cols, () => blockLists(op.cols, 1));
  const res = solveRecovery(fn, op, resp.data, resp.T, groups, o.weights, r);
  return { ...res, X: new DenseMatrix(op.cols, resp.T, res.x), channels: resp.T };
}

function denseResponse(fn: string, Y: DenseMatrix, m: number): { data: Float64Array; T: number } {
  if (Y.rows !== m) throw new ShapeError(fn, `Y has ${Y.rows} rows but A has ${m}`);
  for (let k = 0; k < Y.data.length; k++) {
    if (!Number.isFinite(Y.data[k])) throw new ValueError(fn, `Y contains a non-finite value at row ${k % m}, column ${Math.floor(k / m)}`);
  }
  return { data: Y.data.slice(), T: Y.cols };
}

/** Result of {@link complexSparseRecovery}: `x` stacked [Re; Im], also split. */
export interface ComplexRecoveryResult extends RecoveryResult {
  re: Float64Array;
  im: Float64Array;
}

/**
 * Sparse recovery of complex coefficients z = a + ib ∈ ℂⁿ, stored stacked as x = [a; b] ∈ ℝ^{2n}
 * (the layout of `partialFourier(n, rows, { complex: true })`): each complex coefficient is the
 * group {a_j, b_j}, so the penalty is λ Σ_j d_j |z_j| (the complex lasso), or with `blockSize`
 * the group of a block of complex coefficients. Measurements y ∈ ℝ^{A.rows} (e.g. stacked
 * [Re; Im]). Same objective, solver and debiasing as {@link blockSparseRecovery}.
 *
 * @example
 * const A = partialFourier(200, { m: 60, seed: 8 }, { complex: true }); // ℝ⁴⁰⁰ ≅ ℂ²⁰⁰ → ℝ¹²⁰
 * const z = new Float64Array(400);
 * z[7] = 1; z[200 + 7] = -2; // z_7 = 1 − 2i
 * const y = new Float64Array(120);
 * A.apply(z, y);
 * complexSparseRecovery(A, y).activeGroups // returns [7]
 */
export function complexSparseRecovery(A: unknown, y: ArrayLike<number>, options: Omit<RecoveryOptions, 'groups'> = {}): ComplexRecoveryResult {
  const fn = 'complexSparseRecovery';
  checkOptions(fn, options, RECOVERY_KEYS.filter((k) => k !== 'groups'));
  const o = options ?? {};
  const op = toOperator(A, fn, 'A');
  if (op.cols % 2 !== 0) throw new ShapeError(fn, `A must act on stacked [Re; Im] coefficients (an even number of columns), got ${op.cols}`);
  const n = op.cols / 2;
  const yv = toVector(y, fn, 'y', op.rows);
  const r = resolveCommon(fn, o);
  const b = o.blockSize === undefined ? 1 : checkPositiveInt(fn, 'blockSize', o.blockSize);
  if (b > n) throw new ShapeError(fn, `blockSize ${b} is larger than the number of complex coefficients ${n}`);
  const lists = blockLists(n, b).map((g) => [...g, ...g.map((j) => n + j)]);
  const res = solveRecovery(fn, op, yv, 1, lists, o.weights, r);
  return { ...res, re: res.x.slice(0, n), im: res.x.slice(n) };
}

/** Options of {@link denoiseMultitone}. */
export interface MultitoneOptions {
  /** λ, absolute (exclusive with lambdaRatio and noiseStd). */
  lambda?: number;
  /** λ = lambdaRatio·λ_max. */
  lambdaRatio?: number;
  /** Noise standard deviation σ per sample: λ = 1.1·σ(√(2T) + √(2 ln K)) / (2n) (see the doc). */
  noiseStd?: number;
  tol?: number;
  maxIter?: number;
  /** Least squares on the selected frequencies (default true). */
  debias?: boolean;
  /** Time budget in seconds, as in {@link RecoveryOptions}. */
  maxTime?: number;
  /** Progress of each FISTA iteration, as in {@link RecoveryOptions}. */
  callback?: (info: IterationInfo) => boolean | void;
}

/** Result of {@link denoiseMultitone}. */
export interface MultitoneResult {
  /** The denoised signal, n samples × T channels. */
  denoised: DenseMatrix;
  /** Selected DFT frequency indices k (cycles per n samples), ascending. */
  frequencies: number[];
  /** Amplitude of each selected frequency in each channel: a = |c_{k,t}|/√n, frequencies × T rows. */
  amplitudes: number[][];
  /** The underlying recovery (coefficients over [Re; Im] of the K = ⌊n/2⌋+1 frequencies × T). */
  recovery: RecoveryResult;
  lambda: number;
}

/**
 * Group-sparse denoising of a multichannel sum of tones. Each channel t is modelled as
 *   s_t = D c_t,  D = F_rᵀ : ℝ^{2K} → ℝⁿ,  (D [u; v])_j = (1/√n) Σ_{k<K} (u_k cos(2πjk/n) − v_k sin(2πjk/n)),
 * K = ⌊n/2⌋ + 1 (the adjoint of the real {@link partialFourier} over all non-redundant frequencies,
 * orthonormal 1/√n scaling), and frequency k across channels, {u_k, v_k} × T, is one group:
 *   minimize_C (1/(2n)) ‖Y − D C‖²_F + λ Σ_k √2 ‖C_{k,:}‖_F,
 * so a tone is kept or dropped in all channels together; then least squares on the kept
 * frequencies. With `noiseStd` = σ, λ = 1.1·σ(√(2T) + √(2 ln K))/(2n): at that level pure noise
 * (‖D_kᵀε‖² ≈ (σ²/2)·χ²_{2T}) leaves every group at zero with high probability. Tones must lie
 * on the DFT grid (k cycles per n samples) to be exactly sparse; off-grid tones leak into
 * neighbours. Y: n samples × T channels (rows, Matrix or DenseMatrix).
 *
 * @example
 * // 64 samples × 2 channels of the tone k = 3 (3 cycles per 64 samples)
 * const Y = Array.from({ length: 64 }, (_, j) => [2 * Math.cos(2 * Math.PI * 3 * j / 64 + 1), 0.5 * Math.sin(2 * Math.PI * 3 * j / 64)]);
 * const res = denoiseMultitone(Y, { lambdaRatio: 0.1 });
 * res.frequencies // returns [3]; res.amplitudes returns [[2, 0.5]]
 */
export function denoiseMultitone(Y: unknown, options: MultitoneOptions = {}): MultitoneResult {
  const fn = 'denoiseMultitone';
  checkOptions(fn, options, ['lambda', 'lambdaRatio', 'noiseStd', 'tol', 'maxIter', 'debias', 'maxTime', 'callback']);
  const o = options ?? {};
  let n: number;
  let data: Float64Array;
  let T: number;
  // The length is checked before the samples are read: a signal past the transform's limit used to
  // be converted whole (seconds of work) and then refused in partialFourier's name.
  const checkLength = (len: number): number => checkSizeLimit(fn, 'the number of samples', len, MAX_SIGNAL_LENGTH, 'the longest signal the Fourier transform takes');
  if (Y instanceof DenseMatrix) {
    n = checkLength(Y.rows);
    ({ data, T } = denseResponse(fn, Y, n));
  } else {
    const rows = Y as ArrayLike<unknown>;
    if (rows === null || rows === undefined || typeof rows.length !== 'number') throw new ShapeError(fn, 'Y must be n samples × T channels');
    n = checkLength(rows.length);
    if (n > 0 && typeof rows[0] === 'number') {
      // A single channel given as a flat array.
      data = toVector(rows, fn, 'Y');
      T = 1;
    } else {
      ({ data, T } = toResponse(Y, fn, n));
    }
  }
  if (n < 2) throw new ShapeError(fn, `Y needs at least 2 samples, got ${n}`);
  const exclusive = [o.lambda, o.lambdaRatio, o.noiseStd].filter((v) => v !== undefined).length;
  if (exclusive > 1) throw new OptionError(fn, 'give at most one of lambda, lambdaRatio, noiseStd');
  const K = Math.floor(n / 2) + 1;
  const all = Array.from({ length: K }, (_, k) => k);
  const D = adjoint(partialFourier(n, all));
  const groups = all.map((k) => [k, K + k]);
  let lambda = o.lambda;
  if (o.noiseStd !== undefined) {
    const sigma = checkPositive(fn, 'noiseStd', o.noiseStd);
    lambda = (1.1 * sigma * (Math.sqrt(2 * T) + Math.sqrt(2 * Math.log(K)))) / (2 * n);
  }
  const r = resolveCommon(fn, { lambda, lambdaRatio: lambda === undefined ? (o.lambdaRatio ?? 0.1) : undefined, tol: o.tol, maxIter: o.maxIter, debias: o.debias, maxTime: o.maxTime, callback: o.callback });
  const rec = solveRecovery(fn, D, data, T, groups, undefined, r);
  const denoised = new DenseMatrix(n, T);
  const ct = new Float64Array(2 * K);
  const st = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < 2 * K; j++) ct[j] = rec.x[t * 2 * K + j];
    D.apply(ct, st);
    denoised.data.set(st, t * n);
  }
  const freqs = rec.activeGroups.map((g) => g).sort((a, b) => a - b);
  const amplitudes = freqs.map((k) => {
    const row: number[] = [];
    // a·cos(2πjk/n + φ) = (1/√n)(u cos − v sin) with (u, v) = a√n (cos φ, sin φ): |c_k| = a√n.
    const f = 1 / Math.sqrt(n);
    for (let t = 0; t < T; t++) row.push(f * Math.hypot(rec.x[t * 2 * K + k], rec.x[t * 2 * K + K + k]));
    return row;
  });
  return { denoised, frequencies: freqs, amplitudes, recovery: rec, lambda: rec.lambda };
}
