import { describe, expect, it } from 'vitest';
import {
  categoricalColors, cvChart, cvGroupLasso, DenseMatrix, fitGroupLasso, GroupLasso, groupLassoPath, groupNormChart, pathChart,
  Random, ValueError,
} from '../src/index.ts';
import { renderSvg } from '../src/plot/index.ts';

type Row = Record<string, number | string>;
const rowsOf = (spec: Record<string, unknown>): Row[] => (spec.data as { values: Row[] }).values;

/** y depends on a column in metres and on one in micrometres (coefficients 1e6 apart on the original scale). */
function unitsProblem() {
  const r = new Random(3);
  const n = 120;
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = r.normal();
    const b = r.normal();
    const c = r.normal();
    rows.push([a, b * 1e-6, c, r.normal()]);
    y.push(1.0 * a + 0.8 * b + 0.1 * r.normal());
  }
  return { X: rows, y, groups: ['metres', 'micrometres', 'noise1', 'noise2'] };
}

describe('charts take the library results as they are', () => {
  const { X, y, groups } = unitsProblem();
  const m = new GroupLasso({ groups, featureNames: groups, cv: { nFolds: 5, seed: 2 }, nLambda: 30 }).fit(X, y);

  it('pathChart(groupLassoPath(...)) draws the path norms', () => {
    const path = groupLassoPath(X, y, { groups, nLambda: 15 });
    const rows = rowsOf(pathChart(path));
    expect(rows).toHaveLength(15 * 4);
    for (let k = 0; k < 15; k++) {
      for (let g = 0; g < 4; g++) {
        const row = rows.find((r) => r.lambda === path.lambdas[k] && r.group === path.groupNames[g])!;
        expect(row.value).toBe(path.groupNorms[k][g]);
      }
    }
  });

  it('pathChart(model) draws the standardized scale by default: norms of w_j·sd_j, the CV λ marked', () => {
    const spec = pathChart(m);
    const n = X.length;
    const sd = [0, 1, 2, 3].map((j) => {
      const mean = X.reduce((s, r) => s + r[j], 0) / n;
      return Math.sqrt(X.reduce((s, r) => s + (r[j] - mean) ** 2, 0) / n);
    });
    const path = m.path!;
    const rows = rowsOf(spec);
    for (let k = 0; k < path.lambdas.length; k += 7) {
      for (let g = 0; g < 4; g++) {
        // Independent: the original-scale coefficient times its column's population sd.
        const expected = Math.abs(path.coefs[k][g] * sd[g]);
        const row = rows.find((r) => r.lambda === path.lambdas[k] && r.group === groups[g])!;
        expect(row.value as number).toBeCloseTo(expected, 8);
      }
    }
    // On that scale both real groups are visible; on the original one micrometres is ~1e6 times larger.
    const last = path.lambdas.length - 1;
    const atEnd = (r: Row[], g: string) => r.find((x) => x.lambda === path.lambdas[last] && x.group === g)!.value as number;
    expect(atEnd(rows, 'micrometres') / atEnd(rows, 'metres')).toBeGreaterThan(0.3);
    expect(atEnd(rows, 'micrometres') / atEnd(rows, 'metres')).toBeLessThan(3);
    const orig = rowsOf(pathChart(m, { scale: 'original' }));
    expect(atEnd(orig, 'micrometres') / atEnd(orig, 'metres')).toBeGreaterThan(1e5);
    const layers = spec.layer as { data?: { values: { lambda: number }[] } }[];
    expect(layers[1].data!.values[0].lambda).toBe(m.lambda);
    expect(JSON.stringify(spec.title)).toMatch(/standardized columns/);
  });

  it('cvChart(cv) and cvChart(model): log loss axis when the curve spans > 10×, λ_min and λ_1se marked with the 1-SE line', () => {
    const cv = m.cv!;
    for (const spec of [cvChart(cv), cvChart(m)]) {
      const layers = spec.layer as { data?: { values: Record<string, number | string>[] }; encoding: Record<string, { scale?: { type?: string } }> }[];
      const lo = Math.min(...Array.from(cv.meanLoss, (v, i) => v - cv.seLoss[i]));
      const hi = Math.max(...Array.from(cv.meanLoss, (v, i) => v + cv.seLoss[i]));
      expect(hi / lo).toBeGreaterThan(10); // this problem's curve does span that much
      expect(layers[0].encoding.y.scale!.type).toBe('log');
      expect(layers[2].data!.values[0].threshold).toBe(cv.meanLoss[cv.indexMin] + cv.seLoss[cv.indexMin]);
      const marks = layers[4].data!.values;
      expect(marks).toEqual([
        { lambda: cv.lambdaMin, mean: cv.meanLoss[cv.indexMin], which: 'λ_min' },
        { lambda: cv.lambda1se, mean: cv.meanLoss[cv.index1se], which: 'λ_1se' },
      ]);
    }
    const linear = cvChart(cv, { yScale: 'linear' }).layer as { encoding: { y: { scale: Record<string, unknown> } } }[];
    expect(linear[0].encoding.y.scale).toEqual({ zero: false });
    const cv2 = cvGroupLasso(X, y, { groups, nFolds: 4, seed: 1, nLambda: 10 });
    expect(rowsOf(cvChart(cv2))).toHaveLength(10);
  });

  it('groupNormChart(fit) and groupNormChart(model)', () => {
    const f = fitGroupLasso(X, y, { groups, lambda: 0.05 });
    const rows = rowsOf(groupNormChart(f));
    expect(rows.map((r) => r.norm)).toEqual(Array.from(f.groupNorms));
    const k = m.standardizedPath!.lambdas.indexOf(m.lambda);
    expect(rowsOf(groupNormChart(m)).map((r) => r.norm)).toEqual(Array.from(m.standardizedPath!.groupNorms[k]));
    const sel = m.selectedGroups();
    const orig = rowsOf(groupNormChart(m, { scale: 'original' }));
    for (const g of sel) expect(orig.find((r) => r.group === g.name)!.norm as number).toBeCloseTo(g.norm, 12);
  });

  it('refuses what it cannot draw, naming the function', () => {
    expect(() => pathChart(new GroupLasso({ groups }))).toThrow(/pathChart: the model is not fitted/);
    const fixed = new GroupLasso({ groups, lambda: 0.1 }).fit(X, y);
    expect(() => cvChart(fixed)).toThrow(/cvChart: the model chose λ without cross-validation/);
    expect(() => pathChart(groupLassoPath(X, y, { groups, nLambda: 5 }), { scale: 'standardized' })).toThrow(ValueError);
    expect(() => pathChart(m, { scale: 'raw' as never })).toThrow(/scale must be/);
  });
});

/** CIE L*a*b* (D65) of an sRGB hex colour — written here independently of the chart code. */
function lab(hex: string): [number, number, number] {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  const xyz = [
    (0.4124564 * c[0] + 0.3575761 * c[1] + 0.1804375 * c[2]) / 0.95047,
    0.2126729 * c[0] + 0.7151522 * c[1] + 0.072175 * c[2],
    (0.0193339 * c[0] + 0.119192 * c[1] + 0.9503041 * c[2]) / 1.08883,
  ].map((t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116));
  return [116 * xyz[1] - 16, 500 * (xyz[0] - xyz[1]), 200 * (xyz[1] - xyz[2])];
}

function minDeltaE(colors: string[]): number {
  let best = Infinity;
  for (let i = 0; i < colors.length; i++) {
    for (let j = i + 1; j < colors.length; j++) {
      const a = lab(colors[i]);
      const b = lab(colors[j]);
      best = Math.min(best, Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
    }
  }
  return best;
}

describe('categorical palette', () => {
  const tableau20 = ['#4c78a8', '#9ecae9', '#f58518', '#ffbf79', '#54a24b', '#88d27a', '#b79a20', '#f2cf5b', '#439894', '#83bcb6',
    '#e45756', '#ff9d98', '#79706e', '#bab0ac', '#d67195', '#fcbfd2', '#b279a2', '#d6a5c9', '#9e765f', '#d8b5a5'];

  it('keeps 11 to 30 groups apart (CIE76 ΔE), further than Tableau 20 does', () => {
    for (const n of [11, 16, 20, 24, 30]) {
      const c = categoricalColors(n);
      expect(new Set(c).size).toBe(n);
      expect(minDeltaE(c), `n = ${n}`).toBeGreaterThan(12);
    }
    expect(minDeltaE(categoricalColors(20))).toBeGreaterThan(minDeltaE(tableau20));
  });

  it('colours a 24-group path with 24 different colours in the rendered SVG', async () => {
    const names = Array.from({ length: 24 }, (_, g) => `g${g}`);
    const lambdas = [1, 0.5, 0.25];
    const spec = pathChart({ lambdas, groupNames: names, groupNorms: lambdas.map((l) => names.map((_, g) => (g + 1) * (1 - l))) });
    const svg = await renderSvg(spec);
    const strokes = new Set([...svg.matchAll(/<path[^>]*stroke="(#[0-9a-f]{6})"[^>]*stroke-width="2"/g)].map((x) => x[1]));
    expect(strokes.size).toBe(24);
  });
});
