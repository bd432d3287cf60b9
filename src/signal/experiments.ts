/**
 * Seeded test signals and the phase-transition experiment (Donoho–Tanner style): success rate of
 * exact recovery on a grid of undersampling δ = m/n and sparsity ρ = k/m.
 */
import { OptionError, ShapeError, ValueError } from '../errors.ts';
import { nrm2 } from '../linalg/blas.ts';
import { Random } from '../util/random.ts';
import { checkOptions, checkPositive, checkPositiveInt, checkSizeLimit, checkTolerance, deadlineFrom } from '../util/validate.ts';
import { gaussian, MAX_DENSE_ENTRIES, MAX_SIGNAL_LENGTH } from './operators.ts';
import { blockSparseRecovery } from './recovery.ts';

/** A block-sparse test signal and where its nonzero blocks are. */
export interface BlockSparseSignal {
  x: Float64Array;
  /** Indices of the nonzero blocks (block b covers [b·blockSize, (b+1)·blockSize)), ascending. */
  blocks: number[];
}

/**
 * A seeded block-sparse signal of length n: `blocks` distinct blocks of `blockSize` consecutive
 * coefficients, chosen uniformly, with i.i.d. N(0, 1) entries; zero elsewhere. n must be a
 * multiple of blockSize.
 *
 * @example
 * const { x, blocks } = randomBlockSparse(64, 4, 3, 1); // 12 nonzeros in 3 blocks
 */
export function randomBlockSparse(n: number, blockSize: number, blocks: number, seed = 0): BlockSparseSignal {
  const fn = 'randomBlockSparse';
  checkPositiveInt(fn, 'n', n);
  checkSizeLimit(fn, 'n', n, MAX_SIGNAL_LENGTH, 'the longest signal the transforms take');
  checkPositiveInt(fn, 'blockSize', blockSize);
  if (n % blockSize !== 0) throw new ShapeError(fn, `n = ${n} is not a multiple of blockSize = ${blockSize}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new ValueError(fn, `seed must be a whole number from 0 to 2^32 − 1, got ${String(seed)}`);
  const nb = n / blockSize;
  if (!Number.isInteger(blocks) || blocks < 0 || blocks > nb) throw new ValueError(fn, `blocks must be a whole number in [0, ${nb}], got ${blocks}`);
  const rng = new Random(seed);
  const order = Array.from({ length: nb }, (_, b) => b);
  rng.shuffle(order);
  const chosen = order.slice(0, blocks).sort((a, b) => a - b);
  const x = new Float64Array(n);
  for (const b of chosen) for (let j = b * blockSize; j < (b + 1) * blockSize; j++) x[j] = rng.normal();
  return { x, blocks: chosen };
}

/** Options of {@link phaseTransition}. */
export interface PhaseTransitionOptions {
  /** Signal length (a multiple of blockSize). */
  n: number;
  blockSize: number;
  /** Undersampling ratios δ = m/n in (0, 1]. */
  deltas: readonly number[];
  /** Sparsity ratios ρ = k/m in (0, 1]; k is rounded to whole blocks (at least one). */
  sparsityRatios: readonly number[];
  /** Trials per grid point (default 10). */
  trials?: number;
  /** Seed of the whole experiment (default 0). */
  seed?: number;
  /** Success when ‖x̂ − x‖/‖x‖ < successTol after debiasing (default 1e-3). */
  successTol?: number;
  /** λ/λ_max of both methods (default 1e-3). */
  lambdaRatio?: number;
  /** FISTA relative-gap tolerance (default 1e-6) and iteration cap (default 5000). */
  tol?: number;
  maxIter?: number;
  /**
   * Called after each trial with the trials done and the total (deltas × ratios × trials); return
   * false to stop. A grid of many points runs for minutes.
   */
  onProgress?: (done: number, total: number) => boolean | void;
  /** Time budget in seconds (default none). */
  maxTime?: number;
}

/** One cell of a phase-transition experiment (what {@link phaseTransition} returns, and the phase diagram draws). */
export interface PhaseTransitionRow {
  /** Undersampling ratio δ = m/n (measurements per unknown). */
  delta: number;
  /** Sparsity ratio ρ = k/m (nonzeros per measurement). */
  sparsityRatio: number;
  /** Recovery method (one facet per method). */
  method: 'group' | 'lasso';
  /** Fraction of trials that recovered the signal, in [0, 1]. */
  successRate: number;
  /** Measurements m = round(δn) and nonzeros k (whole blocks) actually used. */
  m: number;
  k: number;
  trials: number;
}

/**
 * Phase-transition experiment: for each δ = m/n and ρ = k/m, `trials` seeded problems
 * y = A x with A = {@link gaussian}(m, n) (N(0, 1/m) entries) and x block-sparse with
 * k ≈ ρm nonzeros in whole blocks; each is solved by the group lasso with the true blocks and by
 * the plain lasso (singleton groups, the same λ/λ_max), both debiased, and counted a success when
 * ‖x̂ − x‖₂/‖x‖₂ < successTol. Both methods see the same A, x and y. Debiasing keeps at most m − 1
 * columns (the largest groups, see {@link blockSparseRecovery}), so a success means the true groups
 * rank among the largest of the lasso solution and least squares on them is exact: the curves lie
 * above those of exact support recovery by ℓ1 / ℓ2,1 minimization alone. Known result: block
 * structure moves the transition to fewer measurements.
 *
 * @example
 * const rows = phaseTransition({ n: 64, blockSize: 4, deltas: [0.25, 0.5], sparsityRatios: [0.2, 0.4], trials: 5, seed: 1 });
 * // returns [{ delta: 0.25, sparsityRatio: 0.2, method: 'group', successRate: …, m: 16, k: 4, trials: 5 }, …]
 *
 * Stopped early (`onProgress` returned false, or `maxTime` ran out), it returns the cells done so
 * far: the last one counts the trials it finished in its `trials` (a trial cut short by the time
 * budget is not counted), and the cells not begun are absent.
 */
export function phaseTransition(options: PhaseTransitionOptions): PhaseTransitionRow[] {
  const fn = 'phaseTransition';
  if (options === null || typeof options !== 'object') throw new OptionError(fn, 'options { n, blockSize, deltas, sparsityRatios } are required');
  checkOptions(fn, options, ['n', 'blockSize', 'deltas', 'sparsityRatios', 'trials', 'seed', 'successTol', 'lambdaRatio', 'tol', 'maxIter', 'onProgress', 'maxTime']);
  const onProgress = options.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new ValueError(fn, `onProgress must be a function (done, total) => boolean | void, got ${onProgress === null ? 'null' : typeof onProgress}`);
  const deadline = deadlineFrom(fn, options.maxTime);
  const n = checkPositiveInt(fn, 'n', options.n);
  const b = checkPositiveInt(fn, 'blockSize', options.blockSize);
  if (n % b !== 0) throw new ShapeError(fn, `n = ${n} is not a multiple of blockSize = ${b}`);
  const trials = options.trials === undefined ? 10 : checkPositiveInt(fn, 'trials', options.trials);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ValueError(fn, `seed must be an integer, got ${String(seed)}`);
  const successTol = options.successTol === undefined ? 1e-3 : checkPositive(fn, 'successTol', options.successTol);
  const lambdaRatio = options.lambdaRatio === undefined ? 1e-3 : checkPositive(fn, 'lambdaRatio', options.lambdaRatio);
  const tol = checkTolerance(fn, options.tol, 1e-6);
  const maxIter = options.maxIter === undefined ? 5000 : checkPositiveInt(fn, 'maxIter', options.maxIter);
  const checkRatios = (what: string, v: readonly number[]) => {
    if (!Array.isArray(v) || v.length === 0) throw new ValueError(fn, `${what} must be a non-empty array`);
    for (const d of v) if (!(typeof d === 'number' && d > 0 && d <= 1)) throw new ValueError(fn, `${what} must lie in (0, 1], got ${String(d)}`);
  };
  checkRatios('deltas', options.deltas);
  checkRatios('sparsityRatios', options.sparsityRatios);
  // Each grid point runs `trials` pairs of recoveries on an m × n Gaussian matrix.
  checkSizeLimit(fn, 'the number of recoveries (deltas × sparsityRatios × trials)', options.deltas.length * options.sparsityRatios.length * trials, 100_000, 'each one is a full solve');
  // The largest Gaussian matrix of the grid, checked here so the refusal names this function
  // (it came from gaussian, after the grid's first trials had run).
  const mMax = Math.max(2, Math.round(Math.max(...options.deltas) * n));
  checkSizeLimit(fn, 'm·n of the largest sensing matrix', mMax * n, MAX_DENSE_ENTRIES, `a dense ${mMax} × ${n} Gaussian matrix does not fit in memory; lower n`);
  const nb = n / b;
  const singletons = Array.from({ length: n }, (_, j) => [j]);
  const blocks = Array.from({ length: nb }, (_, g) => Array.from({ length: b }, (_, q) => g * b + q));
  const rows: PhaseTransitionRow[] = [];
  const total = options.deltas.length * options.sparsityRatios.length * trials;
  let done = 0;
  let stopped = false;
  const timeLeft = (): number | undefined => (deadline === undefined ? undefined : (deadline - performance.now()) / 1000);
  options.deltas.forEach((delta, di) => {
    if (stopped) return;
    const m = Math.max(2, Math.round(delta * n));
    options.sparsityRatios.forEach((sparsityRatio, ri) => {
      if (stopped) return;
      const s = Math.min(nb, Math.max(1, Math.round((sparsityRatio * m) / b)));
      let okGroup = 0;
      let okLasso = 0;
      let finished = 0;
      for (let trial = 0; trial < trials && !stopped; trial++) {
        // One seed per (δ, ρ, trial): grid points are independent and reproducible.
        const base = (((seed * 1009 + di) * 1009 + ri) * 1009 + trial) >>> 0;
        const A = gaussian(m, n, { seed: base });
        const { x } = randomBlockSparse(n, b, s, base + 1);
        const y = new Float64Array(m);
        A.apply(x, y);
        const nx = nrm2(n, x);
        let outOfTime = false;
        const err = (groups: number[][]) => {
          const left = timeLeft();
          if (left !== undefined && !(left > 0)) {
            outOfTime = true;
            return Infinity;
          }
          const res = blockSparseRecovery(A, y, { groups, lambdaRatio, tol, maxIter, maxTime: left });
          if (res.fit.status === 'time limit reached') outOfTime = true;
          let d = 0;
          for (let j = 0; j < n; j++) d += (res.x[j] - x[j]) ** 2;
          return Math.sqrt(d) / nx;
        };
        const group = err(blocks) < successTol;
        const lasso = err(singletons) < successTol;
        if (outOfTime) {
          stopped = true;
          break;
        }
        if (group) okGroup++;
        if (lasso) okLasso++;
        finished++;
        done++;
        if (onProgress?.(done, total) === false) stopped = true;
      }
      if (finished === 0) return;
      const k = s * b;
      rows.push({ delta, sparsityRatio, method: 'group', successRate: okGroup / finished, m, k, trials: finished });
      rows.push({ delta, sparsityRatio, method: 'lasso', successRate: okLasso / finished, m, k, trials: finished });
    });
  });
  return rows;
}

/**
 * The rows of {@link phaseTransition} as a text table: one line per δ, one column per ρ, each cell
 * "group/lasso" success rates.
 *
 * @example
 * console.log(formatPhaseTable(phaseTransition({ n: 64, blockSize: 8, deltas: [0.5], sparsityRatios: [0.25], trials: 2 })));
 * // prints a header line, then e.g. '       0.50  1.00/1.00'
 */
export function formatPhaseTable(rows: readonly PhaseTransitionRow[]): string {
  if (!Array.isArray(rows) || rows.some((r) => r === null || typeof r !== 'object')) {
    throw new ValueError('formatPhaseTable', `rows must be the list phaseTransition returns, got ${rows === null ? 'null' : Array.isArray(rows) ? 'a list holding a non-object' : typeof rows}`);
  }
  // Objects without the fields used to fail as a TypeError on the first number printed.
  rows.forEach((r, i) => {
    if (typeof r.delta !== 'number' || typeof r.sparsityRatio !== 'number' || typeof r.successRate !== 'number' || (r.method !== 'group' && r.method !== 'lasso')) {
      throw new ValueError('formatPhaseTable', `rows[${i}] is not a phaseTransition row { delta, sparsityRatio, method: 'group' | 'lasso', successRate }`);
    }
  });
  const deltas = [...new Set(rows.map((r) => r.delta))];
  const ratios = [...new Set(rows.map((r) => r.sparsityRatio))];
  const cell = (d: number, r: number, m: string) => rows.find((x) => x.delta === d && x.sparsityRatio === r && x.method === m)?.successRate;
  const head = ['δ \\ ρ', ...ratios.map((r) => r.toFixed(2))].map((s) => s.padStart(11)).join('');
  const lines = [head + '   (success rate group / lasso)'];
  for (const d of deltas) {
    lines.push([d.toFixed(2), ...ratios.map((r) => `${cell(d, r, 'group')?.toFixed(2)}/${cell(d, r, 'lasso')?.toFixed(2)}`)]
      .map((s) => s.padStart(11)).join(''));
  }
  return lines.join('\n');
}
