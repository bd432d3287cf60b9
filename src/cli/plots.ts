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
export async function savePlotFile(kind: 'path' | 'cv', m: GroupLasso, file: string, flag: string, selectedLabel?: string): Promise<void> {
  const plot = await loadPlot(flag);
  const spec = kind === 'path' ? plot.pathChart(m, selectedLabel === undefined ? {} : { selectedLabel }) : plot.cvChart(m);
  const ext = file.slice(file.lastIndexOf('.')).toLowerCase();
  const data = ext === '.svg' ? await plot.renderSvg(spec) : ext === '.png' ? await plot.renderPng(spec) : JSON.stringify(spec, null, 2) + '\n';
  writeOutput(file, data);
}
