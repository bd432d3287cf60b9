import { CoxLoss, type CoxTies } from '../datafits/cox.ts';
import { makeDatafit, type Datafit, type LossName } from '../datafits/datafits.ts';
import { encodeClasses, MultinomialLoss } from '../datafits/multinomial.ts';
import { ShapeError, ValueError } from '../errors.ts';
import { toResponse } from '../linalg/input.ts';
import { AbstractMatrix } from 'ml-matrix';

/** A survival response: follow-up times (> 0) and event indicators (1 = event, 0 = censored). */
export interface SurvivalResponse {
  time: ArrayLike<number>;
  status: ArrayLike<number>;
}

/** What the response of a loss was read into: the datafit, and the class labels of a multinomial. */
export interface ReadResponse {
  datafit: Datafit;
  /** Class labels in the order of η's columns (multinomial only). */
  classes?: (number | string)[];
}

/**
 * Survival response from `{ time, status }`, or n rows `[time, status]` (grpreg's two-column `y`).
 */
function readSurvival(y: unknown, n: number, fn: string): { time: Float64Array; status: Float64Array } {
  if (y !== null && typeof y === 'object' && 'time' in y && 'status' in y) {
    const s = y as SurvivalResponse;
    const len = (a: ArrayLike<number>, what: string) => {
      if (a === null || typeof a !== 'object' || typeof a.length !== 'number') throw new ValueError(fn, `${what} must be an array of numbers`);
      if (a.length !== n) throw new ShapeError(fn, `${what} has ${a.length} entries but X has ${n} rows`);
      return Float64Array.from(a);
    };
    return { time: len(s.time, 'time'), status: len(s.status, 'status') };
  }
  if (y === null || y === undefined || (typeof y !== 'object')) {
    throw new ValueError(fn, "the Cox model needs y = { time, status } (or rows [time, status])");
  }
  const r = toResponse(y, fn, n);
  if (r.T !== 2) throw new ShapeError(fn, `the Cox model needs y = { time, status } or two columns [time, status]; y has ${r.T} column${r.T === 1 ? '' : 's'}`);
  return { time: r.data.slice(0, n), status: r.data.slice(n, 2 * n) };
}

/** Class labels from a flat array (numbers or strings) or a one-column matrix. */
function readLabels(y: unknown, n: number, fn: string): ArrayLike<unknown> {
  if (AbstractMatrix.isMatrix(y)) {
    const m = y as AbstractMatrix;
    if (m.columns !== 1) throw new ShapeError(fn, `multinomial labels must be one column, y has ${m.columns}`);
    return m.to1DArray();
  }
  if (y === null || typeof y !== 'object' || typeof (y as ArrayLike<unknown>).length !== 'number') {
    throw new ValueError(fn, 'multinomial labels must be an array (numbers or strings)');
  }
  const a = y as ArrayLike<unknown>;
  if (a.length !== n) throw new ShapeError(fn, `y has ${a.length} labels but X has ${n} rows`);
  return a;
}

/**
 * Read the response of `loss` into its datafit (validated once): numbers for squared, logistic,
 * Poisson, multitask; `{ time, status }` for Cox; categorical labels for multinomial.
 */
export function readResponse(
  loss: LossName, y: unknown, n: number,
  options: { sampleWeight?: ArrayLike<number>; ties?: CoxTies }, fn: string,
): ReadResponse {
  if (options.ties !== undefined && loss !== 'cox') throw new ValueError(fn, "ties is an option of the Cox model (loss: 'cox') only");
  if (loss === 'cox') {
    const { time, status } = readSurvival(y, n, fn);
    return { datafit: new CoxLoss(time, status, { ties: options.ties, sampleWeight: options.sampleWeight }, fn) };
  }
  if (loss === 'multinomial') {
    const { classes, index } = encodeClasses(readLabels(y, n, fn), fn);
    return { datafit: new MultinomialLoss(index, classes.length, { sampleWeight: options.sampleWeight }, fn), classes };
  }
  const resp = toResponse(y, fn, n);
  return { datafit: makeDatafit(loss, resp.data, n, resp.T, fn, options.sampleWeight) };
}
