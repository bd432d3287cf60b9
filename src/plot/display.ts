import { ValueError } from '../errors.ts';
import { callerName } from '../util/validate.ts';
import { renderSvg } from './svg.ts';
import type { VegaLiteSpec } from './specs.ts';

/** The Jupyter mime type front ends render Vega-Lite specs from. */
export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';

/** A Jupyter mime bundle: mime type → content. */
export type MimeBundle = Record<string, unknown>;

function titleText(spec: VegaLiteSpec): string {
  const t = spec.title;
  if (typeof t === 'string') return t;
  if (t !== null && typeof t === 'object' && typeof (t as { text?: unknown }).text === 'string') {
    return (t as { text: string }).text;
  }
  return 'chart';
}

/**
 * A mime bundle for a chart: the Vega-Lite spec (interactive in JupyterLab / VS Code), an SVG
 * rendered here by Vega (what a saved notebook shows where no JavaScript runs, e.g. on GitHub), and
 * a plain-text line.
 */
export async function chartBundle(spec: VegaLiteSpec, fn = 'chartBundle'): Promise<MimeBundle> {
  const svg = await renderSvg(spec, callerName(fn, 'chartBundle'));
  return {
    [VEGA_LITE_MIME]: spec,
    'image/svg+xml': svg,
    'text/plain': `[chart: ${titleText(spec)}]`,
  };
}

interface DenoJupyter {
  display(bundle: MimeBundle, options: { raw: boolean }): Promise<void>;
}

/**
 * How long `displayBundle` waits after `Deno.jupyter.display`. Deno 2.9's display resolves before
 * its message is sent (the send runs on the event loop afterwards); if the cell ends first, the
 * kernel can report the cell finished before the output, and Jupyter drops the output. Waiting lets
 * the pending send go out first.
 */
const FLUSH_MS = 50;

/**
 * Show a mime bundle (e.g. `{ 'text/markdown': '…' }`) under the current cell of a Deno Jupyter
 * notebook, and wait until the kernel has had time to send it. Throws outside a Deno kernel.
 */
export async function displayBundle(bundle: MimeBundle): Promise<void> {
  const jupyter = (globalThis as { Deno?: { jupyter?: DenoJupyter } }).Deno?.jupyter;
  if (jupyter === undefined || typeof jupyter.display !== 'function') {
    throw new ValueError('displayBundle', 'no notebook to display in (Deno.jupyter is missing): use chartBundle(spec), renderSvg(spec) or savePlot(spec, path) for charts');
  }
  await jupyter.display(bundle, { raw: true });
  await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
}

/**
 * Show a chart in a Deno Jupyter notebook: `displayBundle` with the bundle from `chartBundle`. Resolves to nothing, so that `await displayChart(…)` as a cell's last line adds no
 * second output. Outside a Deno kernel there is nowhere to show it, and it throws (use
 * `chartBundle`, `renderSvg` or `savePlot` there).
 *
 * @example
 * await displayChart(groupNormChart({ groupNames: ['a', 'b'], groupNorms: [1.2, 0] }));
 * // shows the chart under the cell
 */
export async function displayChart(spec: VegaLiteSpec): Promise<void> {
  const bundle = await chartBundle(spec, 'displayChart');
  await displayBundle(bundle);
}
