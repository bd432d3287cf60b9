/**
 * classifierFidelity against a naive oracle on hand-made probability tables: argmax by indexOf(max),
 * total variation by the identity TV(p, q) = 1 − Σ_c min(p_c, q_c) (not the ½ Σ|p − q| the code
 * sums), KL term by term and in closed form, softmax written out. The constant-answer case is the
 * reason the function exists: its agreement is high and its probability error is not.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../src/index.ts';
import { Random } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';

const { tf } = neural;
const NAMES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
beforeAll(async () => {
  await neural.initRuntime();
});

/** Rows as float32 would hold them: the oracle sees the same numbers the tensor does. */
const f32 = (rows: number[][]): number[][] => rows.map((r) => r.map(Math.fround));

function oracle(pruned: number[][], ref: number[][]) {
  const P = f32(pruned), Q = f32(ref);
  const arg = (r: number[]): number => r.indexOf(Math.max(...r));
  const n = Q.length;
  let agree = 0, tv = 0, kl = 0;
  const cp = Array(Q[0].length).fill(0), cq = Array(Q[0].length).fill(0);
  for (let i = 0; i < n; i++) {
    if (arg(P[i]) === arg(Q[i])) agree++;
    cp[arg(P[i])]++; cq[arg(Q[i])]++;
    tv += 1 - P[i].reduce((s, p, c) => s + Math.min(p, Q[i][c]), 0);
    kl += Q[i].reduce((s, q, c) => (q > 0 ? s + q * Math.log(q / P[i][c]) : s), 0);
  }
  return { agreement: agree / n, tv: tv / n, kl: kl / n, cp, cq, majority: Math.max(...cq) / n };
}

function fid(pruned: number[][], ref: number[][], options?: neural.ClassifierFidelityOptions): neural.ClassifierFidelity {
  const p = tf.tensor2d(pruned), r = tf.tensor2d(ref);
  try {
    return neural.classifierFidelity(p, r, options);
  } finally {
    tf.dispose([p, r]);
  }
}

/** 31 confident "Neutral" rows and one confident "Drawing" row, like nsfwjs on the held-out photographs. */
const oneClassSet = (): number[][] => [
  ...Array.from({ length: 31 }, () => [0.01, 0.01, 0.96, 0.01, 0.01]),
  [0.96, 0.01, 0.01, 0.01, 0.01],
];

describe('classifierFidelity', () => {
  it('a constant answer of the majority class: top-1 agreement high, total variation large', () => {
    const ref = oneClassSet();
    const constant = ref.map(() => [0.19, 0.19, 0.24, 0.19, 0.19]);
    const f = fid(constant, ref, { classNames: NAMES });
    const o = oracle(constant, ref);
    expect(f.agreement).toBe(31 / 32);
    expect(f.majority).toBe(31 / 32);
    // Against the oracle: 31 images at 1 − (4·0.01 + 0.24) = 0.72 and one at 1 − (0.19 + 0.01 + 0.01 + 0.01 + 0.01) = 0.77.
    expect(o.tv).toBeCloseTo((31 * 0.72 + 0.77) / 32, 6);
    expect(f.tv).toBeCloseTo(o.tv, 6);
    expect(f.tv).toBeGreaterThan(0.7);
    expect(f.maxTv).toBeCloseTo(0.77, 6);
    expect(f.kl).toBeCloseTo(o.kl, 6);
    expect(f.kl).toBeGreaterThan(1);
    expect(f.counts.reference).toEqual(o.cq);
    expect(f.counts.pruned).toEqual([0, 0, 32, 0, 0]);
    expect(f.histogram).toBe('Neutral 31/32 → 32/32, Drawing 1/32 → 0/32');
  });

  it('identical outputs: agreement 1, every error 0', () => {
    const ref = oneClassSet();
    const f = fid(ref, ref);
    expect(f.agreement).toBe(1);
    expect(f.tv).toBe(0);
    expect(f.maxTv).toBe(0);
    expect(f.kl).toBe(0);
    expect(f.relErr).toBe(0);
    expect(f.histogram).toBe('class 2 31/32 → 31/32, class 0 1/32 → 1/32');
  });

  it('random probability tables: every figure as the oracle computes it', () => {
    const rng = new Random(7);
    const table = (n: number, k: number): number[][] => Array.from({ length: n }, () => {
      const e = Array.from({ length: k }, () => Math.exp(2 * rng.normal()));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
    const ref = table(40, 6), pruned = table(40, 6);
    const f = fid(pruned, ref);
    const o = oracle(pruned, ref);
    expect(f.n).toBe(40);
    expect(f.classes).toBe(6);
    expect(f.agreement).toBe(o.agreement);
    expect(f.majority).toBe(o.majority);
    expect(f.counts.pruned).toEqual(o.cp);
    expect(f.counts.reference).toEqual(o.cq);
    expect(f.tv).toBeCloseTo(o.tv, 6);
    expect(f.kl).toBeCloseTo(o.kl, 6);
    const P = f32(pruned).flat(), Q = f32(ref).flat();
    const rel = Math.hypot(...P.map((p, j) => p - Q[j])) / Math.hypot(...Q);
    expect(f.relErr).toBeCloseTo(rel, 6);
  });

  it('KL in closed form: KL((½, ½) ‖ (¼, ¾)) = ½ ln(4/3)', () => {
    const f = fid([[0.25, 0.75]], [[0.5, 0.5]]);
    expect(f.kl).toBeCloseTo(0.5 * Math.log(4 / 3), 7);
    expect(f.tv).toBeCloseTo(0.25, 7);
    // The tie (½, ½) goes to class 0, as tf.argMax; the pruned row picks class 1.
    expect(f.agreement).toBe(0);
  });

  it('logits: the softmax written out gives the same figures as the probabilities', () => {
    const logitsRef = [[2, 0, -1], [0.5, 0.4, 3], [-2, 1, 1.5]];
    const logitsPr = [[1, 0.5, -1], [0.2, 0.9, 2], [1, 1, -3]];
    const softmax = (r: number[]): number[] => {
      const e = r.map((v) => Math.exp(v));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const fromLogits = fid(logitsPr, logitsRef, { logits: true });
    const fromProbs = fid(logitsPr.map(softmax), logitsRef.map(softmax));
    expect(fromLogits.agreement).toBe(fromProbs.agreement);
    expect(fromLogits.tv).toBeCloseTo(fromProbs.tv, 6);
    expect(fromLogits.kl).toBeCloseTo(fromProbs.kl, 6);
    // A constant added to a row of logits leaves the probabilities alone, not the logits' error.
    const shifted = fid(logitsRef.map((r) => r.map((v) => v + 5)), logitsRef, { logits: true });
    expect(shifted.tv).toBeCloseTo(0, 7);
    expect(shifted.kl).toBeCloseTo(0, 7);
    expect(shifted.relErr).toBeGreaterThan(1);
  });

  it('refuses what it cannot measure, in its own name', () => {
    const ref = [[0.5, 0.5], [0.2, 0.8]];
    const call = (p: unknown, r: unknown, o?: unknown) => () => tf.tidy(() => {
      neural.classifierFidelity(p as never, r as never, o as never);
    });
    expect(call(tf.tensor2d([[NaN, 0.5], [0.2, 0.8]]), tf.tensor2d(ref))).toThrow(ValueError);
    expect(call(tf.tensor2d([[NaN, 0.5], [0.2, 0.8]]), tf.tensor2d(ref))).toThrow(/^classifierFidelity: pruned has a non-finite value \(NaN\) at image 0, class 0$/);
    expect(call(tf.tensor2d([[0.5, 0.5]]), tf.tensor2d(ref))).toThrow(ShapeError);
    expect(call(tf.tensor1d([0.5, 0.5]), tf.tensor1d([0.5, 0.5]))).toThrow(/^classifierFidelity: reference must be \[images, classes\]/);
    expect(call(tf.tensor2d([[2, 1], [0, 3]]), tf.tensor2d(ref))).toThrow(/^classifierFidelity: pruned: the probabilities of image 0 sum to 3, not 1 \(pass \{ logits: true \} for logits\)$/);
    expect(call(tf.tensor2d(ref), tf.tensor2d(ref), { classNames: ['a'] })).toThrow(/^classifierFidelity: classNames must be an array of 2 strings/);
    expect(call(tf.tensor2d(ref), tf.tensor2d(ref), { logit: true })).toThrow(/^classifierFidelity: unknown option 'logit' \(did you mean 'logits'\?\)/);
    expect(call([[0.5, 0.5]], tf.tensor2d(ref))).toThrow(/^classifierFidelity: pruned must be a tf.Tensor/);
  });
});
