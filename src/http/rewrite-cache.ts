/** A rewritten body kept for the next reader who gets the same page with the same actions. */
export interface CachedPage {
  readonly body: Buffer;
  readonly rewritten: boolean;
  readonly trackersNeutralized: number;
  readonly notes: readonly string[];
}

export interface RewriteCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
}

/**
 * Rewritten bodies, keyed by what decides the bytes: the app's body validator (its ETag, or a hash
 * of a body given whole), the content type and encoding, the rule set revision and the actions for
 * this reader. Bounded by bytes, least recently used first out. A key is stored only the second
 * time it is seen, so pages that differ on every request (and so have a new validator each time)
 * never push out the ones that repeat.
 */
export class RewriteCache {
  private readonly entries = new Map<string, CachedPage>();
  private readonly seen = new Set<string>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  readonly maxEntryBytes: number;

  constructor(readonly maxBytes: number) {
    this.maxEntryBytes = Math.floor(maxBytes / 4);
  }

  get(key: string): CachedPage | undefined {
    const page = this.entries.get(key);
    if (page === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, page);
    return page;
  }

  /** Whether the output for this key should be kept: true from its second sighting on. */
  admit(key: string): boolean {
    if (this.seen.has(key)) return true;
    if (this.seen.size >= 10_000) this.seen.clear();
    this.seen.add(key);
    return false;
  }

  set(key: string, page: CachedPage): void {
    const size = page.body.length + key.length;
    if (size > this.maxEntryBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.body.length + key.length;
    }
    this.entries.set(key, page);
    this.bytes += size;
    this.seen.delete(key);
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.body.length + k.length;
    }
  }

  stats(): RewriteCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
  }
}
