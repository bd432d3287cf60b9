import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDesignAsync, GroupLasso, Random, readCsv } from '../src/index.ts';
import { cliInProcess } from './helpers/cli.ts';

let dir: string;
const f = (name: string) => join(dir, name);

// Semicolons and decimal commas in the training file, commas in the file to score; a date column
// that the fit reads as days since 1970; a text id that is dropped.
function rows(n: number, seed: number, sep: string, dec: string): string {
  const r = new Random(seed);
  const out = [['id', 'y', 'x', 'z', 'shop', 'day'].join(sep)];
  const shops = ['north', 'south', 'east'];
  for (let i = 0; i < n; i++) {
    const x = 1 + 4 * r.uniform();
    const z = 1 + 9 * r.uniform();
    const shop = shops[i % 3];
    const day = `2024-0${1 + (i % 9)}-1${i % 10}`;
    const y = 2 + 1.5 * x - 2 * Math.log(z) + (shop === 'south' ? 1 : shop === 'east' ? -0.5 : 0) + 0.3 * r.normal();
    const num = (v: number) => v.toFixed(4).replace('.', dec);
    out.push([`r${seed}-${i}`, num(y), num(x), num(z), shop, day].join(sep));
  }
  return out.join('\n') + '\n';
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'groupsparse-predict-'));
  writeFileSync(f('train.csv'), rows(120, 1, ';', ','));
  writeFileSync(f('new.csv'), rows(25, 2, ',', '.'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIT = ['--target', 'y', '--categorical', 'shop:ref=north', '--transform', 'lz=log(z)', '--drop', 'id,z,day', '--lambda', '0.02', '--quiet'];

describe('groupsparse fit --save / predict', () => {
  it('predictions of a saved model on a new file equal X_new·w + b coded by hand, and the in-memory model (1e-12)', async () => {
    const fit = await cliInProcess(['fit', f('train.csv'), ...FIT, '--save', f('m1.json'), '--json']);
    expect(fit.stderr).toBe('');
    expect(fit.code).toBe(0);
    const model = JSON.parse(fit.stdout).model as { featureNames: string[]; coef: number[]; intercepts: number[] };
    expect(model.featureNames).toEqual(['x', 'shopeast', 'shopsouth', 'lz']);
    expect(model.coef.every((c) => c !== 0)).toBe(true);
    const pred = await cliInProcess(['predict', f('m1.json'), f('new.csv'), '--keep', 'id']);
    expect(pred.code).toBe(0);
    const lines = pred.stdout.trim().split('\n');
    expect(lines[0]).toBe('id,prediction');
    expect(lines.length).toBe(26);
    // By hand: the new file's rows coded as the fit coded them (north is the reference).
    const fresh = readCsv(f('new.csv'), { dates: 'strings' });
    const col = (n: string) => fresh.columns[fresh.names.indexOf(n)];
    const [wx, we, ws, wl] = model.coef;
    for (let i = 0; i < 25; i++) {
      const shop = (col('shop') as string[])[i];
      const expected = model.intercepts[0] + wx * (col('x') as Float64Array)[i] + (shop === 'east' ? we : 0) + (shop === 'south' ? ws : 0) + wl * Math.log((col('z') as Float64Array)[i]);
      const [id, value] = lines[i + 1].split(',');
      expect(id).toBe((col('id') as string[])[i]);
      expect(Math.abs(Number(value) - expected)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected)));
    }
    // The in-memory model of the same fit, built with the library from the training file.
    const train = readCsv(f('train.csv'), { delimiter: ';', decimal: ',', columns: ['y', 'x', 'z', 'shop'] });
    const design = await buildDesignAsync(train, {
      target: 'y', transforms: { lz: 'log(z)' },
      columns: [{ type: 'numeric', column: 'x' }, { type: 'categorical', column: 'shop', reference: 'north' }, { type: 'numeric', column: 'lz' }],
    });
    const m = new GroupLasso({ groups: design.groups, lambda: 0.02, featureNames: design.columnNames }).fit(design.X, design.y!);
    const mem = m.predict(design.transform(fresh).X);
    for (let i = 0; i < 25; i++) expect(Math.abs(Number(lines[i + 1].split(',')[1]) - mem[i])).toBeLessThan(1e-12 * Math.max(1, Math.abs(mem[i])));
  });

  it('predict reads standard input and writes --out', async () => {
    const fit = await cliInProcess(['fit', f('train.csv'), ...FIT, '--save', f('m2.json')]);
    expect(fit.code).toBe(0);
    const a = await cliInProcess(['predict', f('m2.json'), '-'], readFileSync(f('new.csv'), 'utf8'));
    const b = await cliInProcess(['predict', f('m2.json'), f('new.csv'), '--out', f('p.csv')]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(b.stderr).toBe(`groupsparse: wrote 25 predictions to ${f('p.csv')}\n`);
    expect(readFileSync(f('p.csv'), 'utf8')).toBe(a.stdout);
  });

  it('an unseen level is refused with exit 2 and one line; --unseen zero at fit time codes it as the reference', async () => {
    writeFileSync(f('unseen.csv'), 'id,x,z,shop\na,2,3,north\nb,2,3,west\n');
    const fit = await cliInProcess(['fit', f('train.csv'), ...FIT, '--save', f('m3.json')]);
    expect(fit.code).toBe(0);
    const r = await cliInProcess(['predict', f('m3.json'), f('unseen.csv')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^groupsparse: column 'shop' has level 'west' on data row 2 that was not seen .*--unseen zero/);
    const fitZ = await cliInProcess(['fit', f('train.csv'), ...FIT, '--unseen', 'zero', '--save', f('m4.json')]);
    expect(fitZ.code).toBe(0);
    const z = await cliInProcess(['predict', f('m4.json'), f('unseen.csv')]);
    expect(z.code).toBe(0);
    const [, north, west] = z.stdout.trim().split('\n');
    expect(west).toBe(north);
  });

  it('a missing column, a file that is not a saved model, a bad --save path: exit 2, one line, before any work', async () => {
    await cliInProcess(['fit', f('train.csv'), ...FIT, '--save', f('m5.json')]);
    writeFileSync(f('nox.csv'), 'id,z,shop\na,3,north\n');
    const a = await cliInProcess(['predict', f('m5.json'), f('nox.csv')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^groupsparse: '.*nox\.csv' has no column 'x', which the model reads \(it reads z, x, shop\)/);
    const b = await cliInProcess(['predict', f('train.csv'), f('new.csv')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/train\.csv: Pipeline\.fromJSON: not JSON/);
    const c = await cliInProcess(['fit', f('train.csv'), ...FIT, '--save', join(dir, 'nodir', 'm.json')]);
    expect(c.code).toBe(2);
    expect(c.stdout).toBe('');
    expect(c.stderr).toMatch(/--save '.*m\.json': the folder '.*nodir' does not exist/);
    const d = await cliInProcess(['fit', f('train.csv'), ...FIT, '--save', f('m.txt')]);
    expect(d.stderr).toMatch(/--save '.*m\.txt': the file name must end in \.json/);
    expect(existsSync(f('m.txt'))).toBe(false);
  });

  it('a date read as days at fit time is read the same way by predict; path --save keeps the BIC fit', async () => {
    const args = ['--target', 'y', '--categorical', 'shop', '--drop', 'id', '--dates', 'numeric', '--quiet'];
    const p = await cliInProcess(['path', f('train.csv'), ...args, '--save', f('m6.json'), '--n-lambda', '20']);
    expect(p.code).toBe(0);
    const saved = JSON.parse(readFileSync(f('m6.json'), 'utf8'));
    expect(saved.readOptions.dates).toBe('numeric');
    expect(saved.model.selection).toBe('criterion');
    const r = await cliInProcess(['predict', f('m6.json'), f('new.csv')]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(26);
  });

  it('logistic and multinomial models write probabilities: σ(link), and class columns summing to 1', async () => {
    const lines = readFileSync(f('new.csv'), 'utf8').trim().split('\n');
    writeFileSync(f('labels.csv'), readFileSync(f('train.csv'), 'utf8').replace(/^id;y;/, 'id;yy;').split('\n')
      .map((l, i) => (i === 0 || l === '' ? l : l.replace(/^([^;]*);([^;]*);([^;]*)/, (_, id, y, x) => `${id};${Number(x.replace(',', '.')) > 3 ? 1 : 0};${x}`))).join('\n'));
    const fit = await cliInProcess(['fit', f('labels.csv'), '--target', 'yy', '--loss', 'logistic', '--drop', 'id,day', '--lambda', '0.05', '--quiet', '--save', f('lg.json')]);
    expect(fit.code).toBe(0);
    const pr = (await cliInProcess(['predict', f('lg.json'), f('new.csv')])).stdout.trim().split('\n');
    const lk = (await cliInProcess(['predict', f('lg.json'), f('new.csv'), '--type', 'link'])).stdout.trim().split('\n');
    expect(pr[0]).toBe('probability');
    expect(lk[0]).toBe('link');
    expect(pr.length).toBe(lines.length);
    for (let i = 1; i < pr.length; i++) expect(Math.abs(Number(pr[i]) - 1 / (1 + Math.exp(-Number(lk[i]))))).toBeLessThan(1e-15);
    const mfit = await cliInProcess(['fit', f('train.csv'), '--target', 'shop', '--loss', 'multinomial', '--drop', 'id,day', '--lambda', '0.02', '--quiet', '--save', f('mn.json')]);
    expect(mfit.code).toBe(0);
    writeFileSync(f('mn.csv'), 'id,y,x,z\na,3,2,3\nb,5,2,3\n');
    const mn = (await cliInProcess(['predict', f('mn.json'), f('mn.csv'), '--keep', 'id'])).stdout.trim().split('\n');
    expect(mn[0]).toBe('id,p_east,p_north,p_south');
    for (const row of mn.slice(1)) {
      const ps = row.split(',').slice(1).map(Number);
      expect(Math.abs(ps.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
    }
  });
});
