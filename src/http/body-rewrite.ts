import { createHash, hash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type * as Cookie from "cookie";
import { requireCjs } from "../require-cjs.js";
import { consentDefaultScript } from "../actions/consent.js";
import { applySiteOnlyCsp } from "../actions/csp.js";
import { dismissalCookieName, noticeRevision, type NoticeRenderer, type NoticeStyle } from "../actions/notice.js";
import { parseSimpleSelector, SelectorError, type SimpleSelector } from "../actions/notice-selector.js";
import { guardScript, workerGuardScript } from "../actions/trackers/guard.js";
import { documentHost } from "../actions/trackers/first-party.js";
import type { TrackerList } from "../actions/trackers/list.js";
import { TrackerMatcher } from "../actions/trackers/matcher.js";
import type { ConsentAction, NoticeAction, TrackersAction } from "../rules/actions.js";
import type { Decision } from "../rules/decide.js";
import type { CompiledRule, RuleSet } from "../rules/types.js";
import { HtmlBodyRewriter, rewriteWhole, type RewriteOutcome } from "./body-rewriter.js";
import { charsetMode, contentTypeCharset, type CharsetMode } from "./charset.js";
import { EncodedBodyStream, parseContentEncoding, type BodySink, type BodyStream, type Coding } from "./content-encoding.js";
import { allowInjectedScripts, scriptHash } from "./csp-hashes.js";
import { framesetNoticeScript } from "./frameset-notice.js";
import type { ScannerLimits } from "./html-scanner.js";
import { joined, ResponseTap, type BodyPlan } from "./intercept.js";
import type { PagePlan, PlannedNotice } from "./page-rewriter.js";
import { requestPath } from "./request-path.js";
import { RewriteCache } from "./rewrite-cache.js";
import { notRewritableBecause } from "./rewritable.js";
import { mayBeSubresource, rewriteSubresourceWhole, scriptDestination, subresourceKind, SubresourceRewriter, type ScriptDestination, type SubresourcePlan } from "./subresource-rewrite.js";

const { parse: parseCookies } = requireCjs("cookie") as typeof Cookie;

/** What an app that renders the notice itself sets in `res.locals.geoCompliance`. */
export interface NoticeMarks {
  /** true: every notice is rendered by the app; a list: the notices of these rules are. */
  noticeRendered?: boolean | readonly string[];
}

export interface BodyRewritingOptions {
  readonly trackers: TrackerList;
  readonly notices: NoticeRenderer;
  /** Bytes of rewritten pages to keep; 0 for no cache. */
  readonly cacheBytes: number;
  readonly limits?: ScannerLimits;
}

/** A plan with what the cache and the headers need. */
interface ResponsePlan extends PagePlan {
  /** Everything besides the body that decides the output bytes. */
  readonly key: string;
  readonly scriptHashes: readonly string[];
  /** What the rewritten page's ETag adds to the original's: a digest of `key`. */
  readonly etagSuffix: string;
}

/** A plan made once for readers who get the same one, with the notes made while making it. */
interface KnownPlan {
  readonly plan: ResponsePlan | null;
  readonly notes: readonly string[];
}

/** Plans kept per rule set; the Host header is in the key, so a flood of made-up hosts must not grow it without end. */
const MAX_PLANS = 1000;

/** What tells a body action apart, for the plan key; remembered per action object (the rule set's are shared by all requests). */
const actionKeys = new WeakMap<object, string>();

function actionKey(a: NoticeAction | TrackersAction | ConsentAction): string {
  let key = actionKeys.get(a);
  if (key === undefined) {
    if (a.kind === "notice") key = `n ${a.rule} ${a.language} ${a.dismissible ? 1 : 0} ${JSON.stringify(a.placement)}`;
    else if (a.kind === "trackers") key = `t ${a.rule} ${a.mode} ${a.allow.join(" ")}`;
    else key = `c ${JSON.stringify(a.defaults)}`;
    actionKeys.set(a, key);
  }
  return key;
}

const EMPTY = Buffer.alloc(0);
const BODY_KINDS = new Set(["notice", "trackers", "consent"]);

/** The reader's request as the body stage needs it, kept before the app sees it. */
export interface ReaderFacts {
  readonly method: string;
  readonly host: string | null;
  readonly cookies: string | undefined;
  readonly ifNoneMatch: string | undefined;
  /** The path without the query: a response without a Content-Type is told apart by its extension. */
  readonly path?: string;
  /** Where a script will run, for the worker guard (not said when absent). */
  readonly destination?: ScriptDestination;
}

/** Browsers ask for pages with text/html in Accept; a request without Accept may get a page too. */
function acceptsHtml(accept: string | undefined): boolean {
  return accept === undefined || /text\/html|application\/xhtml\+xml/i.test(accept);
}

function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  const opaque = (t: string): string => t.trim().replace(/^W\//, "");
  const mine = opaque(etag);
  return header.split(",").some((t) => opaque(t) === mine);
}

function etagSuffix(planKey: string): string {
  return createHash("sha256").update(planKey).digest("base64url").slice(0, 12);
}

/** A validator of the original body must not validate the rewritten one: the new one names the revision and the actions. */
function withSuffix(etag: string, suffix: string): string {
  const match = /^(W\/)?"(.*)"$/.exec(etag.trim());
  return match ? `${match[1] ?? ""}"${match[2]}-gc${suffix}"` : `"gc${suffix}"`;
}

/**
 * The body half of the response stage: for a decision with notice, trackers or consent actions,
 * rewrites the HTML the app sends, reusing the rewritten bytes for the next reader who gets the
 * same page under the same actions.
 */
export class BodyRewriting {
  readonly cache: RewriteCache | null;
  private readonly rulesIndex = new WeakMap<RuleSet, Map<string, CompiledRule>>();
  private readonly selectors = new Map<string, SimpleSelector | SelectorError>();
  private readonly headScripts = new Map<string, { bytes: Buffer; hashes: string[] }>();
  private readonly workerGuards = new Map<string, string>();
  private readonly plans = new WeakMap<RuleSet, Map<string, KnownPlan>>();

  constructor(private readonly options: BodyRewritingOptions) {
    this.cache = options.cacheBytes > 0 ? new RewriteCache(options.cacheBytes) : null;
  }

  /** The tracker list the rewrite blocks from; the header stage filters `Link` entries by it too. */
  get trackerList(): TrackerList {
    return this.options.trackers;
  }

  /** Whether the decision asks anything of the body. */
  static wantsBody(decision: Decision): boolean {
    return decision.actions.some((a) => BODY_KINDS.has(a.kind));
  }

  /**
   * Sets up the rewrite of one response. On requests for a page (Accept: text/html), conditional
   * and range headers are taken off the request, so the app sends the whole page: a 304 or a byte
   * range of the page without the notice must not reach a reader who gets it with the notice.
   * The middleware answers If-None-Match itself, against the rewritten ETag. `path`: the request's
   * path without its query, which the middleware has already.
   */
  attach(req: IncomingMessage, res: ServerResponse, decision: Decision, ruleset: RuleSet, marks: NoticeMarks, outcome: RewriteOutcome, tap?: ResponseTap, path: string = requestPath(req)): void {
    if (!BodyRewriting.wantsBody(decision)) return;
    const headers = req.headers;
    const facts: ReaderFacts = {
      method: req.method ?? "GET",
      host: documentHost(req),
      cookies: headers.cookie,
      ifNoneMatch: headers["if-none-match"],
      path,
      destination: scriptDestination(req),
    };
    // Only for requests that want a page, or a stylesheet or script the trackers rewrite: images
    // and media keep their 304s and byte ranges.
    if (acceptsHtml(headers.accept) || (decision.actions.some((a) => a.kind === "trackers") && mayBeSubresource(req, path))) {
      delete headers["if-none-match"];
      delete headers["if-modified-since"];
      delete headers["if-match"];
      delete headers["if-unmodified-since"];
      delete headers.range;
      delete headers["if-range"];
    }
    (tap ?? ResponseTap.of(res)).body({ onHeaders: (response, whole) => this.onHeaders(response, whole, facts, decision, ruleset, marks, outcome) });
  }

  private onHeaders(res: ServerResponse, whole: Buffer | null, facts: ReaderFacts, decision: Decision, ruleset: RuleSet, marks: NoticeMarks, outcome: RewriteOutcome): BodyPlan | null {
    const head = facts.method === "HEAD";
    const why = notRewritableBecause(head ? "GET" : facts.method, res);
    // A stylesheet or script is rewritten for its trackers alone (see subresource-rewrite.ts).
    const sub = why === "not HTML" ? subresourceKind(res, facts.path ?? "") : null;
    if (why !== null && sub === null) return null;
    const declaredLabel = contentTypeCharset(res.getHeader("content-type") as string);
    const declared: CharsetMode | null = declaredLabel ? charsetMode(declaredLabel) : null;
    if (declared === "unsupported") {
      outcome.notes.push(`charset ${declaredLabel}: sent as it is`);
      return null;
    }
    const encoding = parseContentEncoding(res.getHeader("content-encoding"));
    if ("unsupported" in encoding) {
      outcome.error = `${encoding.unsupported}: cannot be rewritten; sent as it is`;
      return null;
    }
    const plan = this.planFor(facts, decision, ruleset, marks, outcome);
    if (plan === null || (sub !== null && plan.trackers === null)) return null;
    const subPlan: SubresourcePlan | null = sub === null ? null : { kind: sub, trackers: plan.trackers!, destination: sub === "script" ? (facts.destination ?? "unknown") : "other", workerGuard: (only) => this.workerGuard(plan.trackers!, only) };

    // The body will change: its length is no longer known up front, and its validators change.
    const etag = res.getHeader("etag");
    const contentLength = res.getHeader("content-length");
    res.removeHeader("content-length");
    res.removeHeader("last-modified");
    if (typeof etag === "string") {
      const newEtag = withSuffix(etag, plan.etagSuffix);
      res.setHeader("etag", newEtag);
      if (facts.ifNoneMatch !== undefined && etagMatches(facts.ifNoneMatch, newEtag)) {
        res.statusCode = 304;
        res.removeHeader("content-encoding");
        outcome.notes.push("not modified");
        return { whole: () => EMPTY, stream: (sink) => discard(sink) };
      }
    }
    if (subPlan === null) allowInjectedScripts(res, plan.scriptHashes);
    if (head) return null;

    const coding = encoding.coding;
    const validator = typeof etag === "string" ? etag : whole !== null && coding === null ? `#${hash("sha1", whole, "base64")}` : null;
    const cache = this.cache;
    const key = cache && validator !== null ? `${validator}\0${coding ?? ""}\0${String(res.getHeader("content-type"))}\0${String(contentLength ?? "")}\0${plan.key}\0${subPlan ? `${subPlan.kind} ${subPlan.destination}` : "page"}` : null;
    if (cache && key !== null) {
      const cached = cache.get(key);
      if (cached) {
        outcome.cache = "hit";
        outcome.rewritten = cached.rewritten;
        outcome.trackersNeutralized = cached.trackersNeutralized;
        outcome.notes.push(...cached.notes);
        res.setHeader("content-length", cached.body.length);
        return { whole: () => cached.body, stream: (sink) => replay(sink, cached.body) };
      }
      outcome.cache = "miss";
    }
    const store = cache !== null && key !== null && cache.admit(key) ? (body: Buffer): void => {
      if (outcome.error !== undefined) return;
      cache.set(key, { body, rewritten: outcome.rewritten, trackersNeutralized: outcome.trackersNeutralized, notes: [...outcome.notes] });
      outcome.cache = "stored";
    } : null;
    const limits = this.options.limits;
    const bodyPlan: BodyPlan = {
      stream: (sink) => {
        const out = store ? capturing(sink, cache!.maxEntryBytes, store) : sink;
        const stage = (write: (chunk: Buffer) => boolean) => (subPlan ? new SubresourceRewriter(subPlan, outcome, write) : new HtmlBodyRewriter(plan, declared, outcome, write, limits));
        if (coding !== null) {
          return new EncodedBodyStream(coding as Coding, stage, out, (message) => {
            outcome.error = message;
          });
        }
        const rewriter = stage(out.write);
        return {
          write: (chunk) => rewriter.write(chunk),
          end: () => {
            rewriter.end();
            out.end();
          },
          destroy: () => {},
        };
      },
    };
    if (coding === null) {
      bodyPlan.whole = (body) => {
        const rewritten = subPlan ? rewriteSubresourceWhole(subPlan, outcome, body) : rewriteWhole(plan, declared, outcome, body, limits);
        if (outcome.error !== undefined) {
          if (typeof etag === "string" && rewritten === body) res.setHeader("etag", etag);
          // What the rewrite did not reach of a page under a `list` rule, only a policy stops now.
          if (subPlan === null && decision.actions.some((a) => a.kind === "trackers" && a.mode === "list")) {
            applySiteOnlyCsp(res);
            outcome.error += "; the page was sent with a policy that loads from the site's own hosts only";
          }
        }
        store?.(joined(rewritten));
        return rewritten;
      };
    }
    return bodyPlan;
  }

  /**
   * What this reader's page gets, or null when nothing is left to do. Made once per rule set for
   * all readers who get the same: it depends on the body actions, the Host, the notices dismissed
   * and the notices the app rendered itself, and on nothing else of the request.
   */
  planFor(facts: ReaderFacts, decision: Decision, ruleset: RuleSet, marks: NoticeMarks, outcome: RewriteOutcome): ResponsePlan | null {
    const rendered = marks.noticeRendered;
    let key = `${facts.host ?? ""}|${rendered === true ? "*" : Array.isArray(rendered) ? rendered.join(",") : ""}`;
    let cookies: Record<string, string | undefined> | null = null;
    for (const a of decision.actions) {
      if (a.kind !== "notice" && a.kind !== "trackers" && a.kind !== "consent") continue;
      key += `|${actionKey(a)}`;
      if (a.kind === "notice" && a.dismissible) {
        const rule = this.rule(ruleset, a.rule);
        cookies ??= facts.cookies ? parseCookies(facts.cookies) : {};
        if (rule?.notice && cookies[dismissalCookieName(rule.id)] === noticeRevision(rule)) key += "-dismissed";
      }
    }
    let plans = this.plans.get(ruleset);
    if (!plans) {
      plans = new Map();
      this.plans.set(ruleset, plans);
    }
    let known = plans.get(key);
    if (!known) {
      const notes: string[] = [];
      known = { plan: this.makePlan(facts, decision, ruleset, marks, notes), notes };
      if (plans.size >= MAX_PLANS) plans.clear();
      plans.set(key, known);
    }
    if (known.notes.length > 0) outcome.notes.push(...known.notes);
    return known.plan;
  }

  private makePlan(facts: ReaderFacts, decision: Decision, ruleset: RuleSet, marks: NoticeMarks, notes: string[]): ResponsePlan | null {
    const noticeActions = decision.actions.filter((a): a is NoticeAction => a.kind === "notice");
    const trackerActions = decision.actions.filter((a): a is TrackersAction => a.kind === "trackers");
    const consentActions = decision.actions.filter((a): a is ConsentAction => a.kind === "consent");
    const rendered = marks.noticeRendered;
    let cookies: Record<string, string | undefined> | null = null;
    const notices: PlannedNotice[] = [];
    const scriptHashes: string[] = [];
    const keyParts: string[] = [decision.revision];
    for (const action of noticeActions) {
      if (rendered === true || (Array.isArray(rendered) && rendered.includes(action.rule))) continue;
      const rule = this.rule(ruleset, action.rule);
      if (!rule?.notice) continue;
      if (action.dismissible) {
        cookies ??= facts.cookies ? parseCookies(facts.cookies) : {};
        if (cookies[dismissalCookieName(rule.id)] === noticeRevision(rule)) continue;
      }
      let placement = action.placement;
      let selector: SimpleSelector | null = null;
      if (placement.at === "selector") {
        const parsed = this.selector(placement.selector);
        if (parsed instanceof SelectorError) {
          notes.push(`notice ${rule.id}: ${parsed.message}; placed at the start of <body>`);
          placement = { at: "body-start" };
        } else {
          selector = parsed;
        }
      }
      const style: NoticeStyle = placement.at === "body-start" ? "top" : placement.at === "body-end" ? "bottom" : "inline";
      const options = { dismissible: action.dismissible };
      const primary = this.options.notices.render(rule, action.language, { ...options, style });
      const fallback = this.options.notices.render(rule, action.language, { ...options, style: "bottom" });
      const framesetScript = framesetNoticeScript(primary.utf8.toString("utf8"));
      for (const s of [...primary.scripts, ...fallback.scripts, framesetScript]) scriptHashes.push(scriptHash(s));
      notices.push({ rule: rule.id, placement, selector, rendered: primary, fallback, frameset: Buffer.from(`<script>${framesetScript}</script>`, "latin1") });
      keyParts.push(`n:${rule.id}:${action.language}:${JSON.stringify(placement)}:${action.dismissible ? 1 : 0}`);
    }
    const trackers = trackerActions.length > 0 ? new TrackerMatcher(trackerActions, this.options.trackers, facts.host) : null;
    if (trackers) keyParts.push(`t:${trackers.key}`);
    const consent = consentDefaultScript(consentActions);
    if (consent) keyParts.push(`c:${consent}`);
    if (notices.length === 0 && !trackers && !consent) return null;
    const headScripts = this.head(trackers, consent);
    if (headScripts) scriptHashes.push(...headScripts.hashes);
    const key = keyParts.join("\n");
    return { head: headScripts?.bytes ?? null, notices, trackers, key, scriptHashes: [...new Set(scriptHashes)], etagSuffix: etagSuffix(key) };
  }

  /** The scripts that go first in <head>: the guard, then the consent defaults. */
  private head(trackers: TrackerMatcher | null, consent: string | null): { bytes: Buffer; hashes: string[] } | null {
    if (!trackers && !consent) return null;
    const key = `${trackers ? `${trackers.key}@${trackers.firstPartyHost ?? ""}` : ""}\n${consent ?? ""}`;
    let entry = this.headScripts.get(key);
    if (!entry) {
      const scripts: string[] = [];
      if (trackers) {
        scripts.push(
          guardScript({
            rules: trackers.guardRules(),
            listDomains: trackers.list.domains(),
            firstPartyDomain: trackers.firstPartyDomain,
            firstPartyHost: trackers.firstPartyHost,
          }),
        );
      }
      if (consent) scripts.push(consent);
      const html = scripts.map((s, i) => `<script data-geo-compliance="${trackers && i === 0 ? "guard" : "consent"}">${s}</script>`).join("");
      entry = { bytes: Buffer.from(html, "latin1"), hashes: scripts.map(scriptHash) };
      if (this.headScripts.size >= 1000) this.headScripts.clear();
      this.headScripts.set(key, entry);
    }
    return entry;
  }

  /** The guard put first in a worker script, per tracker configuration and page host. */
  private workerGuard(trackers: TrackerMatcher, onlyInWorker: boolean): string {
    const key = `${trackers.key}@${trackers.firstPartyHost ?? ""}${onlyInWorker ? "?" : ""}`;
    let guard = this.workerGuards.get(key);
    if (guard === undefined) {
      guard = workerGuardScript({ rules: trackers.guardRules(), listDomains: trackers.list.domains(), firstPartyDomain: trackers.firstPartyDomain, firstPartyHost: trackers.firstPartyHost }, onlyInWorker);
      if (this.workerGuards.size >= 1000) this.workerGuards.clear();
      this.workerGuards.set(key, guard);
    }
    return guard;
  }

  private rule(ruleset: RuleSet, id: string): CompiledRule | undefined {
    let index = this.rulesIndex.get(ruleset);
    if (!index) {
      index = new Map(ruleset.rules.map((r) => [r.id, r]));
      this.rulesIndex.set(ruleset, index);
    }
    return index.get(id);
  }

  private selector(source: string): SimpleSelector | SelectorError {
    let parsed = this.selectors.get(source);
    if (parsed === undefined) {
      try {
        parsed = parseSimpleSelector(source);
      } catch (error) {
        parsed = error instanceof SelectorError ? error : new SelectorError(source, 0, String(error));
      }
      if (this.selectors.size >= 1000) this.selectors.clear();
      this.selectors.set(source, parsed);
    }
    return parsed;
  }
}

/** A body already rewritten: sent at the first write; what the app writes is not needed. */
function replay(sink: BodySink, body: Buffer): BodyStream {
  let sent = false;
  const send = (): void => {
    if (sent) return;
    sent = true;
    sink.write(body);
  };
  return {
    write: () => {
      send();
      return true;
    },
    end: () => {
      send();
      sink.end();
    },
    destroy: () => {},
  };
}

/** A 304: nothing of the body is sent. */
function discard(sink: BodySink): BodyStream {
  return { write: () => true, end: () => sink.end(), destroy: () => {} };
}

/** Passes output through and keeps a copy for the cache, up to `limit` bytes. */
function capturing(sink: BodySink, limit: number, store: (body: Buffer) => void): BodySink {
  let pieces: Buffer[] | null = [];
  let length = 0;
  return {
    write: (chunk) => {
      if (pieces) {
        length += chunk.length;
        if (length > limit) pieces = null;
        else pieces.push(Buffer.from(chunk));
      }
      return sink.write(chunk);
    },
    end: () => {
      if (pieces) store(Buffer.concat(pieces, length));
      pieces = null;
      sink.end();
    },
    onDrain: (listener) => sink.onDrain(listener),
  };
}

export type { ResponsePlan };
