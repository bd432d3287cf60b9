/**
 * Every function and class exported by every public entry point (package.json "exports": the root
 * with its `signal` namespace, `/solvers`, `/node`, `/plot`, `/neural`, `/sql`), found by walking
 * the modules, is called with junk (nothing, null, NaN, a string, an empty object, a mixed array,
 * negative sizes). Each call must throw a GroupSparseError whose `fn` names the export — not a
 * TypeError, a RangeError, a hang or a silent result. A new export therefore fails here until it
 * validates its arguments. UNVALIDATED lists the exports that do not yet; an export on it that
 * starts passing fails the test too, so the list only shrinks.
 */
import { describe, expect, it } from 'vitest';
import { GroupSparseError } from '../src/errors.ts';
import * as root from '../src/index.ts';
import * as solvers from '../src/extend.ts';
import * as node from '../src/node.ts';
import * as plot from '../src/plot/index.ts';
import * as neural from '../src/neural/index.ts';
import * as sql from '../src/sources/index.ts';

const ENTRIES: Record<string, Record<string, unknown>> = {
  groupsparse: root, 'groupsparse.signal': root.signal as unknown as Record<string, unknown>,
  'groupsparse/solvers': solvers, 'groupsparse/node': node, 'groupsparse/plot': plot, 'groupsparse/neural': neural, 'groupsparse/sql': sql,
};

const JUNK: [string, unknown[]][] = [
  ['(undefined)', [undefined]], ['(null)', [null]], ['(NaN)', [NaN]], ["('junk')", ['junk']], ['({})', [{}]],
  ['([1, "a", NaN])', [[1, 'a', NaN]]], ['(-1, -1, -1)', [-1, -1, -1]],
];

/** Exports whose arguments are all optional: a call with nothing (undefined) may succeed. */
const NO_ARGUMENTS_NEEDED = new Set([
  'groupsparse.Random', 'groupsparse.lossNames', 'groupsparse.penaltyNames', 'groupsparse.solverNames', 'groupsparse.wasmSimdAvailable',
  'groupsparse.expressionEngineLoaded', 'groupsparse.loadExpressionEngine', 'groupsparse.birthwtDesign', 'groupsparse/solvers.lossNames',
  'groupsparse/solvers.penaltyNames', 'groupsparse/solvers.solverNames', 'groupsparse/node.findPlotFonts', 'groupsparse/neural.initRuntime',
  'groupsparse/neural.initBackend', 'groupsparse/neural.loadDigits', 'groupsparse/neural.loadMnist', 'groupsparse/neural.tinyFaceDetectorPath',
  'groupsparse/neural.loadTinyFaceDetector', 'groupsparse/neural.nsfwjsModelFolder', 'groupsparse/neural.readNsfwjsModel',
]);

/** Calls that would start threads or load large data for each junk value: checked by their own rows. */
const NOT_CALLED = new Set(['groupsparse.startCvWorkers']);

import { UNVALIDATED } from './helpers/unvalidated.ts';

const isClass = (f: unknown): boolean => typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));

async function outcome(name: string, f: (...a: unknown[]) => unknown, args: unknown[]): Promise<string> {
  try {
    let r = isClass(f) ? new (f as unknown as new (...a: unknown[]) => unknown)(...args) : f(...args);
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
      r = await Promise.race([r, new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 10 s')), 10_000))]);
    }
    return 'returned';
  } catch (e) {
    if (e instanceof GroupSparseError) return String(e.fn).includes(name) && e.message.startsWith(`${e.fn}: `) ? 'ok' : `named ${String(e.fn)}`;
    return `${(e as Error)?.name ?? typeof e}: ${String((e as Error)?.message ?? e).slice(0, 100)}`;
  }
}

const exportsList: [string, string, (...a: unknown[]) => unknown][] = [];
for (const [entry, mod] of Object.entries(ENTRIES)) {
  for (const [name, v] of Object.entries(mod)) {
    if (typeof v !== 'function') continue;
    // The error classes themselves.
    if ((v as { prototype?: unknown }).prototype instanceof Error) continue;
    const id = `${entry}.${name}`;
    if (NOT_CALLED.has(id)) continue;
    exportsList.push([id, name, v as (...a: unknown[]) => unknown]);
  }
}

describe('bad input: every public export', () => {
  it('finds the exports (the walk itself works)', () => {
    expect(exportsList.length).toBeGreaterThan(200);
    expect(exportsList.some(([id]) => id === 'groupsparse.signal.gaussian')).toBe(true);
  });
  it('lists no export in UNVALIDATED that does not exist', () => {
    const ids = new Set(exportsList.map(([id]) => id));
    expect([...UNVALIDATED].filter((id) => !ids.has(id))).toEqual([]);
  });
  it.each(exportsList.map(([id, name, f]) => [id, name, f] as const))('%s refuses junk with its own GroupSparseError', async (id, name, f) => {
    const faults: string[] = [];
    for (const [label, args] of JUNK) {
      const o = await outcome(name, f, args);
      if (o === 'ok') continue;
      if (o === 'returned' && label === '(undefined)' && NO_ARGUMENTS_NEEDED.has(id)) continue;
      faults.push(`${name}${label} → ${o}`);
    }
    if (UNVALIDATED.has(id)) expect(faults.length, `${id} now validates its arguments: take it off UNVALIDATED`).toBeGreaterThan(0);
    else expect(faults).toEqual([]);
  }, 60_000);
});
