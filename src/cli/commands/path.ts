import type { Command } from '../command.ts';
import { DESIGN_FLAGS, type DesignValues } from '../data.ts';
import { diagnosticLines, fmt, foldList } from '../format.ts';
import { MODEL_FLAGS, type ModelValues } from '../model.ts';
import type { OutputRequest } from '../outputs.ts';
import { PLOT_EXTENSIONS, savePlotFile } from '../plots.ts';
import { COMMON_FLAGS, entryOrder, fitFromFlags, SAVE_FLAG, saveRequest, savePipeline } from './common.ts';

const OUTPUT_FLAGS = {
  json: { type: 'boolean', help: 'machine-readable result on stdout' },
  plot: { type: 'string', arg: 'FILE', help: 'the path (group norms against λ) as .svg, .png or .json' },
} as const;

type Values = DesignValues & ModelValues & { json?: boolean; plot?: string; save?: string; quiet?: boolean; force?: boolean };

export const pathCommand: Command = {
  name: 'path',
  summary: 'fit the whole regularization path and show the order in which groups enter',
  usage: ['path <data.csv> --target COL [design] [model] [--json] [--plot FILE]', 'path <data.csv> --loss cox --time COL --status COL [...]'],
  sections: [
    { title: 'Design (how columns become groups; every other column enters as itself)', flags: DESIGN_FLAGS },
    { title: 'Model', flags: MODEL_FLAGS },
    { title: 'Output', flags: { ...OUTPUT_FLAGS, ...SAVE_FLAG, ...COMMON_FLAGS } },
  ],
  notes: [
    'Example:', '  groupsparse path birthwt.csv --target bwt --expand age:poly3 --plot path.svg',
    "--save keeps the fit at the λ BIC would choose; 'fit --save' keeps the fit at the λ it chose.",
  ],
  async run(values, positionals, io) {
    const v = values as Values;
    const outputs: OutputRequest[] = [];
    if (v.plot !== undefined) outputs.push({ flag: 'plot', path: v.plot, extensions: PLOT_EXTENSIONS });
    outputs.push(...saveRequest(v.save));
    const { design, model, header, prep, readOptions } = await fitFromFlags('path', v, positionals, outputs, io);
    const path = model.path!;
    const order = entryOrder(path);
    if (v.json) {
      io.stdout(JSON.stringify({
        target: design.target ?? v.target, time: v.time, status: v.status, classes: model.classes, loss: model.loss, groupNames: path.groupNames, lambdaMax: path.lambdaMax,
        lambdas: Array.from(path.lambdas), groupNorms: path.groupNorms.map((g) => Array.from(g)),
        activeGroups: path.activeGroups.map((a) => a.map((g) => path.groupNames[g])),
        certificates: path.certificates, entryOrder: order, warnings: model.warnings, diagnostics: model.diagnostics,
        bic: { lambda: model.lambda, dfMethod: model.criteria!.dfMethod, values: Array.from(model.criteria!.bic) },
      }, null, 2) + '\n');
    } else {
      const lines = [header, `${prep}; λ_max = ${fmt(path.lambdaMax, 6)}, ${path.lambdas.length} values of λ`, '', 'order in which groups enter:'];
      order.forEach((o, r) => lines.push(`  ${String(r + 1).padStart(2)}. ${o.group.padEnd(14)} at λ = ${fmt(o.lambda, 6)}`));
      const never = path.groupNames.filter((g, i) => path.groups.weights[i] > 0 && !order.some((o) => o.group === g));
      if (never.length) lines.push(`  never (${never.length}): ${foldList(never, { indent: '    ', first: 14 })}`);
      lines.push('', '       λ   groups  relative gap  converged');
      const step = Math.max(1, Math.floor(path.lambdas.length / 20));
      for (let k = 0; k < path.lambdas.length; k += step) {
        const c = path.certificates[k];
        lines.push(`${fmt(path.lambdas[k], 6).padStart(10)}  ${String(path.activeGroups[k].length).padStart(6)}  ${c.relativeGap.toExponential(2).padStart(12)}  ${c.converged ? 'yes' : 'NO'}`);
      }
      const kb = path.lambdas.indexOf(model.lambda);
      const chosen = path.activeGroups[kb].map((g) => path.groupNames[g]);
      lines.push('', `BIC (df: ${model.criteria!.dfMethod}) would choose λ = ${fmt(model.lambda, 6)}: ${chosen.length ? foldList(chosen, { first: 40 }) : '(no group)'}`);
      const bad = path.certificates.filter((c) => !c.converged).length;
      const floor = path.certificates.filter((c) => c.status === 'at rounding level').length;
      const measure = path.certificates.every((c) => Number.isNaN(c.dualityGap)) ? 'KKT violation' : 'relative duality gap';
      lines.push('', bad === 0 ? `every fit certified (${measure} ≤ ${path.tol}${floor ? `, or at rounding level for ${floor}` : ''})` : `${bad} fit(s) NOT certified to tol ${path.tol}`);
      // Certificates are counted above; the other warnings (BIC at an end of the grid: what --save keeps) and notes follow.
      lines.push(...diagnosticLines([...model.warnings.filter((w) => !/fits along the path are not certified/.test(w)), ...model.notes]));
      io.stdout(lines.join('\n') + '\n');
    }
    if (v.plot !== undefined) await savePlotFile('path', model, v.plot, 'plot', 'BIC λ');
    if (v.save !== undefined) savePipeline(v.save, design, model, readOptions);
    return 0;
  },
};
