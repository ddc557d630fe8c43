import type { TrackerMatcher } from "./matcher.js";

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

function blocksResolved(matcher: TrackerMatcher, url: string): string | null {
  const host = matcher.firstPartyHost;
  if (host === null) return matcher.blocks(url);
  let resolved: string;
  try {
    resolved = new URL(url, `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}/`).href;
  } catch {
    return null;
  }
  return matcher.blocks(resolved);
}
