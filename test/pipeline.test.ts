import { beforeAll, describe, expect, it } from 'vitest';
import {
  DataError, GroupLasso, loadExpressionEngine, OptionError, Pipeline, Random, readCsv, tableFromColumns, ValueError,
  type ColumnSpec,
} from '../src/index.ts';

// A training table with every kind of coding: a numeric column, a categorical with a chosen
// reference, an orthogonal polynomial, B- and natural splines, an interaction, a string transform.
function trainingCsv(n: number, seed: number): string {
  const r = new Random(seed);
  const rows = ['y,age,lwt,race,smoke,ptl'];
  const races = ['white', 'black', 'other'];
  for (let i = 0; i < n; i++) {
    const age = 15 + Math.floor(r.uniform() * 30);
    const lwt = 90 + r.uniform() * 150;
    const race = races[i % 3];
    const smoke = r.uniform() < 0.4 ? 1 : 0;
    const ptl = Math.floor(r.uniform() * 4);
    const y = 3000 + 8 * (age - 30) - 0.2 * (age - 30) ** 2 + 3 * (lwt - 150) + (race === 'black' ? -300 : race === 'other' ? -200 : 0)
      - 250 * smoke - 80 * Math.min(ptl, 2) + 300 * r.normal();
    rows.push([y.toFixed(1), age, lwt.toFixed(2), race, smoke, ptl].join(','));
  }
  return rows.join('\n') + '\n';
}

const SPECS: ColumnSpec[] = [
  { type: 'poly', column: 'age', degree: 2 },
  { type: 'bs', column: 'lwt', df: 4 },
  { type: 'categorical', column: 'race', reference: 'white' },
  { type: 'numeric', column: 'smoke' },
  { type: 'ns', column: 'ptl2', df: 2 },
  { type: 'interaction', columns: ['race', 'smoke'] },
];

beforeAll(async () => {
  await loadExpressionEngine();
});

describe('Pipeline: a saved table coding and model predict new raw tables', () => {
  const train = readCsv(trainingCsv(150, 3), { source: 'text' });
  const fresh = readCsv(trainingCsv(40, 99), { source: 'text' });

  it('a pipeline loaded from its JSON text predicts a new CSV as the in-memory one (1e-12)', () => {
    const pipe = Pipeline.fit(train, { design: { target: 'y', columns: SPECS, transforms: { ptl2: 'min(ptl, 2)' } }, model: { cv: 5 } });
    const text = JSON.stringify(pipe);
    const loaded = Pipeline.fromJSON(text);
    const a = pipe.predict(fresh);
    const b = loaded.predict(fresh);
    expect(b.length).toBe(40);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
    expect(worst).toBeLessThan(1e-12);
    // The model has something to say (the test is not about an all-zero fit).
    expect(pipe.model.selectedGroups().length).toBeGreaterThan(2);
    // The in-memory pipeline agrees with the model applied to the design it was fitted on.
    const onTrain = pipe.predict(train);
    const direct = pipe.model.predict(pipe.transform(train).X);
    expect(Array.from(onTrain)).toEqual(Array.from(direct));
    // The coding survives the round trip unchanged, and a second round trip changes nothing.
    expect(loaded.toJSON().design).toEqual(JSON.parse(text).design);
    expect(JSON.stringify(Pipeline.fromJSON(JSON.stringify(loaded)))).toBe(JSON.stringify(loaded));
  });

  it('predictions equal X_new·w + b with X_new coded by hand (dummies, raw powers, a log transform)', () => {
    const t = tableFromColumns({
      y: [3.1, 4.2, 2.0, 5.5, 6.1, 3.3, 4.8, 7.0],
      x: [1, 2, 0.5, 3, 4, 1.5, 2.5, 5],
      z: [2, 5, 1, 7, 3, 2, 9, 4],
      g: ['b', 'a', 'c', 'a', 'b', 'c', 'a', 'b'],
    });
    const pipe = Pipeline.fit(t, {
      design: {
        target: 'y', transforms: { lz: 'log(z)' },
        columns: [{ type: 'poly', column: 'x', degree: 2, raw: true }, { type: 'categorical', column: 'g', reference: 'b' }, { type: 'numeric', column: 'lz' }],
      },
      model: { lambda: 0.01 },
    });
    expect(pipe.design.columnNames).toEqual(['x', 'x^2', 'ga', 'gc', 'lz']);
    // The transform's input z is an input column; lz, which it makes, is not.
    expect(pipe.design.inputColumns.sort()).toEqual(['g', 'x', 'z']);
    const loaded = Pipeline.fromJSON(JSON.parse(JSON.stringify(pipe)));
    const nx = [0.7, 3.3, 2];
    const nz = [1.5, 8, 2.5];
    const ng = ['a', 'b', 'c'];
    const w = pipe.model.coef;
    const b = pipe.model.intercept;
    expect(Array.from(w).some((v) => v !== 0)).toBe(true);
    const out = loaded.predict({ x: nx, z: nz, g: ng });
    for (let i = 0; i < 3; i++) {
      const row = [nx[i], nx[i] * nx[i], ng[i] === 'a' ? 1 : 0, ng[i] === 'c' ? 1 : 0, Math.log(nz[i])];
      let expected = b;
      for (let j = 0; j < 5; j++) expected += row[j] * w[j];
      expect(Math.abs(out[i] - expected)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected)));
    }
  });

  it('logistic: probabilities are σ(X_new·w + b)', () => {
    const r = new Random(5);
    const n = 80;
    const x = Array.from({ length: n }, () => r.normal());
    const g = Array.from({ length: n }, (_, i) => ['u', 'v', 'w'][i % 3]);
    const yv = x.map((v, i) => (v + (g[i] === 'v' ? 1 : 0) + 0.8 * r.normal() > 0.3 ? 1 : 0));
    const pipe = Pipeline.fit(tableFromColumns({ y: yv, x, g }), { design: { target: 'y' }, model: { loss: 'logistic', lambda: 0.02 } });
    const p = Pipeline.fromJSON(JSON.stringify(pipe)).predict({ x: [0.5, -1], g: ['w', 'v'] });
    const w = pipe.model.coef; // x, gv, gw
    const eta = [pipe.model.intercept + 0.5 * w[0] + w[2], pipe.model.intercept - w[0] + w[1]];
    eta.forEach((e, i) => expect(Math.abs(p[i] - 1 / (1 + Math.exp(-e)))).toBeLessThan(1e-12));
  });

  it('an unseen level is refused naming the column, the level and the row, unless the fit chose unseen: zero', () => {
    const specs = (unseen?: 'zero'): ColumnSpec[] => [
      { type: 'numeric', column: 'age' }, { type: 'categorical', column: 'race', reference: 'white', ...(unseen ? { unseen } : {}) },
    ];
    const pipe = Pipeline.fromJSON(JSON.stringify(Pipeline.fit(train, { design: { target: 'y', columns: specs() }, model: { lambda: 1 } })));
    const bad = { age: [20, 30], race: ['black', 'asian'] };
    expect(() => pipe.predict(bad)).toThrow(DataError);
    expect(() => pipe.predict(bad)).toThrow(/Pipeline\.predict: column 'race' has level 'asian' at row 2 that was not seen/);
    const zero = Pipeline.fromJSON(JSON.stringify(Pipeline.fit(train, { design: { target: 'y', columns: specs('zero') }, model: { lambda: 1 } })));
    const p = zero.predict(bad);
    // 'asian' is coded like the reference: the same prediction as a white mother of 30.
    expect(p[1]).toBe(zero.predict({ age: [30], race: ['white'] })[0]);
  });

  it('a transform that makes the target is not needed to predict, and is used to score', () => {
    const pipe = Pipeline.fit(train, { design: { target: 'ykg', transforms: { ykg: 'y / 1000' }, columns: [{ type: 'numeric', column: 'age' }] }, model: { lambda: 1e-4 } });
    expect(pipe.design.inputColumns).toEqual(['age']);
    const p = pipe.predict({ age: [20, 40] });
    expect(p[1] - p[0]).toBeCloseTo(20 * pipe.model.coef[0], 12);
    // With the raw response present, y is derived and the score is R² of ykg.
    const t = pipe.transform(fresh);
    const y = (fresh.columns[fresh.names.indexOf('y')] as Float64Array).map((v) => v / 1000);
    expect(Array.from(t.y!)).toEqual(Array.from(y));
    expect(pipe.score(fresh)).toBe(pipe.model.score(t.X, y));
  });

  it('a missing input column is named', () => {
    const pipe = Pipeline.fit(train, { design: { target: 'y', columns: [{ type: 'numeric', column: 'age' }, { type: 'numeric', column: 'lwt' }] }, model: { lambda: 1 } });
    expect(pipe.design.inputColumns).toEqual(['age', 'lwt']);
    expect(() => pipe.predict({ age: [20] })).toThrow(/unknown column 'lwt'/);
  });

  it('fromJSON refuses other files, other versions and damaged codings with the field named', () => {
    const pipe = Pipeline.fit(train, { design: { target: 'y', columns: SPECS, transforms: { ptl2: 'min(ptl, 2)' } }, model: { lambda: 1 } });
    const good = () => JSON.parse(JSON.stringify(pipe));
    expect(() => Pipeline.fromJSON('{"format": "something"}')).toThrow(/not a saved pipeline: format is "something"/);
    expect(() => Pipeline.fromJSON(pipe.model.toJSON())).toThrow(/bare model: load it with GroupLasso.fromJSON/);
    expect(() => Pipeline.fromJSON('{ not json')).toThrow(/Pipeline.fromJSON: not JSON/);
    const v2 = good();
    v2.version = 2;
    expect(() => Pipeline.fromJSON(v2)).toThrow(/version 2 is not supported/);
    const noAlpha = good();
    delete noAlpha.design.encoders[0].alpha;
    expect(() => Pipeline.fromJSON(noAlpha)).toThrow(ValueError);
    expect(() => Pipeline.fromJSON(noAlpha)).toThrow(/coding\.encoders\[0\]\.alpha: expected an array of finite numbers/);
    const fewKnots = good();
    fewKnots.design.encoders[1].knots.pop();
    expect(() => Pipeline.fromJSON(fewKnots)).toThrow(/coding\.encoders\[1\]\.knots: expected 1 numbers, got 0/);
    const unseen = good();
    unseen.design.encoders[2].coding.unseen = 'ignore';
    expect(() => Pipeline.fromJSON(unseen)).toThrow(/encoders\[2\]\.coding\.unseen: expected 'error' or 'zero'/);
    const info = good();
    info.design.columnInfo.pop();
    expect(() => Pipeline.fromJSON(info)).toThrow(/columnInfo must describe the \d+ design columns/);
    const coef = good();
    coef.model.coef.pop();
    expect(() => Pipeline.fromJSON(coef)).toThrow(/GroupLasso.fromJSON: coef must have/);
    const names = good();
    names.model.featureNames[0] = 'other';
    expect(() => Pipeline.fromJSON(names)).toThrow(/feature 1 of the model is 'other', column 1 of the design is 'age1'/);
  });

  it('a function transform cannot be saved: toJSON says so', () => {
    const pipe = Pipeline.fit(train, {
      design: { target: 'y', columns: [{ type: 'numeric', column: 'a2' }], transforms: [{ name: 'a2', expr: (row) => Number(row.age) * 2 }] },
      model: { lambda: 1 },
    });
    // In memory it predicts.
    expect(Array.from(pipe.predict({ age: [20] }))).toEqual(Array.from(pipe.model.predict([[40]])));
    expect(() => JSON.stringify(pipe)).toThrow(OptionError);
    expect(() => JSON.stringify(pipe)).toThrow(/transform 'a2' is a function: only string \(expression\) transforms can be saved/);
  });

  it('the constructor refuses a model fitted on other columns', () => {
    const m = new GroupLasso({ groups: [0, 1], lambda: 0.1 }).fit([[1, 2], [2, 1], [3, 5], [4, 4]], [1, 2, 3, 4]);
    const pipe = Pipeline.fit(train, { design: { target: 'y', columns: [{ type: 'numeric', column: 'age' }] }, model: { lambda: 1 } });
    expect(() => new Pipeline(pipe.toJSON().design, m)).toThrow(/the model has 2 features, the design 1 columns/);
  });
});
