/**
 * A bounded map of recent answers in two generations: new entries go into the young one; when it is
 * full it becomes the old one and the previous old one is dropped; an old entry that is asked for
 * again moves back to the young one. What is used keeps its place, like an LRU, and a hit is one Map
 * lookup with no bookkeeping: on a busy server the request path should touch as little as it can.
 */
export class RecentCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  /** At most `max` entries; 0 keeps nothing. */
  constructor(readonly max: number) {
    this.half = Math.ceil(max / 2);
  }

  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined || this.old.size === 0) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.set(key, aged);
    }
    return aged;
  }

  set(key: K, value: V): void {
    if (this.max === 0) return;
    if (this.young.size >= this.half && !this.young.has(key)) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}

export const DEFAULT_REGION_CACHE_SIZE = 10_000;
