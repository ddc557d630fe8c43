import type { ServerResponse } from "node:http";
import type * as Cookie from "cookie";
import { requireCjs } from "../require-cjs.js";

const { parseSetCookie } = requireCjs("cookie") as typeof Cookie;

/**
 * First-party cookies that analytics and ad tags set from the site's own domain, by vendor. `*`
 * matches any run of characters. Names are case-sensitive, as cookie names are.
 */
export const TRACKING_COOKIES: readonly string[] = Object.freeze([
  // Google Analytics, Ads and Floodlight
  "_ga",
  "_ga_*",
  "_gid",
  "_gat",
  "_gat_*",
  "_gac_*",
  "_gcl_*",
  "__utm*",
  "FPID",
  "FPLC",
  // Meta pixel
  "_fbp",
  "_fbc",
  // Yandex Metrica
  "_ym_*",
  // Mail.ru Top
  "tmr_*",
  // Hotjar
  "_hj*",
  // Microsoft Clarity and Ads (UET)
  "_clck",
  "_clsk",
  "_uetsid",
  "_uetvid",
  // TikTok, Pinterest, Snap, Reddit, LinkedIn, X
  "_ttp",
  "_pin_unauth",
  "_scid",
  "_scid_r",
  "_rdt_uuid",
  "li_fat_id",
  "_twclid",
  // Chartbeat, Quantcast, Criteo
  "_cb",
  "_cb_svref",
  "_chartbeat2",
  "__qca",
  "cto_bundle",
  // Segment, Mixpanel, Amplitude, Heap
  "ajs_anonymous_id",
  "ajs_user_id",
  "mp_*",
  "amp_*",
  "AMP_*",
  "_hp2_*",
  // VWO and Optimizely (A/B testing)
  "_vwo_*",
  "_vis_opt_*",
  "optimizelyEndUserId",
]);

/** RFC 6265 cookie-name characters, plus `*` for the wildcard. */
const PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Why a cookie name pattern cannot be used, or null. Shared with the rule loader. */
export function cookiePatternProblem(pattern: unknown): string | null {
  if (typeof pattern !== "string" || pattern.length === 0) return "a cookie name pattern must be a non-empty text such as _ga or _ga_*";
  if (!PATTERN.test(pattern)) return `"${pattern}" is not a cookie name pattern: use the cookie's name, with * standing for any characters`;
  if (/^\*+$/.test(pattern)) return `"${pattern}" would drop every cookie, sessions and logins included; name the tracking cookies instead`;
  return null;
}

/** A compiled set of patterns: one regular expression, built once per pattern list. */
export class CookieFilter {
  private readonly re: RegExp | null;

  constructor(readonly patterns: readonly string[]) {
    const problems = patterns.map((p) => cookiePatternProblem(p)).filter((p): p is string => p !== null);
    if (problems.length > 0) throw new TypeError(`cookie patterns: ${problems.join("; ")}`);
    const parts = patterns.map((p) => p.split("*").map((s) => s.replace(/[.+^$|\\]/g, "\\$&")).join(".*"));
    this.re = parts.length > 0 ? new RegExp(`^(?:${parts.join("|")})$`) : null;
  }

  matches(name: string): boolean {
    return this.re !== null && this.re.test(name);
  }
}

export const TRACKING_COOKIE_FILTER = new CookieFilter(TRACKING_COOKIES);

/** The name a Set-Cookie header sets, parsed by `cookie` as the browser would read it. */
function cookieName(setCookie: string): string {
  return parseSetCookie(setCookie).name.trim();
}

/**
 * Drops the Set-Cookie headers whose cookie any filter matches, whatever way the app set them
 * (setHeader, res.cookie, res.append, writeHead headers: by the time this runs they are all in
 * the response's header list). The cookies kept are left byte for byte as the app wrote them:
 * serializing them again could lose an attribute the parser does not know. Returns the names dropped.
 */
export function dropCookies(res: ServerResponse, filters: readonly CookieFilter[]): string[] {
  const current = res.getHeader("set-cookie");
  if (current === undefined || filters.length === 0) return [];
  const list = Array.isArray(current) ? current.map(String) : [String(current)];
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const header of list) {
    const name = cookieName(header);
    if (name !== "" && filters.some((f) => f.matches(name))) dropped.push(name);
    else kept.push(header);
  }
  if (dropped.length === 0) return [];
  if (kept.length === 0) res.removeHeader("set-cookie");
  else res.setHeader("set-cookie", kept);
  return dropped;
}
