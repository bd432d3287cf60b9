import fc from 'fast-check';

/** A partition of 0..p−1 into groups, built by construction: sizes, then a shuffled assignment. */
export interface Partition {
  p: number;
  groups: number[][];
}

export function partitionArb(maxGroups = 6, maxSize = 4): fc.Arbitrary<Partition> {
  return fc
    .array(fc.integer({ min: 1, max: maxSize }), { minLength: 1, maxLength: maxGroups })
    .chain((sizes) => {
      const p = sizes.reduce((a, b) => a + b, 0);
      return fc.shuffledSubarray([...Array(p).keys()], { minLength: p, maxLength: p }).map((perm) => {
        const groups: number[][] = [];
        let k = 0;
        for (const s of sizes) {
          groups.push(perm.slice(k, k + s));
          k += s;
        }
        return { p, groups };
      });
    });
}

const finite = fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true });

/** A vector for a partition where the groups listed in `zeroed` are exactly zero (the zero-group case). */
export function groupedVectorArb(part: Partition): fc.Arbitrary<{ v: number[]; zeroed: boolean[] }> {
  return fc
    .tuple(fc.array(finite, { minLength: part.p, maxLength: part.p }), fc.array(fc.boolean(), { minLength: part.groups.length, maxLength: part.groups.length }))
    .map(([v, zeroed]) => {
      const out = v.slice();
      part.groups.forEach((g, k) => {
        if (zeroed[k]) for (const j of g) out[j] = 0;
      });
      return { v: out, zeroed };
    });
}

export function weightsArb(k: number): fc.Arbitrary<number[]> {
  return fc.array(fc.double({ min: 0.1, max: 3, noNaN: true }), { minLength: k, maxLength: k });
}
