import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import { DataError, OptionError, ValueError } from '../errors.ts';
import { checkOptions } from '../util/validate.ts';
import type { VegaLiteSpec } from './specs.ts';
import { checkSpec, renderSvg } from './svg.ts';

/**
 * PNG rendering and chart files: Node-only (resvg is a native module; fonts are found on disk).
 * Exported from `groupsparse/node`.
 */

// ---------------------------------------------------------------------------------------------
// Fonts for PNG

/** Folders searched (in order) for DejaVu Sans; fc-list is asked when none of them has it. */
export const PLOT_FONT_DIRS: readonly string[] = [
  '/usr/share/fonts/truetype/dejavu', // Debian / Ubuntu fonts-dejavu-core
  '/usr/share/fonts/dejavu', // Fedora, Arch
  '/usr/share/fonts/TTF',
  '/usr/share/fonts/dejavu-sans-fonts',
  '/usr/local/share/fonts',
  '/usr/share/fonts/truetype',
  '/usr/share/fonts',
  join(homedir(), '.local/share/fonts'),
  join(homedir(), '.fonts'),
  '/Library/Fonts',
  join(homedir(), 'Library/Fonts'),
];

const FONT_NAMES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'];

function findIn(dir: string, depth: number): string[] {
  const found: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of FONT_NAMES) if (entries.includes(name)) found.push(join(dir, name));
  if (found.length > 0 || depth === 0) return found;
  for (const e of entries) {
    const sub = join(dir, e);
    try {
      if (statSync(sub).isDirectory()) {
        const f = findIn(sub, depth - 1);
        if (f.length > 0) return f;
      }
    } catch {
      // unreadable entry: skip
    }
  }
  return found;
}

function fromFcList(): string[] {
  try {
    const out = execFileSync('fc-list', ['DejaVu Sans:style=Book', 'file'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').map((l) => l.replace(/:\s*$/, '').trim()).filter((f) => /DejaVuSans\.ttf$/.test(f) && existsSync(f));
  } catch {
    return [];
  }
}

/**
 * The font files PNG rendering uses: DejaVu Sans (regular, and bold when present), looked up in
 * `dirs` (default `PLOT_FONT_DIRS`, two levels deep) and then through `fc-list`. Throws a DataError that
 * says how to install the font when none is found — a PNG without its text is never produced.
 */
export function findPlotFonts(dirs: readonly string[] = PLOT_FONT_DIRS, useFcList = true): string[] {
  if (!Array.isArray(dirs) || dirs.some((d) => typeof d !== 'string')) {
    throw new OptionError('findPlotFonts', `dirs must be an array of directory paths, got ${dirs === null ? 'null' : typeof dirs}`);
  }
  if (typeof useFcList !== 'boolean') throw new OptionError('findPlotFonts', `useFcList must be true or false, got ${String(useFcList)}`);
  for (const dir of dirs) {
    const f = findIn(dir, 2);
    if (f.some((p) => p.endsWith('DejaVuSans.ttf'))) return f;
  }
  if (useFcList) {
    const f = fromFcList();
    if (f.length > 0) return f;
  }
  throw new DataError(
    'renderPng',
    `no DejaVu Sans font found (looked for DejaVuSans.ttf in ${dirs.join(', ')}${useFcList ? ' and with fc-list' : ''}); ` +
      'install it (Debian/Ubuntu: apt-get install fonts-dejavu-core) or pass { fontFiles, fontFamily }',
  );
}

/** Options of `renderPng`. */
export interface PngOptions {
  /** Pixel density: 2 (default) renders each SVG pixel as 2×2 image pixels. */
  scale?: number;
  /** Font files to use instead of searching for DejaVu Sans. */
  fontFiles?: readonly string[];
  /** Family name inside `fontFiles` (default 'DejaVu Sans'). */
  fontFamily?: string;
  /** Folders to search for DejaVu Sans (default `PLOT_FONT_DIRS`, then fc-list). */
  fontDirs?: readonly string[];
}

/**
 * Render a Vega-Lite spec to PNG bytes: SVG from `renderSvg`, rasterized by resvg with explicit
 * font files (resvg draws no text at all without fonts, so a missing font is an error).
 */
export async function renderPng(spec: VegaLiteSpec, options: PngOptions = {}): Promise<Uint8Array> {
  const fn = 'renderPng';
  checkSpec(fn, spec); // before the font search, which reads the file system
  checkOptions(fn, options, ['scale', 'fontFiles', 'fontFamily', 'fontDirs']);
  const scale = options.scale ?? 2;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0 || scale > 16) {
    throw new ValueError(fn, `scale must be a number in (0, 16], got ${String(scale)}`);
  }
  let fontFiles: string[];
  if (options.fontFiles !== undefined) {
    fontFiles = [...options.fontFiles];
    if (fontFiles.length === 0) throw new OptionError(fn, 'fontFiles is empty');
    for (const f of fontFiles) if (!existsSync(f)) throw new OptionError(fn, `font file ${f} does not exist`);
  } else {
    fontFiles = options.fontDirs !== undefined ? findPlotFonts(options.fontDirs, false) : findPlotFonts();
  }
  const family = options.fontFamily ?? 'DejaVu Sans';
  const svg = await renderSvg(spec, fn);
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: false,
      fontFiles,
      defaultFontFamily: family,
      sansSerifFamily: family,
      serifFamily: family,
      monospaceFamily: family,
    },
  });
  return resvg.render().asPng();
}

/**
 * Write a chart to `path`: `.svg` (vector), `.png` (raster, `options` as in `renderPng`) or
 * `.json` / `.vl.json` (the Vega-Lite spec itself). Returns the format written.
 */
export async function savePlot(spec: VegaLiteSpec, path: string, options: PngOptions = {}): Promise<'svg' | 'png' | 'json'> {
  const fn = 'savePlot';
  checkSpec(fn, spec);
  if (typeof path !== 'string' || path === '') throw new ValueError(fn, 'path must be a non-empty string');
  const ext = extname(path).toLowerCase();
  if (ext === '.svg') {
    writeFileSync(path, await renderSvg(spec));
    return 'svg';
  }
  if (ext === '.png') {
    writeFileSync(path, await renderPng(spec, options));
    return 'png';
  }
  if (ext === '.json') {
    writeFileSync(path, JSON.stringify(spec, null, 2) + '\n');
    return 'json';
  }
  throw new OptionError(fn, `cannot tell the format of '${path}': use a .svg, .png or .json file name`);
}
