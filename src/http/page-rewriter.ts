import type { RenderedNotice } from "../actions/notice.js";
import { decodeAttribute, selectorMatches, type SimpleSelector } from "../actions/notice-selector.js";
import { neutralizeCss, type CssRewrite } from "../actions/trackers/css.js";
import { inlineImports } from "../actions/trackers/inline-imports.js";
import type { TrackerMatcher } from "../actions/trackers/matcher.js";
import { onlyPageUrls, plainPageBytes } from "../actions/trackers/page-url.js";
import { attrValue, BLOCKED_ATTR, firstAttr, holdsContent, inlineScriptVerdict, neutralizeInlineScript, rewriteStartTag, scriptKind, TRACKER_ELEMENTS, uninspectedAttributes, urlAttributes, type Neutralized, type TagContext } from "../actions/trackers/neutralize.js";
import type { NoticePlacement } from "../rules/actions.js";
import { charsetMode, metaContentCharset, type CharsetMode } from "./charset.js";
import { FragmentVerdicts } from "./fragment-verdicts.js";
import { DEFAULT_LIMITS, HtmlScanner, type ScanHandler, type ScannedTag, type TagEdit, type ValueNeedles } from "./html-scanner.js";
import { HtmlTree } from "./html-tree.js";
import { StyleContentTap } from "./style-content.js";

/** What ends a `<noscript>`'s raw text (scripting on). */
const NOSCRIPT_END = /<\/noscript[\t\n\f\r />]/i;

export interface PlannedNotice {
  readonly rule: string;
  readonly placement: NoticePlacement;
  readonly selector: SimpleSelector | null;
  /** Rendered for its placement. */
  readonly rendered: RenderedNotice;
  /** Rendered to stick to the bottom of the viewport: where a selector that matched nothing puts it. */
  readonly fallback: RenderedNotice;
  /** For a frameset document, which has no body: an inline script that shows the notice in a popover (ASCII). */
  readonly frameset: Buffer;
}

/** Everything one response's rewrite does, decided before the first byte. */
export interface PagePlan {
  /** Scripts to run first in <head> (guard, consent defaults), ASCII. */
  readonly head: Buffer | null;
  readonly notices: readonly PlannedNotice[];
  readonly trackers: TrackerMatcher | null;
}

/** What happened while rewriting one page. */
export interface RewriteStats {
  changed: boolean;
  trackersNeutralized: number;
  notes: string[];
}

/** Elements that belong in <head>: they do not start the body when it has no tag. */
const HEAD_ELEMENTS = new Set(["html", "head", "title", "base", "meta", "link", "script", "style", "noscript", "template", "basefont", "bgsound"]);
/** What the head scripts may go after: nothing in these loads or runs anything. */
const BEFORE_HEAD_SCRIPTS = new Set(["html", "head", "title", "base", "meta"]);
/** Elements a selector never places a notice in: not rendered, or their content is text. */
const NOT_A_PLACE = new Set(["html", "head", "title", "base", "meta", "link", "script", "style", "noscript", "template", "textarea", "xmp", "iframe", "noembed", "noframes", "plaintext"]);
/**
 * Start tags after which `<frameset>` no longer replaces the body (they set the tree builder's
 * frameset-ok flag to "not ok"), as non-whitespace text does.
 */
const FRAMESET_NOT_OK = new Set(["applet", "marquee", "object", "table", "area", "br", "embed", "img", "keygen", "wbr", "input", "hr", "textarea", "xmp", "iframe", "select", "pre", "listing", "li", "dd", "dt", "button"]);
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);
/**
 * Elements whose start tag `rewriteStartTag` changes only for these attributes (their URL attributes
 * and `style`), and for `autofocus` under a top notice: a tag with none of them is not assembled.
 */
const LOADING_ATTRS = new Map(
  ["a", "area", "body", "table", "td", "th"].map((name) => {
    const plain = [...urlAttributes(name), "style"];
    return [name, { plain, withAutofocus: [...plain, "autofocus"] }] as const;
  }),
);
const STYLE_ONLY: readonly string[] = ["style"];
/**
 * Elements that load only through their URL attributes (and `style`): `rewriteStartTag` changes
 * nothing else of them. When the page's own host is not blocked, one whose URL attributes all hold
 * URLs of the page (`plainPageBytes`, as `onlyPageUrls` judges them) is not assembled.
 */
const PAGE_URLS_SKIPPED = new Map(
  ["img", "source", "video", "audio", "track"].map((name) => {
    const of = (names: readonly string[]): ValueNeedles => ({ names, values: urlAttributes(name), needed: mayLoadOffPage, all: [...names, ...urlAttributes(name)] });
    return [name, { plain: of(STYLE_ONLY), withAutofocus: of(["style", "autofocus"]) }] as const;
  }),
);

function mayLoadOffPage(buf: Uint8Array, start: number, end: number): boolean {
  return !plainPageBytes(buf, start, end);
}
const AUTOFOCUS_ONLY: readonly string[] = ["autofocus"];
/** Elements that take the focus with `autofocus` on most pages. */
const FOCUSABLE = new Set(["input", "textarea", "select", "button"]);

interface SelectorState {
  readonly notice: PlannedNotice;
  phase: "pending" | "inside" | "done";
  /** Nesting of same-name elements inside the matched one, and its name. */
  depth: number;
  matchedName: string;
}

function concat(parts: Buffer[]): Buffer | undefined {
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** Carries out a PagePlan as the scanner reports tags. */
export class PageRewriter implements ScanHandler {
  private headPending: boolean;
  private bodyStarted = false;
  private bodyStartPending: PlannedNotice[];
  private bodyEndPending: PlannedNotice[];
  private readonly selectors: SelectorState[];
  /** Inside <template>: nothing placed there would be seen. (<noscript> is raw text: no tag in it comes here.) */
  private inert = 0;
  private metaMode: CharsetMode | null = null;
  private readonly tags: TagContext;
  private unhidden = false;
  private styles: StyleContentTap | null = null;
  /**
   * The body began and a `<frameset>` could still replace it. The start-of-body notices are then
   * held back with the output behind them (`TagEdit.hold`): text in them would keep the frames out.
   */
  private framesetOk = false;
  private held: PlannedNotice[] | null = null;
  /** After </head> a <noscript> is not head content: the tree builder begins the body for it. */
  private headClosed = false;
  /**
   * The head scripts are in, the body began for sure and every selector is done: from then on (it
   * stays so) `wants` answers by the name alone.
   */
  settled = false;

  constructor(
    private readonly plan: PagePlan,
    /** From a byte order mark or the Content-Type header; null when neither says. */
    private readonly declared: CharsetMode | null,
    readonly stats: RewriteStats,
    /** The scanner's: where SVG or MathML is open, a notice first closes it, or it would not be HTML. */
    private readonly tree: HtmlTree = new HtmlTree(),
  ) {
    this.headPending = plan.head !== null;
    this.bodyStartPending = plan.notices.filter((n) => n.placement.at === "body-start");
    this.bodyEndPending = plan.notices.filter((n) => n.placement.at === "body-end");
    this.selectors = plan.notices.filter((n) => n.placement.at === "selector" && n.selector).map((notice): SelectorState => ({ notice, phase: "pending", depth: 0, matchedName: "" }));
    const trackers = plan.trackers;
    this.tags = {
      trackers,
      // Dropping the focus changes less than a notice stuck over the top of every screen.
      dropAutofocus: this.bodyStartPending.length > 0,
      srcdocTracker: (html) => (trackers ? srcdocTracker(html, trackers) : null),
    };
  }

  /** The notices not yet in the output: what a rewrite that fails still owes the reader. */
  unplacedNotices(): PlannedNotice[] {
    const unplaced = this.selectors.filter((s) => s.phase === "pending" || (s.phase === "inside" && s.notice.placement.at === "selector" && s.notice.placement.mode === "append")).map((s) => s.notice);
    return [...(this.held ?? []), ...this.bodyStartPending, ...unplaced, ...this.bodyEndPending];
  }

  get watchText(): boolean {
    return this.framesetOk || (this.inert === 0 && (this.headPending || (!this.bodyStarted && this.bodyStartPending.length > 0)));
  }

  /** Where the scanner's output goes: through a tap that rewrites `<style>` content when trackers are blocked. */
  output(out: (chunk: Buffer) => void): (chunk: Buffer) => void {
    const trackers = this.plan.trackers;
    if (!trackers) return out;
    this.styles = new StyleContentTap(
      out,
      (css) => {
        const rewritten = styleVerdicts.verdict(trackers, "", css, () => neutralizeCss(css, trackers));
        if (!rewritten) return null;
        this.stats.trackersNeutralized++;
        this.stats.changed = true;
        return rewritten.css;
      },
      DEFAULT_LIMITS.maxScriptBytes,
      (what) => this.abandoned(what),
    );
    return this.styles.write;
  }

  /** At the end of the body (`rewrite`), or before the rest goes out unchanged: what the output tap holds. */
  flushOutput(rewrite = true): void {
    this.styles?.flush(rewrite);
  }

  private get mode(): CharsetMode {
    return this.declared ?? this.metaMode ?? "ascii";
  }

  private bytes(n: RenderedNotice): Buffer {
    this.stats.changed = true;
    const markup = this.mode === "utf8" ? n.utf8 : n.ascii;
    return this.tree.open ? Buffer.concat([Buffer.from(this.tree.leave(), "latin1"), markup]) : markup;
  }

  private takeHead(parts: Buffer[]): void {
    if (!this.headPending) return;
    this.headPending = false;
    this.stats.changed = true;
    parts.push(this.plan.head!);
  }

  /** The body begins at a tag after which a <frameset> may still come: the notices are provisional. */
  private startBodyHeld(at: "before" | "after"): TagEdit["hold"] {
    this.bodyStarted = true;
    this.framesetOk = true;
    if (this.bodyStartPending.length === 0) return undefined;
    const parts = this.bodyStartPending.map((n) => this.bytes(n.rendered));
    this.held = this.bodyStartPending;
    this.bodyStartPending = [];
    return { bytes: Buffer.concat(parts), at };
  }

  /** Frameset-ok turned "not ok": a body page for sure, whose held notices stay where they were put. */
  private bodyForSure(): TagEdit["release"] {
    this.framesetOk = false;
    if (this.held === null) return undefined;
    this.held = null;
    return "keep";
  }

  holdEnded(): void {
    this.held = null;
  }

  /**
   * A frameset document has no body: no markup after <frameset> is rendered. Every notice not yet
   * placed goes in a top-layer popover that an inline script before <frameset> adds; a reader
   * without scripting gets no notice on such a page.
   */
  private frameset(parts: Buffer[]): TagEdit["release"] {
    // Everything open goes with the body the frameset replaces.
    this.tree.frameset = true;
    this.tree.leave();
    const held = this.held;
    const notices = [...(held ?? []), ...this.bodyStartPending, ...this.selectors.filter((s) => s.phase !== "done").map((s) => s.notice), ...this.bodyEndPending];
    this.held = null;
    this.framesetOk = false;
    this.bodyStarted = true;
    this.bodyStartPending = [];
    this.bodyEndPending = [];
    for (const s of this.selectors) s.phase = "done";
    if (notices.length === 0) return undefined;
    this.stats.changed = true;
    const scripts = Buffer.concat(notices.map((n) => n.frameset));
    // Where the held notices were (still the head, to the tree builder), not in the body the frameset replaces.
    if (held !== null) return scripts;
    // Out of any template, or the scripts would not run.
    if (this.inert > 0) parts.push(Buffer.from("</template>".repeat(this.inert)));
    this.inert = 0;
    parts.push(scripts);
    return undefined;
  }

  private startBody(parts: Buffer[]): void {
    this.bodyStarted = true;
    for (const n of this.bodyStartPending) parts.push(this.bytes(n.rendered));
    this.bodyStartPending = [];
  }

  private selectorFallback(parts: Buffer[]): void {
    for (const s of this.selectors) {
      if (s.phase === "done") continue;
      if (s.phase === "pending") {
        this.stats.notes.push(`notice ${s.notice.rule}: no element matches "${s.notice.selector!.source}"; placed at the end of <body>`);
        parts.push(this.bytes(s.notice.fallback));
      } else if (s.notice.placement.at === "selector" && s.notice.placement.mode === "append") {
        parts.push(this.bytes(s.notice.rendered));
      }
      s.phase = "done";
    }
  }

  private endBody(parts: Buffer[]): void {
    this.selectorFallback(parts);
    for (const n of this.bodyEndPending) parts.push(this.bytes(n.rendered));
    this.bodyEndPending = [];
  }

  wants(name: string, end: boolean): boolean | readonly string[] | ValueNeedles {
    this.settled ||= !this.headPending && this.bodyStarted && !this.framesetOk && this.selectors.every((s) => s.phase === "done");
    return this.answer(name, end);
  }

  private answer(name: string, end: boolean): boolean | readonly string[] | ValueNeedles {
    if (end) {
      if (name === "body" || name === "html" || name === "head" || name === "br" || name === "noscript" || name === "template") return true;
    } else {
      if (this.headPending || !this.bodyStarted || this.framesetOk) return true;
      if (name === "noscript" || name === "template" || name === "body" || name === "plaintext") return true;
    }
    for (const s of this.selectors) {
      if (s.phase === "done") continue;
      const tag = s.notice.selector!.tag;
      if (s.phase === "inside" ? s.matchedName === name : !end && (tag === null || tag === name)) return true;
    }
    if (end) return false;
    if (this.plan.trackers) {
      if (this.tags.dropAutofocus && FOCUSABLE.has(name)) return true;
      // Elements that load only through some attributes (<a ping>) are assembled only with one of them.
      const needles = LOADING_ATTRS.get(name);
      if (needles) return this.tags.dropAutofocus ? needles.withAutofocus : needles.plain;
      const skipped = PAGE_URLS_SKIPPED.get(name);
      if (skipped && this.pageUrlsSkipped()) return this.tags.dropAutofocus ? skipped.withAutofocus : skipped.plain;
      // Any element may load through its style attribute; the rest of such tags are not even assembled.
      return TRACKER_ELEMENTS.has(name) ? true : STYLE_ONLY;
    }
    return this.tags.dropAutofocus && FOCUSABLE.has(name) ? AUTOFOCUS_ONLY : false;
  }

  /** Whether URLs that resolve to the page's own host load nothing blocked (`onlyPageUrls` holds of a value without one). */
  private pageUrlsSkipped(): boolean {
    return onlyPageUrls(this.plan.trackers!, "");
  }

  startTag(tag: ScannedTag): TagEdit | undefined {
    const name = tag.name;
    const before: Buffer[] = [];
    const after: Buffer[] = [];
    let replace: Buffer | undefined;
    let holdContent = false;
    let suppress = false;
    let hold: TagEdit["hold"];
    let release: TagEdit["release"];
    if (name === "meta") this.readMeta(tag);
    // A <frameset> in a template in the head is ignored; once a body began, it replaces it from anywhere while frameset-ok holds.
    if (!tag.foreign && (name === "frameset" ? (!this.bodyStarted && this.inert === 0) || this.framesetOk : this.framesetOk && this.clearsFramesetOk(tag))) {
      this.takeHead(before);
      release = name === "frameset" ? this.frameset(before) : this.bodyForSure();
    }
    if (this.inert === 0) {
      if (this.headPending && (!BEFORE_HEAD_SCRIPTS.has(name) || (name === "meta" && this.isCspMeta(tag)))) this.takeHead(before);
      if (!this.bodyStarted) {
        // An explicit <body> sets frameset-ok to "not ok"; a body the tree builder makes for another tag does not.
        if (name === "body") this.startBody(after);
        else if (HEAD_ELEMENTS.has(name) && !(name === "noscript" && this.headClosed)) {
          // Head content: the body has not begun.
        } else if (tag.foreign || !this.clearsFramesetOk(tag)) hold = this.startBodyHeld("before");
        else this.startBody(before);
      }
      for (const s of this.selectors) {
        if (s.phase === "inside") {
          if (s.matchedName === name && !VOID.has(name)) s.depth++;
          continue;
        }
        if (s.phase !== "pending" || tag.foreign || NOT_A_PLACE.has(name) || !this.matches(s.notice.selector!, tag)) continue;
        const placement = s.notice.placement;
        if (placement.at !== "selector") continue;
        const bytes = this.bytes(s.notice.rendered);
        if (placement.mode === "replace") {
          replace = bytes;
          if (VOID.has(name)) s.phase = "done";
          else {
            suppress = true;
            s.phase = "inside";
            s.depth = 0;
            s.matchedName = name;
          }
        } else if (placement.mode === "prepend" || VOID.has(name)) {
          after.push(bytes);
          s.phase = "done";
        } else {
          s.phase = "inside";
          s.depth = 0;
          s.matchedName = name;
        }
      }
    }
    if (name === "template" && !tag.foreign) this.inert++;
    if (name === "plaintext" && !tag.foreign) this.beforePlaintext(before);
    const trackers = this.plan.trackers;
    if (replace === undefined && (trackers || this.tags.dropAutofocus)) {
      // The tag's bytes decide its name and attributes, but for `<image>` outside SVG (an `<img>`).
      const rewritten = trackers ? startTagVerdicts[(this.tags.dropAutofocus ? 2 : 0) + (tag.foreign ? 1 : 0)]!.verdict(trackers, name, tag.raw, () => rewriteStartTag(tag, this.tags)) : rewriteStartTag(tag, this.tags);
      if (rewritten) {
        replace = Buffer.from(rewritten.raw, "latin1");
        if (rewritten.label !== null) this.stats.trackersNeutralized++;
        this.stats.changed = true;
      } else if (this.plan.trackers && name === "script" && holdsContent(tag)) {
        holdContent = true;
      }
      if (name === "style" && this.styles && !tag.selfClosing) {
        replace ??= Buffer.from(tag.raw, "latin1");
        this.styles.arm(replace);
      }
    }
    // Scripting on, <noscript> is raw text; without scripting its content is markup that loads: held and looked at as such.
    if (trackers && name === "noscript" && !tag.foreign) holdContent = true;
    if (before.length === 0 && after.length === 0 && replace === undefined && !holdContent && !hold && !release) return undefined;
    return { before: concat(before), after: concat(after), replace, holdContent, suppress, hold, release };
  }

  endTag(tag: ScannedTag): TagEdit | undefined {
    const name = tag.name;
    if (name === "template") {
      if (this.inert > 0) this.inert--;
      return undefined;
    }
    const release = this.framesetOk && name === "br" ? this.bodyForSure() : undefined;
    if (this.inert > 0) return release ? { release } : undefined;
    const before: Buffer[] = [];
    let resume: TagEdit["resume"];
    const closesBody = name === "body" || name === "html";
    for (const s of this.selectors) {
      if (s.phase !== "inside") continue;
      const matched = s.matchedName;
      if (matched === name && s.depth > 0) {
        s.depth--;
        continue;
      }
      if (matched !== name && !closesBody) continue;
      const placement = s.notice.placement;
      if (placement.at === "selector" && placement.mode === "replace") resume = matched === name ? "after" : "before";
      else before.push(this.bytes(s.notice.rendered));
      s.phase = "done";
    }
    if (name === "head") this.headClosed = true;
    if (this.headPending && (name === "head" || closesBody || name === "br")) this.takeHead(before);
    if (!this.bodyStarted && (closesBody || name === "br")) this.startBody(before);
    if (closesBody) this.endBody(before);
    if (before.length === 0 && resume === undefined && !release) return undefined;
    return { before: concat(before), resume, release };
  }

  scriptContent(tag: ScannedTag, content: Buffer): Buffer | { readonly content: Buffer } | undefined {
    const trackers = this.plan.trackers;
    if (!trackers || content.length === 0) return undefined;
    const verdict = scriptVerdict(tag, content.toString("latin1"), trackers);
    if (!verdict) return undefined;
    this.stats.changed = true;
    if ("content" in verdict) {
      // Its imports rewritten, as a script file's are (inline-imports.ts).
      if (verdict.blocked !== null) this.stats.trackersNeutralized++;
      return { content: Buffer.from(verdict.content, "latin1") };
    }
    this.stats.trackersNeutralized++;
    // The page is shown again once per page.
    const before = this.unhidden ? "" : verdict.before;
    if (before !== "") this.unhidden = true;
    return Buffer.from(before + neutralizeInlineScript(tag, verdict.label), "latin1");
  }

  rawContent(_tag: ScannedTag, content: Buffer): Buffer | undefined {
    const trackers = this.plan.trackers;
    if (!trackers || content.length === 0) return undefined;
    const mode = this.mode;
    const verdict = noscriptVerdicts.verdict(trackers, mode, content.toString("latin1"), () => noscriptVerdict(content, trackers, mode));
    if (verdict === null) return undefined;
    this.stats.changed = true;
    this.stats.trackersNeutralized += verdict.neutralized;
    if (verdict.note !== null) this.stats.notes.push(verdict.note);
    return verdict.content;
  }

  /**
   * Nothing after <plaintext> is markup: every notice not yet placed goes before it, out of any
   * template it is in (the page then shows the template's plaintext: a page built so cannot keep both).
   */
  private beforePlaintext(before: Buffer[]): void {
    const pending = this.bodyStartPending.length > 0 || this.bodyEndPending.length > 0 || this.selectors.some((s) => s.phase !== "done");
    if (!pending) return;
    if (this.inert > 0 || this.tree.templates > 0) {
      before.push(Buffer.from("</template>".repeat(Math.max(this.inert, this.tree.templates))));
      this.inert = 0;
      this.tree.templates = 0;
    }
    if (!this.bodyStarted) this.startBody(before);
    this.endBody(before);
  }

  text(): Pick<TagEdit, "before" | "release"> | undefined {
    const before: Buffer[] = [];
    const release = this.framesetOk ? this.bodyForSure() : undefined;
    this.takeHead(before);
    if (!this.bodyStarted) this.startBody(before);
    if (before.length === 0 && !release) return undefined;
    return { before: concat(before), release };
  }

  private clearsFramesetOk(tag: ScannedTag): boolean {
    if (!FRAMESET_NOT_OK.has(tag.name)) return false;
    if (tag.name !== "input") return true;
    const type = firstAttr(tag, "type");
    return !type || attrValue(tag, type).trim().toLowerCase() !== "hidden";
  }

  end(): Buffer | undefined {
    const parts: Buffer[] = [];
    this.takeHead(parts);
    if (!this.bodyStarted) this.startBody(parts);
    this.endBody(parts);
    return concat(parts);
  }

  abandoned(what: string): void {
    this.stats.notes.push(`${what} went out uninspected`);
  }

  /**
   * An inline script too long to inspect, under a `list` rule: switched off as a tracker's script
   * is, since it may be one. Under a `third-party` rule the policy holds whatever it does.
   */
  oversizedScript(tag: ScannedTag): Buffer | undefined {
    const trackers = this.plan.trackers;
    if (!trackers || trackers.thirdPartyMode) return undefined;
    this.stats.changed = true;
    this.stats.notes.push("an inline script longer than the inspection limit was switched off");
    return Buffer.from(neutralizeInlineScript(tag, "uninspected"), "latin1");
  }

  /**
   * A start tag too long to inspect, under a `list` rule: switched off, since it may load a
   * tracker's URL and nothing else would stop it. Under a `third-party` rule the policy holds.
   */
  oversizedTag(name: string): Buffer | undefined {
    const trackers = this.plan.trackers;
    if (!trackers || trackers.thirdPartyMode) return undefined;
    this.stats.changed = true;
    this.stats.notes.push(`a <${name}> tag longer than the inspection limit was switched off`);
    return Buffer.from(uninspectedAttributes(name), "latin1");
  }

  private matches(selector: SimpleSelector, tag: ScannedTag): boolean {
    return selectorMatches(selector, {
      name: tag.name,
      attr: (n) => {
        const a = firstAttr(tag, n);
        return a ? attrValue(tag, a) : null;
      },
    });
  }

  private isCspMeta(tag: ScannedTag): boolean {
    const equiv = firstAttr(tag, "http-equiv");
    return equiv !== undefined && attrValue(tag, equiv).trim().toLowerCase() === "content-security-policy";
  }

  private readMeta(tag: ScannedTag): void {
    if (this.metaMode !== null) return;
    let label: string | null = null;
    const charset = firstAttr(tag, "charset");
    if (charset) label = attrValue(tag, charset);
    else {
      const equiv = firstAttr(tag, "http-equiv");
      const content = firstAttr(tag, "content");
      if (equiv && content && attrValue(tag, equiv).trim().toLowerCase() === "content-type") label = metaContentCharset(attrValue(tag, content));
    }
    if (label === null || label.trim() === "") return;
    const mode = charsetMode(label);
    // A <meta> that names UTF-16 means UTF-8 to a browser (the bytes were readable as ASCII to get here).
    this.metaMode = mode === "unsupported" ? (/^\s*utf-?16/i.test(label) ? "utf8" : "ascii") : mode;
  }
}

/** What an inline script's content gets: switched off (by a vendor), its imports rewritten, or nothing. */
type ScriptVerdict = { readonly label: string; readonly before: string } | { readonly content: string; readonly blocked: string | null } | null;

const scriptVerdicts = new FragmentVerdicts<ScriptVerdict>();
const styleVerdicts = new FragmentVerdicts<CssRewrite | null>();
/** By whether autofocus is dropped and whether the tag is foreign, then by name. */
const startTagVerdicts = Array.from({ length: 4 }, () => new FragmentVerdicts<Neutralized | null>());

function scriptVerdict(tag: ScannedTag, code: string, trackers: TrackerMatcher): ScriptVerdict {
  // Only whether it is an import map counts of the tag.
  return scriptVerdicts.verdict(trackers, scriptKind(tag) === "importmap" ? "importmap" : "js", code, () => {
    const verdict = inlineScriptVerdict(tag, code, trackers);
    if (verdict) return verdict;
    const result = inlineImports(tag, code, trackers);
    if (result === null) return null;
    return "switchOff" in result ? { label: result.switchOff, before: "" } : result;
  });
}

/** A `<noscript>`'s content rewritten as markup that loads (scripting off), or null when it stays as it is. */
interface NoscriptVerdict {
  readonly content: Buffer;
  readonly neutralized: number;
  readonly note: string | null;
}

const noscriptVerdicts = new FragmentVerdicts<NoscriptVerdict | null>();

function noscriptVerdict(content: Buffer, trackers: TrackerMatcher, mode: CharsetMode): NoscriptVerdict | null {
  const stats: RewriteStats = { changed: false, trackersNeutralized: 0, notes: [] };
  const pieces: Buffer[] = [];
  const nested = new PageRewriter({ head: null, notices: [], trackers }, mode, stats);
  const scanner = new HtmlScanner(nested, nested.output((c) => void pieces.push(Buffer.from(c))));
  scanner.write(content);
  scanner.end();
  if (!stats.changed) return null;
  const rewritten = Buffer.concat(pieces);
  // End tags the rewrite put in to leave SVG or MathML (`</noscript>` for an SVG element of that
  // name) would end the raw text early, and what follows would be read as markup: the content goes.
  if (NOSCRIPT_END.test(rewritten.toString("latin1"))) {
    return { content: Buffer.alloc(0), neutralized: stats.trackersNeutralized, note: "a <noscript>'s content was dropped: its rewrite would have ended the <noscript> early" };
  }
  return { content: rewritten, neutralized: stats.trackersNeutralized, note: null };
}

/** The vendor a `srcdoc` document loads something of, found by rewriting it as a page of its own. */
function srcdocTracker(html: string, trackers: TrackerMatcher): string | null {
  const stats: RewriteStats = { changed: false, trackersNeutralized: 0, notes: [] };
  const out: Buffer[] = [];
  const nested = new PageRewriter({ head: null, notices: [], trackers }, "utf8", stats);
  const scanner = new HtmlScanner(nested, nested.output((c) => void out.push(c)));
  scanner.write(Buffer.from(html, "utf8"));
  scanner.end();
  nested.flushOutput();
  if (stats.trackersNeutralized === 0) return null;
  const marker = new RegExp(`${BLOCKED_ATTR}="([^"]*)"`).exec(Buffer.concat(out).toString("utf8"));
  return marker ? decodeAttribute(marker[1]!) : "third-party";
}
