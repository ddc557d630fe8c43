import { alpha3ToAlpha2, countries, reservedCodes, subdivisions } from "../region/iso-3166.js";
import { closest, listWords } from "./suggest.js";

/**
 * ISO 3166-1 alpha-2 code → English short name, for every assigned country, and XK: ISO does not
 * assign a code to Kosovo, but GeoIP databases and CDNs report its readers as XK, so rules must be
 * able to name them.
 */
export const COUNTRIES: ReadonlyMap<string, string> = new Map([...countries.map((c): [string, string] => [c.alpha2, c.name]), ["XK", "Kosovo"]]);

/** ISO 3166-2 code → its name and parent (a country, or for second-level subdivisions, a subdivision). */
export const SUBDIVISIONS: ReadonlyMap<string, { readonly name: string; readonly parent: string }> = new Map(
  subdivisions.map((s) => [s.code, { name: s.name, parent: s.parent }]),
);

const CHILDREN = new Map<string, string[]>();
for (const [code, { parent }] of SUBDIVISIONS) {
  if (!SUBDIVISIONS.has(parent)) continue;
  const list = CHILDREN.get(parent);
  if (list) list.push(code);
  else CHILDREN.set(parent, [code]);
}

export const EU_MEMBERS = ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"] as const;
/** Parts of EU member states that ISO 3166-1 lists under their own codes: the outermost regions and Åland. */
export const EU_OWN_CODES = ["AX", "GF", "GP", "MF", "MQ", "RE", "YT"] as const;

/** Groups every rule file may use without defining them. */
export const BUILTIN_GROUPS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ["EU", [...EU_MEMBERS, ...EU_OWN_CODES].sort()],
  ["EEA", [...EU_MEMBERS, ...EU_OWN_CODES, "IS", "LI", "NO"].sort()],
  ["ALL", [...COUNTRIES.keys()].sort()],
]);

export function isSubdivisionCode(code: string): boolean {
  return code.length > 3 && code[2] === "-";
}

/** The country of a country or subdivision code. */
export function countryOf(code: string): string {
  return code.slice(0, 2);
}

/** A subdivision and every subdivision inside it (ISO 3166-2 has up to two levels). */
export function withDescendants(code: string): string[] {
  const out = [code];
  for (let i = 0; i < out.length; i++) out.push(...(CHILDREN.get(out[i]!) ?? []));
  return out;
}

/** The subdivisions a subdivision lies in, nearest first. */
export function ancestors(code: string): string[] {
  const out: string[] = [];
  let parent = SUBDIVISIONS.get(code)?.parent;
  while (parent && SUBDIVISIONS.has(parent)) {
    out.push(parent);
    parent = SUBDIVISIONS.get(parent)?.parent;
  }
  return out;
}

function countryByName(name: string): string | undefined {
  const wanted = name.trim().toLowerCase();
  if (wanted.length < 3) return undefined;
  for (const [code, n] of COUNTRIES) {
    const lower = n.toLowerCase();
    if (lower === wanted || lower.startsWith(`${wanted} `) || lower.startsWith(`${wanted},`) || lower.startsWith(`${wanted}n `)) return code;
  }
  return undefined;
}

function subdivisionByName(country: string, name: string): string | undefined {
  const wanted = name.trim().toLowerCase();
  for (const [code, s] of SUBDIVISIONS) if (code.startsWith(`${country}-`) && s.name.toLowerCase() === wanted) return code;
  return undefined;
}

function named(code: string): string {
  return `${code} (${COUNTRIES.get(code) ?? SUBDIVISIONS.get(code)?.name ?? code})`;
}

/** What is wrong with a well-formed country code that ISO 3166-1 does not assign, or null when it is fine. */
export function countryProblem(code: string): string | null {
  if (COUNTRIES.has(code)) return null;
  if (code === "EU") return `EU is not a country code; to name the European Union write "groups: [EU]" (or EEA for the EU with Iceland, Liechtenstein and Norway)`;
  const reserved = reservedCodes.find((r) => r.alpha2 === code);
  if (reserved) {
    const instead = countryByName(reserved.name);
    if (instead) return `${code} is not the ISO 3166-1 code for ${reserved.name}: the ISO code is ${instead}; write ${instead}`;
    return `${code} is only reserved in ISO 3166-1 (${reserved.name}), not assigned to a country; use the code of the country it belongs to`;
  }
  return `${code} is not an ISO 3166-1 country code; write a two-letter code such as RU, DE or US`;
}

/** What is wrong with a well-formed subdivision code that ISO 3166-2 does not list, or null when it is fine. */
export function subdivisionProblem(code: string): string | null {
  if (SUBDIVISIONS.has(code)) return null;
  const country = countryOf(code);
  if (!COUNTRIES.has(country)) return `${code} does not start with a country code: ${countryProblem(country) ?? ""}`;
  const near = closest(code, [...SUBDIVISIONS.keys()].filter((c) => c.startsWith(`${country}-`)));
  const hint = near.length ? `; did you mean ${listWords(near.map(named))}?` : `; the codes of ${COUNTRIES.get(country)} are listed in ISO 3166-2:${country}`;
  return `${code} is not an ISO 3166-2 subdivision of ${COUNTRIES.get(country)}${hint}`;
}

/** A hint for a value that is not even shaped like a country code. */
export function countryShapeHint(value: string): string {
  const upper = value.toUpperCase();
  if (COUNTRIES.has(upper)) return `write it in capitals: ${upper}`;
  const alpha2 = alpha3ToAlpha2.get(upper);
  if (alpha2) return `${value} is a three-letter code; write the two-letter code ${alpha2} (${COUNTRIES.get(alpha2)})`;
  if (/^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$/.test(value)) return `${value} is a subdivision code; list it under "subdivisions" instead`;
  const byName = countryByName(value);
  if (byName) return `write the ISO code ${byName} for ${COUNTRIES.get(byName)}`;
  return "write a two-letter ISO 3166-1 country code in capitals, such as RU or DE";
}

/** A hint for a value that is not even shaped like a subdivision code. */
export function subdivisionShapeHint(value: string): string {
  const upper = value.toUpperCase();
  if (SUBDIVISIONS.has(upper)) return `write it in capitals: ${upper}`;
  const m = /^([A-Za-z]{2})[-\s]+(.+)$/.exec(value);
  if (m) {
    const country = m[1]!.toUpperCase();
    const byName = subdivisionByName(country, m[2]!);
    if (byName) return `write the ISO code ${byName} for ${SUBDIVISIONS.get(byName)?.name}`;
  }
  if (/^[A-Za-z]{2}$/.test(value)) return `${value} is a country code; list it under "countries" instead`;
  return "write an ISO 3166-2 code: the country code, a dash and the subdivision's code, such as UA-43 or US-CA";
}

/** A hint for a region value in `exclude`, `groups` members or a test: a country or subdivision code. */
export function regionCodeProblem(code: string): string | null {
  return isSubdivisionCode(code) ? subdivisionProblem(code) : countryProblem(code);
}

/** What a rule covers once groups are resolved, subdivisions expanded and exclusions taken out. */
export interface RegionReach {
  /** Countries covered whole. */
  readonly countries: ReadonlySet<string>;
  /** Subdivisions covered, with those inside them. */
  readonly subdivisions: ReadonlySet<string>;
  /** Countries and subdivisions (with those inside them) taken out. */
  readonly excluded: ReadonlySet<string>;
}

export function regionReach(regions: { countries: readonly string[]; subdivisions: readonly string[]; exclude: readonly string[] }): RegionReach {
  const excluded = new Set<string>();
  for (const code of regions.exclude) for (const c of isSubdivisionCode(code) ? withDescendants(code) : [code]) excluded.add(c);
  const countries = new Set(regions.countries.filter((c) => !excluded.has(c)));
  const subdivisions = new Set(regions.subdivisions.flatMap(withDescendants).filter((s) => !excluded.has(s) && !excluded.has(countryOf(s))));
  return { countries, subdivisions, excluded };
}
