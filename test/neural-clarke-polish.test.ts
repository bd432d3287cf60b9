import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDigits } from '../src/neural/digits.ts';
import { initBackend, netStructure, trainProximal, type ImageSet } from '../src/neural/train/index.ts';

beforeAll(async () => {
  await initBackend();
});

describe("'newton' polishing of a ReLU MLP (64-3-10 on 150 digits, λ = 10⁻²)", () => {
  it('reaches a generalized (Clarke) KKT residual ≤ 10⁻³ relative, P never above its running minimum', () => {
    const d = loadDigits();
    const n = 150;
    const data: ImageSet = { x: Float32Array.from(d.x.subarray(0, n * 64)), y: d.y.subarray(0, n), n, shape: [64], classes: 10 };
    const model = tfl.sequential({ layers: [
      tfl.layers.dense({ inputShape: [64], units: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 9 }) }),
    ] });
    const t0 = performance.now();
    const r = trainProximal(netStructure(model), data, {
      lambda: 1e-2, epochs: 10, lr: 0.05, momentum: 0.9, schedule: 'cosine', polish: 4000, polishTol: 1e-3, polishMethod: 'newton',
    });
    const polish = r.history.filter((h) => h.phase === 'polish');
    const start = r.history.filter((h) => h.phase === 'stochastic').at(-1)!;
    console.log(`${polish.length} steps, ${r.polish.evaluations} evaluations, ${((performance.now() - t0) / 1000).toFixed(1)} s: P ${start.objective.toFixed(6)} → ${r.objective.toFixed(6)}, kktRelative ${start.kktRelative.toExponential(2)} → ${r.kktRelative.toExponential(2)}, kktClarkeRelative ${start.kktClarkeRelative!.toExponential(2)} → ${r.kktClarkeRelative!.toExponential(2)} (${r.kinkPairs} pairs in the band); status ${r.polish.status}`);
    expect(r.polish.status).toBe('converged');
    expect(r.kktClarkeRelative).toBeLessThanOrEqual(1e-3);
    expect(start.kktClarkeRelative).toBeGreaterThan(1e-2);
    let low = start.objective;
    for (const h of polish) {
      expect(h.kktClarke).toBeLessThanOrEqual(h.kkt);
      expect(h.kktClarkeRelative).toBeCloseTo(h.kktClarke! / (1e-2 * Math.sqrt(10)), 12);
      expect(h.objective).toBeLessThanOrEqual(low * (1 + 2 ** -24));
      low = Math.min(low, h.objective);
    }
    expect(r.objective).toBeLessThan(start.objective - 1e-3);
  }, 120_000);
});
