import { defaultLoss, getLoss, lossNames, makeDatafit, type LossName } from '../datafits/index.ts';
import { groupNorms } from '../groups/norms.ts';
import { OptionError, ShapeError, ValueError } from '../errors.ts';
import { makeGroups, type GroupSpec, type GroupStructure, type WeightRule } from '../groups/groups.ts';
import { checkDesignScale, toOperator, toResponse, type MatrixInput, type ResponseInput } from '../linalg/input.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import { prepareProblem, type FitResult, type SolverName } from '../problem/problem.ts';
import { judge, relativeGap, type Certificate } from '../solvers/certificate.ts';
import { STALL_GAIN, STALL_ITERATIONS, STALL_SECONDS, TRACK_FACTOR } from '../solvers/driver.ts';
import type { IterationInfo } from '../solvers/proximal.ts';
import {
  checkChoice, checkNonNegative, checkOptions, checkPositive, checkPositiveInt, checkTolerance, deadlineFrom,
} from '../util/validate.ts';
import {
  certifyOverlap, ConsensusAdmm, overlapContext, OverlapStructure, type AdmmInfo, type LinearSolverName,
} from './consensus.ts';
import { AdmmDualHistory } from './extrapolate.ts';
import { JointDesign } from './joint.ts';
import { RestrictedNewton } from './polish.ts';
import { designRescale, PowerOfTwoScaled } from './scaled.ts';
import { LatentDecomposition, LatentDesign } from './latent.ts';

/** 'latent': latent group lasso (unions of groups selected); 'consensus': plain overlapping norm by ADMM. */
export type OverlapMode = 'latent' | 'consensus';

export interface OverlapFitOptions {
  /** Member lists `[[0, 1, 2], [2, 3, 4]]` (may overlap), a label per column, or a GroupStructure. */
  groups: GroupSpec;
  /** λ ≥ 0. */
  lambda: number;
  /** 'latent' (default) or 'consensus'. */
  mode?: OverlapMode;
  /** 'squared' (default), 'logistic' (labels 0/1) or 'poisson' (counts). */
  loss?: Exclude<LossName, 'multitask'>;
  /** Group weights d_g (default √p_g, p_g the group's size); 0 = the group carries no penalty. */
  weights?: ArrayLike<number> | WeightRule;
  /** Fit an unpenalized intercept (default true). */
  fitIntercept?: boolean;
  /** Relative duality gap to reach (default 1e-8 latent, 1e-6 consensus). */
  tol?: number;
  /** Iteration cap (default 100 000 latent, 20 000 ADMM iterations consensus). */
  maxIter?: number;
  /**
   * Features in no group: 'error' (default) refuses them, 'unpenalized' gives each its own
   * weight-0 group (a weight-0 latent group in 'latent' mode), so it is fitted without penalty.
   */
  ungrouped?: 'error' | 'unpenalized';
  /** 'latent': any core solver ('ista', 'fista', registered ones, 'auto'); 'consensus': 'admm' or 'auto'. */
  solver?: SolverName | 'admm';
  /** Consensus only: initial ADMM penalty parameter ρ > 0 (default: mean diagonal of XᵀX/n). */
  admmPenalty?: number;
  /** @deprecated The former name of `admmPenalty` (still accepted; giving both is refused). */
  rho?: number;
  /** Consensus, squared loss only: w-update by 'cholesky' (cached per ρ), 'cg', or 'auto' (default). */
  linearSolver?: LinearSolverName;
  /** Time budget in seconds (default none); reaching it gives converged: false, 'time limit reached'. */
  maxTime?: number;
  /**
   * Called after every iteration (latent mode: the core solver's {@link IterationInfo}; consensus:
   * the ADMM residuals with the best certified primal, dual and relative gap so far); returning
   * false stops the run with status 'stopped by callback' and the best certified point.
   */
  callback?: (info: IterationInfo | AdmmProgress) => boolean | void;
}

/** What the consensus ADMM reports to a callback after each iteration. */
export interface AdmmProgress extends AdmmInfo {
  /** Best certified primal and dual objectives so far (the gap's two sides; NaN / −∞ before any). */
  primal: number;
  dual: number;
  relativeGap: number;
}

/** ADMM run statistics (consensus mode). */
export interface AdmmStats {
  /** Final ‖Aw − z‖ and ρ‖Aᵀ(z − z_prev)‖. */
  primalResidual: number;
  dualResidual: number;
  /** Final ADMM penalty parameter ρ and how many times residual balancing changed it. */
  admmPenalty: number;
  admmPenaltyUpdates: number;
  /** 'cholesky', 'cg' or 'newton-cg'. */
  wUpdate: string;
  /** Factorizations (Cholesky) or inner CG products (CG, Newton-CG). */
  linearWork: number;
}

/**
 * A fit of an overlapping group lasso, with the certificate of the problem actually solved.
 * Latent mode: objective, dualityGap and kktViolation are those of the latent problem (over v);
 * `groupNorms[g]` = ‖v_g‖ and `activeGroups` = groups with v_g ≠ 0 (the selected groups).
 * Consensus mode: those of the plain problem (over w; the KKT value is the bound of
 * {@link certifyOverlap}); `groupNorms[g]` = ‖w_g‖ and `activeGroups` = groups with w_g ≠ 0.
 * In both, `coef` is w (length p) and `support` its nonzero features.
 */
export interface OverlapFitResult extends FitResult {
  mode: OverlapMode;
  /**
   * Latent mode: the parts v_g with w = Σ_g v_g (group g of `latent` = group g of `groupNames`).
   * Consensus mode: null.
   */
  latent: LatentDecomposition | null;
  /** Features with w_j ≠ 0, ascending. */
  support: number[];
  /** Consensus mode: ADMM statistics; latent mode: null. */
  admm: AdmmStats | null;
}

const KEYS = [
  'groups', 'lambda', 'mode', 'loss', 'weights', 'fitIntercept', 'tol', 'maxIter', 'ungrouped', 'solver', 'admmPenalty', 'rho',
  'linearSolver', 'maxTime', 'callback',
] as const;

/**
 * Group lasso with overlapping groups, in one of two senses.
 *
 * **mode 'latent'** (Jacob, Obozinski & Vert 2009): w = Σ_g v_g with supp v_g ⊂ g and
 *   minimize_{v, b}  F(X Σ_g v_g + b) + λ Σ_g d_g ‖v_g‖₂.
 * The penalty Ω_latent(w) = min_{Σv_g = w} λΣ_g d_g‖v_g‖ favours supports that are unions of
 * groups. Solved as an ordinary group lasso on the duplicated design X·P (every column repeated
 * once per group that holds it) with the now disjoint latent groups, through a {@link LatentDesign}
 * that never builds X·P. `latent` holds the parts v_g; `activeGroups` the groups with v_g ≠ 0
 * (the selected groups); the certificate (duality gap, KKT) is that of the latent problem.
 *
 * **mode 'consensus'**: the plain overlapping norm,
 *   minimize_{w, b}  F(Xw + b) + λ Σ_g d_g ‖w_g‖₂,
 * which zeroes unions of groups (so the support is an intersection of complements of groups).
 * Solved by consensus ADMM ({@link ConsensusAdmm}); the duality gap uses the dual norm
 * Ω*(s) = min over s = Σ_g s^g of max_g ‖s^g‖/d_g, with the decomposition from the ADMM duals
 * ({@link certifyOverlap}). `converged` means relative gap ≤ tol (default 1e-6: ADMM is a
 * first-order method and slow at high accuracy); activeGroups are groups with w_g ≠ 0.
 *
 * Scaling as everywhere: F = (1/(2n))‖y − Xw − b‖² (squared) or the mean logistic / Poisson
 * negative log-likelihood, d_g = √p_g by default, intercept unpenalized and fitted exactly.
 * Features in no group are refused unless `ungrouped: 'unpenalized'`, which fits each of them
 * without penalty; none is ever dropped silently. The caller's X is never modified or copied into
 * a duplicated design.
 *
 * @example
 * const fit = fitOverlappingGroupLasso(X, y, { groups: [[0, 1, 2], [2, 3, 4], [4, 5, 6]], lambda: 0.05 });
 * fit.activeGroups // returns e.g. [0, 1] — w is supported on {0, …, 4}
 */
export function fitOverlappingGroupLasso(X: MatrixInput, y: ResponseInput, options: OverlapFitOptions): OverlapFitResult {
  const fn = 'fitOverlappingGroupLasso';
  if (options === undefined || options === null) throw new ValueError(fn, 'options { groups, lambda } are required');
  checkOptions(fn, options, KEYS);
  const lambda = checkNonNegative(fn, 'lambda', options.lambda);
  const mode = checkChoice(fn, 'mode', options.mode ?? 'latent', ['latent', 'consensus'] as const);
  // One numeric response column here: not the squared loss under its matrix-response name, nor the
  // losses that read a response of their own (labels, survival times).
  const loss = checkChoice(fn, 'loss', options.loss ?? defaultLoss(1), lossNames().filter((l) => l !== defaultLoss(2) && !getLoss(l)!.readResponse));
  if (options.ungrouped !== undefined && options.ungrouped !== 'error' && options.ungrouped !== 'unpenalized') {
    throw new ValueError(fn, `ungrouped must be 'error' or 'unpenalized', got '${String(options.ungrouped)}'`);
  }
  if (mode === 'latent' && (options.admmPenalty !== undefined || options.rho !== undefined || options.linearSolver !== undefined)) {
    throw new OptionError(fn, "admmPenalty and linearSolver are options of mode 'consensus'");
  }
  const op = toOperator(X, fn);
  if (op.rows < 2) throw new ShapeError(fn, `X has ${op.rows} row; at least 2 samples are needed`);
  const resp = toResponse(y, fn, op.rows);
  if (resp.T !== 1) throw new ShapeError(fn, `y must be a single response column, got ${resp.T} columns`);
  const groups = makeGroups(options.groups, op.cols, { weights: options.weights, ungrouped: options.ungrouped, allowOverlap: true }, fn);
  // Read on the caller's X: the duplicated design's column norms under- or overflow first.
  checkDesignScale(fn, op);
  // A design far from unit scale is moved there by a power of two c (exact), which leaves the
  // problem the same: F(Xw) + λΩ(w) = F(X̃v) + λ̃Ω(v) with X̃ = cX, v = w/c, λ̃ = λc. The solvers'
  // internal scales (ADMM's ρ, step sizes, stall tests) then stay in range.
  const c = designRescale(op);
  const X2 = c === 1 ? op : new PowerOfTwoScaled(op, c);
  const res = mode === 'latent'
    ? fitLatent(fn, X2, resp.data, groups, lambda * c, loss, options)
    : fitConsensus(fn, X2, resp.data, groups, lambda * c, loss, options);
  return c === 1 ? res : unscale(res, c, lambda);
}

/** A fit on X̃ = cX, λ̃ = λc mapped back to X, λ: coefficients ×c (in place: the arrays are the fit's own), gradients (KKT) ÷c. */
function unscale(r: OverlapFitResult, c: number, lambda: number): OverlapFitResult {
  const mul = (a: Float64Array): void => {
    for (let i = 0; i < a.length; i++) a[i] *= c;
  };
  mul(r.coef);
  mul(r.groupNorms);
  if (r.latent) mul(r.latent.values);
  return { ...r, lambda, kktViolation: r.kktViolation / c, roundingFloor: { gap: r.roundingFloor.gap, kkt: r.roundingFloor.kkt / c } };
}

/** A zero pattern as a string key (one character per group). */
function patternKey(zero: Uint8Array): string {
  let s = '';
  for (let g = 0; g < zero.length; g++) s += zero[g] ? '1' : '0';
  return s;
}

function supportOf(w: Float64Array): number[] {
  const s: number[] = [];
  for (let j = 0; j < w.length; j++) if (w[j] !== 0) s.push(j);
  return s;
}

function fitLatent(
  fn: string, X: LinearOperator, y: Float64Array, groups: GroupStructure, lambda: number, loss: LossName,
  options: OverlapFitOptions,
): OverlapFitResult {
  const design = new LatentDesign(X, groups);
  const prepared = prepareProblem(design, y, { groups: design.latentGroups, loss, fitIntercept: options.fitIntercept }, fn);
  const res = prepared.fit(lambda, {
    tol: options.tol, maxIter: options.maxIter, solver: options.solver as SolverName | undefined,
    maxTime: options.maxTime, callback: options.callback,
  });
  const v = res.coef;
  const w = new Float64Array(X.cols);
  design.sumParts(v, w);
  return {
    ...res, coef: w, mode: 'latent', latent: new LatentDecomposition(groups, v), support: supportOf(w), admm: null,
  };
}

function fitConsensus(
  fn: string, X: LinearOperator, y: Float64Array, groups: GroupStructure, lambda: number, loss: LossName,
  options: OverlapFitOptions,
): OverlapFitResult {
  const tol = checkTolerance(fn, options.tol, 1e-6);
  const maxIter = options.maxIter === undefined ? 20_000 : checkPositiveInt(fn, 'maxIter', options.maxIter);
  checkChoice(fn, 'solver', options.solver ?? 'auto', ['admm', 'auto'] as const);
  const linearSolver = checkChoice(fn, 'linear solver', options.linearSolver ?? 'auto', ['auto', 'cholesky', 'cg'] as const);
  if (options.admmPenalty !== undefined && options.rho !== undefined) {
    throw new OptionError(fn, "give admmPenalty only (rho is its former name), not both");
  }
  const admmPenalty = options.admmPenalty ?? options.rho;
  if (admmPenalty !== undefined) checkPositive(fn, options.admmPenalty !== undefined ? 'admmPenalty' : 'rho', admmPenalty);
  const deadline = deadlineFrom(fn, options.maxTime);
  const callback = options.callback;
  if (callback !== undefined && typeof callback !== 'function') {
    throw new ValueError(fn, `callback must be a function, got ${callback === null ? 'null' : typeof callback}`);
  }
  const fitIntercept = options.fitIntercept ?? true;
  if (typeof fitIntercept !== 'boolean') throw new ValueError(fn, `fitIntercept must be true or false, got ${String(fitIntercept)}`);
  const datafit = makeDatafit(loss, y, X.rows, 1, fn);
  const st = new OverlapStructure(groups, lambda);
  const ctx = overlapContext({ X, datafit, groups, lambda, fitIntercept }, st);
  // The unpenalized part (intercept, features in no penalized group: all of them at λ = 0) is
  // fitted exactly at every point; without a finite optimum nothing can be certified.
  if (!ctx.unpenalized.converged) {
    throw new ValueError(fn, `the unpenalized part (intercept and unpenalized features) has no finite optimum for this ${loss} response (separable or degenerate data)`);
  }

  let best: { w: Float64Array; t: Float64Array | null; cert: Certificate } | null = null;
  let bestDual = -Infinity;
  // Once converged, the answer is frozen and ADMM runs on for the dual only (see tracks).
  let frozen = false;
  let lowest = Infinity;
  let converged = false;
  let status = 'max iterations reached';
  let iterations = 0;
  /**
   * Certify w; `dualOnly`: keep its dual value but not the point (extrapolated iterates);
   * `precise`: the dual norm solved to rounding (polished points, accurate to rounding themselves).
   */
  const consider = (w: Float64Array, t: Float64Array | null, dualOnly = false, precise = false): boolean => {
    const cert = certifyOverlap(ctx, st, w, t, bestDual, precise);
    if (cert.dual > bestDual) bestDual = cert.dual;
    if (cert.primal < lowest) lowest = cert.primal;
    if (!frozen && !dualOnly && (!best || cert.primal < best.cert.primal || (cert.primal === best.cert.primal && cert.kktViolation < best.cert.kktViolation))) {
      best = { w: w.slice(), t: t ? t.slice() : null, cert };
    }
    if (!best) return false;
    // The best point is the lowest primal (every point is judged against the same best dual, so
    // the lowest primal has the smallest gap): its gap is refreshed with the dual found since.
    const b = best as { w: Float64Array; t: Float64Array | null; cert: Certificate };
    if (bestDual > b.cert.dual) {
      const gap = Math.max(b.cert.primal - bestDual, 0);
      b.cert = { ...b.cert, dual: bestDual, gap, relativeGap: relativeGap(gap, b.cert.primal) };
    }
    return !dualOnly && judge(b.cert, 'gap', tol) !== false;
  };
  /**
   * Whether the answer's gap is within TRACK_FACTOR of P(answer) − the lowest primal seen, a lower
   * bound on its suboptimality (every certified point's objective is attained): then the gap
   * provably tracks the suboptimality, and running on for a better dual is of no use.
   */
  const tracks = (): boolean => {
    const c = best!.cert;
    return c.gap <= Math.max(c.gapFloor, TRACK_FACTOR * Math.max(c.primal - lowest, 0));
  };
  const verdict = (c: Certificate): string | null => {
    const v = judge(c, 'gap', tol);
    return v === 'tol' ? 'converged' : v === 'floor' ? 'at rounding level' : null;
  };

  // w = 0 first: it is the answer for λ ≥ λ_max (and the only point when nothing is penalized).
  const zero = new Float64Array(X.cols);
  let admm: ConsensusAdmm | null = null;
  let last = { primalResidual: 0, dualResidual: 0 };
  let polishWork = 0;
  // w = 0 is accepted at once only when its certificate is tight (gap at rounding level: the
  // decomposition of s is feasible, λ ≥ λ_max); just under λ_max its gap is first order in
  // λ_max − λ while the suboptimality is second order, and ADMM with its polish certifies better.
  const zeroOk = consider(zero, null);
  if (st.penalized.length === 0 || (zeroOk && best!.cert.gap <= 10 * best!.cert.gapFloor)) {
    const v = verdict(best!.cert);
    converged = v !== null;
    // Only w = 0 exists when nothing is penalized (λ = 0 included): its certificate is final.
    const c0 = best!.cert;
    status = v ?? `stalled: nothing is penalized and the exact unpenalized fit leaves relative gap ${c0.relativeGap.toExponential(2)} ` +
      `(rounding floor ${c0.gapFloor.toExponential(2)}); the loss may have no finite minimizer (e.g. separable labels)`;
  } else {
    admm = new ConsensusAdmm(ctx, st, { admmPenalty, linearSolver });
    const history = new AdmmDualHistory(X.cols, admm.mu.length);
    const joint = new JointDesign(ctx, st);
    const polisher = new RestrictedNewton(ctx, st, joint);
    let polishedKey = '';
    // maxIter bounds the work: ADMM iterations with their inner products, and the polish's products.
    const spent = (): number => admm!.work + polisher.work;
    // Residual gate: the certificate is computed when both residuals are under ε·scale (ε shrinks
    // each time the gate opens without a converged certificate), and every 50 iterations anyway.
    let eps = 1e-4;
    const tBuf = new Float64Array(admm.mu.length);
    const wBuf = new Float64Array(X.cols);
    // Stall rule (as the core driver's): the best gap must fall by 1 % within a window of
    // iterations or of wall time, else the run ends with an honest 'stalled' status.
    let markGap = Infinity;
    let markIt = 0;
    let markTime = performance.now();
    const checkpoint = (it: number): boolean => {
      // Dual from the extrapolated iterate first (tight once the iteration is locally linear),
      // then the primal of the iterate with its settled zero pattern judged against the best dual.
      // The extrapolated point serves the dual only: a dual point off by ε loses O(ε) (it is
      // rescaled into the feasible set) where a primal point off by ε loses O(ε²), so the gap
      // tracks the suboptimality when the dual's source is the more accurate of the two.
      for (const ex of history.extrapolations()) consider(ex.w, ex.t, true);
      let ok = consider(admm!.sparseIterate(wBuf), admm!.decomposition(tBuf));
      // Then, once per zero pattern, the Newton polish on it (see RestrictedNewton): a dual point
      // accurate to rounding when the pattern is right, and a primal point at least as good. It runs
      // even when the iterate already meets tol, so that the gap reported tracks the suboptimality.
      const key = patternKey(admm!.zeroPattern);
      if (key !== polishedKey) {
        polishedKey = key;
        const left = maxIter - spent();
        const budget = Math.min(left, Math.max(admm!.work, 20 * (st.penalized.length + joint.k) + 200));
        for (const pol of polisher.run(wBuf, admm!.zeroPattern, tBuf, budget)) if (consider(pol.w, pol.t, false, true)) ok = true;
      }
      const g = best!.cert.gap;
      if (g < markGap * (1 - STALL_GAIN)) {
        markGap = g;
        markIt = it;
        markTime = performance.now();
      }
      return ok;
    };
    // After convergence (frozen answer): the work ADMM may spend on for a tighter dual (see
    // tightenDual: the dual from an iterate at distance δ' loses O(δ'), the answer's primal O(δ²)).
    let tightLimit = Infinity;
    const converge = (): boolean => {
      converged = true;
      status = verdict(best!.cert) ?? 'converged';
      if (tracks()) return true;
      frozen = true;
      tightLimit = spent() + 2 * spent() + 20;
      return false;
    };
    for (let it = 1; spent() < Math.min(maxIter, tightLimit); it++) {
      admm.workLimit = maxIter - spent();
      const info = admm.next().value;
      iterations = it;
      last = info;
      if (!Number.isFinite(info.primalResidual) || !Number.isFinite(info.dualResidual)) {
        if (!frozen) status = 'diverged: non-finite ADMM residuals';
        break;
      }
      history.record(admm);
      const gate = info.primalResidual <= eps * info.primalScale && info.dualResidual <= eps * info.dualScale;
      if (gate || it % 50 === 0) {
        const ok = checkpoint(it);
        if (frozen ? tracks() : ok && converge()) break;
        if (gate) eps = Math.max(eps / 10, 1e-15);
      }
      // The answer is certified: the rest of the loop (callback, limits, stall) is the run's.
      if (frozen) {
        if ((deadline !== undefined && performance.now() > deadline) || it - markIt >= STALL_ITERATIONS) break;
        continue;
      }
      if (callback) {
        const c = best!.cert;
        if (callback({ ...info, primal: c.primal, dual: c.dual, relativeGap: c.relativeGap }) === false) {
          status = 'stopped by callback';
          break;
        }
      }
      if (deadline !== undefined && performance.now() > deadline) {
        status = 'time limit reached';
        break;
      }
      const idleIts = it - markIt;
      const idleSecs = (performance.now() - markTime) / 1000;
      if (idleIts >= STALL_ITERATIONS || (idleSecs >= STALL_SECONDS && idleIts >= 5)) {
        if (checkpoint(it)) {
          converge(); // stalled: no tightening run
          break;
        }
        const c = best!.cert;
        const window = idleIts >= STALL_ITERATIONS ? `${idleIts} iterations` : `${idleSecs.toFixed(0)} s (${idleIts} iterations)`;
        status = `stalled: no 1 % decrease of the duality gap in ${window} (relative gap ${c.relativeGap.toExponential(2)}; ` +
          `rounding floor ${c.gapFloor.toExponential(2)}; ρ = ${admm.admmPenalty.toExponential(2)})`;
        break;
      }
    }
    polishWork = polisher.work;
    if (!converged) {
      // The dense iterate may certify better when the zero pattern has not settled.
      consider(admm.w, admm.decomposition(tBuf));
      const b = best!;
      const v = verdict(b.cert);
      converged = v !== null;
      if (v) status = v;
    }
  }

  const b = best! as { w: Float64Array; t: Float64Array | null; cert: Certificate };
  // Re-evaluate at the returned point so the context holds its unpenalized fit; its own
  // decomposition (a polished point's is exact on its active groups) and the dual norm solved to
  // rounding: once per fit, where the reported gap is decided.
  const cert = certifyOverlap(ctx, st, b.w, b.t ?? (admm ? admm.decomposition() : null), bestDual, true);
  const useCert = cert.gap <= b.cert.gap ? cert : b.cert;
  const coef = ctx.fullCoefficients(b.w);
  const { intercepts } = ctx.unpenalizedCoefficients();
  const { norms, active } = groupNorms(coef, groups);
  return {
    coef, intercept: intercepts[0], intercepts,
    objective: useCert.primal, dualObjective: useCert.dual, dualityGap: useCert.gap, relativeGap: useCert.relativeGap,
    kktViolation: useCert.kktViolation, relativeKkt: useCert.relativeKkt,
    roundingFloor: { gap: useCert.gapFloor, kkt: useCert.kktFloor }, converged, status, iterations, work: admm ? admm.work + polishWork : 0,
    activeGroups: active, activeGroupNames: active.map((g) => groups.names[g]), groupNorms: norms, groupNames: groups.names,
    solver: 'admm', penalty: 'groupLasso', lambda, loss, nTasks: 1,
    mode: 'consensus', latent: null, support: supportOf(coef),
    admm: admm
      ? {
        primalResidual: last.primalResidual, dualResidual: last.dualResidual, admmPenalty: admm.admmPenalty, admmPenaltyUpdates: admm.admmPenaltyUpdates,
        wUpdate: admm.wUpdate, linearWork: admm.linearWork,
      }
      : null,
  };
}
