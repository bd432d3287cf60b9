import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { DenseMatrix, fastOperator, fitGroupLasso, Random, ShapeError, ValueError, wasmSimdAvailable } from '../src/index.ts';
import { fastFromRows } from '../src/linalg/kernels/fast.ts';

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
