/** Where a region came from, in order of precedence. */
export type RegionSource = "preview" | "network" | "header" | "geoip" | "none";

/** The reader's region as the rules see it. */
export interface Region {
  /** ISO 3166-1 alpha-2 country code, or null when unknown. */
  readonly country: string | null;
  /** ISO 3166-2 subdivision code such as `UA-43`, or null. */
  readonly subdivision: string | null;
  readonly source: RegionSource;
  /** Why the region is unknown, or how it was found when that is not obvious. */
  readonly reason?: string;
}

export const UNKNOWN_REGION: Region = Object.freeze({ country: null, subdivision: null, source: "none" });

export function unknownRegion(reason: string): Region {
  return { country: null, subdivision: null, source: "none", reason };
}
