import { Random } from '../../src/index.ts';

export interface SmallProblem {
  X: number[][];
  y: number[];
  groups: number[][];
  weights: number[];
}

/** A random grouped regression/classification problem from a seed (rows, groups as lists). */
export function randomProblem(seed: number, n: number, sizes: number[], loss: 'squared' | 'logistic' | 'poisson' = 'squared'): SmallProblem {
  const rng = new Random(seed);
  const p = sizes.reduce((a, b) => a + b, 0);
  const X: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < p; j++) row.push(rng.normal() + 0.3 * (j % 3));
    X.push(row);
  }
  const groups: number[][] = [];
  let k = 0;
  for (const s of sizes) {
    groups.push([...Array(s).keys()].map((q) => q + k));
    k += s;
  }
  const beta = new Array<number>(p).fill(0);
  groups.forEach((g, gi) => {
    if (gi % 2 === 0) for (const j of g) beta[j] = rng.normal();
  });
  const eta = X.map((r) => r.reduce((s, x, j) => s + x * beta[j], 0) + 0.5);
  let y: number[];
  if (loss === 'squared') y = eta.map((e) => e + 0.5 * rng.normal());
  else if (loss === 'logistic') y = eta.map((e) => (rng.uniform() < 1 / (1 + Math.exp(-e)) ? 1 : 0));
  else y = eta.map((e) => poisson(rng, Math.exp(Math.min(e * 0.3, 3))));
  return { X, y, groups, weights: groups.map((g) => Math.sqrt(g.length)) };
}

function poisson(rng: Random, mean: number): number {
  const L = Math.exp(-mean);
  let k = 0;
  let prod = rng.uniform();
  while (prod > L) {
    k++;
    prod *= rng.uniform();
  }
  return k;
}

/** Uniform draws in [0, 1) from a 32-bit seed (mulberry32): the generator of the multinomial and Cox test problems. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
