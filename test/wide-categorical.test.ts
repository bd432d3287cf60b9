import { describe, expect, it } from 'vitest';
import { buildDesign, cvGroupLasso, GroupLasso, tableFromColumns } from '../src/index.ts';
import { DenseMatrix } from '../src/linalg/dense.ts';
import { SparseMatrix } from '../src/linalg/sparse.ts';
import { selectRowsOf } from '../src/linalg/subset.ts';
import { blockGramsAffordable } from '../src/solvers/block.ts';
import { independentCertificate, type PlainProblem } from './helpers/independent.ts';

// A table with a wide categorical column, levels drawn unevenly (a few frequent, a long tail),
// some of them carrying effects: the case that CSC storage and the uncentred standardization serve.
function wideTable(n: number, levels: number, seed: number) {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const effect = Array.from({ length: levels }, (_, k) => (k % 6 === 0 ? 1.5 * gauss() : 0));
  const x1: number[] = [], x2: number[] = [], cat: string[] = [], y: number[] = [];
  for (let i = 0; i < n; i++) {
    // The first `levels` rows see every level once; the rest favour small codes.
    const k = i < levels ? i : Math.min(levels - 1, Math.floor(levels * rnd() ** 2));
    const a = gauss(), b = gauss();
    x1.push(a);
    x2.push(b);
    cat.push(`L${k}`);
    y.push(1 + 0.8 * a - 0.5 * b + effect[k] + gauss());
  }
  return tableFromColumns({ y, x1, x2, cat });
}

const columns = [
  { type: 'numeric', column: 'x1' }, { type: 'numeric', column: 'x2' }, { type: 'categorical', column: 'cat' },
] as const;

function rowsOf(X: DenseMatrix): number[][] {
  return Array.from({ length: X.rows }, (_, i) => Array.from({ length: X.cols }, (_, j) => X.get(i, j)));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]));
  return m;
}

describe('wide categorical designs in CSC', () => {
  const t = wideTable(300, 60, 11);
  const sparse = buildDesign(t, { target: 'y', columns: [...columns], sparse: true });
  const dense = buildDesign(t, { target: 'y', columns: [...columns] });

  it('the CSC design built from level codes holds the dense design entry for entry', () => {
    expect(sparse.X).toBeInstanceOf(SparseMatrix);
    expect(dense.X).toBeInstanceOf(DenseMatrix);
    const S = sparse.X as SparseMatrix;
    expect(Array.from(S.toDenseData())).toEqual(Array.from((dense.X as DenseMatrix).data));
    // One stored entry per row in the dummies (the reference level has none).
    const ref = (t.columns[t.names.indexOf('cat')] as string[]).filter((v) => v === 'L0').length;
    expect(S.colPtr[S.cols] - S.colPtr[2]).toBe(300 - ref);
    // A new table goes through the same codes.
    const again = sparse.transform(wideTable(40, 60, 5)).X as SparseMatrix;
    expect(Array.from(again.toDenseData())).toEqual(Array.from((dense.transform(wideTable(40, 60, 5)).X as DenseMatrix).data));
  });

  it('selecting rows of a CSC matrix keeps CSC and the entries of the dense selection', () => {
    const rows = [0, 3, 4, 17, 120, 299];
    const sub = selectRowsOf(sparse.X, rows);
    expect(sub).toBeInstanceOf(SparseMatrix);
    expect(Array.from((sub as SparseMatrix).toDenseData())).toEqual(Array.from((dense.X as DenseMatrix).selectRows(rows).data));
    // Unordered rows fall back to a view, still giving the right products.
    const view = selectRowsOf(sparse.X, [5, 2]);
    expect(view).not.toBeInstanceOf(SparseMatrix);
    const x = Float64Array.from({ length: sparse.X.cols }, (_, j) => j + 1);
    const out = new Float64Array(2);
    view.apply(x, out);
    const D = dense.X as DenseMatrix;
    const want = [5, 2].map((i) => Array.from(x).reduce((s, v, j) => s + v * D.get(i, j), 0));
    expect(Array.from(out)).toEqual(want);
  });

  it('a dummy block is reported disjoint (its Gram matrix costs nothing), a block with a numeric column is not', () => {
    const S = sparse.X as SparseMatrix;
    const dummies = Int32Array.from({ length: S.cols - 2 }, (_, k) => k + 2);
    expect(S.columns.disjointBlock!(dummies, 0, dummies.length)).toBe(true);
    const mixed = Int32Array.from([0, 2, 3]);
    expect(S.columns.disjointBlock!(mixed, 0, 3)).toBe(false);
    // 300 rows, 2 + 59 columns: a 59-column group would be affordable anyway; a group of every column is
    // not (p² > 256 p is false here, so build a wider one to see the difference).
    const wide = SparseMatrix.fromOneHot(Int32Array.from({ length: 2000 }, (_, i) => i % 1000), 1000);
    const g = { nGroups: 1, ptr: Int32Array.of(0, 1000), indices: Int32Array.from({ length: 1000 }, (_, k) => k) };
    expect(blockGramsAffordable(g, 1000)).toBe(false);
    expect(blockGramsAffordable(g, 1000, wide.columns)).toBe(true);
  });

  it('cvGroupLasso on the CSC design gives the dense route\'s path and curve, every fit certified', () => {
    const opts = { groups: sparse.groups, nFolds: 5, seed: 3, nLambda: 30, tol: 1e-10, workers: 1 };
    const a = cvGroupLasso(sparse.X, sparse.y, opts);
    const b = cvGroupLasso(dense.X, dense.y, opts);
    // λ_max is summed in another order on CSC: the grids agree to rounding.
    expect(maxAbsDiff(a.lambdas, b.lambdas)).toBeLessThan(1e-13 * b.lambdas[0]);
    expect(a.notConverged).toBe(0);
    expect(b.notConverged).toBe(0);
    for (const c of [...a.path.certificates, ...b.path.certificates]) expect(c.converged).toBe(true);
    for (let k = 0; k < a.lambdas.length; k++) {
      const scale = Math.max(1, maxAbs(b.path.coefs[k]));
      expect(maxAbsDiff(a.path.coefs[k], b.path.coefs[k])).toBeLessThan(1e-4 * scale);
      expect(Math.abs(a.meanLoss[k] - b.meanLoss[k])).toBeLessThan(1e-7 * b.meanLoss[k]);
    }
    // The categorical enters somewhere along the path (else the wide block was never fitted).
    expect(a.path.activeGroups[a.lambdas.length - 1]).toContain(2);
  });

  it('the estimator standardizes the CSC design without centring it: the centred problem\'s solution, certified independently', () => {
    const o = { groups: sparse.groups, featureNames: sparse.columnNames, cv: { nFolds: 5, seed: 3, workers: 1 }, nLambda: 30, tol: 1e-10 };
    const a = new GroupLasso(o).fit(sparse.X, sparse.y);
    const b = new GroupLasso(o).fit(dense.X, dense.y);
    const ap = a.path!, bp = b.path!;
    const K = ap.lambdas.length;
    expect(maxAbsDiff(ap.lambdas, bp.lambdas)).toBeLessThan(1e-12 * bp.lambdas[0]);
    expect(a.cv!.notConverged).toBe(0);
    expect(b.cv!.notConverged).toBe(0);
    for (let k = 0; k < K; k++) {
      const scale = Math.max(1, maxAbs(bp.coefs[k]));
      expect(maxAbsDiff(ap.coefs[k], bp.coefs[k])).toBeLessThan(1e-4 * scale);
      expect(Math.abs(ap.intercept[k] - bp.intercept[k])).toBeLessThan(1e-4 * scale);
      expect(Math.abs(a.cv!.meanLoss[k] - b.cv!.meanLoss[k])).toBeLessThan(1e-7 * b.cv!.meanLoss[k]);
    }
    expect(a.cv!.indexMin).toBe(b.cv!.indexMin);
    // The standardized problem written out here: centred columns over their population sd.
    const D = dense.X as DenseMatrix;
    const n = D.rows, p = D.cols;
    const Xs = rowsOf(D);
    for (let j = 0; j < p; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += Xs[i][j];
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (Xs[i][j] - m) ** 2;
      const sd = Math.sqrt(v / n);
      for (let i = 0; i < n; i++) Xs[i][j] = (Xs[i][j] - m) / sd;
    }
    const sp = a.standardizedPath!;
    for (const k of [5, 15, K - 1]) {
      const P: PlainProblem = {
        X: Xs, Y: Array.from(sparse.y, (v) => [v]), loss: 'squared', lambda: sp.lambdas[k], fitIntercept: true,
        groups: [[0], [1], Array.from({ length: p - 2 }, (_, j) => j + 2)], weights: [1, 1, Math.sqrt(p - 2)],
      };
      const c = independentCertificate(P, sp.coefs[k], sp.intercepts[k]);
      expect(sp.certificates[k].converged).toBe(true);
      expect(c.gap).toBeLessThan(1e-8 * c.primal);
      expect(c.gap).toBeGreaterThanOrEqual(-1e-12 * c.primal);
      // The library's own certificate (of the uncentred problem) is that of the centred one.
      expect(Math.abs(sp.certificates[k].objective - c.primal)).toBeLessThan(1e-9 * c.primal);
    }
    // Same predictions from the original-scale model.
    const pa = a.predict(sparse.X), pb = b.predict(dense.X);
    expect(maxAbsDiff(pa, pb)).toBeLessThan(1e-4 * maxAbs(pb));
  });
});
