/** GeoIP fixtures for the region tests: small City, Country and flat databases with known answers. */
import type { IncomingMessage } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cityRecord, countryRecord, flatRecord, writeMmdb, writeMmdbFile, type MmdbEntry } from "./mmdb-writer.js";

/** Addresses with a known place in the fixture databases (all public unicast, so none is filtered as private). */
export const IP = {
  moscow: "77.88.8.8",
  crimea: "91.207.57.10",
  crimea6: "2a02:2378:1::10",
  /** Kyiv: Ukraine, but not a subdivision the Russia rule names. */
  kyiv: "176.36.0.5",
  berlin: "85.214.132.117",
  california: "8.8.8.8",
  california6: "2001:4860:4860::8888",
  /** A US base in Germany: country DE, represented_country US (military). */
  base: "5.45.200.1",
  /** A phone roaming in Germany on a network registered in Russia. */
  roaming: "31.13.70.5",
  /** The database knows only where the network is registered (RU), not where the reader is. */
  registeredOnly: "46.16.3.3",
  /** In no network of the fixtures. */
  unlisted: "1.1.1.1",
} as const;

export function cityEntries(): MmdbEntry[] {
  return [
    { network: "77.88.0.0/18", record: cityRecord({ country: "RU", subdivisions: ["MOW"], city: "Moscow" }) },
    { network: "91.207.56.0/21", record: cityRecord({ country: "UA", subdivisions: ["43"], city: "Simferopol" }) },
    { network: "2a02:2378::/32", record: cityRecord({ country: "UA", subdivisions: ["43"], city: "Simferopol" }) },
    { network: "176.36.0.0/14", record: cityRecord({ country: "UA", subdivisions: ["30"], city: "Kyiv" }) },
    { network: "85.214.0.0/16", record: cityRecord({ country: "DE", subdivisions: ["BE"], city: "Berlin" }) },
    { network: "8.8.8.0/24", record: cityRecord({ country: "US", subdivisions: ["CA"], city: "Mountain View" }) },
    { network: "2001:4860::/32", record: cityRecord({ country: "US", subdivisions: ["CA"] }) },
    { network: "5.45.192.0/18", record: cityRecord({ country: "DE", subdivisions: ["RP"], representedCountry: { iso: "US", type: "military" } }) },
    { network: "31.13.64.0/18", record: cityRecord({ country: "DE", subdivisions: ["HH"], registeredCountry: "RU" }) },
    // As in MaxMind's files for some anycast and satellite networks: a registration but no location.
    { network: "46.16.0.0/16", record: { continent: { code: "EU", names: { en: "Europe" } }, registered_country: { iso_code: "RU", names: { en: "Russia" } } } },
  ];
}

/** The same places without subdivisions, shaped as a GeoIP2/GeoLite2 Country database. */
export function countryEntries(): MmdbEntry[] {
  return [
    { network: "77.88.0.0/18", record: countryRecord({ country: "RU" }) },
    { network: "91.207.56.0/21", record: countryRecord({ country: "UA" }) },
    { network: "2a02:2378::/32", record: countryRecord({ country: "UA" }) },
    { network: "85.214.0.0/16", record: countryRecord({ country: "DE" }) },
    { network: "8.8.8.0/24", record: countryRecord({ country: "US" }) },
  ];
}

export function flatEntries(): MmdbEntry[] {
  return [
    { network: "77.88.0.0/18", record: flatRecord("RU") },
    { network: "91.207.56.0/21", record: flatRecord("UA") },
    { network: "85.214.0.0/16", record: flatRecord("DE") },
    { network: "8.8.8.0/24", record: flatRecord("US") },
  ];
}

export const cityDb = (): Buffer => writeMmdb(cityEntries(), { databaseType: "GeoIP2-City", buildEpoch: 1_750_000_000 });
export const countryDb = (): Buffer => writeMmdb(countryEntries(), { databaseType: "GeoLite2-Country", buildEpoch: 1_750_000_000 });
export const flatDb = (): Buffer => writeMmdb(flatEntries(), { databaseType: "country ipvAll", buildEpoch: 1_750_000_000 });

export function tempDir(prefix = "gc-region-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes the City fixture to a fresh file and returns its path. */
export function cityDbFile(dir = tempDir()): string {
  const file = join(dir, "GeoIP2-City.mmdb");
  writeMmdbFile(file, cityEntries(), { databaseType: "GeoIP2-City", buildEpoch: 1_750_000_000 });
  return file;
}

/** Just what the resolver reads of a request: the socket's peer and the headers. */
export function fakeRequest(peer: string | undefined, headers: Record<string, string> = {}): IncomingMessage {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { socket: { remoteAddress: peer }, headers: lower } as unknown as IncomingMessage;
}

/** A secret long enough for previews. */
export const PREVIEW_SECRET = "test-preview-secret-0123456789abcdef";
