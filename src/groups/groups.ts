import { GroupError, ShapeError, ValueError } from '../errors.ts';
import { callerName, checkChoice, checkOptions } from '../util/validate.ts';

/**
 * Groups of features stored CSR-style: group g owns `indices[ptr[g] .. ptr[g+1])`. The same flat
 * layout serves partitions, overlapping groups (an index may repeat across groups) and fast loops.
 * `weights[g]` is d_g in the penalty λ Σ_g d_g ‖w_g‖₂; d_g = 0 marks an unpenalized group.
 */
export interface GroupStructure {
  /** Number of features (columns of the design) the groups index into. */
  readonly nFeatures: number;
  readonly nGroups: number;
  /** nGroups + 1 offsets into `indices`. */
  readonly ptr: Int32Array;
  /** Member feature indices, group after group. */
  readonly indices: Int32Array;
  /** d_g ≥ 0 per group (default √|g|; 0 = unpenalized). */
  readonly weights: Float64Array;
  /** A printable name per group (the label, or `g<k>` for member lists). */
  readonly names: readonly string[];
  /** True when some feature belongs to more than one group. */
  readonly overlapping: boolean;
  /** For each feature, the group that owns it (−1 if none; the first one when overlapping). */
  readonly groupOf: Int32Array;
}

/** A label per column (null/undefined = no group), or lists of member indices, or a built structure. */
export type GroupSpec =
  | ArrayLike<string | number | null | undefined>
  | ReadonlyArray<ArrayLike<number>>
  | GroupStructure;

/** How default weights are made from the group size p_g. */
export type WeightRule = 'sqrt' | 'one';

export interface GroupOptions {
  /** Per-group weights d_g (finite, ≥ 0), or a rule: 'sqrt' (default, d_g = √p_g) or 'one'. */
  weights?: ArrayLike<number> | WeightRule;
  /**
   * Features in no group: 'error' (default) refuses them; 'unpenalized' appends each as its own
   * group of weight 0, so it is fitted without penalty and never dropped.
   */
  ungrouped?: 'error' | 'unpenalized';
  /** Allow a feature in several groups (default false: overlapping groups are refused). */
  allowOverlap?: boolean;
  /** Group names (for member-list specs). */
  names?: readonly string[];
}

/** A GroupStructure at a public entry (O(1): the arrays' presence and sizes, not their contents). */
function checkStructure(fn: string, gs: unknown): asserts gs is GroupStructure {
  if (!isGroupStructure(gs) || !Number.isInteger(gs.nGroups) || gs.ptr.length !== gs.nGroups + 1) {
    throw new GroupError(fn, 'expected a GroupStructure (from makeGroups)');
  }
}

export function isGroupStructure(x: unknown): x is GroupStructure {
  return typeof x === 'object' && x !== null && (x as GroupStructure).ptr instanceof Int32Array &&
    (x as GroupStructure).indices instanceof Int32Array && (x as GroupStructure).weights instanceof Float64Array;
}

/**
 * Build and validate a group structure over `nFeatures` features.
 *
 * - A label per column: columns with the same label form a group, in order of first appearance;
 *   null/undefined means "no group".
 * - Member lists: `[[0, 1, 2], [3, 4]]`; each list must be non-empty, in range, integer and free of
 *   duplicates.
 * Default weights d_g = √p_g (p_g the group size), the usual scaling that makes λ_max comparable
 * across group sizes.
 */
export function makeGroups(spec: GroupSpec, nFeatures: number, options: GroupOptions = {}, fn = 'makeGroups'): GroupStructure {
  if (!Number.isInteger(nFeatures) || nFeatures < 0) throw new ShapeError(fn, `invalid number of features ${nFeatures}`);
  // Typos in option names and modes are reported up front (they were ignored, or only noticed
  // when some feature happened to be ungrouped).
  if (options === null) options = {};
  checkOptions(fn, options, ['weights', 'ungrouped', 'allowOverlap', 'names']);
  if (options.ungrouped !== undefined) checkChoice(fn, 'ungrouped mode', options.ungrouped, ['error', 'unpenalized'] as const);
  if (spec === null || spec === undefined) throw new GroupError(fn, 'groups are missing');
  if (isGroupStructure(spec)) {
    if (spec.nFeatures !== nFeatures) {
      throw new ShapeError(fn, `groups were built for ${spec.nFeatures} features but the design has ${nFeatures} columns`);
    }
    if (spec.overlapping && !options.allowOverlap) {
      throw new GroupError(fn, 'groups overlap, which this penalty does not allow (use fitOverlappingGroupLasso)');
    }
    if (options.weights === undefined) return spec;
    return withWeights(spec, options.weights, fn);
  }
  const arr = spec as ArrayLike<unknown>;
  if (typeof arr.length !== 'number') throw new GroupError(fn, 'groups must be a label per column or an array of index arrays');
  let lists: number[][];
  let names: string[];
  const isLists = arr.length > 0 && typeof arr[0] === 'object' && arr[0] !== null;
  if (isLists) {
    lists = [];
    for (let g = 0; g < arr.length; g++) {
      const m = arr[g] as ArrayLike<unknown>;
      if (m === null || typeof m !== 'object' || typeof m.length !== 'number') {
        throw new GroupError(fn, `group ${g} is not an array of indices`);
      }
      if (m.length === 0) throw new GroupError(fn, `group ${g} is empty`);
      const list: number[] = [];
      for (let k = 0; k < m.length; k++) {
        const j = m[k];
        if (typeof j !== 'number' || !Number.isInteger(j)) {
          throw new GroupError(fn, `group ${g} has a non-integer index ${String(j)}`);
        }
        if (j < 0 || j >= nFeatures) {
          throw new ShapeError(fn, `group ${g} has index ${j} out of range [0, ${nFeatures})`);
        }
        list.push(j);
      }
      lists.push(list);
    }
    names = options.names ? [...options.names] : lists.map((_, g) => `g${g}`);
    if (names.length !== lists.length) throw new ShapeError(fn, `names has ${names.length} entries for ${lists.length} groups`);
  } else {
    if (arr.length !== nFeatures) {
      throw new ShapeError(fn, `groups has ${arr.length} labels but the design has ${nFeatures} columns`);
    }
    const order = new Map<string, number[]>();
    for (let j = 0; j < nFeatures; j++) {
      const lab = arr[j];
      if (lab === null || lab === undefined) continue;
      if (typeof lab !== 'string' && typeof lab !== 'number') {
        throw new GroupError(fn, `label of column ${j} must be a string or number, got ${typeof lab}`);
      }
      if (typeof lab === 'number' && !Number.isFinite(lab)) throw new GroupError(fn, `label of column ${j} is ${lab}`);
      const key = String(lab);
      let list = order.get(key);
      if (!list) {
        list = [];
        order.set(key, list);
      }
      list.push(j);
    }
    lists = [...order.values()];
    names = [...order.keys()];
  }
  // Duplicates inside a group (`mark` = last group that touched j) and overlaps between groups.
  const owner = new Int32Array(nFeatures).fill(-1);
  const mark = new Int32Array(nFeatures).fill(-1);
  let overlapping = false;
  for (let g = 0; g < lists.length; g++) {
    for (const j of lists[g]) {
      if (mark[j] === g) throw new GroupError(fn, `group ${names[g]} lists index ${j} twice`);
      mark[j] = g;
      if (owner[j] >= 0) {
        if (!options.allowOverlap) {
          throw new GroupError(fn, `feature ${j} is in groups ${names[owner[j]]} and ${names[g]}: overlapping groups are not allowed here (use fitOverlappingGroupLasso)`);
        }
        overlapping = true;
      } else {
        owner[j] = g;
      }
    }
  }
  const nUser = lists.length;
  const ungrouped: number[] = [];
  for (let j = 0; j < nFeatures; j++) if (owner[j] < 0) ungrouped.push(j);
  if (ungrouped.length > 0) {
    const mode = options.ungrouped ?? 'error';
    if (mode === 'error') {
      const shown = ungrouped.slice(0, 5).join(', ') + (ungrouped.length > 5 ? ', …' : '');
      throw new GroupError(fn, `${ungrouped.length} feature(s) are in no group (${shown}); put them in a group or pass ungrouped: 'unpenalized'`);
    }
    if (mode !== 'unpenalized') throw new GroupError(fn, `ungrouped must be 'error' or 'unpenalized', got '${String(mode)}'`);
    for (const j of ungrouped) {
      lists.push([j]);
      names.push(`x${j}`);
      owner[j] = lists.length - 1;
    }
  }
  if (lists.length === 0) throw new GroupError(fn, 'there are no groups');
  const ptr = new Int32Array(lists.length + 1);
  for (let g = 0; g < lists.length; g++) ptr[g + 1] = ptr[g] + lists[g].length;
  const indices = new Int32Array(ptr[lists.length]);
  for (let g = 0; g < lists.length; g++) indices.set(lists[g], ptr[g]);
  const base: GroupStructure = {
    nFeatures, nGroups: lists.length, ptr, indices,
    weights: new Float64Array(lists.length),
    names, overlapping, groupOf: owner,
  };
  const w = resolveWeights(base, options.weights, nUser, fn);
  return { ...base, weights: w };
}

function resolveWeights(gs: GroupStructure, spec: ArrayLike<number> | WeightRule | undefined, nUser: number, fn: string): Float64Array {
  const w = new Float64Array(gs.nGroups);
  if (spec === undefined || spec === 'sqrt' || spec === 'one') {
    for (let g = 0; g < nUser; g++) w[g] = spec === 'one' ? 1 : Math.sqrt(gs.ptr[g + 1] - gs.ptr[g]);
    return w;
  }
  if (typeof spec === 'string') checkChoice(fn, 'weight rule', spec, ['sqrt', 'one'] as const); // throws OptionError
  if (spec === null || typeof spec !== 'object') throw new ValueError(fn, `weights must be an array with one entry per group or 'sqrt' / 'one', got ${spec === null ? 'null' : typeof spec}`);
  if (typeof spec.length !== 'number') throw new ValueError(fn, 'weights must be an array with one entry per group');
  if (spec.length !== nUser) throw new ShapeError(fn, `weights has ${spec.length} entries but there are ${nUser} groups`);
  for (let g = 0; g < nUser; g++) {
    const v = spec[g];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(fn, `weight of group ${gs.names[g]} is not finite (${String(v)})`);
    if (v < 0) throw new ValueError(fn, `weight of group ${gs.names[g]} is negative (${v})`);
    w[g] = v;
  }
  // A weight this far under the largest makes the threshold λ·d_g smaller than the rounding of the
  // gradient it is compared with, as a λ under 1e-16·λ_max does: no dual point resolves it and every
  // solver stalls at a relative gap near 1. Weight 0 (unpenalized) is what such a group means.
  let wmax = 0;
  for (let g = 0; g < nUser; g++) wmax = Math.max(wmax, w[g]);
  for (let g = 0; g < nUser; g++) {
    if (w[g] > 0 && w[g] < WEIGHT_RESOLUTION * wmax) {
      throw new ValueError(fn, `weight of group ${gs.names[g]} (${w[g]}) is below ${WEIGHT_RESOLUTION} times the largest (${wmax}): float64 cannot tell it from 0; give it weight 0 to leave the group unpenalized`);
    }
  }
  return w;
}

/** Relative size under which a positive group weight is refused (see resolveWeights). */
const WEIGHT_RESOLUTION = 1e-16;

/** Same groups, new weights. */
export function withWeights(gs: GroupStructure, weights: ArrayLike<number> | WeightRule, fn = 'withWeights'): GroupStructure {
  fn = callerName(fn, 'withWeights');
  checkStructure(fn, gs);
  return { ...gs, weights: resolveWeights(gs, weights, gs.nGroups, fn) };
}

/** Size p_g of group g. */
export function groupSize(gs: GroupStructure, g: number): number {
  checkStructure('groupSize', gs);
  if (typeof g !== 'number' || !Number.isInteger(g) || g < 0 || g >= gs.nGroups) {
    throw new GroupError('groupSize', `group index must be a whole number from 0 to ${gs.nGroups - 1}, got ${String(g)}`);
  }
  return gs.ptr[g + 1] - gs.ptr[g];
}

/**
 * Groups over the p·T coefficients of a multi-task model whose coefficient matrix W (p × T) is
 * stored column-major (W[j, t] at t·p + j): group g of features becomes the block of all its
 * features' coefficients across tasks, of size p_g·T. Weights are kept as given (d_g refers to the
 * feature group; callers choose √(p_g) or √(p_g·T) explicitly).
 */
export function expandForTasks(gs: GroupStructure, T: number): GroupStructure {
  checkStructure('expandForTasks', gs);
  const p = gs.nFeatures;
  // p·T sizes the index arrays: a huge T would allocate until memory runs out.
  if (typeof T !== 'number' || !Number.isInteger(T) || T < 1 || p * T > 2 ** 31 - 1) {
    throw new ValueError('expandForTasks', `T (the number of tasks) must be a whole number ≥ 1 with ${p}·T below 2^31, got ${String(T)}`);
  }
  if (T === 1) return gs;
  const ptr = new Int32Array(gs.nGroups + 1);
  for (let g = 0; g < gs.nGroups; g++) ptr[g + 1] = ptr[g] + (gs.ptr[g + 1] - gs.ptr[g]) * T;
  const indices = new Int32Array(ptr[gs.nGroups]);
  const groupOf = new Int32Array(p * T).fill(-1);
  for (let g = 0; g < gs.nGroups; g++) {
    let k = ptr[g];
    for (let t = 0; t < T; t++) {
      for (let q = gs.ptr[g]; q < gs.ptr[g + 1]; q++) {
        const c = t * p + gs.indices[q];
        indices[k++] = c;
        if (groupOf[c] < 0) groupOf[c] = g;
      }
    }
  }
  return { nFeatures: p * T, nGroups: gs.nGroups, ptr, indices, weights: gs.weights, names: gs.names, overlapping: gs.overlapping, groupOf };
}

/** Group structure from `{ name: memberIndices }` pairs, keeping insertion order. */
export function groupsFromRecord(rec: Record<string, ArrayLike<number>>, nFeatures: number, options: Omit<GroupOptions, 'names'> = {}): GroupStructure {
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
    throw new GroupError('groupsFromRecord', `expected a record { name: memberIndices }, got ${rec === null ? 'null' : Array.isArray(rec) ? 'an array' : typeof rec}`);
  }
  const names = Object.keys(rec);
  return makeGroups(names.map((k) => Array.from(rec[k])), nFeatures, { ...options, names }, 'groupsFromRecord');
}
