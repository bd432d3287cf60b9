#!/usr/bin/env node
/**
 * `npm run build:wasm`: assemble kernels.wat and write wasm-bytes.generated.ts.
 * `--check`: exit 1 when the committed generated module does not match the WAT source.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { assemble, GENERATED_PATH, render } from './wasm-assemble.mjs';

const text = render(await assemble());
const current = existsSync(GENERATED_PATH) ? readFileSync(GENERATED_PATH, 'utf8') : '';
if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error('wasm-bytes.generated.ts is out of date: run `npm run build:wasm`');
    process.exit(1);
  }
  console.log('wasm-bytes.generated.ts is up to date');
} else if (current !== text) {
  writeFileSync(GENERATED_PATH, text);
  console.log(`wrote ${GENERATED_PATH}`);
}
