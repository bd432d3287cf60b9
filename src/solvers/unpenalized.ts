import { ShapeError, ValueError } from '../errors.ts';
import type { Datafit } from '../datafits/datafits.ts';
import { dot } from '../linalg/blas.ts';
import { choleskySolve } from '../linalg/cholesky.ts';
import { gramSchmidtQR } from '../linalg/qr.ts';
import { materializeColumn, type LinearOperator } from '../linalg/operator.ts';

/**
 * Exact minimization over the unpenalized coordinates — the intercept and the features of groups
 * with λd_g = 0 — for a fixed penalized part:  c*(η₀) = argmin_c F(η₀ + A c),  A = [1, X_U].
 *
 * Solvers then work on the reduced objective G(w) = min_c F(Xw + A c) + Ω(w), whose gradient is
 * Xᵀ∇F(η₀ + A c*) (envelope theorem). This handles the intercept exactly (no huge-weight trick),
 * keeps Aᵀu = 0 at every dual point (needed for a valid duality gap), and for the squared loss it
 * is a projection that also improves the conditioning.
 *
 * Squared loss: a QR factorization of A once (modified Gram–Schmidt, twice, with rank-deficient
 * columns dropped), then η = η₀ + QQᵀ(y − η₀). Other losses: damped Newton, warm-started.
 */
export class UnpenalizedSolver {
  /** Number of unpenalized columns k (intercept included). */
  readonly k: number;
  readonly n: number;
  readonly T: number;
  /** Dense n × k columns of A, column-major. */
  private readonly A: Float64Array;
  /** Current coefficients c (k × T, column-major), warm start for the next call. */
  readonly c: Float64Array;
  private readonly datafit: Datafit;
  // Squared loss: orthonormal basis Q (n × r), R (r × r, upper), kept column indices.
  private Q: Float64Array = new Float64Array(0);
  private R: Float64Array = new Float64Array(0);
  private kept: Int32Array = new Int32Array(0);
  // Work buffers: Newton over the m = k·T coefficients (gradient, Hessian, step, trial point,
  // ∇F, and the Hessian products), sized once; the squared loss uses delta and etaTry only.
  private readonly g: Float64Array;
  private readonly H: Float64Array;
  private readonly delta: Float64Array;
  private readonly cTry: Float64Array;
  private readonly etaTry: Float64Array;
  private readonly u: Float64Array;
  private readonly h: Float64Array;
  private readonly He: Float64Array;
  /** Whether the last call converged (false for separable data, where c runs off to infinity). */
  converged = true;
  /**
   * An unpenalized column neither independent of the earlier ones nor dependent on them to
   * rounding: its part outside their span is between the rounding level and 1e-8 of its norm
   * (`column`: index in X, −1 for the intercept). Dropped, its direction can still lower the loss
   * by O(1) at coefficients ~1/ratio; kept, those coefficients make Xw lose the digits the
   * certificate is computed with. Either way no certificate would be true; the caller refuses.
   */
  nearCollinear: { column: number; ratio: number } | null = null;
  /** The intercept is the only unpenalized column (k = 1). */
  private readonly interceptOnly: boolean;

  constructor(X: LinearOperator, unpenalizedFeatures: Int32Array, fitIntercept: boolean, datafit: Datafit) {
    // O(1) checks (one solver per problem): the contents of unpenalizedFeatures are the caller's.
    const fn = 'UnpenalizedSolver';
    if (X === null || typeof X !== 'object' || typeof X.apply !== 'function' || !Number.isInteger(X.rows) || !Number.isInteger(X.cols) || X.rows < 1) {
      throw new ShapeError(fn, 'X must be a LinearOperator with at least one row');
    }
    if (!(unpenalizedFeatures instanceof Int32Array) || unpenalizedFeatures.length > X.cols) {
      throw new ShapeError(fn, `unpenalizedFeatures must be an Int32Array of at most ${X.cols} column indices`);
    }
    if (typeof fitIntercept !== 'boolean') throw new ValueError(fn, `fitIntercept must be true or false, got ${String(fitIntercept)}`);
    if (datafit === null || typeof datafit !== 'object' || !Number.isInteger(datafit.T) || datafit.n !== X.rows) {
      throw new ShapeError(fn, `datafit must be a Datafit over the ${X.rows} rows of X`);
    }
    this.datafit = datafit;
    this.n = X.rows;
    this.T = datafit.T;
    const k = (fitIntercept ? 1 : 0) + unpenalizedFeatures.length;
    this.k = k;
    const n = this.n;
    this.A = new Float64Array(n * k);
    let col = 0;
    if (fitIntercept) {
      this.A.fill(1, 0, n);
      col = 1;
    }
    const buf = new Float64Array(n);
    for (const j of unpenalizedFeatures) {
      materializeColumn(X, j, buf);
      this.A.set(buf, col * n);
      col++;
    }
    this.c = new Float64Array(k * this.T);
    this.interceptOnly = fitIntercept && k === 1;
    const m = datafit.quadratic ? 0 : k * this.T;
    const nT = n * this.T;
    this.g = new Float64Array(m);
    this.H = new Float64Array(m * m);
    this.delta = new Float64Array(Math.max(k, m));
    this.cTry = new Float64Array(m);
    this.etaTry = new Float64Array(Math.max(n, datafit.quadratic ? 0 : nT));
    this.u = new Float64Array(datafit.quadratic ? 0 : nT);
    this.h = new Float64Array(datafit.quadratic ? 0 : nT);
    this.He = new Float64Array(datafit.quadratic || datafit.separable ? 0 : nT);
    if (k > 0) this.factorize(unpenalizedFeatures, fitIntercept);
    if (!datafit.quadratic && fitIntercept) this.initIntercept();
  }

  private factorize(features: Int32Array, fitIntercept: boolean): void {
    const qr = gramSchmidtQR(this.A, this.n, this.k);
    this.Q = qr.Q;
    this.R = qr.R;
    this.kept = qr.kept;
    // Exact duplicates (dummies summing to the intercept, a copied column) leave a part of a few
    // ulps, growing like √n in the sums of Gram–Schmidt; anything from there up to 1e-8 is a
    // near-collinearity that float64 cannot fit and certify.
    const roundingLevel = Math.max(1e-13, 64 * Number.EPSILON * Math.sqrt(this.n));
    for (let j = 0; j < this.k; j++) {
      const r = qr.ratio[j];
      if (r > roundingLevel && r < 1e-8) {
        this.nearCollinear = { column: fitIntercept ? (j === 0 ? -1 : features[j - 1]) : features[j], ratio: r };
        break;
      }
    }
  }

  private initIntercept(): void {
    // A sensible start for Newton: the intercept-only fit (when it exists).
    const e = this.datafit.nullPredictor();
    for (let t = 0; t < this.T; t++) if (Number.isFinite(e[t])) this.c[t * this.k] = e[t];
  }

  /** v ← (I − QQᵀ)v for each task column of v (n × T): removes the part in span(A). */
  projectOut(v: Float64Array): void {
    const { n, T, Q } = this;
    const r = this.kept.length;
    for (let t = 0; t < T; t++) {
      const off = t * n;
      for (let pass = 0; pass < 2; pass++) {
        for (let q = 0; q < r; q++) {
          const a = dot(n, Q, q * n, v, off);
          for (let i = 0; i < n; i++) v[off + i] -= a * Q[q * n + i];
        }
      }
    }
  }

  /**
   * η ← η₀ + A c* for the current penalized part (η₀ = Xw, n × T). Updates `this.c`.
   * Returns F(η).
   */
  solve(eta0: Float64Array, eta: Float64Array): number {
    if (this.k === 0) {
      eta.set(eta0);
      return this.datafit.value(eta);
    }
    if (this.datafit.quadratic) return this.solveSquared(eta0, eta);
    // A separable loss has a diagonal Hessian: H = Aᵀ diag(h) A per task, cheap, so Newton runs
    // until the decrement is at rounding level (1e-30·F: the dual points built from ∇F need
    // Aᵀ∇F = 0). A coupled loss (Cox risk sets, the softmax across classes) needs k·T
    // Hessian-vector products per step, so it stops at 1e-20·F, far below what F resolves.
    return this.dampedNewton(eta0, eta, this.datafit.separable ? 1e-30 : 1e-20);
  }

  /** out ← η₀ + A C for all tasks (C is k × T). */
  private applyAll(eta0: Float64Array, c: Float64Array, out: Float64Array): void {
    const { n, k, T } = this;
    for (let t = 0; t < T; t++) {
      const o = out.subarray(t * n, (t + 1) * n);
      this.applyA(eta0.subarray(t * n, (t + 1) * n), c.subarray(t * k, (t + 1) * k), o);
    }
  }

  /**
   * H ← Aᵀ∇²F(η)A over the m = k·T coefficients (column-major m × m, coefficient (t, j) at
   * t·k + j): from the diagonal of ∇²F when the loss is separable (no coupling between entries
   * of η, so tasks give diagonal blocks), else from k·T Hessian-vector products.
   */
  private hessian(eta: Float64Array, H: Float64Array): void {
    const { n, k, T, A, h } = this;
    const m = k * T;
    const df = this.datafit;
    if (df.separable) {
      df.hessianDiag(eta, h);
      H.fill(0);
      for (let t = 0; t < T; t++) {
        const o = t * k;
        for (let a = 0; a < k; a++) {
          for (let b = 0; b <= a; b++) {
            let s = 0;
            const oa = a * n;
            const ob = b * n;
            for (let i = 0; i < n; i++) s += A[oa + i] * h[t * n + i] * A[ob + i];
            H[(o + a) + (o + b) * m] = s;
            H[(o + b) + (o + a) * m] = s;
          }
        }
      }
      return;
    }
    const e = this.h;
    const He = this.He;
    for (let s = 0; s < T; s++) {
      for (let b = 0; b < k; b++) {
        e.fill(0);
        e.set(A.subarray(b * n, (b + 1) * n), s * n);
        df.hessianVec(eta, e, He);
        for (let t = 0; t < T; t++) for (let a = 0; a < k; a++) H[(t * k + a) + (s * k + b) * m] = dot(n, A, a * n, He, t * n);
      }
    }
    // Symmetrize (the products are symmetric only to rounding; Cholesky reads one triangle).
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) H[a + b * m] = H[b + a * m] = 0.5 * (H[a + b * m] + H[b + a * m]);
  }

  /**
   * Damped Newton over all k·T unpenalized coefficients, warm-started from `this.c`: the step
   * −H⁻¹g, Armijo backtracking outside the region of quadratic convergence, full steps inside it.
   * `tiny`: the Newton decrement (relative to F) taken as optimal at once.
   */
  private dampedNewton(eta0: Float64Array, eta: Float64Array, tiny: number): number {
    const { n, k, T, A, g, H, delta, cTry, etaTry, u } = this;
    const m = k * T;
    const c = this.c;
    const df = this.datafit;
    this.applyAll(eta0, c, eta);
    let F = df.valueGrad(eta, u);
    this.converged = false;
    let prevDec = Infinity;
    for (let it = 0; it < 100; it++) {
      for (let t = 0; t < T; t++) for (let j = 0; j < k; j++) g[t * k + j] = dot(n, A, j * n, u, t * n);
      this.hessian(eta, H);
      if (!choleskySolveNewton(H, g, delta, m)) break;
      // Newton decrement² = gᵀH⁻¹g; delta = H⁻¹g, step = −delta.
      let dec = 0;
      for (let j = 0; j < m; j++) dec += g[j] * delta[j];
      if (!Number.isFinite(dec)) break;
      const scale = Math.max(Math.abs(F), 1e-300);
      if (dec <= tiny * scale) {
        this.converged = true;
        break;
      }
      if (dec < 1e-8 * scale) {
        // Inside the region of quadratic convergence: full steps, as a line search could not even
        // measure the decrease. One step used to be declared optimal, but with an ill-conditioned
        // A (columns of very different scales) the step is only accurate to cond(H)·ε, which left
        // Aᵀu well above rounding and made the dual points built from u (they need Aᵀu = 0)
        // overestimate the optimum. Keep stepping while the decrement still shrinks fast; when it
        // stops shrinking, that is rounding level if it is tiny, else (a run-off direction, no
        // finite optimum) fall through to the damped step, whose failure reports non-convergence.
        if (dec <= 0.25 * prevDec) {
          prevDec = dec;
          for (let j = 0; j < m; j++) c[j] -= delta[j];
          this.applyAll(eta0, c, eta);
          F = df.valueGrad(eta, u);
          continue;
        }
        if (dec <= 1e-12 * scale) {
          this.converged = true;
          break;
        }
      }
      prevDec = Infinity;
      let t = 1;
      let accepted = false;
      for (let ls = 0; ls < 60; ls++) {
        for (let j = 0; j < m; j++) cTry[j] = c[j] - t * delta[j];
        this.applyAll(eta0, cTry, etaTry);
        const Ft = df.value(etaTry);
        if (Ft <= F - 1e-4 * t * dec) {
          accepted = true;
          break;
        }
        t /= 2;
      }
      if (!accepted) break;
      c.set(cTry);
      eta.set(etaTry);
      F = df.valueGrad(eta, u);
    }
    return df.value(eta);
  }

  private solveSquared(eta0: Float64Array, eta: Float64Array): number {
    if (this.interceptOnly) return this.solveInterceptOnly(eta0, eta);
    const { n, k, T, Q, R, kept } = this;
    const r = kept.length;
    const y = this.datafit.y;
    const z = this.delta;
    for (let t = 0; t < T; t++) {
      const off = t * n;
      const res = this.etaTry;
      for (let i = 0; i < n; i++) res[i] = y[off + i] - eta0[off + i];
      for (let q = 0; q < r; q++) z[q] = dot(n, Q, q * n, res, 0);
      // Second projection pass: the residual's component in span(A) drops to rounding level.
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let q = 0; q < r; q++) s += Q[q * n + i] * z[q];
        res[i] -= s;
      }
      for (let q = 0; q < r; q++) {
        const a = dot(n, Q, q * n, res, 0);
        z[q] += a;
        for (let i = 0; i < n; i++) res[i] -= a * Q[q * n + i];
      }
      for (let i = 0; i < n; i++) eta[off + i] = y[off + i] - res[i];
      // c_kept = R⁻¹ z by back-substitution; dropped columns get 0.
      const c = this.c.subarray(t * k, (t + 1) * k);
      c.fill(0);
      for (let q = r - 1; q >= 0; q--) {
        let s = z[q];
        for (let m = q + 1; m < r; m++) s -= R[q + m * k] * c[kept[m]];
        c[kept[q]] = s / R[q + q * k];
      }
    }
    return this.datafit.value(eta);
  }

  /**
   * The squared loss with the intercept as the only unpenalized column: c = mean(y − η₀), in two
   * passes (the second one's mean of what is left brings the residual's sum to rounding level, as
   * the second projection pass of the general case does), with no basis to read.
   */
  private solveInterceptOnly(eta0: Float64Array, eta: Float64Array): number {
    const { n, T } = this;
    const y = this.datafit.y;
    for (let t = 0; t < T; t++) {
      const off = t * n;
      let s = 0;
      for (let i = off; i < off + n; i++) s += y[i] - eta0[i];
      let c = s / n;
      let s2 = 0;
      for (let i = off; i < off + n; i++) s2 += y[i] - eta0[i] - c;
      c += s2 / n;
      for (let i = off; i < off + n; i++) eta[i] = eta0[i] + c;
      this.c[t] = c;
    }
    return this.datafit.value(eta);
  }

  private applyA(eta0: Float64Array, c: Float64Array, out: Float64Array): void {
    const { n, k, A } = this;
    out.set(eta0.subarray(0, n));
    for (let j = 0; j < k; j++) {
      const a = c[j];
      if (a === 0) continue;
      const o = j * n;
      for (let i = 0; i < n; i++) out[i] += a * A[o + i];
    }
  }
}

/** Solve H x = b for symmetric positive definite H (k × k) by Cholesky; false if not SPD. */
function choleskySolveNewton(H: Float64Array, b: Float64Array, x: Float64Array, k: number): boolean {
  if (k === 1) {
    // An all-zero column (H = 0, and then b = Aᵀu = 0 too) has every coefficient optimal: take 0.
    // It used to count as "not positive definite", reported as "no finite optimum".
    if (H[0] === 0 && b[0] === 0) {
      x[0] = 0;
      return true;
    }
    if (!(H[0] > 0)) return false;
    x[0] = b[0] / H[0];
    return true;
  }
  // Tiny ridge so that a rank-deficient A (duplicated columns) still solves, relative to each
  // diagonal entry (see RidgePolicy).
  return choleskySolve(H, k, b, x, { diagonal: 1e-14 });
}
