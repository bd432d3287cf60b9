import type { PhaseTransitionRow } from '../signal/experiments.ts';
import { ShapeError, ValueError } from '../errors.ts';
import type { GroupLasso } from '../estimators/groupLasso.ts';
import type { FitResult } from '../problem/problem.ts';
import type { CvResult } from '../path/cv.ts';
import type { PathResult } from '../path/path.ts';
import { checkOptions } from '../util/validate.ts';

/**
 * Vega-Lite chart specifications for the results of this library. Every builder returns plain JSON
 * (no functions, no class instances), so a caller can change any field — width, colours, titles —
 * before rendering it with `renderSvg` / `renderPng` / `savePlot`, or hand it to any Vega-Lite
 * front end (Jupyter, Observable, the Vega editor). `pathChart`, `cvChart` and `groupNormChart`
 * take the library's own results (a PathResult, a CvResult, a FitResult, a fitted GroupLasso) as
 * they are; every builder also takes plain arrays, so that signal-recovery and pruning code can feed
 * them without depending on the regression results.
 */

/** A Vega-Lite specification as plain JSON. */
export interface VegaLiteSpec {
  $schema?: string;
  [key: string]: unknown;
}

/** Options every chart builder accepts. */
export interface ChartOptions {
  /** Chart title (each builder has a default). */
  title?: string;
  /** Plot area width in pixels (per facet for faceted charts). */
  width?: number;
  /** Plot area height in pixels (per facet for faceted charts). */
  height?: number;
}

const COMMON_KEYS = ['title', 'width', 'height'] as const;

/**
 * Vega-Lite v5 schema: the Jupyter mime type is `application/vnd.vegalite.v5+json`, and every spec
 * built here uses only v5 features, which the vega-lite 6 compiler accepts unchanged.
 */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** Readable defaults for a static image (font sizes in px). */
function baseConfig(): Record<string, unknown> {
  return {
    background: 'white',
    padding: 8,
    title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: '#555555', anchor: 'start', offset: 10 },
    axis: { labelFontSize: 12, titleFontSize: 13, titlePadding: 8, gridColor: '#e6e6e6' },
    legend: { labelFontSize: 12, titleFontSize: 12, labelLimit: 400 },
    header: { labelFontSize: 13, titleFontSize: 13 },
    view: { stroke: '#cccccc' },
  };
}

function titleOf(text: string, subtitle?: string): Record<string, unknown> {
  return subtitle === undefined ? { text } : { text, subtitle };
}

function checkCommon(fn: string, options: ChartOptions): void {
  for (const key of ['width', 'height'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) {
      throw new ValueError(fn, `${key} must be a positive number of pixels, got ${String(v)}`);
    }
  }
  if (options.title !== undefined && typeof options.title !== 'string') {
    throw new ValueError(fn, `title must be a string, got ${typeof options.title}`);
  }
}

/** Finite numbers copied into a plain array (typed arrays are accepted). */
function numbers(fn: string, what: string, a: unknown, length?: number): number[] {
  if (a === null || typeof a !== 'object' || typeof (a as ArrayLike<number>).length !== 'number') {
    throw new ValueError(fn, `${what} must be an array of numbers`);
  }
  const arr = a as ArrayLike<unknown>;
  if (length !== undefined && arr.length !== length) {
    throw new ShapeError(fn, `${what} has length ${arr.length}, expected ${length}`);
  }
  const out = new Array<number>(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValueError(fn, `${what} contains a non-finite value (${String(v)}) at position ${i}`);
    }
    out[i] = v;
  }
  return out;
}

function labels(fn: string, what: string, a: unknown, length?: number): string[] {
  if (!Array.isArray(a)) throw new ValueError(fn, `${what} must be an array of strings`);
  if (length !== undefined && a.length !== length) {
    throw new ShapeError(fn, `${what} has length ${a.length}, expected ${length}`);
  }
  return a.map((s) => String(s));
}

function positiveLambdas(fn: string, what: string, a: unknown): number[] {
  const l = numbers(fn, what, a);
  if (l.length === 0) throw new ValueError(fn, `${what} is empty`);
  for (let i = 0; i < l.length; i++) {
    if (l[i] <= 0) throw new ValueError(fn, `${what} must be > 0 for a log axis, got ${l[i]} at position ${i}`);
  }
  return l;
}

function unique(fn: string, what: string, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new ValueError(fn, `${what} has the duplicate name '${n}'`);
    seen.add(n);
  }
}

/** Short number for titles: 3 significant digits, no trailing zeros. */
export function formatNumber(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e5) return String(Number(x.toPrecision(3)));
  return x.toExponential(2).replace(/\.?0+e/, 'e');
}

/** sRGB hex of a CIE L*C*h° colour (D65), clipped into the gamut. */
function lchToHex(L: number, C: number, hDeg: number): string {
  const h = (hDeg * Math.PI) / 180;
  const a = C * Math.cos(h);
  const b = C * Math.sin(h);
  const fy = (L + 16) / 116;
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const inv = (t: number) => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));
  const X = 0.95047 * inv(fx);
  const Y = 1.0 * inv(fy);
  const Z = 1.08883 * inv(fz);
  const lin = [
    3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z,
    -0.969266 * X + 1.8760108 * Y + 0.041556 * Z,
    0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z,
  ];
  return '#' + lin.map((c) => {
    const v = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
    return Math.round(Math.min(1, Math.max(0, v)) * 255).toString(16).padStart(2, '0');
  }).join('');
}

/**
 * `n` categorical colours that stay apart: Tableau 10 up to 10 series; beyond, hues spread evenly
 * round the CIE LCh circle with the lightness cycling through three levels, so neighbouring hues
 * also differ in lightness (Tableau 20 pairs each hue with a light twin, and 11 to 20 groups then
 * get look-alike colours).
 */
export function categoricalColors(n: number): string[] {
  // A colour per group: more than 10⁴ is no legend anyone can read, and 1e300 used to loop forever.
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 10_000) {
    throw new ValueError('categoricalColors', `n must be a whole number of colours from 0 to 10000, got ${typeof n === 'number' ? n : typeof n}`);
  }
  const tableau10 = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];
  if (n <= 10) return tableau10.slice(0, Math.max(0, n));
  const levels = [42, 62, 78];
  const chroma = [55, 60, 45];
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const l = k % 3;
    out.push(lchToHex(levels[l], chroma[l], 20 + (360 * k) / n));
  }
  return out;
}

/** A colour scale over the group names. */
function groupColorScale(names: readonly string[]): Record<string, unknown> {
  return { domain: [...names], range: categoricalColors(names.length) };
}

/**
 * The λ axis used by path and CV charts: log scale, reversed as in grpreg / glmnet plots so that a
 * path reads left → right from λ_max (everything zero) towards small λ (dense fits).
 */
function lambdaX(lambdas: readonly number[], title = 'λ (log scale, decreasing →)'): Record<string, unknown> {
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of lambdas) {
    lo = Math.min(lo, l);
    hi = Math.max(hi, l);
  }
  const values = logTicks(lo, hi);
  return {
    field: 'lambda',
    type: 'quantitative',
    title,
    scale: { type: 'log', reverse: true, nice: false, padding: 8 },
    axis: { format: '~g', labelOverlap: true, grid: true, ...(values === undefined ? {} : { values }) },
  };
}

/**
 * Tick values for a log axis over [lo, hi]: the powers of ten inside, plus 2× and 5× multiples when
 * fewer than three powers fit (Vega's own log ticks label uneven subsets such as 1, 0.4, 0.2, 0.05).
 * Undefined when the range is too narrow for that; Vega then picks ticks itself.
 */
export function logTicks(lo: number, hi: number): number[] | undefined {
  const k0 = Math.ceil(Math.log10(lo) - 1e-9);
  const k1 = Math.floor(Math.log10(hi) + 1e-9);
  const clean = (x: number): number => Number(x.toPrecision(12));
  const decades: number[] = [];
  for (let k = k0; k <= k1; k++) decades.push(clean(10 ** k));
  if (decades.length >= 3) return decades;
  const out: number[] = [];
  for (let k = k0 - 1; k <= k1; k++) {
    for (const m of [1, 2, 5]) {
      const v = clean(m * 10 ** k);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out.length >= 3 ? out : undefined;
}

// ---------------------------------------------------------------------------------------------
// The library's results, recognised by their fields (type-only imports: plot code does not load them)

function isModel(x: unknown): x is GroupLasso {
  return typeof x === 'object' && x !== null && typeof (x as GroupLasso).selectedGroups === 'function' && 'standardizedPath' in x;
}

function isPathResult(x: unknown): x is PathResult {
  const r = x as PathResult;
  return typeof x === 'object' && x !== null && Array.isArray(r.coefs) && Array.isArray(r.certificates) && Array.isArray(r.groupNorms);
}

function isCvResult(x: unknown): x is CvResult {
  const r = x as CvResult;
  return typeof x === 'object' && x !== null && Array.isArray(r.foldLoss) && r.meanLoss !== undefined && r.path !== undefined;
}

function isFitResult(x: unknown): x is FitResult {
  const r = x as FitResult;
  return typeof x === 'object' && x !== null && r.groupNorms instanceof Float64Array && typeof r.solver === 'string' && typeof r.lambda === 'number';
}

/** Which scale a fitted model is drawn on: the fitted one unless the columns were used as given. */
function modelScale(fn: string, m: GroupLasso, asked: 'standardized' | 'original' | undefined): 'standardized' | 'original' {
  if (!m.fitted) throw new ValueError(fn, 'the model is not fitted: call fit(X, y) first');
  if (asked !== undefined && asked !== 'standardized' && asked !== 'original') {
    throw new ValueError(fn, `scale must be 'standardized' or 'original', got ${String(asked)}`);
  }
  const prepared = m.options.orthonormalize === true || m.options.standardize !== false;
  const scale = asked ?? (prepared ? 'standardized' : 'original');
  if (scale === 'standardized' && m.standardizedPath === undefined) {
    throw new ValueError(fn, "this model has no standardized path (restored by fromJSON): use { scale: 'original' } after a fit here");
  }
  return scale;
}

function scaleNote(m: GroupLasso, scale: 'standardized' | 'original'): string {
  if (scale === 'original') return 'original scale';
  return m.options.orthonormalize ? 'orthonormalized groups' : m.options.standardize === false ? 'columns as given' : 'standardized columns';
}

function pathSource(fn: string, source: unknown, options: PathChartOptions): { data: PathChartData; options: PathChartOptions } {
  if (isModel(source)) {
    const scale = modelScale(fn, source, options.scale);
    const path = scale === 'standardized' ? source.standardizedPath! : source.path!;
    const note = scaleNote(source, scale);
    return {
      data: { lambdas: path.lambdas, groupNames: path.groupNames, groupNorms: path.groupNorms, selectedLambda: source.lambda },
      options: {
        ...options, title: options.title ?? `Regularization path (${note})`,
        valueTitle: options.valueTitle ?? (scale === 'standardized' ? `‖w_g‖₂ (${note})` : undefined),
        selectedLabel: options.selectedLabel ?? (source.cv ? (source.options.rule === '1se' ? 'λ_1se' : 'λ_min') : 'chosen λ'),
      },
    };
  }
  if (options.scale === 'standardized') {
    throw new ValueError(fn, "scale 'standardized' needs the fitted GroupLasso; a path is drawn on the scale it was fitted on");
  }
  if (isPathResult(source)) {
    return { data: { lambdas: source.lambdas, groupNames: source.groupNames, groupNorms: source.groupNorms }, options };
  }
  if (source === null || typeof source !== 'object') throw new ValueError(fn, 'expected a path (groupLassoPath), a fitted GroupLasso, or { lambdas, groupNames, groupNorms }');
  return { data: source as PathChartData, options };
}

// ---------------------------------------------------------------------------------------------
// Regularization path

/**
 * Input of `pathChart`: the fitted values along a λ grid. Give `groupNorms` (one line per group)
 * or `coefficients` with `groupOf` (one line per coefficient, coloured by its group).
 */
export interface PathChartData {
  /** The λ grid (all > 0), usually decreasing from λ_max. */
  lambdas: ArrayLike<number>;
  /** One name per group (legend entries). */
  groupNames: readonly string[];
  /** `groupNorms[k][g]` = ‖w_g‖₂ at `lambdas[k]` (e.g. each fit's `FitResult.groupNorms`). */
  groupNorms?: ReadonlyArray<ArrayLike<number>>;
  /** `coefficients[k][j]` = w_j at `lambdas[k]` (e.g. each fit's `FitResult.coef`). */
  coefficients?: ReadonlyArray<ArrayLike<number>>;
  /** With `coefficients`: the group index (into `groupNames`) of each coefficient. */
  groupOf?: ArrayLike<number>;
  /** With `coefficients`: a name per coefficient (tooltips); default `x<j>`. */
  featureNames?: readonly string[];
  /** A λ to mark with a vertical rule (e.g. the one chosen by cross-validation). */
  selectedLambda?: number;
}

/** Options of `pathChart`. */
export interface PathChartOptions extends ChartOptions {
  /**
   * With a fitted GroupLasso: draw the path on the scale it was fitted on ('standardized', the
   * default when the model standardized or orthonormalized: groups in different units compare
   * fairly there) or on the original scale of X ('original').
   */
  scale?: 'standardized' | 'original';
  /** y axis title (default '‖w_g‖₂' wording for norms, 'coefficient w_j' for coefficients). */
  valueTitle?: string;
  /** Name of the selected λ in the subtitle, e.g. 'λ_1se' (default 'selected λ'). */
  selectedLabel?: string;
}

/**
 * Regularization path: ‖w_g‖₂ (or each coefficient w_j) against λ on a reversed log axis, one
 * colour per group, with an optional rule at a selected λ. Values are plotted as given: the
 * penalty is λ Σ_g d_g‖w_g‖₂, so a group leaves zero once λ drops below ‖∇_g f(w)‖₂ / d_g.
 *
 * @example
 * const spec = pathChart({ lambdas: [1, 0.5, 0.1], groupNames: ['a', 'b'],
 *   groupNorms: [[0, 0], [0.4, 0], [0.9, 0.3]] });
 * // returns a layered Vega-Lite spec with one line per group
 */
export function pathChart(source: PathChartData | PathResult | GroupLasso, options: PathChartOptions = {}): VegaLiteSpec {
  const fn = 'pathChart';
  checkOptions(fn, options, [...COMMON_KEYS, 'valueTitle', 'selectedLabel', 'scale']);
  checkCommon(fn, options);
  const resolved = pathSource(fn, source, options);
  const data = resolved.data;
  options = resolved.options;
  checkOptions(fn, data, ['lambdas', 'groupNames', 'groupNorms', 'coefficients', 'groupOf', 'featureNames', 'selectedLambda']);
  const lambdas = positiveLambdas(fn, 'lambdas', data.lambdas);
  const groupNames = labels(fn, 'groupNames', data.groupNames);
  unique(fn, 'groupNames', groupNames);
  const K = lambdas.length;
  const rows: Record<string, unknown>[] = [];
  const byCoef = data.coefficients !== undefined;
  if (byCoef === (data.groupNorms !== undefined)) {
    throw new ValueError(fn, 'give exactly one of groupNorms (one line per group) or coefficients (one line per coefficient)');
  }
  if (byCoef) {
    const coefs = data.coefficients!;
    if (coefs.length !== K) throw new ShapeError(fn, `coefficients has ${coefs.length} rows, expected one per λ (${K})`);
    if (data.groupOf === undefined) throw new ValueError(fn, 'coefficients needs groupOf (the group index of each coefficient)');
    const p = coefs[0].length;
    const groupOf = numbers(fn, 'groupOf', data.groupOf, p);
    groupOf.forEach((g, j) => {
      if (!Number.isInteger(g) || g < 0 || g >= groupNames.length) {
        throw new ValueError(fn, `groupOf[${j}] = ${g} is not a group index in 0..${groupNames.length - 1}`);
      }
    });
    const names = data.featureNames === undefined ? groupOf.map((_, j) => `x${j}`) : labels(fn, 'featureNames', data.featureNames, p);
    for (let k = 0; k < K; k++) {
      const w = numbers(fn, `coefficients[${k}]`, coefs[k], p);
      for (let j = 0; j < p; j++) rows.push({ lambda: lambdas[k], group: groupNames[groupOf[j]], feature: names[j], value: w[j] });
    }
  } else {
    const norms = data.groupNorms!;
    if (norms.length !== K) throw new ShapeError(fn, `groupNorms has ${norms.length} rows, expected one per λ (${K})`);
    for (let k = 0; k < K; k++) {
      const v = numbers(fn, `groupNorms[${k}]`, norms[k], groupNames.length);
      for (let g = 0; g < v.length; g++) rows.push({ lambda: lambdas[k], group: groupNames[g], value: v[g] });
    }
  }
  const valueTitle = options.valueTitle ?? (byCoef ? 'coefficient w_j' : 'group norm ‖w_g‖₂');
  const tooltip = [
    { field: 'group', type: 'nominal' },
    ...(byCoef ? [{ field: 'feature', type: 'nominal' }] : []),
    { field: 'lambda', type: 'quantitative', title: 'λ', format: '.4~g' },
    { field: 'value', type: 'quantitative', title: valueTitle, format: '.4~g' },
  ];
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
      encoding: {
        x: lambdaX(lambdas),
        y: { field: 'value', type: 'quantitative', title: valueTitle },
        color: {
          field: 'group', type: 'nominal', title: 'group', sort: groupNames,
          scale: groupColorScale(groupNames),
        },
        ...(byCoef ? { detail: { field: 'feature', type: 'nominal' } } : {}),
        tooltip,
      },
    },
  ];
  let subtitle: string | undefined;
  if (data.selectedLambda !== undefined) {
    const sel = data.selectedLambda;
    if (typeof sel !== 'number' || !Number.isFinite(sel) || sel <= 0) {
      throw new ValueError(fn, `selectedLambda must be a finite number > 0, got ${String(sel)}`);
    }
    subtitle = `${options.selectedLabel ?? 'selected λ'} = ${formatNumber(sel)} (dashed line)`;
    layers.push({
      data: { values: [{ lambda: sel }] },
      mark: { type: 'rule', strokeDash: [6, 4], color: '#333333', strokeWidth: 1.5 },
      encoding: { x: { field: 'lambda', type: 'quantitative' } },
    });
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleOf(options.title ?? 'Regularization path', subtitle),
    width: options.width ?? 480,
    height: options.height ?? 300,
    data: { values: rows },
    layer: layers,
    config: baseConfig(),
  };
}

// ---------------------------------------------------------------------------------------------
// Cross-validation curve

/** Input of `cvChart`: mean and standard error of the held-out loss per λ. */
export interface CvChartData {
  /** The λ grid (all > 0). */
  lambdas: ArrayLike<number>;
  /** Mean held-out loss per λ (over folds). */
  meanLoss: ArrayLike<number>;
  /** Standard error of that mean per λ (≥ 0). */
  seLoss: ArrayLike<number>;
  /** λ with the smallest mean loss. */
  lambdaMin: number;
  /** Largest λ whose mean loss is within one standard error of the minimum. */
  lambda1se: number;
  /** Name of the loss for the y axis, e.g. 'mean squared error' or 'deviance'. */
  metric: string;
}

/** Options of `cvChart`. */
export interface CvChartOptions extends ChartOptions {
  /** The loss axis: 'auto' (default: log when the curve spans more than a factor 10), 'log' or 'linear'. */
  yScale?: 'auto' | 'log' | 'linear';
}

/**
 * Cross-validation curve: mean held-out loss ± 1 SE per λ (error bars) on a reversed log λ axis,
 * λ_min (smallest mean loss) and λ_1se (largest λ within one SE of it) marked by dashed rules and
 * diamonds, and the min + 1 SE threshold as a dotted line. Takes a `cvGroupLasso` result or a
 * GroupLasso fitted with `cv` directly.
 *
 * @example
 * const spec = cvChart({ lambdas: [1, 0.1], meanLoss: [2, 1], seLoss: [0.1, 0.1],
 *   lambdaMin: 0.1, lambda1se: 0.1, metric: 'MSE' });
 * // returns a layered Vega-Lite spec (error bars, points, two rules)
 */
export function cvChart(source: CvChartData | CvResult | GroupLasso, options: CvChartOptions = {}): VegaLiteSpec {
  const fn = 'cvChart';
  checkOptions(fn, options, [...COMMON_KEYS, 'yScale']);
  checkCommon(fn, options);
  const data = cvSource(fn, source);
  checkOptions(fn, data, ['lambdas', 'meanLoss', 'seLoss', 'lambdaMin', 'lambda1se', 'metric']);
  const lambdas = positiveLambdas(fn, 'lambdas', data.lambdas);
  const mean = numbers(fn, 'meanLoss', data.meanLoss, lambdas.length);
  const se = numbers(fn, 'seLoss', data.seLoss, lambdas.length);
  se.forEach((s, i) => {
    if (s < 0) throw new ValueError(fn, `seLoss must be ≥ 0, got ${s} at position ${i}`);
  });
  for (const key of ['lambdaMin', 'lambda1se'] as const) {
    const v = data[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new ValueError(fn, `${key} must be a finite number > 0, got ${String(v)}`);
    }
  }
  if (typeof data.metric !== 'string' || data.metric === '') throw new ValueError(fn, 'metric must be a non-empty string');
  const rows = lambdas.map((l, i) => ({ lambda: l, mean: mean[i], se: se[i], lo: mean[i] - se[i], hi: mean[i] + se[i] }));
  // The curve often falls by orders of magnitude from λ_max: on a linear axis the minimum, the part
  // that matters, is squashed flat. 'auto' takes a log axis when the range spans more than 10×.
  const lowest = Math.min(...rows.map((r) => r.lo));
  const highest = Math.max(...rows.map((r) => r.hi));
  const yScale = options.yScale ?? 'auto';
  if (yScale !== 'auto' && yScale !== 'log' && yScale !== 'linear') throw new ValueError(fn, `yScale must be 'auto', 'log' or 'linear', got ${String(yScale)}`);
  if (yScale === 'log' && !(lowest > 0)) {
    throw new ValueError(fn, `yScale 'log' needs every mean − SE > 0 (the lowest is ${formatNumber(lowest)}); use 'linear'`);
  }
  const log = yScale === 'log' || (yScale === 'auto' && lowest > 0 && highest / lowest > 10);
  const iMin = nearestIndex(lambdas, data.lambdaMin);
  const i1se = nearestIndex(lambdas, data.lambda1se);
  const threshold = mean[iMin] + se[iMin];
  const marks = [
    { lambda: data.lambdaMin, mean: mean[iMin], which: 'λ_min' },
    { lambda: data.lambda1se, mean: mean[i1se], which: 'λ_1se' },
  ];
  const yTitle = `${data.metric} (mean ± 1 SE${log ? ', log scale' : ''})`;
  const whichColor = {
    field: 'which', type: 'nominal', title: 'chosen λ', sort: ['λ_min', 'λ_1se'],
    scale: { domain: ['λ_min', 'λ_1se'], range: ['#1f77b4', '#2ca02c'] },
  };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleOf(
      options.title ?? 'Cross-validation',
      `λ_min = ${formatNumber(data.lambdaMin)}, λ_1se = ${formatNumber(data.lambda1se)}; dotted: min + 1 SE = ${formatNumber(threshold)}`,
    ),
    width: options.width ?? 480,
    height: options.height ?? 300,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'rule', color: '#9e9e9e' },
        encoding: {
          x: lambdaX(lambdas),
          y: { field: 'lo', type: 'quantitative', title: yTitle, scale: log ? { type: 'log' } : { zero: false } },
          y2: { field: 'hi' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 36, color: '#c0392b', opacity: 1 },
        encoding: {
          x: { field: 'lambda', type: 'quantitative' },
          y: { field: 'mean', type: 'quantitative' },
          tooltip: [
            { field: 'lambda', type: 'quantitative', title: 'λ', format: '.4~g' },
            { field: 'mean', type: 'quantitative', title: data.metric, format: '.4~g' },
            { field: 'se', type: 'quantitative', title: 'SE', format: '.3~g' },
          ],
        },
      },
      {
        // The one-standard-error threshold that defines λ_1se.
        data: { values: [{ threshold }] },
        mark: { type: 'rule', strokeDash: [2, 3], color: '#555555', strokeWidth: 1 },
        encoding: { y: { field: 'threshold', type: 'quantitative' } },
      },
      {
        data: { values: marks },
        mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 },
        encoding: { x: { field: 'lambda', type: 'quantitative' }, color: whichColor },
      },
      {
        data: { values: marks },
        mark: { type: 'point', shape: 'diamond', filled: true, size: 120, opacity: 1 },
        encoding: {
          x: { field: 'lambda', type: 'quantitative' },
          y: { field: 'mean', type: 'quantitative' },
          color: whichColor,
        },
      },
    ],
    config: baseConfig(),
  };
}

/** Index of the grid value closest to x on the log scale. */
function nearestIndex(grid: readonly number[], x: number): number {
  let best = 0;
  for (let i = 1; i < grid.length; i++) if (Math.abs(Math.log(grid[i] / x)) < Math.abs(Math.log(grid[best] / x))) best = i;
  return best;
}

function cvSource(fn: string, source: unknown): CvChartData {
  let cv: unknown = source;
  if (isModel(source)) {
    if (!source.fitted) throw new ValueError(fn, 'the model is not fitted: call fit(X, y) first');
    if (source.cv === undefined) throw new ValueError(fn, 'the model chose λ without cross-validation (give it cv: K)');
    cv = source.cv;
  }
  if (isCvResult(cv)) {
    return { lambdas: cv.lambdas, meanLoss: cv.meanLoss, seLoss: cv.seLoss, lambdaMin: cv.lambdaMin, lambda1se: cv.lambda1se, metric: cv.metric };
  }
  if (cv === null || typeof cv !== 'object') throw new ValueError(fn, 'expected a cross-validation result (cvGroupLasso), a GroupLasso fitted with cv, or { lambdas, meanLoss, seLoss, lambdaMin, lambda1se, metric }');
  return cv as CvChartData;
}

// ---------------------------------------------------------------------------------------------
// Group norms at one λ

/** Input of `groupNormChart`: one fitted model's group norms. */
export interface GroupNormChartData {
  groupNames: readonly string[];
  /** ‖w_g‖₂ per group (e.g. `FitResult.groupNorms`). */
  groupNorms: ArrayLike<number>;
  /** The λ of the fit, shown in the subtitle. */
  lambda?: number;
}

/**
 * Horizontal bars of ‖w_g‖₂ per group (groups in the given order); groups that are exactly zero
 * are listed with an empty bar and coloured apart in the legend.
 */
export function groupNormChart(
  source: GroupNormChartData | FitResult | GroupLasso, options: ChartOptions & { valueTitle?: string; scale?: 'standardized' | 'original' } = {},
): VegaLiteSpec {
  const fn = 'groupNormChart';
  checkOptions(fn, options, [...COMMON_KEYS, 'valueTitle', 'scale']);
  checkCommon(fn, options);
  let data: GroupNormChartData;
  if (isModel(source)) {
    const scale = modelScale(fn, source, options.scale);
    const path = scale === 'standardized' ? source.standardizedPath! : source.path!;
    const k = nearestIndex(Array.from(path.lambdas), source.lambda);
    data = { groupNames: path.groupNames, groupNorms: path.groupNorms[k], lambda: source.lambda };
    options = { ...options, valueTitle: options.valueTitle ?? `group norm ‖w_g‖₂ (${scaleNote(source, scale)})` };
  } else {
    if (options.scale === 'standardized') throw new ValueError(fn, "scale 'standardized' needs the fitted GroupLasso");
    data = isFitResult(source) ? { groupNames: source.groupNames, groupNorms: source.groupNorms, lambda: source.lambda } : source as GroupNormChartData;
    if (data === null || typeof data !== 'object') throw new ValueError(fn, 'expected a fit (fitGroupLasso), a fitted GroupLasso, or { groupNames, groupNorms }');
  }
  checkOptions(fn, data, ['groupNames', 'groupNorms', 'lambda']);
  const names = labels(fn, 'groupNames', data.groupNames);
  unique(fn, 'groupNames', names);
  const norms = numbers(fn, 'groupNorms', data.groupNorms, names.length);
  if (names.length === 0) throw new ValueError(fn, 'no groups to plot');
  let subtitle: string | undefined;
  if (data.lambda !== undefined) {
    if (typeof data.lambda !== 'number' || !Number.isFinite(data.lambda) || data.lambda < 0) {
      throw new ValueError(fn, `lambda must be a finite number ≥ 0, got ${String(data.lambda)}`);
    }
    subtitle = `λ = ${formatNumber(data.lambda)}`;
  }
  const nActive = norms.filter((v) => v !== 0).length;
  subtitle = `${subtitle === undefined ? '' : subtitle + ', '}${nActive} of ${names.length} groups selected`;
  const valueTitle = options.valueTitle ?? 'group norm ‖w_g‖₂';
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleOf(options.title ?? 'Group norms', subtitle),
    width: options.width ?? 420,
    height: options.height ?? Math.min(520, Math.max(120, 24 * names.length)),
    data: { values: names.map((group, g) => ({ group, norm: norms[g], status: norms[g] !== 0 ? 'selected' : 'zero' })) },
    mark: { type: 'bar', height: { band: 0.75 } },
    encoding: {
      y: { field: 'group', type: 'nominal', title: 'group', sort: names },
      x: { field: 'norm', type: 'quantitative', title: valueTitle },
      color: {
        field: 'status', type: 'nominal', title: 'status',
        scale: { domain: ['selected', 'zero'], range: ['#4c78a8', '#bdbdbd'] },
      },
      tooltip: [
        { field: 'group', type: 'nominal' },
        { field: 'norm', type: 'quantitative', title: valueTitle, format: '.4~g' },
      ],
    },
    config: baseConfig(),
  };
}

// ---------------------------------------------------------------------------------------------
// Sparsity pattern (any labelled matrix)

/** Input of `sparsityChart`: a matrix of values with a label per row and per column. */
export interface SparsityChartData {
  /** `values[i][j]` for row i, column j (rows of equal length). */
  values: ReadonlyArray<ArrayLike<number>>;
  /** One label per row (e.g. group names, or filters of a layer). Numbers are formatted. */
  rowLabels: ReadonlyArray<string | number>;
  /** One label per column (e.g. λ values, or input channels). Numbers are formatted. */
  colLabels: ReadonlyArray<string | number>;
  /** Axis title for rows (default 'row'). */
  rowTitle?: string;
  /** Axis title for columns (default 'column'). */
  colTitle?: string;
  /** Legend title for the values (default 'value'). */
  valueTitle?: string;
}

/**
 * Heatmap of a labelled matrix — groups × λ (‖w_g‖₂ along a path), or a layer's filters ×
 * channels (norm of each kernel) — with exact zeros painted light grey so the sparsity pattern
 * stands out from small nonzero values. Labels may repeat: cells are placed by index.
 */
export function sparsityChart(data: SparsityChartData, options: ChartOptions & { zeroColor?: string } = {}): VegaLiteSpec {
  const fn = 'sparsityChart';
  if (data === null || typeof data !== 'object') throw new ValueError(fn, 'data must be an object { values, rowLabels, colLabels }');
  checkOptions(fn, data, ['values', 'rowLabels', 'colLabels', 'rowTitle', 'colTitle', 'valueTitle']);
  checkOptions(fn, options, [...COMMON_KEYS, 'zeroColor']);
  checkCommon(fn, options);
  if (!Array.isArray(data.values)) throw new ValueError(fn, 'values must be an array of rows');
  const nRows = data.values.length;
  if (nRows === 0) throw new ValueError(fn, 'values has no rows');
  const nCols = data.values[0].length;
  if (nCols === 0) throw new ValueError(fn, 'values has no columns');
  const fmt = (s: string | number): string => (typeof s === 'number' ? formatNumber(s) : String(s));
  if (!Array.isArray(data.rowLabels) || data.rowLabels.length !== nRows) {
    throw new ShapeError(fn, `rowLabels must have one label per row (${nRows})`);
  }
  if (!Array.isArray(data.colLabels) || data.colLabels.length !== nCols) {
    throw new ShapeError(fn, `colLabels must have one label per column (${nCols})`);
  }
  const rowLabels = data.rowLabels.map(fmt);
  const colLabels = data.colLabels.map(fmt);
  const cells: Record<string, unknown>[] = [];
  for (let i = 0; i < nRows; i++) {
    const r = numbers(fn, `values[${i}]`, data.values[i], nCols);
    for (let j = 0; j < nCols; j++) cells.push({ row: i, col: j, rowLabel: rowLabels[i], colLabel: colLabels[j], value: r[j] });
  }
  const rowTitle = data.rowTitle ?? 'row';
  const colTitle = data.colTitle ?? 'column';
  const valueTitle = data.valueTitle ?? 'value';
  const nZero = cells.filter((c) => c.value === 0).length;
  const zeroColor = options.zeroColor ?? '#eeeeee';
  // Cells are placed by index and labelled through an expression, so repeated labels stay apart.
  const labelExpr = (l: string[]): string => `${JSON.stringify(l)}[datum.value]`;
  const width = options.width ?? Math.min(640, Math.max(240, 18 * nCols));
  // Angle the column labels when they would not fit side by side (≈ 7 px per character at 12 px).
  const longest = colLabels.reduce((m, l) => Math.max(m, l.length), 0);
  const labelAngle = 7 * longest > width / nCols - 4 ? -45 : 0;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleOf(
      options.title ?? 'Sparsity pattern',
      `${nZero} of ${cells.length} entries exactly zero (light grey)`,
    ),
    width,
    height: options.height ?? Math.min(480, Math.max(120, 18 * nRows)),
    data: { values: cells },
    mark: { type: 'rect' },
    encoding: {
      x: {
        field: 'col', type: 'ordinal', title: colTitle,
        axis: { labelExpr: labelExpr(colLabels), labelOverlap: 'parity', labelAngle },
      },
      y: { field: 'row', type: 'ordinal', title: rowTitle, axis: { labelExpr: labelExpr(rowLabels), labelOverlap: 'parity' } },
      color: {
        condition: { test: 'datum.value === 0', value: zeroColor },
        field: 'value', type: 'quantitative', title: valueTitle, scale: { scheme: 'viridis' },
      },
      tooltip: [
        { field: 'rowLabel', type: 'nominal', title: rowTitle },
        { field: 'colLabel', type: 'nominal', title: colTitle },
        { field: 'value', type: 'quantitative', title: valueTitle, format: '.4~g' },
      ],
    },
    config: baseConfig(),
  };
}

// ---------------------------------------------------------------------------------------------
// Phase transition (signal recovery)

/**
 * What the phase diagram reads of a {@link PhaseTransitionRow} (the rows of signal.phaseTransition;
 * rows may carry more fields): δ = n/p, the sparsity ratio ρ = k/n, the method, the success rate.
 */
export type PhaseTransitionPoint = Pick<PhaseTransitionRow, 'delta' | 'sparsityRatio' | 'successRate'> & { method: string };

/**
 * Donoho–Tanner style phase diagram: success rate over the (δ = n/p, ρ = k/n) grid, one panel per
 * method, ρ increasing upwards. Grid values are shown as ordered categories (uniform cells).
 */
export function phaseTransitionChart(rows: readonly PhaseTransitionPoint[], options: ChartOptions = {}): VegaLiteSpec {
  const fn = 'phaseTransitionChart';
  checkOptions(fn, options, COMMON_KEYS);
  checkCommon(fn, options);
  if (!Array.isArray(rows) || rows.length === 0) throw new ValueError(fn, 'rows must be a non-empty array');
  const methods: string[] = [];
  // Rows may carry more fields (trial counts, sizes, ...): only the four used here are read.
  const values = rows.map((r, i) => {
    if (r === null || typeof r !== 'object') throw new ValueError(fn, `rows[${i}] must be an object { delta, sparsityRatio, method, successRate }`);
    const [delta, ratio, rate] = numbers(fn, `rows[${i}] (delta, sparsityRatio, successRate)`, [r.delta, r.sparsityRatio, r.successRate]);
    if (rate < 0 || rate > 1) throw new ValueError(fn, `rows[${i}].successRate must be in [0, 1], got ${rate}`);
    if (r.method === undefined || r.method === null) throw new ValueError(fn, `rows[${i}].method is missing`);
    if (delta <= 0 || ratio < 0) throw new ValueError(fn, `rows[${i}] needs delta > 0 and sparsityRatio ≥ 0, got ${delta}, ${ratio}`);
    const method = String(r.method);
    if (!methods.includes(method)) methods.push(method);
    return { delta, sparsityRatio: ratio, method, successRate: rate };
  });
  const nDelta = new Set(values.map((v) => v.delta)).size;
  const nRatio = new Set(values.map((v) => v.sparsityRatio)).size;
  const numAxis = { format: '.2~f', formatType: 'number', labelOverlap: 'parity' };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: options.title ?? 'Phase transition',
      subtitle: ['fraction of successful recoveries', 'δ = n/p: measurements per unknown; ρ = k/n: nonzeros per measurement'],
    },
    data: { values },
    facet: { column: { field: 'method', type: 'nominal', title: null, sort: methods } },
    spec: {
      width: options.width ?? Math.min(360, Math.max(200, 18 * nDelta)),
      height: options.height ?? Math.min(360, Math.max(200, 18 * nRatio)),
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'delta', type: 'ordinal', title: 'δ = n/p', sort: 'ascending', axis: { ...numAxis, labelAngle: 0 } },
        y: { field: 'sparsityRatio', type: 'ordinal', title: 'ρ = k/n', sort: 'descending', axis: numAxis },
        color: {
          field: 'successRate', type: 'quantitative', title: 'success rate',
          scale: { domain: [0, 1], scheme: 'viridis' },
        },
        tooltip: [
          { field: 'method', type: 'nominal' },
          { field: 'delta', type: 'quantitative', title: 'δ', format: '.3~f' },
          { field: 'sparsityRatio', type: 'quantitative', title: 'ρ', format: '.3~f' },
          { field: 'successRate', type: 'quantitative', title: 'success rate', format: '.0%' },
        ],
      },
    },
    config: baseConfig(),
  };
}

// ---------------------------------------------------------------------------------------------
// Realized efficiency of sparsity

/** One layer's measurement: ρ = achieved speed-up ÷ theoretical speed-up 1/(1 − sparsity). */
export interface EfficiencyRow {
  /** Layer name (bars are grouped by layer, in order of first appearance). */
  layer: string;
  /** Fraction of weights removed, in [0, 1]. */
  sparsity: number;
  /** Kind of sparsity, e.g. 'structured' or 'unstructured' (one colour each). */
  kind: string;
  /** Realized efficiency ρ (1 = the sparsity pays off fully). */
  speedupEfficiency: number;
}

/**
 * Bars of realized efficiency ρ = (measured speed-up) / (1/(1 − sparsity)) per layer, one bar per
 * kind of sparsity, each labelled with its sparsity, and a dashed rule at ρ = 1. When a layer has
 * several sparsity levels of the same kind, each level gets its own bar group.
 */
export function efficiencyChart(rows: readonly EfficiencyRow[], options: ChartOptions = {}): VegaLiteSpec {
  const fn = 'efficiencyChart';
  checkOptions(fn, options, COMMON_KEYS);
  checkCommon(fn, options);
  if (!Array.isArray(rows) || rows.length === 0) throw new ValueError(fn, 'rows must be a non-empty array');
  // Rows may carry more fields (timings, sizes, ...): only the four used here are read.
  const clean = rows.map((r, i) => {
    if (r === null || typeof r !== 'object') throw new ValueError(fn, `rows[${i}] must be an object { layer, sparsity, kind, speedupEfficiency }`);
    const [sparsity, eff] = numbers(fn, `rows[${i}] (sparsity, speedupEfficiency)`, [r.sparsity, r.speedupEfficiency]);
    if (sparsity < 0 || sparsity > 1) throw new ValueError(fn, `rows[${i}].sparsity must be a fraction in [0, 1], got ${sparsity}`);
    if (eff < 0) throw new ValueError(fn, `rows[${i}].speedupEfficiency must be ≥ 0, got ${eff}`);
    return { layer: String(r.layer), kind: String(r.kind), sparsity, speedupEfficiency: eff };
  });
  const pct = (s: number): string => `${Number((100 * s).toPrecision(3))}%`;
  const seen = new Set<string>();
  let repeated = false;
  for (const r of clean) {
    const key = `${r.layer}\u0000${r.kind}`;
    if (seen.has(key)) repeated = true;
    seen.add(key);
  }
  const values = clean.map((r) => ({
    ...r,
    bar: repeated ? `${r.layer} @ ${pct(r.sparsity)}` : r.layer,
    label: pct(r.sparsity),
  }));
  const order: string[] = [];
  for (const v of values) if (!order.includes(v.bar)) order.push(v.bar);
  const kinds: string[] = [];
  for (const v of values) if (!kinds.includes(v.kind)) kinds.push(v.kind);
  const x = { field: 'bar', type: 'nominal', title: repeated ? 'layer @ sparsity' : 'layer', sort: order, axis: { labelAngle: order.length > 6 ? -30 : 0 } };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleOf(options.title ?? 'Realized efficiency of sparsity', 'ρ = measured speed-up ÷ 1/(1 − sparsity); labels: sparsity'),
    width: options.width ?? Math.min(640, Math.max(240, 70 * order.length)),
    height: options.height ?? 280,
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x,
          xOffset: { field: 'kind', type: 'nominal', sort: kinds },
          y: { field: 'speedupEfficiency', type: 'quantitative', title: 'ρ (realized efficiency)', scale: { domainMin: 0 } },
          color: { field: 'kind', type: 'nominal', title: 'kind', sort: kinds, scale: { scheme: 'tableau10' } },
          tooltip: [
            { field: 'layer', type: 'nominal' },
            { field: 'kind', type: 'nominal' },
            { field: 'sparsity', type: 'quantitative', format: '.1%' },
            { field: 'speedupEfficiency', type: 'quantitative', title: 'ρ', format: '.3~f' },
          ],
        },
      },
      {
        mark: { type: 'text', dy: -7, fontSize: 10, color: '#333333' },
        encoding: {
          x,
          xOffset: { field: 'kind', type: 'nominal', sort: kinds },
          y: { field: 'speedupEfficiency', type: 'quantitative' },
          text: { field: 'label', type: 'nominal' },
        },
      },
      {
        data: { values: [{ speedupEfficiency: 1 }] },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#333333' },
        encoding: { y: { field: 'speedupEfficiency', type: 'quantitative' } },
      },
    ],
    config: baseConfig(),
  };
}
