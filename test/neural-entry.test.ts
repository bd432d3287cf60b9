import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every module reachable from `entry` through static imports/re-exports, and the packages they name. */
function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [resolve(entry)];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    const src = readFileSync(f, 'utf8');
    // Static `import … from '…'`, `export … from '…'` and bare `import '…'` (not `import(…)`).
    for (const m of src.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'|^import\s+'([^']+)'/gms)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) todo.push(join(dirname(f), spec));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  return { files, packages };
}

describe('entry points', () => {
  it('the regression core (groupsparse) never reaches the network runtime', () => {
    const core = closure('src/index.ts');
    const heavy = [...core.packages].filter((p) => p.startsWith('@tensorflow') || p.startsWith('onnx') || p === 'pngjs');
    expect(heavy).toEqual([]);
    expect([...core.files].some((f) => f.includes('/neural/'))).toBe(false);
  });

  it('groupsparse/neural does reach tfjs (the check above can fail)', () => {
    const n = closure('src/neural/index.ts');
    expect(n.packages.has('@tensorflow/tfjs-core')).toBe(true);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { import: string }> };
    expect(pkg.exports['./neural'].import).toBe('./dist/neural/index.js');
  });
});
