import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { DenseMatrix, fastOperator, fitGroupLasso, lambdaMax, Random, ShapeError, ValueError, wasmSimdAvailable } from '../src/index.ts';
import { SparseMatrix } from '../src/linalg/sparse.ts';
import { prepareProblem } from '../src/problem/problem.ts';
import { callDesign, fastFromRows, type FastDense } from '../src/linalg/kernels/fast.ts';
import { drainKernelPool, liveKernelMemory, pooledKernelMemory } from '../src/linalg/kernels/wasm.ts';

describe('rows and ml-matrix go straight into the kernel memory', () => {
  const r = new Random(4);
  const n = 70, p = 9;
  const rows = Array.from({ length: n }, () => Array.from({ length: p }, () => r.normal()));
  const y = rows.map((row) => row[0] - 2 * row[4] + r.normal());
  const groups = [0, 0, 0, 1, 1, 1, 2, 2, 2];

  it('holds exactly the entries, column-major, and fits as a DenseMatrix does', () => {
    const f = fastFromRows(rows);
    // Without WebAssembly SIMD the general conversion is used (covered elsewhere).
    expect(f === null).toBe(!wasmSimdAvailable());
    if (f === null) return;
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) expect(f.data[j * n + i]).toBe(rows[i][j]);
    const m = fastFromRows(new Matrix(rows))!;
    expect(Array.from(m.data)).toEqual(Array.from(f.data));
    const ref = fitGroupLasso(DenseMatrix.fromRows(rows), y, { groups, lambda: 0.05, tol: 1e-10 });
    for (const X of [rows, new Matrix(rows)]) {
      const fit = fitGroupLasso(X, y, { groups, lambda: 0.05, tol: 1e-10 });
      expect(Array.from(fit.coef)).toEqual(Array.from(ref.coef));
    }
  });

  it('fits from every dense form are identical, bit for bit (Object.is per coefficient)', () => {
    // Several active groups and a tight tolerance: many solver iterations, so any difference in
    // the stored entries or in their layout would show in the last bits.
    const ref = fitGroupLasso(rows, y, { groups, lambda: 0.01, tol: 1e-12 });
    expect(ref.activeGroups.length).toBeGreaterThan(1);
    const colMajor = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) colMajor[i + j * n] = rows[i][j];
    const typedRows = rows.map((row) => Float64Array.from(row));
    for (const X of [new Matrix(rows), typedRows, DenseMatrix.fromRows(rows), new DenseMatrix(n, p, colMajor), fastOperator(new DenseMatrix(n, p, colMajor))]) {
      const fit = fitGroupLasso(X, y, { groups, lambda: 0.01, tol: 1e-12 });
      expect(fit.coef.length).toBe(p);
      for (let j = 0; j < p; j++) expect(Object.is(fit.coef[j], ref.coef[j])).toBe(true);
      expect(Object.is(fit.intercept, ref.intercept)).toBe(true);
    }
  });

  it('declines bad rows, so the general conversion words the refusal', () => {
    const nan = rows.map((row) => row.slice());
    nan[5][2] = NaN;
    expect(fastFromRows(nan)).toBeNull();
    expect(() => fitGroupLasso(nan, y, { groups, lambda: 0.05 })).toThrow(ValueError);
    const ragged = rows.map((row) => row.slice());
    ragged[3] = ragged[3].slice(1);
    expect(fastFromRows(ragged)).toBeNull();
    expect(() => fitGroupLasso(ragged, y, { groups, lambda: 0.05 })).toThrow(ShapeError);
    const text = rows.map((row) => row.slice()) as unknown[][];
    text[1][1] = '2';
    expect(fastFromRows(text)).toBeNull();
    expect(() => fitGroupLasso(text as never, y, { groups, lambda: 0.05 })).toThrow(/not a number/);
  });
});

describe('one checked pass per dense form: finiteness and the range check come from the conversion', () => {
  const r = new Random(11);
  const n = 40, p = 6;
  const base = Array.from({ length: n }, () => Array.from({ length: p }, () => r.normal()));
  const y = base.map((row) => row[0] + 0.5 * row[3] + 0.1 * r.normal());
  const groups = [0, 0, 1, 1, 2, 2];
  const opts = { groups, lambda: 0.02, tol: 1e-12 };
  const colMajor = (rows: number[][]): Float64Array => {
    const d = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) d[i + j * n] = rows[i][j];
    return d;
  };
  const same = (a: { coef: Float64Array; intercept: number }, b: { coef: Float64Array; intercept: number }) => {
    for (let j = 0; j < p; j++) expect(Object.is(a.coef[j], b.coef[j])).toBe(true);
    expect(Object.is(a.intercept, b.intercept)).toBe(true);
  };

  it('a DenseMatrix changed in place between fits is fitted with its new entries, bit for bit', () => {
    const X = new DenseMatrix(n, p, colMajor(base));
    const first = fitGroupLasso(X, y, opts);
    same(first, fitGroupLasso(base, y, opts));
    // Change one entry through the array the caller holds, not through the matrix's methods.
    X.data[7 + 3 * n] += 0.75;
    const changedRows = base.map((row) => row.slice());
    changedRows[7][3] += 0.75;
    const second = fitGroupLasso(X, y, opts);
    same(second, fitGroupLasso(changedRows, y, opts));
    expect(Object.is(second.coef[3], first.coef[3])).toBe(false);
    // And back: the kernel copy follows again.
    X.data[7 + 3 * n] -= 0.75;
    X.data[7 + 3 * n] = base[7][3];
    same(fitGroupLasso(X, y, opts), first);
  });

  it('a non-finite entry written into a reused DenseMatrix is refused with its position', () => {
    const X = new DenseMatrix(n, p, colMajor(base));
    fitGroupLasso(X, y, opts);
    X.data[5 + 4 * n] = Infinity;
    expect(() => fitGroupLasso(X, y, opts)).toThrow(/^fitGroupLasso: X contains a non-finite value \(Infinity\) at row 5, column 4$/);
    X.data[5 + 4 * n] = NaN;
    expect(() => fitGroupLasso(X, y, opts)).toThrow(/^fitGroupLasso: X contains a non-finite value \(NaN\) at row 5, column 4$/);
    X.data[5 + 4 * n] = base[5][4];
    same(fitGroupLasso(X, y, opts), fitGroupLasso(base, y, opts));
  });

  it('fastOperator refuses a non-finite DenseMatrix naming itself and the entry', () => {
    const d = colMajor(base);
    d[2 + 1 * n] = -Infinity;
    expect(() => fastOperator(new DenseMatrix(n, p, d))).toThrow(/^fastOperator: X contains a non-finite value \(-Infinity\) at row 2, column 1$/);
    try {
      fastOperator(new DenseMatrix(n, p, d));
    } catch (e) {
      expect((e as ValueError).fn).toBe('fastOperator');
    }
  });

  it('finite entries whose squares overflow are "too large", not "non-finite", in every dense form', () => {
    // 1e200² overflows the plain sum of squares; the range check measures that column exactly.
    const big = base.map((row) => [row[0] * 1e200, ...row.slice(1)]);
    for (const X of [big, new Matrix(big), DenseMatrix.fromRows(big), new DenseMatrix(n, p, colMajor(big))]) {
      expect(() => fitGroupLasso(X, y, opts)).toThrow(/^fitGroupLasso: X is too large for float64 arithmetic \(root-mean-square size \d\.\d\de\+(199|200);/);
    }
  });

  it('tiny entries whose squares underflow are measured exactly: 1e-160 refused, 1e-145 fitted', () => {
    const tiny = base.map((row) => row.map((v) => v * 1e-160));
    for (const X of [tiny, new DenseMatrix(n, p, colMajor(tiny))]) {
      expect(() => fitGroupLasso(X, y, opts)).toThrow(/^fitGroupLasso: X is too small for float64 arithmetic \(root-mean-square size \d\.\d\de-160;/);
    }
    // Inside the supported range although Σx² (≈ 1e-280 · n) is below the plain-sum range.
    const small = base.map((row) => row.map((v) => v * 1e-145));
    // (Only the refusal is checked here: how the solvers fare at such scales is theirs to say.)
    for (const X of [small, new DenseMatrix(n, p, colMajor(small))]) {
      expect(() => fitGroupLasso(X, y, { groups, lambda: 0.02 * 1e-145, maxIter: 5 })).not.toThrow();
    }
  });

  it('the range check reports the same size as a scaled oracle (largest column RMS)', () => {
    // Columns at very different sizes, one all zero: the message carries max_j RMS(x_j).
    const rows = base.map((row) => [row[0] * 1e160, row[1], 0, row[3] * 1e-3, row[4], row[5]]);
    let oracle = 0;
    for (let j = 0; j < p; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(rows[i][j]));
      let s = 0;
      for (let i = 0; i < n; i++) s += m === 0 ? 0 : (rows[i][j] / m) ** 2;
      oracle = Math.max(oracle, m * Math.sqrt(s / n));
    }
    const text = oracle.toExponential(2).replace('+', '\\+');
    for (const X of [rows, new DenseMatrix(n, p, colMajor(rows))]) {
      expect(() => fitGroupLasso(X, y, opts)).toThrow(new RegExp(`root-mean-square size ${text};`));
    }
  });
});

describe('kernel memory pool: one-call fits write into the memory the last one gave back', () => {
  const r = new Random(21);
  const n = 60, p = 8;
  const make = () => Array.from({ length: n }, () => Array.from({ length: p }, () => r.normal()));
  const rowsA = make(), rowsB = make();
  const yA = rowsA.map((row) => row[0] - row[5] + 0.3 * r.normal());
  const yB = rowsB.map((row) => 2 * row[2] + row[7] + 0.3 * r.normal());
  const groups = [0, 0, 1, 1, 2, 2, 3, 3];
  const opts = { groups, lambda: 0.03, tol: 1e-12 };
  const colMajor = (rows: number[][]): Float64Array => {
    const d = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) d[i + j * n] = rows[i][j];
    return d;
  };
  const same = (a: { coef: Float64Array; intercept: number }, b: { coef: Float64Array; intercept: number }) => {
    expect(a.coef.length).toBe(b.coef.length);
    for (let j = 0; j < a.coef.length; j++) expect(Object.is(a.coef[j], b.coef[j])).toBe(true);
    expect(Object.is(a.intercept, b.intercept)).toBe(true);
  };

  it('a second fit reuses the memory (no new one), and the first result is untouched by it', () => {
    if (!wasmSimdAvailable()) return;
    drainKernelPool();
    const first = fitGroupLasso(rowsA, yA, opts);
    expect(pooledKernelMemory().memories).toBe(1);
    const kept = { coef: Float64Array.from(first.coef), intercept: first.intercept, norms: Float64Array.from(first.groupNorms) };
    const created = liveKernelMemory().created;
    // Other data of the same size: written into the pages the first fit used.
    const second = fitGroupLasso(new Matrix(rowsB), yB, opts);
    expect(liveKernelMemory().created).toBe(created);
    same(first, kept);
    expect(Array.from(first.groupNorms)).toEqual(Array.from(kept.norms));
    // A DenseMatrix and a dense CSC matrix go through the same memory, with the same answers.
    same(fitGroupLasso(new DenseMatrix(n, p, colMajor(rowsA)), yA, opts), kept);
    same(fitGroupLasso(SparseMatrix.fromDense(new DenseMatrix(n, p, colMajor(rowsA))), yA, opts), kept);
    expect(liveKernelMemory().created).toBe(created);
    // Each fit equals the same fit on a DenseMatrix kept by a prepared problem (a memory of its own).
    same(second, prepareProblem(new DenseMatrix(n, p, colMajor(rowsB)), yB, { groups }).fit(opts.lambda, opts));
    same(first, prepareProblem(new DenseMatrix(n, p, colMajor(rowsA)), yA, { groups }).fit(opts.lambda, opts));
    expect(liveKernelMemory().created).toBe(created + 2);
    // λ_max through the pool agrees with a prepared problem's.
    expect(lambdaMax(rowsB, yB, { groups })).toBe(prepareProblem(new DenseMatrix(n, p, colMajor(rowsB)), yB, { groups }).lambdaMax());
  });

  it('a memory left dirty by a larger or different design does not leak into the next fit', () => {
    if (!wasmSimdAvailable()) return;
    // A wider design first (its memory is within the pool's slack of the next one's size).
    const wide = rowsA.map((row) => [...row, ...row.map((v) => 3 * v)]);
    fitGroupLasso(wide, yA, { groups: [...groups, ...groups.map((g) => g + 4)], lambda: 0.03 });
    same(fitGroupLasso(rowsB, yB, opts), fitGroupLasso(DenseMatrix.fromRows(rowsB), yB, { ...opts }));
    same(fitGroupLasso(rowsB, yB, opts), prepareProblem(new DenseMatrix(n, p, colMajor(rowsB)), yB, { groups }).fit(opts.lambda, opts));
  });

  it('a CSC matrix at least half full is fitted on the dense kernels; a sparser one agrees within tolerance', () => {
    const dense = new DenseMatrix(n, p, colMajor(rowsA));
    same(fitGroupLasso(SparseMatrix.fromDense(dense), yA, opts), fitGroupLasso(rowsA, yA, opts));
    same(prepareProblem(SparseMatrix.fromDense(dense), yA, { groups }).fit(opts.lambda, opts), fitGroupLasso(rowsA, yA, opts));
    // A quarter of the entries zeroed (columns with gaps), written into the memory the last fit left.
    const gappy = rowsA.map((row, i) => row.map((v, j) => ((i + 2 * j) % 4 === 0 ? 0 : v)));
    const G = SparseMatrix.fromDense(DenseMatrix.fromRows(gappy));
    expect(G.nnz).toBeGreaterThanOrEqual(0.5 * n * p);
    same(fitGroupLasso(G, yA, opts), fitGroupLasso(gappy, yA, opts));
    // Two thirds of the entries zeroed: the sparse kernels, the same optimum to the tolerance.
    const sparseRows = rowsA.map((row, i) => row.map((v, j) => ((i + j) % 3 === 0 ? v : 0)));
    const S = SparseMatrix.fromDense(DenseMatrix.fromRows(sparseRows));
    expect(S.nnz).toBeLessThan(0.5 * n * p);
    const a = fitGroupLasso(S, yA, opts), b = fitGroupLasso(sparseRows, yA, opts);
    expect(a.converged && b.converged).toBe(true);
    for (let j = 0; j < p; j++) expect(Math.abs(a.coef[j] - b.coef[j])).toBeLessThan(1e-5);
    expect(Math.abs(a.objective - b.objective)).toBeLessThanOrEqual(1e-12 * Math.abs(b.objective) + a.dualityGap + b.dualityGap);
  });

  it('a disposed operator refuses every product', () => {
    const f = fastFromRows(rowsA, true);
    if (f === null) return;
    f.dispose();
    expect(f.disposed).toBe(true);
    expect(() => f.applyTranspose(new Float64Array(n), new Float64Array(p))).toThrow(/disposed/);
    expect(() => f.dot(0, new Float64Array(n))).toThrow(/disposed/);
  });

  it('every way of building a kernel copy records the same column sums and squared norms, those of a naive oracle', () => {
    if (!wasmSimdAvailable()) return;
    // 61 rows: seven blocks of 8 and a tail, so the block order and the tail both count.
    const m = 61;
    const rows = Array.from({ length: m }, () => Array.from({ length: p }, () => r.normal() * 3 + 1));
    const D = DenseMatrix.fromRows(rows);
    const built = [fastFromRows(rows)!, fastFromRows(rows.map((row) => Float64Array.from(row)))!, fastOperator(D)];
    const csc = callDesign(SparseMatrix.fromDense(D), 'test', false).op as FastDense;
    const big = fastFromRows([...rows, ...rows.slice(0, 9)])!;
    const sub = big.selectRows(Array.from({ length: m }, (_, i) => i)) as FastDense;
    const ref = built[0].columnStats()!;
    for (const f of [...built, csc, sub]) {
      const st = f.columnStats();
      expect(st).not.toBeNull();
      for (let j = 0; j < p; j++) {
        expect(Object.is(st!.sums[j], ref.sums[j])).toBe(true);
        expect(Object.is(st!.sumSq[j], ref.sumSq[j])).toBe(true);
      }
    }
    for (let j = 0; j < p; j++) {
      let s1 = 0, s2 = 0;
      for (let i = 0; i < m; i++) { s1 += rows[i][j]; s2 += rows[i][j] ** 2; }
      expect(Math.abs(ref.sums[j] - s1)).toBeLessThanOrEqual(1e-12 * s2);
      expect(Math.abs(ref.sumSq[j] - s2)).toBeLessThanOrEqual(1e-12 * s2);
    }
    // Entries changed through `set`: the recorded statistics no longer apply.
    built[2].set(3, 1, 7);
    expect(built[2].columnStats()).toBeNull();
  });
});
