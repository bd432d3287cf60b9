import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DataError } from '../../errors.ts';
import type { Weight } from '../ir/graph.ts';

/**
 * File plumbing shared by the tfjs formats: reading `model.json` and its shards with errors that
 * name the file, encoding float32/int32 weights into one shard with its manifest, and writing a set
 * of files so that none appears half-written (temporary names, renamed only once all are complete).
 */

export interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology?: unknown;
  weightsManifest: ManifestGroupJson[];
  userDefinedMetadata?: unknown;
  signature?: unknown;
  [k: string]: unknown;
}

export interface ManifestGroupJson {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string; scale?: number; min?: number } }[];
}

export function readJson(fn: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataError(fn, `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataError(fn, `${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export function readModelJson(fn: string, path: string): ModelJson {
  const j = readJson(fn, path) as ModelJson;
  if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new DataError(fn, `${path} is not a tfjs model.json object`);
  if (!Array.isArray(j.weightsManifest)) throw new DataError(fn, `${path} has no weightsManifest list`);
  return j;
}

const WIDTH: Record<string, number> = { float32: 4, int32: 4, uint16: 2, float16: 2, uint8: 1, bool: 1 };

/**
 * Shard bytes of every manifest group, read from the folder of `path`. A shard set whose byte count
 * differs from what the manifest declares is refused with the file names.
 */
export function readShards(fn: string, path: string, manifest: readonly ManifestGroupJson[]): Uint8Array[][] {
  const dir = dirname(path);
  return manifest.map((g, gi) => {
    if (g === null || typeof g !== 'object' || !Array.isArray(g.paths) || !Array.isArray(g.weights)) throw new DataError(fn, `${path}: weights manifest group ${gi} lacks 'paths' or 'weights'`);
    for (const p of g.paths) if (typeof p !== 'string') throw new DataError(fn, `${path}: weights manifest group ${gi} lists a shard path that is not a string (${JSON.stringify(p)})`);
    for (const w of g.weights) {
      if (w === null || typeof w !== 'object' || (w.shape !== undefined && (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)))) {
        throw new DataError(fn, `${path}: weights manifest group ${gi} has an entry that is not { name, shape: whole numbers ≥ 0, dtype }: ${JSON.stringify(w)?.slice(0, 80)}`);
      }
    }
    const shards = g.paths.map((p) => {
      try {
        return new Uint8Array(readFileSync(join(dir, p)));
      } catch (e) {
        throw new DataError(fn, `cannot read shard ${join(dir, p)}: ${(e as Error).message}`);
      }
    });
    let need = 0;
    for (const w of g.weights) {
      const width = WIDTH[w.quantization?.dtype ?? w.dtype];
      if (width === undefined) throw new DataError(fn, `${path}: weight '${w.name}' has unsupported dtype '${w.quantization?.dtype ?? w.dtype}'`);
      need += width * (w.shape ?? []).reduce((a, b) => a * b, 1);
    }
    const have = shards.reduce((a, s) => a + s.length, 0);
    if (have !== need) {
      throw new DataError(fn, `shard${g.paths.length > 1 ? 's' : ''} ${g.paths.map((p) => join(dir, p)).join(', ')} hold${g.paths.length > 1 ? '' : 's'} ${have} bytes but the manifest declares ${need} (${have < need ? 'truncated' : 'extra bytes'})`);
    }
    return shards;
  });
}

/** One shard holding `weights` back to back (float32 or int32, little-endian) and its manifest. */
export function encodeWeights(weights: readonly { name: string; w: Weight; dtype: 'float32' | 'int32' }[], shardName: string): { manifest: ManifestGroupJson[]; bytes: Uint8Array } {
  const total = weights.reduce((a, x) => a + 4 * x.w.data.length, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let o = 0;
  for (const x of weights) {
    const d = x.w.data;
    if (x.dtype === 'float32') for (let i = 0; i < d.length; i++, o += 4) view.setFloat32(o, d[i], true);
    else for (let i = 0; i < d.length; i++, o += 4) view.setInt32(o, d[i], true);
  }
  return { manifest: [{ paths: [shardName], weights: weights.map((x) => ({ name: x.name, shape: [...x.w.shape], dtype: x.dtype })) }], bytes };
}

/**
 * Write every file into `dir` under a temporary name, then rename them into place (the last file
 * listed last, so a reader that waits for it sees a complete set). On failure the temporary files
 * are removed and nothing is renamed.
 */
export function writeFilesAtomically(fn: string, dir: string, files: readonly { name: string; data: Uint8Array }[]): { files: string[] } {
  try {
    // One level at a time from the first folder that exists: Node's recursive mkdir never returns
    // under /proc (ENOENT there sends it back up for ever).
    const missing: string[] = [];
    for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
      missing.push(d);
      if (dirname(d) === d) break;
    }
    for (const d of missing.reverse()) mkdirSync(d);
  } catch (e) {
    throw new DataError(fn, `cannot create folder ${dir}: ${(e as Error).message}`);
  }
  const tag = `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const temps: string[] = [];
  try {
    for (const f of files) {
      const t = join(dir, f.name + tag);
      writeFileSync(t, f.data);
      temps.push(t);
    }
  } catch (e) {
    for (const t of temps) rmSync(t, { force: true });
    throw new DataError(fn, `cannot write into ${dir}: ${(e as Error).message}`);
  }
  const out: string[] = [];
  files.forEach((f, k) => {
    const target = join(dir, f.name);
    renameSync(temps[k], target);
    out.push(target);
  });
  return { files: out };
}
