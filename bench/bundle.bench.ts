/**
 * `npm run bench bundle`: what a browser page pays for the library. Each entry is bundled by esbuild
 * for the browser (minified, everything it imports included) and its size printed raw and gzipped;
 * the core entry alone is the figure to watch. Optional peers (vega, mathjs) must not be in it.
 */
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function bundle(entry: string): Promise<{ raw: number; gz: number; inputs: string[] }> {
  const r = await build({
    entryPoints: [join(root, entry)], bundle: true, platform: 'browser', format: 'esm', target: 'es2022',
    minify: true, write: false, metafile: true, logLevel: 'error', treeShaking: true,
  });
  const code = r.outputFiles[0].contents;
  return { raw: code.length, gz: gzipSync(code, { level: 9 }).length, inputs: Object.keys(r.metafile.inputs) };
}

export async function main(): Promise<void> {
  const rows: [string, string][] = [
    ['groupsparse (core entry, src/index.ts)', 'src/index.ts'],
    ['groupsparse/plot (+ vega, vega-lite)', 'src/plot/index.ts'],
    ['browser example page (core + vega-embed)', 'examples/browser/main.ts'],
  ];
  console.log('entry                                          minified      gzipped');
  for (const [label, entry] of rows) {
    const b = await bundle(entry);
    console.log(`${label.padEnd(45)} ${(b.raw / 1024).toFixed(1).padStart(8)} kB ${(b.gz / 1024).toFixed(1).padStart(8)} kB`);
    if (entry === 'src/index.ts') {
      const heavy = b.inputs.filter((f) => /node_modules\/(vega|vega-lite|mathjs|@resvg)\//.test(f));
      if (heavy.length > 0) throw new Error(`the core entry pulls in optional peers: ${heavy.slice(0, 3).join(', ')}`);
      const byPkg = new Map<string, number>();
      for (const f of b.inputs) {
        const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f);
        byPkg.set(m ? m[1] : 'groupsparse', (byPkg.get(m ? m[1] : 'groupsparse') ?? 0) + 1);
      }
      console.log(`  core inputs by package: ${[...byPkg].map(([k, v]) => `${k} (${v} files)`).join(', ')}`);
    }
  }
}
