import { describe, expect, it } from 'vitest';
import {
  OptionError, ShapeError, ValueError, cvChart, groupNormChart, pathChart, phaseTransitionChart, efficiencyChart, sparsityChart,
} from '../src/index.ts';
import { chartBundle, displayChart, renderSvg, VEGA_LITE_MIME } from '../src/plot/index.ts';
import { logTicks } from '../src/plot/specs.ts';
import { countMarks, markGroups, texts } from './plot-helpers.ts';

const lambdas = Array.from({ length: 12 }, (_, k) => 10 ** (-2 * k / 11)); // 1 … 0.01, decreasing
const groupNames = ['age', 'race', 'smoke'];
// Group g enters once λ < 0.5^(g+1): a path shaped like a real one, zero at λ_max.
const groupNorms = lambdas.map((l) => groupNames.map((_, g) => Math.max(0, 0.5 ** (g + 1) - l)));

function axisTitles(svg: string): string[] {
  return texts(svg, 'mark-text role-axis-title');
}
function title(svg: string): string[] {
  return texts(svg, 'mark-text role-title-text');
}

describe('pathChart', () => {
  it('draws one line per group on a reversed log λ axis, with title, axis titles and legend', async () => {
    const spec = pathChart({ lambdas, groupNames, groupNorms, selectedLambda: 1 }, { selectedLabel: 'λ_1se' });
    const svg = await renderSvg(spec);
    expect(title(svg)).toEqual(['Regularization path']);
    expect(texts(svg, 'mark-text role-title-subtitle')).toEqual(['λ_1se = 1 (dashed line)']);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['λ (log scale, decreasing →)', 'group norm ‖w_g‖₂']));
    expect(countMarks(svg, 'mark-line role-mark')).toBe(groupNames.length);
    expect(texts(svg, 'mark-text role-legend-label')).toEqual(groupNames);
    // The rule at λ_max = 1 must sit at the left edge: the axis runs from λ_max down to small λ.
    const rule = markGroups(svg, 'mark-rule role-mark')[0];
    const x = Number(/translate\(([-\d.]+),/.exec(rule)![1]);
    expect(x).toBeLessThan(20);
    // Vertices sit where a reversed log map puts them: x = pad + (log λ_max − log λ)/(log λ_max − log λ_min)·(w − 2 pad).
    const line = markGroups(svg, 'mark-line role-mark')[0];
    const d = /d="([^"]+)"/.exec(line)![1];
    const xs = [...d.matchAll(/[ML]([-\d.]+),/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    const w = Number(spec.width);
    const pad = 8;
    const span = Math.log(lambdas[0] / lambdas[lambdas.length - 1]);
    const expected = lambdas.map((l) => pad + (Math.log(lambdas[0] / l) / span) * (w - 2 * pad)).sort((a, b) => a - b);
    expect(xs).toHaveLength(lambdas.length);
    xs.forEach((x, i) => expect(x).toBeCloseTo(expected[i], 1));
  });

  it('coefficient mode: one line per coefficient, coloured by group', async () => {
    const coefficients = lambdas.map((l) => [Math.max(0, 0.5 - l), -Math.max(0, 0.5 - l), Math.max(0, 0.1 - l), 0.2]);
    const spec = pathChart({ lambdas, groupNames: ['a', 'b', 'c'], coefficients, groupOf: [0, 0, 1, 2] });
    const svg = await renderSvg(spec);
    expect(countMarks(svg, 'mark-line role-mark')).toBe(4);
    expect(axisTitles(svg)).toContain('coefficient w_j');
    expect(texts(svg, 'mark-text role-legend-label')).toEqual(['a', 'b', 'c']);
  });

  it('refuses mismatched shapes, non-positive λ, both value kinds and unknown options', () => {
    expect(() => pathChart({ lambdas: [1, 0.5], groupNames, groupNorms })).toThrow(ShapeError);
    expect(() => pathChart({ lambdas: [1, 0], groupNames: ['a'], groupNorms: [[0], [1]] })).toThrow(ValueError);
    expect(() => pathChart({ lambdas: [1], groupNames: ['a'], groupNorms: [[NaN]] })).toThrow(ValueError);
    expect(() => pathChart({ lambdas: [1], groupNames: ['a'], groupNorms: [[0]], coefficients: [[0]], groupOf: [0] })).toThrow(ValueError);
    expect(() => pathChart({ lambdas: [1], groupNames: ['a'], coefficients: [[0]], groupOf: [1] })).toThrow(/not a group index/);
    expect(() => pathChart({ lambdas: [1], groupNames: ['a', 'a'], groupNorms: [[0, 0]] })).toThrow(/duplicate/);
    expect(() => pathChart({ lambdas: [1], groupNames: ['a'], groupNorms: [[0]] }, { widht: 3 } as never)).toThrow(OptionError);
  });

  it('is plain JSON that a user can edit before rendering', async () => {
    const spec = pathChart({ lambdas, groupNames, groupNorms });
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    await renderSvg(spec);
    expect(JSON.parse(JSON.stringify(spec))).toStrictEqual(spec); // rendering leaves no marks on it
    spec.width = 200;
    spec.title = 'My path';
    const svg = await renderSvg(spec);
    expect(title(svg)).toEqual(['My path']);
    const frame = /<path class="background" aria-hidden="true" d="M0.5,0.5h(\d+)v/.exec(svg);
    expect(Number(frame![1])).toBe(200);
  });
});

describe('logTicks', () => {
  it('uses powers of ten over wide ranges and 1-2-5 steps over narrow ones', () => {
    expect(logTicks(0.01, 1)).toEqual([0.01, 0.1, 1]);
    expect(logTicks(0.003, 1.5)).toEqual([0.01, 0.1, 1]);
    expect(logTicks(0.05, 0.6)).toEqual([0.05, 0.1, 0.2, 0.5]);
    expect(logTicks(0.3, 0.4)).toBeUndefined();
  });
});

describe('cvChart', () => {
  const meanLoss = lambdas.map((l) => 1 + (Math.log10(l) + 1) ** 2);
  const seLoss = lambdas.map(() => 0.1);
  const data = { lambdas, meanLoss, seLoss, lambdaMin: 0.1, lambda1se: 0.2, metric: 'mean squared error' };

  it('draws a point and an error bar per λ and the two λ rules', async () => {
    const svg = await renderSvg(cvChart(data));
    expect(title(svg)).toEqual(['Cross-validation']);
    // λ_min = 0.1 is off this grid; the nearest point, 10^(−10/11), has loss 1 + (1/11)² ≈ 1.008 and
    // SE 0.1: the 1-SE threshold is 1.108.
    expect(texts(svg, 'mark-text role-title-subtitle')).toEqual(['λ_min = 0.1, λ_1se = 0.2; dotted: min + 1 SE = 1.11']);
    // The curve spans less than 10×: a linear loss axis.
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['λ (log scale, decreasing →)', 'mean squared error (mean ± 1 SE)']));
    // A point per λ, and a diamond at each of λ_min and λ_1se.
    expect(countMarks(svg, 'mark-symbol role-mark')).toBe(lambdas.length + 2);
    const [bars, threshold, rules] = markGroups(svg, 'mark-rule role-mark');
    expect((bars.match(/<line /g) ?? []).length).toBe(lambdas.length);
    expect((threshold.match(/<line /g) ?? []).length).toBe(1);
    expect((rules.match(/<line /g) ?? []).length).toBe(2);
    expect(texts(svg, 'mark-text role-legend-label')).toEqual(['λ_min', 'λ_1se']);
    // Each error bar spans 2·SE: the same pixel length everywhere since SE is constant.
    const lengths = [...bars.matchAll(/y2="([-\d.]+)"/g)].map((m) => Math.abs(Number(m[1])));
    for (const len of lengths) expect(len).toBeCloseTo(lengths[0], 6);
  });

  it('refuses a negative SE and a missing loss name', () => {
    expect(() => cvChart({ ...data, seLoss: seLoss.map((s, i) => (i === 3 ? -1 : s)) })).toThrow(/seLoss must be ≥ 0/);
    expect(() => cvChart({ ...data, metric: '' })).toThrow(ValueError);
    expect(() => cvChart({ ...data, meanLoss: [1] })).toThrow(ShapeError);
  });
});

describe('groupNormChart', () => {
  it('draws one bar per group with length proportional to ‖w_g‖ (zero groups empty)', async () => {
    const svg = await renderSvg(groupNormChart({ groupNames: ['a', 'b', 'c'], groupNorms: [1, 0, 2], lambda: 0.05 }));
    expect(title(svg)).toEqual(['Group norms']);
    expect(texts(svg, 'mark-text role-title-subtitle')).toEqual(['λ = 0.05, 2 of 3 groups selected']);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['group', 'group norm ‖w_g‖₂']));
    expect(countMarks(svg, 'mark-rect role-mark')).toBe(3);
    const widths = [...markGroups(svg, 'mark-rect role-mark')[0].matchAll(/d="M[-\d.]+,[-\d.]+h([-\d.]+)v/g)].map((m) => Number(m[1]));
    expect(widths[1]).toBe(0);
    expect(widths[2] / widths[0]).toBeCloseTo(2, 6);
  });
});

describe('sparsityChart', () => {
  it('draws one cell per entry, exact zeros in the zero colour', async () => {
    const values = [[0, 1, 2], [0, 0, 3]];
    const svg = await renderSvg(sparsityChart({
      values, rowLabels: ['g1', 'g2'], colLabels: [1, 0.1, 0.01], rowTitle: 'group', colTitle: 'λ', valueTitle: '‖w_g‖₂',
    }));
    expect(title(svg)).toEqual(['Sparsity pattern']);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['group', 'λ']));
    const cells = markGroups(svg, 'mark-rect role-mark')[0];
    expect((cells.match(/<path /g) ?? []).length).toBe(6);
    expect((cells.match(/fill="#eeeeee"/g) ?? []).length).toBe(3);
    expect(texts(svg, 'mark-text role-axis-label')).toEqual(expect.arrayContaining(['g1', 'g2', '1', '0.1', '0.01']));
  });

  it('keeps cells with repeated labels apart and checks shapes', async () => {
    const svg = await renderSvg(sparsityChart({ values: [[1, 2]], rowLabels: ['f'], colLabels: ['c', 'c'] }));
    expect(countMarks(svg, 'mark-rect role-mark')).toBe(2);
    expect(() => sparsityChart({ values: [[1, 2]], rowLabels: ['f'], colLabels: ['c'] })).toThrow(ShapeError);
    expect(() => sparsityChart({ values: [[1, 2], [3]], rowLabels: ['f', 'g'], colLabels: ['a', 'b'] })).toThrow(ShapeError);
  });
});

describe('phaseTransitionChart', () => {
  it('draws one panel per method and one cell per row', async () => {
    const rows = [];
    for (const method of ['group lasso', 'lasso']) {
      for (const delta of [0.25, 0.5, 0.75]) for (const sparsityRatio of [0.2, 0.4]) rows.push({ delta, sparsityRatio, method, successRate: delta > sparsityRatio ? 1 : 0 });
    }
    const svg = await renderSvg(phaseTransitionChart(rows));
    // Column headers are title marks too: the chart title comes after them.
    expect(title(svg)).toEqual(['group lasso', 'lasso', 'Phase transition']);
    expect(countMarks(svg, 'mark-rect role-mark')).toBe(rows.length);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['δ = n/p', 'ρ = k/n']));
    expect(() => phaseTransitionChart([{ delta: 0.5, sparsityRatio: 0.1, method: 'm', successRate: 1.5 }])).toThrow(ValueError);
  });

  it('reads only its four fields, so rows from an experiment can carry more', async () => {
    const rows = [{ delta: 0.5, sparsityRatio: 0.1, method: 'group', successRate: 1, m: 32, k: 4, trials: 10 }];
    const spec = phaseTransitionChart(rows);
    expect((spec.data as { values: unknown[] }).values).toEqual([{ delta: 0.5, sparsityRatio: 0.1, method: 'group', successRate: 1 }]);
    expect(() => phaseTransitionChart([{ delta: 0.5, sparsityRatio: 0.1, successRate: 1 } as never])).toThrow(/method is missing/);
  });
});

describe('efficiencyChart', () => {
  // Wen et al. 2016, AlexNet conv1–conv3 on CPU (REPRODUCTIONS.md).
  const rows = [
    { layer: 'conv1', sparsity: 0.676, kind: 'unstructured', speedupEfficiency: 0.26 },
    { layer: 'conv1', sparsity: 0, kind: 'structured', speedupEfficiency: 1 },
    { layer: 'conv2', sparsity: 0.924, kind: 'unstructured', speedupEfficiency: 0.22 },
    { layer: 'conv2', sparsity: 0.209, kind: 'structured', speedupEfficiency: 1 },
  ];

  it('draws a bar and a sparsity label per row and the ρ = 1 rule', async () => {
    const svg = await renderSvg(efficiencyChart(rows));
    expect(title(svg)).toEqual(['Realized efficiency of sparsity']);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['layer', 'ρ (realized efficiency)']));
    expect(countMarks(svg, 'mark-rect role-mark')).toBe(4);
    expect(texts(svg, 'mark-text role-mark')).toEqual(expect.arrayContaining(['67.6%', '0%', '92.4%', '20.9%']));
    expect(countMarks(svg, 'mark-rule role-mark', 'line')).toBe(1);
    expect(texts(svg, 'mark-text role-legend-label')).toEqual(['unstructured', 'structured']);
  });

  it('splits a layer measured at several sparsities into one bar group per level', async () => {
    const svg = await renderSvg(efficiencyChart([
      { layer: 'fc', sparsity: 0.5, kind: 'CSR', speedupEfficiency: 0.47 },
      { layer: 'fc', sparsity: 0.9, kind: 'CSR', speedupEfficiency: 0.43 },
    ]));
    expect(texts(svg, 'mark-text role-axis-label')).toEqual(expect.arrayContaining(['fc @ 50%', 'fc @ 90%']));
    expect(() => efficiencyChart([{ layer: 'fc', sparsity: 50, kind: 'CSR', speedupEfficiency: 0.4 }])).toThrow(/fraction/);
  });
});

describe('chartBundle', () => {
  it('carries the Vega-Lite spec, an SVG rendering and a text line', async () => {
    const spec = groupNormChart({ groupNames: ['a'], groupNorms: [1] });
    const bundle = await chartBundle(spec);
    expect(bundle[VEGA_LITE_MIME]).toBe(spec);
    expect(String(bundle['image/svg+xml'])).toMatch(/^<svg[^>]*>.*Group norms.*<\/svg>$/s);
    expect(bundle['text/plain']).toBe('[chart: Group norms]');
  });

  it('displayChart hands the bundle to Deno.jupyter.display, and refuses outside a notebook', async () => {
    const spec = groupNormChart({ groupNames: ['a'], groupNorms: [1] });
    await expect(displayChart(spec)).rejects.toThrow(/displayBundle: no notebook/);
    const shown: [Record<string, unknown>, unknown][] = [];
    const g = globalThis as { Deno?: unknown };
    g.Deno = { jupyter: { display: async (b: Record<string, unknown>, o: unknown) => void shown.push([b, o]) } };
    try {
      expect(await displayChart(spec)).toBeUndefined();
    } finally {
      delete g.Deno;
    }
    expect(shown).toHaveLength(1);
    expect(shown[0][1]).toEqual({ raw: true });
    expect(shown[0][0][VEGA_LITE_MIME]).toBe(spec);
    expect(String(shown[0][0]['image/svg+xml'])).toContain('Group norms');
  });

  it('reports a spec Vega-Lite cannot compile', async () => {
    await expect(renderSvg({ mark: 'nonsense-mark' })).rejects.toThrow(/renderSvg/);
  });
});
