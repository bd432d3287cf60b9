/**
 * Group-lasso GLMs (logistic, Poisson) on a table in a database, by proximal Newton:
 *
 *   minimize_{w, b} (1/n) Σ_i ℓ(y_i, b + x_iᵀw) + λ Σ_g d_g ‖w_g‖₂,
 *
 * ℓ the negative log-likelihood (logistic: log(1 + e^η) − yη; Poisson: e^η − yη + log y!). Each
 * outer step is one pass that evaluates η at the current point inside the engine and sums the
 * weighted statistics Σ W x̃x̃ᵀ, Σ W x̃ z̃ (W = ℓ''(η), z = η + (y − μ)/W the working response),
 * the loss and the gradient Σ x̃(μ − y); the weighted least-squares model is then solved exactly in
 * Gram space. A step that does not decrease the objective is halved (one more pass each time).
 * When the objective settles, one more pass evaluates the dual objective at the rescaled dual point
 * θ(μ − y − m)/n (m the mean of μ − y, so the point is feasible for the intercept), which gives the
 * exact duality gap at the returned point; `converged` means that gap is under tol.
 */
import { ValueError } from '../errors.ts';
import { logGamma } from '../datafits/datafits.ts';
import { GroupLassoPenalty } from '../penalties/penalties.ts';
import { gapConverged, nullObjectiveFloor, relativeGap } from '../solvers/certificate.ts';
import { solveGram } from '../solvers/gram.ts';
import type { GroupStructure } from '../groups/groups.ts';
import { runPass, type PassListener, type SqlDesign } from './design.ts';
import type { SqlSource } from './source.ts';
import { num } from './sql.ts';
import { designSums, interceptOf, quadraticOf } from './stats.ts';

/**
 * SQL of one loss's pieces, in terms of the linear predictor η and the response y: what the
 * database GLM solver asks a loss for (it never looks at the loss's name).
 */
export interface LossSql {
  mu(eta: string): string;
  weight(eta: string, mu: string): string;
  /** The η-dependent part of n·loss per row, ≥ 0, written without cancellation. */
  loss(eta: string, y: string): string;
  /** Per-row conjugate term at t = n·u + y (see datafits.ts), and the count of rows outside the domain. */
  conj(t: string, y: string): { value: string; outside: string };
  /** Count of rows whose response is not allowed. */
  badResponse(y: string): string;
  /** The error message for `count` rows of column `target` that `badResponse` counted. */
  badResponseMessage(count: number, target: string): string;
  /** Why an intercept-only fit has no finite optimum at the response mean ȳ, or null. */
  interceptObstacle(ybar: number): string | null;
  /** The intercept-only fit at the response mean ȳ (the link of ȳ): where the first step starts. */
  initialIntercept(ybar: number): number;
  /**
   * The η-free term of one row's loss at response y (Poisson: y − y log y + log Γ(y + 1)), summed
   * over the distinct responses in one pass; absent when the η-dependent part is the whole loss.
   */
  constantTerm?(y: number): number;
}

const ONE = num(1);
const ZERO = num(0);
/** log(1 + e^t) without overflow. */
const log1pExp = (t: string) => `(CASE WHEN ${t} > ${ZERO} THEN ${t} + LN(${ONE} + EXP(-(${t}))) ELSE LN(${ONE} + EXP(${t})) END)`;
/** EXP with its argument clamped where doubles under/overflow (PostgreSQL raises on both). */
const expSafe = (t: string) => `EXP(LEAST(GREATEST(${t}, ${num(-700)}), ${num(700)}))`;
const xlogx = (t: string) => `(CASE WHEN ${t} > ${ZERO} THEN ${t} * LN(${t}) ELSE ${ZERO} END)`;

const LOSSES = new Map<string, LossSql>();

/** Make a loss fittable on a database source under `name` (a registered loss of the same name). */
export function registerSqlLoss(name: string, sql: LossSql): void {
  if (typeof name !== 'string' || name === '' || sql === null || typeof sql !== 'object') throw new ValueError('registerSqlLoss', 'a SQL loss needs a name and its SQL pieces');
  LOSSES.set(name, sql);
}

/** The SQL pieces of a loss fitted by proximal Newton on a database source, or undefined. */
export function sqlLoss(name: string): LossSql | undefined {
  return LOSSES.get(name);
}

/** Names of the losses fitted by proximal Newton on a database source. */
export function sqlLossNames(): string[] {
  return [...LOSSES.keys()];
}

registerSqlLoss('logistic', {
    mu: (eta) => `(CASE WHEN ${eta} >= ${ZERO} THEN ${ONE} / (${ONE} + ${expSafe(`-(${eta})`)}) ELSE ${expSafe(eta)} / (${ONE} + ${expSafe(eta)}) END)`,
    weight: (_eta, mu) => `GREATEST(${mu} * (${ONE} - ${mu}), ${num(1e-12)})`,
    loss: (eta, y) => `(CASE WHEN ${y} = ${ONE} THEN ${log1pExp(`-(${eta})`)} ELSE ${log1pExp(eta)} END)`,
    conj: (t) => {
      const c = `GREATEST(LEAST(${t}, ${ONE}), ${ZERO})`;
      return { value: `(${xlogx(c)} + ${xlogx(`(${ONE} - ${c})`)})`, outside: `(CASE WHEN ${t} < ${num(-1e-9)} OR ${t} > ${num(1 + 1e-9)} THEN 1 ELSE 0 END)` };
    },
    badResponse: (y) => `(CASE WHEN ${y} = ${ZERO} OR ${y} = ${ONE} THEN 0 ELSE 1 END)`,
    badResponseMessage: (count, target) => `logistic loss needs labels 0/1; ${count} rows of '${target}' have other values`,
    interceptObstacle: (ybar) => (ybar <= 0 || ybar >= 1 ? `logistic labels are all ${ybar <= 0 ? 0 : 1}` : null),
    initialIntercept: (ybar) => Math.log(ybar / (1 - ybar)),
});
registerSqlLoss('poisson', {
    mu: (eta) => expSafe(eta),
    weight: (_eta, mu) => `GREATEST(${mu}, ${num(1e-12)})`,
    loss: (eta, y) => `(CASE WHEN ${y} = ${ZERO} THEN ${expSafe(eta)} ELSE ${y} * (${expSafe(`${eta} - LN(${y})`)} - ${ONE} - (${eta} - LN(${y}))) END)`,
    conj: (t, y) => {
      const nu = `(${t} - ${y})`;
      const r = `(${nu} / ${y})`;
      const value = `(CASE WHEN ${y} = ${ZERO} THEN (CASE WHEN ${t} > ${ZERO} THEN ${t} * LN(${t}) - ${t} ELSE ${ZERO} END)` +
        ` WHEN ${t} <= ${ZERO} THEN ${y} - ${y} * LN(${y})` +
        ` ELSE ${y} * ((${ONE} + ${r}) * LN(${ONE} + ${r}) - ${r}) + ${nu} * LN(${y}) END)`;
      return { value, outside: `(CASE WHEN ${t} < ${num(-1e-9)} * GREATEST(${ONE}, ${y}) THEN 1 ELSE 0 END)` };
    },
    badResponse: (y) => `(CASE WHEN ${y} >= ${ZERO} THEN 0 ELSE 1 END)`,
    badResponseMessage: (count, target) => `Poisson loss needs targets ≥ 0; ${count} rows of '${target}' are negative`,
    interceptObstacle: (ybar) => (ybar <= 0 ? 'Poisson targets are all 0' : null),
    initialIntercept: (ybar) => Math.log(ybar),
    constantTerm: (y) => (y > 0 ? y - y * Math.log(y) + logGamma(y + 1) : 0),
});

/** A GLM fit's numbers (the caller wraps them as a result). */
export interface GlmRun {
  w: Float64Array;
  b: number;
  objective: number;
  dual: number;
  gap: number;
  relativeGap: number;
  kktViolation: number;
  converged: boolean;
  status: string;
  iterations: number;
}

/** Options of one GLM fit. */
export interface GlmRunOptions {
  tol: number;
  maxIter: number;
  fitIntercept: boolean;
  maxAggregates?: number;
  warm?: { w: Float64Array; b: number };
}

/** η = b + Σ_j w_j x_j as SQL (only the nonzero coefficients). */
function etaSql(design: SqlDesign, w: Float64Array, b: number): string {
  const terms = [num(b)];
  for (let j = 0; j < w.length; j++) if (w[j] !== 0) terms.push(`${num(w[j])} * ${design.exprs[j]}`);
  return `(${terms.join(' + ')})`;
}

const constants = new WeakMap<SqlDesign, Map<LossSql, number>>();

/**
 * The constant Σ_i c(y_i) of a loss with an η-free term c, from the distinct responses (one pass
 * per design and loss, kept for the other fits of a path).
 */
async function lossConstant(source: SqlSource, design: SqlDesign, L: LossSql, fn: string, counter: { passes: number }, onPass?: PassListener): Promise<number> {
  const term = L.constantTerm;
  if (term === undefined) return 0;
  let known = constants.get(design);
  if (known === undefined) constants.set(design, (known = new Map()));
  const cached = known.get(L);
  if (cached !== undefined) return cached;
  const rows = await runPass(source, `SELECT ${design.y}, COUNT(*) FROM ${source.relation} WHERE ${design.where} GROUP BY ${design.y}`, 'loss constant (distinct responses)', fn, counter, onPass);
  let c = 0;
  for (const [yv, k] of rows) c += Number(k) * term(Number(yv));
  known.set(L, c);
  return c;
}

/** Fit one λ by proximal Newton with passes over the source. */
export async function runGlm(
  source: SqlSource, design: SqlDesign, groups: GroupStructure, L: LossSql, lambda: number, o: GlmRunOptions,
  fn: string, counter: { passes: number }, onPass?: PassListener,
): Promise<GlmRun> {
  const p = design.exprs.length;
  const n = design.n;
  const y = design.y;
  const ybar = design.yShift;
  const why = o.fitIntercept ? L.interceptObstacle(ybar) : null;
  if (why !== null) throw new ValueError(fn, `${why}: with an intercept the fit has no finite optimum`);
  const constant = await lossConstant(source, design, L, fn, counter, onPass);
  const pen = new GroupLassoPenalty(groups, lambda);
  let w: Float64Array = o.warm ? o.warm.w.slice() : new Float64Array(p);
  let b = o.warm ? o.warm.b : !o.fitIntercept ? 0 : L.initialIntercept(ybar);
  let prevObjective = Infinity;
  let candidate: { w: Float64Array; b: number } | undefined;
  let base: { w: Float64Array; b: number; objective: number } | undefined;
  let step = 1;
  const grad = new Float64Array(p);
  let nullObjective = NaN;
  for (let it = 1; it <= o.maxIter; it++) {
    // η, μ and W are computed once per row in nested subqueries and referred to by name: inlined,
    // the long η expression would be repeated inside every one of the ~p²/2 sums. OFFSET 0 keeps
    // PostgreSQL from pulling the subqueries up into the aggregate (which re-inlines them).
    const etaExpr = etaSql(design, w, b);
    const eta = '"gs_eta"', mu = '"gs_mu"', W = '"gs_w"';
    const rows = `(SELECT *, ${L.weight(eta, mu)} AS gs_w FROM (SELECT *, ${L.mu(eta)} AS gs_mu FROM (SELECT *, ${etaExpr} AS gs_eta FROM ${source.relation} WHERE ${design.where} OFFSET 0) AS gs_a OFFSET 0) AS gs_b OFFSET 0) AS gs_c`;
    const zs = b + Array.from(design.shifts).reduce((s, c, j) => s + c * w[j], 0);
    const z = `(${eta} + (${y} - ${mu}) / ${W})`;
    const extra = [L.loss(eta, y), `${mu} - ${y}`, L.badResponse(y), ...design.exprs.map((e, j) => `(${design.shifts[j] === 0 ? e : `${e} - ${num(design.shifts[j])}`}) * (${mu} - ${y})`)];
    const { total } = await designSums(source, design, { weight: W, response: z, responseShift: zs, extra, maxAggregates: o.maxAggregates, what: `Newton step ${it}`, from: rows }, fn, counter, onPass);
    if (total.extra[2] > 0) throw new ValueError(fn, L.badResponseMessage(total.extra[2], design.target));
    const objective = (total.extra[0] + constant) / n + pen.value(w);
    if (Number.isNaN(nullObjective)) nullObjective = objective;
    if (!Number.isFinite(objective)) return { w, b, objective, dual: NaN, gap: NaN, relativeGap: NaN, kktViolation: NaN, converged: false, status: 'diverged: non-finite objective', iterations: it };
    // A step that went up: halve it towards the last accepted point and evaluate again.
    if (base && candidate && objective > base.objective + 1e-14 * Math.abs(base.objective) && step > 1e-6) {
      step /= 2;
      w = base.w.map((v, j) => v + step * (candidate!.w[j] - v));
      b = base.b + step * (candidate.b - base.b);
      continue;
    }
    const sumR = total.extra[1];
    for (let j = 0; j < p; j++) grad[j] = (total.extra[3 + j] + design.shifts[j] * sumR) / n;
    let kkt = o.fitIntercept ? Math.abs(sumR) / n : 0;
    for (let g = 0; g < groups.nGroups; g++) kkt = Math.max(kkt, pen.groupViolation(w, grad, g));
    // Settled: certify at this point with one more pass.
    if (Math.abs(prevObjective - objective) <= o.tol * Math.abs(objective) || it === o.maxIter) {
      const m = o.fitIntercept ? sumR / n : 0;
      const gu = new Float64Array(p);
      for (let j = 0; j < p; j++) gu[j] = grad[j] - m * (total.sx[j] / n + design.shifts[j]);
      let s = 0;
      for (let g = 0; g < groups.nGroups; g++) if (pen.isPenalized(g)) s = Math.max(s, pen.groupDualNorm(gu, g));
      const theta = s > lambda ? lambda / s : 1;
      const t = `(${num(theta)} * (${mu} - ${y} - ${num(m)}) + ${y})`;
      const c = L.conj(t, y);
      const r = await runPass(source, `SELECT SUM(${c.value}), SUM(${c.outside}) FROM ${rows}`, 'certificate (dual objective)', fn, counter, onPass);
      const outside = Number(r[0][1]);
      const dual = outside > 0 ? -Infinity : -(Number(r[0][0]) - constant) / n;
      const gap = Math.max(objective - dual, 0);
      const converged = gapConverged(gap, objective, nullObjectiveFloor(nullObjective, objective), o.tol);
      if (converged || it === o.maxIter) {
        return { w, b, objective, dual, gap, relativeGap: relativeGap(gap, objective), kktViolation: kkt, converged, status: converged ? 'converged' : 'max iterations reached', iterations: it };
      }
    }
    prevObjective = objective;
    // Newton step: the weighted least-squares model solved exactly in Gram space.
    const q = quadraticOf(total, n, o.fitIntercept, design.shifts, zs);
    const inner = solveGram(q, groups, lambda, { w0: w, tol: Math.min(1e-10, o.tol * 1e-2) });
    base = { w, b, objective };
    candidate = { w: inner.w, b: o.fitIntercept ? interceptOf(total, inner.w, design.shifts, zs) : 0 };
    step = 1;
    w = candidate.w;
    b = candidate.b;
  }
  return { w, b, objective: NaN, dual: NaN, gap: NaN, relativeGap: NaN, kktViolation: NaN, converged: false, status: 'max iterations reached', iterations: o.maxIter };
}
