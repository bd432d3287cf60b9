/**
 * Random CSV tables for fuzzing the reader and the design builder: missing values, quotes
 * (balanced or not), byte order marks, four delimiters, CRLF, ragged rows, huge / tiny / overflowing
 * numbers, hexadecimal and `Infinity` spellings, unicode and duplicate names. Every case must give a
 * table (then a design, then a fit) whose invariants hold, or a library error — never another
 * exception. Built from fast-check values directly, so a failure shrinks to a short text.
 */
import fc from 'fast-check';
import {
  buildDesign, fitGroupLasso, GroupSparseError, isNumericColumn, lambdaMax, readCsv, type Design, type Table,
} from '../../src/index.ts';

export interface DataFuzzParams {
  delimiter: ',' | ';' | '\t' | '|';
  bom: boolean;
  crlf: boolean;
  header: string[];
  rows: string[][];
  missing: 'error' | 'drop-rows';
  duplicateNames: 'error' | 'rename';
  /** Which column is the target (index into the header, or -1 for none). */
  target: number;
  sparse: boolean | 'auto';
}

const NAMES = ['y', 'x', 'age', 'race', 'é', 'größe', '日本', '🙂', 'a b', 'a,b', 'a"b', '', 'x', 'NA', '1', 'weight (kg)'];
const NUMBERS = [
  '0', '-0', '1', '-2.5', '3e2', '1e308', '-1.7976931348623157e308', '5e-324', '1e-320', '1e400', '-1e-400',
  '0.1', '12345678901234567890', '.5', '5.', '+7', '0x10', 'Infinity', '-Infinity', '1_000', '1,5', '١٢',
];
const STRINGS = ['a', 'b', 'c', 'é', '日本', '🙂', ' a ', 'a b', 'A', 'true', 'NULL', 'null'];
const MISSING = ['', 'NA', 'NaN', ' ', 'na'];

const GOOD_NUMBERS = ['0', '1', '-2.5', '3e2', '0.1', '.5', '7', '42', '-3', '1e-3'];

/**
 * One raw field as it appears in the text (quoting decided here). Columns are mostly clean
 * numbers or clean levels with a rare odd entry, so that many tables get as far as a fit.
 */
function fieldArb(kind: 'number' | 'level' | 'wild'): fc.Arbitrary<string> {
  if (kind === 'number') {
    return fc.oneof(
      { weight: 30, arbitrary: fc.constantFrom(...GOOD_NUMBERS) },
      { weight: 8, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => String(v)) },
      { weight: 1, arbitrary: fc.constantFrom(...NUMBERS, ...MISSING) },
    );
  }
  if (kind === 'level') {
    return fc.oneof({ weight: 30, arbitrary: fc.constantFrom('a', 'b', 'c', 'é', '日本') }, { weight: 1, arbitrary: fc.constantFrom(...STRINGS, ...MISSING) });
  }
  const plain = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...NUMBERS) },
    { weight: 3, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => String(v)) },
    { weight: 3, arbitrary: fc.constantFrom(...STRINGS) },
    { weight: 2, arbitrary: fc.constantFrom(...MISSING) },
    { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
  );
  return fc.oneof(
    { weight: 8, arbitrary: plain },
    // Quoted, with the delimiter, an escaped quote or a line break inside.
    { weight: 2, arbitrary: fc.tuple(plain, fc.constantFrom(',', ';', '""', '\n', '\r\n', '')).map(([s, extra]) => `"${s}${extra}"`) },
    // An unbalanced or stray quote.
    { weight: 1, arbitrary: fc.constantFrom('"a', 'a"b', '"', '"1""') },
  );
}

export function dataFuzzArb(): fc.Arbitrary<DataFuzzParams> {
  const kinds = fc.array(fc.constantFrom('number' as const, 'number' as const, 'level' as const, 'wild' as const), { minLength: 1, maxLength: 5 });
  return kinds.chain((cols) => {
    const k = cols.length;
    const row = fc.tuple(...cols.map(fieldArb));
    return fc.record({
      delimiter: fc.constantFrom(',' as const, ';' as const, '\t' as const, '|' as const),
      bom: fc.boolean(),
      crlf: fc.boolean(),
      header: fc.uniqueArray(fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 5 }) }), { minLength: k, maxLength: k }).chain((h) =>
        // Now and then a duplicated name (the last column named like the first).
        fc.oneof({ weight: 12, arbitrary: fc.constant<string[]>(h) }, { weight: 1, arbitrary: fc.constant<string[]>([...h.slice(0, -1), h[0]]) })),
      // Mostly rectangular; a ragged row now and then.
      rows: fc.array(
        fc.oneof(
          { weight: 30, arbitrary: row },
          { weight: 1, arbitrary: fc.array(fieldArb('wild'), { minLength: 0, maxLength: k + 2 }) },
        ),
        { minLength: 0, maxLength: 30 },
      ),
      missing: fc.constantFrom('error' as const, 'drop-rows' as const),
      duplicateNames: fc.constantFrom('error' as const, 'rename' as const),
      target: fc.integer({ min: -1, max: k - 1 }),
      sparse: fc.constantFrom(false, true, 'auto' as const),
    });
  });
}

/** The CSV text of a case. */
export function dataCaseText(p: DataFuzzParams): string {
  const eol = p.crlf ? '\r\n' : '\n';
  const quoteName = (s: string): string => (/[",;\t|\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [p.header.map(quoteName).join(p.delimiter), ...p.rows.map((r) => r.join(p.delimiter))];
  return (p.bom ? '\uFEFF' : '') + lines.join(eol) + eol;
}

export interface DataFuzzOutcome {
  /** How far the case got: refused by the reader, the design builder or the fit, or fitted. */
  stage: 'readCsv' | 'buildDesign' | 'fit' | 'done';
  failures: string[];
  error?: string;
}

function tableProblems(t: Table): string[] {
  const bad: string[] = [];
  if (t.names.length !== t.columns.length) bad.push(`${t.names.length} names for ${t.columns.length} columns`);
  if (new Set(t.names).size !== t.names.length) bad.push(`duplicate names ${JSON.stringify(t.names)}`);
  for (let k = 0; k < t.columns.length; k++) {
    const c = t.columns[k];
    if (c.length !== t.nRows) bad.push(`column '${t.names[k]}' has ${c.length} entries for ${t.nRows} rows`);
    if (isNumericColumn(c)) {
      for (let i = 0; i < c.length; i++) if (!Number.isFinite(c[i])) { bad.push(`numeric column '${t.names[k]}' holds ${c[i]} at row ${i}`); break; }
    } else {
      for (let i = 0; i < c.length; i++) if (typeof c[i] !== 'string') { bad.push(`string column '${t.names[k]}' holds a ${typeof c[i]}`); break; }
    }
  }
  return bad;
}

function designProblems(d: Design, t: Table): string[] {
  const bad: string[] = [];
  if (d.X.rows !== t.nRows) bad.push(`design has ${d.X.rows} rows for ${t.nRows} table rows`);
  if (d.columnNames.length !== d.X.cols || d.groups.length !== d.X.cols) bad.push('design names/groups do not match its columns');
  const out = new Float64Array(d.X.rows);
  const e = new Float64Array(d.X.cols);
  for (let j = 0; j < d.X.cols; j++) {
    e.fill(0);
    e[j] = 1;
    d.X.apply(e, out);
    if (!out.every(Number.isFinite)) { bad.push(`design column '${d.columnNames[j]}' is not finite`); break; }
  }
  if (d.y && !d.y.every(Number.isFinite)) bad.push('design response is not finite');
  return bad;
}

/** Read, build and fit one table; list everything that should not have happened. */
export function runDataCase(p: DataFuzzParams): DataFuzzOutcome {
  const text = dataCaseText(p);
  let stage: DataFuzzOutcome['stage'] = 'readCsv';
  try {
    const t = readCsv(text, { source: 'text', delimiter: p.delimiter, missing: p.missing, duplicateNames: p.duplicateNames });
    const failures = tableProblems(t);
    if (failures.length > 0) return { stage, failures };
    stage = 'buildDesign';
    const target = p.target >= 0 && p.target < t.names.length ? t.names[p.target] : undefined;
    const d = buildDesign(t, { ...(target !== undefined ? { target } : {}), sparse: p.sparse });
    failures.push(...designProblems(d, t));
    if (failures.length > 0 || !d.y || d.X.cols === 0) return { stage: 'done', failures };
    stage = 'fit';
    const lm = lambdaMax(d.X, d.y, { groups: d.groups });
    if (!(lm >= 0 && Number.isFinite(lm))) return { stage, failures: [`lambdaMax returned ${lm}`] };
    const fit = fitGroupLasso(d.X, d.y, { groups: d.groups, lambda: 0.5 * lm, maxIter: 2000 });
    const finite = Array.from(fit.coef).every(Number.isFinite) && Number.isFinite(fit.intercept) && Number.isFinite(fit.objective);
    if (fit.converged && !finite) failures.push('a converged fit holds a non-finite number');
    if (!fit.converged && !fit.status) failures.push('not converged and no status');
    return { stage: 'done', failures };
  } catch (e) {
    if (e instanceof GroupSparseError) {
      const named = e.message.startsWith(`${e.fn}: `) && ['readCsv', 'buildDesign', 'lambdaMax', 'fitGroupLasso'].includes(e.fn);
      return { stage, failures: named ? [] : [`refusal does not name a public function: ${e.message}`], error: e.message };
    }
    return { stage, failures: [`${stage} threw a non-library error: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`] };
  }
}
