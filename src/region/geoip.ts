import { readdirSync, readFileSync, statSync } from "node:fs";
import { isIPv6 } from "node:net";
import { LRUCache } from "lru-cache";
import { join } from "node:path";
import type * as Maxmind from "maxmind";
import type { Reader, Response } from "maxmind";
import { requireCjs } from "../require-cjs.js";
import { subdivisionCodeByName } from "./subdivision-names.js";

const maxmind = requireCjs("maxmind") as typeof Maxmind;

/** How the records of a database are laid out, chosen from its metadata. */
export type RecordShape = "geoip2" | "flat";

export interface GeoIpHit {
  /** Where the database places the reader (`country`), or null when it only knows where the network is registered. */
  readonly country: string | null;
  readonly subdivision: string | null;
  /** Set when the record says something a reader of the log should know: see `explainRecord`. */
  readonly note?: string;
}

export class GeoIpError extends Error {
  constructor(readonly file: string, message: string) {
    super(`GeoIP database ${file}: ${message}`);
    this.name = "GeoIpError";
  }
}

/** The embedded default: a CC0 country database shipped through the npm registry (no key, no download). */
export function defaultDatabasePath(): string {
  return requireCjs.resolve("@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb");
}

/**
 * MaxMind's GeoIP2/GeoLite2 City, Country and Enterprise databases (and the regional City editions),
 * DB-IP's compatible ones, and the flat `country_code` databases of ip-location-db. ASN, ISP,
 * Anonymous-IP and the like hold no location and are refused.
 */
export function shapeOf(databaseType: string): RecordShape | null {
  if (/^(GeoIP2|GeoLite2)-(City|Country|Enterprise)(\b|-|$)/i.test(databaseType)) return "geoip2";
  if (/^DBIP-(City|Country|Location)/i.test(databaseType)) return "geoip2";
  if (/^(country|city)\b/i.test(databaseType)) return "flat";
  return null;
}

/** Whether a database of this type places readers in subdivisions (City editions), or in countries only. */
export function givesSubdivisions(databaseType: string): boolean {
  return /^((GeoIP2|GeoLite2)-(City|Enterprise)|DBIP-(City|Location)|city)\b/i.test(databaseType);
}

interface IsoPart {
  iso_code?: unknown;
}
interface GeoIp2Record {
  country?: IsoPart;
  registered_country?: IsoPart;
  represented_country?: IsoPart & { type?: unknown };
  subdivisions?: IsoPart[];
}
interface FlatRecord {
  country_code?: unknown;
  /** ip-location-db's city databases: the largest subdivision's English name, no code. */
  state1?: unknown;
}

const COUNTRY_CODE = /^[A-Za-z]{2}$/;
const SUBDIVISION_CODE = /^[A-Za-z0-9]{1,3}$/;

/** A code as the database wrote it: absent (null), of the expected form, or malformed (shown briefly, never at length). */
type Code = { readonly code: string } | { readonly malformed: string } | null;

function readCode(value: unknown, form: RegExp): Code {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value === "string" && form.test(value)) return { code: value.toUpperCase() };
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return { malformed: JSON.stringify(text.length > 16 ? `${text.slice(0, 16)}…` : text) };
}

const iso = (part: IsoPart | undefined): string | null => {
  const c = readCode(part?.iso_code, COUNTRY_CODE);
  return c && "code" in c ? c.code : null;
};

/**
 * What a GeoIP2 record means for a rule. A rule follows where the reader is (`country`, and the
 * largest subdivision): a reader on a US base in Germany is in DE (`represented_country` US is
 * noted, not applied), and a roaming phone on a network registered in RU but used in DE is in DE
 * (`registered_country` is where the block was registered, not where the reader is). A record with
 * no `country` places the reader nowhere: the region is unknown and the note names the registration.
 */
export function explainRecord(record: GeoIp2Record): GeoIpHit {
  // A damaged or hostile file may hold anything: only ISO-shaped codes place a reader.
  const found = readCode(record.country?.iso_code, COUNTRY_CODE);
  if (found && "malformed" in found) return { country: null, subdivision: null, note: `the database record's country code ${found.malformed} is not an ISO 3166-1 code` };
  const country = found?.code ?? null;
  const represented = iso(record.represented_country);
  if (!country) {
    const registered = iso(record.registered_country);
    return { country: null, subdivision: null, note: registered ? `the database places this address in no country (its network is registered in ${registered})` : "the database record has no country" };
  }
  const sub = readCode((Array.isArray(record.subdivisions) ? record.subdivisions[0] : undefined)?.iso_code, SUBDIVISION_CODE);
  const subdivision = sub && "code" in sub ? `${country}-${sub.code}` : null;
  if (sub && "malformed" in sub) return { country, subdivision: null, note: `the database record's subdivision code ${sub.malformed} is not an ISO 3166-2 code; ignored` };
  if (represented && represented !== country) {
    const type = typeof record.represented_country?.type === "string" ? ` (${record.represented_country.type})` : "";
    return { country, subdivision, note: `represented_country ${represented}${type} not applied: rules follow where the reader is` };
  }
  return { country, subdivision };
}

/**
 * What a flat record means: `country_code`, and for city databases the subdivision named in
 * `state1`, turned into its ISO 3166-2 code. A name filed under another country (Crimea under RU)
 * places the reader in the country ISO 3166 gives it, as the rules name it.
 */
export function explainFlatRecord(record: FlatRecord): GeoIpHit | null {
  const code = readCode(record.country_code, COUNTRY_CODE);
  if (code === null) return null;
  if ("malformed" in code) return { country: null, subdivision: null, note: `the database record's country code ${code.malformed} is not an ISO 3166-1 code` };
  const name = typeof record.state1 === "string" ? record.state1.slice(0, 100) : "";
  if (!name) return { country: code.code, subdivision: null };
  const subdivision = subdivisionCodeByName(code.code, name);
  if (!subdivision) return { country: code.code, subdivision: null, note: `the database names the subdivision ${JSON.stringify(name)}, which has no ISO 3166-2 code here` };
  const country = subdivision.slice(0, 2);
  if (country !== code.code) return { country, subdivision, note: `the database files ${JSON.stringify(name)} under ${code.code}; ISO 3166-2 lists it as ${subdivision}` };
  return { country, subdivision };
}

/** Decoded records are shared objects while they sit in the reader's cache, so their meaning is worked out once. */
const HITS = new WeakMap<object, GeoIpHit>();

/** Decoded records kept per database, keyed by their offset in the file: the reader's own cache. */
const RECORD_CACHE_SIZE = 10_000;

/** An opened database: one immutable reader. Swapping databases means building a new one. */
export class GeoIpDatabase {
  readonly shape: RecordShape;
  readonly databaseType: string;
  readonly buildEpoch: Date;
  readonly ipVersion: number;

  /** The IPv6 half of a database published as two files (ip-location-db's `*-ipv4.mmdb` and `*-ipv6.mmdb`). */
  private readonly v6: GeoIpDatabase | null;

  private constructor(readonly file: string, private readonly reader: Reader<Response>, v6: GeoIpDatabase | null = null) {
    const type = v6 ? `${reader.metadata.databaseType} + ${v6.databaseType}` : reader.metadata.databaseType;
    const shape = shapeOf(type);
    if (!shape) {
      throw new GeoIpError(file, `unsupported database type "${type}"; expected a GeoIP2/GeoLite2 City or Country database or a country_code database`);
    }
    this.shape = shape;
    this.databaseType = type;
    this.v6 = v6;
    this.buildEpoch = v6 && v6.buildEpoch < reader.metadata.buildEpoch ? v6.buildEpoch : reader.metadata.buildEpoch;
    this.ipVersion = v6 ? 6 : reader.metadata.ipVersion;
  }

  /** Whether this database places readers in subdivisions, or in countries only. */
  get givesSubdivisions(): boolean {
    return givesSubdivisions(this.databaseType);
  }

  /** Reads and checks a database file synchronously, so a bad file fails start-up, not a request. */
  static open(file: string): GeoIpDatabase {
    if (isFolder(file)) return GeoIpDatabase.openFolder(file);
    let buffer: Buffer;
    try {
      buffer = readFileSync(file);
    } catch (error) {
      throw new GeoIpError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    return GeoIpDatabase.fromBuffer(file, buffer);
  }

  /**
   * A database package's folder: its one `.mmdb` file, or an `…ipv4.mmdb` and an `…ipv6.mmdb` file
   * read as one database (addresses of each family looked up in their own file).
   */
  static openFolder(folder: string): GeoIpDatabase {
    let names: string[];
    try {
      names = readdirSync(folder).filter((n) => n.endsWith(".mmdb")).sort();
    } catch (error) {
      throw new GeoIpError(folder, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (names.length === 1) return GeoIpDatabase.open(join(folder, names[0]!));
    const v4 = names.find((n) => /ipv4\.mmdb$/i.test(n));
    const v6 = names.find((n) => /ipv6\.mmdb$/i.test(n));
    if (names.length !== 2 || !v4 || !v6) {
      throw new GeoIpError(folder, names.length === 0 ? "holds no .mmdb file" : `holds ${names.join(", ")}; expected one .mmdb file, or one for IPv4 and one for IPv6`);
    }
    const four = GeoIpDatabase.open(join(folder, v4));
    const six = GeoIpDatabase.open(join(folder, v6));
    if (four.ipVersion !== 4 || six.ipVersion !== 6) throw new GeoIpError(folder, `${v4} must be an IPv4 database and ${v6} an IPv6 one`);
    if (four.shape !== six.shape) throw new GeoIpError(folder, `${v4} (${four.databaseType}) and ${v6} (${six.databaseType}) are not the same kind of database`);
    return new GeoIpDatabase(folder, four.reader, six);
  }

  /** Parses the metadata and probes the search tree, so a damaged file is refused here and never half-used. */
  static fromBuffer(file: string, buffer: Buffer): GeoIpDatabase {
    let reader: Reader<Response>;
    try {
      reader = new maxmind.Reader<Response>(buffer, { cache: new LRUCache<number, object>({ max: RECORD_CACHE_SIZE }) });
    } catch (error) {
      throw new GeoIpError(file, `is not a valid MaxMind database (${(error as Error).message})`);
    }
    const db = new GeoIpDatabase(file, reader);
    const { searchTreeSize, nodeCount, recordSize } = reader.metadata;
    if (![24, 28, 32].includes(recordSize) || nodeCount <= 0 || searchTreeSize + 16 > buffer.length) {
      throw new GeoIpError(file, `is damaged: its metadata (${nodeCount} nodes of ${recordSize}-bit records) does not fit its ${buffer.length} bytes`);
    }
    for (const probe of db.ipVersion === 6 ? ["1.1.1.1", "8.8.8.8", "77.88.8.8", "2001:4860:4860::8888"] : ["1.1.1.1", "8.8.8.8", "77.88.8.8"]) {
      try {
        reader.get(probe);
      } catch (error) {
        throw new GeoIpError(file, `is damaged: looking up ${probe} failed (${(error as Error).message})`);
      }
    }
    return db;
  }

  /**
   * `address` must be a valid IP address with IPv4-mapped IPv6 already turned into IPv4. Null when the
   * database has no record for it. May throw on a database damaged past what `fromBuffer` probes.
   */
  lookup(address: string): GeoIpHit | null {
    if (this.v6 && isIPv6(address)) return this.v6.lookup(address);
    // An IPv4-only tree walked with 128 bits would answer with some other address's record.
    if (this.ipVersion === 4 && isIPv6(address)) return null;
    const record = this.reader.get(address) as unknown;
    if (record === null || typeof record !== "object") return null;
    const known = HITS.get(record);
    if (known) return known;
    let hit: GeoIpHit | null;
    if (this.shape === "flat") {
      hit = explainFlatRecord(record as FlatRecord);
    } else {
      hit = explainRecord(record as GeoIp2Record);
    }
    if (hit) HITS.set(record, hit);
    return hit;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
