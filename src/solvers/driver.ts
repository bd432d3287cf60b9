import { certify, gapConverged, type Certificate } from './certificate.ts';
import type { IterationInfo, IterativeSolver } from './proximal.ts';
import type { ProblemContext } from './problem.ts';

const STALL_ITERATIONS = 2000;

/** Which certificate decides convergence. */
export type StopRule = 'gap' | 'kkt' | 'both';

export interface DriveOptions {
  /**
   * 'gap': relative duality gap ≤ tol (default). 'kkt': KKT violation ≤ tol (absolute, gradient
   * units). 'both': the two at once.
   */
  stopOn: StopRule;
  tol: number;
  maxIter: number;
  /** How often (in iterations) the KKT rule computes a full certificate. */
  checkEvery: number;
  /** Called after every iteration; returning false stops the run (status 'stopped by callback'). */
  callback?: (info: IterationInfo) => boolean | void;
}

export interface DriveResult {
  w: Float64Array;
  certificate: Certificate;
  converged: boolean;
  iterations: number;
  status: string;
}

/**
 * Run an iterative solver until its certificate is under tolerance, the iteration cap is hit, or it
 * reports divergence or a stall. Convergence is always confirmed by a certificate recomputed from
 * scratch at the returned point, so `converged: true` never rests on the solver's own bookkeeping.
 */
export function drive(ctx: ProblemContext, solver: IterativeSolver, given: DriveOptions): DriveResult {
  // Nonconvex penalties have no duality gap: stationarity (the KKT distance) is their certificate.
  const opts = ctx.penalty.convex ? given : { ...given, stopOn: 'kkt' as const };
  let info: IterationInfo | null = null;
  let status = 'max iterations reached';
  let stallCount = 0;
  let bestGap = Infinity;
  const meets = (cert: Certificate): boolean => {
    const gapOk = gapConverged(cert.gap, cert.primal, ctx.nullObjective, opts.tol);
    const kktOk = cert.kktViolation <= opts.tol;
    return opts.stopOn === 'gap' ? gapOk : opts.stopOn === 'kkt' ? kktOk : gapOk && kktOk;
  };
  let lastCheck = -Infinity;
  const check = (it: number, dual: number): Certificate & { ok: boolean } => {
    lastCheck = it;
    const cert = certify(ctx, solver.w, dual);
    return { ...cert, ok: meets(cert) };
  };
  for (let it = 0; ; it++) {
    const primal = info ? info.primal : NaN;
    const dual = info ? info.dual : -Infinity;
    // The gap rules first wait for the solver's running gap (free) to be small, then confirm with
    // a certificate computed from scratch; the KKT rule needs a full certificate every few steps.
    const cheapGapOk = it === 0 || gapConverged(primal - dual, primal, ctx.nullObjective, opts.tol);
    const due = it - lastCheck >= opts.checkEvery;
    const wantCheck = opts.stopOn === 'gap' ? cheapGapOk : opts.stopOn === 'kkt' ? it === 0 || due : cheapGapOk && (it === 0 || due);
    if (wantCheck) {
      const cert = check(it, dual);
      if (cert.ok) return { w: solver.w, certificate: cert, converged: true, iterations: it, status: 'converged' };
    }
    if (it >= opts.maxIter) break;
    const cur: IterationInfo = solver.next().value;
    info = cur;
    if (cur.status !== 'ok') {
      status = cur.status;
      break;
    }
    if (opts.callback && opts.callback(cur) === false) {
      status = 'stopped by callback';
      break;
    }
    // A stall: the duality gap has not improved for many iterations (the objective alone flattens
    // at rounding level long before the iterate stops moving, so it is not the signal to watch).
    const gap = cur.primal - cur.dual;
    if (gap < bestGap * (1 - 1e-9)) {
      bestGap = gap;
      stallCount = 0;
    } else if (++stallCount >= STALL_ITERATIONS) {
      const cert = check(it + 1, cur.dual);
      if (cert.ok) {
        return { w: solver.w, certificate: cert, converged: true, iterations: it + 1, status: 'converged' };
      }
      status = `stalled: no decrease of the duality gap in ${STALL_ITERATIONS} iterations (relative gap ${cert.relativeGap.toExponential(2)}, KKT ${cert.kktViolation.toExponential(2)})`;
      break;
    }
  }
  const iterations = info ? info.iteration : 0;
  const cert = certify(ctx, solver.w, info ? info.dual : -Infinity);
  const ok = meets(cert);
  return { w: solver.w, certificate: cert, converged: ok, iterations, status: ok ? 'converged' : status };
}
