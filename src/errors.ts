/**
 * Error classes. Every message starts with the name of the public function that refused the input,
 * then says what is wrong, so a user can fix the call without reading the source.
 */

/** Base class of every error this library throws on purpose. */
export class GroupSparseError extends Error {
  /** Name of the public function that raised the error. */
  readonly fn: string;
  constructor(fn: string, message: string) {
    super(`${fn}: ${message}`);
    this.fn = fn;
    this.name = new.target.name;
  }
}

/** Dimensions that do not agree (rows of X vs length of y, group index out of range, ...). */
export class ShapeError extends GroupSparseError {}

/** A value that is not allowed: NaN/Inf, negative λ, tol ≤ 0, labels outside {0, 1}, ... */
export class ValueError extends GroupSparseError {}

/** An invalid group structure: empty group, duplicated index, overlap where not allowed, ... */
export class GroupError extends GroupSparseError {}

/** An unknown option name, solver, loss or mode. */
export class OptionError extends GroupSparseError {}

/** A malformed data file or table (CSV parsing, missing column, non-numeric entry, ...). */
export class DataError extends GroupSparseError {}
