import type { TrackerMatcher } from "./matcher.js";

/**
 * The verdict on a URL from the page's markup, resolved first as the browser resolves it: against
 * the page (`app.js` and `img/x.png` are the site's own). A `<base>` changes no verdict: one
 * to a blocked host is neutralized, so relative URLs resolve against the page; any other gives
 * them a host with the base's own verdict. A URL the browser cannot parse loads nothing.
 */
export function blocksFromPage(matcher: TrackerMatcher, url: string): string | null {
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
