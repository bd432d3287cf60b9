/**
 * `groupsparse fit` on a table that stays in its database: a Parquet file, a DuckDB database, or
 * a PostgreSQL URL. The design flags are those of a CSV fit; λ is fixed (--lambda) or chosen by
 * K-fold cross-validation (--cv K, folds hashed from --row-key). Progress: one line per pass over
 * the rows, on stderr.
 */
import { parseColumnSpecs } from '../data/spec.ts';
import type { ColumnSpec } from '../data/design.ts';
import type { CliIO } from './command.ts';
import type { DesignValues } from './data.ts';
import { CliError } from './errors.ts';
import { certificateLine, fmt, foldList } from './format.ts';
import type { ModelValues } from './model.ts';
import { choiceFlag, numberFlag } from './values.ts';

/** Flags that only SQL sources take. */
export const SQL_FLAGS = {
  table: { type: 'string', arg: 'NAME', help: 'table of a PostgreSQL URL or DuckDB file' },
  'row-key': { type: 'string', arg: 'COL', help: 'integer column hashed into CV folds (default: Parquet row number)' },
  threads: { type: 'string', arg: 'N', help: 'DuckDB worker threads (default: all cores)' },
} as const;

/** True for a location that a SQL engine reads (rather than a CSV file read into memory). */
export function isSqlLocation(s: string | undefined): boolean {
  return s !== undefined && (/^postgres(ql)?:\/\//.test(s) || /\.(parquet|duckdb|db)$/i.test(s));
}

type Values = DesignValues & ModelValues & { table?: string; 'row-key'?: string; threads?: string; json?: boolean; quiet?: boolean; plot?: string; 'cv-plot'?: string };

/** Model flags that have no meaning on a SQL source yet. */
const UNSUPPORTED = ['criterion', 'rule', 'seed', 'workers', 'orthonormalize', 'screening', 'plot', 'cv-plot'] as const;

/** Run `fit` on a SQL source; returns the exit code. */
export async function runSqlFit(v: Values, positionals: string[], io: CliIO): Promise<number> {
  const [location, ...rest] = positionals;
  if (rest.length > 0) throw new CliError(`unexpected argument '${rest[0]}'`);
  for (const f of UNSUPPORTED) if (v[f] !== undefined) throw new CliError(`--${f} is not available for SQL sources (${location})`);
  const target = v.target;
  if (target === undefined) throw new CliError('--target COL is required (the column to predict)');
  const loss = choiceFlag(v.loss, 'loss', ['squared', 'logistic', 'poisson'] as const) ?? 'squared';
  const lambda = numberFlag(v.lambda, 'lambda', (x) => x >= 0, 'a number ≥ 0');
  const cv = v.cv === undefined ? undefined : numberFlag(v.cv, 'cv', (x) => Number.isInteger(x) && x >= 2, 'a whole number ≥ 2');
  if ((lambda === undefined) === (cv === undefined)) throw new CliError('give either --lambda V or --cv K for a SQL source');
  const tol = numberFlag(v.tol, 'tol', (x) => x > 0, 'a number > 0');
  const maxIter = numberFlag(v['max-iter'], 'max-iter', (x) => Number.isInteger(x) && x >= 1, 'a whole number ≥ 1');
  const nLambda = numberFlag(v['n-lambda'], 'n-lambda', (x) => Number.isInteger(x) && x >= 1, 'a whole number ≥ 1');
  const lambdaMinRatio = numberFlag(v['lambda-min-ratio'], 'lambda-min-ratio', (x) => x > 0 && x < 1, 'a number in (0, 1)');
  const threads = numberFlag(v.threads, 'threads', (x) => Number.isInteger(x) && x >= 1, 'a whole number ≥ 1');
  if (v['no-standardize'] !== true && !v.quiet) io.stderr('note: SQL sources are fitted on the columns as given (no standardization)\n');

  const { openSource } = await import('../sources/source.ts');
  const fits = await import('../sources/fit.ts');
  const source = await openSource(location, { table: v.table, threads });
  try {
    const cols = await source.columns();
    const kinds = new Map(cols.map((c) => [c.name, c.kind]));
    const names = cols.map((c) => c.name).filter((n) => n !== source.defaultRowKey && n !== v['row-key']);
    if (!names.includes(target)) throw new CliError(`target column '${target}' is not in ${source.description}; columns are ${names.join(', ')}`);
    const parsed = parseColumnSpecs({ categorical: v.categorical, expand: v.expand, transform: v.transform, interactions: v.interactions, drop: v.drop }, names, target);
    // Unlisted columns default to numeric without a table to look at: string columns are categorical.
    const columns: ColumnSpec[] = parsed.columns.map((c) => (c.type === 'numeric' && kinds.get(c.column) === 'string' ? { type: 'categorical', column: c.column } : c));
    const spec = { target, columns, transforms: parsed.transforms.map((t) => ({ name: t.name, expr: t.expr as string })), missing: v['drop-missing'] ? 'drop-rows' as const : 'error' as const };
    const t0 = performance.now();
    const onProgress = v.quiet ? undefined : ({ pass, what }: { pass: number; what: string }) => io.stderr(`pass ${pass}: ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    const common = { loss, tol, maxIter, onProgress };
    let fit;
    let cvInfo: { lambdaMin: number; nFolds: number; meanLoss: number } | undefined;
    let passes: number;
    if (cv !== undefined) {
      const r = await fits.cvGroupLassoSql(source, spec, { ...common, nFolds: cv, rowKey: v['row-key'], nLambda, lambdaMinRatio });
      fit = r.fit;
      cvInfo = { lambdaMin: r.lambdaMin, nFolds: r.nFolds, meanLoss: r.meanLoss[r.indexMin] };
      passes = r.passes;
    } else {
      fit = await fits.fitGroupLassoSql(source, spec, { ...common, lambda: lambda! });
      passes = fit.passes;
    }
    const names2 = fit.columnNames;
    const seconds = (performance.now() - t0) / 1000;
    const selected = fit.activeGroups.map((g) => ({
      name: fit.groupNames[g], norm: fit.groupNorms[g],
      coefficients: names2.flatMap((feature, j) => (fit.columnGroups[j] === fit.groupNames[g] ? [{ feature, value: fit.coef[j] }] : [])),
    }));
    if (v.json) {
      io.stdout(JSON.stringify({
        source: source.description, target, loss, lambda: fit.lambda, intercept: fit.intercept, n: fit.n, passes, seconds,
        selectedGroups: selected.map((g) => ({ name: g.name, norm: g.norm, coefficients: Object.fromEntries(g.coefficients.map((c) => [c.feature, c.value])) })),
        coefficients: Object.fromEntries(names2.map((n, j) => [n, fit.coef[j]])),
        certificate: { objective: fit.objective, dualityGap: fit.dualityGap, relativeGap: fit.relativeGap, kktViolation: fit.kktViolation, converged: fit.converged },
        cv: cvInfo,
      }, null, 2) + '\n');
    } else {
      const lines = [
        `${source.description}: target ${target} (${loss} loss), n = ${fit.n}, ${names2.length} columns in ${fit.groupNames.length} groups, ${passes} passes in ${seconds.toFixed(1)} s`,
        cvInfo ? `λ chosen by ${cvInfo.nFolds}-fold cross-validation (λ_min = ${fmt(cvInfo.lambdaMin, 5)}, mean squared error ${fmt(cvInfo.meanLoss, 5)})` : `λ = ${fmt(fit.lambda, 6)}`,
        '', `selected groups (${selected.length} of ${fit.groupNames.length}), coefficients on the columns as given:`,
      ];
      const w = Math.max(5, ...selected.map((g) => g.name.length));
      for (const g of selected) lines.push(`  ${g.name.padEnd(w)}  ${fmt(g.norm).padStart(10)}  ${g.coefficients.map((c) => `${c.feature}=${fmt(c.value)}`).join('  ')}`);
      const dropped = fit.groupNames.filter((_, g) => !fit.activeGroups.includes(g));
      lines.push(`dropped (${dropped.length}): ${foldList(dropped, { first: 14 })}`, `intercept: ${fmt(fit.intercept)}`, '', `certificate: ${certificateLine(fit)}`);
      io.stdout(lines.join('\n') + '\n');
    }
    return fit.converged ? 0 : 1;
  } finally {
    await source.close();
  }
}
