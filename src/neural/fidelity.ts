/**
 * Fidelity of a pruned classifier to the network it was pruned from, on the same images. Top-1
 * agreement alone misleads when the held-out images mostly fall in one class: a pruned network
 * that answers that one class for everything agrees on all of them. Beside it this reports what
 * such a network cannot hide — the class histogram of both networks' predictions, the majority
 * share (what a constant answer scores), and how far the probabilities moved (total variation,
 * Kullback–Leibler divergence, relative error).
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '../errors.ts';
import { checkOptions } from '../util/validate.ts';
import { checkTensor } from './check.ts';

export interface ClassifierFidelity {
  /** Images (rows) and classes (columns). */
  n: number;
  classes: number;
  /** Share of images whose top-1 class is the same in both networks (ties go to the lowest index, as tf.argMax). */
  agreement: number;
  /** The reference's most frequent top-1 share: the agreement of a network that always answers that class. */
  majority: number;
  /** Top-1 predictions per class: `reference[c]` images of `n` for the unpruned network, `pruned[c]` for the pruned one. */
  counts: { reference: number[]; pruned: number[] };
  /** Mean over images of the total variation ½ Σ_c |p_pruned − p_ref| (0: same probabilities, 1: disjoint). */
  tv: number;
  /** The largest total variation of one image. */
  maxTv: number;
  /** Mean over images of KL(p_ref ‖ p_pruned) = Σ_c p_ref log(p_ref / p_pruned), in nats. */
  kl: number;
  /** ‖P_pruned − P_ref‖_F / ‖P_ref‖_F over all images (probabilities, or the logits with `logits: true`). */
  relErr: number;
  /** The histograms side by side, most frequent reference class first, classes neither predicts left out: `Neutral 31/32 → 32/32, Drawing 1/32 → 0/32`. */
  histogram: string;
}

export interface ClassifierFidelityOptions {
  /** Class names for `histogram` (default `class 0`, `class 1`, …). */
  classNames?: readonly string[];
  /** The outputs are logits (softmax taken here in float64) rather than probabilities. */
  logits?: boolean;
}

/**
 * A float32 softmax rounds probabilities below about 1e-38 (and, after normalisation, often far
 * larger ones) to 0, which would make KL infinite for one such class; the pruned network's
 * probabilities are floored here, which bounds each class's term by p_ref · 27.6 nats.
 */
const KL_FLOOR = 1e-12;
/** Rows of given probabilities may miss 1 by float32 rounding over a few thousand classes, not more. */
const SUM_TOL = 1e-3;

/**
 * Fidelity of `pruned`'s outputs to `reference`'s on the same images: both [images, classes]
 * tensors of class probabilities (rows ≥ 0 summing to 1), or logits with `logits: true`. Non-finite
 * values, mismatched shapes or rows that are not probabilities are refused with a ValueError or
 * ShapeError (a pruned network that outputs NaN has no fidelity to report).
 */
export function classifierFidelity(pruned: tfc.Tensor, reference: tfc.Tensor, options: ClassifierFidelityOptions = {}): ClassifierFidelity {
  const fn = 'classifierFidelity';
  checkTensor(fn, 'pruned', pruned);
  checkTensor(fn, 'reference', reference);
  checkOptions(fn, options, ['classNames', 'logits']);
  if (reference.rank !== 2) throw new ShapeError(fn, `reference must be [images, classes], got shape [${reference.shape.join(', ')}]`);
  if (pruned.shape.length !== 2 || pruned.shape[0] !== reference.shape[0] || pruned.shape[1] !== reference.shape[1]) {
    throw new ShapeError(fn, `pruned has shape [${pruned.shape.join(', ')}], reference [${reference.shape.join(', ')}]: they must be the same [images, classes]`);
  }
  const [n, k] = reference.shape;
  if (n < 1 || k < 2) throw new ShapeError(fn, `need at least 1 image and 2 classes, got [${n}, ${k}]`);
  const logits = options.logits ?? false;
  if (typeof logits !== 'boolean') throw new ValueError(fn, `logits must be true or false, got ${String(logits)}`);
  const names = options.classNames;
  if (names !== undefined && (!Array.isArray(names) || names.length !== k || names.some((s) => typeof s !== 'string'))) {
    throw new ValueError(fn, `classNames must be an array of ${k} strings (one per class), got ${Array.isArray(names) ? `${names.length} entries` : String(names)}`);
  }
  const rows = (t: tfc.Tensor, what: string): Float64Array => {
    const v = Float64Array.from(t.dataSync());
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) throw new ValueError(fn, `${what} has a non-finite value (${v[i]}) at image ${Math.floor(i / k)}, class ${i % k}`);
    }
    if (!logits) {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < k; c++) {
          const p = v[i * k + c];
          if (p < 0) throw new ValueError(fn, `${what}: image ${i} has a negative probability ${p} (pass { logits: true } for logits)`);
          s += p;
        }
        if (Math.abs(s - 1) > SUM_TOL) throw new ValueError(fn, `${what}: the probabilities of image ${i} sum to ${s}, not 1 (pass { logits: true } for logits)`);
      }
    }
    return v;
  };
  const rawP = rows(pruned, 'pruned');
  const rawQ = rows(reference, 'reference');
  // Probabilities and log-probabilities per row; from logits by a shifted log-sum-exp.
  const prob = (raw: Float64Array): { p: Float64Array; logp: Float64Array } => {
    const p = new Float64Array(n * k);
    const logp = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      if (logits) {
        let m = -Infinity;
        for (let c = 0; c < k; c++) m = Math.max(m, raw[i * k + c]);
        let s = 0;
        for (let c = 0; c < k; c++) s += Math.exp(raw[i * k + c] - m);
        const lse = m + Math.log(s);
        for (let c = 0; c < k; c++) { logp[i * k + c] = raw[i * k + c] - lse; p[i * k + c] = Math.exp(logp[i * k + c]); }
      } else {
        for (let c = 0; c < k; c++) { p[i * k + c] = raw[i * k + c]; logp[i * k + c] = Math.log(Math.max(raw[i * k + c], KL_FLOOR)); }
      }
    }
    return { p, logp };
  };
  const P = prob(rawP);
  const Q = prob(rawQ);
  const argmax = (v: Float64Array, i: number): number => {
    let b = 0;
    for (let c = 1; c < k; c++) if (v[i * k + c] > v[i * k + b]) b = c;
    return b;
  };
  const cp = new Array<number>(k).fill(0);
  const cq = new Array<number>(k).fill(0);
  let agree = 0, tv = 0, maxTv = 0, kl = 0;
  for (let i = 0; i < n; i++) {
    const a = argmax(rawP, i), b = argmax(rawQ, i);
    cp[a]++; cq[b]++;
    if (a === b) agree++;
    let d = 0, e = 0;
    for (let c = 0; c < k; c++) {
      const j = i * k + c;
      d += Math.abs(P.p[j] - Q.p[j]);
      if (Q.p[j] > 0) e += Q.p[j] * (Q.logp[j] - P.logp[j]);
    }
    tv += d / 2;
    maxTv = Math.max(maxTv, d / 2);
    kl += e;
  }
  let num = 0, den = 0;
  for (let j = 0; j < n * k; j++) { num += (rawP[j] - rawQ[j]) ** 2; den += rawQ[j] ** 2; }
  const label = (c: number): string => (names ? names[c] : `class ${c}`);
  const order = [...Array(k).keys()].filter((c) => cq[c] > 0 || cp[c] > 0).sort((x, y) => cq[y] - cq[x] || cp[y] - cp[x] || x - y);
  return {
    n, classes: k,
    agreement: agree / n,
    majority: Math.max(...cq) / n,
    counts: { reference: cq, pruned: cp },
    tv: tv / n, maxTv, kl: kl / n,
    relErr: Math.sqrt(num / Math.max(den, 1e-300)),
    histogram: order.map((c) => `${label(c)} ${cq[c]}/${n} → ${cp[c]}/${n}`).join(', '),
  };
}
