/**
 * Stable, well-spread 32-bit hashes: FNV-1a over the text, then murmur3's finalizer. The same
 * key gives the same number on every machine and run; used where a draw must be a pure function of
 * its key (control groups, the sandbox's synthetic world).
 */

/** murmur3's 32-bit finalizer: spreads the bits of h. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 0 – 2³²−1 for the key. */
export function stableHash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** A stable number in [0, 1) for the key. */
export function stableUnit(key: string): number {
  return stableHash32(key) / 4_294_967_296;
}
