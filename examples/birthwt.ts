/**
 * Which groups of variables predict birth weight? Group lasso along the whole regularization path
 * on the birthwt data (Hosmer & Lemeshow), grouped as in grpreg's Birthwt example: cubic
 * polynomials of age and mother's weight, race and visit-count dummies, and the binary risk factors.
 * Prints the order in which the 8 groups enter the path, the λ chosen by 10-fold cross-validation,
 * the selected groups with their coefficients (original scale) and the certificate of that fit.
 *
 * Run: npm run example
 */
import { birthwtDesign, GroupLasso } from '../src/index.ts';

const d = birthwtDesign(); // 189 × 16, groups age, lwt, race, smoke, ptl, ht, ui, ftv; y = bwt in kg

// grpreg's defaults: each group orthonormalized (X_gᵀX_g/n = I), d_g = √p_g, λ grid of 100 values
// from λ_max down to 1e-3·λ_max.
const model = new GroupLasso({
  groups: d.groups, featureNames: d.columnNames, orthonormalize: true, cv: { nFolds: 10, seed: 1 },
}).fit(d.X, d.y);
const path = model.path!;
const cv = model.cv!;

console.log(`birthwt: n = ${d.X.rows}, ${d.columnNames.length} columns in ${d.groupNames.length} groups (${d.groupNames.join(', ')})`);
console.log(`path: ${path.lambdas.length} values of λ from λ_max = ${path.lambdaMax.toPrecision(5)} down to ${path.lambdas[path.lambdas.length - 1].toPrecision(5)}`);
console.log(`every fit on the path certified: ${path.certificates.every((c) => c.converged)} ` +
  `(largest relative duality gap ${Math.max(...path.certificates.map((c) => c.relativeGap)).toExponential(2)})\n`);

console.log('order in which the groups enter the path:');
const seen = new Set<number>();
path.activeGroups.forEach((act, k) => {
  for (const g of act) {
    if (seen.has(g)) continue;
    seen.add(g);
    console.log(`  ${String(seen.size).padStart(2)}. ${path.groupNames[g].padEnd(6)} at λ = ${path.lambdas[k].toPrecision(4)} (λ/λ_max = ${(path.lambdas[k] / path.lambdaMax).toFixed(3)})`);
  }
});

console.log(`\n10-fold cross-validation (${cv.metric}, kg²):`);
console.log(`  λ_min = ${cv.lambdaMin.toPrecision(4)}: CV error ${cv.meanLoss[cv.indexMin].toFixed(4)} ± ${cv.seLoss[cv.indexMin].toFixed(4)}, ` +
  `${path.activeGroups[cv.indexMin].length} groups`);
console.log(`  λ_1se = ${cv.lambda1se.toPrecision(4)}: CV error ${cv.meanLoss[cv.index1se].toFixed(4)}, ` +
  `${path.activeGroups[cv.index1se].length} groups (${path.activeGroups[cv.index1se].map((g) => path.groupNames[g]).join(', ')})`);

console.log(`\nselected at λ_min (coefficients on the original scale, kg per unit):`);
for (const g of model.selectedGroups()) {
  console.log(`  ${g.name.padEnd(6)} ‖w_g‖ = ${g.norm.toFixed(4).padStart(7)}   ${g.coefficients.map((c) => `${c.feature}=${c.value.toFixed(4)}`).join(' ')}`);
}
const dropped = model.groupNames.filter((g) => !model.selectedGroups().some((s) => s.name === g));
console.log(`  dropped: ${dropped.length ? dropped.join(', ') : '(none)'}`);
console.log(`  intercept ${model.intercept.toFixed(4)} kg, R² on the data ${model.score(d.X, d.y).toFixed(3)}`);
const c = model.certificate;
console.log(`\ncertificate at λ_min: objective ${c.objective.toPrecision(10)}, duality gap ${c.dualityGap.toExponential(2)} ` +
  `(relative ${c.relativeGap.toExponential(2)}), KKT violation ${c.kktViolation.toExponential(2)}, converged ${c.converged}`);
