import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { xDnsPrefetchControl } from "helmet";
import { splitHeaderList } from "./header-list.js";

/** Whether a URL, resolved against the page's URL, goes to a host this reader's rules block. */
export type BlockedUrl = (url: string) => boolean;

/**
 * `Link` relations that load nothing by themselves. Every other relation (preconnect, dns-prefetch,
 * preload, prefetch, modulepreload, prerender, stylesheet, compression-dictionary, one a browser
 * learns next year) is taken to connect or fetch, so an entry to a blocked host goes.
 */
const INERT_RELS = new Set([
  "alternate",
  "author",
  "blocked-by",
  "bookmark",
  "canonical",
  "external",
  "help",
  "license",
  "me",
  "next",
  "nofollow",
  "noopener",
  "noreferrer",
  "prev",
  "privacy-policy",
  "shortlink",
  "tag",
  "terms-of-service",
]);

/** A `Link` field value split into its link-values at the commas outside `<…>` and quoted strings. */
function linkValues(value: string): string[] {
  return splitHeaderList(value, true).parts.filter((v) => v !== "");
}

const LINK_VALUE = /^<([^>]*)>(.*)$/s;
const IMAGESRCSET_PARAM = /;\s*imagesrcset\s*=\s*(?:"([^"]*)"|([^;,\s]+))/i;
const REL_PARAM = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))/i;

/** Whether one link-value may go out: it loads nothing, or nothing from a blocked host. One that does not parse goes. */
function linkKept(link: string, blocked: BlockedUrl): boolean {
  const m = LINK_VALUE.exec(link);
  if (!m) return false;
  const rel = REL_PARAM.exec(m[2]!);
  if (!rel) return true;
  const rels = (rel[1] ?? rel[2]!).toLowerCase().split(/[\t\n\f\r ]+/).filter((r) => r !== "");
  if (rels.every((r) => INERT_RELS.has(r))) return true;
  if (blocked(m[1]!)) return false;
  // A preloaded image may come from its `imagesrcset` instead.
  const srcset = IMAGESRCSET_PARAM.exec(m[2]!);
  const candidates = srcset ? (srcset[1] ?? srcset[2]!).split(",").map((c) => c.trim().split(/[\t\n\f\r ]+/)[0] ?? "") : [];
  return !candidates.some((u) => u !== "" && blocked(u));
}

/**
 * The `Link` field values without the entries that would make the browser connect to or fetch from
 * a blocked host (preconnect, dns-prefetch, preload, prefetch, modulepreload…), or null when none
 * is left. Several header lines stay several.
 */
export function filterLinks(value: string | readonly string[], blocked: BlockedUrl): string[] | null {
  const lines = typeof value === "string" ? [value] : value;
  const out: string[] = [];
  for (const line of lines) {
    const all = linkValues(line);
    const kept = all.filter((l) => linkKept(l, blocked));
    if (kept.length === all.length) out.push(line);
    else if (kept.length > 0) out.push(kept.join(", "));
  }
  return out.length > 0 ? out : null;
}

/**
 * The URL a `Refresh` value navigates to, as the HTML standard's declarative refresh reads it
 * (`5; url=…`, `0,URL='…'`, `3 …`), or null when it reloads the page itself.
 */
export function refreshTarget(value: string): string | null {
  const m = /^[\t\n\f\r ]*[0-9.]*[\t\n\f\r ]*[;,]?[\t\n\f\r ]*(?:url[\t\n\f\r ]*=[\t\n\f\r ]*)?(.*)$/is.exec(value);
  let url = (m?.[1] ?? value).trim();
  const quote = url[0];
  if (quote === '"' || quote === "'") {
    const end = url.indexOf(quote, 1);
    url = end === -1 ? url.slice(1) : url.slice(1, end);
  }
  return url === "" ? null : url;
}

/** `Reporting-Endpoints` members (`name="url"`) whose URL goes to a blocked host, or that do not parse, left out; null when none is left. */
export function filterReportingEndpoints(value: string, blocked: BlockedUrl): string | null {
  const kept = splitHeaderList(value).parts.filter((member) => {
    const m = /^[a-z*][a-z0-9_.*-]*\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(member);
    return m !== null && !blocked(m[1]!.replace(/\\(.)/g, "$1"));
  });
  return kept.length > 0 ? kept.join(", ") : null;
}

/** Whether a `Report-To` value (JSON objects with endpoint URLs) names a blocked host, or names none we can read. */
function reportToLeaves(value: string, blocked: BlockedUrl): boolean {
  const urls = [...value.matchAll(/"url"\s*:\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\\//g, "/"));
  return urls.length === 0 || urls.some(blocked);
}

function headerLines(value: number | string | readonly string[] | undefined): readonly string[] | null {
  if (value === undefined) return null;
  return typeof value === "number" ? [String(value)] : typeof value === "string" ? [value] : value;
}

const dnsPrefetchOff = xDnsPrefetchControl({ allow: false });
const noop = (): void => {};

/**
 * For a reader whose trackers are switched off, the headers through which the response itself
 * would reach a blocked host before any markup is read: `Link` entries that preconnect, prefetch or
 * preload it, a `Refresh` to it, and speculation rules (which prefetch and prerender whatever they
 * name); reports the browser would send to a blocked host (`Reporting-Endpoints`, `Report-To`), and
 * Network Error Logging, which reports this reader's failed requests to whoever the site names.
 * DNS prefetching of the page's links is turned off, since Chromium otherwise resolves the host of
 * every anchor in the page.
 */
export function applyHintFilters(req: IncomingMessage, res: ServerResponse, blocked: () => BlockedUrl): void {
  dnsPrefetchOff(req, res, noop);
  res.removeHeader("speculation-rules");
  res.removeHeader("nel");
  const endpoints = headerLines(res.getHeader("reporting-endpoints"));
  if (endpoints) {
    const all = endpoints.join(", ");
    const kept = filterReportingEndpoints(all, blocked());
    if (kept === null) res.removeHeader("reporting-endpoints");
    else if (kept !== splitHeaderList(all).parts.join(", ")) res.setHeader("reporting-endpoints", kept);
  }
  const reportTo = headerLines(res.getHeader("report-to"));
  if (reportTo && reportToLeaves(reportTo.join(", "), blocked())) res.removeHeader("report-to");
  const links = headerLines(res.getHeader("link"));
  if (links) {
    const kept = filterLinks(links, blocked());
    if (kept === null) res.removeHeader("link");
    else if (kept.length !== links.length || kept.some((l, i) => l !== links[i])) res.setHeader("link", kept);
  }
  const refresh = headerLines(res.getHeader("refresh"));
  if (refresh) {
    const check = blocked();
    const leaves = (value: string): boolean => {
      const target = refreshTarget(value);
      return target !== null && check(target);
    };
    if (refresh.some(leaves)) res.removeHeader("refresh");
  }
}

type EarlyHints = (hints: Record<string, string | string[]>, callback?: () => void) => void;

/**
 * Filters the `Link` entries of 103 Early Hints the app sends (`res.writeEarlyHints`) the same way.
 * When nothing is left to hint, no 103 is sent at all.
 */
export function filterEarlyHints(res: ServerResponse, blocked: () => BlockedUrl): void {
  const original = (res as { writeEarlyHints?: EarlyHints }).writeEarlyHints;
  if (typeof original !== "function") return;
  const filtered: EarlyHints = function (this: ServerResponse, hints, callback) {
    const out: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(hints ?? {})) {
      const lower = name.toLowerCase();
      if (lower === "speculation-rules") continue;
      if (lower !== "link") {
        out[name] = value;
        continue;
      }
      const kept = filterLinks(Array.isArray(value) ? value.map(String) : String(value), blocked());
      if (kept !== null) out[name] = kept;
    }
    if (!Object.keys(out).some((n) => n.toLowerCase() === "link")) {
      if (callback) process.nextTick(callback);
      return;
    }
    original.call(this, out as Record<string, string | string[]>, callback);
  };
  (res as { writeEarlyHints?: EarlyHints }).writeEarlyHints = filtered;
}
