import type { ScannedAttr, ScannedTag } from "../../http/html-scanner.js";
import { escapeHtml } from "../escape.js";
import { asciiHtml } from "../notice.js";
import { decodeAttribute } from "../notice-selector.js";
import type { TrackerMatcher } from "./matcher.js";

/**
 * The neutral form follows the consent-manager convention: a blocked script becomes
 * `type="text/plain"`, each URL attribute that would load a tracker is renamed to
 * `data-geo-compliance-<attr>` (value kept byte for byte), and the element carries
 * `data-geo-compliance-blocked="<vendor>"`. A consent manager turns one back on by copying the
 * attribute back (and `data-geo-compliance-type`, if any, to `type`).
 */
export const BLOCKED_ATTR = "data-geo-compliance-blocked";
export const SAVED_PREFIX = "data-geo-compliance-";

/** The attributes through which each element loads something. */
const URL_ATTRS: Readonly<Record<string, readonly string[]>> = {
  script: ["src"],
  img: ["src", "srcset"],
  iframe: ["src"],
  frame: ["src"],
  source: ["src", "srcset"],
  video: ["src", "poster"],
  audio: ["src"],
  embed: ["src"],
  object: ["data"],
  input: ["src"],
  link: ["href"],
  a: ["ping"],
  area: ["ping"],
};

export const TRACKER_ELEMENTS: ReadonlySet<string> = new Set(Object.keys(URL_ATTRS));

/** `<link rel>` values that make the browser fetch or connect. */
const FETCHING_RELS = new Set(["stylesheet", "preconnect", "dns-prefetch", "preload", "prefetch", "modulepreload", "prerender", "icon", "apple-touch-icon", "manifest", "mask-icon"]);

const JS_TYPES = new Set([
  "",
  "module",
  "text/javascript",
  "application/javascript",
  "application/ecmascript",
  "application/x-ecmascript",
  "application/x-javascript",
  "text/ecmascript",
  "text/javascript1.0",
  "text/javascript1.1",
  "text/javascript1.2",
  "text/javascript1.3",
  "text/javascript1.4",
  "text/javascript1.5",
  "text/jscript",
  "text/livescript",
  "text/x-ecmascript",
  "text/x-javascript",
]);

export function attrValue(tag: ScannedTag, a: ScannedAttr): string {
  return a.valueStart < 0 ? "" : decodeAttribute(tag.raw.slice(a.valueStart, a.valueEnd));
}

export function firstAttr(tag: ScannedTag, name: string): ScannedAttr | undefined {
  for (const a of tag.attrs) if (a.name === name) return a;
  return undefined;
}

/** Whether a script element runs as JavaScript (classic or module), as opposed to data such as JSON-LD. */
export function isExecutableScript(tag: ScannedTag): boolean {
  const type = firstAttr(tag, "type");
  if (!type) return true;
  return JS_TYPES.has(attrValue(tag, type).trim().toLowerCase());
}

function urlsOf(name: string, value: string): string[] {
  if (name === "srcset") return value.split(",").map((c) => c.trim().split(/[\t\n\f\r ]+/)[0] ?? "").filter((u) => u !== "");
  if (name === "ping") return value.split(/[\t\n\f\r ]+/).filter((u) => u !== "");
  return [value];
}

interface Splice {
  readonly at: number;
  readonly end: number;
  readonly text: string;
}

function applySplices(raw: string, splices: Splice[]): string {
  splices.sort((a, b) => a.at - b.at);
  let out = "";
  let last = 0;
  for (const s of splices) {
    out += raw.slice(last, s.at) + s.text;
    last = s.end;
  }
  return out + raw.slice(last);
}

function blockedMarker(label: string): string {
  return ` ${BLOCKED_ATTR}="${asciiHtml(escapeHtml(label))}"`;
}

/** For a script: the `type` attributes renamed and `type="text/plain"` put first, so it is what the browser reads. */
function scriptSplices(tag: ScannedTag, label: string): Splice[] {
  const at = 1 + tag.name.length;
  const splices: Splice[] = [{ at, end: at, text: ` type="text/plain"${blockedMarker(label)}` }];
  for (const a of tag.attrs) if (a.name === "type") splices.push({ at: a.nameStart, end: a.nameEnd, text: `${SAVED_PREFIX}type` });
  return splices;
}

export interface Neutralized {
  /** The new start tag, as Latin-1 text (bytes outside the renamed names are the original's). */
  readonly raw: string;
  readonly label: string;
}

/** The neutral form of a start tag that loads a tracker, or null when it loads none. */
export function neutralizeTag(tag: ScannedTag, matcher: TrackerMatcher): Neutralized | null {
  const names = URL_ATTRS[tag.name];
  if (!names) return null;
  if (tag.name === "link") {
    const rel = firstAttr(tag, "rel");
    if (!rel || !attrValue(tag, rel).toLowerCase().split(/[\t\n\f\r ]+/).some((r) => FETCHING_RELS.has(r))) return null;
  }
  let label: string | null = null;
  const blockedNames = new Set<string>();
  const seen = new Set<string>();
  for (const a of tag.attrs) {
    if (!names.includes(a.name) || seen.has(a.name)) continue;
    // Only the first of duplicate attributes counts for the browser.
    seen.add(a.name);
    for (const url of urlsOf(a.name, attrValue(tag, a))) {
      const vendor = matcher.blocks(url);
      if (vendor) {
        label ??= vendor;
        blockedNames.add(a.name);
        break;
      }
    }
  }
  if (label === null) return null;
  const splices: Splice[] = [];
  for (const a of tag.attrs) if (blockedNames.has(a.name)) splices.push({ at: a.nameStart, end: a.nameEnd, text: `${SAVED_PREFIX}${a.name}` });
  if (tag.name === "script") splices.push(...scriptSplices(tag, label));
  else splices.push({ at: 1 + tag.name.length, end: 1 + tag.name.length, text: blockedMarker(label) });
  return { raw: applySplices(tag.raw, splices), label };
}

/** An inline script start tag made inert. */
export function neutralizeInlineScript(tag: ScannedTag, label: string): string {
  return applySplices(tag.raw, scriptSplices(tag, label));
}
