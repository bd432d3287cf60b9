import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { DataError, ValueError } from '../errors.ts';
import { Random } from '../util/random.ts';
import { checkRuntime, tf } from './runtime.ts';
import { checkObject, checkStrings, MAX_INPUT_ENTRIES, MAX_INPUT_SIDE } from './check.ts';
import { checkOptions, checkSizeLimit } from '../util/validate.ts';

/**
 * Photographs as network inputs: PNG files decoded (pngjs), optionally randomly cropped and
 * flipped (for calibration), resized to size × size, RGB scaled to [0, 1], stacked NHWC.
 */

export interface ImageOptions {
  /** Output side (pixels). */
  readonly size: number;
  /** Random crops per image (0: the whole image once). Crops cover 60–100 % of the shorter side. */
  readonly crops?: number;
  /** Flip half of the crops left–right. */
  readonly flips?: boolean;
  readonly seed?: number;
  /** Channels: 3 (RGB) or 1 (luma). */
  readonly channels?: 1 | 3;
}

/** PNG files of a folder (sorted), or the file itself. */
export function imageFiles(path: string): string[] {
  const fn = 'imageFiles';
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new DataError(fn, `${path} does not exist`);
  }
  if (!st.isDirectory()) return [path];
  const files = readdirSync(path).filter((f) => f.toLowerCase().endsWith('.png')).sort().map((f) => join(path, f));
  if (files.length === 0) throw new DataError(fn, `${path} holds no .png images`);
  return files;
}

/** Most views (images × crops) one call makes. */
const MAX_VIEWS = 100_000;

export function readImages(files: readonly string[], options: ImageOptions): tf.Tensor4D {
  checkStrings('readImages', 'files', files);
  checkObject('readImages', 'options', options);
  const fn = 'readImages';
  checkOptions(fn, options, ['size', 'crops', 'flips', 'seed', 'channels']);
  const S = options.size;
  // Each option is read as a number of tensors or pixels: a size of 10⁶ came back as a tensor of
  // garbage (the resize kernel failed without throwing), crops of −1 or 'x' as tf's "Pass at least
  // one tensor to tf.stack", crops of 10⁷ as minutes of work before running out of memory.
  if (!Number.isInteger(S) || S < 1 || S > MAX_INPUT_SIDE) throw new ValueError(fn, `size must be a whole number from 1 to ${MAX_INPUT_SIDE}, got ${String(S)}`);
  const crops = options.crops ?? 0;
  if (!Number.isInteger(crops) || crops < 0) throw new ValueError(fn, `crops must be a whole number ≥ 0, got ${String(crops)}`);
  if (options.flips !== undefined && typeof options.flips !== 'boolean') throw new ValueError(fn, `flips must be true or false, got ${String(options.flips)}`);
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new ValueError(fn, `seed must be a whole number, got ${String(options.seed)}`);
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new ValueError(fn, `channels must be 1 or 3, got ${String(channels)}`);
  // One tensor per view, made one at a time: cap their number as well as their total size.
  checkSizeLimit(fn, 'the number of views (files × crops)', files.length * Math.max(crops, 1), MAX_VIEWS, 'each view is decoded, cropped and resized on its own');
  const entries = files.length * Math.max(crops, 1) * S * S * channels;
  if (entries > MAX_INPUT_ENTRIES) throw new ValueError(fn, `${files.length} files × ${Math.max(crops, 1)} views × ${S}² pixels × ${channels} channels is ${entries.toExponential(2)} values, above the limit ${MAX_INPUT_ENTRIES}`);
  checkRuntime(fn);
  const rnd = new Random(options.seed ?? 1);
  const out: tf.Tensor3D[] = [];
  for (const f of files) {
    let png: PNG;
    try {
      png = PNG.sync.read(readFileSync(f));
    } catch (e) {
      throw new DataError(fn, `cannot decode ${f} as PNG: ${(e as Error).message}`);
    }
    const rgba = tf.tensor3d(new Uint8Array(png.data), [png.height, png.width, 4], 'int32');
    const rgb = tf.tidy(() => tf.div(tf.cast(tf.slice(rgba, [0, 0, 0], [png.height, png.width, 3]), 'float32'), 255) as tf.Tensor3D);
    rgba.dispose();
    const views = crops === 0 ? 1 : crops;
    for (let k = 0; k < views; k++) {
      out.push(tf.tidy(() => {
        let img: tf.Tensor3D = rgb;
        if (crops > 0) {
          const side = Math.floor(Math.min(png.height, png.width) * (0.6 + 0.4 * rnd.uniform()));
          const y = Math.floor(rnd.uniform() * (png.height - side + 1));
          const x = Math.floor(rnd.uniform() * (png.width - side + 1));
          img = tf.slice(rgb, [y, x, 0], [side, side, 3]);
          if (options.flips && rnd.uniform() < 0.5) img = tf.reverse(img, 1);
        }
        let r = tf.image.resizeBilinear(img, [S, S], true) as tf.Tensor3D;
        if (options.channels === 1) r = tf.sum(tf.mul(r, tf.tensor1d([0.299, 0.587, 0.114])), 2, true) as tf.Tensor3D;
        return r;
      }));
    }
    rgb.dispose();
  }
  const batch = tf.stack(out) as tf.Tensor4D;
  tf.dispose(out);
  return batch;
}
