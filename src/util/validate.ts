import { OptionError, ShapeError, ValueError } from '../errors.ts';

/** Edit distance, used only to suggest the option a user probably meant. */
function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n];
}

/** The closest allowed name to `name`, or undefined when nothing is close. */
export function closest(name: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = editDistance(name, a);
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Refuse option names outside `allowed`, so that a typo (`lamda`) is reported instead of being
 * silently ignored. Options whose value is `undefined` are still checked by name.
 */
export function checkOptions(fn: string, options: object | undefined, allowed: readonly string[]): void {
  if (options === undefined) return;
  // null used to pass here and then escape as a TypeError at the first option read.
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new OptionError(fn, `options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const hint = closest(key, allowed);
      throw new OptionError(
        fn,
        `unknown option '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; allowed: ${allowed.join(', ')}`,
      );
    }
  }
}

/**
 * The caller name passed down by a function that reports errors in its caller's name (`fn = 'x'`
 * as a last parameter): anything but a non-empty string means the function was called directly.
 */
export function callerName(fn: unknown, own: string): string {
  return typeof fn === 'string' && fn.length > 0 ? fn : own;
}

/** An array (or typed array) of finite numbers; one pass, for inputs read once (not in hot loops). */
export function checkNumberArray(fn: string, what: string, a: unknown): ArrayLike<number> {
  checkFiniteArray(fn, what, a as ArrayLike<number>);
  return a as ArrayLike<number>;
}

/** A whole number in [min, max] (sizes, orders, indices), with the bound in the message. */
export function checkIntRange(fn: string, what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValueError(fn, `${what} must be a whole number from ${min} to ${max}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`);
  }
  return value;
}

/** Check that `value` is one of `allowed` (a string union at run time). */
export function checkChoice<T extends string>(fn: string, what: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const hint = typeof value === 'string' ? closest(value, allowed) : undefined;
    throw new OptionError(
      fn,
      `unknown ${what} '${String(value)}'${hint ? ` (did you mean '${hint}'?)` : ''}; expected one of ${allowed
        .map((a) => `'${a}'`)
        .join(', ')}`,
    );
  }
  return value as T;
}

/** A finite number ≥ 0 (λ, weights). */
export function checkNonNegative(fn: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(fn, `${what} must be a finite number, got ${String(value)}`);
  }
  if (value < 0) throw new ValueError(fn, `${what} must be ≥ 0, got ${value}`);
  return value;
}

/** A finite number > 0 (tolerances, step sizes). */
export function checkPositive(fn: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(fn, `${what} must be a finite number, got ${String(value)}`);
  }
  if (value <= 0) throw new ValueError(fn, `${what} must be > 0, got ${value}`);
  return value;
}

/** A whole number ≥ 1 (iteration caps, fold counts). */
export function checkPositiveInt(fn: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ValueError(fn, `${what} must be a whole number ≥ 1, got ${String(value)}`);
  }
  return value;
}

/** Refuse NaN/Inf in an array, naming the first bad position. */
export function checkFiniteArray(fn: string, what: string, a: ArrayLike<number>): void {
  // null used to escape as a TypeError, and a number (no length) passed as an empty array.
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') {
    throw new ShapeError(fn, `${what} must be an array of numbers, got ${a === null ? 'null' : typeof a}`);
  }
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    // A boolean or a string is not "non-finite": say what it is.
    if (typeof v !== 'number') throw new ValueError(fn, `${what} has a ${v === null ? 'null' : typeof v} (${String(v)}) at position ${i}; entries must be numbers`);
    if (!Number.isFinite(v)) throw new ValueError(fn, `${what} contains a non-finite value (${String(v)}) at position ${i}`);
  }
}

/**
 * A certificate tolerance: relative, so in (0, 1) (default 1e-8). `tol: 10` used to be accepted
 * and certified anything.
 */
export function checkTolerance(fn: string, tol: unknown, fallback = 1e-8): number {
  if (tol === undefined) return fallback;
  if (typeof tol !== 'number' || !Number.isFinite(tol)) throw new ValueError(fn, `tol must be a finite number, got ${String(tol)}`);
  if (!(tol > 0 && tol < 1)) throw new ValueError(fn, `tol is relative (a duality gap or KKT violation over its scale) and must be in (0, 1), got ${tol}`);
  return tol;
}

/** A time budget in seconds → a performance.now() deadline in ms (undefined: none). */
export function deadlineFrom(fn: string, maxTime: unknown): number | undefined {
  if (maxTime === undefined) return undefined;
  if (typeof maxTime !== 'number' || !(maxTime > 0)) throw new ValueError(fn, `maxTime must be a number of seconds > 0, got ${String(maxTime)}`);
  return maxTime === Infinity ? undefined : performance.now() + 1000 * maxTime;
}

/**
 * An upper bound on a size the user asks for (nLambda, folds, grid points): a request far beyond
 * any use would allocate until memory runs out.
 */
export function checkSizeLimit(fn: string, what: string, value: number, max: number, why: string): number {
  if (value > max) throw new ValueError(fn, `${what} is ${value}, above the limit ${max} (${why})`);
  return value;
}
