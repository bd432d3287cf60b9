import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInProcess, type CliRun } from './helpers/cli.ts';
import { Random } from '../src/index.ts';

/**
 * The command line on tables shaped as real files are: semicolons with decimal commas, dates, a wide
 * file, missing values in a column left out, an id column, standard input. Every table is generated
 * here with a known truth (y depends on `dose` and on `site`, never on the noise columns).
 */
type Run = CliRun;
const cli = cliInProcess;

function rows(n: number, seed: number, extra: (r: Random, i: number) => Record<string, string> = () => ({})) {
  const r = new Random(seed);
  const out: Record<string, string | number>[] = [];
  for (let i = 0; i < n; i++) {
    const dose = r.normal();
    const site = ['north', 'south', 'east'][i % 3];
    const y = 2 * dose + (site === 'east' ? 1.5 : 0) + 0.3 * r.normal();
    out.push({ dose, site, noise: r.normal(), ...extra(r, i), y });
  }
  return out;
}

function csv(table: Record<string, string | number>[], sep = ',', decimalComma = false): string {
  const names = Object.keys(table[0]);
  const cell = (v: string | number) => (typeof v === 'number' ? (decimalComma ? v.toFixed(4).replace('.', ',') : v.toFixed(4)) : v);
  return [names.join(sep), ...table.map((row) => names.map((k) => cell(row[k])).join(sep))].join('\n') + '\n';
}

let dir = '';
const file = (name: string) => join(dir, name);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'groupsparse-tables-'));
  writeFileSync(file('semicolon.csv'), csv(rows(90, 1), ';', true));
  const day = (i: number) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);
  writeFileSync(file('dates.csv'), csv(rows(90, 2, (_, i) => ({ when: day(i) }))));
  const wide = rows(60, 3, (r) => Object.fromEntries(Array.from({ length: 300 }, (_, j) => [`extra_column_${j}`, (0.01 * r.normal()).toFixed(4)])));
  writeFileSync(file('wide.csv'), csv(wide));
  const withNA = rows(90, 4, (_, i) => ({ comment: i % 7 === 0 ? 'NA' : 'ok' }));
  writeFileSync(file('na-dropped.csv'), csv(withNA));
  const naUsed = csv(rows(90, 5)).split('\n').map((l, i) => (i === 10 || i === 20 ? l.replace(/^[^,]+/, '') : l)).join('\n');
  writeFileSync(file('na-used.csv'), naUsed);
  writeFileSync(file('ids.csv'), csv(rows(90, 6, (_, i) => ({ patient: `P${1000 + i}` }))));
  writeFileSync(file('trailing.csv'), csv(rows(30, 7)).split('\n').map((l) => (l ? `${l},` : l)).join('\n'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the command line on unseen tables', () => {
  it('a delimiter at the end of every line: one line naming the fix in CLI terms, not an API option', async () => {
    const r = await cli(['fit', file('trailing.csv'), '--target', 'y', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('groupsparse: column 5 of the header (line 1) has no name (a delimiter at the end of the line?); name the column in the file, or remove the extra delimiter');
  });

  it('reads a semicolon file with decimal commas without being told', async () => {
    const r = await cli(['fit', file('semicolon.csv'), '--target', 'y', '--lambda', '0.05', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dose\s+\S+\s+dose=1\.9\d/);
    expect(r.stdout).toMatch(/site\s/);
    // Explicit flags give the same fit.
    const r2 = await cli(['fit', file('semicolon.csv'), '--target', 'y', '--lambda', '0.05', '--quiet', '--delimiter', ';', '--decimal', ',']);
    expect(r2.stdout).toBe(r.stdout);
  });

  it('refuses a date column with the flags that fix it, and reads it as days with --dates numeric', async () => {
    const r = await cli(['fit', file('dates.csv'), '--target', 'y', '--lambda', '0.05']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^groupsparse: column 'when' holds dates \(e\.g\. '2024-01-01' at line 2\); read them as numbers with --dates numeric .* or --drop the column\n$/);
    const ok = await cli(['fit', file('dates.csv'), '--target', 'y', '--lambda', '0.05', '--dates', 'numeric', '--quiet', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout);
    expect(out.model.featureNames).toContain('when');
  });

  it('folds the list of dropped groups of a wide file', async () => {
    const r = await cli(['fit', file('wide.csv'), '--target', 'y', '--criterion', 'bic', '--quiet', '--n-lambda', '20']);
    expect(r.code, r.stderr).toBe(0);
    const droppedLine = r.stdout.split('\n').findIndex((l) => l.startsWith('dropped ('));
    expect(droppedLine).toBeGreaterThan(0);
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(130);
    expect(r.stdout).toMatch(/… and \d+ more/);
    expect(r.stdout).toMatch(/^ {2}dose /m);
  });

  it('ignores missing values in a dropped column; counts the rows --drop-missing drops', async () => {
    const bad = await cli(['fit', file('na-dropped.csv'), '--target', 'y', '--lambda', '0.05']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/missing value 'NA' at line 2 .*column 'comment'; add --drop-missing to drop such rows, or --drop the column/);
    const dropped = await cli(['fit', file('na-dropped.csv'), '--target', 'y', '--lambda', '0.05', '--drop', 'comment', '--quiet']);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.stdout).toMatch(/n = 90,/);
    const used = await cli(['fit', file('na-used.csv'), '--target', 'y', '--lambda', '0.05', '--drop-missing', '--quiet']);
    expect(used.code, used.stderr).toBe(0);
    expect(used.stderr).toMatch(/dropped 2 of 90 rows with a missing value in a used column \(lines 11, 21\)/);
    expect(used.stdout).toMatch(/n = 88,/);
  });

  it('refuses an id-like string column unless it is declared categorical', async () => {
    const r = await cli(['fit', file('ids.csv'), '--target', 'y', '--lambda', '0.05']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/column 'patient' has 90 distinct values .*--drop it, or list it in --categorical/);
    const ok = await cli(['fit', file('ids.csv'), '--target', 'y', '--lambda', '0.05', '--drop', 'patient', '--quiet']);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("splits --transform on ';', takes --solver, and prints the CV error and R² at the chosen λ", async () => {
    const r = await cli(['fit', file('na-dropped.csv'), '--target', 'y', '--drop', 'comment', '--transform', 'd2=dose^2;an=abs(noise)',
      '--solver', 'fista', '--cv', '5', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cross-validated mean squared error at λ: \d\.\d+ ± \d\.\d+/);
    const r2 = Number(/R² on the fitted rows: ([\d.]+)/.exec(r.stdout)![1]);
    expect(r2).toBeGreaterThan(0.9);
    // dose, two site dummies, noise and the two derived columns d2, an.
    expect(r.stdout).toMatch(/6 columns in 5 groups/);
    // The two real groups come first, by importance.
    const groupsInOrder = r.stdout.split('\n').filter((l) => /^ {2}\S+ +\d/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    expect(groupsInOrder.slice(0, 2).sort()).toEqual(['dose', 'site']);
  });

  it('reads standard input for the file name -', async () => {
    const text = csv(rows(60, 7));
    const r = await cli(['fit', '-', '--target', 'y', '--lambda', '0.05', '--quiet'], text);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^<stdin>: target y/);
    const empty = await cli(['fit', '-', '--target', 'y'], '');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/standard input is empty/);
  });

  it('reads standard input in the real binary too', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const text = csv(rows(60, 8));
    const r = await new Promise<Run>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'index.ts'), 'fit', '-', '--target', 'y', '--lambda', '0.05', '--quiet'],
        { cwd: root, timeout: 150_000 }, (err, stdout, stderr) => resolve({ code: err ? -1 : 0, stdout, stderr }));
      child.stdin!.end(text);
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dose\s/);
  }, 160_000);
});
