import { ShapeError, ValueError } from '../../errors.ts';
import { Random } from '../../util/random.ts';
import type { ImageSet } from '../mnist.ts';

/** Samples (x rows) with their labels, as split off by `splitValidation`. */
export interface LabelledPart<X extends Float32Array | Float64Array> {
  x: X;
  y: Int32Array;
  /** The samples' indices in the arrays that were split, ascending. */
  indices: Int32Array;
}

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string '${v.slice(0, 40)}'` : typeof v === 'object' ? 'an object of another kind' : `${typeof v} ${String(v)}`;

/**
 * Splits the samples (rows of `x`, labels `y`) into a fitting part and a validation part of
 * ⌈fraction·n⌉ samples, stratified by class: each class gives ⌊fraction·n_c⌋ samples and the
 * remaining ones go to the classes with the largest remainders, so every class keeps its share
 * in both parts up to one sample. The samples of a class are drawn in a seeded random order: the
 * same seed gives the same split. The two parts are disjoint and together hold every sample once.
 * Meant for selections (a structure, a price, a stopping point) that must not look at test data.
 */
export function splitValidation<X extends Float32Array | Float64Array>(x: X, y: Int32Array, fraction: number, seed = 1): { fit: LabelledPart<X>; validation: LabelledPart<X> } {
  const fn = 'splitValidation';
  if (!(x instanceof Float32Array || x instanceof Float64Array)) throw new ValueError(fn, `x must be a Float32Array or Float64Array of samples × features, got ${describe(x)}`);
  if (!(y instanceof Int32Array)) throw new ValueError(fn, `y must be an Int32Array of class labels, got ${describe(y)}`);
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 0.5)) throw new ValueError(fn, `fraction must be a number in (0, 0.5], got ${String(fraction)}`);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new ValueError(fn, `seed must be a finite number, got ${String(seed)}`);
  const n = y.length;
  if (n < 2) throw new ShapeError(fn, `need at least 2 samples to split, got ${n}`);
  if (x.length % n !== 0) throw new ShapeError(fn, `x has ${x.length} values, not a whole number of rows for ${n} labels`);
  const per = x.length / n;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = y[i];
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const nv = Math.ceil(fraction * n);
  // Largest-remainder apportionment of nv among the classes (ties to the smaller label).
  const take = new Map<number, number>();
  let given = 0;
  for (const c of classes) { const q = Math.floor(fraction * byClass.get(c)!.length); take.set(c, q); given += q; }
  const byRemainder = classes
    .map((c) => ({ c, r: fraction * byClass.get(c)!.length - take.get(c)! }))
    .sort((a, b) => b.r - a.r || a.c - b.c);
  for (let k = 0; given < nv; k = (k + 1) % byRemainder.length) {
    const c = byRemainder[k].c;
    if (take.get(c)! < byClass.get(c)!.length) { take.set(c, take.get(c)! + 1); given++; }
  }
  const rng = new Random(seed + 7919);
  const isValidation = new Uint8Array(n);
  for (const c of classes) {
    const ids = rng.shuffle(Int32Array.from(byClass.get(c)!)) as Int32Array;
    for (let k = 0; k < take.get(c)!; k++) isValidation[ids[k]] = 1;
  }
  const part = (flag: number): LabelledPart<X> => {
    const indices = Int32Array.from({ length: n }, (_, i) => i).filter((i) => isValidation[i] === flag);
    const px = new (x.constructor as new (len: number) => X)(indices.length * per);
    const py = new Int32Array(indices.length);
    indices.forEach((i, k) => { px.set(x.subarray(i * per, (i + 1) * per), k * per); py[k] = y[i]; });
    return { x: px, y: py, indices };
  };
  return { fit: part(0), validation: part(1) };
}

/** The ImageSet of one part of a split of `data`. */
export function imagePart(data: ImageSet, part: { x: Float32Array; y: Int32Array }): ImageSet {
  return { x: part.x, y: part.y, n: part.y.length, shape: data.shape, classes: data.classes };
}
