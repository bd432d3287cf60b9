import { AndersonExtrapolation } from '../solvers/anderson.ts';
import { blockGramBound, blockGramsAffordable, blockProxStep } from '../solvers/block.ts';
import { certificateVerdict, certify, certifyBuffers, type Certificate, type CertifyBuffers } from '../solvers/certificate.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { FastDense } from '../linalg/kernels/fast.ts';
import type { PointBuffers, ProblemContext } from '../solvers/problem.ts';

/**
 * Cyclic group descent along a λ path, with its state carried from one λ to the next (grpreg's
 * scheme, Breheny & Huang 2015): the residual, the strong set and the full gradient of the last
 * solution stay in place, every buffer is allocated once per path, and a fit costs a few epochs
 * over its groups plus one certificate from scratch.
 *
 * It serves single-response problems with a quadratic, separable, unweighted datafit (the squared
 * loss), a convex penalty, dense stored columns and no unpenalized group but the intercept —
 * what the datafit and penalty say of themselves, never their names. The block step is
 *   w_g ← prox_{Ω_g/L_g}(w_g − ∇_g/L_g),  L_g = curvature·λ_max(X_gᵀP⊥X_g),
 * with the intercept handled by centring (column means tracked, nothing copied). For orthonormal
 * groups (X_gᵀP⊥X_g/n = I, as grpreg builds them) L_g is exact and the step is the block's
 * closed-form minimizer, with no line search.
 *
 * Per λ: the strong rule picks the groups to cycle over, and the start is the last solution moved
 * along the path (extrapolated in log λ from the last two solutions). With p ≤ n the block steps
 * work on the Gram matrix: each updates the full gradient z in O(p·|g|), so after every epoch the
 * left-out groups' optimality (violators join) and a running duality gap cost O(p). Wide designs
 * update the residual instead (on the WebAssembly kernels when the design is there), and once the
 * epochs' decrease is small against the square of the target gap (see KAPPA) go to the
 * certificate directly: its transpose pass is the one a running gap would cost. The certificate
 * is computed from scratch at w ({@link certify}); the left-out groups are checked again at its
 * exact gradient, and the fit is accepted only if that certificate meets tol (else the target
 * tightens). The running quantities decide when to look, never what is reported.
 */
export interface DescentPath {
  /** Fit at λ, warm-started from the current state; returns the from-scratch certificate at w. */
  fit(lambda: number, lambdaPrev: number, o: DescentOptions): DescentFit;
  /** Penalized coefficients of the last fit (owned by the engine: copy before the next fit). */
  readonly w: Float64Array;
  /** The path is done: work vectors held in the design's kernel memory go back to it. */
  release(): void;
}

export interface DescentOptions {
  tol: number;
  /** Work cap of the fit, in passes over the data. */
  maxIter: number;
  /** performance.now() time stamp after which the fit stops where it is. */
  deadline?: number;
  /** false: every group is cycled over (screening 'none'). */
  strong: boolean;
  /**
   * Called after every epoch with its number (from 1 in this fit) and the running relative gap
   * (NaN where it is not at hand); returning false ends the fit where it is.
   */
  onEpoch?: (epoch: number, relativeGap: number) => boolean | void;
}

export interface DescentFit {
  cert: Certificate & { point: PointBuffers };
  converged: boolean;
  atFloor: boolean;
  epochs: number;
  /** Passes over the data spent (what maxIter bounds; an epoch counts its share of the groups). */
  work: number;
  /** Why an unconverged fit ended: the work cap, the deadline (or a stop), or no progress. */
  stop: 'converged' | 'work' | 'deadline' | 'stalled';
  /** Penalized groups cycled over, and how many of them the strong rule had left out. */
  kept: number;
  violations: number;
}

/** Column-major dense data of the context's design, or null when it stores none. */
function denseColumns(ctx: ProblemContext): Float64Array | null {
  const X = ctx.X;
  // FastDense extends DenseMatrix: both keep the column-major entries in `data` (n·p of them).
  if (X instanceof DenseMatrix && X.data.length >= ctx.n * ctx.p) return X.data;
  return null;
}

/**
 * The engine for `ctx` (a problem's context at any λ > 0, moved along the path by `fit`), or null
 * when the problem is not one it serves (see {@link DescentPath}). `small`: the design is small
 * enough (n·p·T ≤ 200 000) for every mode, the Gram matrix included, on any backend. Larger ones
 * are served when they are wide (p > n) and on the WebAssembly kernels: residual updates, as
 * grpreg does, whose block products run there (synth 1000 × 5000, 100 λ: 0.7–0.9 s of CPU time
 * against 2.4 s by the general route). Tall large designs keep the general route: a Gram matrix
 * would cost n·p²/2 to build.
 */
export function descentPath(ctx: ProblemContext, small = true, start?: PointBuffers): DescentPath | null {
  const df = ctx.datafit;
  const pen = ctx.penalty;
  if (ctx.T !== 1 || !df.quadratic || !df.separable || df.sampleWeight !== undefined || !Number.isFinite(df.curvature)) return null;
  if (!pen.convex || ctx.unpenalizedCoefs.length > 0 || !(pen.lambda > 0)) return null;
  // Its per-group Lipschitz constants come from block Gram matrices: for one group of 4999
  // columns on 40 rows that took a minute before the first fit (the general route runs FISTA).
  if (!blockGramsAffordable(pen.groups, ctx.p)) return null;
  const A = denseColumns(ctx);
  if (A === null || !gradientIsResidual(df)) return null;
  if (!small && !(ctx.p > ctx.n && ctx.X instanceof FastDense && ctx.X.backend === 'wasm')) return null;
  return new GroupDescent(ctx, A, start);
}

/**
 * Whether ∇F(η) = c·(η − y) with c the datafit's curvature — what the block steps assume of a
 * quadratic datafit — checked at η = 0 (a quadratic with Hessian c·I is then this one).
 */
function gradientIsResidual(df: ProblemContext['datafit']): boolean {
  const N = df.n * df.T;
  const u = new Float64Array(N);
  df.valueGrad(new Float64Array(N), u);
  const c = df.curvature;
  for (let i = 0; i < N; i++) {
    const want = -c * df.y[i];
    if (!(Math.abs(u[i] - want) <= 1e-12 * Math.abs(want) + 1e-300)) return false;
  }
  return true;
}

/**
 * Residual mode: epochs settle when their decrease is under KAPPA·target²·|P|. The gap of the
 * scaled dual point is first order in the distance to the optimum (through the scaling θ) while
 * an epoch's decrease is second order, so a decrease a fixed fraction of the target gap stops
 * far too early (on synth 1000 × 5000, 4 epochs then a failed certificate at most λ); the
 * square keeps the two in step, and a certificate (one transpose pass) rarely fails.
 */
const KAPPA = 0.1;

/**
 * Residual mode: Anderson extrapolation over this many epochs (as skglm's block descent does). The
 * late, dense part of a path needs 15–18 plain epochs per λ on synth 1000 × 5000; the residual is
 * affine in w, so the extrapolated point's residual is the same combination of the snapshots'
 * residuals — O(K·n), no product with X.
 */
const ANDERSON_K = 5;

class GroupDescent implements DescentPath {
  readonly w: Float64Array;
  private readonly ctx: ProblemContext;
  private readonly A: Float64Array;
  private readonly n: number;
  private readonly p: number;
  private readonly G: number;
  private readonly ptr: Int32Array;
  private readonly idx: Int32Array;
  private readonly intercept: boolean;
  /** Column means (0 without an intercept). */
  private readonly mu: Float64Array;
  /** Block Lipschitz constants L_g (see blockGramBound). */
  private readonly L: Float64Array;
  /** r = y − Xw (uncentred) and S = Σ_i r_i: the centred residual is r − S/n. */
  private readonly r: Float64Array;
  private S = 0;
  /** The datafit's curvature c: ∇F(η) = c·(η − y). */
  private readonly c: number;
  /** |P| of the last certificate (the objective's scale, which the target gap is relative to). */
  private scale: number;
  /** Full gradient Xᵀ∇F at w (length p), of the last check or certificate. */
  private readonly z: Float64Array;
  /** Groups cycled over at the current λ (strong set ∪ active ∪ violators), in group order. */
  private readonly inK: Uint8Array;
  private readonly list: Int32Array;
  private nList = 0;
  /** Whether the last epoch moved any coefficient. */
  private changed = false;
  private readonly gbuf: Float64Array;
  private readonly vbuf: Float64Array;
  private readonly dbuf: Float64Array;
  /** −δ_g of a block step, for the residual update r −= X_g δ_g on the kernels. */
  private readonly nbuf: Float64Array;
  /**
   * The design on the WebAssembly kernels, for the residual-update mode (wide designs): X_gᵀr,
   * r −= X_gδ and Xᵀr run on them, with r and z in the kernel memory (no copies). Null otherwise.
   */
  private readonly fast: FastDense | null;
  /**
   * Curvature-scaled centred Gram matrix H = curvature·XᵀP⊥X (p × p), when p ≤ n: a block step
   * then updates the full gradient z += H_{·g}δ_g in O(p·|g|) instead of the residual in O(n·|g|),
   * and z is always at hand for the KKT checks. Null for wide designs (residual updates).
   */
  private readonly H: Float64Array | null;
  /** With H: q = XᵀP⊥y and ‖P⊥y‖² (P⊥ removes the mean when there is an intercept). */
  private readonly q: Float64Array | null = null;
  private readonly yy: number = 0;
  /** Dual point θ∇F(η) and η, for the running gap. */
  private readonly ubuf: Float64Array;
  private readonly eta: Float64Array;
  /** The solution at the λ before last and that λ, and a copy buffer (see extrapolate). */
  private readonly prevW: Float64Array;
  private readonly curW: Float64Array;
  private prevLambda = Infinity;
  /** The certificate's work buffers, kept for the whole path. */
  private readonly cb: CertifyBuffers;
  /**
   * Residual mode: extrapolation of the listed groups' coefficients (see ANDERSON_K), with the
   * snapshots' residuals and residual sums kept beside them. Null in Gram mode, whose epochs cost
   * O(p·|g|) and end on the running gap.
   */
  private readonly acc: AndersonExtrapolation | null;
  private accCols = new Int32Array(0);
  private nAccCols = 0;
  private readonly rHist: Float64Array;
  private readonly sHist: Float64Array;
  private readonly accC = new Float64Array(ANDERSON_K);
  private accTrial = new Float64Array(0);

  constructor(ctx: ProblemContext, A: Float64Array, start?: PointBuffers) {
    this.ctx = ctx;
    this.A = A;
    const n = (this.n = ctx.n);
    const p = (this.p = ctx.p);
    const gs = ctx.penalty.groups;
    const G = (this.G = gs.nGroups);
    this.ptr = gs.ptr;
    this.idx = gs.indices;
    this.intercept = ctx.fitIntercept;
    this.c = ctx.datafit.curvature;
    this.mu = new Float64Array(p);
    if (this.intercept) {
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += A[j * n + i];
        this.mu[j] = s / n;
      }
    }
    let maxM = 1;
    for (let g = 0; g < G; g++) maxM = Math.max(maxM, gs.ptr[g + 1] - gs.ptr[g]);
    const c = ctx.datafit.curvature;
    this.H = null;
    if (p <= n) {
      // H = c·XᵀP⊥X: the products XᵀX on the kernels when the design is there (one transposed
      // product per column; the JavaScript loop cost a single small fit more than its epochs did).
      const H = new Float64Array(p * p);
      if (ctx.X instanceof FastDense) ctx.X.applyTransposeTasks(A.subarray(0, n * p), p, H);
      else {
        for (let b = 0; b < p; b++) {
          for (let a = b; a < p; a++) {
            let s = 0;
            for (let i = 0; i < n; i++) s += A[a * n + i] * A[b * n + i];
            H[b * p + a] = s;
          }
        }
      }
      // One value per pair (the two orders of a product may differ by rounding): H is symmetric.
      for (let b = 0; b < p; b++) {
        for (let a = b; a < p; a++) {
          const v = c * (H[b * p + a] - n * this.mu[a] * this.mu[b]);
          H[b * p + a] = v;
          H[a * p + b] = v;
        }
      }
      this.H = H;
      const y = ctx.datafit.y;
      let ybar = 0;
      if (this.intercept) {
        for (let i = 0; i < n; i++) ybar += y[i];
        ybar /= n;
      }
      let yy = 0;
      const yc = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        yc[i] = y[i] - ybar;
        yy += yc[i] * yc[i];
      }
      this.yy = yy;
      const q = new Float64Array(p);
      if (ctx.X instanceof FastDense) ctx.X.applyTranspose(yc, q);
      else {
        for (let j = 0; j < p; j++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += A[j * n + i] * yc[i];
          q[j] = s;
        }
      }
      this.q = q;
    }
    // L_g from the centred Gram matrix of each block, once per path: the diagonal blocks of H
    // when it exists.
    this.L = new Float64Array(G);
    const M = new Float64Array(maxM * maxM);
    for (let g = 0; g < G; g++) {
      const s0 = gs.ptr[g], m = gs.ptr[g + 1] - s0;
      const H = this.H;
      for (let a = 0; a < m; a++) {
        const ja = gs.indices[s0 + a];
        for (let b = a; b < m; b++) {
          const jb = gs.indices[s0 + b];
          let s: number;
          if (H) s = H[ja * p + jb];
          else {
            s = 0;
            for (let i = 0; i < n; i++) s += A[ja * n + i] * A[jb * n + i];
            s = c * (s - n * this.mu[ja] * this.mu[jb]);
          }
          M[a * m + b] = s;
          M[b * m + a] = s;
        }
      }
      this.L[g] = m === 1 ? Math.max(M[0], 0) : blockGramBound(M.subarray(0, m * m), m).bound;
    }
    this.w = new Float64Array(p);
    this.fast = this.H === null && ctx.X instanceof FastDense && ctx.X.backend === 'wasm' ? ctx.X : null;
    this.r = this.fast ? this.fast.vector(n) : new Float64Array(n);
    this.r.set(ctx.datafit.y);
    let S = 0;
    for (let i = 0; i < n; i++) S += this.r[i];
    this.S = S;
    this.z = this.fast ? this.fast.vector(p) : new Float64Array(p);
    this.inK = new Uint8Array(G);
    this.list = new Int32Array(G);
    this.gbuf = new Float64Array(maxM);
    this.vbuf = new Float64Array(maxM);
    this.dbuf = new Float64Array(maxM);
    this.nbuf = new Float64Array(maxM);
    this.ubuf = new Float64Array(n);
    this.eta = new Float64Array(n);
    this.cb = certifyBuffers(ctx);
    this.acc = this.H === null ? new AndersonExtrapolation(ANDERSON_K) : null;
    this.rHist = new Float64Array(this.acc ? (ANDERSON_K + 1) * n : 0);
    this.sHist = new Float64Array(ANDERSON_K + 1);
    this.prevW = new Float64Array(p);
    this.curW = new Float64Array(p);
    // The gradient at w = 0 of the certificate there (or the caller's evaluation of w = 0): the
    // same evaluation λ_max was taken from, so at λ_max every group sits exactly on its
    // optimality condition, not an ulp past it.
    this.resync(start ?? certify(ctx, this.w, -Infinity, this.cb).point);
    this.scale = Math.abs(ctx.nullObjective) > 0 ? Math.abs(ctx.nullObjective) : 1;
  }

  /** z ← Xᵀ∇F(η) for every column (one transpose pass), ∇F = −(r − S/n)/n. */
  private fullGradient(): void {
    const { A, n, p, r, z } = this;
    const Sn = this.intercept ? this.S : 0;
    if (this.fast) {
      this.fast.applyTranspose(r, z);
      for (let j = 0; j < p; j++) z[j] = -(z[j] - Sn * this.mu[j]) * this.c;
      return;
    }
    for (let j = 0; j < p; j++) {
      let s = 0;
      const o = j * n;
      for (let i = 0; i < n; i++) s += A[o + i] * r[i];
      z[j] = -(s - Sn * this.mu[j]) * this.c;
    }
  }

  private groupActive(g: number): boolean {
    const { w, idx } = this;
    for (let k = this.ptr[g]; k < this.ptr[g + 1]; k++) if (w[idx[k]] !== 0) return true;
    return false;
  }

  /** One epoch over the listed groups; returns Σ_g L_g‖δ_g‖² (twice the decrease guaranteed). */
  private epoch(): number {
    const { A, n, p, r, w, z, idx, gbuf, vbuf, dbuf, mu, H } = this;
    const pen = this.ctx.penalty;
    let dec = 0;
    for (let q = 0; q < this.nList; q++) {
      const g = this.list[q];
      const L = this.L[g];
      const s0 = this.ptr[g], m = this.ptr[g + 1] - s0;
      if (L > 0) {
        if (H) {
          for (let a = 0; a < m; a++) gbuf[a] = z[idx[s0 + a]];
        } else if (this.fast) {
          const Sn = this.intercept ? this.S : 0;
          this.fast.dotBlock(idx, s0, s0 + m, r, gbuf, 0);
          for (let a = 0; a < m; a++) gbuf[a] = -(gbuf[a] - Sn * mu[idx[s0 + a]]) * this.c;
        } else {
          const Sn = this.intercept ? this.S : 0;
          for (let a = 0; a < m; a++) {
            const j = idx[s0 + a];
            const o = j * n;
            let s = 0;
            for (let i = 0; i < n; i++) s += A[o + i] * r[i];
            gbuf[a] = -(s - Sn * mu[j]) * this.c;
          }
        }
      }
      const moved = blockProxStep(pen, g, w, gbuf, L, true, vbuf, dbuf);
      // A block that does not touch the loss (L = 0) moves w without any decrease to show for it.
      if (moved > 0) this.changed = true;
      if (moved > 0 && L > 0 && this.fast) {
        let dd = 0;
        const nb = this.nbuf;
        for (let a = 0; a < m; a++) {
          const d = dbuf[a];
          nb[a] = -d;
          dd += d * d;
          this.S -= n * mu[idx[s0 + a]] * d;
        }
        this.fast.axpyBlock(idx, s0, s0 + m, nb, r, 0);
        dec += L * dd;
      } else if (moved > 0 && L > 0) {
        let dd = 0;
        for (let a = 0; a < m; a++) {
          const d = dbuf[a];
          if (d === 0) continue;
          dd += d * d;
          const j = idx[s0 + a];
          if (H) {
            const o = j * p;
            for (let k = 0; k < p; k++) z[k] += d * H[o + k];
          } else {
            const o = j * n;
            for (let i = 0; i < n; i++) r[i] -= d * A[o + i];
            this.S -= n * mu[j] * d;
          }
        }
        dec += L * dd;
      }
    }
    return dec;
  }

  release(): void {
    if (this.fast) this.fast.release(this.r, this.z);
  }

  /** The listed groups: those marked in inK, in order. */
  private rebuildList(): void {
    const { G, inK, list } = this;
    let c = 0;
    for (let g = 0; g < G; g++) if (inK[g]) list[c++] = g;
    this.nList = c;
  }

  /** Marks the left-out groups that violate their optimality condition at `grad`; returns how many. */
  private addViolators(grad: Float64Array): number {
    const { G, inK } = this;
    const pen = this.ctx.penalty;
    let added = 0;
    for (let g = 0; g < G; g++) {
      if (inK[g] || !(pen.groupViolation(this.w, grad, g) > 0)) continue;
      inK[g] = 1;
      added++;
    }
    if (added > 0) this.rebuildList();
    return added;
  }

  /** Out of budget: stopped by the callback, the work cap or the deadline (a stop request makes it −∞). */
  private over(o: DescentOptions, work: number, halted: boolean): boolean {
    return halted || work >= o.maxIter || (o.deadline !== undefined && performance.now() > o.deadline);
  }

  /** The decrease under which a round of epochs has settled, for a target gap t (see KAPPA). */
  private settle(t: number): number {
    return (this.H ? 0.001 * t : KAPPA * t * t) * this.scale;
  }

  /** A new extrapolation history over the listed groups' coefficients, from the current point. */
  private accBegin(): void {
    const acc = this.acc;
    if (!acc) return;
    let m = 0;
    for (let q = 0; q < this.nList; q++) {
      const g = this.list[q];
      m += this.ptr[g + 1] - this.ptr[g];
    }
    if (this.accCols.length < m) {
      this.accCols = new Int32Array(m);
      this.accTrial = new Float64Array(m);
    }
    let c = 0;
    for (let q = 0; q < this.nList; q++) {
      const g = this.list[q];
      for (let k = this.ptr[g]; k < this.ptr[g + 1]; k++) this.accCols[c++] = this.idx[k];
    }
    this.nAccCols = m;
    acc.begin(m);
    this.accCount = 0;
    this.accPush();
  }

  /** Snapshot of the current point (listed coefficients, residual, its sum). */
  private accPush(): void {
    const acc = this.acc!;
    const slot = acc.slot();
    const { accCols, w, n } = this;
    for (let k = 0; k < this.nAccCols; k++) slot[k] = w[accCols[k]];
    const at = this.accCount++;
    this.rHist.set(this.r.subarray(0, n), at * n);
    this.sHist[at] = this.S;
    acc.commit();
  }

  private accCount = 0;

  /**
   * After an epoch: snapshot, and with K + 1 snapshots try the extrapolated point, kept only when
   * its objective (from the combined residual) is lower than the current one. The history then
   * restarts from the point kept.
   */
  private accStep(): void {
    const acc = this.acc!;
    this.accPush();
    if (!acc.full) return;
    const { n, w, accCols, accC: c, rHist, sHist } = this;
    const K = ANDERSON_K;
    const m = this.nAccCols;
    if (acc.weights(c)) {
      const pen = this.ctx.penalty;
      const trial = this.accTrial;
      for (let k = 0; k < m; k++) {
        let v = 0;
        for (let a = 0; a < K; a++) v += c[a] * acc.snapshot(a + 1)[k];
        trial[k] = v;
      }
      const before = this.value(this.r, this.S) + pen.value(w);
      // The combined residual goes to the vector scratch of the extrapolated point (ubuf).
      const re = this.ubuf;
      re.fill(0, 0, n);
      let Se = 0;
      for (let a = 0; a < K; a++) {
        const ca = c[a], o = (a + 1) * n;
        for (let i = 0; i < n; i++) re[i] += ca * rHist[o + i];
        Se += ca * sHist[a + 1];
      }
      const cur = this.curW;
      for (let k = 0; k < m; k++) {
        cur[k] = w[accCols[k]];
        w[accCols[k]] = trial[k];
      }
      const after = this.value(re, Se) + pen.value(w);
      if (after < before) {
        this.r.set(re.subarray(0, n));
        this.S = Se;
        this.changed = true;
      } else {
        for (let k = 0; k < m; k++) w[accCols[k]] = cur[k];
      }
    }
    acc.restart();
    this.accCount = 0;
    this.accPush();
  }

  /** The datafit at residual r = y − Xw with residual sum S (the intercept at its optimum S/n). */
  private value(r: Float64Array, S: number): number {
    let rr = 0;
    for (let i = 0; i < this.n; i++) rr += r[i] * r[i];
    if (this.intercept) rr -= (S * S) / this.n;
    return 0.5 * this.c * rr;
  }

  /** Rebuild r and S from the certified point (η₀ = Xw computed from scratch): no drift. */
  private resync(pt: PointBuffers): void {
    const y = this.ctx.datafit.y;
    let S = 0;
    for (let i = 0; i < this.n; i++) {
      const v = y[i] - pt.eta0[i];
      this.r[i] = v;
      S += v;
    }
    this.S = S;
    this.z.set(pt.grad);
  }

  /**
   * Duality gap at w from the running quantities: what says when the certificate from scratch is
   * worth computing. With the residual, through the datafit's own value, gradient and dual. With
   * the Gram matrix, in O(p) from z: for F(η) = F(y) + (c/2)‖η − y‖² (the gradient form checked
   * by gradientIsResidual) and e = P⊥(y − Xw), u = −c·e, the gap at θu is
   * (c/2)(1 + θ²)‖e‖² − θc·eᵀy + Ω(w), with eᵀy = ‖P⊥y‖² − wᵀq and ‖e‖² = eᵀy + wᵀz/c
   * (q = XᵀP⊥y, z = c(XᵀP⊥Xw − q)).
   */
  private runningGap(): number {
    const { n, r, ubuf, eta, ctx, w } = this;
    const pen = ctx.penalty;
    const df = ctx.datafit;
    let smax = 0;
    for (let g = 0; g < this.G; g++) {
      const v = pen.groupDualNorm(this.z, g);
      if (v > smax) smax = v;
    }
    const theta = smax > pen.lambda ? pen.lambda / smax : 1;
    if (this.q) {
      const { q, z, c } = this;
      let wq = 0, wz = 0;
      for (let j = 0; j < this.p; j++) {
        const wj = w[j];
        if (wj === 0) continue;
        wq += wj * q[j];
        wz += wj * z[j];
      }
      const ey = this.yy - wq;
      const ee = ey + wz / c;
      return 0.5 * c * (1 + theta * theta) * ee - theta * c * ey + pen.value(w);
    }
    const y = df.y;
    const mean = this.intercept ? this.S / n : 0;
    for (let i = 0; i < n; i++) eta[i] = y[i] - r[i] + mean;
    const primal = df.valueGrad(eta, ubuf) + pen.value(w);
    for (let i = 0; i < n; i++) ubuf[i] *= theta;
    return primal - df.dualValue(ubuf, eta);
  }

  fit(lambda: number, lambdaPrev: number, o: DescentOptions): DescentFit {
    const ctx = this.ctx;
    ctx.setLambda(lambda);
    const pen = ctx.penalty;
    const { G, inK } = this;
    const thr = o.strong ? pen.strongRuleThreshold(lambda, lambdaPrev) : -Infinity;
    for (let g = 0; g < G; g++) inK[g] = !o.strong || this.groupActive(g) || pen.groupDualNorm(this.z, g) >= thr ? 1 : 0;
    this.rebuildList();
    this.extrapolate(lambda, lambdaPrev);
    let violations = 0;
    let epochs = 0;
    let work = 0;
    // Helpers are methods, not closures made per fit: a path makes one fit per λ, and a
    // cross-validation a thousand.
    let added = 0;
    // The gap the fit aims at (tightened when the certificate from scratch disagrees); epochs run
    // until their decrease is under a tenth of it.
    let target = o.tol;
    let refreshed = false;
    let cert: (Certificate & { point: PointBuffers }) | null = null;
    let verdict: ReturnType<typeof certificateVerdict> = false;
    // Whether `cert` was computed at the current w.
    let certAtW = false;
    let halted = false;
    let want = this.settle(target);
    // The warm start is checked before any epoch (it is often within tol already far along the
    // path, and at λ_max it is the exact answer w = 0).
    let first = true;
    for (;;) {
      let settled = first;
      let stuck = false;
      if (!first && this.acc) this.accBegin();
      for (let e = 1; !first; e++) {
        // Out of budget (a stop request makes the deadline −∞): no epoch, the point is certified as it is.
        if (this.over(o, work, halted)) break;
        this.changed = false;
        const dec = 0.5 * this.epoch();
        epochs++;
        work += this.nList / Math.max(1, G);
        if (this.changed) certAtW = false;
        if (o.onEpoch) {
          const rel = this.H ? this.runningGap() / this.scale : NaN;
          if (o.onEpoch(epochs, Number.isFinite(rel) ? rel : NaN) === false) halted = true;
        }
        stuck = dec === 0 && e === 1;
        settled = dec <= want;
        // With the Gram matrix the running gap costs O(p): look after every epoch.
        if (settled || this.H || e >= 20 || this.over(o, work, halted)) break;
        if (this.acc) this.accStep();
      }
      if (!first && this.over(o, work, halted)) break;
      // Optimality of the left-out groups at the running gradient.
      // Wide designs: a full transpose pass to find violators only when the epochs were cut short;
      // once they settle, the certificate's own pass (its exact gradient) checks them instead.
      if (!this.H && !first && !settled) {
        this.fullGradient();
        work += 1;
      }
      const wasFirst = first;
      first = false;
      violations += added = this.addViolators(this.z);
      if (added > 0) continue;
      if (!settled && !this.H) continue;
      // The running gap says whether the certificate is worth computing. Without the Gram matrix it
      // costs the transpose pass a certificate costs: only the warm start is screened by it (at
      // the last certificate's gradient), settled epochs go to the certificate directly.
      if (!stuck && (this.H !== null || wasFirst) && this.runningGap() > 0.5 * target * this.scale) {
        if (!wasFirst) want *= 0.1;
        continue;
      }
      if (!certAtW) {
        cert = certify(ctx, this.w, -Infinity, this.cb);
        certAtW = true;
        work += 2;
        this.resync(cert.point);
        this.scale = Math.abs(cert.primal) > 0 ? Math.abs(cert.primal) : this.scale;
      }
      const c = cert!;
      // The left-out groups again, at the exact gradient of the certificate: never trust the
      // running one (nor the rule) alone.
      violations += added = this.addViolators(c.point.grad);
      if (added > 0) continue;
      verdict = certificateVerdict(ctx, c, o.tol);
      // A warm start accepted as it is while a zero group violates its optimality condition
      // (just below the λ where that group enters, the gap is second order in the distance)
      // is within tol but misses the group: one more, tighter round, so the support follows.
      const stale = verdict !== false && !refreshed && this.zeroViolated();
      if ((verdict !== false && !stale) || stuck || target * this.scale <= c.gapFloor) break;
      refreshed = true;
      target *= 0.1;
      want = Math.min(want, this.H ? 0.1 * target * this.scale : this.settle(target));
      // A stale start that already meets the tighter target stays as it is (the epochs would
      // only move a group sitting on its threshold by rounding, as at λ_max).
      if (stale && c.gap <= target * Math.abs(c.primal)) break;
      if (this.over(o, work, halted)) break;
    }
    if (cert === null || !certAtW) {
      cert = certify(ctx, this.w, -Infinity, this.cb);
      this.resync(cert.point);
      verdict = certificateVerdict(ctx, cert, o.tol);
    }
    let nPen = 0;
    for (let g = 0; g < G; g++) if (inK[g]) nPen++;
    const converged = verdict !== false;
    const stop = converged ? 'converged' : halted || (o.deadline !== undefined && performance.now() > o.deadline) ? 'deadline' : work >= o.maxIter ? 'work' : 'stalled';
    return { cert, converged, atFloor: verdict === 'floor', epochs, work, stop, kept: nPen, violations };
  }

  /**
   * Warm start from the last two solutions (Gram mode): between the λ where groups enter or leave,
   * w(λ) is smooth in log λ, so w + (w − w_prev)·Δ is a far better start than w alone. Only
   * coefficients non-zero in both move; z follows through H. A start only: the fit and its
   * certificate decide.
   */
  private extrapolate(lambda: number, lambdaPrev: number): void {
    const { H, w, z, p, prevW, fast } = this;
    const ok = (H !== null || fast !== null) && this.prevLambda > lambdaPrev && lambdaPrev > lambda && lambda > 0;
    const step = ok ? Math.log(lambdaPrev / lambda) / Math.log(this.prevLambda / lambdaPrev) : 0;
    const cur = this.curW;
    cur.set(w);
    if (ok && step > 0 && step <= 2) {
      for (let j = 0; j < p; j++) {
        if (w[j] === 0 || prevW[j] === 0) continue;
        const d = (w[j] - prevW[j]) * step;
        if (d === 0) continue;
        w[j] += d;
        if (H) {
          const o = j * p;
          for (let k = 0; k < p; k++) z[k] += d * H[o + k];
        } else {
          // The residual follows (z is refreshed by the next certificate).
          fast!.axpy(j, -d, this.r);
          this.S -= this.n * this.mu[j] * d;
        }
      }
    }
    prevW.set(cur);
    this.prevLambda = lambdaPrev;
  }

  private zeroViolated(): boolean {
    const pen = this.ctx.penalty;
    for (let g = 0; g < this.G; g++) {
      if (this.groupActive(g)) continue;
      if (pen.groupViolation(this.w, this.z, g) > 0) return true;
    }
    return false;
  }
}
