import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'src', 'cli', 'index.ts');

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('CLI: --loss cox, --loss multinomial, --weights', () => {
  it('fits the Cox model on the shipped veteran data with --time/--status; refuses --target and bad status', async () => {
    const r = await runCli(['fit', 'datasets/veteran.csv', '--loss', 'cox', '--time', 'time', '--status', 'status',
      '--categorical', 'celltype,trt', '--lambda', '0.05', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.loss).toBe('cox');
    expect(out.certificate.converged).toBe(true);
    expect(out.selectedGroups.map((g: { name: string }) => g.name)).toContain('celltype');
    const bad = await runCli(['fit', 'datasets/veteran.csv', '--loss', 'cox', '--target', 'time', '--quiet']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--loss cox takes --time COL and --status COL in place of --target/);
    const status = await runCli(['fit', 'datasets/lung.csv', '--loss', 'cox', '--time', 'time', '--status', 'status', '--drop-missing', '--lambda', '0.1', '--quiet']);
    expect(status.code).toBe(2);
    // One line of refusal (after the note on rows dropped for missing values in used columns).
    expect(status.stderr.trim().split('\n').filter((l) => !/dropped \d+ of \d+ rows/.test(l))).toHaveLength(1);
    expect(status.stderr).toMatch(/status must be 1 \(event\) or 0 \(censored\), got 2/);
  });

  it('fits a multinomial on a string target, with weights from a column', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'gs-mn-'));
    const lines = ['a,b,w,species'];
    for (let i = 0; i < 60; i++) lines.push(`${(Math.sin(i) + (i % 3)).toFixed(4)},${Math.cos(5 * i).toFixed(4)},${1 + (i % 2)},${['x', 'y', 'z'][i % 3]}`);
    const file = join(dir, 'mn.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await runCli(['fit', file, '--target', 'species', '--loss', 'multinomial', '--weights', 'w', '--lambda', '0.05', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.classes).toEqual(['x', 'y', 'z']);
    expect(out.intercepts).toHaveLength(3);
    const a = out.selectedGroups.find((g: { name: string }) => g.name === 'a');
    expect(Object.keys(a.coefficients)).toEqual(['a[x]', 'a[y]', 'a[z]']);
    // The weights column is not a predictor.
    expect(out.selectedGroups.some((g: { name: string }) => g.name === 'w')).toBe(false);
    expect(out.droppedGroups).not.toContain('w');
  });
});

describe('CLI: the bi-level penalties', () => {
  it('fits --penalty gel --tau and --penalty cMCP --gamma, refusing τ outside (0, 1], γ ≤ 1 and --tau with another penalty', async () => {
    for (const extra of [['--penalty', 'gel', '--tau', '0.5'], ['--penalty', 'cMCP', '--gamma', '2.5']]) {
      const r = await runCli(['fit', 'datasets/birthwt.csv', '--target', 'bwt', '--categorical', 'race', ...extra, '--criterion', 'bic', '--json', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      // No duality gap for a nonconvex penalty: certified by stationarity.
      expect(out.certificate.dualityGap).toBeNull();
      expect(out.certificate.converged).toBe(true);
      expect(out.selectedGroups.length).toBeGreaterThan(0);
    }
    const tau = await runCli(['fit', 'datasets/birthwt.csv', '--target', 'bwt', '--penalty', 'gel', '--tau', '2', '--lambda', '0.1', '--quiet']);
    expect(tau.code).toBe(2);
    expect(tau.stderr).toMatch(/tau must be in \(0, 1\] for the group exponential lasso, got 2/);
    const gamma = await runCli(['fit', 'datasets/birthwt.csv', '--target', 'bwt', '--penalty', 'cMCP', '--gamma', '1', '--lambda', '0.1', '--quiet']);
    expect(gamma.code).toBe(2);
    expect(gamma.stderr).toMatch(/gamma must be greater than 1 for the composite MCP penalty/);
    const other = await runCli(['fit', 'datasets/birthwt.csv', '--target', 'bwt', '--tau', '0.5', '--lambda', '0.1', '--quiet']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/tau is not a parameter of the groupLasso penalty/);
  });
});

describe('CLI: --adaptive', () => {
  it('fits the adaptive group lasso, a fit other than the plain group lasso', async () => {
    const base = ['fit', 'datasets/birthwt.csv', '--target', 'bwt', '--categorical', 'race', '--criterion', 'bic', '--json', '--quiet'];
    const plain = await runCli(base);
    const ad = await runCli([...base, '--adaptive']);
    expect(ad.code, ad.stderr).toBe(0);
    const a = JSON.parse(ad.stdout);
    const p = JSON.parse(plain.stdout);
    expect(a.certificate.converged).toBe(true);
    // Different weights give a different fit than the plain group lasso.
    expect(a.lambda).not.toBe(p.lambda);
    expect(a.selectedGroups.length).toBeGreaterThan(0);
  });
});
