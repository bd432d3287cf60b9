/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or only those whose name contains an argument),
 * each printing its own table of median times and ratios measured in this one run.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ')}`);
  process.exit(1);
}
const t0 = performance.now();
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const t = performance.now();
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { main?: () => Promise<void> | void };
  if (typeof mod.main !== 'function') throw new Error(`${f} must export a main() function`);
  await mod.main();
  console.log(`\n(${f}: ${((performance.now() - t) / 1000).toFixed(0)} s)`);
}
if (files.length > 1) console.log(`\ntotal: ${((performance.now() - t0) / 60000).toFixed(1)} min for ${files.length} benchmarks`);
