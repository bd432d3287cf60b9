/**
 * CI-sized fuzzing of overlapping fits (test/helpers/overlapfuzz.ts): groups covering every
 * feature, singletons, chains, duplicated and constant columns, designs at 1e±140, tolerances
 * down to 1e-15. A result must be confirmed by a check of the tests' own, honestly unconverged, or
 * refused by a library error. `npm run fuzz -- --target overlap` runs the same property at length.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { overlapFuzzArb, runOverlapCase } from './helpers/overlapfuzz.ts';

describe('fuzz: overlapping group lasso, latent and consensus', () => {
  test.prop([overlapFuzzArb()], { numRuns: 60, seed: 20261202 })('every result certified, honestly unconverged, or refused by a library error', (q) => {
    const out = runOverlapCase(q);
    expect(out.failures, JSON.stringify(q)).toEqual([]);
  });
});
void fc;
