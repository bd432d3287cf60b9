import { getLoss, lossNames, makeDatafit, type LossName, type ReadResponse } from '../datafits/datafit.ts';
import { ValueError } from '../errors.ts';
import { toResponse } from '../linalg/input.ts';

export type { SurvivalResponse } from '../datafits/cox.ts';
export type { ReadResponse } from '../datafits/datafit.ts';

/** What {@link readResponse} is given besides the data. */
export interface ReadOptions {
  sampleWeight?: ArrayLike<number>;
  /** Code class labels with these (a fitted model's classes); categorical losses only. */
  classes?: readonly (number | string)[];
  /** The losses' own options by name (`ties` of Cox); undefined entries count as not given. */
  lossOptions?: Readonly<Record<string, unknown>>;
}

/**
 * Read the response of `loss` into its datafit (validated once). The loss says how
 * ({@link LossSpec.readResponse}: labels, `{ time, status }`, ...); without a reader of its own the
 * response is numbers, an n-vector or an n × T matrix. A loss option given to a loss that does not
 * take it is refused, naming the losses that do.
 */
export function readResponse(loss: LossName, y: unknown, n: number, options: ReadOptions, fn: string): ReadResponse {
  const spec = getLoss(loss);
  if (!spec) throw new ValueError(fn, `unknown loss '${loss}'; registered: ${lossNames().join(', ')}`);
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options.lossOptions ?? {})) {
    if (value === undefined) continue;
    if (!(spec.lossOptions ?? []).includes(key)) {
      const owners = lossNames().filter((l) => getLoss(l)!.lossOptions?.includes(key));
      throw new ValueError(fn, `${key} is an option of ${owners.length > 0 ? `loss ${owners.map((o) => `'${o}'`).join(', ')}` : 'no registered loss'} only`);
    }
    given[key] = value;
  }
  if (spec.readResponse) return spec.readResponse(y, n, { sampleWeight: options.sampleWeight, classes: options.classes, lossOptions: given }, fn);
  const resp = toResponse(y, fn, n);
  return { datafit: makeDatafit(loss, resp.data, n, resp.T, fn, options.sampleWeight) };
}

/**
 * fitIntercept as given, or the loss's default (true, false for a loss with no intercept); true
 * for a loss with no intercept is refused with the loss's reason.
 */
export function resolveIntercept(fn: string, loss: LossName, fitIntercept: unknown): boolean {
  const why = getLoss(loss)?.noIntercept;
  if (why !== undefined && fitIntercept === true) throw new ValueError(fn, `${why}: leave fitIntercept unset or false`);
  const b = fitIntercept ?? why === undefined;
  if (typeof b !== 'boolean') throw new ValueError(fn, `fitIntercept must be true or false, got ${String(fitIntercept)}`);
  return b;
}
