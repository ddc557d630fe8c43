import { urlHost } from "./first-party.js";
import { plainlyRelative, type TrackerMatcher } from "./matcher.js";

/**
 * The verdict on a URL from the page's markup, resolved first as the browser resolves it: against
 * the page (`app.js` and `img/x.png` are the site's own). A `<base>` changes no verdict: one
 * to a blocked host is neutralized, so relative URLs resolve against the page; any other gives
 * them a host with the base's own verdict. A URL the browser cannot parse loads nothing.
 */
export function blocksFromPage(matcher: TrackerMatcher, url: string): string | null {
  const verdict = blocksResolved(matcher, url);
  if (verdict !== null || !NON_ASCII.test(url)) return verdict;
  // Markup reaches here as Latin-1 text, one character per byte. In a UTF-8 page the browser
  // reads those bytes as UTF-8 (a full-width "ｔ" in a host is a "t" to it), so that reading is
  // judged too; in any other charset it can only block more, never less.
  return blocksResolved(matcher, Buffer.from(url, "latin1").toString("utf8"));
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Per matcher (one a response): the page's base URL, and the verdict on the page's own host. */
const pages = new WeakMap<TrackerMatcher, { readonly base: string; readonly own: string | null }>();

function pageOf(matcher: TrackerMatcher, host: string): { readonly base: string; readonly own: string | null } {
  let page = pages.get(matcher);
  if (page === undefined) {
    const base = `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}/`;
    page = { base, own: matcher.blocksParsed(new URL(base)) };
    pages.set(matcher, page);
  }
  return page;
}

/**
 * Whether no URL in this markup value can load from a host the rule blocks, without looking at each:
 * the page's own host is not blocked, and the value has no ':' (so no scheme) and no "//", '\\',
 * tab or newline (so no host of its own: the URL parser removes tabs and newlines, and takes '\\'
 * for '/'). Every URL in it then resolves against the page, to the page's host.
 */
export function onlyPageUrls(matcher: TrackerMatcher, value: string): boolean {
  const host = matcher.firstPartyHost;
  return host !== null && pageOf(matcher, host).own === null && !SCHEME_OR_HOST.test(value);
}

const SCHEME_OR_HOST = /[:\\\t\n\r]|\/\//;

/**
 * `onlyPageUrls`'s test of the value, on its bytes as they are in the markup (Latin-1, character
 * references not decoded): one with a '&' is not taken as such, as a reference may stand for
 * any of the characters looked for.
 */
export function plainPageBytes(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x3a || c === 0x5c || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x26) return false;
    if (c === 0x2f && i + 1 < end && buf[i + 1] === 0x2f) return false;
  }
  return true;
}

function blocksResolved(matcher: TrackerMatcher, url: string): string | null {
  const host = matcher.firstPartyHost;
  if (host === null) return matcher.blocks(url);
  const page = pageOf(matcher, host);
  // Most of a page's URLs are its own paths: they keep the page's host, so they get its verdict without a parse.
  if (plainlyRelative(url)) return page.own;
  const resolved = resolvedHost(url, page.base);
  return resolved === null || resolved === "" ? null : matcher.blocksHost(resolved);
}

/**
 * The host of URLs of the markup resolved against a page's base ("" for a URL without one, null
 * for one the parser rejects), by base and URL: a page sends the same URLs on every request, and
 * each parse costs microseconds. Bounded: when full, it starts again empty.
 */
const resolvedHosts = new Map<string, string | null>();
const RESOLVED_HOSTS = 4096;
const LONGEST_RESOLVED = 2048;

function resolvedHost(url: string, base: string): string | null {
  if (url.length > LONGEST_RESOLVED) return hostOf(url, base);
  // A base is `http://<host>/`, without a newline.
  const key = `${base}\n${url}`;
  let host = resolvedHosts.get(key);
  if (host === undefined) {
    host = hostOf(url, base);
    if (resolvedHosts.size >= RESOLVED_HOSTS) resolvedHosts.clear();
    resolvedHosts.set(key, host);
  }
  return host;
}

function hostOf(url: string, base: string): string | null {
  try {
    return urlHost(new URL(url, base));
  } catch {
    return null;
  }
}
