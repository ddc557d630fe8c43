import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * ISO 3166 as this release knows it: countries, their subdivisions, three-letter codes and reserved
 * codes, from the iso-3166 package at build time. `npm run build` writes the table
 * (write-iso-3166.ts); reading it is a fifth of what importing the package's modules costs a
 * process at start, and a release's rules are checked against one fixed list of regions.
 */

export interface Country {
  readonly alpha2: string;
  readonly alpha3: string;
  readonly numeric: string;
  readonly name: string;
}

export interface Subdivision {
  readonly code: string;
  readonly name: string;
  /** A country code, or for a second-level subdivision its parent subdivision's code. */
  readonly parent: string;
}

export interface ReservedCode {
  readonly alpha2: string;
  readonly name: string;
  readonly state: string;
}

/** The table's form on disk: one array per entry, to keep it small. */
export interface Iso3166Table {
  readonly source: string;
  readonly countries: readonly (readonly [alpha2: string, alpha3: string, numeric: string, name: string])[];
  readonly subdivisions: readonly (readonly [code: string, name: string, parent: string])[];
  readonly reserved: readonly (readonly [alpha2: string, name: string, state: string])[];
}

export const ISO_3166_TABLE_FILE = fileURLToPath(new URL("./iso-3166.json", import.meta.url));

function readTable(): Iso3166Table {
  try {
    return JSON.parse(readFileSync(ISO_3166_TABLE_FILE, "utf8")) as Iso3166Table;
  } catch (error) {
    throw new Error(`cannot read the ISO 3166 table ${ISO_3166_TABLE_FILE} (${(error as Error).message}); \`npm run build\` writes it`, { cause: error });
  }
}

const table = readTable();

export const countries: readonly Country[] = table.countries.map(([alpha2, alpha3, numeric, name]) => ({ alpha2, alpha3, numeric, name }));
export const subdivisions: readonly Subdivision[] = table.subdivisions.map(([code, name, parent]) => ({ code, name, parent }));
export const reservedCodes: readonly ReservedCode[] = table.reserved.map(([alpha2, name, state]) => ({ alpha2, name, state }));
/** ISO 3166-1 alpha-3 → alpha-2. */
export const alpha3ToAlpha2: ReadonlyMap<string, string> = new Map(countries.map((c) => [c.alpha3, c.alpha2]));
