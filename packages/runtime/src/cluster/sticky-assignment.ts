/**
 * How the group leader shares the log partitions among the workers: balanced
 * (every worker gets ⌊P/n⌋ or ⌈P/n⌉) and sticky (a worker keeps the
 * partitions it already runs, up to its share). Each worker reports the
 * partitions it runs in its JoinGroup metadata (member-report.ts), so a rebalance moves only the
 * partitions that must move: a dead worker's, or the few a new worker takes.
 * A move costs a fence and a restore; a round-robin assignment reshuffled
 * partitions between workers that both stayed.
 */

/** Partitions 0..partitions-1 shared among the members; each member's list is sorted. */
export function stickyAssignment(members: ReadonlyMap<string, readonly number[]>, partitions: number): Map<string, number[]> {
  const ids = [...members.keys()].sort();
  const out = new Map<string, number[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const base = Math.floor(partitions / ids.length);
  let extra = partitions % ids.length;
  // The members that run the most get the larger shares, so fewer partitions move.
  const byOwned = [...ids].sort((a, b) => members.get(b)!.length - members.get(a)!.length || (a < b ? -1 : 1));
  const share = new Map<string, number>();
  for (const id of byOwned) {
    share.set(id, base + (extra > 0 ? 1 : 0));
    if (extra > 0) extra--;
  }
  const taken = new Set<number>();
  for (const id of byOwned) {
    const kept = out.get(id)!;
    for (const p of [...members.get(id)!].sort((a, b) => a - b)) {
      if (kept.length >= share.get(id)!) break;
      if (p < 0 || p >= partitions || taken.has(p)) continue;
      taken.add(p);
      kept.push(p);
    }
  }
  let member = 0;
  for (let p = 0; p < partitions; p++) {
    if (taken.has(p)) continue;
    while (out.get(byOwned[member]!)!.length >= share.get(byOwned[member]!)!) member++;
    out.get(byOwned[member]!)!.push(p);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}
