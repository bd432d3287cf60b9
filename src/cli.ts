#!/usr/bin/env node
/**
 * Command line: which groups of the columns of a CSV file matter for a target column?
 *
 *   groupsparse fit data.csv --target bwt --categorical race,ftv --expand age:poly3 --cv 10
 *   groupsparse path data.csv --target bwt --expand age:poly3 --plot path.svg
 *
 * Usage and data errors exit with code 2 and one line naming the problem (no stack trace).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { readCsv, type ReadCsvOptions } from './data/csv.ts';
import { buildDesignAsync, type Design } from './data/design.ts';
import { parseNumber } from './data/csv.ts';
import { parseColumnSpecs } from './data/spec.ts';
import { isNumericColumn, type Table } from './data/table.ts';
import type { LossName } from './datafits/datafits.ts';
import { GroupSparseError } from './errors.ts';
import { GroupLasso, type GroupLassoOptions } from './estimators/groupLasso.ts';
import type { PathResult } from './path/path.ts';

const USAGE = `Usage:
  groupsparse fit  <data.csv> --target COL [design] [model] [--json] [--plot FILE] [--cv-plot FILE]
  groupsparse path <data.csv> --target COL [design] [model] [--json] [--plot FILE]

Design (how columns become groups; every other column enters as itself):
  --categorical a,b[:ref=LEVEL]   dummy-coded groups (string columns are categorical anyway)
  --expand age:poly3,lwt:bs4      polyD (orthogonal), rawpolyD, bsDF, nsDF expansions
  --transform "x2=min(x,2);..."   derived columns (mathjs expressions)
  --interactions a:b,c*d*e        pairwise interaction groups
  --drop id,date                  columns to leave out
  --drop-missing                  drop rows with a missing value (default: error)

Model:
  --loss squared|logistic|poisson (default squared)
  --lambda V | --cv K | --criterion aic|bic|ebic   how λ is chosen (default --cv 10)
  --rule min|1se                  with --cv: λ_min (default) or λ_1se
  --seed N                        fold shuffle seed (default 1)
  --orthonormalize                orthonormalize each group (grpreg) instead of scaling columns
  --no-standardize                fit on the columns as they are
  --n-lambda N --lambda-min-ratio R --tol T --max-iter N --screening strong|none

Output:
  --json                          machine-readable result on stdout
  --plot FILE                     the path (group norms against λ) as .svg, .png or .json
  --cv-plot FILE                  the cross-validation curve (with --cv)
  --quiet                         no progress bar
  --help, --version
`;

/** A usage or data problem: printed as one line, exit code 2. */
class CliError extends Error {}

const OPTIONS = {
  target: { type: 'string' },
  categorical: { type: 'string' },
  expand: { type: 'string' },
  transform: { type: 'string', multiple: true },
  interactions: { type: 'string' },
  drop: { type: 'string' },
  'drop-missing': { type: 'boolean' },
  loss: { type: 'string' },
  lambda: { type: 'string' },
  cv: { type: 'string' },
  criterion: { type: 'string' },
  rule: { type: 'string' },
  seed: { type: 'string' },
  orthonormalize: { type: 'boolean' },
  'no-standardize': { type: 'boolean' },
  'n-lambda': { type: 'string' },
  'lambda-min-ratio': { type: 'string' },
  tol: { type: 'string' },
  'max-iter': { type: 'string' },
  screening: { type: 'string' },
  json: { type: 'boolean' },
  plot: { type: 'string' },
  'cv-plot': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

function numberFlag(v: string | undefined, flag: string, check: (x: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const x = parseNumber(v);
  if (Number.isNaN(x) || !check(x)) throw new CliError(`--${flag} must be ${what}, got '${v}'`);
  return x;
}

function choiceFlag<T extends string>(v: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new CliError(`--${flag} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** Columns that look numeric but hold a stray non-number are refused (a typo, not a category). */
function checkNumericLooking(table: Table, file: string, categorical: Set<string>, readOpts: ReadCsvOptions): void {
  for (let k = 0; k < table.names.length; k++) {
    const name = table.names[k];
    const col = table.columns[k];
    if (isNumericColumn(col) || categorical.has(name)) continue;
    let numbers = 0;
    for (const s of col) if (!Number.isNaN(parseNumber(s))) numbers++;
    if (numbers > 0 && numbers >= col.length / 2) {
      // Re-read with the column declared numeric: readCsv names the line and the entry.
      try {
        readCsv(file, { ...readOpts, numeric: [name] });
      } catch (e) {
        if (e instanceof GroupSparseError) {
          throw new CliError(`${e.message.replace(/^readCsv: /, '')} (list the column in --categorical if it is a category)`);
        }
        throw e;
      }
    }
  }
}

async function loadDesign(file: string, v: Values): Promise<{ design: Design; table: Table }> {
  const target = v.target;
  if (target === undefined) throw new CliError('--target COL is required (the column to predict)');
  const readOpts: ReadCsvOptions = { source: 'path', missing: v['drop-missing'] ? 'drop-rows' : 'error' };
  const table = readCsv(file, readOpts);
  if (!table.names.includes(target)) {
    throw new CliError(`target column '${target}' is not in ${file}; columns are ${table.names.join(', ')}`);
  }
  const tcol = table.columns[table.names.indexOf(target)];
  if (!isNumericColumn(tcol)) {
    try {
      readCsv(file, { ...readOpts, numeric: [target] });
    } catch (e) {
      if (e instanceof GroupSparseError) throw new CliError(`the target ${e.message.replace(/^readCsv: /, '')}`);
      throw e;
    }
  }
  const categorical = new Set((v.categorical ?? '').split(',').map((s) => s.trim().replace(/:ref=.*$/, '')).filter(Boolean));
  checkNumericLooking(table, file, categorical, readOpts);
  const specs = parseColumnSpecs({
    categorical: v.categorical, expand: v.expand, transform: v.transform, interactions: v.interactions, drop: v.drop,
  }, table, target);
  const design = await buildDesignAsync(table, { target, columns: specs.columns, transforms: specs.transforms });
  return { design, table };
}

function modelOptions(v: Values, design: Design, command: 'fit' | 'path', onProgress?: (d: number, t: number) => void): GroupLassoOptions {
  const loss = choiceFlag<LossName>(v.loss, 'loss', ['squared', 'logistic', 'poisson']) ?? 'squared';
  const lambda = numberFlag(v.lambda, 'lambda', (x) => x >= 0, 'a number ≥ 0');
  const cv = numberFlag(v.cv, 'cv', (x) => Number.isInteger(x) && x >= 2, 'a whole number ≥ 2');
  const criterion = choiceFlag(v.criterion, 'criterion', ['aic', 'bic', 'ebic'] as const);
  const given = [lambda !== undefined && '--lambda', cv !== undefined && '--cv', criterion !== undefined && '--criterion'].filter(Boolean);
  if (given.length > 1) throw new CliError(`give one of --lambda, --cv, --criterion, not ${given.join(' and ')}`);
  if (command === 'path' && given.length > 0) throw new CliError(`${given[0]} chooses a λ: use it with 'fit' ('path' shows the whole path)`);
  const rule = choiceFlag(v.rule, 'rule', ['min', '1se'] as const);
  if (rule !== undefined && cv === undefined && given.length > 0) throw new CliError('--rule goes with --cv');
  const seed = numberFlag(v.seed, 'seed', (x) => Number.isInteger(x), 'a whole number');
  if (v.orthonormalize && v['no-standardize']) throw new CliError('--orthonormalize and --no-standardize exclude each other');
  const opts: GroupLassoOptions = {
    groups: design.groups,
    loss,
    featureNames: design.columnNames,
    standardize: !v['no-standardize'],
    orthonormalize: v.orthonormalize ?? false,
    nLambda: numberFlag(v['n-lambda'], 'n-lambda', (x) => Number.isInteger(x) && x >= 1, 'a whole number ≥ 1'),
    lambdaMinRatio: numberFlag(v['lambda-min-ratio'], 'lambda-min-ratio', (x) => x > 0 && x < 1, 'a number in (0, 1)'),
    tol: numberFlag(v.tol, 'tol', (x) => x > 0, 'a number > 0'),
    maxIter: numberFlag(v['max-iter'], 'max-iter', (x) => Number.isInteger(x) && x >= 1, 'a whole number ≥ 1'),
    screening: choiceFlag(v.screening, 'screening', ['strong', 'none'] as const),
    onProgress,
  };
  if (command === 'path') {
    // The whole path; BIC along it comes for the price of one unpenalized fit and is shown as a hint.
    opts.criterion = 'bic';
  } else if (lambda !== undefined) opts.lambda = lambda;
  else if (criterion !== undefined) opts.criterion = criterion;
  else {
    opts.cv = { nFolds: cv ?? 10, seed: seed ?? 1 };
    if (rule !== undefined) opts.rule = rule;
  }
  for (const k of Object.keys(opts) as (keyof GroupLassoOptions)[]) if (opts[k] === undefined) delete opts[k];
  return opts;
}

const fmt = (x: number, d = 4): string => (x === 0 ? '0' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5 ? x.toFixed(d) : x.toExponential(3));

function certificateLine(c: { objective: number; dualityGap: number; relativeGap: number; kktViolation: number; converged: boolean }): string {
  return `objective ${c.objective.toPrecision(10)}, duality gap ${c.dualityGap.toExponential(2)} (relative ${c.relativeGap.toExponential(2)}), ` +
    `KKT violation ${c.kktViolation.toExponential(2)}, converged: ${c.converged ? 'yes' : 'NO'}`;
}

/** Order in which groups first become non-zero along a path: [group, λ at entry]. */
export function entryOrder(path: PathResult): { group: string; lambda: number; index: number }[] {
  const seen = new Set<number>();
  const out: { group: string; lambda: number; index: number }[] = [];
  path.activeGroups.forEach((act, k) => {
    for (const g of act) {
      if (seen.has(g) || !(path.groups.weights[g] > 0)) continue;
      seen.add(g);
      out.push({ group: path.groupNames[g], lambda: path.lambdas[k], index: k });
    }
  });
  return out;
}

function describeSelection(m: GroupLasso): string {
  if (m.cv) {
    const rule = m.options.rule === '1se' ? 'λ_1se' : 'λ_min';
    return `λ chosen by ${m.cv.nFolds}-fold cross-validation (${rule}; λ_min = ${fmt(m.cv.lambdaMin, 5)}, λ_1se = ${fmt(m.cv.lambda1se, 5)}, ${m.cv.metric})`;
  }
  if (m.criteria) return `λ chosen by ${m.options.criterion!.toUpperCase()} (degrees of freedom: ${m.criteria!.dfMethod})`;
  return 'λ given';
}

async function savePlotFile(kind: 'path' | 'cv', m: GroupLasso, file: string, selected?: number): Promise<void> {
  let plot: typeof import('./plot/index.ts');
  try {
    plot = await import('./plot/index.ts');
  } catch (e) {
    throw new CliError(`--plot is not available: the plotting module failed to load (${(e as Error).message})`);
  }
  const path = m.path!;
  const spec = kind === 'path'
    ? plot.pathChart({
      lambdas: path.lambdas, groupNames: path.groupNames, groupNorms: path.groupNorms,
      ...(selected !== undefined ? { selectedLambda: selected } : {}),
    }, { title: 'Regularization path (original scale)' })
    : plot.cvChart({
      lambdas: m.cv!.lambdas, meanLoss: m.cv!.meanLoss, seLoss: m.cv!.seLoss, lambdaMin: m.cv!.lambdaMin,
      lambda1se: m.cv!.lambda1se, metric: m.cv!.metric,
    });
  await plot.savePlot(spec, file);
}

function version(): string {
  try {
    return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

/** Run the command line; returns the exit code. */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new CliError(`${msg}\n\n${USAGE}`);
  }
  const v = parsed.values;
  if (v.version) {
    out(`groupsparse ${version()}\n`);
    return 0;
  }
  const [command, file, ...rest] = parsed.positionals;
  if (v.help || command === undefined || command === 'help') {
    out(USAGE);
    return 0;
  }
  if (command !== 'fit' && command !== 'path') throw new CliError(`unknown command '${command}' (use fit or path)\n\n${USAGE}`);
  if (file === undefined) throw new CliError(`${command}: the CSV file is missing\n\n${USAGE}`);
  if (rest.length > 0) throw new CliError(`unexpected argument '${rest[0]}'`);
  if (command === 'path' && v['cv-plot'] !== undefined) throw new CliError("--cv-plot goes with 'fit --cv'");

  const { design } = await loadDesign(file, v);
  const bar = v.quiet ? null : new cliProgress.SingleBar({
    stream: process.stderr, noTTYOutput: true, notTTYSchedule: 1000, hideCursor: false, clearOnComplete: false,
    format: `${command} [{bar}] {percentage}% | {value}/{total} fits`,
  }, cliProgress.Presets.legacy);
  let started = false;
  const onProgress = bar ? (done: number, total: number) => {
    if (!started) {
      bar.start(total, 0);
      started = true;
    }
    bar.update(done);
  } : undefined;
  const opts = modelOptions(v, design, command, onProgress);
  if (command === 'fit' && v['cv-plot'] !== undefined && opts.cv === undefined) throw new CliError('--cv-plot goes with --cv');
  let model: GroupLasso;
  try {
    model = new GroupLasso(opts).fit(design.X, design.y);
  } finally {
    if (started) bar!.stop();
  }
  const path = model.path!;
  const n = design.X.rows;
  const header = `${file}: target ${design.target} (${model.loss} loss), n = ${n}, ${design.columnNames.length} columns in ${design.groupNames.length} groups`;
  const prep = model.options.orthonormalize ? 'groups orthonormalized' : model.options.standardize === false ? 'columns as given' : 'columns standardized';

  if (command === 'path') {
    const order = entryOrder(path);
    if (v.json) {
      out(JSON.stringify({
        target: design.target, loss: model.loss, groupNames: path.groupNames, lambdaMax: path.lambdaMax,
        lambdas: Array.from(path.lambdas), groupNorms: path.groupNorms.map((g) => Array.from(g)),
        activeGroups: path.activeGroups.map((a) => a.map((g) => path.groupNames[g])),
        certificates: path.certificates, entryOrder: order,
        bic: { lambda: model.lambda, dfMethod: model.criteria!.dfMethod, values: Array.from(model.criteria!.bic) },
      }, null, 2) + '\n');
    } else {
      const lines = [header, `${prep}; λ_max = ${fmt(path.lambdaMax, 6)}, ${path.lambdas.length} values of λ`, '', 'order in which groups enter:'];
      order.forEach((o, r) => lines.push(`  ${String(r + 1).padStart(2)}. ${o.group.padEnd(14)} at λ = ${fmt(o.lambda, 6)}`));
      const never = path.groupNames.filter((g, i) => path.groups.weights[i] > 0 && !order.some((o) => o.group === g));
      if (never.length) lines.push(`  never: ${never.join(', ')}`);
      lines.push('', '       λ   groups  relative gap  converged');
      const step = Math.max(1, Math.floor(path.lambdas.length / 20));
      for (let k = 0; k < path.lambdas.length; k += step) {
        const c = path.certificates[k];
        lines.push(`${fmt(path.lambdas[k], 6).padStart(10)}  ${String(path.activeGroups[k].length).padStart(6)}  ${c.relativeGap.toExponential(2).padStart(12)}  ${c.converged ? 'yes' : 'NO'}`);
      }
      const kb = path.lambdas.indexOf(model.lambda);
      lines.push('', `BIC (df: ${model.criteria!.dfMethod}) would choose λ = ${fmt(model.lambda, 6)}: ${path.activeGroups[kb].map((g) => path.groupNames[g]).join(', ') || '(no group)'}`);
      const bad = path.certificates.filter((c) => !c.converged).length;
      lines.push('', bad === 0 ? `every fit certified (relative duality gap ≤ ${path.tol})` : `${bad} fit(s) NOT certified to tol ${path.tol}`);
      out(lines.join('\n') + '\n');
    }
    if (v.plot !== undefined) await savePlotFile('path', model, v.plot);
    return 0;
  }

  const selected = model.selectedGroups();
  const cert = model.certificate;
  if (v.json) {
    out(JSON.stringify({
      target: design.target, loss: model.loss, lambda: model.lambda, intercept: model.intercept,
      selectedGroups: selected.map((g) => ({ name: g.name, norm: g.norm, coefficients: Object.fromEntries(g.coefficients.map((c) => [c.feature, c.value])) })),
      droppedGroups: model.groupNames.filter((g) => !selected.some((s) => s.name === g)),
      certificate: cert,
      cv: model.cv ? {
        nFolds: model.cv.nFolds, metric: model.cv.metric, lambdaMin: model.cv.lambdaMin, lambda1se: model.cv.lambda1se,
        lambdas: Array.from(model.cv.lambdas), meanLoss: Array.from(model.cv.meanLoss), seLoss: Array.from(model.cv.seLoss),
      } : undefined,
      criteria: model.criteria ? { dfMethod: model.criteria.dfMethod, best: model.criteria.best } : undefined,
      model: model.toJSON(),
    }, null, 2) + '\n');
  } else {
    const lines = [header, `${prep}; ${describeSelection(model)}`, `λ = ${fmt(model.lambda, 6)} (λ_max = ${fmt(path.lambdaMax, 6)})`, ''];
    const nPen = model.groupNames.filter((_, g) => path.groups.weights[g] > 0).length;
    lines.push(`selected groups (${selected.filter((g) => g.penalized).length} of ${nPen}), coefficients on the original scale:`);
    const w = Math.max(5, ...selected.map((g) => g.name.length));
    lines.push(`  ${'group'.padEnd(w)}  ${'‖w_g‖'.padStart(10)}  coefficients`);
    for (const g of selected) {
      const cs = g.coefficients.map((c) => `${c.feature}=${fmt(c.value)}`).join('  ');
      lines.push(`  ${g.name.padEnd(w)}  ${fmt(g.norm).padStart(10)}  ${cs}${g.penalized ? '' : '  (unpenalized)'}`);
    }
    const dropped = model.groupNames.filter((g) => !selected.some((s) => s.name === g));
    lines.push(`dropped: ${dropped.length ? dropped.join(', ') : '(none)'}`);
    lines.push(`intercept: ${fmt(model.intercept)}`, '', `certificate: ${certificateLine(cert)}`);
    out(lines.join('\n') + '\n');
  }
  if (v.plot !== undefined) await savePlotFile('path', model, v.plot, model.lambda);
  if (v['cv-plot'] !== undefined) await savePlotFile('cv', model, v['cv-plot']);
  return 0;
}

/** Entry point: exit code 2 with a one-line message for usage and data errors. */
export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    if (e instanceof CliError || e instanceof GroupSparseError) {
      process.stderr.write(`groupsparse: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`groupsparse: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}

function isEntry(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(arg)).href;
  } catch {
    return false;
  }
}

if (isEntry()) {
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
