import { parseNumber } from '../data/csv.ts';
import { CliError } from './errors.ts';

/** A numeric flag value, checked: `--tol 1e-8`. */
export function numberFlag(v: string | undefined, flag: string, check: (x: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const x = parseNumber(v.trim());
  if (Number.isNaN(x) || !check(x)) throw new CliError(`--${flag} must be ${what}, got '${v}'`);
  return x;
}

/** A flag value from a fixed list, with a did-you-mean free message listing the choices. */
export function choiceFlag<T extends string>(v: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new CliError(`--${flag} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** `a,b , c` → ['a', 'b', 'c'] (empty items refused). */
export function listFlag(v: string | undefined, flag: string): string[] {
  if (v === undefined) return [];
  const items = v.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new CliError(`--${flag} '${v}' has an empty item`);
  return items;
}
