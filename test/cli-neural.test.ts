import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'src', 'cli', 'index.ts');
const TFD = 'datasets/face-api/tiny_face_detector_model-weights_manifest.json';
const dir = mkdtempSync(join(tmpdir(), 'gs-cli-neural-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run { code: number; stdout: string; stderr: string }

function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('groupsparse inspect / prune', () => {
  it('inspect --json prints one object whose flops is the total, with every group', async () => {
    const r = await runCli(['inspect', TFD, '--json', '--input-size', '64']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { format: string; flops: number; params: number; groups: { flops: number }[] };
    expect(j.format).toBe('faceapi-manifest');
    expect(j.groups.length).toBe(1008);
    // Independent count at 64 × 64: conv0 (62² outputs) dominates; the total exceeds its MACs.
    expect(j.flops).toBeGreaterThan(62 * 62 * 16 * 2 * 27);
    // Every weight of the manifest is uint8-quantized: one parameter per byte of the 193 321-byte shard.
    expect(j.params).toBe(193321);
  }, 120_000);

  it('prune writes the model in its own format and reports FLOPs before/after and latency', async () => {
    const out = join(dir, 'pruned');
    const r = await runCli(['prune', TFD, '--flops', '0.5', '--input-size', '64', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['tiny_face_detector_model-weights_manifest.json', 'tiny_face_detector_model.bin']);
    const m = /FLOPs per sample: ([\d,]+) → ([\d,]+)/.exec(r.stdout)!;
    const [before, after] = [m[1], m[2]].map((s) => Number(s.replace(/,/g, '')));
    expect(after).toBeLessThanOrEqual(0.5 * before);
    expect(r.stdout).toMatch(/latency \(tfjs wasm SIMD, batch 1, median of 20\): [\d.]+ ms → [\d.]+ ms/);
    const again = await runCli(['inspect', out, '--json', '--input-size', '64']);
    expect((JSON.parse(again.stdout) as { flops: number }).flops).toBe(after);
  }, 120_000);

  it('bad input exits 2 with one line and writes nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['prune', TFD, '--flops', '1.5', '--out', join(dir, 'a')], /--flops must be a number in \(0, 1\]/],
      [['prune', TFD, '--flops', '0.001', '--input-size', '64', '--out', join(dir, 'b')], /below the smallest network/],
      [['prune', TFD, '--flops', '0.5', '--method', 'channel-selection', '--out', join(dir, 'c')], /needs --calibration/],
      [['inspect', join(dir, 'missing.json')], /does not exist/],
      [['prune', TFD, '--flops', '0.5', '--norm-scope', 'local', '--out', join(dir, 'd')], /--norm-scope must be 'layer' or 'global', got 'local'/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
    for (const d of ['a', 'b', 'c', 'd']) expect(existsSync(join(dir, d)) && readdirSync(join(dir, d)).length > 0).toBe(false);
  }, 240_000);
});
