import type { GroupLasso } from '../../estimators/groupLasso.ts';
import type { ResponseInput } from '../../linalg/input.ts';
import type { Command } from '../command.ts';
import { DESIGN_FLAGS, type DesignValues } from '../data.ts';
import { CliError } from '../errors.ts';
import { certificateLine, diagnosticLines, fmt, foldList } from '../format.ts';
import { MODEL_FLAGS, type ModelValues } from '../model.ts';
import type { OutputRequest } from '../outputs.ts';
import { PLOT_EXTENSIONS, savePlotFile } from '../plots.ts';
import { isSqlLocation, runSqlFit, SQL_FLAGS } from '../sql.ts';
import { COMMON_FLAGS, fitFromFlags, SAVE_FLAG, saveRequest, savePipeline } from './common.ts';

const OUTPUT_FLAGS = {
  json: { type: 'boolean', help: 'machine-readable result on stdout' },
  plot: { type: 'string', arg: 'FILE', help: 'the path (group norms against λ) as .svg, .png or .json' },
  'cv-plot': { type: 'string', arg: 'FILE', help: 'the cross-validation curve (with --cv)' },
} as const;

type Values = DesignValues & ModelValues & { json?: boolean; plot?: string; 'cv-plot'?: string; save?: string; quiet?: boolean; force?: boolean };

function describeSelection(m: GroupLasso): string {
  if (m.cv) {
    const rule = m.options.rule === '1se' ? 'λ_1se' : 'λ_min';
    return `λ chosen by ${m.cv.nFolds}-fold cross-validation (${rule}; λ_min = ${fmt(m.cv.lambdaMin, 5)}, λ_1se = ${fmt(m.cv.lambda1se, 5)}, ${m.cv.metric})`;
  }
  if (m.criteria) return `λ chosen by ${m.options.criterion!.toUpperCase()} (degrees of freedom: ${m.criteria!.dfMethod})`;
  return 'λ given';
}

export const fitCommand: Command = {
  name: 'fit',
  summary: 'fit a group lasso to a CSV file and show the selected groups',
  usage: [
    'fit <data.csv> --target COL [design] [model] [--json] [--plot FILE] [--cv-plot FILE]',
    'fit <data.csv> --loss cox --time COL --status COL [design] [model] [...]',
    'fit <data.parquet | db.duckdb --table T | postgres://… --table T> --target COL [design] (--lambda V | --cv K) [--json]',
  ],
  sections: [
    { title: 'Design (how columns become groups; every other column enters as itself)', flags: DESIGN_FLAGS },
    { title: 'Model', flags: MODEL_FLAGS },
    { title: 'SQL sources (Parquet, DuckDB, PostgreSQL: the rows stay in the engine)', flags: SQL_FLAGS },
    { title: 'Output', flags: { ...OUTPUT_FLAGS, ...SAVE_FLAG, ...COMMON_FLAGS } },
  ],
  notes: [
    'Examples:', '  groupsparse fit birthwt.csv --target bwt --categorical race,ftv --expand age:poly3 --cv 10',
    '  groupsparse fit veteran.csv --loss cox --time time --status status --categorical celltype,trt --cv 5',
    '  groupsparse fit sales.parquet --target y --categorical region --cv 5',
    '  groupsparse fit postgres://user@host/db --table sales --target y --row-key id --cv 5',
  ],
  async run(values, positionals, io) {
    if (isSqlLocation(positionals[0]) && values.save !== undefined) throw new CliError('--save needs a CSV input (a SQL source keeps its rows in the engine; the model is in --json output)');
    if (isSqlLocation(positionals[0])) return runSqlFit(values as Parameters<typeof runSqlFit>[0], positionals, io);
    const v = values as Values;
    for (const f of Object.keys(SQL_FLAGS)) if (values[f] !== undefined) throw new CliError(`--${f} is for SQL sources (.parquet, .duckdb, postgres://); ${positionals[0] ?? 'the input'} is read into memory`);
    const outputs: OutputRequest[] = [];
    if (v.plot !== undefined) outputs.push({ flag: 'plot', path: v.plot, extensions: PLOT_EXTENSIONS });
    if (v['cv-plot'] !== undefined) outputs.push({ flag: 'cv-plot', path: v['cv-plot'], extensions: PLOT_EXTENSIONS });
    outputs.push(...saveRequest(v.save));
    const { design, model, header, prep, response, readOptions } = await fitFromFlags('fit', v, positionals, outputs, io, (opts) => {
      if (v['cv-plot'] !== undefined && opts.cv === undefined) throw new CliError('--cv-plot goes with --cv');
    });
    const path = model.path!;
    // Groups by importance: their norm where the columns compare fairly (the fitted scale).
    const fitted = model.standardizedPath!;
    const kSel = fitted.lambdas.indexOf(model.lambda);
    const importance = new Map(fitted.groupNames.map((g, i) => [g, fitted.groupNorms[kSel][i]]));
    const selected = model.selectedGroups().sort((a, b) => (importance.get(b.name) ?? 0) - (importance.get(a.name) ?? 0));
    const fitScore = model.score(design.X, response.y as ResponseInput);
    const scoreName = model.loss === 'squared' || model.loss === 'multitask' ? 'R²' : 'D²';
    const cvAt = model.cv ? { mean: model.cv.meanLoss[model.cv.lambdas.indexOf(model.lambda)], se: model.cv.seLoss[model.cv.lambdas.indexOf(model.lambda)] } : undefined;
    // Multinomial coefficients are per class: name them feature[class].
    const classes = model.classes;
    const coefName = (c: { feature: string; task: number }) => (classes ? `${c.feature}[${String(classes[c.task])}]` : c.feature);
    const cert = model.certificate;
    if (v.json) {
      io.stdout(JSON.stringify({
        target: design.target ?? v.target, time: v.time, status: v.status, classes, loss: model.loss, lambda: model.lambda,
        intercept: model.intercept, intercepts: classes ? Array.from(model.intercepts) : undefined,
        selectedGroups: selected.map((g) => ({ name: g.name, norm: g.norm, coefficients: Object.fromEntries(g.coefficients.map((c) => [coefName(c), c.value])) })),
        droppedGroups: model.groupNames.filter((g) => !selected.some((s) => s.name === g)),
        certificate: cert,
        [scoreName === 'R²' ? 'r2' : 'd2']: fitScore,
        cvErrorAtLambda: cvAt,
        warnings: model.warnings,
        diagnostics: model.diagnostics,
        cv: model.cv ? {
          nFolds: model.cv.nFolds, metric: model.cv.metric, lambdaMin: model.cv.lambdaMin, lambda1se: model.cv.lambda1se,
          lambdas: Array.from(model.cv.lambdas), meanLoss: Array.from(model.cv.meanLoss), seLoss: Array.from(model.cv.seLoss),
        } : undefined,
        criteria: model.criteria ? { dfMethod: model.criteria.dfMethod, best: model.criteria.best } : undefined,
        model: model.toJSON(),
      }, null, 2) + '\n');
    } else {
      const lines = [header, `${prep}; ${describeSelection(model)}`, `λ = ${fmt(model.lambda, 6)} (λ_max = ${fmt(path.lambdaMax, 6)})`];
      if (cvAt && model.cv) lines.push(`cross-validated ${model.cv.metric} at λ: ${fmt(cvAt.mean)} ± ${fmt(cvAt.se)} (1 SE)`);
      lines.push(`${scoreName} on the fitted rows: ${fitScore.toFixed(4)}`, '');
      const nPen = model.groupNames.filter((_, g) => path.groups.weights[g] > 0).length;
      lines.push(`selected groups (${selected.filter((g) => g.penalized).length} of ${nPen}) by importance (‖w_g‖ on the fitted scale), coefficients on the original scale:`);
      const w = Math.max(5, ...selected.map((g) => g.name.length));
      lines.push(`  ${'group'.padEnd(w)}  ${'importance'.padStart(10)}  coefficients`);
      for (const g of selected) {
        const cs = foldList(g.coefficients.map((c) => `${coefName(c)}=${fmt(c.value)}`), { indent: ' '.repeat(w + 16), first: w + 14, maxItems: 12 });
        lines.push(`  ${g.name.padEnd(w)}  ${fmt(importance.get(g.name) ?? 0).padStart(10)}  ${cs}${g.penalized ? '' : '  (unpenalized)'}`);
      }
      const dropped = model.groupNames.filter((g) => !selected.some((s) => s.name === g));
      lines.push(`dropped (${dropped.length}): ${foldList(dropped, { first: 14 })}`);
      const icpt = model.loss === 'cox'
        ? 'no intercept (Cox: it cancels out of the partial likelihood)'
        : classes ? `intercepts: ${classes.map((c, k) => `${String(c)}=${fmt(model.intercepts[k])}`).join('  ')}` : `intercept: ${fmt(model.intercept)}`;
      lines.push(icpt, '', `certificate: ${certificateLine(cert)}`, ...diagnosticLines([...model.warnings, ...model.notes]));
      io.stdout(lines.join('\n') + '\n');
    }
    if (v.plot !== undefined) await savePlotFile('path', model, v.plot, 'plot');
    if (v['cv-plot'] !== undefined) await savePlotFile('cv', model, v['cv-plot'], 'cv-plot');
    if (v.save !== undefined) savePipeline(v.save, design, model, readOptions);
    return 0;
  },
};
