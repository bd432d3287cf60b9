/**
 * Fuzzing at scale, on every core: random group-sparse problems (test/helpers/fuzzcase.ts), each
 * fitted and checked by the independent certificate, and random CSV tables read, turned into a
 * design and fitted (test/helpers/datafuzz.ts), and corrupted model files read by the neural
 * importers (test/helpers/neuralfuzz.ts). A result must be certified, honestly marked not
 * converged, or refused by a library error; anything else is a failure, shrunk by fast-check to a
 * minimal case and printed with the command that replays it. A case that runs longer than
 * `--case-timeout` seconds is a hang: its worker is killed and the case reported.
 *
 *   npm run fuzz                                  # 10 000 problems + 2 000 tables + 500 models, random seed
 *   npm run fuzz -- --ci                          # CI: fixed seed and a rotating seed, both printed
 *   npm run fuzz -- --runs 50000 --seed 123 --workers 2
 *   npm run fuzz -- --target data --runs 5000
 *   npm run fuzz -- --target neural --runs 2000
 *   npm run fuzz -- --target overlap --runs 2000  # overlapping groups, latent and consensus (test/helpers/overlapfuzz.ts)
 *   npm run fuzz -- --replay '<params JSON printed by a failure>' [--target data]
 *
 * Exits 1 on any failure.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { dataFuzzArb, runDataCase, type DataFuzzParams } from '../test/helpers/datafuzz.ts';
import { fuzzParamsArb, runCase, type FuzzParams } from '../test/helpers/fuzzcase.ts';
import { overlapFuzzArb, runOverlapCase, type OverlapFuzzParams } from '../test/helpers/overlapfuzz.ts';

type Target = 'fit' | 'data' | 'neural' | 'overlap';
const CI_SEED = 20261201;

function arg(name: string): string | undefined {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? process.argv[k + 1] : undefined;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

/** What a worker reports when it is done. */
interface ShardReport {
  type: 'done';
  target: Target;
  runs: number;
  counts: Record<string, number>;
  failure: null | { message: string; params: unknown; seed: number; path?: string; numShrinks: number };
}

/** Short keys for the summary (numbers stripped, so similar outcomes add up). */
function key(s: string): string {
  return s.replace(/\(.*\)/, '').replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, '#').trim().slice(0, 100);
}

/** The neural target's helpers, loaded only by its workers (the runtime is slow to import). */
type NeuralFuzz = typeof import('../test/helpers/neuralfuzz.ts');
let neuralFuzz: NeuralFuzz | null = null;

// ---------------------------------------------------------------- worker side
function runShard(target: Target, seed: number, runs: number): void {
  const counts: Record<string, number> = {};
  const bump = (k: string): void => void (counts[k] = (counts[k] ?? 0) + 1);
  let done = 0;
  let failing = false;
  const send = (m: unknown): void => void process.send!(m);
  const property = target === 'fit'
    ? fc.property(fuzzParamsArb(Number(arg('max-iter') ?? 4000)), (p: FuzzParams) => {
      send({ type: 'start', params: p });
      const out = runCase(p);
      if (!failing) {
        done++;
        if (out.kind === 'refused') bump(`refused: ${key(out.error ?? '')}`);
        else bump(out.converged ? `converged${out.status && out.status !== 'converged' ? ` (${key(out.status)})` : ''}` : `not converged: ${key(out.status ?? '')}`);
        if (out.unconfirmed && out.unconfirmed.length > 0) {
          bump('converged, gap not confirmed independently (no reference contradicts it)');
          send({ type: 'unconfirmed', params: p, message: out.unconfirmed.join('; ') });
        }
        if (done % 500 === 0) send({ type: 'progress', done });
      }
      if (out.failures.length > 0) {
        failing = true;
        throw new Error(out.failures.join('; '));
      }
    })
    : target === 'overlap'
    ? fc.property(overlapFuzzArb(), (p: OverlapFuzzParams) => {
      send({ type: 'start', params: p });
      const out = runOverlapCase(p);
      if (!failing) {
        done++;
        if (out.kind === 'refused') bump(`refused: ${key(out.error ?? '')}`);
        else bump(`${p.mode}: ${out.converged ? `converged${out.status && out.status !== 'converged' ? ` (${key(out.status)})` : ''}` : `not converged: ${key(out.status ?? '')}`}`);
        if (done % 100 === 0) send({ type: 'progress', done });
      }
      if (out.failures.length > 0) {
        failing = true;
        throw new Error(out.failures.join('; '));
      }
    })
    : target === 'neural'
    ? fc.property(neuralFuzz!.neuralFuzzArb(), (p) => {
      send({ type: 'start', params: p });
      const out = neuralFuzz!.runNeuralCase(p);
      if (!failing) {
        done++;
        bump(`${p.corruption}: ${out.outcome}`);
        if (done % 100 === 0) send({ type: 'progress', done });
      }
      if (out.failures.length > 0) {
        failing = true;
        throw new Error(out.failures.join('; '));
      }
    })
    : fc.property(dataFuzzArb(), (p: DataFuzzParams) => {
      send({ type: 'start', params: p });
      const out = runDataCase(p);
      if (!failing) {
        done++;
        bump(out.error ? `refused by ${out.stage}` : `passed ${out.stage}`);
        if (done % 500 === 0) send({ type: 'progress', done });
      }
      if (out.failures.length > 0) {
        failing = true;
        throw new Error(out.failures.join('; '));
      }
    });
  const res = fc.check(property as unknown as fc.IProperty<[unknown]>, { seed, numRuns: runs });
  const report: ShardReport = {
    type: 'done', target, runs: done, counts,
    failure: res.failed
      ? {
        message: res.errorInstance instanceof Error ? res.errorInstance.message : String(res.errorInstance),
        params: res.counterexample?.[0], seed: res.seed, path: res.counterexamplePath ?? undefined, numShrinks: res.numShrinks,
      }
      : null,
  };
  send(report);
}

// ---------------------------------------------------------------- parent side
interface Job {
  target: Target;
  /** Which seed this job belongs to (for the summary line). */
  label: string;
  seed: number;
  runs: number;
}

async function runJobs(jobs: Job[], workers: number, caseTimeout: number): Promise<number> {
  const t0 = performance.now();
  let failures = 0;
  let unconfirmed = 0;
  const totals = new Map<string, { runs: number; counts: Map<string, number> }>();
  const queue = jobs.slice();
  const self = fileURLToPath(import.meta.url);
  const runOne = (job: Job): Promise<void> => new Promise((resolve) => {
    const child: ChildProcess = fork(self, ['--worker', job.target, String(job.seed), String(job.runs), ...(arg('max-iter') ? ['--max-iter', arg('max-iter')!] : [])], {
      execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let current: unknown = null;
    let startedAt = performance.now();
    let finished = false;
    const watchdog = setInterval(() => {
      if (performance.now() - startedAt > caseTimeout * 1000) {
        clearInterval(watchdog);
        finished = true;
        child.kill('SIGKILL');
        failures++;
        console.log(`FAILURE (${job.target}, seed ${job.seed}): a case ran longer than ${caseTimeout} s\n  replay: npm run fuzz -- --target ${job.target} --replay '${JSON.stringify(current)}'`);
        resolve();
      }
    }, 1000);
    child.on('message', (m: { type: string; params?: unknown; done?: number } | ShardReport) => {
      if (m.type === 'start') {
        current = (m as { params: unknown }).params;
        startedAt = performance.now();
      } else if (m.type === 'unconfirmed') {
        unconfirmed++;
        if (unconfirmed <= 5) {
          console.log(`UNCONFIRMED (${job.target}): ${(m as { message?: string }).message}\n  replay: npm run fuzz -- --target ${job.target} --replay '${JSON.stringify((m as { params?: unknown }).params)}'`);
        }
      } else if (m.type === 'done') {
        const r = m as ShardReport;
        const t = totals.get(job.label) ?? { runs: 0, counts: new Map<string, number>() };
        t.runs += r.runs;
        for (const [k, v] of Object.entries(r.counts)) t.counts.set(k, (t.counts.get(k) ?? 0) + v);
        totals.set(job.label, t);
        if (r.failure) {
          failures++;
          console.log(`FAILURE (${job.target}, seed ${r.failure.seed}, shrunk ${r.failure.numShrinks} times): ${r.failure.message}\n` +
            `  replay: npm run fuzz -- --target ${job.target} --replay '${JSON.stringify(r.failure.params)}'`);
        }
      }
    });
    child.on('exit', (code) => {
      clearInterval(watchdog);
      if (!finished && code !== 0) {
        failures++;
        console.log(`FAILURE (${job.target}, seed ${job.seed}): worker exited with code ${code} during\n  replay: npm run fuzz -- --target ${job.target} --replay '${JSON.stringify(current)}'`);
      }
      finished = true;
      resolve();
    });
  });
  const lanes = Array.from({ length: Math.max(1, workers) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await runOne(job);
  });
  await Promise.all(lanes);
  const secs = (performance.now() - t0) / 1000;
  let total = 0;
  for (const [label, t] of totals) {
    total += t.runs;
    console.log(`  ${label}: ${t.runs} cases`);
    for (const [k, v] of [...t.counts].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`    ${v}\t${k}`);
  }
  console.log(`fuzz finished: ${total} cases in ${secs.toFixed(1)} s on ${workers} workers, ${failures} failures, ${unconfirmed} certified gaps not confirmed independently (none contradicted by a reference solve)`);
  return failures;
}

/** Split `runs` cases of one seed into shards (shard k uses seed + k, so each replays alone). */
function shards(target: Target, label: string, seed: number, runs: number, size: number): Job[] {
  const out: Job[] = [];
  for (let k = 0, left = runs; left > 0; k++, left -= size) out.push({ target, label, seed: seed + k, runs: Math.min(size, left) });
  return out;
}

const workerAt = process.argv.indexOf('--worker');
if (workerAt >= 0) {
  const [target, seed, runs] = process.argv.slice(workerAt + 1, workerAt + 4);
  if (target === 'neural') {
    neuralFuzz = await import('../test/helpers/neuralfuzz.ts');
    await neuralFuzz.prepareNeuralFuzz();
  }
  runShard(target as Target, Number(seed), Number(runs));
  process.disconnect?.();
} else if (arg('replay') !== undefined) {
  const params = JSON.parse(arg('replay')!);
  let out: { failures: string[] };
  if (arg('target') === 'neural') {
    neuralFuzz = await import('../test/helpers/neuralfuzz.ts');
    await neuralFuzz.prepareNeuralFuzz();
    out = neuralFuzz.runNeuralCase(params);
  } else if (arg('target') === 'overlap') out = runOverlapCase(params as OverlapFuzzParams);
  else out = arg('target') === 'data' ? runDataCase(params as DataFuzzParams) : runCase(params as FuzzParams);
  console.log(JSON.stringify(out, null, 2));
  process.exit(out.failures.length > 0 ? 1 : 0);
} else {
  const workers = Number(arg('workers') ?? availableParallelism());
  const caseTimeout = Number(arg('case-timeout') ?? 60);
  const target = arg('target') as Target | undefined;
  const jobs: Job[] = [];
  const shardSize = 500;
  if (flag('ci')) {
    // Half the cases replay the same problems every run (a regression shows at once); the other
    // half rotate, so CI keeps exploring. Both seeds are printed for replay.
    const rotating = Number(process.env.FUZZ_SEED ?? (Date.now() % 2 ** 31));
    const fitRuns = Number(arg('runs') ?? 10_000);
    const dataRuns = Number(arg('data-runs') ?? 2000);
    const neuralRuns = Number(arg('neural-runs') ?? 200);
    const overlapRuns = Number(arg('overlap-runs') ?? 200);
    console.log(`fuzz (CI): ${fitRuns} problems, ${overlapRuns} overlapping-group problems, ${dataRuns} tables and ${neuralRuns} corrupted models; fixed seed ${CI_SEED}, rotating seed ${rotating} ` +
      `(replay: FUZZ_SEED=${rotating} npm run fuzz -- --ci); ${workers} workers`);
    jobs.push(...shards('fit', `problems, fixed seed ${CI_SEED}`, CI_SEED, fitRuns / 2, shardSize));
    jobs.push(...shards('fit', `problems, rotating seed ${rotating}`, rotating, fitRuns - fitRuns / 2, shardSize));
    jobs.push(...shards('overlap', `overlapping groups, fixed seed ${CI_SEED}`, CI_SEED, Math.floor(overlapRuns / 2), shardSize));
    jobs.push(...shards('overlap', `overlapping groups, rotating seed ${rotating}`, rotating, overlapRuns - Math.floor(overlapRuns / 2), shardSize));
    jobs.push(...shards('data', `tables, fixed seed ${CI_SEED}`, CI_SEED, dataRuns / 2, shardSize));
    jobs.push(...shards('data', `tables, rotating seed ${rotating}`, rotating, dataRuns - dataRuns / 2, shardSize));
    jobs.push(...shards('neural', `models, fixed seed ${CI_SEED}`, CI_SEED, Math.floor(neuralRuns / 2), shardSize));
    jobs.push(...shards('neural', `models, rotating seed ${rotating}`, rotating, neuralRuns - Math.floor(neuralRuns / 2), shardSize));
  } else {
    const seed = Number(arg('seed') ?? Math.floor(Math.random() * 2 ** 31));
    const runs = Number(arg('runs') ?? (target === 'data' ? 2000 : target === 'neural' ? 500 : target === 'overlap' ? 2000 : 10_000));
    const what = target === 'data' ? 'tables' : target === 'neural' ? 'corrupted models' : target === 'overlap' ? 'overlapping-group problems' : 'problems';
    console.log(`fuzz: ${runs} ${what}${target ? '' : ' + 1000 overlapping-group problems + 2000 tables + 500 corrupted models'}, seed ${seed}, ${workers} workers ` +
      `(replay: npm run fuzz -- --seed ${seed} --runs ${runs}${target ? ` --target ${target}` : ''})`);
    if (target === undefined || target === 'fit') jobs.push(...shards('fit', `problems, seed ${seed}`, seed, runs, shardSize));
    if (target === undefined || target === 'overlap') jobs.push(...shards('overlap', `overlapping groups, seed ${seed}`, seed, target === 'overlap' ? runs : 1000, shardSize));
    if (target === undefined || target === 'data') jobs.push(...shards('data', `tables, seed ${seed}`, seed, target === 'data' ? runs : 2000, shardSize));
    if (target === undefined || target === 'neural') jobs.push(...shards('neural', `models, seed ${seed}`, seed, target === 'neural' ? runs : 500, shardSize));
  }
  // Longest jobs first keeps both cores busy to the end.
  const order: Record<Target, number> = { fit: 0, overlap: 1, neural: 2, data: 3 };
  jobs.sort((a, b) => order[a.target] - order[b.target]);
  const failed = await runJobs(jobs, workers, caseTimeout);
  process.exit(failed > 0 ? 1 : 0);
}
