import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { DataError, ValueError } from '../errors.ts';
import { Random } from '../util/random.ts';
import { tf } from './runtime.ts';
import { checkObject, checkStrings } from './check.ts';

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

export function readImages(files: readonly string[], options: ImageOptions): tf.Tensor4D {
  checkStrings('readImages', 'files', files);
  checkObject('readImages', 'options', options);
  const fn = 'readImages';
  const S = options.size;
  if (!Number.isInteger(S) || S < 1) throw new ValueError(fn, `size must be a positive whole number, got ${String(S)}`);
  const rnd = new Random(options.seed ?? 1);
  const crops = options.crops ?? 0;
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
