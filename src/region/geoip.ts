import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import maxmind, { type Reader, type Response } from "maxmind";

/** How the records of a database are laid out, chosen from its metadata. */
export type RecordShape = "geoip2" | "flat";

export interface GeoIpHit {
  readonly country: string | null;
  readonly subdivision: string | null;
}

export class GeoIpError extends Error {
  constructor(readonly file: string, message: string) {
    super(`GeoIP database ${file}: ${message}`);
    this.name = "GeoIpError";
  }
}

const require = createRequire(import.meta.url);

/** The embedded default: a CC0 country database shipped through the npm registry (no key, no download). */
export function defaultDatabasePath(): string {
  return require.resolve("@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb");
}

/** MaxMind's own types (GeoIP2-City, GeoLite2-Country, …) and the flat `country_code` databases of ip-location-db. */
export function shapeOf(databaseType: string): RecordShape | null {
  if (/^(GeoIP2|GeoLite2|GeoIP)-(City|Country|Enterprise)/i.test(databaseType)) return "geoip2";
  if (/^DBIP-(City|Country)/i.test(databaseType)) return "geoip2";
  if (/^country\b/i.test(databaseType)) return "flat";
  return null;
}

interface GeoIp2Record {
  country?: { iso_code?: string };
  subdivisions?: Array<{ iso_code?: string }>;
}
interface FlatRecord {
  country_code?: string;
}

/** An opened database: one immutable reader. Swapping databases means building a new one. */
export class GeoIpDatabase {
  readonly shape: RecordShape;
  readonly databaseType: string;
  readonly buildEpoch: Date;

  private constructor(readonly file: string, private readonly reader: Reader<Response>) {
    const type = reader.metadata.databaseType;
    const shape = shapeOf(type);
    if (!shape) {
      throw new GeoIpError(file, `unsupported database type "${type}"; expected a GeoIP2/GeoLite2 City or Country database or a country_code database`);
    }
    this.shape = shape;
    this.databaseType = type;
    this.buildEpoch = reader.metadata.buildEpoch;
  }

  /** Reads and checks a database file synchronously, so a bad file fails start-up, not a request. */
  static open(file: string): GeoIpDatabase {
    let buffer: Buffer;
    try {
      buffer = readFileSync(file);
    } catch (error) {
      throw new GeoIpError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    return GeoIpDatabase.fromBuffer(file, buffer);
  }

  static fromBuffer(file: string, buffer: Buffer): GeoIpDatabase {
    let reader: Reader<Response>;
    try {
      reader = new maxmind.Reader<Response>(buffer);
    } catch (error) {
      throw new GeoIpError(file, `is not a valid MaxMind database (${(error as Error).message})`);
    }
    return new GeoIpDatabase(file, reader);
  }

  /** `address` must be a valid IP address. */
  lookup(address: string): GeoIpHit | null {
    const record = this.reader.get(address) as unknown;
    if (record === null || typeof record !== "object") return null;
    if (this.shape === "flat") {
      const code = (record as FlatRecord).country_code;
      return typeof code === "string" ? { country: code.toUpperCase(), subdivision: null } : null;
    }
    const r = record as GeoIp2Record;
    const country = r.country?.iso_code?.toUpperCase() ?? null;
    const sub = r.subdivisions?.[0]?.iso_code;
    return { country, subdivision: country && sub ? `${country}-${sub.toUpperCase()}` : null };
  }
}
