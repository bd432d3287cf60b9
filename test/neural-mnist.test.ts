import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/errors.ts';
import { loadMnist, subsetImages } from '../src/neural/mnist.ts';

const require = createRequire(import.meta.url);

describe('real MNIST shipped as bytes', () => {
  const { train, test } = loadMnist({ layout: 'flat' });

  it('holds the mnist package\'s 10 000 digits, split every fifth per digit', () => {
    expect(train.n + test.n).toBe(10000);
    // The package's own counts per digit: test gets ⌊count / 5⌋ of each.
    let expectTest = 0;
    for (let d = 0; d < 10; d++) expectTest += Math.floor(require(`mnist/src/digits/${d}.json`).data.length / 784 / 5);
    expect(test.n).toBe(expectTest);
    expect(train.shape).toEqual([784]);
  });

  it('pixels equal the package\'s JSON values (independent source), first test image of each digit', () => {
    let k = 0;
    for (let d = 0; d < 10; d++) {
      const data: number[] = require(`mnist/src/digits/${d}.json`).data;
      // Test sample 0 of digit d is the package's sample 4 of that digit.
      while (test.y[k] !== d) k++;
      for (let j = 0; j < 784; j++) expect(Math.abs(test.x[k * 784 + j] - data[4 * 784 + j])).toBeLessThan(6e-4);
    }
  });

  it('a seeded subset is reproducible, and a bad file is refused by name', () => {
    const a = subsetImages(train, 50, 3);
    const b = subsetImages(train, 50, 3);
    expect(Array.from(a.y)).toEqual(Array.from(b.y));
    expect(() => loadMnist({ path: 'datasets/digits.csv' })).toThrow(DataError);
    expect(() => loadMnist({ path: 'datasets/digits.csv' })).toThrow(/loadMnist:/);
  });
});
