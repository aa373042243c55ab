// Splits a body the way a proxy might deliver it: the chunkings the capture tests drive bodies with.

/** Splits a body at the given cut points (taken modulo its length + 1). */
export function splitAt(b: Buffer, points: number[]): Buffer[] {
  if (b.length === 0) return [];
  const at = [...new Set(points.map((p) => p % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...at, b.length]) {
    if (p > prev) out.push(b.subarray(prev, p));
    prev = p;
  }
  return out;
}
