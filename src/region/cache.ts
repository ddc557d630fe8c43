import { LRUCache } from "lru-cache";
import type { Region } from "./types.js";

/** Regions by client address. Bounded, so a flood of distinct addresses costs evictions, not memory. */
export interface RegionCache {
  get(address: string): Region | undefined;
  set(address: string, region: Region): void;
  clear(): void;
  readonly size: number;
}

export const DEFAULT_REGION_CACHE_SIZE = 10_000;

const OFF: RegionCache = Object.freeze({
  get: () => undefined,
  set: () => {},
  clear: () => {},
  size: 0,
});

/** An LRU of `max` entries; 0 turns caching off (every lookup goes to the database). */
export function createRegionCache(max: number): RegionCache {
  if (max === 0) return OFF;
  const lru = new LRUCache<string, Region>({ max });
  return {
    get: (address) => lru.get(address),
    set: (address, region) => void lru.set(address, region),
    clear: () => lru.clear(),
    get size() {
      return lru.size;
    },
  };
}
