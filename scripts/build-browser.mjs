#!/usr/bin/env node
/**
 * Bundle the browser example (examples/browser/main.ts → examples/browser/dist/app.js) with esbuild.
 * `--meta FILE` also writes esbuild's metafile (what went into the bundle).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'examples', 'browser', 'dist', 'app.js');
mkdirSync(dirname(out), { recursive: true });
const result = await build({
  entryPoints: [join(root, 'examples', 'browser', 'main.ts')],
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  metafile: true,
  outfile: out,
  logLevel: 'warning',
});
const i = process.argv.indexOf('--meta');
if (i > 0) writeFileSync(process.argv[i + 1], JSON.stringify(result.metafile));
console.log(`wrote ${out}`);
