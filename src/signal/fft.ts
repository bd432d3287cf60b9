import FFT from 'fft.js';
import { ShapeError } from '../errors.ts';

/**
 * Complex discrete Fourier transform of any length n ≥ 1 on interleaved arrays
 * ([re0, im0, re1, im1, …], length 2n):
 *   forward:  X_k = Σ_j x_j e^{−2πi jk/n}
 *   inverse:  x_j = (1/n) Σ_k X_k e^{+2πi jk/n}
 * (fft.js's conventions: no scaling forward, 1/n on the way back). Powers of two go straight to
 * fft.js (radix-4); other lengths use Bluestein's chirp-z identity 2jk = j² + k² − (k−j)², which
 * turns the length-n DFT into one cyclic convolution of power-of-two length M ≥ 2n − 1 computed
 * with fft.js. All work buffers are allocated here, once: `forward` and `inverse` allocate nothing.
 * Not re-entrant: one transform at a time per instance.
 */
export class ComplexDFT {
  readonly n: number;
  /** fft.js plan of length n (power of two) or M (Bluestein), null for n = 1. */
  private readonly plan: FFT | null;
  private readonly bluestein: boolean;
  private readonly m: number;
  /** e^{−πi (j² mod 2n)/n}, interleaved, j < n (Bluestein only). */
  private readonly chirp: Float64Array;
  /** FFT of the conjugate-chirp kernel b_t = e^{+πi t²/n} (wrapped), for the forward transform. */
  private readonly kernelFwd: Float64Array;
  /** FFT of b_t = e^{−πi t²/n} (wrapped), for the inverse transform. */
  private readonly kernelInv: Float64Array;
  private readonly bufA: Float64Array;
  private readonly bufB: Float64Array;

  constructor(n: number, fn = 'ComplexDFT') {
    if (!Number.isInteger(n) || n < 1) throw new ShapeError(fn, `transform length must be a whole number ≥ 1, got ${n}`);
    this.n = n;
    const pow2 = (n & (n - 1)) === 0;
    this.bluestein = n > 1 && !pow2;
    if (n === 1) {
      this.plan = null;
      this.m = 1;
    } else if (pow2) {
      this.plan = new FFT(n);
      this.m = n;
    } else {
      let m = 1;
      while (m < 2 * n - 1) m <<= 1;
      this.m = m;
      this.plan = new FFT(m);
    }
    if (!this.bluestein) {
      this.chirp = this.kernelFwd = this.kernelInv = this.bufA = this.bufB = new Float64Array(0);
      return;
    }
    const m = this.m;
    const plan = this.plan as FFT;
    this.chirp = new Float64Array(2 * n);
    for (let j = 0; j < n; j++) {
      // Reduce j² modulo 2n before multiplying by π/n: the angle stays small and exact.
      const a = (Math.PI * ((j * j) % (2 * n))) / n;
      this.chirp[2 * j] = Math.cos(a);
      this.chirp[2 * j + 1] = -Math.sin(a);
    }
    this.bufA = new Float64Array(2 * m);
    this.bufB = new Float64Array(2 * m);
    const kernel = (sign: number): Float64Array => {
      const b = this.bufA;
      b.fill(0);
      for (let t = 0; t < n; t++) {
        const re = this.chirp[2 * t];
        const im = -sign * this.chirp[2 * t + 1];
        b[2 * t] = re;
        b[2 * t + 1] = im;
        if (t > 0) {
          b[2 * (m - t)] = re;
          b[2 * (m - t) + 1] = im;
        }
      }
      const out = new Float64Array(2 * m);
      plan.transform(out, b);
      return out;
    };
    this.kernelFwd = kernel(1);
    this.kernelInv = kernel(-1);
  }

  /** out ← DFT(x), both interleaved of length 2n; out must not be x. */
  forward(out: Float64Array, x: Float64Array): void {
    if (this.n === 1) {
      out[0] = x[0];
      out[1] = x[1];
    } else if (!this.bluestein) {
      (this.plan as FFT).transform(out, x);
    } else {
      this.chirpTransform(out, x, 1);
    }
  }

  /** out ← inverse DFT(X) with the 1/n factor, both interleaved of length 2n; out must not be X. */
  inverse(out: Float64Array, X: Float64Array): void {
    if (this.n === 1) {
      out[0] = X[0];
      out[1] = X[1];
    } else if (!this.bluestein) {
      (this.plan as FFT).inverseTransform(out, X);
    } else {
      this.chirpTransform(out, X, -1);
      const s = 1 / this.n;
      for (let k = 0; k < 2 * this.n; k++) out[k] *= s;
    }
  }

  /** Bluestein: out_k = c̄ₖ^{±} Σ_j (x_j c_j^{±}) b_{k−j}, with c^{+} = chirp and c^{−} its conjugate. */
  private chirpTransform(out: Float64Array, x: Float64Array, sign: 1 | -1): void {
    const n = this.n;
    const m = this.m;
    const c = this.chirp;
    const a = this.bufA;
    const A = this.bufB;
    const plan = this.plan as FFT;
    a.fill(0);
    for (let j = 0; j < n; j++) {
      const cr = c[2 * j];
      const ci = sign * c[2 * j + 1];
      const xr = x[2 * j];
      const xi = x[2 * j + 1];
      a[2 * j] = xr * cr - xi * ci;
      a[2 * j + 1] = xr * ci + xi * cr;
    }
    plan.transform(A, a);
    const K = sign === 1 ? this.kernelFwd : this.kernelInv;
    for (let k = 0; k < m; k++) {
      const ar = A[2 * k];
      const ai = A[2 * k + 1];
      const kr = K[2 * k];
      const ki = K[2 * k + 1];
      A[2 * k] = ar * kr - ai * ki;
      A[2 * k + 1] = ar * ki + ai * kr;
    }
    plan.inverseTransform(a, A); // cyclic convolution, fft.js divides by M
    for (let k = 0; k < n; k++) {
      const cr = c[2 * k];
      const ci = sign * c[2 * k + 1];
      const yr = a[2 * k];
      const yi = a[2 * k + 1];
      out[2 * k] = yr * cr - yi * ci;
      out[2 * k + 1] = yr * ci + yi * cr;
    }
  }
}
