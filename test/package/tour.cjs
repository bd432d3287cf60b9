// CommonJS consumer: require() of the ESM package (Node ≥ 20.19 / ≥ 22.12 load ES modules synchronously).
const { birthwtDesign, GroupLasso } = require('groupsparse');
const d = birthwtDesign();
const m = new GroupLasso({ groups: d.groups, featureNames: d.columnNames, lambda: 0.01 }).fit(d.X, d.y);
console.log(`cjs selected ${m.selectedGroups().length} groups, certified ${m.certificate.converged}`);
