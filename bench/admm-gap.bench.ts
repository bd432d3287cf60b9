/**
 * `npm run bench admm-gap`: how closely consensus ADMM's certified gap tracks the true
 * suboptimality. On a random family (test/overlap-helpers.ts: well conditioned, correlated 0.95,
 * columns scaled over 10⁴, p > n; BENCH_ADMM_GAP_SEEDS seeds per kind, default 25) at tolerances
 * 1e-4 … 1e-8, the ratio gap / (P − U) is printed as a distribution, U being an upper bound on the
 * optimum from the tests' own methods (restricted Newton, reweighted ridge); under 1e-13·P the
 * suboptimality is rounding and taken as 1e-13·P. Also printed: how many certificates were valid
 * (dual ≤ U and gap ≥ P − U) and the ADMM iterations and work.
 */
import { fitOverlappingGroupLasso } from '../src/index.ts';
import { optimumUpperBound, plainObjective, randomOverlapProblem, type OverlapKind } from '../test/overlap-helpers.ts';

export function main(): void {
  const seeds = Number(process.env.BENCH_ADMM_GAP_SEEDS ?? 25);
  const kinds: OverlapKind[] = ['plain', 'correlated', 'scaled', 'wide'];
  const tols = [1e-4, 1e-5, 1e-6, 1e-7, 1e-8];
  const ratios: number[] = [];
  let valid = 0;
  let iters = 0;
  let work = 0;
  const worst: string[] = [];
  const t0 = performance.now();
  for (let seed = 1; seed <= seeds; seed++) {
    for (const kind of kinds) {
      const { d, groups, lambda } = randomOverlapProblem(seed, kind);
      for (const tol of tols) {
        const f = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode: 'consensus', tol });
        const P = plainObjective(d, f.coef, f.intercept, groups, lambda);
        const U = optimumUpperBound(d, groups, lambda, f.coef);
        const sub = P - U;
        if (f.dualObjective <= U * (1 + 1e-14) && f.dualityGap >= sub - 1e-14 * P) valid++;
        const r = f.dualityGap / Math.max(sub, 1e-13 * P);
        ratios.push(r);
        iters += f.iterations;
        work += f.work;
        if (r > 10) worst.push(`${kind} seed ${seed} tol ${tol}: ratio ${r.toExponential(2)} (gap ${f.dualityGap.toExponential(2)}, P − U ${sub.toExponential(2)})`);
      }
    }
  }
  ratios.sort((a, b) => a - b);
  const q = (x: number): string => ratios[Math.min(ratios.length - 1, Math.floor(x * ratios.length))].toExponential(2);
  const within = ratios.filter((r) => r <= 10).length;
  console.log(`fits: ${ratios.length} (${seeds} seeds × ${kinds.length} kinds × ${tols.length} tolerances) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`valid certificates: ${valid}/${ratios.length}`);
  console.log(`ratio gap/(P − U): median ${q(0.5)}, p90 ${q(0.9)}, p99 ${q(0.99)}, max ${q(1)}; within 10×: ${within}/${ratios.length}`);
  console.log(`mean ADMM iterations ${(iters / ratios.length).toFixed(1)}, mean work ${(work / ratios.length).toFixed(1)} passes`);
  for (const w of worst) console.log(`  above 10×: ${w}`);
}
