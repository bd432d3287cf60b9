/**
 * Sufficient statistics of a design in one aggregate pass: n, Σw, and sums of products of the
 * shifted columns x̃ = x − s (s a conditioning shift close to the mean, so no sum is a difference
 * of two large numbers), optionally weighted and split by fold:
 *
 *   Σ w, Σ w x̃_j, Σ w ỹ, Σ w ỹ², Σ w x̃_j ỹ, Σ w x̃_a x̃_b (a ≤ b).
 *
 * The statement is one SELECT of SUMs (GROUP BY the fold when folds are asked for), cut into
 * several statements of at most `maxAggregates` SUMs when p is large (PostgreSQL allows 1664
 * result columns). Products of two dummies of one categorical variable are known without reading
 * a row (0 off the diagonal, x² = x on it) and are not computed.
 */
import { DataError } from '../errors.ts';
import type { GramQuadratic } from '../solvers/gram.ts';
import { runPass, valueKey, type PassListener, type SqlDesign } from './design.ts';
import type { SqlSource, SqlValue } from './source.ts';
import { num } from './sql.ts';

/** Sums of one group of rows (all rows, or one fold). */
export interface DesignSums {
  p: number;
  /** Row count. */
  count: number;
  /** Σ w. */
  sw: number;
  /** Σ w x̃_j. */
  sx: Float64Array;
  /** Σ w ỹ, Σ w ỹ². */
  sy: number;
  syy: number;
  /** Σ w x̃_j ỹ. */
  sxy: Float64Array;
  /** Σ w x̃ x̃ᵀ (p × p, both triangles). */
  G: Float64Array;
  /** Extra aggregates asked for, in order. */
  extra: number[];
}

/** What one statistics pass computes. */
export interface SumsRequest {
  /** SQL of the response entering the sums (default the design's y). */
  response?: string;
  /** Shift of that response (default the design's). */
  responseShift?: number;
  /** SQL of the row weight (default 1). */
  weight?: string;
  /** SQL of the fold label (an integer expression), to get sums per fold too. */
  fold?: string;
  /** Number of folds (labels 0…K−1). */
  nFolds?: number;
  /** Extra SUM arguments (SQL), returned in `extra`. */
  extra?: readonly string[];
  /** Most SUMs per statement (default 1500). */
  maxAggregates?: number;
  /** What the pass is for (progress messages). */
  what?: string;
  /** Rows to read instead of the source's relation filtered by the design's WHERE (a subquery with an alias). */
  from?: string;
}

/** Sums of all rows, and per fold when asked. */
export interface SumsResult {
  total: DesignSums;
  folds: DesignSums[] | undefined;
  /** Statements run (each one a pass over the rows). */
  passes: number;
}

const toNumber = (v: SqlValue): number => (v === null ? 0 : Number(v));

function emptySums(p: number, nExtra: number): DesignSums {
  return { p, count: 0, sw: 0, sx: new Float64Array(p), sy: 0, syy: 0, sxy: new Float64Array(p), G: new Float64Array(p * p), extra: new Array(nExtra).fill(0) };
}

/** Run the statistics pass(es) of `design` on `source`. */
export async function designSums(source: SqlSource, design: SqlDesign, req: SumsRequest, fn: string, counter: { passes: number }, onPass?: PassListener): Promise<SumsResult> {
  const p = design.exprs.length;
  const shifted = design.exprs.map((e, j) => (design.shifts[j] === 0 ? e : `(${e} - ${num(design.shifts[j])})`));
  const ys = req.response ?? design.y;
  const yShift = req.responseShift ?? design.yShift;
  const yt = yShift === 0 ? ys : `(${ys} - ${num(yShift)})`;
  const w = req.weight;
  const wt = (e: string) => (w === undefined ? e : `${w} * ${e}`);
  // Each SUM: its SQL and where its value goes.
  type Target = (s: DesignSums, v: number) => void;
  const sums: { sql: string; put: Target }[] = [];
  sums.push({ sql: 'COUNT(*)', put: (s, v) => { s.count = v; } });
  sums.push({ sql: w === undefined ? 'COUNT(*)' : `SUM(${w})`, put: (s, v) => { s.sw = v; } });
  // Columns of a dummy block get their sums from GROUP BY the variable (below), not from a SUM each.
  const inBlock = new Uint8Array(p);
  for (const b of design.blocks) for (const j of b.columns) inBlock[j] = 1;
  const dense = Array.from({ length: p }, (_, j) => j).filter((j) => !inBlock[j]);
  for (const j of dense) sums.push({ sql: `SUM(${wt(shifted[j])})`, put: (s, v) => { s.sx[j] = v; } });
  sums.push({ sql: `SUM(${wt(yt)})`, put: (s, v) => { s.sy = v; } });
  sums.push({ sql: `SUM(${wt(`${yt} * ${yt}`)})`, put: (s, v) => { s.syy = v; } });
  for (const j of dense) sums.push({ sql: `SUM(${wt(`${shifted[j]} * ${yt}`)})`, put: (s, v) => { s.sxy[j] = v; } });
  (req.extra ?? []).forEach((e, k) => sums.push({ sql: `SUM(${e})`, put: (s, v) => { s.extra[k] = v; } }));
  for (let ia = 0; ia < dense.length; ia++) {
    for (let ib = ia; ib < dense.length; ib++) {
      const a = dense[ia], b = dense[ib];
      sums.push({ sql: `SUM(${wt(`${shifted[a]} * ${shifted[b]}`)})`, put: (s, v) => { s.G[a * p + b] = v; s.G[b * p + a] = v; } });
    }
  }
  const maxAgg = req.maxAggregates ?? 1500;
  const K = req.fold === undefined ? 0 : req.nFolds ?? 0;
  if (req.fold !== undefined && !(K >= 2)) throw new DataError(fn, 'per-fold sums need nFolds ≥ 2');
  const total = emptySums(p, req.extra?.length ?? 0);
  const folds = K > 0 ? Array.from({ length: K }, () => emptySums(p, req.extra?.length ?? 0)) : undefined;
  const nStatements = Math.ceil(sums.length / maxAgg);
  let passes = 0;
  for (let st = 0; st < nStatements; st++) {
    const part = sums.slice(st * maxAgg, (st + 1) * maxAgg);
    const sel = part.map((x) => x.sql).join(', ');
    const what = `${req.what ?? 'statistics'}${nStatements > 1 ? ` (block ${st + 1}/${nStatements})` : ''}`;
    const from = req.from ?? `${source.relation} WHERE ${design.where}`;
    const sql = req.fold === undefined
      ? `SELECT ${sel} FROM ${from}`
      : `SELECT ${req.fold} AS gs_fold, ${sel} FROM ${from} GROUP BY ${req.fold}`;
    const rows = await runPass(source, sql, what, fn, counter, onPass);
    passes++;
    for (const row of rows) {
      const off = req.fold === undefined ? 0 : 1;
      let target: DesignSums = total;
      if (folds) {
        const f = toNumber(row[0]);
        if (!(Number.isInteger(f) && f >= 0 && f < K)) throw new DataError(fn, `fold label ${String(row[0])} is outside 0…${K - 1}`);
        target = folds[f];
      }
      part.forEach((x, k) => x.put(target, toNumber(row[off + k])));
    }
  }
  if (design.blocks.length > 0) passes += await blockSums(source, design, req, { dense, shifted, yt, wt, K, total, folds }, fn, counter, onPass);
  if (folds) {
    // The totals are the sums of the folds (each row is in exactly one fold).
    for (const f of folds) addInto(total, f);
  }
  for (const s of folds ? [total, ...folds] : [total]) fillExclusive(s, design);
  return { total, folds, passes };
}

/**
 * Sums that involve dummy columns, from GROUP BY GROUPING SETS (one set per categorical variable
 * and fold) instead of one SUM per product: per level a of variable v, Σ w, Σ w ỹ, Σ w x̃_o for
 * the other columns o, and Σ w d_b for the dummies b of the other variables (the count of rows at
 * level a and level b). With N_a = Σ_{rows of level a} w and s_a the dummy's shift:
 * Σ w(d_a − s_a) = N_a − s_a Σw, Σ w(d_a − s_a)x̃_o = Σ_{level a} w x̃_o − s_a Σ w x̃_o, and across
 * two variables Σ w(d_a − s_a)(d_b − s_b) = N_ab − s_b N_a − s_a N_b + s_a s_b Σw. A row costs
 * one hash lookup per variable; the counts of pairs of levels ride along as summed values (a
 * statement per pair of variables cost one hash lookup per pair and row, and took most of the
 * time on 15 categoricals).
 */
async function blockSums(
  source: SqlSource, design: SqlDesign, req: SumsRequest,
  ctx: { dense: number[]; shifted: string[]; yt: string; wt: (e: string) => string; K: number; total: DesignSums; folds: DesignSums[] | undefined },
  fn: string, counter: { passes: number }, onPass?: PassListener,
): Promise<number> {
  const { dense, shifted, yt, wt, total, folds } = ctx;
  const p = design.exprs.length;
  const sh = design.shifts;
  const blocks = design.blocks;
  const m = blocks.length;
  const base = req.from ?? `${source.relation} WHERE ${design.where}`;
  // Only the grouping keys and the summed values leave the subquery (a `SELECT *` kept every
  // column of every row alive in each of the grouping sets' hash tables).
  const keys = [`${req.fold ?? '0'} AS gs_fold`, ...blocks.map((b, i) => `${b.sql} AS gs_v${i}`)];
  const rowsWith = (values: string[]) => `(SELECT ${[...keys, ...values.map((e, k) => `${e} AS gs_e${k}`)].join(', ')} FROM ${base}) AS gs_s`;
  const sets = blocks.map((_, i) => `(gs_fold, gs_v${i})`).join(', ');
  const flags = blocks.map((_, i) => `GROUPING(gs_v${i})`).join(', ');
  const cols = blocks.map((_, i) => `gs_v${i}`).join(', ');
  const weight = req.weight ?? num(1);
  const target = (f: SqlValue): DesignSums => (folds ? folds[Number(f)] : total);
  const sumsOf = folds ?? [total];
  const blockOf = new Int32Array(p).fill(-1);
  blocks.forEach((b, i) => { for (const a of b.columns) blockOf[a] = i; });
  // Start from the shift terms, which hold whether or not a level occurs.
  for (const s of sumsOf) {
    for (const b of blocks) {
      for (const a of b.columns) {
        s.sx[a] = -sh[a] * s.sw;
        s.sxy[a] = -sh[a] * s.sy;
        for (const o of dense) s.G[o * p + a] = s.G[a * p + o] = -sh[a] * s.sx[o];
      }
    }
  }
  let passes = 0;
  // What each summed value is: the response, a non-dummy column o, or a dummy b of another variable.
  type Value = { sql: string; kind: 'y' } | { sql: string; kind: 'dense'; o: number } | { sql: string; kind: 'dummy'; b: number };
  const perLevel: Value[] = [{ sql: wt(yt), kind: 'y' }, ...dense.map((o) => ({ sql: wt(shifted[o]), kind: 'dense' as const, o }))];
  // Dummies of all variables but the first: a pair (i, k), i < k, is read from the set of i.
  if (m >= 2) for (let k = 1; k < m; k++) for (const b of blocks[k].columns) perLevel.push({ sql: wt(design.exprs[b]), kind: 'dummy', b });
  const maxAgg = req.maxAggregates ?? 1500;
  const N = sumsOf.map(() => new Float64Array(p)); // N_a per fold
  const chunks = Math.ceil(perLevel.length / (maxAgg - 1));
  for (let start = 0; start < perLevel.length; start += maxAgg - 1) {
    const part = perLevel.slice(start, start + maxAgg - 1);
    const values = [weight, ...part.map((v) => v.sql)];
    const aggs = values.map((_, k) => `SUM(gs_e${k})`);
    const sql = `SELECT gs_fold, ${cols}, ${flags}, ${aggs.join(', ')} FROM ${rowsWith(values)} GROUP BY GROUPING SETS (${sets})`;
    const what = `${req.what ?? 'statistics'}: sums by level${chunks > 1 ? ` (${start / (maxAgg - 1) + 1}/${chunks})` : ''}`;
    const res = await runPass(source, sql, what, fn, counter, onPass);
    passes++;
    for (const row of res) {
      const i = row.slice(1 + m, 1 + 2 * m).findIndex((g) => Number(g) === 0);
      const a = blocks[i].columnOf.get(valueKey(row[1 + i]));
      if (a === undefined) continue; // the reference level
      const s = target(row[0]);
      const f = folds ? Number(row[0]) : 0;
      const vals = row.slice(1 + 2 * m).map((v) => Number(v ?? 0));
      if (start === 0) {
        N[f][a] += vals[0];
        s.sx[a] += vals[0];
      }
      part.forEach((v, k) => {
        const x = vals[1 + k];
        if (v.kind === 'y') s.sxy[a] += x;
        else if (v.kind === 'dense') {
          s.G[v.o * p + a] += x;
          s.G[a * p + v.o] = s.G[v.o * p + a];
        } else if (blockOf[v.b] > i) {
          // N_ab, raw; the shift terms are added once every N_a is known (below).
          s.G[a * p + v.b] += x;
          s.G[v.b * p + a] = s.G[a * p + v.b];
        }
      });
    }
  }
  for (const [f, s] of sumsOf.entries()) {
    for (let i = 0; i < m; i++) for (let k = i + 1; k < m; k++) {
      for (const a of blocks[i].columns) for (const b of blocks[k].columns) {
        s.G[a * p + b] += -sh[b] * N[f][a] - sh[a] * N[f][b] + sh[a] * sh[b] * s.sw;
        s.G[b * p + a] = s.G[a * p + b];
      }
    }
  }
  return passes;
}

function addInto(t: DesignSums, f: DesignSums): void {
  t.count += f.count;
  t.sw += f.sw;
  t.sy += f.sy;
  t.syy += f.syy;
  for (let j = 0; j < t.p; j++) {
    t.sx[j] += f.sx[j];
    t.sxy[j] += f.sxy[j];
  }
  for (let k = 0; k < t.G.length; k++) t.G[k] += f.G[k];
  for (let k = 0; k < t.extra.length; k++) t.extra[k] += f.extra[k];
}

/**
 * Products of dummies of one variable: with T_a = Σ w x_a = Σ w x̃_a + s_a Σ w and raw
 * Σ w x_a x_b = δ_ab T_a, the shifted product is δ_ab T_a − s_b T_a − s_a T_b + s_a s_b Σ w.
 */
function fillExclusive(s: DesignSums, design: SqlDesign): void {
  const { p } = s;
  const block = design.exclusiveBlock;
  const sh = design.shifts;
  for (let a = 0; a < p; a++) {
    if (block[a] < 0) continue;
    const Ta = s.sx[a] + sh[a] * s.sw;
    for (let b = a; b < p; b++) {
      if (block[b] !== block[a]) continue;
      const Tb = s.sx[b] + sh[b] * s.sw;
      const v = (a === b ? Ta : 0) - sh[b] * Ta - sh[a] * Tb + sh[a] * sh[b] * s.sw;
      s.G[a * p + b] = v;
      s.G[b * p + a] = v;
    }
  }
}

/** s − f for every field (the training rows of a fold: all rows minus the fold's). */
export function subtractSums(t: DesignSums, f: DesignSums): DesignSums {
  const out = emptySums(t.p, t.extra.length);
  out.count = t.count - f.count;
  out.sw = t.sw - f.sw;
  out.sy = t.sy - f.sy;
  out.syy = t.syy - f.syy;
  for (let j = 0; j < t.p; j++) {
    out.sx[j] = t.sx[j] - f.sx[j];
    out.sxy[j] = t.sxy[j] - f.sxy[j];
  }
  for (let k = 0; k < t.G.length; k++) out.G[k] = t.G[k] - f.G[k];
  for (let k = 0; k < t.extra.length; k++) out.extra[k] = t.extra[k] - f.extra[k];
  return out;
}

/**
 * The quadratic of the (weighted) least-squares problem on these sums, divided by `n`:
 * with an intercept, the centred statistics A = Σw x̃x̃ᵀ − (Σw x̃)(Σw x̃)ᵀ/Σw, c = Σw x̃ỹ − (Σw x̃)(Σw ỹ)/Σw,
 * e = Σw ỹ² − (Σw ỹ)²/Σw (shifts cancel); without, the raw sums Σw xxᵀ, Σw xy, Σw y², the shifts
 * added back.
 */
export function quadraticOf(s: DesignSums, n: number, fitIntercept: boolean, shifts: Float64Array, yShift: number): GramQuadratic {
  const { p } = s;
  const A = new Float64Array(p * p);
  const c = new Float64Array(p);
  if (fitIntercept) {
    const inv = 1 / s.sw;
    for (let a = 0; a < p; a++) {
      c[a] = s.sxy[a] - s.sx[a] * s.sy * inv;
      for (let b = 0; b < p; b++) A[a * p + b] = s.G[a * p + b] - s.sx[a] * s.sx[b] * inv;
    }
    return { p, A, c, e: s.syy - s.sy * s.sy * inv, n };
  }
  const ys = yShift;
  for (let a = 0; a < p; a++) {
    const sa = shifts[a];
    c[a] = s.sxy[a] + sa * s.sy + s.sx[a] * ys + s.sw * sa * ys;
    for (let b = 0; b < p; b++) A[a * p + b] = s.G[a * p + b] + sa * s.sx[b] + s.sx[a] * shifts[b] + s.sw * sa * shifts[b];
  }
  return { p, A, c, e: s.syy + 2 * ys * s.sy + s.sw * ys * ys, n };
}

/**
 * Σ w (y − b − xᵀw)² over the rows of these sums, from the sums alone: with β = b − s_y + sᵀw,
 * Σ w (ỹ − x̃ᵀw − β)² = Σwỹ² − 2wᵀΣwx̃ỹ + wᵀ(Σwx̃x̃ᵀ)w − 2β(Σwỹ − wᵀΣwx̃) + β²Σw.
 */
export function residualSumOfSquares(s: DesignSums, w: Float64Array, b: number, shifts: Float64Array, yShift: number): number {
  const { p, G } = s;
  let beta = b - yShift;
  let wxy = 0, wx = 0, wGw = 0;
  for (let j = 0; j < p; j++) {
    beta += shifts[j] * w[j];
    wxy += w[j] * s.sxy[j];
    wx += w[j] * s.sx[j];
    if (w[j] === 0) continue;
    let t = 0;
    for (let k = 0; k < p; k++) t += G[j * p + k] * w[k];
    wGw += w[j] * t;
  }
  return Math.max(s.syy - 2 * wxy + wGw - 2 * beta * (s.sy - wx) + beta * beta * s.sw, 0);
}

/**
 * The intercept that goes with w on these sums: the weighted mean of ỹ − x̃ᵀw, moved back to the
 * unshifted scale: b = ȳ̃ − x̄̃ᵀw + s_y − sᵀw.
 */
export function interceptOf(s: DesignSums, w: Float64Array, shifts: Float64Array, yShift: number): number {
  let b = s.sy / s.sw + yShift;
  for (let j = 0; j < s.p; j++) b -= (s.sx[j] / s.sw + shifts[j]) * w[j];
  return b;
}
