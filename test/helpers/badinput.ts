/**
 * Table-driven refusal tests. Each module of the library contributes one file
 * `test/badinput-<module>.test.ts` holding its rows and calling {@link badInputTable}: a row is a
 * call that must be refused, the exact error class, and a pattern the message must match — one
 * that names the public function and the fault, so a user can fix the call from the message alone.
 */
import { describe, expect, it } from 'vitest';
import { GroupSparseError } from '../../src/index.ts';

/** An error class from src/errors.ts (constructor with the `(fn, message)` signature). */
export type LibraryErrorClass = new (fn: string, message: string) => GroupSparseError;

export interface BadInputRow {
  /** What is wrong, in a few words (the test name). */
  name: string;
  /** The call that must throw. */
  call: () => unknown;
  /** Exact class expected (a subclass does not count). */
  error: LibraryErrorClass;
  /** Public function that must be named first in the message (`fn: …`). */
  fn: string;
  /** Pattern for the fault, matched against the whole message (after the `fn: ` prefix). */
  message: RegExp;
}

/** What a call threw, or a marker when it returned. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Register one `it` per row under `describe('bad input: <module>')`. */
export function badInputTable(module: string, rows: readonly BadInputRow[]): void {
  describe(`bad input: ${module}`, () => {
    it('has no two rows with the same name', () => {
      const names = rows.map((r) => r.name);
      expect(new Set(names).size).toBe(names.length);
    });
    it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
      const e = thrown(row.call);
      expect(e, 'the call must throw').toBeDefined();
      expect(e, `threw ${String(e)}`).toBeInstanceOf(GroupSparseError);
      const err = e as GroupSparseError;
      expect(err.constructor.name).toBe(row.error.name);
      expect(Object.getPrototypeOf(err)).toBe(row.error.prototype);
      expect(err.fn).toBe(row.fn);
      expect(err.message.startsWith(`${row.fn}: `)).toBe(true);
      expect(err.message.slice(row.fn.length + 2)).toMatch(row.message);
      expect(err.name).toBe(row.error.name);
    });
  });
}
