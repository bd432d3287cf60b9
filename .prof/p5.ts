import { DenseMatrix } from '../src/linalg/dense.ts';
import { sharedFastCopy } from '../src/linalg/kernels/fast.ts';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const [n, p] = [10000, 2000];
const X = new DenseMatrix(n, p, Float64Array.from({ length: n * p }, (_, k) => Math.sin(k)));
sharedFastCopy(X);
for (let r = 0; r < 4; r++) { const t = cpu(); sharedFastCopy(X); console.log('sync', (cpu() - t).toFixed(1)); }
