import { OptionError } from '../errors.ts';
import { Fista, Ista, type IterativeSolver, type ProximalOptions } from './proximal.ts';
import { checkContext, type ProblemContext } from './problem.ts';

/** Builds a solver for a problem from a starting point (penalized coefficients). */
export type SolverFactory = (ctx: ProblemContext, w0: Float64Array, options: ProximalOptions) => IterativeSolver;

/** How a registered solver is used by the problem layer. */
export interface SolverTraits {
  /**
   * Whether the solver takes one global Lipschitz constant of the smooth part (fixed-step
   * proximal gradient); the problem layer then estimates it once per problem (default false).
   */
  globalLipschitz?: boolean;
  /**
   * When 'auto' may pick this solver for a context (default: never). Among the solvers that
   * accept a context, the one with the highest `priority` runs; FISTA is the fallback.
   */
  accepts?: (ctx: ProblemContext) => boolean;
  /** Rank among the solvers 'auto' may pick (default 0). */
  priority?: number;
  /**
   * Whether the solver picks its own working sets from the full gradient at every outer step
   * (default false). A λ path then fits small designs on all groups at once instead of building a
   * screened sub-problem per kept set (a copy of the columns, a context, caches), which on small
   * designs costs more than the full gradients it saves.
   */
  workingSets?: boolean;
  /**
   * Whether the solver drives the gradient to rounding without gating its steps on an objective
   * test (which stops a line search once the decrease is under the objective's rounding, with
   * the KKT distance still ~√ε): a single fit's dual is then tightened with its iterates when it
   * accepts the context (see tightenDual), else with the fit's own solver. Default false.
   */
  refinesToRounding?: boolean;
}

/** A registered solver. */
export interface SolverEntry extends SolverTraits {
  readonly name: string;
  readonly factory: SolverFactory;
}

const registry = new Map<string, SolverEntry>([
  ['ista', { name: 'ista', factory: (ctx, w0, o) => new Ista(ctx, w0, o), globalLipschitz: true }],
  ['fista', { name: 'fista', factory: (ctx, w0, o) => new Fista(ctx, w0, o), globalLipschitz: true }],
]);

/**
 * Make a solver available under `name` (e.g. 'bcd') to fitGroupLasso, the path functions,
 * cross-validation and the estimator; `traits` say whether it needs a global Lipschitz constant
 * and when 'auto' may choose it.
 */
export function registerSolver(name: string, factory: SolverFactory, traits: SolverTraits = {}): void {
  if (typeof name !== 'string' || !/^[A-Za-z][\w-]*$/.test(name)) throw new OptionError('registerSolver', `name must be an identifier such as 'mySolver', got ${String(name)}`);
  if (typeof factory !== 'function') throw new OptionError('registerSolver', `factory must be a function (ctx, w0, options) => IterativeSolver, got ${factory === null ? 'null' : typeof factory}`);
  if (traits === null || typeof traits !== 'object') throw new OptionError('registerSolver', `traits must be an object, got ${traits === null ? 'null' : typeof traits}`);
  registry.set(name, { ...traits, name, factory });
}

export function getSolverFactory(name: string): SolverFactory | undefined {
  return registry.get(name)?.factory;
}

/** The registered solver of this name, with its traits. */
export function getSolver(name: string): SolverEntry | undefined {
  return registry.get(name);
}

/** Names accepted by the `solver` option (besides 'auto'). */
export function solverNames(): string[] {
  return [...registry.keys()];
}

/** The solver whose iterates tighten a single fit's dual on this context: see SolverTraits.refinesToRounding. */
export function refiningSolver(ctx: ProblemContext, fallback: string): SolverEntry {
  for (const e of registry.values()) if (e.refinesToRounding && e.accepts && e.accepts(ctx)) return e;
  return registry.get(fallback)!;
}

/** What 'auto' runs on this context: the accepting solver of highest priority, else FISTA. */
export function chooseSolver(ctx: ProblemContext): string {
  checkContext('chooseSolver', ctx);
  let best: SolverEntry | null = null;
  for (const e of registry.values()) {
    if (!e.accepts || !e.accepts(ctx)) continue;
    if (!best || (e.priority ?? 0) > (best.priority ?? 0)) best = e;
  }
  return best ? best.name : 'fista';
}
