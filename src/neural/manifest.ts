import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataError } from '../errors.ts';

/**
 * Reader for tfjs weight manifests (`*-weights_manifest.json` + binary shards), the format
 * `tf.io` writes and face-api.js ships. The manifest is a JSON array of groups
 * `{ paths: [shard files], weights: [{ name, shape, dtype, quantization? }] }`; a group's shards are
 * concatenated and its tensors lie back to back in that byte stream, little-endian.
 * Stored element types: float32 (4 bytes), int32 (4), bool (1); quantized tensors store uint8 (1)
 * or uint16 (2) codes q with value = q·scale + min, or float16 (2, IEEE half).
 */

/** One tensor read from a manifest, as Float64Array in the stored (row-major, tfjs) order. */
export interface ManifestTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** Declared (dequantized) dtype. */
  readonly dtype: string;
  readonly data: Float64Array;
  /** Quantization used in the file, if any. */
  readonly quantization?: { readonly dtype: string; readonly scale?: number; readonly min?: number };
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

function validateManifest(fn: string, json: unknown): ManifestGroup[] {
  if (!Array.isArray(json)) throw new DataError(fn, 'a weights manifest must be a JSON array of groups');
  json.forEach((g, gi) => {
    if (g === null || typeof g !== 'object') throw new DataError(fn, `group ${gi} is not an object`);
    const grp = g as Partial<ManifestGroup>;
    if (!Array.isArray(grp.paths) || grp.paths.some((p) => typeof p !== 'string')) throw new DataError(fn, `group ${gi} has no 'paths' list of shard file names`);
    if (!Array.isArray(grp.weights)) throw new DataError(fn, `group ${gi} has no 'weights' list`);
    grp.weights.forEach((w, wi) => {
      if (w === null || typeof w !== 'object' || typeof w.name !== 'string') throw new DataError(fn, `group ${gi} weight ${wi} has no name`);
      if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DataError(fn, `weight '${w.name}' has an invalid shape`);
      if (typeof w.dtype !== 'string') throw new DataError(fn, `weight '${w.name}' has no dtype`);
    });
  });
  return json as ManifestGroup[];
}

/**
 * Decode a manifest (parsed JSON or its text) given the shard bytes of each group
 * (`shards[g][k]` = bytes of `manifest[g].paths[k]`). Throws DataError when a shard is too short,
 * a dtype is unknown, or bytes are left over.
 */
export function parseWeightsManifest(manifest: unknown, shards: readonly (readonly Uint8Array[])[]): Map<string, ManifestTensor> {
  const fn = 'parseWeightsManifest';
  let parsed = manifest;
  if (typeof manifest === 'string') {
    try {
      parsed = JSON.parse(manifest);
    } catch (e) {
      throw new DataError(fn, `the manifest text is not valid JSON: ${(e as Error).message}`);
    }
  }
  const groups = validateManifest(fn, parsed);
  // Numbers or plain objects in place of the bytes used to escape as a DataView RangeError.
  const given: unknown = shards;
  if (!Array.isArray(given) || given.some((l: unknown) => !Array.isArray(l) || l.some((b: unknown) => !(b instanceof Uint8Array)))) {
    throw new DataError(fn, 'shards must be one array of Uint8Array (the bytes of each shard file) per manifest group');
  }
  if (shards.length !== groups.length) throw new DataError(fn, `${shards.length} shard lists for ${groups.length} manifest groups`);
  const out = new Map<string, ManifestTensor>();
  groups.forEach((g, gi) => {
    if (shards[gi].length !== g.paths.length) throw new DataError(fn, `group ${gi} lists ${g.paths.length} shard files but ${shards[gi].length} were given`);
    const total = shards[gi].reduce((a, s) => a + s.length, 0);
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const s of shards[gi]) {
      bytes.set(s, o);
      o += s.length;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    for (const w of g.weights) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const stored = q ? q.dtype : w.dtype;
      const width = stored === 'float32' || stored === 'int32' ? 4 : stored === 'uint16' || stored === 'float16' ? 2 : stored === 'uint8' || stored === 'bool' ? 1 : 0;
      if (width === 0) throw new DataError(fn, `weight '${w.name}' has unsupported stored dtype '${stored}'`);
      if (q && (stored === 'uint8' || stored === 'uint16') && (typeof q.scale !== 'number' || typeof q.min !== 'number')) {
        throw new DataError(fn, `weight '${w.name}' is ${stored}-quantized but lacks scale/min`);
      }
      if (pos + size * width > total) {
        throw new DataError(fn, `weight '${w.name}' needs bytes ${pos}..${pos + size * width} but group ${gi}'s shards hold ${total} bytes`);
      }
      const data = new Float64Array(size);
      for (let i = 0; i < size; i++) {
        const at = pos + i * width;
        switch (stored) {
          case 'float32': data[i] = view.getFloat32(at, true); break;
          case 'int32': data[i] = view.getInt32(at, true); break;
          case 'bool': data[i] = view.getUint8(at) ? 1 : 0; break;
          case 'uint8': data[i] = view.getUint8(at); break;
          case 'uint16': data[i] = view.getUint16(at, true); break;
          case 'float16': data[i] = halfToFloat(view.getUint16(at, true)); break;
        }
      }
      if (q && (stored === 'uint8' || stored === 'uint16')) {
        for (let i = 0; i < size; i++) data[i] = data[i] * q.scale! + q.min!;
      }
      // A NaN or infinite weight (a corrupted shard, a diverged training run) would run through
      // every forward pass and pruning score as NaN without a word.
      for (let i = 0; i < size; i++) {
        if (!Number.isFinite(data[i])) throw new DataError(fn, `weight '${w.name}' holds a non-finite value (${data[i]}) at index ${i}: the weight file is corrupted`);
      }
      pos += size * width;
      if (out.has(w.name)) throw new DataError(fn, `weight '${w.name}' appears twice`);
      out.set(w.name, { name: w.name, shape: [...w.shape], dtype: w.dtype, data, quantization: q ? { ...q } : undefined });
    }
    if (pos !== total) throw new DataError(fn, `group ${gi}: the manifest accounts for ${pos} bytes but the shards hold ${total}`);
  });
  return out;
}

/**
 * Read `path` (a `*-weights_manifest.json`) and its shards from the same folder, returning every
 * tensor by name, dequantized to Float64Array (value = q·scale + min for uint8/uint16 codes).
 *
 * @example
 * const w = readWeightsManifest('datasets/face-api/tiny_face_detector_model-weights_manifest.json');
 * w.get('conv0/filters')!.shape // returns [3, 3, 3, 16]
 */
export function readWeightsManifest(path: string): Map<string, ManifestTensor> {
  const fn = 'readWeightsManifest';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataError(fn, `cannot read ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DataError(fn, `${path} is not valid JSON: ${(e as Error).message}`);
  }
  const groups = validateManifest(fn, json);
  const dir = dirname(path);
  const shards = groups.map((g) => g.paths.map((p) => {
    try {
      return new Uint8Array(readFileSync(join(dir, p)));
    } catch (e) {
      throw new DataError(fn, `cannot read shard ${p} next to ${path}: ${(e as Error).message}`);
    }
  }));
  return parseWeightsManifest(groups, shards);
}
