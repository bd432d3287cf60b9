/** Levenshtein distance with an early exit: candidates further than `max` edits are not wanted. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The candidates closest to a mistyped word (at most a third of its length in edits, at least 1;
 * a candidate that starts with the word counts as close): `--lamda` → `lambda`.
 */
export function closest(word: string, candidates: readonly string[]): string[] {
  const max = Math.max(1, Math.floor(word.length / 3));
  let best = max + 1;
  let out: string[] = [];
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 3 ? 1 : editDistance(word, c, max);
    if (d < best) {
      best = d;
      out = [c];
    } else if (d === best && d <= max) out.push(c);
  }
  return best <= max ? out : [];
}

/** " (did you mean --lambda?)" or "". */
export function didYouMean(word: string, candidates: readonly string[], prefix = ''): string {
  const c = closest(word, candidates);
  if (c.length === 0) return '';
  return `; did you mean ${c.slice(0, 3).map((x) => prefix + x).join(' or ')}?`;
}
