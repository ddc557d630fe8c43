import type { IncomingHttpHeaders } from "node:http";
import { isCountryCode } from "./region-code.js";
import { isHttpToken } from "../header-name.js";

/** CDNs and platforms whose header names are fixed. */
export type RegionHeaderPreset = "cloudflare" | "cloudfront" | "vercel" | "appengine";

/** Header names set by the site's own edge configuration (Fastly VCL, Akamai property rules, …). */
export interface RegionHeaderNames {
  /** The header carrying an ISO 3166-1 alpha-2 country code. */
  readonly country: string;
  /** The header carrying the subdivision, as `43` or `UA-43`. */
  readonly subdivision?: string;
  /** A name for the decision log; default the country header's name. */
  readonly name?: string;
}

export type RegionHeaderSpec = RegionHeaderPreset | RegionHeaderNames;

/** A compiled header source: lower-case names, as Node hands them over. */
export interface HeaderSource {
  readonly name: string;
  readonly country: string;
  readonly subdivision: string | null;
}

export const REGION_HEADER_PRESETS: Readonly<Record<RegionHeaderPreset, HeaderSource>> = Object.freeze({
  // cf-region-code comes with the "Add visitor location headers" managed transform.
  cloudflare: { name: "cloudflare", country: "cf-ipcountry", subdivision: "cf-region-code" },
  cloudfront: { name: "cloudfront", country: "cloudfront-viewer-country", subdivision: "cloudfront-viewer-country-region" },
  vercel: { name: "vercel", country: "x-vercel-ip-country", subdivision: "x-vercel-ip-country-region" },
  appengine: { name: "appengine", country: "x-appengine-country", subdivision: "x-appengine-region" },
});


/** Checks `regionHeaders`; throws a TypeError naming the entry that is wrong. */
export function compileRegionHeaders(specs: unknown): HeaderSource[] {
  // One CDN may be written alone, as the README names them: "cloudflare" or { country: "CF-IPCountry" }.
  const single = !Array.isArray(specs);
  const list: unknown[] = single ? [specs] : specs;
  return list.map((spec: unknown, i): HeaderSource => {
    const where = single ? "regionHeaders" : `regionHeaders[${i}]`;
    if (typeof spec === "string") {
      const preset = REGION_HEADER_PRESETS[spec as RegionHeaderPreset];
      if (!Object.hasOwn(REGION_HEADER_PRESETS, spec) || !preset) {
        throw new TypeError(`${where}: unknown CDN "${spec}"; known: ${Object.keys(REGION_HEADER_PRESETS).join(", ")}, or { country: "Header-Name", subdivision: "Header-Name" }`);
      }
      return preset;
    }
    if (typeof spec !== "object" || spec === null) throw new TypeError(`${where}: expected a CDN name or { country, subdivision? } header names`);
    const o = spec as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (key !== "country" && key !== "subdivision" && key !== "name") throw new TypeError(`${where}: unknown key "${key}"; expected country, subdivision, name`);
    }
    const header = (key: string, required: boolean): string | null => {
      const v = o[key];
      if (v === undefined && !required) return null;
      if (!isHttpToken(v)) throw new TypeError(`${where}.${key}: expected an HTTP header name such as "Fastly-Geo-Country", got ${JSON.stringify(v)}`);
      return v.toLowerCase();
    };
    const country = header("country", true)!;
    const subdivision = header("subdivision", false);
    if (o.name !== undefined && (typeof o.name !== "string" || o.name.length === 0)) throw new TypeError(`${where}.name: expected a non-empty string`);
    return { name: (o.name as string | undefined) ?? country, country, subdivision };
  });
}

/**
 * What a header said:
 * - `region`: a country (and maybe a subdivision) to use;
 * - `pass`: nothing usable (absent-equivalent, unknown to the CDN, or malformed): the next source decides, `reason` says why;
 * - `stop`: the reader's country cannot be known (Tor): no other source may guess it.
 */
export type HeaderReading =
  | { readonly kind: "region"; readonly country: string; readonly subdivision: string | null; readonly header: string; readonly reason?: string }
  | { readonly kind: "pass"; readonly reason: string }
  | { readonly kind: "stop"; readonly reason: string };

/**
 * Codes that are not countries. XX (Cloudflare) and ZZ (App Engine) mean the CDN does not know;
 * EU, AP, A1, A2, O1 are MaxMind's retired continent, proxy, satellite and "other" codes. T1 (Cloudflare)
 * is a Tor exit: the address, and so the GeoIP database, tells nothing about the reader either.
 */
const SPECIAL: Readonly<Record<string, { kind: "pass" | "stop"; meaning: string }>> = {
  XX: { kind: "pass", meaning: "the CDN has no country for this address" },
  ZZ: { kind: "pass", meaning: "the CDN has no country for this address" },
  EU: { kind: "pass", meaning: "a continent, not a country" },
  AP: { kind: "pass", meaning: "a continent, not a country" },
  A1: { kind: "pass", meaning: "an anonymous proxy, not a country" },
  A2: { kind: "pass", meaning: "a satellite provider, not a country" },
  O1: { kind: "pass", meaning: "not a country" },
  T1: { kind: "stop", meaning: "a Tor exit node: the reader's country cannot be known" },
};

const COUNTRY = /^[A-Za-z0-9]{2}$/;
const SUBDIVISION = /^(?:([A-Za-z]{2})-)?([A-Za-z0-9]{1,3})$/;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

/** Shown in reasons: enough to recognise, never a long attacker-written string. */
function shown(value: string): string {
  return JSON.stringify(value.length > 16 ? `${value.slice(0, 16)}…` : value);
}

/** Reads the first configured source whose country header is present. Never throws. */
export function readRegionHeaders(headers: IncomingHttpHeaders, sources: readonly HeaderSource[]): HeaderReading | null {
  for (const source of sources) {
    const raw = single(headers[source.country]);
    if (raw === undefined) continue;
    const value = raw.trim();
    const label = source.country;
    if (!COUNTRY.test(value)) return { kind: "pass", reason: `malformed ${label} ${shown(raw)} ignored` };
    const code = value.toUpperCase();
    const special = SPECIAL[code];
    if (special) return { kind: special.kind, reason: `${label} ${code}: ${special.meaning}` };
    if (!isCountryCode(code)) return { kind: "pass", reason: `${label} ${shown(raw)} is not an ISO 3166-1 country code; ignored` };
    if (!source.subdivision) return { kind: "region", country: code, subdivision: null, header: source.name };
    const rawSub = single(headers[source.subdivision]);
    const sub = rawSub?.trim();
    // App Engine writes "?" when it does not know; an empty header is the same.
    if (sub === undefined || sub === "" || sub === "?") return { kind: "region", country: code, subdivision: null, header: source.name };
    const m = SUBDIVISION.exec(sub);
    if (!m || (m[1] !== undefined && m[1].toUpperCase() !== code)) {
      return { kind: "region", country: code, subdivision: null, header: source.name, reason: `malformed ${source.subdivision} ${shown(rawSub!)} ignored` };
    }
    return { kind: "region", country: code, subdivision: `${code}-${m[2]!.toUpperCase()}`, header: source.name };
  }
  return null;
}
