/**
 * CI-sized fuzzing (the long run is `npm run fuzz`): random problems built by construction —
 * n < p and n > p, partitions with unpenalized leftovers, zero weights, λ from 0 to beyond λ_max,
 * all losses, every registered solver, intercept on/off, group and sparse-group lasso, degenerate
 * columns. Every result must be certified by the independent certificate of
 * test/helpers/independent.ts or marked not converged with a reason; anything thrown must be a
 * library error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { solverNames } from '../src/index.ts';
import { dataFuzzArb, runDataCase } from './helpers/datafuzz.ts';
import { fuzzParamsArb, runCase, type FuzzOutcome } from './helpers/fuzzcase.ts';
import { neuralFuzzArb, prepareNeuralFuzz, runNeuralCase } from './helpers/neuralfuzz.ts';

describe('fuzz: every fit is certified, honestly non-converged, or refused by a library error', () => {
  it('200 random problems', () => {
    const outcomes: FuzzOutcome[] = [];
    fc.assert(
      fc.property(fuzzParamsArb(3000), (p) => {
        const out = runCase(p);
        outcomes.push(out);
        expect(out.failures).toEqual([]);
        // With the fixed seed every certified gap is confirmed independently too.
        expect(out.unconfirmed ?? []).toEqual([]);
      }),
      { numRuns: 200 },
    );
    // Not vacuous: most problems are solved, and the ones that are not say why.
    const fits = outcomes.filter((o) => o.kind === 'fit');
    const converged = fits.filter((o) => o.converged).length;
    expect(converged).toBeGreaterThan(0.75 * fits.length);
    for (const o of fits) if (!o.converged) expect(o.status).toMatch(/^(max iterations reached|stalled: |diverged: )/);
  });

  it('a multi-task case the rescaled dual of the returned point cannot confirm is confirmed by the checker\'s Newton-polished reference', () => {
    // Found by `npm run fuzz`: λ = 0.001 λ_max, p > n, the solver's gap 1.5e-13 against tol·P =
    // 1.4e-12, while rescaling the gradients of FISTA and BCD points with KKT ~1e-10 gave 1.9e-11.
    const out = runCase({
      seed: 681975417, n: 18, p: 22, nGroups: 3, leaveUngrouped: false, loss: 'squared', T: 2, weightMode: 'withZeros',
      lambdaFrac: 0.001, solver: 'fista', intercept: true, alpha: null, tol: 1e-8, stopOn: 'gap', maxIter: 4000, quirk: 'scaled',
    });
    expect(out.converged).toBe(true);
    expect(out.failures).toEqual([]);
    expect(out.unconfirmed).toEqual([]);
  });

  it('draws every registered solver', () => {
    const seen = new Set(fc.sample(fuzzParamsArb(), { numRuns: 300, seed: 1 }).map((p) => p.solver));
    expect([...seen].sort()).toEqual([...solverNames()].sort());
  });
});

describe('fuzz: random CSV tables are read, built and fitted, or refused by a library error', () => {
  it('150 random tables', () => {
    const stages: string[] = [];
    fc.assert(
      fc.property(dataFuzzArb(), (p) => {
        const out = runDataCase(p);
        stages.push(out.error ? `refused by ${out.stage}` : out.stage);
        expect(out.failures).toEqual([]);
      }),
      { numRuns: 150 },
    );
    // Not vacuous: some tables get all the way through, some are refused by the reader.
    expect(stages.filter((s) => s === 'done').length).toBeGreaterThan(10);
    expect(stages.filter((s) => s === 'refused by readCsv').length).toBeGreaterThan(10);
  });

  it('a number too large for float64 arithmetic is refused before the fit, not returned as λ_max = ∞', () => {
    const out = runDataCase({
      delimiter: ',', bom: false, crlf: false, header: ['y', 'é'], rows: [['0', '1e308'], ['3e2', '0']],
      missing: 'error', duplicateNames: 'error', target: 0, sparse: false,
    });
    expect(out.failures).toEqual([]);
    expect(out.error).toMatch(/^lambdaMax: X is too large for float64 arithmetic/);
  });
});

describe('fuzz: corrupted model files are read (and then run and write back) or refused by a library error', () => {
  it('40 corrupted models of every format', async () => {
    await prepareNeuralFuzz();
    const outcomes: string[] = [];
    fc.assert(
      fc.property(neuralFuzzArb(), (p) => {
        const out = runNeuralCase(p);
        outcomes.push(out.outcome);
        expect(out.failures).toEqual([]);
      }),
      { numRuns: 40, seed: 3 },
    );
    // Not vacuous: some corruptions are refused, some leave a readable model.
    expect(outcomes.filter((o) => o.startsWith('refused')).length).toBeGreaterThan(5);
    expect(outcomes.filter((o) => o === 'read').length).toBeGreaterThan(2);
  }, 120_000);
});
