/** A number for people: fixed with `d` decimals in a readable range, else exponent form. */
export const fmt = (x: number, d = 4): string => (x === 0 ? '0' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5 ? x.toFixed(d) : x.toExponential(3));

export function certificateLine(c: {
  objective: number; dualityGap: number; relativeGap: number; kktViolation: number; converged: boolean; status?: string; gapFloor?: number;
}): string {
  // A nonconvex penalty has no duality gap (NaN): its certificate is stationarity alone.
  const gap = Number.isNaN(c.dualityGap)
    ? 'no duality gap (nonconvex penalty: certified by stationarity)'
    : `duality gap ${c.dualityGap.toExponential(2)} (relative ${c.relativeGap.toExponential(2)})`;
  // 'at rounding level': converged, but the tolerance asked for is below what float64 resolves.
  const floor = c.status === 'at rounding level' && c.gapFloor !== undefined
    ? ` (at rounding level: the gap cannot be resolved below ${c.gapFloor.toExponential(2)} on this data)` : '';
  return `objective ${c.objective.toPrecision(10)}, ${gap}, ` +
    `KKT violation ${c.kktViolation.toExponential(2)}, converged: ${c.converged ? 'yes' : 'NO'}${floor}`;
}

/** Option names in the library's warnings, as the flags that set them. */
const FLAG_WORDS: [RegExp, string][] = [
  [/\blambdaMinRatio\b/g, '--lambda-min-ratio'], [/\bmaxIter\b/g, '--max-iter'], [/\bmaxTime\b/g, '--max-time'], [/\bloosen tol\b/g, 'loosen --tol'],
];

/** The warnings of a fit, one per line under a heading (nothing when there are none). */
export function diagnosticLines(diagnostics: readonly string[]): string[] {
  if (diagnostics.length === 0) return [];
  return ['', 'warnings:', ...diagnostics.map((d) => `  - ${FLAG_WORDS.reduce((t, [re, flag]) => t.replace(re, flag), d)}`)];
}

/**
 * A list for a terminal: items joined by ', ' and wrapped at `width` columns under an indent; past
 * `maxItems` the rest is counted, not printed (a wide file has thousands of dropped columns).
 */
export function foldList(items: readonly string[], options: { indent?: string; width?: number; maxItems?: number; first?: number } = {}): string {
  const indent = options.indent ?? '  ';
  const width = options.width ?? 100;
  const maxItems = options.maxItems ?? 40;
  if (items.length === 0) return '(none)';
  const shown = items.length > maxItems ? items.slice(0, maxItems) : items;
  const parts = shown.map((s, i) => (i < shown.length - 1 || items.length > shown.length ? `${s},` : s));
  if (items.length > shown.length) parts.push(`… and ${items.length - shown.length} more`);
  const lines: string[] = [];
  let line = '';
  let limit = width - (options.first ?? 0);
  for (const p of parts) {
    if (line !== '' && line.length + 1 + p.length > limit) {
      lines.push(line);
      line = indent + p;
      limit = width;
    } else line = line === '' ? (lines.length ? indent : '') + p : `${line} ${p}`;
  }
  lines.push(line);
  return lines.join('\n');
}
