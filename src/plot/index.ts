/**
 * `groupsparse/plot`: Vega-Lite spec builders, SVG rendering by Vega (an optional peer dependency,
 * loaded on first use) and notebook display. Browser-safe; PNG files and `savePlot` are in
 * `groupsparse/node`; the spec builders alone are also in the root entry.
 */
export {
  pathChart, cvChart, groupNormChart, sparsityChart, phaseTransitionChart, efficiencyChart, categoricalColors, VEGA_LITE_SCHEMA,
  type VegaLiteSpec, type ChartOptions, type CvChartOptions, type PathChartData, type PathChartOptions, type CvChartData, type GroupNormChartData,
  type SparsityChartData, type PhaseTransitionPoint, type EfficiencyRow,
} from './specs.ts';
export { renderSvg } from './svg.ts';
export { chartBundle, displayChart, displayBundle, VEGA_LITE_MIME, type MimeBundle } from './display.ts';
