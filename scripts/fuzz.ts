/**
 * Long fuzz run: random group-sparse problems (see test/helpers/fuzzcase.ts) fitted with every
 * registered solver; each result must be certified by an independent certificate or honestly
 * marked not converged, and anything thrown must be a library error.
 *
 *   npm run fuzz                      # 10 000 problems, random seed
 *   npm run fuzz -- --runs 50000 --seed 123
 *   npm run fuzz -- --replay '<params JSON printed by a failure>'
 *
 * Prints the count, the failures (with the parameters that replay them) and the seed; exits 1 on
 * any failure.
 */
import fc from 'fast-check';
import { fuzzParamsArb, runCase, type FuzzParams } from '../test/helpers/fuzzcase.ts';

function arg(name: string): string | undefined {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? process.argv[k + 1] : undefined;
}

const replay = arg('replay');
if (replay !== undefined) {
  const params = JSON.parse(replay) as FuzzParams;
  const out = runCase(params);
  console.log(JSON.stringify(out, null, 2));
  process.exit(out.failures.length > 0 ? 1 : 0);
}

const runs = Number(arg('runs') ?? 10_000);
const seed = Number(arg('seed') ?? Math.floor(Math.random() * 2 ** 31));
const maxIter = Number(arg('max-iter') ?? 4000);
console.log(`fuzz: ${runs} problems, seed ${seed}, maxIter ${maxIter}`);

const t0 = performance.now();
let done = 0;
let failed = 0;
let converged = 0;
let refused = 0;
const statuses = new Map<string, number>();
const refusals = new Map<string, number>();
// Generate lazily in chunks: parameters are small, but 10⁵ of them need not sit in memory.
const chunk = 1000;
for (let start = 0; start < runs; start += chunk) {
  const params = fc.sample(fuzzParamsArb(maxIter), { seed: seed + start, numRuns: Math.min(chunk, runs - start) });
  for (const p of params) {
    const out = runCase(p);
    done++;
    if (out.kind === 'refused') {
      refused++;
      const key = (out.error ?? '').replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, '#').slice(0, 110);
      refusals.set(key, (refusals.get(key) ?? 0) + 1);
    } else if (out.converged) {
      converged++;
    } else if (out.status !== undefined) {
      const key = out.status.replace(/\(.*\)/, '').trim();
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
    if (out.failures.length > 0) {
      failed++;
      console.log(`FAILURE ${failed}: ${out.failures.join('; ')}\n  replay: npm run fuzz -- --replay '${JSON.stringify(p)}'`);
    }
  }
  console.log(`  ${done}/${runs} done, ${failed} failures, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
console.log(`fuzz finished: ${done} problems, ${failed} failures, seed ${seed}`);
console.log(`  converged ${converged}, not converged ${done - converged - refused}, refused with a library error ${refused}`);
for (const [k, v] of statuses) console.log(`  status '${k}': ${v}`);
for (const [k, v] of [...refusals].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  refused '${k}': ${v}`);
process.exit(failed > 0 ? 1 : 0);
