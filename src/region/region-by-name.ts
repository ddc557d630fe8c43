import { countries, subdivisions } from "./iso-3166.js";
import { simplify, subdivisionsNamed } from "./subdivision-names.js";

const ENGLISH = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });

/** Simplified name → country code: ISO's name ("Russian Federation") and the common English one ("Russia"). */
const COUNTRIES = new Map<string, string>();
for (const c of countries) {
  COUNTRIES.set(simplify(c.name), c.alpha2);
  const common = ENGLISH.of(c.alpha2);
  if (common) COUNTRIES.set(simplify(common), c.alpha2);
}

/** `Avtonomna Respublika Krym, Ukraine`: the labels the preview's region list shows, simplified. */
const LABELS = new Map<string, string>();
const COUNTRY_NAMES = new Map(countries.map((c) => [c.alpha2, c.name]));
for (const s of subdivisions) {
  const country = COUNTRY_NAMES.get(s.code.slice(0, 2));
  if (country) LABELS.set(simplify(`${s.name}, ${country}`), s.code);
}

export type RegionByName =
  | { readonly kind: "found"; readonly code: string }
  | { readonly kind: "several"; readonly codes: readonly string[] }
  | { readonly kind: "none" };

/**
 * The region a name stands for, as a reviewer types it: a country ("Russia", "Russian Federation"),
 * a subdivision ("Crimea", "Donetska oblast", "California"), or a label of the region list
 * ("Avtonomna Respublika Krym, Ukraine", "Crimea, Ukraine"). A name of more than one region
 * (Georgia) gives them all, for the reviewer to pick by code.
 */
export function regionByName(text: string): RegionByName {
  const plain = simplify(text);
  if (!plain) return { kind: "none" };
  const label = LABELS.get(plain);
  if (label) return { kind: "found", code: label };
  const country = COUNTRIES.get(plain);
  let codes = [...(country ? [country] : []), ...subdivisionsNamed(text)];
  const comma = text.lastIndexOf(",");
  if (codes.length === 0 && comma > 0) {
    // "Crimea, Ukraine": the subdivision named, within the country named.
    const within = COUNTRIES.get(simplify(text.slice(comma + 1)));
    if (within) codes = subdivisionsNamed(text.slice(0, comma)).filter((c) => c.startsWith(`${within}-`));
  }
  if (codes.length === 1) return { kind: "found", code: codes[0]! };
  if (codes.length > 1) return { kind: "several", codes };
  return { kind: "none" };
}
