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
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { main?: () => Promise<void> | void };
  if (typeof mod.main !== 'function') throw new Error(`${f} must export a main() function`);
  await mod.main();
}
