import type { ServerResponse } from "node:http";
import vary from "vary";
import type { Region } from "../region/types.js";
import type { CompiledRule, RuleSet } from "../rules/types.js";
import { splitHeaderList } from "./header-list.js";
import { isHttpToken } from "../header-name.js";

/** What the rules of a set make a response on one path depend on, besides the URL. */
export interface CacheScope {
  /** Some rule can apply to this path, so readers in different regions can get different responses. */
  readonly byRegion: boolean;
  /** Some rule for this path applies only with, or only without, `Sec-GPC: 1`. */
  readonly byGpc: boolean;
}

const NONE: CacheScope = Object.freeze({ byRegion: false, byGpc: false });

interface CompiledScope {
  /** The scope for a path no rule restricts by `paths`. */
  readonly everyPath: CacheScope;
  /** Rules limited to some paths: checked per request. */
  readonly limited: readonly CompiledRule[];
}

const compiled = new WeakMap<RuleSet, CompiledScope>();

function compileScope(ruleset: RuleSet): CompiledScope {
  let byRegion = false;
  let byGpc = false;
  const limited: CompiledRule[] = [];
  for (const rule of ruleset.rules) {
    if (rule.paths) {
      limited.push(rule);
      continue;
    }
    byRegion = true;
    if (rule.whenGpc !== null) byGpc = true;
  }
  return { everyPath: byRegion ? Object.freeze({ byRegion, byGpc }) : NONE, limited: Object.freeze(limited) };
}

/** The path as rules match it: percent-encoding decoded, so `/новости/**` sees what browsers send. */
function decodedPath(path: string): string {
  if (path.indexOf("%") === -1) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Can the rules treat this path differently by region? Every rule names regions (or unknown
 * readers), so the answer is whether any rule can apply to the path: a rule without `paths` applies
 * to every path, one with `paths` is asked about this one. Worked out once per rule set, so a
 * request costs a map lookup plus one match per path-limited rule. Dates are ignored on purpose: a
 * page cached today must not outlive the day a rule starts.
 */
export function cacheScope(ruleset: RuleSet, path: string): CacheScope {
  let scope = compiled.get(ruleset);
  if (!scope) compiled.set(ruleset, (scope = compileScope(ruleset)));
  if (scope.limited.length === 0 || (scope.everyPath.byRegion && scope.everyPath.byGpc)) return scope.everyPath;
  let { byRegion, byGpc } = scope.everyPath;
  const matchable = decodedPath(path);
  for (const rule of scope.limited) {
    if (rule.paths!(matchable) !== "ok") continue;
    byRegion = true;
    if (rule.whenGpc !== null) byGpc = true;
  }
  return byRegion === scope.everyPath.byRegion && byGpc === scope.everyPath.byGpc ? scope.everyPath : { byRegion, byGpc };
}

const directiveName = (d: string): string => d.split("=", 1)[0]!.trim().toLowerCase();

/** Directives that only speak to shared caches, or contradict `private`: dropped when `private` is added. */
const SHARED_ONLY = new Set(["public", "private", "s-maxage", "proxy-revalidate"]);

/**
 * Cache-Control with `private` merged into what the app set; null to leave the app's value alone.
 * `no-store` already keeps every cache away and is never touched. A qualified `private="Set-Cookie"`
 * still lets a shared cache store the rest of the response, so it becomes a plain `private`.
 */
export function privateCacheControl(existing: string | null): string | null {
  if (existing === null || existing.trim() === "") return "private";
  const list = splitHeaderList(existing).parts.filter((d) => d.length > 0);
  const names = list.map(directiveName);
  if (names.includes("no-store")) return null;
  const plainPrivate = list.some((d) => d.trim().toLowerCase() === "private");
  if (plainPrivate && !names.some((n) => n === "public" || n === "s-maxage" || n === "proxy-revalidate")) return null;
  return ["private", ...list.filter((d) => !SHARED_ONLY.has(directiveName(d)))].join(", ");
}

/** An app sends a handful of Cache-Control values; each is merged once. */
const merges = new Map<string, string | null>();
const MAX_MERGES = 256;

function mergedPrivate(existing: string): string | null {
  let merged = merges.get(existing);
  if (merged === undefined) {
    merged = privateCacheControl(existing);
    if (merges.size >= MAX_MERGES) merges.clear();
    merges.set(existing, merged);
  }
  return merged;
}

/**
 * Headers that tell a CDN how to cache in place of Cache-Control (RFC 9213 and vendors' own): while
 * they stand, `private` would not reach the CDN, so they are removed from private responses.
 */
export const CDN_CACHE_HEADERS: readonly string[] = Object.freeze(["cdn-cache-control", "surrogate-control", "cloudflare-cdn-cache-control", "vercel-cdn-cache-control", "edge-control"]);


/** How a response that rules can change by region is kept out of the wrong reader's hands. */
export class CacheSafety {
  private readonly regionHeaders: readonly string[];

  /** `regionHeaders`: the request headers a trusted CDN sets with the region, which the resolver believes. */
  constructor(regionHeaders: readonly string[] = []) {
    for (const name of regionHeaders) {
      if (!isHttpToken(name)) throw new TypeError(`cache safety: ${JSON.stringify(name)} is not a request header name`);
    }
    this.regionHeaders = Object.freeze([...new Set(regionHeaders.map((h) => h.toLowerCase()))]);
  }

  /**
   * Marks the response. When the region came from a trusted CDN header, a shared cache can key on
   * that header, so `Vary` names it (and `Accept-Language` when the response is localized, `Sec-GPC`
   * when a rule depends on it). Otherwise the region came from the address, which no cache keys on,
   * so the response is `Cache-Control: private`, whatever the reader got: a shared cache storing the
   * page of a reader the rules leave alone would serve it to a reader they protect.
   */
  apply(res: ServerResponse, region: Region, scope: CacheScope, localized: boolean): void {
    if (!scope.byRegion) return;
    if (region.source === "header" && this.regionHeaders.length > 0) {
      vary(res, [...this.regionHeaders, ...(localized ? ["accept-language"] : []), ...(scope.byGpc ? ["sec-gpc"] : [])]);
      return;
    }
    const current = res.getHeader("cache-control");
    const merged = current === undefined ? "private" : mergedPrivate(Array.isArray(current) ? current.join(", ") : String(current));
    if (merged !== null) res.setHeader("Cache-Control", merged);
    for (const name of CDN_CACHE_HEADERS) if (res.hasHeader(name)) res.removeHeader(name);
  }
}
