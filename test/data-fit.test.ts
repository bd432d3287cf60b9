import { describe, expect, it } from 'vitest';
import { birthwtDesign, DenseMatrix, fitGroupLasso, lambdaMax, orthonormalizeGroups, SparseMatrix } from '../src/index.ts';

describe('designs feed the solvers', () => {
  const d = birthwtDesign();
  const X = d.X as DenseMatrix;

  it('Birthwt: the same fit from the dense design and from its CSC copy (SparseMatrix as LinearOperator)', () => {
    const S = SparseMatrix.fromDense(X);
    expect(S.nnz).toBeLessThan(X.rows * X.cols);
    const lmD = lambdaMax(X, d.y!, { groups: d.groups });
    const lmS = lambdaMax(S, d.y!, { groups: d.groups });
    expect(lmS).toBeCloseTo(lmD, 12);
    const a = fitGroupLasso(X, d.y!, { groups: d.groups, lambda: 0.2 * lmD, tol: 1e-10 });
    const b = fitGroupLasso(S, d.y!, { groups: d.groups, lambda: 0.2 * lmD, tol: 1e-10 });
    expect(a.converged && b.converged).toBe(true);
    for (let j = 0; j < 16; j++) expect(b.coef[j]).toBeCloseTo(a.coef[j], 6);
    expect(b.intercept).toBeCloseTo(a.intercept, 6);
    // Something was selected and something dropped at this λ: the comparison is not between two zero vectors.
    expect(a.activeGroups.length).toBeGreaterThan(0);
    expect(a.activeGroups.length).toBeLessThan(8);
  });

  it("reproduces grpreg's published λ_max = 0.206495 for Birthwt (bwt in kg, grLasso, gaussian)", () => {
    // grpreg's documentation (mfdr example: grpreg(Birthwt$X, Birthwt$bwt, Birthwt$group)) prints the
    // first λ of the path as 0.206495. grpreg standardizes and orthonormalizes each group, and
    // λ_max = max_g ‖X̃_gᵀ(y − ȳ)‖ / (n √p_g) depends only on each group's column span, so this
    // checks the groups, dummies and responses built from the raw CSV.
    const o = orthonormalizeGroups(X, d.groups);
    expect(lambdaMax(o.X, d.y!, { groups: o.groups })).toBeCloseTo(0.206495, 6);
  });

  it('Birthwt in grpreg scaling: a fit on the orthonormalized design maps back to raw-scale predictions', () => {
    const o = orthonormalizeGroups(X, d.groups);
    const lm = lambdaMax(o.X, d.y!, { groups: o.groups });
    const fit = fitGroupLasso(o.X, d.y!, { groups: o.groups, lambda: 0.5 * lm, tol: 1e-10 });
    const raw = o.backTransform(fit.coef, fit.intercept);
    const pa = new Float64Array(189);
    const pb = new Float64Array(189);
    o.X.apply(fit.coef, pa);
    X.apply(raw.coef, pb);
    for (let i = 0; i < 189; i++) expect(Math.abs(pa[i] + fit.intercept - (pb[i] + raw.intercept))).toBeLessThan(1e-10);
    // A dropped group stays exactly zero on the raw scale (at 0.5·λ_max age, lwt and ftv are dropped).
    const dropped = [...fit.groupNorms.keys()].filter((g) => fit.groupNorms[g] === 0);
    expect(dropped.length).toBeGreaterThan(0);
    for (const g of dropped) {
      d.columnInfo.forEach((c, j) => {
        if (c.group === d.groupNames[g]) expect(raw.coef[j]).toBe(0);
      });
    }
  });
});
