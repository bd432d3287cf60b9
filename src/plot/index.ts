/** Charts: Vega-Lite spec builders, headless SVG/PNG rendering, and notebook display. */
export {
  pathChart, cvChart, groupNormChart, sparsityChart, phaseTransitionChart, rhoChart, VEGA_LITE_SCHEMA,
  type VegaLiteSpec, type ChartOptions, type PathChartData, type PathChartOptions, type CvChartData, type GroupNormChartData,
  type SparsityChartData, type PhaseTransitionPoint, type RhoRow,
} from './specs.ts';
export { renderSvg, renderPng, savePlot, type PngOptions } from './render.ts';
export { chartBundle, displayChart, displayBundle, VEGA_LITE_MIME, type MimeBundle } from './display.ts';
