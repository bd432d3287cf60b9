/**
 * `npm run bench path`: the λ path with strong-rule screening against the same path fitting every
 * group, and 10-fold cross-validation on grpreg's Birthwt design. Prints medians and the ratio
 * measured in this run; both paths are certified on the full problem, and the script checks that
 * they agree.
 */
import { birthwtDesign, cvGroupLasso, DenseMatrix, groupLassoPath, Random, standardize } from '../src/index.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time<T>(f: () => T, reps: number): { ms: number; out: T } {
  let out!: T;
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    out = f();
    ts.push(performance.now() - t0);
  }
  return { ms: median(ts), out };
}

export function main(): void {
  const r = new Random(5);
  console.log('problem                       screening    median ms   solver iters   put back   gap-safe   max rel. gap');
  for (const [n, p, size] of [[200, 2000, 5], [500, 1000, 10]] as const) {
    const X = new DenseMatrix(n, p, r.normals(n * p));
    const groups = Array.from({ length: p }, (_, j) => Math.floor(j / size));
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = X.get(i, 0) + X.get(i, 7) - X.get(i, 12) + 0.5 * X.get(i, 3 * size) + r.normal();
    const res: Record<string, ReturnType<typeof groupLassoPath>> = {};
    const ms: Record<string, number> = {};
    for (const screening of ['strong', 'none'] as const) {
      const t = time(() => groupLassoPath(X, y, { groups, screening, nLambda: 50, lambdaMinRatio: 0.05 }), 3);
      res[screening] = t.out;
      ms[screening] = t.ms;
      const it = t.out.iterations.reduce((a, b) => a + b, 0);
      const back = t.out.screening.reduce((a, b) => a + b.violations, 0);
      const safe = t.out.screening.reduce((a, b) => a + (b.safe ?? 0), 0);
      const gap = Math.max(...t.out.certificates.map((c) => c.relativeGap));
      console.log(`n=${n} p=${p} groups of ${size}`.padEnd(30) + screening.padEnd(10) + ms[screening].toFixed(0).padStart(12) +
        String(it).padStart(15) + String(back).padStart(11) + String(safe).padStart(11) + gap.toExponential(2).padStart(15));
    }
    let same = true;
    let maxRel = 0;
    for (let k = 0; k < res.strong.lambdas.length; k++) {
      same &&= res.strong.activeGroups[k].join() === res.none.activeGroups[k].join();
      const a = res.strong.certificates[k].objective;
      const b = res.none.certificates[k].objective;
      maxRel = Math.max(maxRel, Math.abs(a - b) / b);
    }
    console.log(`  speed-up of screening ×${(ms.none / ms.strong).toFixed(2)}; same active groups at every λ: ${same}; max relative objective difference ${maxRel.toExponential(1)}`);
  }
  const d = birthwtDesign();
  const s = standardize(d.X);
  const t = time(() => cvGroupLasso(s.X, d.y, { groups: d.groups, nFolds: 10, seed: 1 }), 3);
  console.log(`\nBirthwt (189 × 16, 8 groups), 10-fold CV over 100 λ (11 paths): median ${t.ms.toFixed(0)} ms; ` +
    `λ_min = ${t.out.lambdaMin.toPrecision(4)}, λ_1se = ${t.out.lambda1se.toPrecision(4)}`);
}
