import { countries, subdivisions } from "./iso-3166.js";

const COUNTRIES = new Set(countries.map((c) => c.alpha2));
const SUBDIVISIONS = new Set(subdivisions.map((s) => s.code));

/** An ISO 3166-1 alpha-2 code in use (not XX, ZZ, EU, T1 and other private or legacy codes). */
export function isCountryCode(code: string): boolean {
  return COUNTRIES.has(code);
}

/** An ISO 3166-2 code such as `UA-43` or `US-CA`. */
export function isSubdivisionCode(code: string): boolean {
  return SUBDIVISIONS.has(code);
}

const CODE = /^([A-Za-z]{2})(?:-([A-Za-z0-9]{1,3}))?$/;

/** Whether text has the shape of a region code (`RU`, `ua-43`), assigned or not. */
export function isRegionCodeShaped(text: string): boolean {
  return CODE.test(text);
}

export interface RegionCode {
  readonly country: string;
  readonly subdivision: string | null;
}

/**
 * Parses `RU` or `UA-43` as written in configuration or on the command line, checked against ISO 3166
 * so a typo fails where it was written. Returns the problem as a string instead of throwing.
 */
export function parseRegionCode(value: unknown): RegionCode | string {
  if (typeof value !== "string") return `expected a region code such as "RU" or "UA-43", got ${typeof value}`;
  const m = CODE.exec(value.trim());
  if (!m) return `"${value}" is not a region code; write a country such as "RU" or a subdivision such as "UA-43"`;
  const country = m[1]!.toUpperCase();
  if (!isCountryCode(country)) return `"${value}": ${country} is not an ISO 3166-1 country code`;
  if (!m[2]) return { country, subdivision: null };
  const subdivision = `${country}-${m[2].toUpperCase()}`;
  if (!isSubdivisionCode(subdivision)) return `"${value}": ${subdivision} is not an ISO 3166-2 subdivision code`;
  return { country, subdivision };
}

/** `UA-43` or `RU`: the form tokens and logs carry. */
export function formatRegionCode(region: RegionCode): string {
  return region.subdivision ?? region.country;
}
