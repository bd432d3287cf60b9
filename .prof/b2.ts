import { orthonormalizeGroups } from '../src/data/standardize.ts';
import { lambdaMax } from '../src/problem/problem.ts';
import { groupLassoPath, lambdaGrid } from '../src/path/path.ts';
import { gaussianProblem } from '../bench/problems.ts';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const P = gaussianProblem(1, 1000, 5000, 10, 0.5, 10);
const o = orthonormalizeGroups(P.X, P.groups);
const sizes: number[] = [];
for (let g = 0; g < o.groups.nGroups; g++) sizes.push(o.groups.ptr[g + 1] - o.groups.ptr[g]);
const labels = sizes.flatMap((s, g) => new Array<number>(s).fill(g));
const lm = lambdaMax(o.X, P.y, { groups: labels });
const lambdas = lambdaGrid(lm, 100, 0.05);
for (let r = 0; r < 3; r++) {
  const t = cpu();
  const res = groupLassoPath(o.X, P.y, { groups: labels, lambdas, tol: 1e-6 } as never);
  const el = cpu() - t;
  let worst = 0;
  for (const c of res.certificates) worst = Math.max(worst, c.relativeGap);
  console.log(`path ${el.toFixed(0)} ms, max rel gap ${worst.toExponential(2)}, status ${res.status}, iters ${res.iterations.reduce((a: number, b: number) => a + b, 0)}`);
}
import { ST } from '../src/path/descent.ts';
console.log(ST);
