import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, OptionError, ValueError, groupNormChart, pathChart, type VegaLiteSpec } from '../src/index.ts';
import { findPlotFonts, renderPng, savePlot } from '../src/node.ts';
import { renderSvg } from '../src/plot/index.ts';
import { darkPixels, decodePng } from './plot-helpers.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const dir = mkdtempSync(join(tmpdir(), 'groupsparse-plot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chart(): VegaLiteSpec {
  return groupNormChart({ groupNames: ['age', 'race', 'smoke'], groupNorms: [0.5, 0, 1.25], lambda: 0.1 });
}

/** The same chart with its title and subtitle painted white: identical layout, no title ink. */
function withInvisibleTitle(spec: VegaLiteSpec): VegaLiteSpec {
  const config = spec.config as Record<string, Record<string, unknown>>;
  return { ...spec, config: { ...config, title: { ...config.title, color: 'white', subtitleColor: 'white' } } };
}

describe('renderPng', () => {
  it('writes a PNG of scale × the SVG size', async () => {
    const spec = chart();
    const svg = await renderSvg(spec);
    const [, w, h] = /width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
    const png = await renderPng(spec, { scale: 2 });
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const img = decodePng(png);
    expect(img.width).toBe(2 * w);
    expect(img.height).toBe(2 * h);
  });

  it('draws the text: the title area has ink only when the title is visible', async () => {
    const spec = chart();
    const scale = 2;
    const shown = decodePng(await renderPng(spec, { scale }));
    const hidden = decodePng(await renderPng(withInvisibleTitle(spec), { scale }));
    expect(shown.width).toBe(hidden.width);
    // The title is the first 45 px of the image (padding 8, 16 px title, 12 px subtitle).
    const titleInk = darkPixels(shown, 0, 0, shown.width, 45 * scale);
    expect(darkPixels(hidden, 0, 0, hidden.width, 45 * scale)).toBe(0);
    expect(titleInk).toBeGreaterThan(300);
    // Everything else (axes, labels, bars) is drawn the same in both.
    expect(darkPixels(shown, 0, 45 * scale)).toBe(darkPixels(hidden, 0, 45 * scale));
    // Axis labels and titles are text too: the lower part has plenty of dark pixels.
    expect(darkPixels(hidden, 0, 45 * scale)).toBeGreaterThan(1000);
  });

  it('refuses to render without a font instead of dropping the text', async () => {
    expect(() => findPlotFonts(['/nonexistent/fonts'], false)).toThrow(DataError);
    expect(() => findPlotFonts(['/nonexistent/fonts'], false)).toThrow(/fonts-dejavu-core/);
    await expect(renderPng(chart(), { fontDirs: ['/nonexistent/fonts'] })).rejects.toThrow(DataError);
    await expect(renderPng(chart(), { fontFiles: ['/nonexistent/font.ttf'] })).rejects.toThrow(OptionError);
    await expect(renderPng(chart(), { scale: 0 })).rejects.toThrow(ValueError);
  });

  it('finds DejaVu Sans on this machine', () => {
    const files = findPlotFonts();
    expect(files.some((f) => f.endsWith('DejaVuSans.ttf'))).toBe(true);
  });
});

describe('savePlot', () => {
  const spec = pathChart({ lambdas: [1, 0.1, 0.01], groupNames: ['a', 'b'], groupNorms: [[0, 0], [0.5, 0], [0.9, 0.4]] });

  it('picks the format from the extension', async () => {
    expect(await savePlot(spec, join(dir, 'path.svg'))).toBe('svg');
    expect(readFileSync(join(dir, 'path.svg'), 'utf8')).toMatch(/^<svg[^>]*>.*Regularization path.*<\/svg>$/s);
    expect(await savePlot(spec, join(dir, 'path.PNG'), { scale: 1 })).toBe('png');
    expect([...readFileSync(join(dir, 'path.PNG')).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(await savePlot(spec, join(dir, 'path.vl.json'))).toBe('json');
    expect(JSON.parse(readFileSync(join(dir, 'path.vl.json'), 'utf8'))).toEqual(spec);
  });

  it('refuses an unknown extension', async () => {
    await expect(savePlot(spec, join(dir, 'path.gif'))).rejects.toThrow(OptionError);
  });
});
