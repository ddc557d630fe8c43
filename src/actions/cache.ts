import type { ServerResponse } from "node:http";
import type varyType from "vary";
import { requireCjs } from "../require-cjs.js";
import type { Region } from "../region/types.js";
import type { CompiledRule, RuleSet } from "../rules/types.js";
import { splitHeaderList } from "./header-list.js";
import { isHttpToken } from "../header-name.js";

const vary = requireCjs("vary") as typeof varyType;

/**
 * What the rules of a set can change by region on one path, besides the URL, for each kind of
 * response. Pages take everything; scripts and assets only what reaches their headers.
 */
export interface CacheScope {
  /** Some rule can apply to this path, so readers in different regions can get different pages. */
  readonly byRegion: boolean;
  /** Some rule for this path applies only with, or only without, `Sec-GPC: 1`. */
  readonly byGpc: boolean;
  /**
   * Some rule for this path sets headers a script obeys when it runs as a worker (trackers, headers,
   * cookies), or rewrites scripts (trackers: their imports, and a worker's own guard).
   */
  readonly scripts: boolean;
  /** Some rule for this path rewrites stylesheets (trackers: the `url()` and `@import` of blocked hosts). */
  readonly styles: boolean;
  /** Some rule for this path sets a header that is not a document policy, so it reaches assets too. */
  readonly assets: boolean;
  /** Some rule for this path drops cookies (trackers, cookies), which changes any response that sets one. */
  readonly cookies: boolean;
}

const NONE: CacheScope = Object.freeze({ byRegion: false, byGpc: false, scripts: false, styles: false, assets: false, cookies: false });

/**
 * Response headers that govern only a document, or a worker started from a script: on a stylesheet,
 * an image, a font or media a browser ignores them, so rules do not send them there and such
 * responses stay the same for every reader.
 */
export const DOCUMENT_POLICY_HEADERS: ReadonlySet<string> = new Set([
  "content-security-policy",
  "content-security-policy-report-only",
  "permissions-policy",
  "feature-policy",
  "document-policy",
  "referrer-policy",
  "x-frame-options",
  "cross-origin-opener-policy",
  "cross-origin-embedder-policy",
  "origin-agent-cluster",
]);

/**
 * How a response's kind decides what rules reach: a page's whole body and headers; a script's and a
 * stylesheet's body when trackers are blocked (their imports and URLs are rewritten), and their
 * headers; an asset's headers only.
 */
export type ResponseKind = "page" | "script" | "style" | "asset";

const SCRIPT_TYPES = /^\s*(?:text|application)\/(?:javascript|ecmascript|x-javascript)\s*(?:;|$)/i;
const ASSET_TYPES = /^\s*(?:text\/css|image\/(?!svg)[\w.+-]+|font\/[\w.+-]+|audio\/[\w.+-]+|video\/[\w.+-]+|application\/(?:font-woff2?|vnd\.ms-fontobject|x-font-[\w-]+))\s*(?:;|$)/i;
const STYLE_TYPES = /^\s*text\/css\s*(?:;|$)/i;
const SCRIPT_EXTENSIONS = /\.m?js$/i;
const STYLE_EXTENSIONS = /\.css$/i;
const ASSET_EXTENSIONS = /\.(?:css|png|jpe?g|gif|webp|avif|ico|bmp|woff2?|ttf|otf|eot|mp3|mp4|webm|ogg|m4a|wav)$/i;

/**
 * A response's kind, from its Content-Type, or (a 304 carries none) the path's extension. What is
 * not known to be a script or an asset is a page: SVG, XML and types a browser may sniff render as
 * documents.
 */
export function responseKind(res: ServerResponse, path: string): ResponseKind {
  const type = res.getHeader("content-type");
  if (typeof type === "string" && type.trim() !== "") return SCRIPT_TYPES.test(type) ? "script" : STYLE_TYPES.test(type) ? "style" : ASSET_TYPES.test(type) ? "asset" : "page";
  return SCRIPT_EXTENSIONS.test(path) ? "script" : STYLE_EXTENSIONS.test(path) ? "style" : ASSET_EXTENSIONS.test(path) ? "asset" : "page";
}

/** Whether the rules of a scope can change a response of this kind (and with or without Set-Cookie) by region. */
export function reachesResponse(scope: CacheScope, kind: ResponseKind, setsCookie: boolean): boolean {
  if (!scope.byRegion) return false;
  if (kind === "page") return true;
  if (scope.cookies && setsCookie) return true;
  return kind === "script" ? scope.scripts : kind === "style" ? scope.styles || scope.assets : scope.assets;
}

interface CompiledScope {
  /** The scope for a path no rule restricts by `paths`. */
  readonly everyPath: CacheScope;
  /** Rules limited to some paths: checked per request. */
  readonly limited: readonly CompiledRule[];
}

const compiled = new WeakMap<RuleSet, CompiledScope>();

type Flags = { -readonly [K in keyof CacheScope]: boolean };

function addRule(flags: Flags, rule: CompiledRule): void {
  flags.byRegion = true;
  if (rule.whenGpc !== null) flags.byGpc = true;
  const dropsCookies = rule.trackers !== null || rule.cookies !== null;
  if (dropsCookies || rule.headers.length > 0) flags.scripts = true;
  if (dropsCookies) flags.cookies = true;
  if (rule.trackers !== null) flags.styles = true;
  if (rule.headerKeys.some((name) => !DOCUMENT_POLICY_HEADERS.has(name))) flags.assets = true;
  // A reader it leaves alone gets the app's response, which a cache must not hand to one it withholds it from.
  if (rule.block !== null || rule.redirect !== null) flags.scripts = flags.styles = flags.assets = true;
}

const sameScope = (a: CacheScope, b: CacheScope): boolean =>
  a.byRegion === b.byRegion && a.byGpc === b.byGpc && a.scripts === b.scripts && a.styles === b.styles && a.assets === b.assets && a.cookies === b.cookies;

function compileScope(ruleset: RuleSet): CompiledScope {
  const flags: Flags = { ...NONE };
  const limited: CompiledRule[] = [];
  for (const rule of ruleset.rules) {
    if (rule.paths) limited.push(rule);
    else addRule(flags, rule);
  }
  return { everyPath: flags.byRegion ? Object.freeze(flags) : NONE, limited: Object.freeze(limited) };
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
 * to every path, one with `paths` is asked about this one. What each rule's actions reach is noted
 * too (see `reachesResponse`). Worked out once per rule set, so a
 * request costs a map lookup plus one match per path-limited rule. Dates are ignored on purpose: a
 * page cached today must not outlive the day a rule starts.
 */
export function cacheScope(ruleset: RuleSet, path: string): CacheScope {
  let scope = compiled.get(ruleset);
  if (!scope) compiled.set(ruleset, (scope = compileScope(ruleset)));
  if (scope.limited.length === 0) return scope.everyPath;
  const flags: Flags = { ...scope.everyPath };
  const matchable = decodedPath(path);
  for (const rule of scope.limited) if (rule.paths!(matchable) === "ok") addRule(flags, rule);
  return sameScope(flags, scope.everyPath) ? scope.everyPath : flags;
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
   * page of a reader the rules leave alone would serve it to a reader they protect. A script or an
   * asset no rule of the scope can change (`reachesResponse`) keeps the app's caching. `setsCookie`:
   * whether the app's response set a cookie, before the rules dropped any.
   */
  apply(res: ServerResponse, region: Region, scope: CacheScope, localized: boolean, kind: ResponseKind = "page", setsCookie = res.hasHeader("set-cookie")): void {
    if (!reachesResponse(scope, kind, setsCookie)) return;
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
