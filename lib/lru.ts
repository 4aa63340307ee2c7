// A bounded map that forgets: at most `max` entries (the least recently used goes first)
// and each for at most its time to live. Caches of security decisions use it, so a flood
// of distinct tokens or callers costs bounded memory and a revoked right is seen soon.
export interface LruOptions {
  max: number;
  now?: () => number;
}

export class Lru<K, V> {
  // A Map iterates in insertion order: re-inserting on each hit keeps the oldest first.
  private readonly entries = new Map<K, { value: V; until: number }>();
  private readonly now: () => number;

  constructor(private readonly opts: LruOptions) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.until <= this.now()) return undefined;
    this.entries.set(key, e);
    return e.value;
  }

  set(key: K, value: V, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, until: this.now() + ttlMs });
    while (this.entries.size > this.opts.max) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }
}
