import { countries, subdivisions } from "../../region/iso-3166.js";
import type { Region } from "../../region/types.js";

/** One kind of reader by place, as the tools list them. */
export interface RegionRow {
  /** `RU`, `UA-43`, `UA-*` (the country's other subdivisions) or `unknown`. */
  readonly code: string;
  readonly name: string;
  readonly region: Region;
}

const COUNTRY_NAMES = new Map(countries.map((c) => [c.alpha2, c.name]));
const SUBDIVISIONS = new Map(subdivisions.map((s) => [s.code, s]));

export function countryName(code: string): string {
  return COUNTRY_NAMES.get(code) ?? code;
}

export function isSubdivision(code: string): boolean {
  return SUBDIVISIONS.has(code);
}

/** `Avtonomna Respublika Krym, Ukraine` for `UA-43`; `Russian Federation` for `RU`. */
export function regionName(code: string): string {
  const sub = SUBDIVISIONS.get(code);
  if (!sub) return countryName(code);
  return `${sub.name}, ${countryName(code.slice(0, 2))}`;
}

function countryOf(code: string): string {
  return code.slice(0, 2);
}

/** Whether `code` lies inside `ancestor` in the ISO 3166-2 hierarchy (FR-75 inside FR-IDF). */
function inside(code: string, ancestor: string): boolean {
  for (let parent = SUBDIVISIONS.get(code)?.parent; parent && parent.includes("-"); parent = SUBDIVISIONS.get(parent)?.parent) {
    if (parent === ancestor) return true;
  }
  return false;
}

/**
 * A subdivision of `country` that none of `named` is, contains or lies in: it stands for every reader
 * in the country whose subdivision no rule mentions. Null when every subdivision is named.
 */
function otherSubdivision(country: string, named: ReadonlySet<string>): string | null {
  for (const s of subdivisions) {
    if (s.parent !== country || named.has(s.code)) continue;
    let related = false;
    for (const n of named) if (countryOf(n) === country && (inside(n, s.code) || inside(s.code, n))) related = true;
    if (!related) return s.code;
  }
  return null;
}

/**
 * Every reader by place whose treatment a rule set can tell apart: each ISO 3166-1 country (a reader
 * whose subdivision is not known), each named subdivision, for each country with named subdivisions
 * one that is not named (its other readers), and a reader whose region is not known at all.
 */
export function regionRows(namedSubdivisions: Iterable<string>): RegionRow[] {
  const named = new Set([...namedSubdivisions].filter(isSubdivision));
  const rows: RegionRow[] = [];
  const byCountry = new Map<string, string[]>();
  for (const code of [...named].sort()) {
    const list = byCountry.get(countryOf(code));
    if (list) list.push(code);
    else byCountry.set(countryOf(code), [code]);
  }
  for (const c of [...countries].sort((a, b) => (a.alpha2 < b.alpha2 ? -1 : 1))) {
    const country = c.alpha2;
    rows.push({ code: country, name: c.name, region: { country, subdivision: null, source: "preview" } });
    const subs = byCountry.get(country);
    if (!subs) continue;
    for (const code of subs) rows.push({ code, name: regionName(code), region: { country, subdivision: code, source: "preview" } });
    const other = otherSubdivision(country, named);
    if (other) rows.push({ code: `${country}-*`, name: `${c.name}, any other subdivision (as ${other})`, region: { country, subdivision: other, source: "preview" } });
  }
  rows.push({ code: "unknown", name: "region not known", region: { country: null, subdivision: null, source: "none" } });
  return rows;
}

/** Every country and subdivision, for a searchable list: `[code, name]`, countries first. */
export function allRegionChoices(): ReadonlyArray<readonly [string, string]> {
  const byCode = [...countries].sort((a, b) => (a.alpha2 < b.alpha2 ? -1 : 1)).map((c) => [c.alpha2, c.name] as const);
  const subs = [...subdivisions].sort((a, b) => (a.code < b.code ? -1 : 1)).map((s) => [s.code, `${s.name}, ${countryName(countryOf(s.code))}`] as const);
  return [...byCode, ...subs];
}
