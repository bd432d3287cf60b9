import { OptionError } from '../errors.ts';
import { certify, judge, type Certificate } from './certificate.ts';
import type { IterationInfo, IterativeSolver } from './proximal.ts';
import { checkContext, type ProblemContext } from './problem.ts';

/** Iterations over which the best gap (or KKT violation) must improve by STALL_GAIN. */
export const STALL_ITERATIONS = 2000;
/** Wall time over which it must improve, whatever the number of iterations (slow iterations). */
export const STALL_SECONDS = 20;
/** Relative improvement that counts as progress. */
export const STALL_GAIN = 0.01;

/** Which certificate decides convergence. */
export type StopRule = 'gap' | 'kkt' | 'both';

export interface DriveOptions {
  /**
   * 'gap': relative duality gap ≤ tol (default). 'kkt': KKT violation ≤ tol relative to the
   * problem's gradient scale (see `problemScales`). 'both': the two at once.
   */
  stopOn: StopRule;
  tol: number;
  /**
   * Cap on the work, in passes over the data: an iteration counts as the passes it reports
   * (`IterationInfo.work`, e.g. the inner epochs of block coordinate descent), 1 by default.
   */
  maxIter: number;
  /** How often (in iterations) the KKT rule computes a full certificate. */
  checkEvery: number;
  /** Called after every iteration; returning false stops the run (status 'stopped by callback'). */
  callback?: (info: IterationInfo) => boolean | void;
  /** Time stamp (performance.now(), ms) after which the run stops with status 'time limit reached'. */
  deadline?: number;
  /**
   * Once converged on the gap, tighten the reported dual (see {@link tightenDual}) with the
   * iterates of the solver this builds from the converged point, within twice the work the run
   * spent (and maxIter, the deadline). Default: none.
   */
  tightDual?: (w: Float64Array) => IterativeSolver;
}

export interface DriveResult {
  w: Float64Array;
  certificate: Certificate;
  converged: boolean;
  iterations: number;
  /** Passes over the data spent (what maxIter bounds). */
  work: number;
  /**
   * 'converged'; 'at rounding level' (converged: the certificate is under its float64 rounding
   * floor but not under tol, which this data cannot resolve); or why not: 'max iterations reached',
   * 'time limit reached', 'stalled: …', 'diverged: …', 'stopped by callback'.
   */
  status: string;
}

/**
 * Run an iterative solver until its certificate is under tolerance (or under its rounding floor),
 * the work cap or the deadline is hit, it reports divergence, or it stalls (no 1 % improvement of
 * the best gap or KKT violation over 2000 iterations or 20 s). Convergence is always confirmed by
 * a certificate recomputed from scratch at the returned point, so `converged: true` never rests on
 * the solver's own bookkeeping.
 */
export function drive(ctx: ProblemContext, solver: IterativeSolver, given: DriveOptions): DriveResult {
  checkContext('drive', ctx);
  if (solver === null || typeof solver !== 'object' || typeof solver.next !== 'function') {
    throw new OptionError('drive', 'solver must be an IterativeSolver (an object with next(), e.g. new Fista(ctx, w0))');
  }
  if (given === null || typeof given !== 'object') throw new OptionError('drive', `options must be an object, got ${given === null ? 'null' : typeof given}`);
  if (given.tightDual !== undefined && typeof given.tightDual !== 'function') {
    throw new OptionError('drive', `tightDual must be a function (w) => IterativeSolver, got ${given.tightDual === null ? 'null' : typeof given.tightDual}`);
  }
  // Nonconvex penalties have no duality gap: stationarity (the KKT distance) is their certificate,
  // and the stall rule watches it too (their running gap is NaN, which never improves).
  const hasGap = ctx.penalty.convex;
  const opts = hasGap ? given : { ...given, stopOn: 'kkt' as const };
  // What the stall rule watches: the running duality gap (free at every iteration) for the gap
  // rule, the KKT distance of the certificates (every `checkEvery` iterations) for the KKT rule,
  // either for 'both'.
  const watchGap = opts.stopOn !== 'kkt';
  const watchKkt = opts.stopOn !== 'gap';
  const watched = watchGap && watchKkt ? 'duality gap or KKT distance' : watchGap ? 'duality gap' : 'KKT distance';
  let info: IterationInfo | null = null;
  let status = 'max iterations reached';
  let work = 0;
  let lastCert: (Certificate & { ok: ReturnType<typeof judge> }) | null = null;
  let lastCheck = -Infinity;
  const check = (it: number, dual: number): Certificate & { ok: ReturnType<typeof judge> } => {
    lastCheck = it;
    const cert = certify(ctx, solver.w, dual);
    lastCert = { ...cert, ok: judge(cert, opts.stopOn, opts.tol) };
    return lastCert;
  };
  const done = (cert: Certificate & { ok: ReturnType<typeof judge> }, it: number): DriveResult => {
    let c: Certificate = cert;
    let w = solver.w;
    if (opts.tightDual && hasGap && opts.stopOn !== 'kkt') {
      const t = tightenDual(ctx, solver.w, opts.tightDual(solver.w.slice()), cert, Math.min(2 * work + 20, opts.maxIter - work), opts.deadline);
      work += t.work;
      c = t.certificate;
      w = t.w;
    }
    return { w, certificate: c, converged: true, iterations: it, work, status: cert.ok === 'tol' ? 'converged' : 'at rounding level' };
  };
  // Progress bookkeeping for the stall rule: the best running gap and the best KKT violation seen
  // at the certificates, and when each last improved by STALL_GAIN.
  let bestGap = Infinity;
  let bestKkt = Infinity;
  let markIt = 0;
  let markTime = performance.now();
  const progressed = (it: number): void => {
    markIt = it;
    markTime = performance.now();
  };
  for (let it = 0; ; it++) {
    const start = info ?? solver.initial;
    const primal = start ? start.primal : NaN;
    const dual = start ? start.dual : -Infinity;
    // The gap rules first wait for the solver's running gap (free) to be small — under tol, or
    // under the rounding floor of the last certificate — then confirm with a certificate computed
    // from scratch; the KKT rule needs a full certificate every few steps.
    const runGap = primal - dual;
    const due = it - lastCheck >= opts.checkEvery;
    const floorNow = lastCert ? (lastCert as Certificate).gapFloor : 0;
    const cheapGapOk = (it === 0 && !start) || runGap <= opts.tol * Math.abs(primal) || (due && runGap <= 2 * floorNow);
    const wantCheck = opts.stopOn === 'gap' ? cheapGapOk : opts.stopOn === 'kkt' ? it === 0 || due : cheapGapOk && (it === 0 || due);
    if (wantCheck) {
      const cert = check(it, dual);
      if (cert.ok) return done(cert, it);
      if (cert.kktViolation < bestKkt * (1 - STALL_GAIN)) {
        bestKkt = cert.kktViolation;
        if (watchKkt) progressed(it);
      }
    }
    if (work >= opts.maxIter) break;
    if (opts.deadline !== undefined && performance.now() > opts.deadline) {
      status = 'time limit reached';
      break;
    }
    solver.limits = { work: opts.maxIter - work, deadline: opts.deadline, gapTol: watchGap ? opts.tol : undefined };
    const cur: IterationInfo = solver.next().value;
    info = cur;
    work += cur.work ?? 1;
    if (cur.status !== 'ok') {
      status = cur.status;
      break;
    }
    if (opts.callback && opts.callback(cur) === false) {
      status = 'stopped by callback';
      break;
    }
    // A stall: neither the duality gap nor (for the KKT rules) the KKT violation improved by 1 %
    // over a window of iterations or of wall time (the objective alone flattens at rounding level
    // long before the iterate stops moving, so it is not the signal to watch).
    if (watchGap) {
      const gap = cur.primal - cur.dual;
      if (gap < bestGap * (1 - STALL_GAIN)) {
        bestGap = gap;
        progressed(it);
      }
    }
    const idleIts = it + 1 - markIt;
    const idleSecs = (performance.now() - markTime) / 1000;
    if (idleIts >= STALL_ITERATIONS || (idleSecs >= STALL_SECONDS && idleIts >= 5)) {
      const cert = check(it + 1, cur.dual);
      if (cert.ok) return done(cert, it + 1);
      const window = idleIts >= STALL_ITERATIONS ? `${idleIts} iterations` : `${idleSecs.toFixed(0)} s (${idleIts} iterations)`;
      status = `stalled: no 1 % decrease of the ${watched} in ${window} (` +
        (hasGap
          ? `relative gap ${cert.relativeGap.toExponential(2)}, relative KKT ${cert.relativeKkt.toExponential(2)}; ` +
            `rounding floors: gap ${cert.gapFloor.toExponential(2)}, KKT ${cert.kktFloor.toExponential(2)})`
          : `relative KKT ${cert.relativeKkt.toExponential(2)}, its rounding floor ${cert.kktFloor.toExponential(2)}; ` +
            'a nonconvex penalty has no duality gap)');
      break;
    }
  }
  const iterations = info ? info.iteration : 0;
  const cert = certify(ctx, solver.w, info ? info.dual : -Infinity);
  const ok = judge(cert, opts.stopOn, opts.tol);
  if (ok) return done({ ...cert, ok }, iterations);
  return { w: solver.w, certificate: cert, converged: false, iterations, work, status };
}

/** The reported gap counts as tracking the suboptimality when within this factor of P(w) − P(later iterate). */
export const TRACK_FACTOR = 4;

/**
 * A dual point for the converged iterate w from the solver's later iterates, w kept as the answer.
 *
 * Why: the dual point built from w itself (its residual, rescaled into the feasible set) is off by
 * O(δ), δ = ‖w − w*‖, where the primal is off by O(δ²): at a loose tolerance the certified gap is
 * then orders of magnitude above the true suboptimality. The iterates after w are closer to w*,
 * and the dual built from one at distance δ' ≪ δ gives a gap P(w) − D of about the suboptimality
 * of w plus O(δ'). The solver runs on (its state is warm) and each iterate is certified for its
 * dual only, the best kept, until the gap is within TRACK_FACTOR times P(w) − min P(later) — a lower bound
 * on the suboptimality of w, so the test itself certifies that the gap tracks it — or under its
 * rounding floor, or the budget (`budget` passes, the deadline) is spent, or the solver stops.
 * The certificate returned is recomputed at w with the best dual (so the context holds w's
 * unpenalized fit again); a gap never grows, since the dual only improves.
 */
export function tightenDual(
  ctx: ProblemContext, w0: Float64Array, solver: IterativeSolver, cert: Certificate, budget: number, deadline?: number,
): { w: Float64Array; certificate: Certificate; work: number } {
  const w = w0.slice();
  const P = cert.primal;
  let dual = cert.dual;
  let lowest = P;
  let work = 0;
  const tracks = (): boolean => P - dual <= Math.max(cert.gapFloor, TRACK_FACTOR * Math.max(P - lowest, 0));
  if (!(cert.gap > 0) || tracks() || !(budget > 1)) return { w, certificate: cert, work: 0 };
  work += 1; // the refining solver's evaluation of its start
  while (work < budget && !(deadline !== undefined && performance.now() > deadline)) {
    solver.limits = { work: budget - work, deadline };
    const cur: IterationInfo = solver.next().value;
    work += cur.work ?? 1;
    if (cur.status !== 'ok') break;
    if (cur.dual > dual) dual = cur.dual;
    const c = certify(ctx, solver.w, dual);
    work += 2; // the certificate's forward and transpose products
    if (c.dual > dual) dual = c.dual;
    if (c.primal < lowest) lowest = c.primal;
    if (tracks()) break;
  }
  return { w, certificate: certify(ctx, w, dual), work };
}
