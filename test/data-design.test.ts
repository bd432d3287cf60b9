import { describe, expect, it } from 'vitest';
import {
  birthwtDesign, buildDesign, buildDesignAsync, DataError, DenseMatrix, loadExpressionEngine, OptionError,
  polyFit, readCsv, SparseMatrix, tableFromColumns, type Design,
} from '../src/index.ts';
import { parseColumnSpecs } from '../src/data/spec.ts';

const col = (d: { X: DenseMatrix | SparseMatrix }, j: number): number[] => {
  const X = d.X;
  return Array.from({ length: X.rows }, (_, i) => X.get(i, j));
};

const small = () =>
  tableFromColumns({
    y: [1, 2, 3, 4, 5, 6],
    x: [1, 2, 3, 5, 8, 13],
    z: [2, 1, 0, 1, 2, 3],
    g: ['b', 'a', 'c', 'a', 'b', 'c'],
    k: [2, 10, 1, 2, 10, 3],
  });

describe('buildDesign: columns and groups against hand-computed dummies', () => {
  it('numeric singletons and reference-coded dummies (first level in natural order is the reference)', () => {
    const d = buildDesign(small(), {
      target: 'y',
      columns: [{ type: 'numeric', column: 'x' }, { type: 'categorical', column: 'g' }, { type: 'categorical', column: 'k' }],
    });
    expect(Array.from(d.y!)).toEqual([1, 2, 3, 4, 5, 6]);
    // k's levels sort as numbers: 1 < 2 < 3 < 10 (not '1' < '10' < '2').
    expect(d.columnNames).toEqual(['x', 'gb', 'gc', 'k2', 'k3', 'k10']);
    expect(d.groups).toEqual(['x', 'g', 'g', 'k', 'k', 'k']);
    expect(d.groupNames).toEqual(['x', 'g', 'k']);
    expect(col(d, 1)).toEqual([1, 0, 0, 0, 1, 0]);
    expect(col(d, 2)).toEqual([0, 0, 1, 0, 0, 1]);
    expect(col(d, 3)).toEqual([1, 0, 0, 1, 0, 0]);
    expect(col(d, 5)).toEqual([0, 1, 0, 0, 1, 0]);
    expect(d.columnInfo[1]).toEqual({ name: 'gb', source: 'g', sources: ['g'], group: 'g', kind: 'dummy', level: 'b' });
    expect(Array.from(d.groupStructure.ptr)).toEqual([0, 1, 3, 6]);
  });

  it('reference, declared levels and merged levels', () => {
    const d = buildDesign(small(), {
      columns: [
        { type: 'categorical', column: 'g', reference: 'c' },
        { type: 'categorical', column: 'k', levels: { '3+': ['3', '10'] } },
        { type: 'categorical', column: 'z', levels: ['3', '2', '1', '0'], group: 'zz' },
      ],
    });
    expect(d.y).toBeUndefined();
    expect(d.columnNames).toEqual(['ga', 'gb', 'k2', 'k3+', 'z2', 'z1', 'z0']);
    expect(col(d, 3)).toEqual([0, 1, 0, 0, 1, 1]);
    expect(col(d, 6)).toEqual([0, 0, 1, 0, 0, 0]);
    expect(d.groups.slice(4)).toEqual(['zz', 'zz', 'zz']);
  });

  it('unseen levels at transform time: an error by default, zeros with unseen: "zero"', () => {
    const strict = buildDesign(small(), { columns: [{ type: 'categorical', column: 'g' }] });
    const lax = buildDesign(small(), { columns: [{ type: 'categorical', column: 'g', unseen: 'zero' }] });
    const nt = tableFromColumns({ g: ['a', 'd', 'c'] });
    expect(() => strict.transform(nt)).toThrow(/level 'd' at row 2 that was not seen/);
    expect(lax.transform(nt).X.get(1, 0)).toBe(0);
    expect(lax.transform(nt).X.get(1, 1)).toBe(0);
    expect(lax.transform(nt).X.get(2, 1)).toBe(1);
  });

  it('orthogonal and raw polynomials; transform maps new data with the stored basis (predict.poly)', () => {
    const t = small();
    const d = buildDesign(t, { columns: [{ type: 'poly', column: 'x', degree: 2 }, { type: 'poly', column: 'z', degree: 2, raw: true }] });
    expect(d.columnNames).toEqual(['x1', 'x2', 'z', 'z^2']);
    expect(d.groups).toEqual(['x', 'x', 'z', 'z']);
    const ref = polyFit(Float64Array.of(1, 2, 3, 5, 8, 13), 2).basis;
    for (let i = 0; i < 6; i++) {
      expect(d.X.get(i, 0)).toBeCloseTo(ref[0][i], 12);
      expect(d.X.get(i, 1)).toBeCloseTo(ref[1][i], 12);
    }
    expect(col(d, 3)).toEqual([4, 1, 0, 1, 4, 9]);
    // The rows of the training table, passed as a "new" table in another order, give the same rows.
    const again = d.transform(tableFromColumns({ x: [13, 1], z: [3, 2] }));
    expect(again.X.get(0, 0)).toBeCloseTo(d.X.get(5, 0), 12);
    expect(again.X.get(1, 1)).toBeCloseTo(d.X.get(0, 1), 12);
    expect(again.y).toBeUndefined();
  });

  it('spline groups have df columns named after their source', () => {
    const t = tableFromColumns({ x: Array.from({ length: 30 }, (_, i) => (i * 7) % 30) });
    const d = buildDesign(t, { columns: [{ type: 'bs', column: 'x', df: 4 }] });
    expect(d.columnNames).toEqual(['x_bs1', 'x_bs2', 'x_bs3', 'x_bs4']);
    expect(new Set(d.columnInfo.map((c) => c.kind))).toEqual(new Set(['bs']));
    const n = buildDesign(t, { columns: [{ type: 'ns', column: 'x', df: 3, group: 'smooth' }] });
    expect(n.groups).toEqual(['smooth', 'smooth', 'smooth']);
  });

  it('interactions: numeric × numeric product, categorical × numeric per dummy, one group per pair', () => {
    const d = buildDesign(small(), {
      columns: [
        { type: 'numeric', column: 'x' },
        { type: 'categorical', column: 'g', reference: 'c' },
        { type: 'interaction', columns: ['x', 'z'] },
        { type: 'interaction', columns: ['g', 'z'] },
      ],
    });
    expect(d.columnNames).toEqual(['x', 'ga', 'gb', 'x:z', 'ga:z', 'gb:z']);
    expect(d.groups).toEqual(['x', 'g', 'g', 'x:z', 'g:z', 'g:z']);
    expect(col(d, 3)).toEqual([2, 2, 0, 5, 16, 39]);
    expect(col(d, 4)).toEqual([0, 1, 0, 1, 0, 0]);
    expect(col(d, 5)).toEqual([2, 0, 0, 0, 2, 0]);
    expect(d.columnInfo[3].sources).toEqual(['x', 'z']);
    // A categorical side keeps the dummy names its main effect was given.
    const named = buildDesign(small(), {
      columns: [{ type: 'categorical', column: 'g', names: ['isB', 'isC'] }, { type: 'interaction', columns: ['g', 'x'] }],
    });
    expect(named.columnNames).toEqual(['isB', 'isC', 'isB:x', 'isC:x']);
    expect(col(named, 3)).toEqual([0, 0, 3, 0, 0, 13]);
  });

  it('default specs: every column but the target, numbers numeric and strings categorical', () => {
    const d = buildDesign(small(), { target: 'y' });
    expect(d.columnNames).toEqual(['x', 'z', 'gb', 'gc', 'k']);
  });

  it('sparse: true gives the same matrix in CSC storage; "auto" picks it for one-hot-heavy data', () => {
    const t = small();
    const spec = { columns: [{ type: 'numeric', column: 'x' }, { type: 'categorical', column: 'k' }] } as const;
    const dense = buildDesign(t, spec);
    const sp = buildDesign(t, { ...spec, sparse: true });
    expect(sp.X).toBeInstanceOf(SparseMatrix);
    expect(Array.from((sp.X as SparseMatrix).toDenseData())).toEqual(Array.from((dense.X as DenseMatrix).data));
    expect(sp.transform(t).X).toBeInstanceOf(SparseMatrix);
    const oneHot = tableFromColumns({ c: Array.from({ length: 50 }, (_, i) => `L${i % 10}`) });
    expect(buildDesign(oneHot, { sparse: 'auto' }).X).toBeInstanceOf(SparseMatrix);
    expect(buildDesign(small(), { columns: [{ type: 'numeric', column: 'x' }], sparse: 'auto' }).X).toBeInstanceOf(DenseMatrix);
  });
});

describe('buildDesign: transforms (mathjs, loaded lazily)', () => {
  it('string transforms need the engine; buildDesignAsync loads it; functions work without it', async () => {
    const fnOnly = buildDesign(small(), { transforms: [{ name: 'x2', expr: (r) => (r.x as number) * 2 }], columns: [{ type: 'numeric', column: 'x2' }] });
    expect(col(fnOnly, 0)).toEqual([2, 4, 6, 10, 16, 26]);
    const d = await buildDesignAsync(small(), {
      target: 'y',
      transforms: { lx: 'log(x)', z2: 'min(z, 1)', big: 'x >= 5', sq: 'x^2' },
      columns: [
        { type: 'numeric', column: 'lx' },
        { type: 'categorical', column: 'z2' },
        { type: 'numeric', column: 'big' },
        { type: 'numeric', column: 'sq' },
      ],
    });
    expect(d.columnNames).toEqual(['lx', 'z21', 'big', 'sq']);
    col(d, 0).forEach((v, i) => expect(v).toBeCloseTo(Math.log([1, 2, 3, 5, 8, 13][i]), 14));
    expect(col(d, 1)).toEqual([1, 1, 0, 1, 1, 1]);
    expect(col(d, 2)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(col(d, 3)).toEqual([1, 4, 9, 25, 64, 169]);
    // transform() re-applies the transforms to new data.
    const nt = d.transform(tableFromColumns({ x: [100], z: [0], y: [7] }));
    expect(nt.X.get(0, 0)).toBeCloseTo(Math.log(100), 14);
    expect(nt.X.get(0, 1)).toBe(0);
    expect(Array.from(nt.y!)).toEqual([7]);
  });

  it('a transform that gives a non-finite value or fails names the transform and the row', async () => {
    await loadExpressionEngine();
    expect(() => buildDesign(small(), { transforms: { bad: 'log(z)' }, columns: [{ type: 'numeric', column: 'bad' }] })).toThrow(/transform 'bad' gives -Infinity at row 3/);
    expect(() => buildDesign(small(), { transforms: { bad: 'nosuch + 1' }, columns: [{ type: 'numeric', column: 'x' }] })).toThrow(/transform 'bad' failed at row 1/);
    expect(() => buildDesign(small(), { transforms: { bad: 'x +' }, columns: [{ type: 'numeric', column: 'x' }] })).toThrow(OptionError);
  });
});

describe('buildDesign: bad input', () => {
  const t = small();
  it('missing target, non-numeric target, target with NaN, target used as predictor', () => {
    expect(() => buildDesign(t, { target: 'w' })).toThrow(/buildDesign: target column 'w' is not in the table/);
    expect(() => buildDesign(t, { target: 'g' })).toThrow(/target column 'g' is not numeric/);
    const nanTable = { names: ['y', 'x'], columns: [Float64Array.of(1, NaN), Float64Array.of(1, 2)], nRows: 2, droppedLines: [] };
    expect(() => buildDesign(nanTable, { target: 'y' })).toThrow(/target column 'y' has a non-finite value \(NaN\) at row 2/);
    expect(() => buildDesign(t, { target: 'y', columns: [{ type: 'numeric', column: 'y' }] })).toThrow(/also used as a predictor/);
  });

  it('unknown columns, wrong types and malformed specs', () => {
    expect(() => buildDesign(t, { columns: [{ type: 'numeric', column: 'nope' }] })).toThrow(/unknown column 'nope'/);
    expect(() => buildDesign(t, { columns: [{ type: 'numeric', column: 'g' }] })).toThrow(/not numeric .* use a categorical spec/);
    expect(() => buildDesign(t, { columns: [{ type: 'numerik', column: 'x' } as never] })).toThrow(/did you mean 'numeric'/);
    expect(() => buildDesign(t, { columns: [{ type: 'poly', column: 'x', degree: 0 }] })).toThrow(/degree/);
    expect(() => buildDesign(t, { columns: [{ type: 'categorical', column: 'g', reference: 'q' }] })).toThrow(/reference level 'q'/);
    expect(() => buildDesign(t, { columns: [{ type: 'categorical', column: 'g', levels: ['a', 'b'] }] })).toThrow(/value 'c' at row 3/);
    expect(() => buildDesign(t, { columns: [{ type: 'interaction', columns: ['x', 'x'] }] })).toThrow(/two distinct columns/);
    expect(() => buildDesign(t, { columns: [{ type: 'numeric', column: 'x' }, { type: 'poly', column: 'x', degree: 2 }] })).toThrow(/both make group 'x'/);
    expect(() => buildDesign(t, { columns: [{ type: 'numeric', column: 'x', names: ['a', 'b'] }] })).toThrow(/must list 1 column/);
    expect(() => buildDesign(t, { columns: [] })).toThrow(/no column specs/);
    expect(() => buildDesign(t, { colums: [] } as never)).toThrow(OptionError);
    expect(() => buildDesign(tableFromColumns({ c: ['a', 'a'] }), {})).toThrow(/single level/);
  });
});

describe('parseColumnSpecs: the command-line syntax', () => {
  it('parses categorical, expansions, transforms and interactions into specs', () => {
    const s = parseColumnSpecs(
      { categorical: 'race,ftv:ref=0', expand: 'age:poly3,lwt:rawpoly2,bwt2:bs4,x:ns3', transform: 'ptl2=min(ptl,2); bwt2 = bwt/1000', interactions: 'age:lwt,smoke*ht*ui' },
    );
    expect(s.transforms).toEqual([{ name: 'ptl2', expr: 'min(ptl,2)' }, { name: 'bwt2', expr: 'bwt/1000' }]);
    expect(s.columns).toEqual([
      { type: 'categorical', column: 'race' },
      { type: 'categorical', column: 'ftv', reference: '0' },
      { type: 'poly', column: 'age', degree: 3 },
      { type: 'poly', column: 'lwt', degree: 2, raw: true },
      { type: 'bs', column: 'bwt2', df: 4 },
      { type: 'ns', column: 'x', df: 3 },
      { type: 'interaction', columns: ['age', 'lwt'] },
      { type: 'interaction', columns: ['smoke', 'ht'] },
      { type: 'interaction', columns: ['smoke', 'ui'] },
      { type: 'interaction', columns: ['ht', 'ui'] },
    ]);
  });

  it('with the table, every other column is included (strings categorical) except target and drop', () => {
    const s = parseColumnSpecs({ expand: 'x:poly2', transform: 'w=x+z', drop: 'k' }, small(), 'y');
    expect(s.columns).toEqual([
      { type: 'poly', column: 'x', degree: 2 },
      { type: 'numeric', column: 'z' },
      { type: 'categorical', column: 'g' },
      { type: 'numeric', column: 'w' },
    ]);
  });

  it('refuses malformed items, naming them', () => {
    const bad: [object, RegExp][] = [
      [{ expand: 'age:poly' }, /--expand 'age:poly' must read/],
      [{ expand: 'age:spline3' }, /--expand 'age:spline3'/],
      [{ expand: 'age:poly0' }, /must be ≥ 1/],
      [{ expand: ':poly3' }, /--expand ':poly3'/],
      [{ categorical: 'race,,ftv' }, /empty item/],
      [{ categorical: 'race:3' }, /column:ref=LEVEL|not a column name/],
      [{ transform: 'ptl2min(ptl,2)' }, /must read name=expression/],
      [{ transform: '2x=x' }, /must read name=expression/],
      [{ interactions: 'age:' }, /must read a:b/],
      [{ interactions: 'age*' }, /two or more distinct/],
      [{ categorical: 'race', expand: 'race:poly2' }, /listed twice/],
      [{ categorical: 'race' , extra: 1 }, /unknown option 'extra'/],
    ];
    for (const [flags, re] of bad) expect(() => parseColumnSpecs(flags as never), JSON.stringify(flags)).toThrow(re);
    expect(() => parseColumnSpecs({ categorical: 'nope' }, ['a', 'b'])).toThrow(/unknown column 'nope'/);
    expect(() => parseColumnSpecs({ categorical: 'y' }, ['y', 'b'], 'y')).toThrow(/is the target/);
  });

  it('parsed specs build the grpreg Birthwt groups from the raw CSV', async () => {
    const t = readCsv(new URL('../datasets/birthwt.csv', import.meta.url));
    const s = parseColumnSpecs({ categorical: 'race:ref=3,ptl2,ftv3', expand: 'age:poly3,lwt:poly3', transform: 'ptl2=min(ptl,2);ftv3=min(ftv,3)', drop: 'low,ptl,ftv' }, t, 'bwt');
    const d = await buildDesignAsync(t, { target: 'bwt', ...s });
    expect(d.groupNames).toEqual(['age', 'lwt', 'race', 'smoke', 'ht', 'ui', 'ptl2', 'ftv3']);
    expect(d.X.cols).toBe(16);
    const ref = birthwtDesign();
    // Same numbers as the helper, column by column (matched by meaning).
    const pairs: [string, string][] = [['age1', 'age1'], ['lwt3', 'lwt3'], ['race1', 'white'], ['ptl22', 'ptl2m'], ['ftv33', 'ftv3m']];
    for (const [a, b] of pairs) {
      const ja = d.columnNames.indexOf(a);
      const jb = ref.columnNames.indexOf(b);
      for (let i = 0; i < 189; i++) expect(d.X.get(i, ja)).toBeCloseTo(ref.X.get(i, jb), 13);
    }
  });
});

describe('birthwtDesign: grpreg Birthwt', () => {
  const d: Design & { low: Float64Array; bwt: Float64Array } = birthwtDesign();
  const t = readCsv(new URL('../datasets/birthwt.csv', import.meta.url));
  const raw = (name: string) => t.columns[t.names.indexOf(name)] as Float64Array;

  it('has 189 × 16 columns in the 8 grpreg groups with grpreg names', () => {
    expect([d.X.rows, d.X.cols]).toEqual([189, 16]);
    expect(d.columnNames).toEqual(['age1', 'age2', 'age3', 'lwt1', 'lwt2', 'lwt3', 'white', 'black', 'smoke', 'ptl1', 'ptl2m', 'ht', 'ui', 'ftv1', 'ftv2', 'ftv3m']);
    expect(d.groupNames).toEqual(['age', 'lwt', 'race', 'smoke', 'ptl', 'ht', 'ui', 'ftv']);
    expect(d.groupStructure.nGroups).toBe(8);
  });

  it('dummies and responses equal their definitions on the raw data', () => {
    const X = d.X;
    const j = (n: string) => d.columnNames.indexOf(n);
    const race = raw('race');
    const ptl = raw('ptl');
    const ftv = raw('ftv');
    for (let i = 0; i < 189; i++) {
      expect(X.get(i, j('white'))).toBe(race[i] === 1 ? 1 : 0);
      expect(X.get(i, j('black'))).toBe(race[i] === 2 ? 1 : 0);
      expect(X.get(i, j('ptl1'))).toBe(ptl[i] === 1 ? 1 : 0);
      expect(X.get(i, j('ptl2m'))).toBe(ptl[i] >= 2 ? 1 : 0);
      expect(X.get(i, j('ftv1'))).toBe(ftv[i] === 1 ? 1 : 0);
      expect(X.get(i, j('ftv2'))).toBe(ftv[i] === 2 ? 1 : 0);
      expect(X.get(i, j('ftv3m'))).toBe(ftv[i] >= 3 ? 1 : 0);
      expect(X.get(i, j('smoke'))).toBe(raw('smoke')[i]);
      expect(d.bwt[i]).toBeCloseTo(raw('bwt')[i] / 1000, 14);
      expect(d.low[i]).toBe(raw('low')[i]);
      // low is the indicator of bwt < 2500 g in MASS::birthwt.
      expect(d.low[i]).toBe(raw('bwt')[i] < 2500 ? 1 : 0);
    }
  });

  it('age1..3 and lwt1..3 are orthonormal, orthogonal to 1, and span the centred cubic', () => {
    for (const v of ['age', 'lwt']) {
      const cols = [1, 2, 3].map((k) => d.columnNames.indexOf(`${v}${k}`));
      for (const a of cols) {
        let s1 = 0;
        for (let i = 0; i < 189; i++) s1 += d.X.get(i, a);
        expect(Math.abs(s1)).toBeLessThan(1e-12);
        for (const b of cols) {
          let s = 0;
          for (let i = 0; i < 189; i++) s += d.X.get(i, a) * d.X.get(i, b);
          expect(s).toBeCloseTo(a === b ? 1 : 0, 12);
        }
      }
      // age1 is the centred, normalized variable itself.
      const x = raw(v);
      const m = x.reduce((s, a) => s + a, 0) / 189;
      const nrm = Math.hypot(...x.map((a) => a - m));
      for (let i = 0; i < 189; i++) expect(d.X.get(i, cols[0])).toBeCloseTo((x[i] - m) / nrm, 13);
    }
  });
});
