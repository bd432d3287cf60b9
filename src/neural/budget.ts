import { ValueError } from '../errors.ts';
import { nrm2Indexed } from '../linalg/blas.ts';
import { checkOptions, checkPositiveInt } from '../util/validate.ts';
import { compactSequential, keptUnits } from './compact.ts';
import { keptFlops, sequentialFlops } from './cost.ts';
import { coupledGroups, type CoupledGroups } from './groups.ts';
import { cloneSequential, type Sequential } from './layers.ts';
import { checkTrainable, evaluateClassifier, trainSequential } from './train.ts';

/**
 * Structured pruning to a compute budget by a Lagrange price on FLOPs.
 *
 * With cost-weighted penalties d_g = cost_g / mean(cost) (cost_g = FLOPs per sample that unit g
 * removes, coupling included), the penalized problem
 *   min_w (1/n) Σ CE(f(x_s; w), y_s) + λ Σ_g d_g ‖w_g‖₂
 * charges each unit its compute: λ is the price of one (mean-cost) unit. The kept structure's
 * FLOPs F(λ) fall as λ grows; bisection on log λ finds the smallest price with F(λ) ≤ B. Every
 * evaluation fine-tunes a copy of the given (trained) model for `epochs` epochs of proximal Adam.
 * The returned network is always on the feasible side: its FLOPs never exceed the budget. The
 * kept structure is then fine-tuned without penalty (pruned units held at zero), which removes the
 * shrinkage bias of the penalty.
 */

export interface BudgetOptions {
  /** FLOPs per sample allowed (one multiply-add = 2 FLOPs; see `sequentialFlops`). */
  budgetFlops: number;
  /** Proximal fine-tuning epochs per price evaluated (default 3). */
  epochs?: number;
  /**
   * Plain fine-tuning epochs of the final kept structure, mask fixed (default 5); run from the
   * penalized weights and from the original weights of the kept units, keeping the lower loss.
   */
  finetuneEpochs?: number;
  lr?: number;
  batchSize?: number;
  seed?: number;
  /** Bisection steps on log λ after bracketing (default 10; stops early once hi/lo < 1.01). */
  bisections?: number;
  /** First price tried (default 1, the scale at which proximal Adam starts pruning). */
  lambdaStart?: number;
}

export interface BudgetStep {
  readonly lambda: number;
  readonly flops: number;
  readonly loss: number;
  readonly feasible: boolean;
}

export interface BudgetResult {
  /** The price λ of the returned structure (0 when nothing had to be pruned). */
  readonly price: number;
  readonly budget: number;
  /** FLOPs per sample of the kept structure (≤ budget). */
  readonly flops: number;
  /** FLOPs per sample of the unpruned model. */
  readonly totalFlops: number;
  /** Kept units per prunable layer (indices into the original layer). */
  readonly kept: number[][];
  /** Names of the prunable layers and their original / kept sizes. */
  readonly structure: { layer: string; units: number; kept: number }[];
  /** The trained model with pruned groups exactly zero (original shapes). */
  readonly masked: Sequential;
  /** The same network with pruned units deleted. */
  readonly compact: Sequential;
  /** Mean cross-entropy and accuracy of the result on the given data. */
  readonly loss: number;
  readonly accuracy: number;
  /** Every price evaluated, in order. */
  readonly history: BudgetStep[];
  /** 'bisection' normally; 'greedy' when the price path collapsed a layer and a greedy repair was used. */
  readonly method: 'bisection' | 'greedy' | 'none';
}

const KEYS = ['budgetFlops', 'epochs', 'finetuneEpochs', 'lr', 'batchSize', 'seed', 'bisections', 'lambdaStart'] as const;

/** Smallest FLOPs a usable pruned network can have: one unit kept in every prunable layer. */
export function minimalFlops(model: Sequential, cg: CoupledGroups = coupledGroups(model)): number {
  return keptFlops(model, cg.links, cg.links.map(() => 1));
}

function unitNorms(model: Sequential, cg: CoupledGroups): Float64Array {
  const out = new Float64Array(cg.nUnits);
  for (let g = 0; g < cg.nUnits; g++) out[g] = nrm2Indexed(model.params, cg.groups.indices, cg.groups.ptr[g], cg.groups.ptr[g + 1]);
  return out;
}

function frozenOf(cg: CoupledGroups, kept: number[][]): number[] {
  const keep = cg.links.map((l, i) => {
    const s = new Uint8Array(l.units);
    for (const u of kept[i]) s[u] = 1;
    return s;
  });
  const out: number[] = [];
  for (let g = 0; g < cg.nUnits; g++) {
    const { link, unit } = cg.unitOf[g];
    if (!keep[link][unit]) for (let k = cg.groups.ptr[g]; k < cg.groups.ptr[g + 1]; k++) out.push(cg.groups.indices[k]);
  }
  return out;
}

/**
 * Prune a trained classifier to at most `budgetFlops` FLOPs per sample (see the module comment for
 * the objective). Throws ValueError when the budget is ≤ 0, not finite, larger than the model's
 * total FLOPs, or below the smallest usable structure (one unit per prunable layer).
 *
 * @example
 * const r = pruneToBudget(trained, { x, y }, { budgetFlops: 0.3 * sequentialFlops(trained) });
 * r.flops <= r.budget // returns true
 */
export function pruneToBudget(model: Sequential, data: { x: ArrayLike<number>; y: ArrayLike<number> }, options: BudgetOptions): BudgetResult {
  const fn = 'pruneToBudget';
  checkOptions(fn, options, KEYS);
  checkTrainable(model, fn);
  if (!data || typeof data !== 'object') throw new ValueError(fn, 'data must be { x, y }');
  checkOptions(fn, data, ['x', 'y', 'n']);
  const B = options.budgetFlops;
  if (typeof B !== 'number' || !Number.isFinite(B)) throw new ValueError(fn, `budgetFlops must be a finite number, got ${String(B)}`);
  if (B <= 0) throw new ValueError(fn, `budgetFlops must be > 0, got ${B}`);
  const total = sequentialFlops(model);
  if (B > total) throw new ValueError(fn, `budgetFlops (${B}) exceeds the model's total cost (${total} FLOPs per sample): nothing needs pruning`);
  const cg = coupledGroups(model, { weights: 'cost' });
  const floor = minimalFlops(model, cg);
  if (B < floor) throw new ValueError(fn, `budgetFlops (${B}) is below the smallest usable structure (${floor} FLOPs per sample, one unit per prunable layer)`);
  const epochs = checkPositiveInt(fn, 'epochs', options.epochs ?? 3);
  const finetune = options.finetuneEpochs ?? 5;
  if (!Number.isInteger(finetune) || finetune < 0) throw new ValueError(fn, `finetuneEpochs must be a whole number ≥ 0, got ${String(finetune)}`);
  const lr = options.lr ?? 0.01;
  const batchSize = options.batchSize ?? 32;
  const seed = options.seed ?? 1;
  const bisections = options.bisections ?? 10;
  const lambdaStart = options.lambdaStart ?? 1;
  if (!(lambdaStart > 0) || !Number.isFinite(lambdaStart)) throw new ValueError(fn, `lambdaStart must be > 0, got ${String(lambdaStart)}`);

  const structureOf = (kept: number[][]) => cg.links.map((l, i) => ({ layer: model.layers[l.producer].name, units: l.units, kept: kept[i].length }));
  const finish = (pruned: Sequential, kept: number[][], price: number, history: BudgetStep[], method: BudgetResult['method']): BudgetResult => {
    const frozen = frozenOf(cg, kept);
    // Fine-tune the kept structure from two starts — the shrunk weights of the penalized run and
    // the original weights restricted to the kept units (no shrinkage bias) — and keep the one
    // with the lower training loss.
    const starts = finetune > 0 && method !== 'none' ? [pruned, cloneSequential(model)] : [pruned];
    let masked = starts[0];
    let best = Infinity;
    for (const m of starts) {
      if (finetune > 0) trainSequential(m, data.x, data.y, { epochs: finetune, lr, batchSize, seed: seed + 7919, frozenZero: frozen });
      else for (const i of frozen) m.params[i] = 0;
      const l = starts.length > 1 ? evaluateClassifier(m, data.x, data.y).loss : 0;
      if (l < best) {
        best = l;
        masked = m;
      }
    }
    const compact = compactSequential(masked, kept, cg.links);
    const flops = sequentialFlops(compact);
    if (flops > B) throw new ValueError(fn, `internal check failed: ${flops} FLOPs exceed the budget ${B}`);
    const ev = evaluateClassifier(compact, data.x, data.y);
    return { price, budget: B, flops, totalFlops: total, kept, structure: structureOf(kept), masked, compact, loss: ev.loss, accuracy: ev.accuracy, history, method };
  };

  if (B >= total) {
    const kept = cg.links.map((l) => Array.from({ length: l.units }, (_, i) => i));
    return finish(cloneSequential(model), kept, 0, [], 'none');
  }

  const history: BudgetStep[] = [];
  type Eval = { lambda: number; model: Sequential; kept: number[][]; flops: number; feasible: boolean; collapsed: boolean };
  const evaluate = (lambda: number): Eval => {
    const m = cloneSequential(model);
    trainSequential(m, data.x, data.y, { epochs, lr, batchSize, seed, lambda, groups: cg.groups });
    const kept = keptUnits(m, cg);
    const flops = keptFlops(model, cg.links, kept.map((k) => k.length));
    const collapsed = kept.some((k) => k.length === 0);
    const feasible = flops <= B;
    history.push({ lambda, flops, loss: evaluateClassifier(m, data.x, data.y).loss, feasible: feasible && !collapsed });
    return { lambda, model: m, kept, flops, feasible, collapsed };
  };

  // Bracket: lo infeasible (too many FLOPs), hi feasible.
  let lo: Eval | null = null;
  let hi: Eval | null = null;
  let e = evaluate(lambdaStart);
  if (e.feasible) {
    hi = e;
    for (let t = 0; t < 40 && !lo; t++) {
      e = evaluate(hi.lambda / 2);
      if (e.feasible) hi = e;
      else lo = e;
    }
  } else {
    lo = e;
    for (let t = 0; t < 40 && !hi; t++) {
      e = evaluate(lo.lambda * 2);
      if (e.feasible) hi = e;
      else lo = e;
    }
  }
  if (lo && hi) {
    for (let t = 0; t < bisections && hi.lambda / lo.lambda > 1.01; t++) {
      const mid = evaluate(Math.sqrt(lo.lambda * hi.lambda));
      if (mid.feasible) hi = mid;
      else lo = mid;
    }
  }
  if (hi && !hi.collapsed) return finish(hi.model, hi.kept, hi.lambda, history, 'bisection');

  // Repair: the feasible side emptied a layer (or no feasible price was found). Rank units of the
  // last infeasible model by norm per unit of cost (the price at which each would be pruned) and
  // keep them greedily, one per layer first, while the budget allows.
  const base = (lo ?? hi)!;
  const norms = unitNorms(base.model, cg);
  const order = Array.from({ length: cg.nUnits }, (_, g) => g).sort((a, b) => norms[b] / cg.groups.weights[b] - norms[a] / cg.groups.weights[a]);
  const kept: number[][] = cg.links.map(() => []);
  for (const g of order) {
    const { link, unit } = cg.unitOf[g];
    if (kept[link].length === 0) kept[link].push(unit);
  }
  for (const g of order) {
    const { link, unit } = cg.unitOf[g];
    if (kept[link].includes(unit)) continue;
    const counts = kept.map((k) => k.length);
    counts[link]++;
    if (keptFlops(model, cg.links, counts) <= B) kept[link].push(unit);
  }
  kept.forEach((k) => k.sort((a, b) => a - b));
  return finish(cloneSequential(base.model), kept, base.lambda, history, 'greedy');
}
