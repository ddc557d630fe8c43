import type { IncomingMessage } from "node:http";
import type * as Cookie from "cookie";
import { requireCjs } from "../require-cjs.js";
import { ipv4Range, ipv6Range } from "./address-range.js";
import { ipv4ToInt, ipv6Groups } from "./ip-address.js";
import { DEFAULT_REGION_CACHE_SIZE, RecentCache } from "./cache.js";
import { readRegionHeaders, type HeaderSource } from "./cdn-headers.js";
import { clientAddress, normalizeAddress, type ClientAddress, type TrustFunction } from "./client-address.js";
import type { GeoIpDatabase, GeoIpHit } from "./geoip.js";
import { NetworkTable } from "./networks.js";
import { previewFrameCookie, verifyPreviewToken } from "./preview-token.js";
import { unknownRegion, type Region } from "./types.js";

const { parse: parseCookie } = requireCjs("cookie") as typeof Cookie;

/** Hits are shared per database record, so the region each one stands for is built once. */
const REGION_OF_HIT = new WeakMap<GeoIpHit, Region>();

export interface ResolvedRegion {
  readonly region: Region;
  /** The address the region was looked up for; kept out of logs unless an operator asks. */
  readonly address: string | null;
}

/** Signed previews; absent when no secret is configured, and then tokens are not even read. */
export interface PreviewSettings {
  readonly secret: string;
  /** Cookie name. */
  readonly cookie: string;
  /** Header name, lower case. */
  readonly header: string;
}

export interface RegionResolverOptions {
  readonly trust: TrustFunction;
  /**
   * Whether `trust` answers the same for the same address and hop every time (a compiled list or
   * hop count): then the client address found for a peer and an X-Forwarded-For value is remembered.
   */
  readonly trustIsStable?: boolean;
  /** The database in force; called per lookup, so a swapped database is used from the next lookup on. */
  readonly database: () => GeoIpDatabase;
  readonly headers?: readonly HeaderSource[];
  readonly networks?: NetworkTable;
  readonly preview?: PreviewSettings | null;
  readonly clock?: () => Date;
  /** Entries in the per-address cache; 0 for none. */
  readonly cacheSize?: number;
  /** A database lookup threw (a file damaged past what opening it checks); the reader's region is then unknown. */
  readonly onLookupError?: (error: Error, database: GeoIpDatabase) => void;
}

const LOOKUP_FAILED = "GeoIP lookup failed";

interface RememberedClient {
  readonly client: ClientAddress;
  /** The region of the client address; null when there is none or the lookup failed. */
  readonly found: Region | null;
  /** The whole answer, when no CDN header can change it. */
  readonly answer: ResolvedRegion | null;
}

/** Longer X-Forwarded-For values are worked out every time rather than remembered. */
const MAX_REMEMBERED_FORWARDED_FOR = 256;

function withNotes(region: Region, notes: readonly string[]): Region {
  if (notes.length === 0) return region;
  return { ...region, reason: region.reason ? `${region.reason}; ${notes.join("; ")}` : notes.join("; ") };
}

/**
 * Finds the reader's region. Precedence, first that answers wins:
 * 1. `preview`: a valid signed preview token (cookie or header);
 * 2. `network`: the client address is in a configured network override;
 * 3. `header`: a CDN/platform header, believed only when the immediate peer is a trusted proxy;
 * 4. `geoip`: the client address in the GeoIP database;
 * 5. `none`: no region, with the reason (loopback, private, not in the database, Tor, …).
 * Input that cannot be used (a bad token, a malformed header or X-Forwarded-For) is skipped with its
 * reason recorded on the result; resolution never throws.
 */
export class RegionResolver {
  private readonly trust: TrustFunction;
  private readonly database: () => GeoIpDatabase;
  private readonly headers: readonly HeaderSource[];
  private readonly networks: NetworkTable;
  private readonly preview: PreviewSettings | null;
  private readonly clock: () => Date;
  /** Regions by client address. */
  private readonly cache: RecentCache<string, Region>;
  /**
   * What a peer and an X-Forwarded-For value come to: the client address, its region, and the
   * whole answer when no CDN header can change it. Parsing and trusting each hop is most of a
   * cached lookup, so this is asked first.
   */
  private readonly clients: RecentCache<string, RememberedClient> | null;
  private readonly onLookupError: (error: Error, database: GeoIpDatabase) => void;
  /** The database the cache was filled from; a different one empties it. */
  private cachedFor: GeoIpDatabase | null = null;

  constructor(options: RegionResolverOptions) {
    this.trust = options.trust;
    this.database = options.database;
    this.headers = options.headers ?? [];
    this.networks = options.networks ?? NetworkTable.EMPTY;
    this.preview = options.preview ?? null;
    this.clock = options.clock ?? (() => new Date());
    const size = options.cacheSize ?? DEFAULT_REGION_CACHE_SIZE;
    this.cache = new RecentCache(size);
    this.clients = options.trustIsStable && size > 0 ? new RecentCache(size) : null;
    this.onLookupError = options.onLookupError ?? (() => {});
  }

  resolve(req: IncomingMessage): ResolvedRegion {
    const notes: string[] = [];
    if (this.preview) {
      const preview = this.readPreview(req, notes);
      if (preview) return { region: withNotes(preview, notes), address: null };
    }
    const remembered = this.remembered(req);
    // A preview token that was refused leaves a note, which the remembered answer does not carry.
    if (remembered?.answer && notes.length === 0) return remembered.answer;
    const client = remembered?.client ?? clientAddress(req, this.trust);
    if (client.reason) notes.push(client.reason);
    if (!client.address) return { region: withNotes(unknownRegion("no client address"), notes), address: null };
    const found = remembered?.found ?? this.lookup(client.address);
    if (!this.headersMayApply(client, found)) return { region: withNotes(found, notes), address: client.address };
    const reading = readRegionHeaders(req.headers, this.headers);
    if (reading === null) return { region: withNotes(found, notes), address: client.address };
    if (reading.kind === "stop") return { region: withNotes(unknownRegion(reading.reason), notes), address: client.address };
    if (reading.kind === "pass") {
      notes.push(reading.reason);
      return { region: withNotes(found, notes), address: client.address };
    }
    if (reading.reason) notes.push(reading.reason);
    let subdivision = reading.subdivision;
    // Many CDNs send only the country; where the database agrees on it, its subdivision completes the answer.
    if (subdivision === null && found.source === "geoip" && found.country === reading.country && found.subdivision !== null) {
      subdivision = found.subdivision;
      notes.push("subdivision from the GeoIP database");
    }
    return { region: withNotes({ country: reading.country, subdivision, source: "header", reason: `${reading.header} headers` }, notes), address: client.address };
  }

  /** Whether a CDN header can change the region found for this client: only a trusted peer's, and never a network override. */
  private headersMayApply(client: ClientAddress, found: Region): boolean {
    return found.source !== "network" && client.peerTrusted && this.headers.length > 0;
  }

  /**
   * What is remembered for this peer and X-Forwarded-For, worked out now if it was not; null when
   * the trust setting or the header does not allow remembering.
   */
  private remembered(req: IncomingMessage): RememberedClient | null {
    const clients = this.clients;
    const peer = req.socket.remoteAddress;
    const forwarded = req.headers["x-forwarded-for"];
    if (clients === null || peer === undefined || (forwarded !== undefined && forwarded.length > MAX_REMEMBERED_FORWARDED_FOR)) return null;
    this.current(); // empties both caches when the database changed
    // A peer address never holds "|", so the key tells "no header" from an empty one.
    const key = forwarded === undefined ? peer : `${peer}|${forwarded}`;
    let entry = clients.get(key);
    if (entry === undefined) {
      const client = Object.freeze(clientAddress(req, this.trust));
      const found = client.address ? this.lookup(client.address) : null;
      // A lookup that failed is not cached, so neither is what depends on it.
      if (found?.reason === LOOKUP_FAILED) return { client, found: null, answer: null };
      const notes = client.reason ? [client.reason] : [];
      let answer: ResolvedRegion | null = null;
      if (!client.address) answer = { region: withNotes(unknownRegion("no client address"), notes), address: null };
      else if (found && !this.headersMayApply(client, found)) answer = { region: withNotes(found, notes), address: client.address };
      // Shared by every request with the same key, so frozen.
      entry = Object.freeze({ client, found, answer: answer && Object.freeze(answer) });
      clients.set(key, entry);
    }
    return entry;
  }

  private readPreview(req: IncomingMessage, notes: string[]): Region | null {
    const preview = this.preview!;
    const candidates: Array<[string, string]> = [];
    const header = req.headers[preview.header];
    if (typeof header === "string" && header.length > 0) candidates.push(["header", header.trim()]);
    const cookieHeader = req.headers.cookie;
    if (cookieHeader && cookieHeader.includes(preview.cookie)) {
      const cookies = parseCookie(cookieHeader);
      const value = cookies[preview.cookie];
      if (value) candidates.push(["cookie", value]);
      // The reader preview's frame cookie places the framed page only; the reviewer's other tabs are theirs.
      const framed = cookies[previewFrameCookie(preview.cookie)];
      const dest = req.headers["sec-fetch-dest"];
      if (framed && (dest === "iframe" || dest === "frame")) candidates.push(["preview frame cookie", framed]);
    }
    if (candidates.length === 0) return null;
    const now = this.clock();
    for (const [carrier, token] of candidates) {
      const result = verifyPreviewToken(preview.secret, token, now);
      if (result.ok) {
        return { country: result.country, subdivision: result.subdivision, source: "preview", reason: `preview token (${carrier}) valid until ${result.expiresAt.toISOString()}` };
      }
      notes.push(`${result.reason} (${carrier}); ignored`);
    }
    return null;
  }

  /**
   * The region for a client address alone: a network override, else the GeoIP database. Cached per
   * address; the cache is emptied when the database changes, and nothing else can change the answer.
   */
  lookup(address: string): Region {
    const database = this.current();
    const cached = this.cache.get(address);
    if (cached) return cached;
    const region = this.lookupUncached(address, database);
    if (!region) return unknownRegion(LOOKUP_FAILED);
    // Shared by every request from this address: frozen, so no request can change another's region.
    Object.freeze(region);
    this.cache.set(address, region);
    return region;
  }

  /** The database in force; a different one than last time empties the caches filled from it. */
  private current(): GeoIpDatabase {
    const database = this.database();
    if (database !== this.cachedFor) {
      this.cache.clear();
      this.clients?.clear();
      this.cachedFor = database;
    }
    return database;
  }

  /** Null only when the database failed; such an answer is not cached. */
  private lookupUncached(raw: string, database: GeoIpDatabase): Region | null {
    const address = normalizeAddress(raw);
    const v4 = ipv4ToInt(address);
    let range: string;
    if (v4 !== null) {
      const override = this.networks.matchV4(v4);
      if (override) return override;
      range = ipv4Range(v4);
    } else {
      const groups = ipv6Groups(address);
      if (!groups) return unknownRegion("not an IP address");
      const override = this.networks.matchV6(groups);
      if (override) return override;
      range = ipv6Range(groups);
    }
    // Special-purpose addresses (private, loopback, documentation, anycast, …) place no reader.
    if (range !== "unicast") return unknownRegion(`${range} address`);
    if (database.ipVersion === 4 && v4 === null) return unknownRegion("IPv6 address; the GeoIP database covers IPv4 only");
    let hit: GeoIpHit | null;
    try {
      hit = database.lookup(address);
    } catch (error) {
      try {
        this.onLookupError(error instanceof Error ? error : new Error(String(error)), database);
      } catch {
        // reporting must not turn a failed lookup into a failed request
      }
      return null;
    }
    if (!hit) return unknownRegion("address not in the GeoIP database");
    let region = REGION_OF_HIT.get(hit);
    if (!region) {
      region = hit.country
        ? Object.freeze({ country: hit.country, subdivision: hit.subdivision, source: "geoip" as const, ...(hit.note ? { reason: hit.note } : {}) })
        : unknownRegion(hit.note ?? "the database record has no country");
      REGION_OF_HIT.set(hit, region);
    }
    return region;
  }
}
