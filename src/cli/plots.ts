import type { GroupLasso } from '../estimators/groupLasso.ts';
import { CliError } from './errors.ts';
import { writeOutput } from './outputs.ts';

/** Extensions a chart can be written as. */
export const PLOT_EXTENSIONS = ['.svg', '.png', '.json'] as const;

type PlotModule = typeof import('../plot/index.ts') & typeof import('../plot/png.ts');

async function loadPlot(flag: string): Promise<PlotModule> {
  try {
    const [plot, png] = await Promise.all([import('../plot/index.ts'), import('../plot/png.ts')]);
    return { ...plot, ...png };
  } catch (e) {
    throw new CliError(`--${flag} is not available: the plotting module failed to load (${(e as Error).message})`);
  }
}

/** Render a chart of a fitted model into `file` (path checked beforehand by checkOutputs). */
export async function savePlotFile(kind: 'path' | 'cv', m: GroupLasso, file: string, flag: string, selected?: number): Promise<void> {
  const plot = await loadPlot(flag);
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
  const ext = file.slice(file.lastIndexOf('.')).toLowerCase();
  const data = ext === '.svg' ? await plot.renderSvg(spec) : ext === '.png' ? await plot.renderPng(spec) : JSON.stringify(spec, null, 2) + '\n';
  writeOutput(file, data);
}
