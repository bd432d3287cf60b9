import { ValueError } from '../errors.ts';
import { callerName } from '../util/validate.ts';
import type { VegaLiteSpec } from './specs.ts';

/**
 * SVG rendering without a browser (Node, Deno, or a browser without a DOM view). Vega and Vega-Lite
 * are optional peer dependencies, loaded on first use (dynamic import), so importing `groupsparse/plot`
 * costs nothing until a chart is rendered.
 */

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');

let vegaModules: Promise<[VegaModule, VegaLiteModule]> | undefined;

function loadVega(): Promise<[VegaModule, VegaLiteModule]> {
  vegaModules ??= Promise.all([import('vega'), import('vega-lite')]);
  return vegaModules;
}

export function checkSpec(fn: string, spec: unknown): asserts spec is VegaLiteSpec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new ValueError(fn, 'spec must be a Vega-Lite specification object');
  }
}

/**
 * Render a Vega-Lite spec to an SVG string with Vega's headless view (`renderer: 'none'`, no DOM).
 * Text is written with `font-family="sans-serif"` (the spec's config may change it).
 *
 * @example
 * const svg = await renderSvg(pathChart({ lambdas: [1, 0.1], groupNames: ['a'], groupNorms: [[0], [1]] }));
 * // returns '<svg …>…</svg>'
 */
export async function renderSvg(spec: VegaLiteSpec, fn = 'renderSvg'): Promise<string> {
  fn = callerName(fn, 'renderSvg');
  checkSpec(fn, spec);
  const [vega, vl] = await loadVega();
  let compiled;
  try {
    // Vega tags inline data rows in place (a symbol id per row): compile a copy so the caller's spec
    // stays plain JSON. Vega-Lite's typings are a large union; the compiler checks the spec at run time.
    compiled = vl.compile(structuredClone(spec) as unknown as Parameters<VegaLiteModule['compile']>[0]).spec;
  } catch (e) {
    throw new ValueError(fn, `Vega-Lite could not compile the spec: ${(e as Error).message}`);
  }
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

