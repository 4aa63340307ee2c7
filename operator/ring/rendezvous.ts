// Rendezvous (highest random weight) hashing: a key belongs to the member whose hash
// with it is highest. Adding or losing one of N members moves only the keys it wins or
// held, about 1/N of them, and every replica computes the same owner with no coordination.

/** FNV-1a over both strings, then murmur3's finalizer so similar inputs spread. */
function weight(member: string, key: string): number {
  let h = 0x811c9dc5;
  const s = `${member}\u0000${key}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The member `key` belongs to; undefined when there is none. Ties go to the smaller id. */
export function ownerOf(key: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const m of members) {
    const w = weight(m, key);
    if (w > bestWeight || (w === bestWeight && best !== undefined && m < best)) {
      best = m;
      bestWeight = w;
    }
  }
  return best;
}
