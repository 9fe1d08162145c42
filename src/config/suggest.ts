/** "Did you mean" suggestions for near-miss keys, enum values and model names. */

/** Edit distance counting insertions, deletions, substitutions and swaps of neighbours; case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const cell = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= x.length; i++) {
    const row = d[i] ?? [];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(cell(i - 1, j) + 1, cell(i, j - 1) + 1, cell(i - 1, j - 1) + cost);
      // `nmae` for `name` is one slip of the fingers, not two.
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        best = Math.min(best, cell(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return cell(x.length, y.length);
}

/** The closest candidate if it is near enough to be a likely typo (about one edit in three letters). */
export function suggest(word: string, candidates: readonly unknown[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (typeof c !== 'string') continue;
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  const limit = Math.floor(Math.max(word.length, best?.length ?? 0) / 3);
  if (best !== undefined && bestDistance <= limit) return best;
  // A shortened or lengthened name (`baud` for `baudRate`) is a likely mistake too.
  const w = word.toLowerCase();
  if (w.length < 3) return undefined;
  return candidates.find(
    (c): c is string =>
      typeof c === 'string' && (c.toLowerCase().startsWith(w) || w.startsWith(c.toLowerCase())),
  );
}
