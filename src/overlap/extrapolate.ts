import { AndersonExtrapolation } from '../solvers/anderson.ts';
import type { ConsensusAdmm } from './consensus.ts';

/** Snapshots kept (K + 1 of them give K differences). */
const K = 8;
/** Extrapolation orders tried (each from the latest k + 1 snapshots). */
const ORDERS = [2, 4, 8];

/**
 * Dual extrapolation for consensus ADMM (the idea of Massias, Gramfort & Salmon 2018, applied to
 * the ADMM state). Once the zero pattern has settled and ρ (the ADMM penalty) is fixed, ADMM is locally a linear
 * fixed-point iteration, so its iterates (w, ρμ) approach the limit along a few geometric modes;
 * Anderson extrapolation over the last K + 1 iterates cancels them and lands far closer to
 * (w*, t*) than the iterate itself.
 *
 * Why it matters for the certificate: the dual point built from one iterate is off by O(δ)
 * (δ = distance to the solution) in the tightness of the active groups' constraints, so the gap
 * falls like δ while the suboptimality falls like δ² — certified gaps 10⁴–10⁷ times the true
 * suboptimality. From the extrapolated point the same construction (repair, rescale to
 * feasibility in {@link certifyOverlap}) is valid whatever the extrapolation returns, and tight
 * when it works: the best dual value seen is kept, so a poor extrapolation costs nothing.
 */
export class AdmmDualHistory {
  private readonly accs = ORDERS.map((k) => new AndersonExtrapolation(k));
  private readonly ring: Float64Array[];
  private readonly p: number;
  private readonly m: number;
  private head = 0;
  private count = 0;
  private penaltyUpdates = -1;
  private readonly out: Float64Array;

  constructor(p: number, m: number) {
    this.p = p;
    this.m = m;
    this.ring = Array.from({ length: K + 1 }, () => new Float64Array(p + m));
    this.out = new Float64Array(p + m);
  }

  /** Record the iterate after an ADMM iteration; a change of ρ starts the history anew. */
  record(admm: ConsensusAdmm): void {
    if (admm.admmPenaltyUpdates !== this.penaltyUpdates) {
      this.penaltyUpdates = admm.admmPenaltyUpdates;
      this.count = 0;
    }
    const slot = this.ring[this.head];
    slot.set(admm.w);
    const { admmPenalty: rho, mu } = admm;
    for (let k = 0; k < this.m; k++) slot[this.p + k] = rho * mu[k];
    this.head = (this.head + 1) % (K + 1);
    if (this.count < K + 1) this.count++;
  }

  /**
   * Extrapolated (w, t) from the latest k + 1 iterates for each order k held since the last change
   * of ρ (w of length p, t stacked like ρμ); degenerate systems are skipped. Low orders win while
   * the iteration is still far from linear, high orders once it is.
   */
  *extrapolations(): Generator<{ w: Float64Array; t: Float64Array }> {
    for (const acc of this.accs) {
      const k = acc.K;
      if (this.count < k + 1) continue;
      acc.begin(this.p + this.m);
      for (let q = k; q >= 0; q--) {
        acc.slot().set(this.ring[(this.head - 1 - q + 2 * (K + 1)) % (K + 1)]);
        acc.commit();
      }
      if (!acc.extrapolate(this.out)) continue;
      let finite = true;
      for (let i = 0; i < this.out.length; i++) if (!Number.isFinite(this.out[i])) finite = false;
      if (finite) yield { w: this.out.subarray(0, this.p), t: this.out.subarray(this.p) };
    }
  }
}
