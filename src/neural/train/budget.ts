import { ShapeError, ValueError } from '../../errors.ts';
import { checkOptions, deadlineFrom } from '../../util/validate.ts';
import type { ImageSet } from '../mnist.ts';
import { accuracy, FlatParams, fullBatch, type ClassifierLoss } from './params.ts';
import { imagePart, splitValidation } from './validation.ts';
import { trainProximal, type ProximalOptions } from './proximal.ts';
import {
  aliveUnits, allKept, count, groupStructureOf, outgoingIndices, structureFlops, structureParameters, netStructure, unitGroups, unitIndices,
  type KeptUnits, type NetStructure, type UnitGroup,
} from './structure.ts';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { NormScope } from '../prune.ts';
import { batchOf } from './params.ts';
import { checkImageSet, checkModelOrNet, checkNet, checkObject } from '../check.ts';

/** Training settings shared by the path, the fine-tuning and the baseline (same for every method). */
export type TrainSettings = Pick<ProximalOptions, 'optimizer' | 'lr' | 'momentum' | 'batchSize' | 'seed' | 'loss'>;

/** One way of choosing the kept structure, as `pruneToFlops`'s `'auto'` method screens them. */
export type BudgetCandidate =
  | { method: 'cost'; /** Exponent a of the FLOP price I_u / ΔF^a (default 0.5; 0 ranks by contribution alone). */ exponent?: number }
  | { method: 'norm'; /** 'global' (default): raw norms; 'layer': each over its stage's mean (see `normOrder`). */ scope?: NormScope }
  | { method: 'path' };

export interface BudgetOptions extends TrainSettings {
  /** Fraction of the model's FLOPs the pruned structure may use, in (0, 1]. */
  budget: number;
  /**
   * 'auto' (default): every structure of `candidates` is cut from the given weights, fine-tuned
   * briefly (`selectEpochs`) on the training data minus a held-out validation split
   * (`validation`), and the one with the best validation accuracy (then the lowest validation
   * loss) is fine-tuned on all the training data — `test` is only read to report accuracies, never
   * in the choice. Group-norm ranking is among the default candidates, so the choice can only lose to it
   * by the noise of the validation split (see `selection` in the result);
   * 'cost': a price on FLOPs over each unit's data-aware contribution, rms(activation) ×
   * ‖outgoing weights‖ measured on (up to 512 samples of) `data` — see `costOrder`;
   * 'path': proximal training along a rising λ (warm-started), units removed in the order
   * in which their groups vanish, ties at one λ broken by the smaller norm one step earlier;
   * 'norm': global ranking of the units' coupled-group L2 norms in the given weights (the baseline;
   * raw, or each over its stage's mean with `normScope: 'layer'`).
   */
  method?: 'auto' | 'cost' | 'path' | 'norm';
  /** 'norm': 'global' (default) ranks raw norms, 'layer' each norm over the mean of its stage's. */
  normScope?: NormScope;
  /** 'cost': the exponent a of the price I_u / ΔF^a (default 0.5, see `costOrder`). */
  exponent?: number;
  /** 'auto': the structures screened (default: cost with a = 0, 0.5, 1, and norm ranking). */
  candidates?: readonly BudgetCandidate[];
  /**
   * 'auto': the samples that score the candidates — a fraction in (0, 0.5] of `data` held out by
   * `splitValidation` (stratified by class, seeded by `seed`; default 0.25), or explicit samples
   * `{ x, y }` shaped like `data` (then the candidates are fitted on all of `data`).
   */
  validation?: number | { x: Float32Array; y: Int32Array };
  /** 'auto': epochs of fine-tuning each candidate gets before it is scored (default `fineTuneEpochs`). */
  selectEpochs?: number;
  /** Penalized groups of the path (default: outgoing unit groups, Wen et al.'s channels). */
  groups?: readonly UnitGroup[];
  /** First λ of the path (default 1e-4) and the ratio between steps (default 1.6). */
  lambdaStart?: number;
  lambdaRatio?: number;
  /** Most λ steps before giving up on the path and ranking what is left by norm (default 30). */
  maxSteps?: number;
  /** Epochs of proximal training per λ (default 1). */
  pathEpochs?: number;
  /**
   * 'path': the weights fine-tuning starts from — 'dense' (default), the given weights masked to
   * the path's structure (the path only chooses the structure), or 'path', the penalized point one
   * λ step before the budget was crossed. The penalized point carries the group lasso's shrinkage
   * into a short fine-tuning: on the 45-37-21 digits MLP with 4 cosine epochs it ended at 94.2 / 94.0 %
   * test accuracy at 25 / 50 % FLOPs, the dense start at 96.7 / 97.3 % (group-norm ranking 84.6 / 96.2 %).
   */
  pathStart?: 'path' | 'dense';
  /** Epochs of fine-tuning the kept structure (λ = 0, pruned weights held at 0; default 2). */
  fineTuneEpochs?: number;
  /**
   * Step-size schedule of every fine-tuning (the candidates' screening and the final one; default
   * 'cosine'). With a constant step the accuracy reached after a few epochs swings by ±2 points
   * with the minibatch order (measured on digits MLPs), which drowns the differences between
   * structures; the cosine decay ends near a minimizer, so reruns agree and comparisons mean something.
   */
  fineTuneSchedule?: 'constant' | 'cosine';
  test?: ImageSet;
  onProgress?: (p: BudgetProgress) => boolean | void;
  signal?: AbortSignal;
  /**
   * Time budget in seconds for the whole call: the phase running when it is spent stops at its
   * next step and the later ones are skipped (status 'time limit reached'); the structure returned
   * still fits the FLOP budget.
   */
  maxTime?: number;
}

export interface BudgetProgress {
  phase: 'path' | 'select' | 'fine-tune';
  lambda?: number;
  /** FLOPs of the structure alive at this point. */
  flops: number;
  trainAccuracy?: number;
  objective?: number;
  kkt?: number;
  /** 'select': the candidate just scored and its validation accuracy. */
  candidate?: string;
  validationAccuracy?: number;
}

/** How one candidate of the 'auto' method scored on the validation split. */
export interface CandidateScore {
  candidate: string;
  flops: number;
  structure: number[];
  validationAccuracy: number;
  validationLoss: number;
}

export interface BudgetResult {
  method: 'auto' | 'cost' | 'path' | 'norm';
  /** The candidate whose structure was kept ('cost(0.5)', 'norm', 'path', …; for 'auto' the one picked). */
  picked: string;
  /** 'auto': every candidate's validation score, in the order screened (empty otherwise). */
  selection: CandidateScore[];
  budget: number;
  flopsFull: number;
  /** FLOPs of the kept structure (≤ budget · flopsFull, always). */
  flops: number;
  parametersFull: number;
  parameters: number;
  kept: KeptUnits;
  /** Kept units per stage (input first, logits last). */
  structure: number[];
  /** The units removed, (stage, unit), in the order they were removed. */
  removed: Array<[number, number]>;
  /** 'path': the λ at which the kept structure was reached; 'cost': the FLOP price; null for 'norm'. */
  price: number | null;
  /** The raw path: λ and the FLOPs of the structure alive after training at it. */
  path: { lambda: number; flops: number }[];
  /** Test accuracy (or training accuracy without test data) right after pruning and after fine-tuning. */
  accuracyBefore: number;
  accuracyAfter: number;
  /** 'finished', or why it stopped early. */
  status: string;
}

const KEYS = [
  'budget', 'method', 'exponent', 'candidates', 'validation', 'selectEpochs', 'groups', 'lambdaStart', 'lambdaRatio', 'maxSteps', 'pathEpochs', 'pathStart',
  'normScope', 'fineTuneEpochs', 'fineTuneSchedule', 'test', 'onProgress', 'signal', 'maxTime', 'optimizer', 'lr', 'momentum', 'batchSize', 'seed', 'loss',
] as const;

/** Why work should stop now (the caller's signal, or the time budget spent), or null. */
function stopReason(signal: AbortSignal | undefined, deadline: number | undefined): string | null {
  if (signal?.aborted) return 'stopped by signal';
  if (deadline !== undefined && performance.now() > deadline) return 'time limit reached';
  return null;
}

/** Seconds left before `deadline` (performance.now() ms) for a nested call's maxTime; undefined without one. */
function timeLeft(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(1e-6, (deadline - performance.now()) / 1000);
}

const DEFAULT_CANDIDATES: readonly BudgetCandidate[] = [
  { method: 'cost', exponent: 0 }, { method: 'cost', exponent: 0.5 }, { method: 'cost', exponent: 1 }, { method: 'norm' }, { method: 'norm', scope: 'layer' },
];

const candidateName = (c: BudgetCandidate): string =>
  c.method === 'cost' ? `cost(${c.exponent ?? 0.5})` : c.method === 'norm' && c.scope === 'layer' ? 'norm(layer)' : c.method;

/** An order of removal, the weights fine-tuning starts from, and what the order's method reports. */
interface Ordered {
  order: Array<[number, number]>;
  start: Float64Array;
  price: number | null;
  path: { lambda: number; flops: number }[];
  status: string;
}

/**
 * Prunes `model` in place (its variables end as the fine-tuned, masked weights) so that the kept
 * units fit `budget` of its FLOPs. Units are removed one at a time along an order (price, path or
 * norm) until the structure fits, skipping a unit that would empty its stage, so the FLOPs fall
 * monotonically along the order and the budget is never exceeded; a budget below the smallest
 * network (one unit per stage) is refused. With 'auto' several orders are screened on a validation
 * split carved from `data` and the best is kept (see `BudgetOptions.method`).
 */
export function pruneToFlops(model: tfl.LayersModel | NetStructure, data: ImageSet, options: BudgetOptions): BudgetResult {
  checkModelOrNet('pruneToFlops', model);
  checkImageSet('pruneToFlops', data);
  checkObject('pruneToFlops', 'options', options);
  const fn = 'pruneToFlops';
  checkOptions(fn, options, KEYS);
  const deadline = deadlineFrom(fn, options.maxTime);
  const net = 'stages' in model ? model : netStructure(model);
  const budget = options.budget;
  if (!(typeof budget === 'number' && budget > 0 && budget <= 1)) throw new ValueError(fn, `budget must be a fraction in (0, 1], got ${budget}`);
  const method = options.method ?? 'auto';
  if (method !== 'auto' && method !== 'cost' && method !== 'path' && method !== 'norm') {
    throw new ValueError(fn, `method must be 'auto', 'cost', 'path' or 'norm', got '${String(method)}'`);
  }
  const full = allKept(net);
  const flopsFull = structureFlops(net, full);
  const limit = budget * flopsFull;
  const minimal = net.stages.map((s, i) => { const k = new Uint8Array(s.units); if (i === net.stages.length - 1) k.fill(1); else k[0] = 1; return k; });
  if (structureFlops(net, minimal) > limit) {
    throw new ValueError(fn, `budget ${budget} (${Math.round(limit)} FLOPs) is below the smallest network, one unit per stage (${structureFlops(net, minimal)} FLOPs)`);
  }
  const settings: TrainSettings = { optimizer: options.optimizer, lr: options.lr, momentum: options.momentum, batchSize: options.batchSize, seed: options.seed, loss: options.loss };
  const loss: ClassifierLoss = options.loss ?? 'softmax';
  const schedule = options.fineTuneSchedule ?? 'cosine';
  const params = new FlatParams(net);
  const theta0 = Float64Array.from(params.theta);
  let scale: Float64Array[] | null = null;
  const orderOf = (c: BudgetCandidate, on: ImageSet): Ordered => {
    if (c.method === 'cost') {
      const a = c.exponent ?? 0.5;
      if (!(typeof a === 'number' && a >= 0 && Number.isFinite(a))) throw new ValueError(fn, `the cost exponent must be a finite number ≥ 0, got ${a}`);
      // Measured on the fitting part only, so the validation samples play no part in the candidates.
      scale ??= activationScale(net, on);
      const r = costOrder(net, theta0, limit, scale, a);
      return { order: r.order, start: theta0, price: r.price, path: [], status: 'finished' };
    }
    if (c.method === 'norm') return { order: normOrder(net, theta0, checkScope(fn, c.scope ?? 'global')), start: theta0, price: null, path: [], status: 'finished' };
    if (c.method === 'path') {
      const o = pathOrder(net, params, on, limit, options, settings, fn, deadline);
      const from = options.pathStart ?? 'dense';
      if (from !== 'path' && from !== 'dense') throw new ValueError(fn, `pathStart must be 'path' or 'dense', got '${String(from)}'`);
      return from === 'dense' ? { ...o, start: theta0 } : o;
    }
    throw new ValueError(fn, `unknown candidate method '${String((c as { method: unknown }).method)}'`);
  };
  const masked = (start: Float64Array, kept: KeptUnits): Uint8Array => {
    const frozen = frozenMask(net, kept);
    params.theta.set(start);
    for (let i = 0; i < frozen.length; i++) if (frozen[i]) params.theta[i] = 0;
    params.push();
    return frozen;
  };

  let chosen: Ordered;
  let picked: string;
  const selection: CandidateScore[] = [];
  if (method === 'auto') {
    const candidates = options.candidates ?? DEFAULT_CANDIDATES;
    if (!Array.isArray(candidates) || candidates.length === 0) throw new ValueError(fn, 'candidates must be a non-empty array of { method, exponent? }');
    const selectEpochs = options.selectEpochs ?? options.fineTuneEpochs ?? 2;
    if (!(Number.isInteger(selectEpochs) && selectEpochs >= 0)) throw new ValueError(fn, `selectEpochs must be an integer ≥ 0, got ${selectEpochs}`);
    const { fit, validation } = validationSplit(data, options.validation ?? 0.25, options.seed ?? 1, fn);
    let best: { ordered: Ordered; name: string; score: CandidateScore } | null = null;
    const seen = new Map<string, CandidateScore>();
    for (const c of candidates) {
      if (stopReason(options.signal, deadline)) break;
      params.theta.set(theta0);
      params.push();
      const name = candidateName(c);
      const ordered = orderOf(c, fit);
      const kept = removeAlong(net, ordered.order, limit);
      // Two candidates that keep the same units from the same weights score the same: screen once.
      const key = kept.map((k) => k.join('')).join('|') + (ordered.start === theta0 ? '' : `|${name}`);
      let score = seen.get(key);
      if (score) {
        score = { ...score, candidate: name };
      } else {
        const frozen = masked(ordered.start, kept);
        if (selectEpochs > 0) trainProximal(net, fit, { ...settings, schedule, lambda: 0, groups: [], frozen, epochs: selectEpochs, signal: options.signal, maxTime: timeLeft(deadline) });
        const v = fullBatch(params, validation, loss, false);
        score = { candidate: name, flops: structureFlops(net, kept), structure: kept.map(count), validationAccuracy: v.correct / validation.n, validationLoss: v.loss };
        seen.set(key, score);
      }
      selection.push(score);
      const go = options.onProgress?.({ phase: 'select', flops: score.flops, candidate: name, validationAccuracy: score.validationAccuracy });
      if (!best || score.validationAccuracy > best.score.validationAccuracy
        || (score.validationAccuracy === best.score.validationAccuracy && score.validationLoss < best.score.validationLoss)) {
        best = { ordered, name, score };
      }
      if (go === false) break;
    }
    if (!best) {
      // Stopped before any candidate was scored: fall back to the first, unscreened.
      best = { ordered: orderOf(candidates[0], fit), name: candidateName(candidates[0]), score: null as unknown as CandidateScore };
    }
    chosen = best.ordered;
    picked = best.name;
    const why = stopReason(options.signal, deadline);
    if (why) chosen = { ...chosen, status: why };
    else if (selection.length < candidates.length) chosen = { ...chosen, status: 'stopped by callback' };
  } else {
    const c: BudgetCandidate = method === 'cost' ? { method, exponent: options.exponent } : method === 'norm' ? { method, scope: options.normScope } : { method };
    chosen = orderOf(c, data);
    picked = candidateName(c);
  }

  const kept = removeAlong(net, chosen.order, limit);
  const removed = chosen.order.filter(([s, u]) => !kept[s][u]);
  const flops = structureFlops(net, kept);
  const frozen = masked(chosen.start, kept);
  const evalSet = options.test ?? data;
  const accuracyBefore = accuracy(net, evalSet, loss);
  let accuracyAfter = accuracyBefore;
  const ft = options.fineTuneEpochs ?? 2;
  if (ft > 0 && chosen.status === 'finished') {
    trainProximal(net, data, {
      ...settings, schedule, lambda: 0, groups: [], frozen, epochs: ft, signal: options.signal, maxTime: timeLeft(deadline),
      onProgress: (p) => options.onProgress?.({ phase: 'fine-tune', flops, trainAccuracy: p.trainAccuracy, objective: p.objective, kkt: p.kkt }),
    });
    accuracyAfter = accuracy(net, evalSet, loss);
  }
  return {
    method, picked, selection, budget, flopsFull, flops, parametersFull: structureParameters(net, full), parameters: structureParameters(net, kept), kept,
    structure: kept.map(count), removed, price: chosen.price, path: chosen.path, accuracyBefore, accuracyAfter, status: chosen.status,
  };
}

/** The fitting and validation parts of `data` for the 'auto' selection (see `BudgetOptions.validation`). */
function validationSplit(data: ImageSet, v: unknown, seed: number, fn: string): { fit: ImageSet; validation: ImageSet } {
  if (typeof v === 'number') {
    if (!(v > 0 && v <= 0.5)) throw new ValueError(fn, `validation must be a fraction in (0, 0.5] or { x, y } samples, got ${v}`);
    if (data.n < 2) throw new ValueError(fn, `a validation fraction needs at least 2 training samples, got ${data.n}`);
    const s = splitValidation(data.x, data.y, v, seed);
    return { fit: imagePart(data, s.fit), validation: imagePart(data, s.validation) };
  }
  const o = v as { x?: unknown; y?: unknown } | null;
  if (o === null || typeof o !== 'object' || !(o.x instanceof Float32Array) || !(o.y instanceof Int32Array)) {
    throw new ValueError(fn, 'validation must be a fraction in (0, 0.5] or { x: Float32Array, y: Int32Array } samples shaped like the data');
  }
  const per = data.x.length / data.n;
  const n = o.y.length;
  if (n < 1 || o.x.length !== n * per) throw new ShapeError(fn, `validation: x has ${o.x.length} values for ${n} labels, expected ${n} × ${per}`);
  for (let i = 0; i < n; i++) {
    const c = o.y[i];
    if (!(c >= 0 && c < data.classes)) throw new ValueError(fn, `validation: label ${c} at ${i} is outside 0…${data.classes - 1}`);
  }
  return { fit: data, validation: { x: o.x, y: o.y, n, shape: data.shape, classes: data.classes } };
}

/**
 * The 'path' order: proximal training along a rising λ (warm-started) on `data`, units ranked by
 * the step at which they vanish for good, then by their norm one step earlier.
 */
function pathOrder(net: NetStructure, params: FlatParams, data: ImageSet, limit: number, options: BudgetOptions, settings: TrainSettings, fn: string, deadline: number | undefined): Ordered {
  const flopsFull = structureFlops(net, allKept(net));
  const path: { lambda: number; flops: number }[] = [];
  let price: number | null = null;
  let status = 'finished';
  const groups = options.groups ?? unitGroups(net);
  groupStructureOf(net, groups, undefined, fn);
  const ratio = options.lambdaRatio ?? 1.6;
  if (!(ratio > 1)) throw new ValueError(fn, `lambdaRatio must be > 1, got ${ratio}`);
  let lambda = options.lambdaStart ?? 1e-4;
  if (!(lambda > 0)) throw new ValueError(fn, `lambdaStart must be > 0, got ${lambda}`);
  const maxSteps = options.maxSteps ?? 30;
  // vanished[(s,u)] = step at which the unit died for good; norms before that step break ties.
  const unitKey = (s: number, u: number) => `${s}:${u}`;
  const vanishedAt = new Map<string, number>();
  const normBefore = new Map<string, number>();
  let prevTheta = Float64Array.from(params.theta);
  let prevNorms = unitNorms(net, prevTheta);
  let refinements = 0;
  let prevLambda = lambda;
  for (let step = 0; step < maxSteps; step++) {
    const why = stopReason(options.signal, deadline);
    if (why) { status = why; break; }
    const r = trainProximal(net, data, { ...settings, lambda, groups, epochs: options.pathEpochs ?? 1, signal: options.signal, maxTime: timeLeft(deadline) });
    params.pull();
    const alive = aliveUnits(net, params.theta);
    const flops = structureFlops(net, alive);
    if (flops < 0.8 * limit && refinements < 3 && step > 0) {
      // Overshot well below the budget in one step: go back to the last point and climb in
      // smaller steps (λ stays increasing, so the path stays monotone in λ).
      refinements++;
      params.theta.set(prevTheta);
      params.push();
      lambda = prevLambda * Math.sqrt(lambda / prevLambda);
      continue;
    }
    path.push({ lambda, flops });
    for (let s = 0; s < net.stages.length - 1; s++) {
      for (let u = 0; u < net.stages[s].units; u++) {
        const key = unitKey(s, u);
        if (!alive[s][u]) {
          if (!vanishedAt.has(key)) { vanishedAt.set(key, step); normBefore.set(key, prevNorms.get(key)!); }
        } else {
          vanishedAt.delete(key); // revived: its vanishing point is later
        }
      }
    }
    const go = options.onProgress?.({ phase: 'path', lambda, flops, trainAccuracy: r.trainAccuracy, objective: r.objective, kkt: r.kkt });
    if (flops <= limit) {
      price = lambda;
      break;
    }
    if (go === false) { status = 'stopped by callback'; break; }
    prevTheta = Float64Array.from(params.theta);
    prevNorms = unitNorms(net, prevTheta);
    prevLambda = lambda;
    // While nothing has vanished yet, climb twice as fast (in log λ).
    lambda *= flops === flopsFull ? ratio * ratio : ratio;
  }
  // Start fine-tuning from the last point whose alive structure still contains the kept one:
  // the step before the budget was crossed (units that died there are ranked by their norm then).
  const finalNorms = unitNorms(net, prevTheta);
  const keys: Array<{ s: number; u: number; step: number; norm: number }> = [];
  for (let s = 0; s < net.stages.length - 1; s++) {
    for (let u = 0; u < net.stages[s].units; u++) {
      const key = unitKey(s, u);
      const step = vanishedAt.get(key);
      keys.push({ s, u, step: step ?? Infinity, norm: step === undefined ? finalNorms.get(key)! : normBefore.get(key)! });
    }
  }
  keys.sort((a, b) => a.step - b.step || a.norm - b.norm);
  return { order: keys.map((k) => [k.s, k.u]), start: prevTheta, price, path, status };
}

/**
 * Units in the order a price on FLOPs removes them: unit u of stage s is worth keeping while
 * I_u ≥ price · ΔF_s^a, where I_u is its importance (with `scale`, the data-aware contribution
 * rms(a_u)·‖outgoing_u‖; else the coupled-group norm ‖θ_u‖), ΔF_s the FLOPs its removal saves
 * given the units still kept (the same for every unit of a stage) and a = `exponent`. Raising the
 * price removes units one at a time — always the one with the smallest I_u / ΔF_s^a — so the kept
 * set shrinks monotonically with the price; `price` is the ratio of the last unit removed before
 * the FLOPs fit `limit` (the smallest price that fits). a = 1 is a full price per FLOP, which
 * empties the widest-fan layers first; a = 0 ranks by contribution alone. No one exponent wins on
 * every network after fine-tuning (measured on digits MLPs of 1–3 hidden layers: a = 1 won at 25 %
 * FLOPs on narrow deep nets, a = 0 or ½ at 50–75 %), which is why the 'auto' method screens several;
 * a = ½ (the default here) still prefers expensive units among equally important ones.
 */
export function costOrder(net: NetStructure, theta: Float64Array, limit: number, scale?: readonly Float64Array[], exponent = 0.5): { order: Array<[number, number]>; price: number } {
  checkNet('costOrder', net);
  const norms = scale ? contributionNorms(net, theta, scale) : unitNorms(net, theta);
  const L = net.stages.length - 1;
  const queues: number[][] = [];
  for (let s = 0; s < L; s++) {
    const units = Array.from({ length: net.stages[s].units }, (_, u) => u);
    units.sort((a, b) => norms.get(`${s}:${a}`)! - norms.get(`${s}:${b}`)!);
    queues.push(units);
  }
  const kept = allKept(net);
  const left = kept.map(count);
  const head = new Int32Array(L);
  const order: Array<[number, number]> = [];
  let price = 0;
  let flops = structureFlops(net, kept);
  for (;;) {
    let best = -1;
    let bestRatio = Infinity;
    for (let s = 0; s < L; s++) {
      if (head[s] >= queues[s].length || left[s] <= 1) continue;
      kept[s][queues[s][head[s]]] = 0;
      const saved = flops - structureFlops(net, kept);
      kept[s][queues[s][head[s]]] = 1;
      const ratio = norms.get(`${s}:${queues[s][head[s]]}`)! / Math.max(saved, 1e-300) ** exponent;
      if (ratio < bestRatio) { bestRatio = ratio; best = s; }
    }
    if (best < 0) break;
    const u = queues[best][head[best]++];
    kept[best][u] = 0;
    left[best]--;
    flops = structureFlops(net, kept);
    order.push([best, u]);
    if (flops > limit) price = bestRatio;
    else if (price === 0 || order.length === 1) price = bestRatio;
    if (flops <= limit) break;
  }
  return { order, price };
}

/**
 * Root-mean-square activation of every unit on `data` (up to `maxSamples` samples, inference mode):
 * for stage s, what the next Conv2D / Dense layer reads of unit u — after activation, BN and
 * pooling; every spatial position counted. Index [s][u]; the last stage (logits) is not measured.
 */
export function activationScale(net: NetStructure, data: ImageSet, maxSamples = 512): Float64Array[] {
  const n = Math.min(data.n, maxSamples);
  const ids = Array.from({ length: n }, (_, k) => Math.floor((k * data.n) / n));
  const out = net.stages.map((st) => new Float64Array(st.units));
  const counts = net.stages.map(() => 0);
  for (let start = 0; start < n; start += 256) {
    const { x, y } = batchOf(data, ids.slice(start, start + 256));
    y.dispose();
    let h: tf.Tensor = x;
    let stage = 0;
    for (const layer of net.model.layers) {
      const cls = layer.getClassName();
      if (cls === 'Conv2D' || cls === 'Dense') {
        // h is what this layer reads: the units of stage `stage`, channel = last index mod units.
        const C = net.stages[stage].units;
        const v = h.dataSync();
        const acc = out[stage];
        for (let i = 0; i < v.length; i++) acc[i % C] += v[i] * v[i];
        counts[stage] += v.length / C;
        stage++;
      }
      const next = layer.apply(h, { training: false }) as tf.Tensor;
      h.dispose();
      h = next;
    }
    h.dispose();
  }
  out.forEach((a, s) => { for (let u = 0; u < a.length; u++) a[u] = counts[s] > 0 ? Math.sqrt(a[u] / counts[s]) : 0; });
  return out;
}

/**
 * How much unit u of stage s feeds the next layer: rms(a_u) · ‖outgoing weights of u‖ (the RMS
 * change of the next layer's pre-activations when the unit is removed, for uncorrelated inputs). A
 * unit whose input is always 0 (the blank border of a digit) scores 0 whatever its weights.
 */
function contributionNorms(net: NetStructure, theta: Float64Array, scale: readonly Float64Array[]): Map<string, number> {
  const out = new Map<string, number>();
  for (let s = 0; s < net.stages.length - 1; s++) {
    for (let u = 0; u < net.stages[s].units; u++) {
      let q = 0;
      for (const i of outgoingIndices(net, s, u)) q += theta[i] * theta[i];
      out.set(`${s}:${u}`, scale[s][u] * Math.sqrt(q));
    }
  }
  return out;
}

/**
 * Units (stage, unit) in ascending order of their coupled-group L2 norm — the usual importance —
 * raw ('global', default) or each over the mean norm of its stage ('layer').
 */
export function normOrder(net: NetStructure, theta: Float64Array, scope: NormScope = 'global'): Array<[number, number]> {
  checkNet('normOrder', net);
  checkScope('normOrder', scope);
  const norms = unitNorms(net, theta);
  const all: Array<{ s: number; u: number; n: number }> = [];
  for (let s = 0; s < net.stages.length - 1; s++) {
    // 'layer': raw norms are not comparable across stages (input pixels' outgoing weights against a
    // hidden layer's), so each is taken over its stage's mean, as Torch-Pruning normalises importance.
    let mean = 1;
    if (scope === 'layer') {
      mean = 0;
      for (let u = 0; u < net.stages[s].units; u++) mean += norms.get(`${s}:${u}`)!;
      mean /= net.stages[s].units;
    }
    for (let u = 0; u < net.stages[s].units; u++) all.push({ s, u, n: mean > 0 ? norms.get(`${s}:${u}`)! / mean : 0 });
  }
  all.sort((a, b) => a.n - b.n);
  return all.map((a) => [a.s, a.u]);
}

function checkScope(fn: string, scope: unknown): NormScope {
  if (scope !== 'global' && scope !== 'layer') throw new ValueError(fn, `the norm scope must be 'global' or 'layer', got ${String(scope)}`);
  return scope;
}

function unitNorms(net: NetStructure, theta: Float64Array): Map<string, number> {
  const out = new Map<string, number>();
  for (let s = 0; s < net.stages.length - 1; s++) {
    for (let u = 0; u < net.stages[s].units; u++) {
      let q = 0;
      for (const i of unitIndices(net, s, u)) q += theta[i] * theta[i];
      out.set(`${s}:${u}`, Math.sqrt(q));
    }
  }
  return out;
}

/** Removes units along `order` until the FLOPs fit `limit`; never empties a stage. */
export function removeAlong(net: NetStructure, order: ReadonlyArray<readonly [number, number]>, limit: number, start?: KeptUnits): KeptUnits {
  checkNet('removeAlong', net);
  const kept = start ? start.map((k) => Uint8Array.from(k)) : allKept(net);
  const left = kept.map(count);
  let flops = structureFlops(net, kept);
  for (const [s, u] of order) {
    if (flops <= limit) break;
    if (!kept[s][u] || left[s] <= 1) continue;
    kept[s][u] = 0;
    left[s]--;
    flops = structureFlops(net, kept);
  }
  if (flops > limit) throw new ValueError('pruneToFlops', `the order leaves ${flops} FLOPs, above the budget ${limit}`);
  return kept;
}

/** 1 for every parameter of a removed unit (incoming, BN, outgoing). */
export function frozenMask(net: NetStructure, kept: KeptUnits): Uint8Array {
  checkNet('frozenMask', net);
  const mask = new Uint8Array(net.size);
  for (let s = 0; s < net.stages.length - 1; s++) {
    for (let u = 0; u < net.stages[s].units; u++) if (!kept[s][u]) for (const i of unitIndices(net, s, u)) mask[i] = 1;
  }
  return mask;
}

export interface IterativeOptions extends TrainSettings {
  budget: number;
  /** Prune → fine-tune rounds; the FLOP target falls geometrically from 1 to `budget` (default 4). */
  steps?: number;
  /** Fine-tuning epochs after each pruning round (default 1). */
  epochsPerStep?: number;
  /** Group penalty during the fine-tuning rounds, on the kept units' outgoing groups (default 0). */
  lambda?: number;
  test?: ImageSet;
  onProgress?: (p: { step: number; target: number; flops: number; structure: number[]; accuracy: number }) => boolean | void;
  signal?: AbortSignal;
  /** Time budget in seconds: no round starts after it is spent (status 'time limit reached'). */
  maxTime?: number;
}

/**
 * Iterative pruning as Torch-Pruning users schedule it: each round ranks the kept units by their
 * coupled-group norm in the current weights, removes the weakest until the round's FLOP target
 * fits, and fine-tunes (optionally with the group penalty) with the removed weights held at 0.
 */
export function iterativePrune(model: tfl.LayersModel | NetStructure, data: ImageSet, options: IterativeOptions): BudgetResult {
  checkModelOrNet('iterativePrune', model);
  checkImageSet('iterativePrune', data);
  checkObject('iterativePrune', 'options', options);
  const fn = 'iterativePrune';
  checkOptions(fn, options, ['budget', 'steps', 'epochsPerStep', 'lambda', 'test', 'onProgress', 'signal', 'maxTime', 'optimizer', 'lr', 'momentum', 'batchSize', 'seed', 'loss']);
  const deadline = deadlineFrom(fn, options.maxTime);
  const net = 'stages' in model ? model : netStructure(model);
  const budget = options.budget;
  if (!(typeof budget === 'number' && budget > 0 && budget <= 1)) throw new ValueError(fn, `budget must be a fraction in (0, 1], got ${budget}`);
  const steps = options.steps ?? 4;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new ValueError(fn, `steps must be a positive integer, got ${steps}`);
  const settings: TrainSettings = { optimizer: options.optimizer, lr: options.lr, momentum: options.momentum, batchSize: options.batchSize, seed: options.seed, loss: options.loss };
  const loss = options.loss ?? 'softmax';
  const full = allKept(net);
  const flopsFull = structureFlops(net, full);
  const params = new FlatParams(net);
  let kept = full;
  const evalSet = options.test ?? data;
  const accuracyStart = accuracy(net, evalSet, loss);
  let status = 'finished';
  let accuracyBefore = accuracyStart;
  for (let k = 1; k <= steps; k++) {
    const why = stopReason(options.signal, deadline);
    if (why) { status = why; break; }
    const target = budget ** (k / steps);
    params.pull();
    kept = removeAlong(net, normOrder(net, params.theta), target * flopsFull, kept);
    const frozen = frozenMask(net, kept);
    for (let i = 0; i < frozen.length; i++) if (frozen[i]) params.theta[i] = 0;
    params.push();
    if (k === steps) accuracyBefore = accuracy(net, evalSet, loss);
    const lambda = options.lambda ?? 0;
    const groups = lambda > 0 ? unitGroups(net).filter((g) => kept[g.stage][g.unit]) : [];
    trainProximal(net, data, { ...settings, lambda, groups, frozen, epochs: options.epochsPerStep ?? 1, signal: options.signal, maxTime: timeLeft(deadline) });
    const acc = accuracy(net, evalSet, loss);
    if (options.onProgress?.({ step: k, target, flops: structureFlops(net, kept), structure: kept.map(count), accuracy: acc }) === false) {
      status = 'stopped by callback';
      break;
    }
  }
  // Held-at-zero weights may have been revived by nothing; the penalty rounds may have killed more
  // units, which the structure now drops too.
  params.pull();
  const alive = aliveUnits(net, params.theta);
  const final = kept.map((k, s) => (s === net.stages.length - 1 ? k : Uint8Array.from(k, (v, u) => v & alive[s][u])));
  return {
    method: 'norm', picked: 'norm', selection: [], budget, flopsFull, flops: structureFlops(net, final), parametersFull: structureParameters(net, full), parameters: structureParameters(net, final), kept: final,
    structure: final.map(count), removed: [], price: null, path: [], accuracyBefore, accuracyAfter: accuracy(net, evalSet, loss), status,
  };
}
