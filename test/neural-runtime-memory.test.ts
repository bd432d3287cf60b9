import { beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';

const { tf } = neural;
beforeAll(async () => {
  await neural.initRuntime();
});

describe('graph runner memory', () => {
  it('run() frees each intermediate after its last reader: peak bytes ≈ the widest cut, not the sum of all tensors', async () => {
    const S = 96;
    const g = neural.loadTinyFaceDetector({ inputSize: S });
    const batch = 4;
    const shapes = neural.inferShapes(g);
    let all = 0;
    for (const n of g.nodes) all += 4 * batch * shapes.get(n.name)!.reduce((a, b) => a * b, 1);
    const runner = neural.graphRunner(g); // weights allocated before profiling
    const x = tf.randomUniform([batch, S, S, 3]);
    const before = tf.memory().numTensors;
    const prof = await tf.profile(() => {
      tf.dispose(runner.run([x]));
    });
    expect(tf.memory().numTensors).toBe(before);
    // Oracle for a chain: the largest pair of consecutive activations (a node's input and output),
    // plus the input's clone; one more activation of slack for a step's own intermediate (a conv's
    // output before its activation).
    const sizes = [4 * batch * S * S * 3, ...g.nodes.map((n) => 4 * batch * shapes.get(n.name)!.reduce((a, b) => a * b, 1))];
    let pair = 0;
    for (let k = 1; k < sizes.length; k++) pair = Math.max(pair, sizes[k - 1] + sizes[k]);
    const largest = Math.max(...sizes);
    expect(prof.peakBytes).toBeLessThanOrEqual(pair + sizes[0] + largest);
    // The bound has teeth: a runner keeping every tensor to the end holds all of them, and more.
    expect(all + sizes[0]).toBeGreaterThan(pair + sizes[0] + largest);
    // The estimate measureLatency checks against the heap covers the measured peak of the activations.
    let weights = 0;
    for (const w of g.weights.values()) weights += 4 * w.data.length;
    const est = neural.peakForwardBytes(g, batch) - weights;
    expect(est).toBeGreaterThanOrEqual(pair);
    expect(prof.peakBytes).toBeLessThanOrEqual(est + sizes[0] + largest);
    // runAll still returns every tensor.
    const env = runner.runAll([x]);
    expect(env.size).toBe(g.nodes.length + 1);
    tf.dispose([...env.values(), x]);
    runner.dispose();
  });

  it('measureLatency refuses, before running, a batch whose live tensors would not fit the WASM heap', () => {
    const g = neural.loadTinyFaceDetector({ inputSize: 224 });
    const before = tf.memory().numTensors;
    expect(neural.peakForwardBytes(g, 1024)).toBeGreaterThan(2 ** 31);
    expect(() => neural.measureLatency(g, [1, 224, 224, 3], { batch: 1024 })).toThrow(ValueError);
    expect(() => neural.measureLatency(g, [1, 224, 224, 3], { batch: 1024 })).toThrow(/measureLatency.*GiB.*4 GiB heap/s);
    expect(tf.memory().numTensors).toBe(before);
    // And a batch that fits runs.
    expect(neural.measureLatency(g, [1, 224, 224, 3], { batch: 2, runs: 1, warmup: 0 })).toBeGreaterThan(0);
  });
});
