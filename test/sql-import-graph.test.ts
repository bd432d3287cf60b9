import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every module reached from `entry` by static imports (dynamic `import()` is not followed), and the packages they name. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [resolve(root, entry)];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) todo.push(resolve(dirname(f), spec));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

describe('the SQL sources stay out of the core', () => {
  it('importing groupsparse reaches no SQL-source module and no database driver', () => {
    const { files, packages } = staticGraph('src/index.ts');
    expect(files.size).toBeGreaterThan(20);
    expect([...files].filter((f) => f.includes(join('src', 'sources')))).toEqual([]);
    expect([...packages].filter((p) => p.startsWith('@duckdb') || p === 'pg')).toEqual([]);
  });

  it('groupsparse/sql itself loads the drivers only on demand (no static import of them)', () => {
    const { files, packages } = staticGraph('src/sources/index.ts');
    expect([...files].some((f) => f.endsWith('duckdb.ts'))).toBe(true);
    expect([...packages].filter((p) => p.startsWith('@duckdb') || p === 'pg')).toEqual([]);
  });
});
