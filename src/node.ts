/**
 * `groupsparse/node`: the parts that need Node (the file system, a native module): PNG rendering with
 * resvg and chart files. Everything else is imported from the root entry `groupsparse`, which reads CSV
 * files too, through the host's file system when there is one.
 */
export { renderPng, savePlot, findPlotFonts, PLOT_FONT_DIRS, type PngOptions } from './plot/png.ts';
