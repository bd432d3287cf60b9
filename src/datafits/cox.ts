import { ShapeError, ValueError } from '../errors.ts';
import { registerLoss, sumRowLosses, type Datafit, type LossName } from './datafit.ts';
import { toResponse } from '../linalg/input.ts';
import { normalizeSampleWeights } from './weights.ts';

/** How tied event times enter the partial likelihood. */
export type CoxTies = 'breslow' | 'efron';

export interface CoxOptions {
  /** Tied event times: 'breslow' (default, as grpreg and `survival::coxph(ties = "breslow")`) or 'efron'. */
  ties?: CoxTies;
  /** Sample weights (≥ 0, normalised to mean 1 so λ keeps its scale). */
  sampleWeight?: ArrayLike<number>;
}

/** log(e^a + e^b) with −∞ as the empty sum. */
function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/**
 * Merge of two weighted means in log space: sets (logA, mA), (logB, mB) with masses e^logA, e^logB
 * and means mA, mB; returns the mean of the union (its log mass is logAdd(logA, logB)).
 */
function mergeMean(logA: number, mA: number, logB: number, mB: number, logAB: number): number {
  if (logAB === -Infinity) return 0;
  const a = logA === -Infinity ? 0 : mA * Math.exp(logA - logAB);
  const b = logB === -Infinity ? 0 : mB * Math.exp(logB - logAB);
  return a + b;
}

/**
 * Cox proportional hazards, the mean negative log partial likelihood with right censoring
 * (grpreg's `grpsurv` loss; no intercept — it cancels out of every risk set):
 *
 *   F(η) = (1/n) Σ_k [ Σ_r ω_kr log S_kr(η) − Σ_{i ∈ D_k} w_i η_i ],
 *   S_kr = Σ_{j ∈ R_k \ D_k} w_j e^{η_j} + c_kr Σ_{i ∈ D_k} w_i e^{η_i},
 *
 * over the distinct event times t_k with deaths D_k and risk set R_k = {j : t_j ≥ t_k} (censored
 * at t_k are at risk). Breslow: one term per time, ω = W_k = Σ_{D_k} w_i, c = 1. Efron: d_k terms
 * r = 0..d_k−1 with ω = W_k/d_k and c = 1 − r/d_k (the weighted Efron of `survival::coxph`).
 *
 * Every risk-set sum is kept in log space and accumulated from the latest time backwards (no
 * prefix-sum subtraction, no overflow or underflow of e^η), after one O(n log n) sort: value,
 * gradient, Hessian diagonal and Hessian-vector products are O(n) (Efron: O(n + Σ d_k)).
 *
 * Curvature: each term ω log S is ω × a log-sum-exp, whose Hessian diag(π) − ππᵀ has norm ≤ 1/2,
 * so ‖∇²F‖ ≤ Σ_{events} w_i / (2n) for every η (`curvatureBound`). That bound is reached only
 * when risk sets concentrate on two rows; with spread-out risk sets the norm is ≈ Σ_k 1/(n|R_k|),
 * some n/log n times smaller, and proximal gradient with steps from the global bound crawled.
 * So `curvature` is Infinity: the solvers start from the local Hessian diagonal and backtrack.
 *
 * Dual: F is a sum of terms f_kr(η) = (ω_kr/n)[log S_kr − Σ_{D_k} q_i η_i] (q_i = w_i/W_k), whose
 * conjugates are relative entropies on simplices. F* has no closed form (it is their infimal
 * convolution), but splitting u = θ∇F(η) as Σ θ∇f_kr(η) gives −Σ f*_kr(θ∇f_kr(η)) ≤ −F*(u): a
 * valid lower bound on the dual objective, equal to it at the optimum (Fenchel–Young holds term by
 * term at θ = 1), so the duality gap it gives is a real certificate that tends to 0.
 */
export class CoxLoss implements Datafit {
  readonly name: LossName = 'cox';
  readonly n: number;
  readonly T = 1;
  /** Event indicator (1 = event, 0 = censored) in row order; the loss's response. */
  readonly y: Float64Array;
  /** Follow-up times in row order. */
  readonly time: Float64Array;
  readonly ties: CoxTies;
  /** Normalised sample weights, or undefined (all 1). */
  readonly sampleWeight: Float64Array | undefined;
  readonly curvature = Infinity;
  /** Global bound Σ_{events} w_i/(2n) on ‖∇²F‖ (see the class comment for why it is not `curvature`). */
  readonly curvatureBound: number;
  readonly quadratic = false;
  readonly separable = false;
  /** The partial likelihood compares rows within risk sets: a common shift of η cancels. */
  readonly shiftInvariant = true;
  /** Number of events (Σ δ_i, unweighted). */
  readonly events: number;
  /** Rows sorted by time; blocks of equal times are [blockPtr[b], blockPtr[b+1]) in `order`. */
  private readonly order: Int32Array;
  private readonly blockPtr: Int32Array;
  /** Sub-event terms of block b: [subPtr[b], subPtr[b+1]) with weight ω and death factor c. */
  private readonly subPtr: Int32Array;
  private readonly logOmega: Float64Array;
  private readonly subC: Float64Array;
  /** W_k = Σ_{D_k} w_i per block (0 for blocks without deaths). */
  private readonly blockW: Float64Array;
  private readonly w: Float64Array;
  private readonly logW: Float64Array;
  // Work buffers (per block or per term), so evaluations allocate nothing.
  private readonly logSRD: Float64Array;
  private readonly logSD: Float64Array;
  private readonly logS: Float64Array;
  private readonly meanRD: Float64Array;
  private readonly meanD: Float64Array;
  private readonly grad: Float64Array;

  constructor(time: ArrayLike<number>, status: ArrayLike<number>, options: CoxOptions = {}, fn = 'CoxLoss') {
    const n = time.length;
    if (status.length !== n) throw new ShapeError(fn, `time has ${n} entries but status has ${status.length}`);
    if (n < 2) throw new ShapeError(fn, `the Cox model needs at least 2 samples, got ${n}`);
    const ties = options.ties ?? 'breslow';
    if (ties !== 'breslow' && ties !== 'efron') throw new ValueError(fn, `ties must be 'breslow' or 'efron', got '${String(ties)}'`);
    const t = new Float64Array(n);
    const d = new Float64Array(n);
    let events = 0;
    for (let i = 0; i < n; i++) {
      const ti = time[i];
      if (!Number.isFinite(ti) || !(ti > 0)) throw new ValueError(fn, `survival times must be finite and > 0, got ${ti} at row ${i}`);
      const si = status[i];
      if (si !== 0 && si !== 1) throw new ValueError(fn, `status must be 1 (event) or 0 (censored), got ${si} at row ${i}`);
      t[i] = ti;
      d[i] = si;
      events += si;
    }
    if (events === 0) throw new ValueError(fn, 'no events (every status is 0): the partial likelihood is constant');
    const w = options.sampleWeight === undefined ? undefined : normalizeSampleWeights(options.sampleWeight, n, fn);
    this.n = n;
    this.time = t;
    this.y = d;
    this.ties = ties;
    this.events = events;
    this.sampleWeight = w;
    this.w = w ?? new Float64Array(n).fill(1);
    this.logW = new Float64Array(n);
    for (let i = 0; i < n; i++) this.logW[i] = Math.log(this.w[i]);

    const order = Int32Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => t[a] - t[b]);
    this.order = order;
    const ptr: number[] = [0];
    for (let k = 1; k < n; k++) if (t[order[k]] !== t[order[k - 1]]) ptr.push(k);
    ptr.push(n);
    this.blockPtr = Int32Array.from(ptr);
    const nb = ptr.length - 1;
    this.blockW = new Float64Array(nb);
    const subPtr = new Int32Array(nb + 1);
    const logOmega: number[] = [];
    const subC: number[] = [];
    let eventWeight = 0;
    for (let b = 0; b < nb; b++) {
      let dk = 0;
      let Wk = 0;
      for (let k = ptr[b]; k < ptr[b + 1]; k++) {
        const i = order[k];
        // A death of weight 0 is a removed row: it counts neither in W_k nor in Efron's d_k.
        if (d[i] === 1 && this.w[i] > 0) {
          dk++;
          Wk += this.w[i];
        }
      }
      this.blockW[b] = Wk;
      eventWeight += Wk;
      // A block whose deaths all have weight 0 adds nothing (its terms would be 0·log S).
      if (dk > 0 && Wk > 0) {
        if (ties === 'breslow' || dk === 1) {
          logOmega.push(Math.log(Wk));
          subC.push(1);
        } else {
          for (let r = 0; r < dk; r++) {
            logOmega.push(Math.log(Wk / dk));
            subC.push(1 - r / dk);
          }
        }
      }
      subPtr[b + 1] = logOmega.length;
    }
    if (!(eventWeight > 0)) throw new ValueError(fn, 'every event has sample weight 0: the partial likelihood is constant');
    this.subPtr = subPtr;
    this.logOmega = Float64Array.from(logOmega);
    this.subC = Float64Array.from(subC);
    this.curvatureBound = eventWeight / (2 * n);
    this.logSRD = new Float64Array(nb);
    this.logSD = new Float64Array(nb);
    this.meanRD = new Float64Array(nb);
    this.meanD = new Float64Array(nb);
    this.logS = new Float64Array(logOmega.length);
    this.grad = new Float64Array(n);
  }

  /** The same loss on a subset of rows (cross-validation folds); weights are renormalised. */
  subset(rows: ArrayLike<number>): CoxLoss {
    const m = rows.length;
    const t = new Float64Array(m);
    const s = new Float64Array(m);
    const w = this.sampleWeight ? new Float64Array(m) : undefined;
    for (let k = 0; k < m; k++) {
      t[k] = this.time[rows[k]];
      s[k] = this.y[rows[k]];
      if (w) w[k] = this.sampleWeight![rows[k]];
    }
    return new CoxLoss(t, s, { ties: this.ties, sampleWeight: w }, 'CoxLoss.subset');
  }

  /**
   * Backward pass: log S over R_k \ D_k and over D_k per block, and log S_kr per term; with `v`,
   * also the e^η-weighted means of v over both sets (for Hessian-vector products and the dual).
   */
  private riskSets(eta: Float64Array, v?: Float64Array): void {
    if (!this.riskSetsShifted(eta, v)) this.riskSetsLog(eta, v);
  }

  /**
   * The backward pass in linear arithmetic after one shift by m = max(log w + η): a_j = w_j e^{η_j−m}
   * ≤ 1, sums of positive terms accumulated from the latest time (no cancellation), logs taken per
   * block only. Valid while every risk-set sum that is used stays ≥ 1e-200 (terms that underflow
   * are then below its rounding); returns false otherwise, and the log-space pass takes over.
   */
  private riskSetsShifted(eta: Float64Array, v?: Float64Array): boolean {
    const { order, blockPtr, subPtr, subC, logW, y, n } = this;
    let m = -Infinity;
    for (let i = 0; i < n; i++) {
      const e = logW[i] + eta[i];
      if (e > m) m = e;
    }
    if (!Number.isFinite(m)) return false;
    const nb = blockPtr.length - 1;
    let after = 0; // Σ_{t_j > t_k} a_j
    let mAfter = 0; // Σ_{t_j > t_k} a_j v_j
    for (let b = nb - 1; b >= 0; b--) {
      let C = 0, D = 0, mC = 0, mD = 0;
      for (let k = blockPtr[b]; k < blockPtr[b + 1]; k++) {
        const i = order[k];
        const e = logW[i] + eta[i] - m;
        if (e === -Infinity) continue;
        const a = Math.exp(e);
        const vi = v ? a * v[i] : 0;
        if (y[i] === 1) {
          D += a;
          mD += vi;
        } else {
          C += a;
          mC += vi;
        }
      }
      const RD = after + C;
      const MRD = mAfter + mC;
      for (let s = subPtr[b]; s < subPtr[b + 1]; s++) {
        const S = RD + subC[s] * D;
        if (!(S >= 1e-200)) return false;
        this.logS[s] = Math.log(S) + m;
      }
      this.logSRD[b] = RD > 0 ? Math.log(RD) + m : -Infinity;
      this.logSD[b] = D > 0 ? Math.log(D) + m : -Infinity;
      this.meanRD[b] = RD > 0 ? MRD / RD : 0;
      this.meanD[b] = D > 0 ? mD / D : 0;
      after = RD + D;
      mAfter = MRD + mD;
    }
    return true;
  }

  /** The backward pass fully in log space (running log-sum-exp): any spread of η. */
  private riskSetsLog(eta: Float64Array, v?: Float64Array): void {
    const { order, blockPtr, subPtr, subC, logW, y } = this;
    const nb = blockPtr.length - 1;
    let logAfter = -Infinity; // log Σ_{t_j > t_k} w_j e^{η_j}
    let meanAfter = 0;
    for (let b = nb - 1; b >= 0; b--) {
      let logC = -Infinity;
      let logD = -Infinity;
      let mC = 0;
      let mD = 0;
      for (let k = blockPtr[b]; k < blockPtr[b + 1]; k++) {
        const i = order[k];
        const e = logW[i] + eta[i];
        if (e === -Infinity) continue; // weight 0: not in any risk set
        const vi = v ? v[i] : 0;
        if (y[i] === 1) {
          const l = logAdd(logD, e);
          mD = mergeMean(logD, mD, e, vi, l);
          logD = l;
        } else {
          const l = logAdd(logC, e);
          mC = mergeMean(logC, mC, e, vi, l);
          logC = l;
        }
      }
      const logRD = logAdd(logAfter, logC);
      const mRD = mergeMean(logAfter, meanAfter, logC, mC, logRD);
      this.logSRD[b] = logRD;
      this.logSD[b] = logD;
      this.meanRD[b] = mRD;
      this.meanD[b] = mD;
      for (let s = subPtr[b]; s < subPtr[b + 1]; s++) this.logS[s] = logAdd(logRD, Math.log(subC[s]) + logD);
      const l = logAdd(logRD, logD);
      meanAfter = mergeMean(logRD, mRD, logD, mD, l);
      logAfter = l;
    }
  }

  /** Σ_k [Σ_r ω log S_kr − Σ_{D_k} w η] (n·F), given the log S_kr from riskSets. */
  private sumLoss(eta: Float64Array): number {
    const { order, blockPtr, subPtr, logOmega, w, y } = this;
    let s = 0;
    for (let b = 0; b < blockPtr.length - 1; b++) {
      for (let r = subPtr[b]; r < subPtr[b + 1]; r++) s += Math.exp(logOmega[r]) * this.logS[r];
      for (let k = blockPtr[b]; k < blockPtr[b + 1]; k++) {
        const i = order[k];
        if (y[i] === 1 && w[i] > 0) s -= w[i] * eta[i];
      }
    }
    return s;
  }

  value(eta: Float64Array): number {
    this.riskSets(eta);
    return this.sumLoss(eta) / this.n;
  }

  valueGrad(eta: Float64Array, out: Float64Array): number {
    this.riskSets(eta);
    this.gradientFromRiskSets(eta, out);
    return this.sumLoss(eta) / this.n;
  }

  /**
   * Forward pass: out_i = (w_i e^{η_i} H_i − w_i δ_i)/n, H_i = Σ over the terms whose risk set
   * holds i of ω c_i / S (c_i = 1 outside the term's own deaths). H accumulates in log space.
   */
  private gradientFromRiskSets(eta: Float64Array, out: Float64Array): void {
    const { order, blockPtr, subPtr, logOmega, subC, logW, w, y, n } = this;
    let logH = -Infinity;
    for (let b = 0; b < blockPtr.length - 1; b++) {
      let logAll = -Infinity;
      let logOwn = -Infinity;
      for (let s = subPtr[b]; s < subPtr[b + 1]; s++) {
        const a = logOmega[s] - this.logS[s];
        logAll = logAdd(logAll, a);
        logOwn = logAdd(logOwn, a + Math.log(subC[s]));
      }
      const logCens = logAdd(logH, logAll);
      const logDeath = logAdd(logH, logOwn);
      for (let k = blockPtr[b]; k < blockPtr[b + 1]; k++) {
        const i = order[k];
        if (w[i] === 0) {
          out[i] = 0;
          continue;
        }
        const death = y[i] === 1;
        const lh = death ? logDeath : logCens;
        const g = lh === -Infinity ? 0 : Math.exp(logW[i] + eta[i] + lh);
        out[i] = (g - (death ? w[i] : 0)) / n;
      }
      logH = logCens;
    }
  }

  /**
   * out ← diagonal of ∇²F(η): (w_i e^{η_i} H_i − w_i² e^{2η_i} Σ ω c_i²/S²)/n. F is not separable
   * (every risk set couples its rows): the full Hessian acts through {@link hessianVec}.
   */
  hessianDiag(eta: Float64Array, out: Float64Array): void {
    this.riskSets(eta);
    const { order, blockPtr, subPtr, logOmega, subC, logW, w, y, n } = this;
    let logH = -Infinity;
    let logQ = -Infinity;
    for (let b = 0; b < blockPtr.length - 1; b++) {
      let hAll = -Infinity, hOwn = -Infinity, qAll = -Infinity, qOwn = -Infinity;
      for (let s = subPtr[b]; s < subPtr[b + 1]; s++) {
        const a = logOmega[s] - this.logS[s];
        const lc = Math.log(subC[s]);
        hAll = logAdd(hAll, a);
        hOwn = logAdd(hOwn, a + lc);
        const q = logOmega[s] - 2 * this.logS[s];
        qAll = logAdd(qAll, q);
        qOwn = logAdd(qOwn, q + 2 * lc);
      }
      const hC = logAdd(logH, hAll), hD = logAdd(logH, hOwn);
      const qC = logAdd(logQ, qAll), qD = logAdd(logQ, qOwn);
      for (let k = blockPtr[b]; k < blockPtr[b + 1]; k++) {
        const i = order[k];
        if (w[i] === 0) {
          out[i] = 0;
          continue;
        }
        const death = y[i] === 1;
        const e = logW[i] + eta[i];
        const lh = death ? hD : hC;
        const lq = death ? qD : qC;
        const h = (lh === -Infinity ? 0 : Math.exp(e + lh)) - (lq === -Infinity ? 0 : Math.exp(2 * e + lq));
        out[i] = h > 0 ? h / n : 0;
      }
      logH = hC;
      logQ = qC;
    }
  }

  /**
   * out ← ∇²F(η) v:  (∇²F v)_i = (w_i e^{η_i}/n) Σ_{terms ∋ i} (ω c_i / S)(v_i − m),  m the
   * e^η-weighted mean of v over the term's risk set. Σ (ω c/S) m is carried as a mean relative to
   * H (in log space), so nothing overflows and no large sums cancel.
   */
  hessianVec(eta: Float64Array, v: Float64Array, out: Float64Array): void {
    this.riskSets(eta, v);
    const { order, blockPtr, subPtr, logOmega, subC, logW, w, y, n } = this;
    let logH = -Infinity;
    let ratio = 0; // (Σ a m) / H over the terms so far
    for (let b = 0; b < blockPtr.length - 1; b++) {
      let lAll = -Infinity, mAll = 0, lOwn = -Infinity, mOwn = 0;
      for (let s = subPtr[b]; s < subPtr[b + 1]; s++) {
        const ls = this.logS[s];
        const c = subC[s];
        const m = mergeMean(this.logSRD[b] - ls, this.meanRD[b], Math.log(c) + this.logSD[b] - ls, this.meanD[b], 0);
        const a = logOmega[s] - ls;
        let l = logAdd(lAll, a);
        mAll = mergeMean(lAll, mAll, a, m, l);
        lAll = l;
        const ac = a + Math.log(c);
        l = logAdd(lOwn, ac);
        mOwn = mergeMean(lOwn, mOwn, ac, m, l);
        lOwn = l;
      }
      const hC = logAdd(logH, lAll);
      const rC = mergeMean(logH, ratio, lAll, mAll, hC);
      const hD = logAdd(logH, lOwn);
      const rD = mergeMean(logH, ratio, lOwn, mOwn, hD);
      for (let k = blockPtr[b]; k < blockPtr[b + 1]; k++) {
        const i = order[k];
        if (w[i] === 0) {
          out[i] = 0;
          continue;
        }
        const death = y[i] === 1;
        const lh = death ? hD : hC;
        out[i] = lh === -Infinity ? 0 : (Math.exp(logW[i] + eta[i] + lh) * (v[i] - (death ? rD : rC))) / n;
      }
      logH = hC;
      ratio = rC;
    }
  }

  /**
   * A lower bound on the dual objective −F*(u) at u = θ∇F(η) (exact at the optimum, see the class
   * comment). `eta` is the point whose gradient u was scaled from; −Infinity when u is not such a
   * multiple (no decomposition is known for it) or leaves the domain.
   */
  dualValue(u: Float64Array, eta?: Float64Array): number {
    if (!eta) return -Infinity;
    const n = this.n;
    const g = this.grad;
    this.riskSets(eta, eta); // means of η over each set, for the entropy sums
    this.gradientFromRiskSets(eta, g);
    let ug = 0, gg = 0, uu = 0;
    for (let i = 0; i < n; i++) {
      ug += u[i] * g[i];
      gg += g[i] * g[i];
      uu += u[i] * u[i];
    }
    const theta = gg > 0 ? ug / gg : 0;
    let res = 0;
    for (let i = 0; i < n; i++) {
      const r = u[i] - theta * g[i];
      res += r * r;
    }
    if (!(res <= 1e-18 * Math.max(uu, Number.MIN_VALUE)) && uu > 0) return -Infinity;
    if (theta < 0 || theta > 1 + 1e-12) return -Infinity;
    const th = Math.min(theta, 1);
    const logTh = th > 0 ? Math.log(th) : 0;
    const { order, blockPtr, subPtr, logOmega, subC, logW, w, y } = this;
    let s = 0;
    for (let b = 0; b < blockPtr.length - 1; b++) {
      const Wk = this.blockW[b];
      for (let r = subPtr[b]; r < subPtr[b + 1]; r++) {
        const ls = this.logS[r];
        const c = subC[r];
        // Σ_{R\D} π' log(π'/w) with π'_j = θ w_j e^{η_j}/S: θ·mass·(log θ + mean η − log S).
        let term = 0;
        if (th > 0 && this.logSRD[b] > -Infinity) {
          term += th * Math.exp(this.logSRD[b] - ls) * (logTh + this.meanRD[b] - ls);
        }
        // Deaths: π'_i = θ c w_i e^{η_i}/S + (1 − θ) w_i/W_k, entropy relative to c·w_i.
        for (let k = blockPtr[b]; k < blockPtr[b + 1]; k++) {
          const i = order[k];
          if (y[i] !== 1 || w[i] === 0) continue;
          const p = th * Math.exp(Math.log(c) + logW[i] + eta[i] - ls) + (1 - th) * (w[i] / Wk);
          if (p > 0) term += p * (Math.log(p) - Math.log(c) - logW[i]);
        }
        s += Math.exp(logOmega[r]) * term;
      }
    }
    return -s / n;
  }

  readonly heldOutMetric = 'partial-likelihood deviance';
  readonly freeColumns = 1;
  /**
   * Cross-validated partial-likelihood deviance per event (grpreg's `cv.grpsurv`, Dai & Breheny):
   * η holds out-of-fold linear predictors of all rows, the risk sets are the full data's. Death i
   * at t_k gets 2[(w_i/W_k) Σ_r ω_r log S_kr − w_i η_i]; censored rows NaN; the count returned is
   * the (weighted) number of events, so the mean is grpreg's `cve`.
   */
  rowLosses(eta: Float64Array, out: Float64Array): number {
    this.riskSets(eta);
    const { order, blockPtr, subPtr, logOmega, w, y } = this;
    let events = 0;
    for (let b = 0; b < blockPtr.length - 1; b++) {
      let s = 0;
      for (let r = subPtr[b]; r < subPtr[b + 1]; r++) s += Math.exp(logOmega[r]) * this.logS[r];
      const Wk = this.blockW[b];
      for (let k = blockPtr[b]; k < blockPtr[b + 1]; k++) {
        const i = order[k];
        if (y[i] !== 1 || w[i] === 0) {
          out[i] = NaN;
          continue;
        }
        out[i] = 2 * ((w[i] / Wk) * s - w[i] * eta[i]);
        events += w[i];
      }
    }
    return events;
  }

  gradient(eta: Float64Array, out: Float64Array): void {
    this.valueGrad(eta, out);
  }
  /** The log partial likelihood (weights scaled to mean 1). */
  logLikelihood(eta: Float64Array): number {
    return -this.n * this.value(eta);
  }
  /** No covariate: η = 0 (the model has no intercept). */
  nullPredictor(): Float64Array {
    return Float64Array.of(0);
  }
  /** The deviance of η = 0 (no covariate), censored rows skipped. */
  nullDeviance(): number {
    return sumRowLosses(this, new Float64Array(this.n));
  }
  interceptObstacle(): string | null {
    return null;
  }
  /** 30 on the log-hazard scale. */
  explosionLimit(): number {
    return 30;
  }
  fitDiagnostics(): string[] {
    return [];
  }
  /** Events and censored rows: folds keep their ratio, as grpreg's cv.grpsurv. */
  strata(): Int32Array | null {
    return Int32Array.from(this.y);
  }

  /**
   * Partial-likelihood deviance 2·n·F(η) (grpreg's `deviance` of a `grpsurv` fit, and the
   * cross-validation error of `cv.grpsurv` when η holds out-of-fold predictions).
   */
  deviance(eta: Float64Array): number {
    return 2 * this.n * this.value(eta);
  }
}

/** A survival response: follow-up times (> 0) and event indicators (1 = event, 0 = censored). */
export interface SurvivalResponse {
  time: ArrayLike<number>;
  status: ArrayLike<number>;
}

/** Survival response from `{ time, status }`, or n rows `[time, status]` (grpreg's two-column `y`). */
function readSurvival(y: unknown, n: number, fn: string): { time: Float64Array; status: Float64Array } {
  if (y !== null && typeof y === 'object' && 'time' in y && 'status' in y) {
    const s = y as SurvivalResponse;
    const len = (a: ArrayLike<number>, what: string) => {
      if (a === null || typeof a !== 'object' || typeof a.length !== 'number') throw new ValueError(fn, `${what} must be an array of numbers`);
      if (a.length !== n) throw new ShapeError(fn, `${what} has ${a.length} entries but X has ${n} rows`);
      return Float64Array.from(a);
    };
    return { time: len(s.time, 'time'), status: len(s.status, 'status') };
  }
  if (y === null || y === undefined || (typeof y !== 'object')) {
    throw new ValueError(fn, "the Cox model needs y = { time, status } (or rows [time, status])");
  }
  const r = toResponse(y, fn, n);
  if (r.T !== 2) throw new ShapeError(fn, `the Cox model needs y = { time, status } or two columns [time, status]; y has ${r.T} column${r.T === 1 ? '' : 's'}`);
  return { time: r.data.slice(0, n), status: r.data.slice(n, 2 * n) };
}

// The response is `{ time, status }` or two columns [time, status] (grpreg's y); `create` takes the
// two columns.
registerLoss({
  name: 'cox', multiTask: true,
  noIntercept: 'the Cox model has no intercept (it cancels out of every risk set)',
  lossOptions: ['ties'],
  readResponse: (y, n, options, fn) => {
    const { time, status } = readSurvival(y, n, fn);
    const ties = options.lossOptions?.ties as CoxTies | undefined;
    return { datafit: new CoxLoss(time, status, { ties, sampleWeight: options.sampleWeight }, fn) };
  },
  create: (y, n, T, fn, w) => {
    if (T !== 2) throw new ValueError(fn, `the Cox model needs y = { time, status } or two columns [time, status]; y has ${T} column${T === 1 ? '' : 's'}`);
    return new CoxLoss(y.subarray(0, n), y.subarray(n, 2 * n), { sampleWeight: w }, fn);
  },
  inverseLink: (eta, out) => {
    for (let i = 0; i < out.length; i++) out[i] = Math.exp(eta[i]);
  },
});
