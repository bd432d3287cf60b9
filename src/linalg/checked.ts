import { GroupError, ShapeError, ValueError } from '../errors.ts';
import { isGroupStructure, type GroupStructure } from '../groups/groups.ts';
import { groupNorms as groupNormsRaw } from '../groups/norms.ts';
import * as datafits from '../datafits/datafits.ts';
import * as penalties from '../penalties/penalties.ts';
import * as prox from '../prox/prox.ts';
import * as certificate from '../solvers/certificate.ts';
import { checkTolerance } from '../util/validate.ts';
import * as blas from './blas.ts';

/**
 * The hot kernels (level-1 BLAS, block thresholding, in-place proxes, group norms, the scalar link
 * functions, the gap test and the sparse-group dual norm) as the public
 * entries export them. The library's solvers call the raw kernels in their inner loops; these
 * wrappers add only O(1) checks (types, offsets and lengths against the arrays passed, finite
 * scalars), so a user calling them directly gets an error naming the function instead of a silent
 * NaN, an out-of-range read that yields undefined, or a loop over a length of 1e9.
 */

function vec(fn: string, what: string, x: unknown): Float64Array {
  if (!(x instanceof Float64Array)) throw new ShapeError(fn, `${what} must be a Float64Array, got ${x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x}`);
  return x;
}

function count(fn: string, what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new ValueError(fn, `${what} must be a whole number ≥ 0, got ${String(n)}`);
  return n;
}

function scalar(fn: string, what: string, a: unknown, min = -Infinity): number {
  if (typeof a !== 'number' || !Number.isFinite(a)) throw new ValueError(fn, `${what} must be a finite number, got ${String(a)}`);
  if (a < min) throw new ValueError(fn, `${what} must be ≥ ${min}, got ${a}`);
  return a;
}

/** A block [off, off + n) of x: offset and length checked against x's size. */
function block(fn: string, what: string, x: Float64Array, off: unknown, n: number): number {
  const o = count(fn, `offset of ${what}`, off);
  if (o + n > x.length) throw new ShapeError(fn, `${what}[${o}..${o + n}) runs past its length ${x.length}`);
  return o;
}

function groups(fn: string, gs: unknown, p: number): GroupStructure {
  if (!isGroupStructure(gs)) throw new GroupError(fn, 'gs must be a GroupStructure (from makeGroups)');
  if (gs.nFeatures !== p) throw new ShapeError(fn, `the groups cover ${gs.nFeatures} features but the vector has ${p}`);
  return gs;
}

/** Σ_{k<n} x[xo+k]·y[yo+k], checked (see {@link blas.dot}). */
export function dot(n: number, x: Float64Array, xo: number, y: Float64Array, yo: number): number {
  const fn = 'dot';
  count(fn, 'n', n);
  block(fn, 'x', vec(fn, 'x', x), xo, n);
  block(fn, 'y', vec(fn, 'y', y), yo, n);
  return blas.dot(n, x, xo, y, yo);
}

/** y[yo..yo+n) += a·x[xo..xo+n), checked (see {@link blas.axpy}). */
export function axpy(n: number, a: number, x: Float64Array, xo: number, y: Float64Array, yo: number): void {
  const fn = 'axpy';
  count(fn, 'n', n);
  scalar(fn, 'a', a);
  block(fn, 'x', vec(fn, 'x', x), xo, n);
  block(fn, 'y', vec(fn, 'y', y), yo, n);
  blas.axpy(n, a, x, xo, y, yo);
}

/** ‖x[off..off+n)‖₂ without overflow, checked (see {@link blas.nrm2}). */
export function nrm2(n: number, x: Float64Array, off = 0): number {
  const fn = 'nrm2';
  count(fn, 'n', n);
  block(fn, 'x', vec(fn, 'x', x), off, n);
  return blas.nrm2(n, x, off);
}

/** Group soft-thresholding of v[off..off+len) in place, checked (see {@link prox.groupSoftThresholdBlock}). */
export function groupSoftThresholdBlock(v: Float64Array, len: number, t: number, off = 0): number {
  const fn = 'groupSoftThresholdBlock';
  vec(fn, 'v', v);
  count(fn, 'len', len);
  scalar(fn, 't', t, 0);
  block(fn, 'v', v, off, len);
  return prox.groupSoftThresholdBlock(v, len, t, off);
}

/** Soft-thresholding of v[0..len) in place, checked (see {@link prox.softThresholdBlock}). */
export function softThresholdBlock(v: Float64Array, len: number, t: number): void {
  const fn = 'softThresholdBlock';
  vec(fn, 'v', v);
  count(fn, 'len', len);
  scalar(fn, 't', t, 0);
  block(fn, 'v', v, 0, len);
  prox.softThresholdBlock(v, len, t);
}

function outAndV(fn: string, out: unknown, v: unknown): void {
  vec(fn, 'out', out);
  vec(fn, 'v', v);
  if ((out as Float64Array).length !== (v as Float64Array).length) {
    throw new ShapeError(fn, `out has length ${(out as Float64Array).length} but v has ${(v as Float64Array).length}`);
  }
}

function groupWeights(fn: string, gs: GroupStructure, weights: unknown): ArrayLike<number> {
  if (weights === undefined) return gs.weights;
  if (weights === null || typeof weights !== 'object' || (weights as ArrayLike<number>).length !== gs.nGroups) {
    throw new ShapeError(fn, `weights must be an array with one entry per group (${gs.nGroups})`);
  }
  return weights as ArrayLike<number>;
}

/** In-place group-lasso prox, checked (see {@link prox.proxGroupLassoInPlace}). */
export function proxGroupLassoInPlace(out: Float64Array, v: Float64Array, gs: GroupStructure, tau: number, weights?: ArrayLike<number>): number {
  const fn = 'proxGroupLassoInPlace';
  outAndV(fn, out, v);
  const g = groups(fn, gs, v.length);
  if (g.overlapping) throw new GroupError(fn, 'groups overlap: the prox of an overlapping sum has no closed form (use fitOverlappingGroupLasso)');
  scalar(fn, 'tau', tau, 0);
  return prox.proxGroupLassoInPlace(out, v, g, tau, groupWeights(fn, g, weights));
}

/** In-place soft-thresholding, checked (see {@link prox.proxL1InPlace}). */
export function proxL1InPlace(out: Float64Array, v: Float64Array, tau: number): number {
  const fn = 'proxL1InPlace';
  outAndV(fn, out, v);
  scalar(fn, 'tau', tau, 0);
  return prox.proxL1InPlace(out, v, tau);
}

/** In-place sparse-group prox, checked (see {@link prox.proxSparseGroupInPlace}). */
export function proxSparseGroupInPlace(
  out: Float64Array, v: Float64Array, gs: GroupStructure, tau: number, alpha: number, weights?: ArrayLike<number>,
): number {
  const fn = 'proxSparseGroupInPlace';
  outAndV(fn, out, v);
  const g = groups(fn, gs, v.length);
  if (g.overlapping) throw new GroupError(fn, 'groups overlap: the prox of an overlapping sum has no closed form (use fitOverlappingGroupLasso)');
  scalar(fn, 'tau', tau, 0);
  prox.checkAlpha(fn, alpha);
  return prox.proxSparseGroupInPlace(out, v, g, tau, alpha, groupWeights(fn, g, weights));
}

/** In-place projection onto the L2 ball, checked (see {@link prox.projectL2BallInPlace}). */
export function projectL2BallInPlace(out: Float64Array, v: Float64Array, radius: number): number {
  const fn = 'projectL2BallInPlace';
  outAndV(fn, out, v);
  scalar(fn, 'radius', radius, 0);
  return prox.projectL2BallInPlace(out, v, radius);
}

/** ‖w_g‖₂ per group and the active groups, checked (see {@link groupNormsRaw}). */
export function groupNorms(w: Float64Array, gs: GroupStructure): { norms: Float64Array; active: number[] } {
  const fn = 'groupNorms';
  vec(fn, 'w', w);
  return groupNormsRaw(w, groups(fn, gs, w.length));
}

/** log(1 + eˣ) without overflow, checked (see {@link datafits.log1pExp}). */
export function log1pExp(x: number): number {
  return datafits.log1pExp(scalar('log1pExp', 'x', x));
}

/** 1/(1 + e⁻ˣ), checked (see {@link datafits.sigmoid}). */
export function sigmoid(x: number): number {
  return datafits.sigmoid(scalar('sigmoid', 'x', x));
}

/** log Γ(x) for x > 0, checked (see {@link datafits.logGamma}). */
export function logGamma(x: number): number {
  if (scalar('logGamma', 'x', x) <= 0) throw new ValueError('logGamma', `x must be > 0, got ${x}`);
  return datafits.logGamma(x);
}

/** A gap or objective value: a number, NaN refused (a NaN gap is never a certificate). */
function gapValue(fn: string, what: string, a: unknown): number {
  if (typeof a !== 'number' || Number.isNaN(a)) throw new ValueError(fn, `${what} must be a number, got ${String(a)}`);
  return a;
}

/** Relative gap gap/P, checked (see {@link certificate.relativeGap}). */
export function relativeGap(gap: number, primal: number): number {
  return certificate.relativeGap(gapValue('relativeGap', 'gap', gap), gapValue('relativeGap', 'primal', primal));
}

/** Whether a gap certifies tolerance tol, checked (see {@link certificate.gapConverged}). */
export function gapConverged(gap: number, primal: number, floor: number, tol: number): boolean {
  const fn = 'gapConverged';
  gapValue(fn, 'gap', gap);
  gapValue(fn, 'primal', primal);
  scalar(fn, 'floor', floor, 0);
  checkTolerance(fn, tol === undefined ? NaN : tol);
  return certificate.gapConverged(gap, primal, floor, tol);
}

/** Dual norm of the sparse-group lasso on one group, checked (see {@link penalties.sparseGroupDualNorm}). */
export function sparseGroupDualNorm(a: Float64Array, alpha: number, d: number): number {
  const fn = 'sparseGroupDualNorm';
  vec(fn, 'a', a);
  prox.checkAlpha(fn, alpha);
  if (scalar(fn, 'd', d, 0) === 0 && alpha === 0) {
    // Neither an ℓ1 nor an ℓ2 part: no norm to take (the closed form would divide by zero).
    throw new ValueError(fn, 'alpha = 0 and d = 0 leave no norm to take');
  }
  // O(m) like the function itself (which sorts a): the closed form assumes a ≥ 0.
  for (let k = 0; k < a.length; k++) {
    if (!(a[k] >= 0 && a[k] < Infinity)) throw new ValueError(fn, `a must hold finite numbers ≥ 0 (magnitudes), got ${a[k]} at position ${k}`);
  }
  return penalties.sparseGroupDualNorm(a, alpha, d);
}
