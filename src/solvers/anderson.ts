import { choleskyFactor, choleskySolveInPlace } from '../linalg/cholesky.ts';

/**
 * Anderson extrapolation over the last K steps of a fixed-point iteration (as skglm uses it in
 * block coordinate descent): with U_k = x_{k+1} − x_k the differences of K + 1 snapshots,
 *   c = argmin ‖Σ_k c_k U_k‖₂  s.t.  Σ_k c_k = 1,   x_acc = Σ_k c_k x_{k+1}.
 * c solves (UᵀU + ridge) z = 1, c = z / Σ z, with the ridge 1e-10·tr(UᵀU) of the literature.
 * The caller decides whether to keep x_acc (it is not guaranteed to be better).
 */
export class AndersonExtrapolation {
  readonly K: number;
  private hist = new Float64Array(0);
  private size = 0;
  private count = 0;
  private readonly C: Float64Array;
  private readonly L: Float64Array;
  private readonly z: Float64Array;

  constructor(K: number) {
    this.K = K;
    this.C = new Float64Array(K * K);
    this.L = new Float64Array(K * K);
    this.z = new Float64Array(K);
  }

  /** Start a new history of vectors of length `size` (buffers grow as needed, never shrink). */
  begin(size: number): void {
    if (this.hist.length < (this.K + 1) * size) this.hist = new Float64Array((this.K + 1) * size);
    this.size = size;
    this.count = 0;
  }

  /** The buffer to fill with the next snapshot (call `commit` after filling it). */
  slot(): Float64Array {
    return this.hist.subarray(this.count * this.size, (this.count + 1) * this.size);
  }

  commit(): void {
    this.count++;
  }

  /** Whether K + 1 snapshots are held (extrapolation is possible). */
  get full(): boolean {
    return this.count === this.K + 1;
  }

  /** Forget all snapshots (the next `slot` is the first). */
  restart(): void {
    this.count = 0;
  }

  /** out ← the extrapolated point from the K + 1 snapshots; false when the system is degenerate. */
  extrapolate(out: Float64Array): boolean {
    const { K, size: nc } = this;
    const H = this.hist;
    const c = this.z;
    if (!this.weights(c)) return false;
    for (let i = 0; i < nc; i++) {
      let s = 0;
      for (let a = 0; a < K; a++) s += c[a] * H[(a + 1) * nc + i];
      out[i] = s;
    }
    return true;
  }

  /**
   * c (length K, Σ c_k = 1) of the extrapolated point Σ_k c_k x_{k+1}; false when the system is
   * degenerate. For a caller that applies the same combination to quantities affine in x (a
   * residual y − Xx) instead of recomputing them at the new point.
   */
  weights(c: Float64Array): boolean {
    const { K, C, size: nc } = this;
    const H = this.hist;
    for (let a = 0; a < K; a++) {
      for (let b = a; b < K; b++) {
        let s = 0;
        for (let i = 0; i < nc; i++) s += (H[(a + 1) * nc + i] - H[a * nc + i]) * (H[(b + 1) * nc + i] - H[b * nc + i]);
        C[a * K + b] = s;
        C[b * K + a] = s;
      }
    }
    let trace = 0;
    for (let a = 0; a < K; a++) trace += C[a * K + a];
    if (!(trace > 0)) return false;
    for (let a = 0; a < K; a++) C[a * K + a] += 1e-10 * trace; // regularized, as in the literature
    if (!choleskyFactor(C, K, this.L)) return false;
    const z = c;
    z.fill(1);
    choleskySolveInPlace(this.L, K, z);
    let sz = 0;
    for (let a = 0; a < K; a++) sz += z[a];
    if (!(Math.abs(sz) > 0) || !Number.isFinite(sz)) return false;
    for (let a = 0; a < K; a++) z[a] /= sz;
    return true;
  }

  /** The k-th snapshot held (0 ≤ k ≤ K). */
  snapshot(k: number): Float64Array {
    return this.hist.subarray(k * this.size, (k + 1) * this.size);
  }
}
