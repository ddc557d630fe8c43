import type { TrackerMatcher } from "./matcher.js";

/**
 * Calls that the usual inline tracker snippets make, each with a host of the vendor it belongs to,
 * so that the vendor is blocked only when the reader's rule blocks that host (an allowlist or an
 * operator's list that leaves the vendor out lets the snippet run).
 */
const CALLS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bgtag\s*\(/, "googletagmanager.com"],
  [/\bfbq\s*\(/, "facebook.net"],
  [/\bym\s*\(\s*\d/, "yandex.ru"],
  [/\b_tmr\b/, "mail.ru"],
  [/\btwq\s*\(/, "ads-twitter.com"],
  [/\blintrk\b|\b_linkedin_partner_id\b/, "licdn.com"],
  [/\bttq\s*\.\s*(?:load|page|track|identify)\s*\(/, "tiktok.com"],
  [/\bhj\s*\(|\b_hjSettings\b/, "hotjar.com"],
  [/\bclarity\s*\(|["']clarity["']/, "clarity.ms"],
  [/\b_qevents\b|\b__qc\b/, "quantserve.com"],
  [/\b_comscore\b|\bCOMSCORE\s*\./, "scorecardresearch.com"],
  [/\b_sf_async_config\b/, "chartbeat.com"],
  [/\b_taboola\b/, "taboola.com"],
  [/\bOBR\s*\.\s*extern\b/, "outbrain.com"],
  [/\bcriteo_q\b/, "criteo.com"],
  [/\bNREUM\b/, "nr-data.net"],
  [/\bmixpanel\s*\.\s*init\s*\(/, "mixpanel.com"],
  [/\bamplitude\s*\.\s*(?:init|getInstance)\s*\(/, "amplitude.com"],
  [/\banalytics\s*\.\s*load\s*\(\s*["']/, "segment.com"],
  [/\buetq\b/, "bing.com"],
  [/\bpintrk\s*\(/, "pinimg.com"],
  [/\bsnaptr\s*\(/, "snapchat.com"],
  [/\brdt\s*\(\s*["'](?:init|track)/, "redditstatic.com"],
  [/\bVK\s*\.\s*Retargeting\b/, "vk.com"],
];

/**
 * URLs and host names inside a script: after a scheme and `//` or a bare `//` (also JSON-escaped
 * `\/\/`, also with backslashes, which the URL parser reads as slashes), or a host name quoted on
 * its own. Group 1: the scheme, 2: the slashes, 3: the host; 4: a quoted host alone.
 */
const URL_IN_SCRIPT = /(?:\b([a-z][a-z0-9+.-]*):)?((?:\\?[/\\]){2})([^\s"'`/\\?#<>()]+)|(?<=["'`])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62})(?=["'`])/gi;

/** A host name with a dot, or an IPv4 address, and an optional port. */
const DOMAIN_LIKE = /^(?:[a-z0-9-]+\.)+[a-z0-9-]+(?::\d*)?$/i;

/** Namespace URIs: names, never fetched (`createElementNS(SVG, …)`, `xmlns` values). */
const NAMESPACES = new Set([
  "http://www.w3.org/2000/svg",
  "http://www.w3.org/1999/xhtml",
  "http://www.w3.org/1999/xlink",
  "http://www.w3.org/1998/math/mathml",
  "http://www.w3.org/xml/1998/namespace",
  "http://www.w3.org/2000/xmlns/",
  "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
  "http://www.w3.org/2005/atom",
  "http://schema.org",
  "https://schema.org",
  "http://schema.org/",
  "https://schema.org/",
]);

/** Text before a string that makes it a name or something compared, never a fetch. */
const NOT_FETCHED_BEFORE = /(?:\b(?:createElementNS|createAttributeNS|setAttributeNS|getAttributeNS|hasAttributeNS|removeAttributeNS|getAttributeNodeNS|getElementsByTagNameNS|lookupPrefix|isDefaultNamespace|createDocument|indexOf|lastIndexOf|startsWith|endsWith|includes)\s*\(\s*|[=!]==?\s*|\bcase\s*)$/;
/** Text after a string that compares it. */
const NOT_FETCHED_AFTER = /^\s*[=!]==?/;
/** Text before a string that hands it to something that loads it. */
const FETCHED_BEFORE = new RegExp(
  String.raw`(?:\b(?:fetch|import|importScripts|sendBeacon|register|Worker|SharedWorker|WebSocket|EventSource|Image|Audio|open|write|writeln|insertAdjacentHTML|createContextualFragment|setHTMLUnsafe|parseFromString)\s*\(\s*(?:["'][^"']*["']\s*,\s*)?|` +
    String.raw`\bsetAttribute\s*\(\s*["'](?:src|href|srcset|data|poster|action|ping|formaction|background|xlink:href)["']\s*,\s*|` +
    String.raw`(?:\.(?:src|href|srcset|data|poster|action|ping|formAction|innerHTML|outerHTML|cssText|background)|\blocation)\s*\+?=\s*|` +
    String.raw`(?:\b(?:src|href|url|endpoint|action|poster|srcset)\b["']?\s*:\s*)|url\(\s*["']?|\b(?:src|href|srcset|action|poster|data|ping)\s*=\s*["']?)$`,
);

/** `fetched`, `not-fetched`, or not known: `kept` for a string of its own, `inside` for one in other text (a comment, markup). */
type Context = "fetched" | "not-fetched" | "kept" | "inside";

/**
 * What a script does with the URL found from `start` to `end`: hands it to something that loads
 * it, names or compares it, or something we cannot tell (assigned, passed on, built up).
 */
function contextOf(code: string, start: number, end: number): Context {
  const before = code.slice(Math.max(0, start - 120), start);
  const quote = before.slice(-1);
  const quoted = quote === '"' || quote === "'" || quote === "`";
  const lead = quoted ? before.slice(0, -1) : before;
  if (FETCHED_BEFORE.test(lead)) return "fetched";
  if (!quoted) return "inside";
  if (NOT_FETCHED_BEFORE.test(lead)) return "not-fetched";
  const close = code.indexOf(quote, end);
  if (close !== -1 && NOT_FETCHED_AFTER.test(code.slice(close + 1, close + 40))) return "not-fetched";
  if (close !== -1 && NAMESPACES.has(code.slice(start, close).toLowerCase())) return "not-fetched";
  return "kept";
}

/**
 * The tracker an inline script loads or calls, or null. Looks for the vendors' call signatures
 * (gtag, fbq, ym, _tmr, twq, lintrk, ttq, hj, clarity…) and for URLs the script loads.
 *
 * A script is judged by what it loads, not by the strings it holds: a namespace URI, a URL it
 * compares with, or the address of a share link is no request. A URL is taken as loaded when it is
 * handed to something that fetches (`fetch(`, `import(`, `new Image`, `.src =`, `XMLHttpRequest`'s
 * `open`, `sendBeacon`, `importScripts`, `new Worker`, markup written with `src=`), and also, where
 * the script only keeps it (assigned, passed on, built up), when it is protocol-relative (`//host/`,
 * a form used for loading) or its host is on the tracker list. The tradeoff: an unlisted third-party
 * URL kept in a variable and loaded later leaves the script running, so in `third-party` mode the
 * guard script and the policy stop that load; a listed tracker is switched off however it is
 * written, at the price of a page script that merely mentions one. Code that builds a host name
 * piece by piece is left to the guard script in the page.
 */
export function inlineScriptTracker(code: string, matcher: TrackerMatcher): string | null {
  for (const [call, host] of CALLS) {
    if (call.test(code)) {
      const vendor = matcher.blocksHost(host);
      if (vendor) return vendor;
    }
  }
  URL_IN_SCRIPT.lastIndex = 0;
  for (let m = URL_IN_SCRIPT.exec(code); m !== null; m = URL_IN_SCRIPT.exec(code)) {
    const scheme = m[1];
    const bareHost = m[4];
    // `//` without a scheme is also a comment or a regular expression: only a domain-like host counts.
    const protocolRelative = scheme === undefined && bareHost === undefined;
    if (protocolRelative && !DOMAIN_LIKE.test(m[3]!)) continue;
    let host: string;
    try {
      host = new URL(`http://${(m[3] ?? bareHost)!}/`).hostname.replace(/\.+$/, "");
    } catch {
      continue; // not a host name: `//` in a comment, a regular expression, a template's `${`
    }
    if (host === "" || (scheme !== undefined && !/^(?:https?|wss?|ftp)$/i.test(scheme))) continue;
    const vendor = matcher.blocksHost(host);
    if (!vendor) continue;
    const context = contextOf(code, m.index, m.index + m[0].length);
    if (context === "not-fetched") continue;
    // A host alone is no URL (`fetch("cdn.example")` is a relative path): only a listed one counts.
    if (context === "fetched" && bareHost === undefined) return vendor;
    // Kept, passed on or mentioned: fail closed for the tracker list, and for a `//host/` string.
    if (matcher.list.match(host) !== undefined) return vendor;
    if (protocolRelative && context === "kept") return vendor;
  }
  return null;
}
