import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DataError, ValueError } from '../errors.ts';
import { Random } from '../util/random.ts';
import { checkClassificationData, checkString } from './check.ts';

/**
 * The shipped digits data (`datasets/digits.csv`: 1797 images of 8 × 8 pixels, values 0–16, label
 * column `digit`), scaled to [0, 1] (pixel / 16) and stored row after row as [1, 8, 8] images, which
 * is also the 64-feature vector a dense layer reads.
 */
export interface ClassificationData {
  /** n samples, NCHW-flattened (here 64 values per sample). */
  readonly x: Float64Array;
  readonly y: Int32Array;
  readonly n: number;
}

export function loadDigits(path?: string): ClassificationData {
  if (path !== undefined) checkString('loadDigits', 'path', path);
  const fn = 'loadDigits';
  const file = path ?? fileURLToPath(new URL('../../datasets/digits.csv', import.meta.url));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(fn, `cannot read ${file}: ${(e as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',');
  const yCol = header.indexOf('digit');
  if (yCol < 0) throw new DataError(fn, `${file} has no 'digit' column`);
  if (header.length !== 65) throw new DataError(fn, `${file} has ${header.length} columns, expected 64 pixels + digit`);
  const n = lines.length - 1;
  const x = new Float64Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const f = lines[i + 1].split(',');
    if (f.length !== 65) throw new DataError(fn, `row ${i + 1} has ${f.length} fields`);
    let p = 0;
    for (let j = 0; j < 65; j++) {
      const v = Number(f[j]);
      if (!Number.isFinite(v)) throw new DataError(fn, `row ${i + 1}, column ${header[j]} is not a number: '${f[j]}'`);
      if (j === yCol) y[i] = v;
      else x[i * 64 + p++] = v / 16;
    }
  }
  return { x, y, n };
}

/** Seeded split into a training and a held-out part (`testFraction` of the samples). */
export function trainTestSplit(d: ClassificationData, testFraction = 0.25, seed = 1): { train: ClassificationData; test: ClassificationData } {
  checkClassificationData('trainTestSplit', d);
  if (!(testFraction > 0 && testFraction < 1)) throw new ValueError('trainTestSplit', `testFraction must be in (0, 1), got ${testFraction}`);
  const per = d.x.length / d.n;
  const idx = new Random(seed).shuffle(Int32Array.from({ length: d.n }, (_, i) => i)) as Int32Array;
  const nTest = Math.round(d.n * testFraction);
  const take = (ids: Int32Array): ClassificationData => {
    const x = new Float64Array(ids.length * per);
    const y = new Int32Array(ids.length);
    ids.forEach((i, k) => {
      x.set(d.x.subarray(i * per, (i + 1) * per), k * per);
      y[k] = d.y[i];
    });
    return { x, y, n: ids.length };
  };
  return { test: take(idx.subarray(0, nTest)), train: take(idx.subarray(nTest)) };
}
