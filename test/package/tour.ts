// The README tour as a consumer of the installed package writes it (type-checked strictly by the
// oldest and newest supported TypeScript, then run by Node, bundled for the browser, run by Deno).
import {
  BIRTHWT_CSV, birthwtDesign, cvGroupLasso, GroupLasso, groupLassoPath, pathChart, Pipeline, readCsv, type PathResult,
} from 'groupsparse';

const d = birthwtDesign();
const m = new GroupLasso({ groups: d.groups, featureNames: d.columnNames, cv: 5 }).fit(d.X, d.y);
const selected: string[] = m.selectedGroups().map((g) => g.name);
const path: PathResult = groupLassoPath(d.X, d.y, { groups: d.groups, nLambda: 20 });
const cv = cvGroupLasso(d.X, d.y, { groups: d.groups, nFolds: 5, seed: 1 });
const table = readCsv(BIRTHWT_CSV);
const spec = pathChart({ lambdas: path.lambdas, groupNames: path.groupNames, groupNorms: path.groupNorms });
const r2 = m.score(d.X, d.y);
// A pipeline saved as JSON and loaded back scores new raw rows as the in-memory one.
const pipe = Pipeline.fit(table, {
  design: { target: 'bwt', columns: [{ type: 'poly', column: 'age', degree: 2 }, { type: 'categorical', column: 'race', reference: '3' }, { type: 'numeric', column: 'smoke' }] },
  model: { cv: 5 },
});
const mothers = { age: [19, 30], race: [1, 2], smoke: [0, 1] };
const loaded = Pipeline.fromJSON(JSON.stringify(pipe));
const a = pipe.predict(mothers);
const b = loaded.predict(mothers);
const out = {
  selected: selected.length, nLambda: path.lambdas.length, cvOk: cv.lambdaMin > 0, rows: table.nRows,
  chart: typeof spec.$schema === 'string', r2: Number(r2.toFixed(3)), certified: m.certificate.converged,
  pipeline: a[0] === b[0] && a[1] === b[1] && a[0] > 1000,
};
console.log(`tour ${JSON.stringify(out)}`);

// Inputs are typed: these must not compile (tsc fails on an unused @ts-expect-error).
export function typeErrors(): void {
  // @ts-expect-error a string is not a design matrix, a number not a response
  new GroupLasso({ groups: d.groups }).fit('not a matrix', 42);
  // @ts-expect-error rows of strings are not numbers
  groupLassoPath([['a'], ['b']], [1, 2], { groups: [0] });
}
