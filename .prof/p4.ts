import { fastFromRows, fastOperator } from '../src/linalg/kernels/fast.ts';
import { fitGroupLasso, prepareProblem } from '../src/problem/problem.ts';
import { gaussianProblem } from '../bench/problems.ts';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const [n, p] = process.argv.slice(2).map(Number);
const { X, y, groups } = gaussianProblem(7, n, p, 5, 0.5, 10);
const rows: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: p }, (_, j) => X.data[i + j * n]));
const lambda = 0.2 * prepareProblem(X, y, { groups }).lambdaMax();
for (let r = 0; r < 4; r++) {
  const f = fastFromRows(rows, true)!;
  let t = cpu(); fitGroupLasso(f, y, { groups, lambda, tol: 1e-6 }); const a = cpu() - t;
  t = cpu(); fitGroupLasso(f, y, { groups, lambda, tol: 1e-6 }); const b = cpu() - t;
  t = cpu(); const pp = prepareProblem(f, y, { groups }); const c = cpu() - t;
  t = cpu(); pp.fit(lambda, { tol: 1e-6 }); const d = cpu() - t;
  f.dispose();
  console.log(`first ${a.toFixed(1)} second ${b.toFixed(1)} prep ${c.toFixed(1)} fit ${d.toFixed(1)}`);
}
