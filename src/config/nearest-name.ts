/**
 * "Did you mean": the known name closest to a mistyped one, when it is close enough to be the
 * likely intent. Distance is Damerau–Levenshtein (optimal string alignment: a swap of two
 * neighbouring letters, emial → email, costs 1), ignoring case.
 */
export function nearestName(wanted: string, known: Iterable<string>): string | undefined {
  const target = wanted.toLowerCase();
  // Short names leave little to go on: one edit for up to 4 letters, then one per 3 letters, at most 3.
  const allowed = Math.min(3, Math.max(1, Math.floor(target.length / 3)));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    if (name === wanted) continue;
    const distance = editDistance(target, name.toLowerCase(), allowed);
    if (distance <= allowed && (!best || distance < best.distance || (distance === best.distance && name < best.name))) {
      best = { name, distance };
    }
  }
  return best?.name;
}

/** Optimal string alignment distance; anything above `cap` is reported as cap + 1. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    rows.push(row);
  }
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let rowMin = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > cap) return cap + 1;
  }
  return rows[a.length]![b.length]!;
}
