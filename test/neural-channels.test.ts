import { describe, expect, it } from 'vitest';
import { Random, ValueError, OptionError } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';

function synthetic(seed: number, n: number, C: number, k: number, O: number): neural.ChannelData {
  const rng = new Random(seed);
  const X = rng.normals(n * C * k);
  const W = rng.normals(C * k * O);
  // Y = X W
  const Y = new Float64Array(n * O);
  for (let i = 0; i < n; i++) for (let t = 0; t < C * k; t++) for (let o = 0; o < O; o++) Y[i * O + o] += X[i * C * k + t] * W[t * O + o];
  return { X, Y, W, n, channels: C, k, outputs: O };
}

describe('channel selection (He et al. 2017)', () => {
  it('Gram form equals the explicit Z_c = X_c W_c products', () => {
    const d = synthetic(1, 20, 4, 3, 5);
    const g = neural.channelGram(d);
    const Z = (c: number) => {
      const z = new Float64Array(d.n * d.outputs);
      for (let i = 0; i < d.n; i++) for (let t = 0; t < d.k; t++) for (let o = 0; o < d.outputs; o++) {
        z[i * d.outputs + o] += d.X[i * 12 + c * 3 + t] * d.W[(c * 3 + t) * d.outputs + o];
      }
      return z;
    };
    const dotv = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
    for (let c = 0; c < 4; c++) {
      expect(g.b[c]).toBeCloseTo(dotv(Z(c), d.Y), 9);
      for (let e = 0; e < 4; e++) expect(g.G[c * 4 + e]).toBeCloseTo(dotv(Z(c), Z(e)), 9);
    }
    expect(g.m).toBe(20 * 5);
  });

  it('the β-lasso solution satisfies its KKT conditions', () => {
    const d = synthetic(2, 40, 6, 2, 3);
    const g = neural.channelGram(d);
    const lam = 0.3 * Math.max(...Array.from(g.b, Math.abs)) / g.m;
    const { beta, converged } = neural.channelLasso(g, lam, { tol: 1e-14, method: 'cd' });
    expect(converged).toBe(true);
    const t = g.m * lam;
    let nz = 0;
    for (let c = 0; c < 6; c++) {
      let r = g.b[c];
      for (let e = 0; e < 6; e++) r -= g.G[c * 6 + e] * beta[e];
      if (beta[c] !== 0) {
        nz++;
        expect(Math.abs(r - t * Math.sign(beta[c]))).toBeLessThan(1e-7 * t);
      } else {
        expect(Math.abs(r)).toBeLessThanOrEqual(t * (1 + 1e-9));
      }
    }
    expect(nz).toBeGreaterThan(0);
    expect(nz).toBeLessThan(6);
  });

  it('the core solver (fitGroupLasso on the reduced problem) and coordinate descent agree', () => {
    const d = synthetic(5, 50, 10, 2, 4);
    const g = neural.channelGram(d);
    const lmax = Math.max(...Array.from(g.b, Math.abs)) / g.m;
    for (const f of [0.05, 0.3, 0.7]) {
      const a = neural.channelLasso(g, f * lmax, { tol: 1e-12 });
      const b = neural.channelLasso(g, f * lmax, { tol: 1e-14, method: 'cd' });
      expect(a.converged).toBe(true);
      const scale = Math.max(...Array.from(b.beta, Math.abs));
      for (let c = 0; c < 10; c++) expect(Math.abs(a.beta[c] - b.beta[c])).toBeLessThan(1e-5 * scale);
    }
    expect(() => neural.channelLasso(g, 0.1, { method: 'admm' as never })).toThrow(OptionError);
  });

  it('least-squares refit: exact with all channels, residual orthogonal to kept patches, never worse than no refit', () => {
    const d = synthetic(3, 60, 8, 4, 6);
    const all = neural.selectChannels(d, { keep: 8 });
    expect(all.channels.length).toBe(8);
    expect(all.relError).toBeLessThan(1e-20);
    for (const keep of [2, 4, 6]) {
      const s = neural.selectChannels(d, { keep });
      expect(s.channels.length).toBeLessThanOrEqual(keep);
      expect(s.channels.length).toBeGreaterThan(0);
      // optimality: X_Sᵀ (Y − X_S W_S) = 0
      const p = 8 * 4;
      const res = Float64Array.from(d.Y);
      s.channels.forEach((c, a) => {
        for (let t = 0; t < 4; t++) for (let i = 0; i < 60; i++) for (let o = 0; o < 6; o++) res[i * 6 + o] -= d.X[i * p + c * 4 + t] * s.weight[(a * 4 + t) * 6 + o];
      });
      for (const c of s.channels) for (let t = 0; t < 4; t++) for (let o = 0; o < 6; o++) {
        let g = 0;
        for (let i = 0; i < 60; i++) g += d.X[i * p + c * 4 + t] * res[i * 6 + o];
        expect(Math.abs(g)).toBeLessThan(1e-8);
      }
      expect(s.relError).toBeLessThanOrEqual(s.relErrorLasso + 1e-12);
      // and not worse than keeping the original weights of the same channels
      expect(s.relError).toBeLessThanOrEqual(neural.reconstructionError(d, s.channels, neural.keptWeights(d, s.channels)) + 1e-12);
    }
  });

  it('on a real conv layer of the shipped face detector: error falls as channels are kept', () => {
    const net = neural.loadTinyFaceDetector({ inputSize: 48 });
    const layer = net.layers.findIndex((l) => l.name === 'conv3/pointwise'); // 64 input channels, 128 outputs
    const rng = new Random(7);
    const images = Float64Array.from({ length: 6 * 3 * 48 * 48 }, () => rng.uniform());
    const d = neural.channelSelectionData(net, layer, images, { samplesPerImage: 36, seed: 1 });
    expect(d.channels).toBe(64);
    expect(d.n).toBe(6 * 36);
    const g = neural.channelGram(d);
    const errs = [16, 32, 64].map((keep) => neural.selectChannels(d, { keep, gram: g }));
    expect(errs[2].relError).toBeLessThan(1e-10);
    expect(errs[0].relError).toBeGreaterThan(errs[1].relError);
    expect(errs[1].relError).toBeGreaterThan(errs[2].relError);
    for (const e of errs) expect(e.relError).toBeLessThanOrEqual(e.relErrorLasso + 1e-12);
  });

  it('refuses bad keep values and non-conv layers', () => {
    const d = synthetic(4, 10, 3, 1, 2);
    expect(() => neural.selectChannels(d, { keep: 0 })).toThrow(ValueError);
    expect(() => neural.selectChannels(d, { keep: 4 })).toThrow(ValueError);
    const net = neural.sequential([4], [{ kind: 'dense', inFeatures: 4, outFeatures: 2 }]);
    expect(() => neural.channelSelectionData(net, 0, new Float64Array(4))).toThrow(OptionError);
  });
});
