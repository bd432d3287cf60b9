import { Fista, Ista, type IterativeSolver, type ProximalOptions } from './proximal.ts';
import type { ProblemContext } from './problem.ts';

/** Builds a solver for a problem from a starting point (penalized coefficients). */
export type SolverFactory = (ctx: ProblemContext, w0: Float64Array, options: ProximalOptions) => IterativeSolver;

const registry = new Map<string, SolverFactory>([
  ['ista', (ctx, w0, o) => new Ista(ctx, w0, o)],
  ['fista', (ctx, w0, o) => new Fista(ctx, w0, o)],
]);

/** Make a solver available under `name` (e.g. 'bcd') to fitGroupLasso and the path functions. */
export function registerSolver(name: string, factory: SolverFactory): void {
  registry.set(name, factory);
}

export function getSolverFactory(name: string): SolverFactory | undefined {
  return registry.get(name);
}

/** Names accepted by the `solver` option (besides 'auto'). */
export function solverNames(): string[] {
  return [...registry.keys()];
}
