import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { DenseMatrix, fastOperator, fitGroupLasso, Random, wasmSimdAvailable } from '../src/index.ts';
import { callDesign, fastFromRows, type FastDense } from '../src/linalg/kernels/fast.ts';
import { SparseMatrix } from '../src/linalg/sparse.ts';
import { prepareProblem, type FitResult } from '../src/problem/problem.ts';

/** A design with correlated columns, as rows, and a response from a few groups. */
function problem(seed: number, n: number, p: number, size: number) {
  const r = new Random(seed);
  const rows = Array.from({ length: n }, () => {
    let prev = r.normal();
    return Array.from({ length: p }, () => (prev = 0.5 * prev + r.normal()) + 0.3);
  });
  const groups = Array.from({ length: p }, (_, j) => Math.floor(j / size));
  const y = rows.map((row) => row[0] - 2 * row[size] + row[p - 1] + 0.5 * r.normal());
  return { rows, y, groups };
}

function colMajor(rows: number[][]): Float64Array {
  const n = rows.length, p = rows[0].length;
  const d = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) d[i + j * n] = rows[i][j];
  return d;
}

/** Naive gradient of (1/2n)‖y − Xw − b‖² at the fit, from the rows (no library product). */
function naiveGradient(rows: number[][], y: number[], fit: FitResult): Float64Array {
  const n = rows.length, p = rows[0].length;
  const g = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    let eta = fit.intercept;
    for (let j = 0; j < p; j++) eta += rows[i][j] * fit.coef[j];
    const res = y[i] - eta;
    for (let j = 0; j < p; j++) g[j] -= (rows[i][j] * res) / n;
  }
  return g;
}

/** Every form a user passes, each built fresh from the rows (copies: the caller's rows stay untouched). */
function forms(rows: number[][]): { name: string; X: unknown }[] {
  const n = rows.length, p = rows[0].length;
  return [
    { name: 'rows number[][]', X: rows.map((r) => r.slice()) },
    { name: 'typed rows', X: rows.map((r) => Float64Array.from(r)) },
    { name: 'ml-matrix', X: new Matrix(rows) },
    { name: 'DenseMatrix (first fit)', X: new DenseMatrix(n, p, colMajor(rows)) },
    { name: 'fastOperator', X: fastOperator(new DenseMatrix(n, p, colMajor(rows))) },
    { name: 'CSC (full)', X: SparseMatrix.fromDense(new DenseMatrix(n, p, colMajor(rows))) },
  ];
}

function expectSame(a: FitResult, b: FitResult, what: string): void {
  expect(a.coef.length, what).toBe(b.coef.length);
  for (let j = 0; j < a.coef.length; j++) {
    if (!Object.is(a.coef[j], b.coef[j])) throw new Error(`${what}: coef[${j}] ${a.coef[j]} ≠ ${b.coef[j]}`);
  }
  expect(Object.is(a.intercept, b.intercept), what).toBe(true);
  expect(Object.is(a.objective, b.objective), what).toBe(true);
}

describe.each([
  // 37 rows (four blocks of 8 and a tail), 13 columns (odd: the statistics' odd-column path).
  { label: 'small 37 × 13', seed: 3, n: 37, p: 13, size: 3, frac: 0.2 },
  // Past one transposing strip in both directions (64 rows, 256 columns), with tails in both.
  { label: 'medium 150 × 301', seed: 5, n: 150, p: 301, size: 7, frac: 0.3 },
])('every input form gives the same fit, bit for bit: $label', ({ seed, n, p, size, frac }) => {
  const { rows, y, groups } = problem(seed, n, p, size);
  const lambda = frac * prepareProblem(DenseMatrix.fromRows(rows), y, { groups }).lambdaMax();
  const opts = { groups, lambda, tol: 1e-10 };

  it('the reference fit is the optimum (KKT conditions from a naive gradient)', () => {
    const ref = fitGroupLasso(rows, y, opts);
    expect(ref.converged).toBe(true);
    expect(ref.activeGroups.length).toBeGreaterThan(1);
    const g = naiveGradient(rows, y, ref);
    const G = Math.max(...groups) + 1;
    for (let k = 0; k < G; k++) {
      const idx = groups.flatMap((h, j) => (h === k ? [j] : []));
      const d = Math.sqrt(idx.length);
      const wn = Math.hypot(...idx.map((j) => ref.coef[j]));
      if (wn === 0) {
        expect(Math.hypot(...idx.map((j) => g[j]))).toBeLessThanOrEqual(lambda * d * (1 + 1e-6));
      } else {
        // −g_g = λ d w_g / ‖w_g‖ on an active group.
        const dev = Math.hypot(...idx.map((j) => g[j] + (lambda * d * ref.coef[j]) / wn));
        expect(dev).toBeLessThanOrEqual(1e-4 * lambda * d);
      }
    }
  });

  it('rows, typed rows, ml-matrix, DenseMatrix (first and reused fit), fastOperator and CSC agree to the last bit', () => {
    const ref = fitGroupLasso(rows, y, opts);
    for (const { name, X } of forms(rows)) expectSame(fitGroupLasso(X as never, y, opts), ref, name);
    // A DenseMatrix whose kernel copy is kept by a prepared problem: fitted through that copy.
    const D = new DenseMatrix(n, p, colMajor(rows));
    const prepared = prepareProblem(D, y, { groups });
    expectSame(prepared.fit(lambda, opts), ref, 'prepared DenseMatrix');
    expectSame(fitGroupLasso(D, y, opts), ref, 'DenseMatrix (reused)');
    expectSame(fitGroupLasso(D, y, opts), ref, 'DenseMatrix (reused, again)');
    expectSame(prepareProblem(new Matrix(rows), y, { groups }).fit(lambda, opts), ref, 'prepared ml-matrix');
    expectSame(prepareProblem(SparseMatrix.fromDense(D), y, { groups }).fit(lambda, opts), ref, 'prepared CSC');
  });

  it('the same fit whatever form the pooled kernel memory last served', () => {
    const ref = fitGroupLasso(rows, y, opts);
    // Another design of the same size through the pool between each pair of fits.
    const other = problem(seed + 100, n, p, size);
    for (const { name, X } of forms(rows)) {
      fitGroupLasso(other.rows, other.y, { ...opts, groups: other.groups });
      expectSame(fitGroupLasso(X as never, y, opts), ref, `${name} after another design`);
    }
  });

  it('the fit leaves its input unchanged, and changing the input afterwards leaves the result unchanged', () => {
    for (const { name, X } of forms(rows)) {
      const snapshot = (): number[] => {
        if (X instanceof SparseMatrix) return Array.from(X.values);
        if (X instanceof DenseMatrix) return Array.from(X.data);
        if (X instanceof Matrix) return X.to1DArray();
        return (X as ArrayLike<number>[]).flatMap((r) => Array.from(r));
      };
      const before = snapshot();
      const fit = fitGroupLasso(X as never, y, opts);
      expect(snapshot(), name).toEqual(before);
      const kept = { coef: Float64Array.from(fit.coef), intercept: fit.intercept, objective: fit.objective, norms: Float64Array.from(fit.groupNorms) };
      // Scribble over the caller's entries (the fast operator's own storage included).
      if (X instanceof SparseMatrix) X.values.fill(7);
      else if (X instanceof DenseMatrix) X.data.fill(7);
      else if (X instanceof Matrix) for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) X.set(i, j, 7);
      else for (const r of X as (number[] | Float64Array)[]) r.fill(7);
      // And reuse the kernel memory with another design.
      const other = problem(seed + 7, n, p, size);
      fitGroupLasso(other.rows, other.y, { ...opts, groups: other.groups });
      expectSame(fit, { ...fit, ...kept } as FitResult, `${name}: result after the input changed`);
      expect(Array.from(fit.groupNorms), name).toEqual(Array.from(kept.norms));
    }
  });
});

/**
 * Column sums and sums of squares in the association the kernels document (blocks of 8 rows from
 * the top summed as a balanced tree and added in order, then the tail one by one), written out
 * independently here.
 */
function treeSums(rows: number[][], j: number): { s: number; q: number } {
  let s = 0, q = 0, i = 0;
  const n = rows.length;
  for (; i + 8 <= n; i += 8) {
    const v = Array.from({ length: 8 }, (_, k) => rows[i + k][j]);
    s += ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
    q += ((v[0] * v[0] + v[1] * v[1]) + (v[2] * v[2] + v[3] * v[3])) + ((v[4] * v[4] + v[5] * v[5]) + (v[6] * v[6] + v[7] * v[7]));
  }
  for (; i < n; i++) {
    s += rows[i][j];
    q += rows[i][j] * rows[i][j];
  }
  return { s, q };
}

describe('column statistics of every kernel copy: the documented association, bit for bit', () => {
  it.each([
    { n: 61, p: 7 },
    // Several 64-row strips and 256-column blocks, odd in both directions.
    { n: 203, p: 517 },
  ])('$n × $p', ({ n, p }) => {
    if (!wasmSimdAvailable()) return;
    const r = new Random(n + p);
    const rows = Array.from({ length: n }, () => Array.from({ length: p }, () => r.normal() * 2 + 0.7));
    // Some zeros, so the CSC copy scatters columns with gaps as well as copying full ones.
    for (let i = 0; i < n; i += 3) rows[i][(5 * i) % p] = 0;
    const D = DenseMatrix.fromRows(rows);
    const built: [string, FastDense][] = [
      ['rows', fastFromRows(rows)!],
      ['typed rows', fastFromRows(rows.map((row) => Float64Array.from(row)))!],
      ['ml-matrix', fastFromRows(new Matrix(rows))!],
      ['DenseMatrix', fastOperator(D)],
      ['CSC', callDesign(SparseMatrix.fromDense(D), 'test', false).op as FastDense],
      ['row subset', fastFromRows([...rows.slice(0, 5), ...rows])!.selectRows(Array.from({ length: n }, (_, i) => i + 5)) as FastDense],
    ];
    for (let j = 0; j < p; j++) {
      const { s, q } = treeSums(rows, j);
      for (const [name, f] of built) {
        const st = f.columnStats();
        if (st === null) throw new Error(`${name}: no column statistics`);
        if (!Object.is(st.sums[j], s) || !Object.is(st.sumSq[j], q)) {
          throw new Error(`${name}, column ${j}: sums ${st.sums[j]} / ${st.sumSq[j]}, expected ${s} / ${q}`);
        }
      }
    }
    for (const [name, f] of built) {
      for (let i = 0; i < n; i += 17) for (let j = 0; j < p; j += 13) expect(f.data[j * n + i], name).toBe(rows[i][j]);
    }
  });
});
