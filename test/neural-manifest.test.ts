import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';

/** Bytes written by hand (DataView, little-endian) for a manifest with known values. */
function writeModel(dir: string): { f32: number[]; q8: number[]; q16: number[]; half: number[]; ints: number[] } {
  const f32 = [1.5, -2.25, 3.1, 0, 1e-3, -7];
  const q8 = [0, 1, 128, 255];
  const q16 = [0, 65535, 300];
  const half = [0x3c00, 0xc000, 0x3555]; // 1, −2, 0.333251953125
  const ints = [-3, 7];
  const bytes = new Uint8Array(6 * 4 + 4 + 3 * 2 + 3 * 2 + 2 * 4);
  const v = new DataView(bytes.buffer);
  let p = 0;
  for (const x of f32) { v.setFloat32(p, x, true); p += 4; }
  for (const q of q8) v.setUint8(p++, q);
  for (const q of q16) { v.setUint16(p, q, true); p += 2; }
  for (const h of half) { v.setUint16(p, h, true); p += 2; }
  for (const i of ints) { v.setInt32(p, i, true); p += 4; }
  // Two shards cut in the middle of the first tensor.
  writeFileSync(join(dir, 'm.bin.1'), bytes.subarray(0, 10));
  writeFileSync(join(dir, 'm.bin.2'), bytes.subarray(10));
  const manifest = [{
    paths: ['m.bin.1', 'm.bin.2'],
    weights: [
      { name: 'a/f32', shape: [2, 3], dtype: 'float32' },
      { name: 'b/q8', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
      { name: 'c/q16', shape: [3, 1], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.001, min: 2 } },
      { name: 'd/f16', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'e/i32', shape: [2], dtype: 'int32' },
    ],
  }];
  writeFileSync(join(dir, 'm-weights_manifest.json'), JSON.stringify(manifest));
  return { f32, q8, q16, half, ints };
}

describe('readWeightsManifest', () => {
  it('reads float32, uint8/uint16-quantized, float16 and int32 tensors across shards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-manifest-'));
    const k = writeModel(dir);
    const w = neural.readWeightsManifest(join(dir, 'm-weights_manifest.json'));
    expect([...w.keys()]).toEqual(['a/f32', 'b/q8', 'c/q16', 'd/f16', 'e/i32']);
    expect(w.get('a/f32')!.shape).toEqual([2, 3]);
    expect(Array.from(w.get('a/f32')!.data)).toEqual(k.f32.map(Math.fround));
    expect(Array.from(w.get('b/q8')!.data)).toEqual(k.q8.map((q) => q * 0.5 - 1));
    expect(Array.from(w.get('c/q16')!.data)).toEqual(k.q16.map((q) => q * 0.001 + 2));
    expect(Array.from(w.get('d/f16')!.data)).toEqual([1, -2, 0.333251953125]);
    expect(Array.from(w.get('e/i32')!.data)).toEqual(k.ints);
  });

  it('refuses short shards, leftover bytes, unknown dtypes, missing files', () => {
    const m = (weights: object[]) => [{ paths: ['x'], weights }];
    const four = [new Uint8Array(4)];
    expect(() => neural.parseWeightsManifest(m([{ name: 'a', shape: [2], dtype: 'float32' }]), [four])).toThrow(/needs bytes/);
    expect(() => neural.parseWeightsManifest(m([{ name: 'a', shape: [1], dtype: 'float32' }]), [[new Uint8Array(5)]])).toThrow(/accounts for 4 bytes/);
    expect(() => neural.parseWeightsManifest(m([{ name: 'a', shape: [1], dtype: 'complex64' }]), [four])).toThrow(DataError);
    expect(() => neural.parseWeightsManifest(m([{ name: 'a', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8' } }]), [four])).toThrow(/scale\/min/);
    expect(() => neural.parseWeightsManifest({ weights: [] }, [])).toThrow(DataError);
    expect(() => neural.readWeightsManifest('/nonexistent/x-weights_manifest.json')).toThrow(DataError);
  });

  it('reads the shipped Tiny Face Detector: 19 uint8 tensors, values = q·scale + min', async () => {
    const path = neural.tinyFaceDetectorPath();
    const w = neural.readWeightsManifest(path);
    expect(w.size).toBe(19);
    const raw = new Uint8Array(readFileSync(path.replace('-weights_manifest.json', '.bin')));
    let total = 0;
    for (const t of w.values()) total += t.data.length;
    expect(total).toBe(raw.length); // every tensor is 1 byte per value
    const f = w.get('conv0/filters')!;
    expect(f.shape).toEqual([3, 3, 3, 16]);
    const q = f.quantization!;
    expect(f.data[0]).toBe(raw[0] * q.scale! + q.min!);
    expect(f.data[431]).toBe(raw[431] * q.scale! + q.min!);
    for (const t of w.values()) {
      const { scale, min } = t.quantization!;
      let lo = Infinity, hi = -Infinity;
      for (const v of t.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(lo).toBeGreaterThanOrEqual(min! - 1e-12);
      expect(hi).toBeLessThanOrEqual(min! + 255 * scale! + 1e-12);
    }
    await neural.initRuntime();
    const net = neural.loadTinyFaceDetector({ inputSize: 64 });
    expect(neural.inferShapes(net).get('conv8')).toEqual([1, 2, 2, 25]);
    expect(neural.parameterCount(net)).toBe(raw.length);
  });
});

describe('Tiny Face Detector forward pass', () => {
  it('the IR in the tfjs runtime matches a fixture computed once with tfjs 4.22 (float32) on a fixed 40×40 input', async () => {
    await neural.initRuntime();
    const { tf } = neural;
    const ref = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/tiny-face-detector-40.json', import.meta.url)), 'utf8')) as { shape: number[]; data: number[] };
    expect(ref.shape).toEqual([1, 2, 2, 25]);
    const S = 40;
    const x = new Float32Array(S * S * 3); // NHWC
    for (let c = 0; c < 3; c++) for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
      x[(i * S + j) * 3 + c] = 0.5 + 0.5 * Math.sin(0.37 * i + 0.23 * j * (c + 1) + c);
    }
    const runner = neural.graphRunner(neural.loadTinyFaceDetector({ inputSize: S }));
    const [out] = runner.run([tf.tensor4d(x, [1, S, S, 3])]);
    expect(out.shape).toEqual(ref.shape);
    const y = out.dataSync();
    let scale = 0;
    let worst = 0;
    for (let k = 0; k < ref.data.length; k++) {
      scale = Math.max(scale, Math.abs(ref.data[k]));
      worst = Math.max(worst, Math.abs(y[k] - ref.data[k]));
    }
    // Both float32 through 13 layers; the fixture's backend summed in another order.
    expect(worst).toBeLessThan(1e-5 * scale);
    runner.dispose();
  });
});
