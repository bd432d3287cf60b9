import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInProcess } from './helpers/cli.ts';
import { buildDesign, GroupLasso, Random, readCsv } from '../src/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'src', 'cli', 'index.ts');

interface Run { code: number; stdout: string; stderr: string }

/** Spawn the command line as a user would (Node with the tsx loader on the TypeScript entry). */
function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, timeout: 150_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const runInProcess = cliInProcess;

let dir = '';
const results = new Map<string, Run>();

/** A small table: y depends on x1 and on the category; x2, x3 are noise. */
function goodCsv(): string {
  const r = new Random(4);
  const lines = ['x1,x2,x3,cat,y'];
  for (let i = 0; i < 60; i++) {
    const x1 = r.normal();
    const x2 = r.normal();
    const x3 = r.normal();
    const cat = ['a', 'b', 'c'][i % 3];
    const y = 2 * x1 + (cat === 'b' ? 1.5 : 0) + 0.3 * r.normal();
    lines.push(`${x1.toFixed(4)},${x2.toFixed(4)},${x3.toFixed(4)},${cat},${y.toFixed(4)}`);
  }
  return lines.join('\n') + '\n';
}

/** Spawned as a user would run them (the binary's own process, exit code and streams). */
const spawned = new Set(['fitLambda', 'pathPlot', 'missingFile', 'unknownFlag']);

const cases: Record<string, (d: string) => string[]> = {
  fitLambda: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--lambda', '0.05'],
  fitJson: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--criterion', 'bic', '--json', '--quiet'],
  pathPlot: (d) => ['path', join(d, 'good.csv'), '--target', 'y', '--n-lambda', '20', '--plot', join(d, 'path.svg'), '--quiet'],
  missingFile: (d) => ['fit', join(d, 'nope.csv'), '--target', 'y'],
  missingColumn: (d) => ['fit', join(d, 'good.csv'), '--target', 'yy'],
  nonNumeric: (d) => ['fit', join(d, 'typo.csv'), '--target', 'y'],
  empty: (d) => ['fit', join(d, 'empty.csv'), '--target', 'y'],
  targetNaN: (d) => ['fit', join(d, 'nan.csv'), '--target', 'y'],
  unknownFlag: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--lamda', '0.1'],
  twoChoices: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--lambda', '0.1', '--cv', '5'],
  negativeLambda: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--lambda', '-1'],
  negativeSeed: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--seed', '-1'],
  repeatedLambda: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--lambda', '0.1', '--lambda', '0.2'],
  plotNoDir: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--lambda', '0.1', '--plot', join(d, 'no', 'dir', 'x.svg')],
  // access() grants root any folder; /proc refuses the file all the same, found before the fit.
  plotUnwritable: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--lambda', '0.1', '--plot', '/proc/x.svg'],
  plotExists: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--lambda', '0.1', '--plot', join(d, 'exists.svg')],
  plotBadExt: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--lambda', '0.1', '--plot', join(d, 'x.pdf')],
  plotIsInput: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--lambda', '0.1', '--cv-plot', join(d, 'good.csv')],
  plotForce: (d) => ['fit', join(d, 'good.csv'), '--target', 'y', '--lambda', '0.1', '--plot', join(d, 'forced.json'), '--force', '--quiet'],
  unknownCommand: () => ['fitt', 'x.csv'],
  fitHelp: () => ['fit', '--help'],
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'groupsparse-cli-'));
  const good = goodCsv();
  writeFileSync(join(dir, 'good.csv'), good);
  const rows = good.trim().split('\n');
  writeFileSync(join(dir, 'typo.csv'), [...rows.slice(0, 5), rows[5].replace(/^[^,]+/, '1.2.3'), ...rows.slice(6)].join('\n'));
  writeFileSync(join(dir, 'empty.csv'), '');
  writeFileSync(join(dir, 'exists.svg'), 'keep me');
  writeFileSync(join(dir, 'forced.json'), 'old');
  writeFileSync(join(dir, 'nan.csv'), [...rows.slice(0, 8), rows[8].replace(/[^,]+$/, 'NA'), ...rows.slice(9)].join('\n'));
  // The spawns at once (the suite waits for the slowest, not for the sum); the rest in this process.
  const names = Object.keys(cases);
  const runs = await Promise.all(names.filter((k) => spawned.has(k)).map(async (k) => [k, await runCli(cases[k](dir))] as const));
  for (const [k, r] of runs) results.set(k, r);
  for (const k of names.filter((n) => !spawned.has(n))) results.set(k, await runInProcess(cases[k](dir)));
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('groupsparse command line', () => {
  it('fit prints the selected groups, coefficients and the certificate, with progress on stderr', () => {
    const r = results.get('fitLambda')!;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/selected groups \(\d of 4\)/);
    expect(r.stdout).toMatch(/x1\s+\S+\s+x1=1\.9/);
    expect(r.stdout).toMatch(/certificate: .*converged: yes/);
    // cli-progress with noTTYOutput writes plain lines to stderr when it is not a terminal.
    expect(r.stderr).toMatch(/fits/);
  });

  it('fit --json matches the estimator on the same design', () => {
    const r = results.get('fitJson')!;
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const design = buildDesign(readCsv(join(dir, 'good.csv')), { target: 'y' });
    const m = new GroupLasso({ groups: design.groups, criterion: 'bic', featureNames: design.columnNames }).fit(design.X, design.y);
    expect(out.selectedGroups.map((g: { name: string }) => g.name)).toEqual(m.selectedGroups().map((g) => g.name));
    for (const g of m.selectedGroups()) {
      const o = out.selectedGroups.find((x: { name: string }) => x.name === g.name);
      for (const c of g.coefficients) expect(o.coefficients[c.feature]).toBeCloseTo(c.value, 10);
    }
    expect(out.certificate.converged).toBe(true);
    expect(out.criteria.dfMethod).toBe('yuanLin');
    // The embedded model snapshot predicts like the estimator.
    const back = GroupLasso.fromJSON(out.model);
    expect(Array.from(back.predict(design.X))).toEqual(Array.from(m.predict(design.X)));
  });

  it('path prints the entry order and draws the SVG', () => {
    const r = results.get('pathPlot')!;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/order in which groups enter:\n\s+1\. x1 /);
    expect(r.stdout).toMatch(/every fit certified/);
    expect(existsSync(join(dir, 'path.svg'))).toBe(true);
    expect(readFileSync(join(dir, 'path.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('refuses bad input with exit code 2 and one line naming the problem', () => {
    const expectations: Record<string, RegExp> = {
      missingFile: /cannot read '.*nope\.csv'/,
      missingColumn: /target column 'yy' is not in .*columns are x1, x2, x3, cat, y/,
      nonNumeric: /column 'x1' .*line 6.*'1\.2\.3'.*--categorical/,
      empty: /empty\.csv' is empty/,
      targetNaN: /missing value 'NA' at line 9.*column 'y'/,
      unknownFlag: /unknown option '--lamda' for fit; did you mean --lambda?/,
      twoChoices: /give one of --lambda, --cv, --criterion/,
      negativeLambda: /--lambda must be a number ≥ 0, got '-1'/,
      // Named as the flag (it used to come from Random, after the full-data path).
      negativeSeed: /^groupsparse: --seed must be a whole number from 0 to 4294967295, got '-1'$/m,
      repeatedLambda: /--lambda is given twice \('0\.1' and '0\.2'\)/,
      plotNoDir: /--plot '.*x\.svg': the folder '.*dir' does not exist/,
      plotUnwritable: /^groupsparse: --plot '\/proc\/x\.svg': the folder '\/proc' is not writable$/m,
      plotExists: /--plot '.*exists\.svg' already exists; add --force/,
      plotBadExt: /--plot '.*x\.pdf': the file name must end in \.svg, \.png, \.json/,
      plotIsInput: /--cv-plot '.*good\.csv'.*(input file|must end in)/,
      unknownCommand: /unknown command 'fitt'; did you mean fit\?/,
    };
    for (const [k, re] of Object.entries(expectations)) {
      const r = results.get(k)!;
      expect(r.code, `${k}: ${r.stderr}`).toBe(2);
      expect(r.stderr, k).toMatch(/^groupsparse: /);
      expect(r.stderr, k).toMatch(re);
      expect(r.stderr, k).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stdout, k).toBe('');
      expect(r.stderr.trim().split('\n'), k).toHaveLength(1);
    }
    // Output paths are checked before any work: no progress line, the existing file untouched.
    expect(results.get('plotNoDir')!.stderr).not.toMatch(/fits/);
    expect(results.get('plotUnwritable')!.stderr).not.toMatch(/fits/);
    expect(readFileSync(join(dir, 'exists.svg'), 'utf8')).toBe('keep me');
  });

  it('--force overwrites an existing output; --help lists a command\'s flags', () => {
    const r = results.get('plotForce')!;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'forced.json'), 'utf8')).$schema).toMatch(/vega-lite/);
    const h = results.get('fitHelp')!;
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--target COL/);
    expect(h.stdout).toMatch(/--force/);
  });
});
