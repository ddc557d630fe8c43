import type { ScannedAttr, ScannedTag } from "../../http/html-scanner.js";
import { escapeHtml } from "../escape.js";
import { asciiHtml } from "../notice.js";
import { decodeAttribute } from "../notice-selector.js";
import { neutralizeCss } from "./css.js";
import { dataDocument, DOCUMENT_URL_ATTRS, runsScript } from "./data-document.js";
import type { TrackerMatcher } from "./matcher.js";
import { blocksFromPage, onlyPageUrls } from "./page-url.js";
import { prehidingScript, prehidingStyle, UNHIDE_STYLE } from "./prehiding.js";
import { inlineScriptTracker } from "./snippets.js";

/**
 * The neutral form follows the consent-manager convention: a blocked script becomes
 * `type="text/plain"`, each URL attribute that would load a tracker is renamed to
 * `data-geo-compliance-<attr>` (value kept byte for byte), and the element carries
 * `data-geo-compliance-blocked="<vendor>"`. A consent manager turns one back on by copying the
 * attribute back (and `data-geo-compliance-type`, if any, to `type`).
 */
export const BLOCKED_ATTR = "data-geo-compliance-blocked";
export const SAVED_PREFIX = "data-geo-compliance-";

/**
 * The attributes through which each element loads something (SVG names are lower case, as scanned).
 * Maps, not objects: a page's element may be named `constructor`.
 */
const URL_ATTRS: ReadonlyMap<string, readonly string[]> = new Map(Object.entries({
  // attributionsrc: Chrome's Attribution Reporting requests each URL listed, as the page loads (a
  // click for <a> and <area>). Debian's Chromium leaves the feature off, so no corpus page shows it.
  script: ["src", "href", "xlink:href", "attributionsrc"],
  img: ["src", "srcset", "attributionsrc"],
  image: ["href", "xlink:href", "src"],
  use: ["href", "xlink:href"],
  feimage: ["href", "xlink:href"],
  iframe: ["src"],
  frame: ["src"],
  source: ["src", "srcset"],
  video: ["src", "poster"],
  audio: ["src"],
  track: ["src"],
  embed: ["src"],
  object: ["data"],
  input: ["src"],
  link: ["href", "imagesrcset"],
  // Relative URLs after a neutralized <base> resolve against the page: first party.
  base: ["href"],
  body: ["background"],
  table: ["background"],
  td: ["background"],
  th: ["background"],
  a: ["ping", "attributionsrc"],
  area: ["ping", "attributionsrc"],
}));

/** The attributes through which an element loads something, besides `style`. */
export function urlAttributes(name: string): readonly string[] {
  return URL_ATTRS.get(name) ?? [];
}

/** SVG animations that set a URL attribute of their target, and the attributes holding the URLs. */
const ANIMATIONS: ReadonlyMap<string, readonly string[]> = new Map([
  ["set", ["to"]],
  ["animate", ["values", "from", "to", "by"]],
]);

/** Elements that load something through markup other than a `style` attribute: assembled whole. */
export const TRACKER_ELEMENTS: ReadonlySet<string> = new Set([...URL_ATTRS.keys(), ...ANIMATIONS.keys(), "meta", "style"]);

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

function urlsOf(name: string, value: string): string[] {
  if (name === "srcset" || name === "imagesrcset") return value.split(",").map((c) => c.trim().split(/[\t\n\f\r ]+/)[0] ?? "").filter((u) => u !== "");
  if (name === "ping" || name === "attributionsrc") return value.split(/[\t\n\f\r ]+/).filter((u) => u !== "");
  return [value];
}

interface Splice {
  readonly at: number;
  readonly end: number;
  readonly text: string;
}

function applySplices(raw: string, splices: Splice[]): string {
  if (splices.length === 0) return raw;
  // By position, in place (a tag has a few): Array#sort allocates its work space on every call.
  for (let i = 1; i < splices.length; i++) {
    const s = splices[i]!;
    let j = i - 1;
    for (; j >= 0 && splices[j]!.at > s.at; j--) splices[j + 1] = splices[j]!;
    splices[j + 1] = s;
  }
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
  /** The vendor whose loads were switched off, or null when only the reader's view changed (autofocus). */
  readonly label: string | null;
}

/** What a start tag is judged against. */
export interface TagContext {
  /** Null when no rule blocks trackers for this reader. */
  readonly trackers: TrackerMatcher | null;
  /** A notice waits at the start of <body>: a field that takes the focus would scroll it away. */
  readonly dropAutofocus: boolean;
  /** The vendor a `srcdoc` document loads something of, or null: it is rewritten as a page of its own. */
  srcdocTracker(html: string): string | null;
}

/** Script types whose content loads nothing by itself but tells the browser to (checked in `scriptContent`). */
export function scriptKind(tag: ScannedTag): "js" | "importmap" | "speculationrules" | "data" {
  const type = firstAttr(tag, "type");
  const value = type ? attrValue(tag, type).trim().toLowerCase() : "";
  if (value === "importmap") return "importmap";
  if (value === "speculationrules") return "speculationrules";
  return !type || JS_TYPES.has(value) ? "js" : "data";
}

/** Whether an inline script's content must be seen before it goes out. */
export function holdsContent(tag: ScannedTag): boolean {
  if (firstAttr(tag, "src")) return false;
  const kind = scriptKind(tag);
  return kind === "js" || kind === "importmap";
}

/** The URL a `<meta http-equiv=refresh>` goes to, as the HTML standard reads its content, or null. */
export function refreshUrl(content: string): string | null {
  const m = /^[\t\n\f\r ]*[0-9.]*[\t\n\f\r ]*[;,]?[\t\n\f\r ]*(?:url[\t\n\f\r ]*=[\t\n\f\r ]*)?/i.exec(content)!;
  let url = content.slice(m[0].length);
  if (url === "") return null;
  const q = url[0];
  if (q === '"' || q === "'") {
    const close = url.indexOf(q, 1);
    url = url.slice(1, close === -1 ? url.length : close);
  }
  return url.trim() === "" ? null : url;
}

/** The vendor of the first URL in these attributes (the first of duplicates counts) that the rule blocks, with the attributes that hold one. */
function blockedAttrs(tag: ScannedTag, names: readonly string[], matcher: TrackerMatcher, urls: (name: string, value: string) => string[]): { label: string; attrs: Set<string> } | null {
  let label: string | null = null;
  let attrs: Set<string> | null = null;
  // Which of `names` were seen, one bit each: only the first of duplicate attributes counts for the browser.
  let seen = 0;
  for (const a of tag.attrs) {
    const i = names.indexOf(a.name);
    if (i < 0 || (seen & (1 << i)) !== 0) continue;
    seen |= 1 << i;
    const value = attrValue(tag, a);
    if (onlyPageUrls(matcher, value)) continue;
    for (const url of urls(a.name, value)) {
      const vendor = blocksFromPage(matcher, url);
      if (vendor) {
        label ??= vendor;
        (attrs ??= new Set()).add(a.name);
        break;
      }
    }
  }
  return label === null ? null : { label, attrs: attrs! };
}

function isFetchingLink(tag: ScannedTag): boolean {
  const rel = firstAttr(tag, "rel");
  return rel !== undefined && attrValue(tag, rel).toLowerCase().split(/[\t\n\f\r ]+/).some((r) => FETCHING_RELS.has(r));
}

/** What an element would load that the rule blocks: the vendor and the attributes to rename. */
function blockedLoads(tag: ScannedTag, ctx: TagContext, matcher: TrackerMatcher): { label: string; attrs: Set<string> } | null {
  const name = tag.name;
  const names = URL_ATTRS.get(name);
  if (names && (name !== "link" || isFetchingLink(tag))) {
    const found = blockedAttrs(tag, names, matcher, urlsOf);
    if (found) return found;
  }
  const animated = ANIMATIONS.get(name);
  if (animated) {
    const target = firstAttr(tag, "attributename");
    const attr = target ? attrValue(tag, target).trim().toLowerCase() : "";
    if (attr === "href" || attr === "xlink:href" || attr === "src") return blockedAttrs(tag, animated, matcher, (n, v) => (n === "values" ? v.split(";").map((u) => u.trim()) : [v]));
  }
  if (name === "meta") {
    const equiv = firstAttr(tag, "http-equiv");
    const content = firstAttr(tag, "content");
    if (equiv && content && attrValue(tag, equiv).trim().toLowerCase() === "refresh") {
      const url = refreshUrl(attrValue(tag, content));
      const vendor = url === null ? null : blocksFromPage(matcher, url);
      if (vendor) return { label: vendor, attrs: new Set(["http-equiv"]) };
    }
  }
  const docAttr = DOCUMENT_URL_ATTRS.get(name);
  const docUrl = docAttr ? firstAttr(tag, docAttr) : undefined;
  const doc = docUrl ? dataDocument(attrValue(tag, docUrl)) : null;
  if (doc !== null) {
    const vendor = runsScript(doc) ? "data-document-script" : ctx.srcdocTracker(doc);
    if (vendor) return { label: vendor, attrs: new Set([docAttr!]) };
  }
  if (name === "iframe") {
    const srcdoc = firstAttr(tag, "srcdoc");
    const vendor = srcdoc ? ctx.srcdocTracker(attrValue(tag, srcdoc)) : null;
    if (vendor) return { label: vendor, attrs: new Set(["srcdoc"]) };
  }
  return null;
}

/**
 * The start tag rewritten for this reader, or null when it stays as it is: what it would load from
 * a blocked host switched off (URL attributes renamed, a `style` attribute's blocked URLs made inert,
 * speculation rules and prehiding styles disabled), and `autofocus` dropped under a top notice.
 */
export function rewriteStartTag(tag: ScannedTag, ctx: TagContext): Neutralized | null {
  const matcher = ctx.trackers;
  const splices: Splice[] = [];
  let label: string | null = null;
  let front = "";
  if (matcher) {
    const loads = blockedLoads(tag, ctx, matcher);
    if (loads) {
      label = loads.label;
      for (const a of tag.attrs) if (loads.attrs.has(a.name)) splices.push({ at: a.nameStart, end: a.nameEnd, text: `${SAVED_PREFIX}${a.name}` });
    }
    if (tag.name === "script") {
      // Speculative loads are never needed: every set of rules goes, whatever it names.
      if (label === null && scriptKind(tag) === "speculationrules") label = "speculation rules";
      if (label !== null) splices.push(...scriptSplices(tag, label));
    } else if (tag.name === "style") {
      const id = firstAttr(tag, "id");
      const vendor = id ? prehidingStyle(attrValue(tag, id), matcher) : null;
      if (vendor) {
        label = vendor;
        // The first `media` wins: the style sheet applies nowhere.
        front = ' media="not all"';
      }
    }
    const style = firstAttr(tag, "style");
    if (style && style.valueStart >= 0) {
      const css = styleRewrite(tag, style, matcher);
      if (css) {
        label ??= css.label;
        splices.push({ at: style.nameStart, end: style.nameEnd, text: `${SAVED_PREFIX}style` });
        front += css.attr;
      }
    }
  }
  let focus = false;
  if (ctx.dropAutofocus) {
    for (const a of tag.attrs) {
      if (a.name !== "autofocus") continue;
      splices.push({ at: a.nameStart, end: a.nameEnd, text: `${SAVED_PREFIX}autofocus` });
      focus = true;
    }
  }
  if (label === null && !focus) return null;
  const at = 1 + tag.name.length;
  if (label !== null && tag.name !== "script") front = blockedMarker(label) + front;
  if (front !== "") splices.push({ at, end: at, text: front });
  return { raw: applySplices(tag.raw, splices), label };
}

/** A `style` attribute with the blocked URLs made inert, as an attribute to put first, or null. */
function styleRewrite(tag: ScannedTag, style: ScannedAttr, matcher: TrackerMatcher): { attr: string; label: string } | null {
  const raw = tag.raw.slice(style.valueStart, style.valueEnd);
  const decoded = decodeAttribute(raw);
  const css = neutralizeCss(decoded, matcher);
  if (!css) return null;
  // Character references would have to be written back in the page's charset: such a style goes whole.
  if (decoded !== raw) return { attr: "", label: css.label };
  const q = style.quote === 0x27 ? "'" : '"';
  return { attr: ` style=${q}${css.css}${q}`, label: css.label };
}

/**
 * The verdict on an inline script's content: the vendor it belongs to, and markup to put before
 * it. Import maps are judged by the URLs they map to, prehiding snippets by their signatures
 * (and the page is shown again), other scripts by what they load.
 */
export function inlineScriptVerdict(tag: ScannedTag, code: string, matcher: TrackerMatcher): { label: string; before: string } | null {
  if (scriptKind(tag) === "importmap") {
    const vendor = importMapTracker(code, matcher);
    return vendor ? { label: vendor, before: "" } : null;
  }
  const hiding = prehidingScript(code, matcher);
  if (hiding) return { label: hiding, before: UNHIDE_STYLE };
  const vendor = inlineScriptTracker(code, matcher);
  return vendor ? { label: vendor, before: "" } : null;
}

/** The vendor of the first URL an import map maps to that the rule blocks; a map the browser would reject loads nothing. */
export function importMapTracker(json: string, matcher: TrackerMatcher): string | null {
  let map: unknown;
  try {
    map = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof map !== "object" || map === null) return null;
  const { imports, scopes } = map as { imports?: unknown; scopes?: unknown };
  const lists: unknown[] = [imports];
  if (typeof scopes === "object" && scopes !== null) lists.push(...Object.values(scopes));
  for (const list of lists) {
    if (typeof list !== "object" || list === null) continue;
    for (const url of Object.values(list)) {
      const vendor = typeof url === "string" ? blocksFromPage(matcher, url) : null;
      if (vendor) return vendor;
    }
  }
  return null;
}

/**
 * For a start tag too long to inspect: attributes that, put before its own, switch off what it
 * would load or run as the page is read (of two attributes of one name the first counts). What a
 * script it runs later asks for, the guard judges.
 */
export function uninspectedAttributes(name: string): string {
  let out = ` ${BLOCKED_ATTR}="uninspected"`;
  if (name === "script") out += ' type="text/plain"';
  else if (name === "link") out += ' rel=""';
  else if (name === "meta") out += ' http-equiv=""';
  else if (name === "iframe") out += ' srcdoc=""';
  for (const attr of new Set([...urlAttributes(name), ...(ANIMATIONS.get(name) ?? []), "style"])) out += ` ${attr}=""`;
  return out;
}

/** An inline script start tag made inert. */
export function neutralizeInlineScript(tag: ScannedTag, label: string): string {
  return applySplices(tag.raw, scriptSplices(tag, label));
}
