import type { IncomingMessage, ServerResponse } from "node:http";
import { sendBlock } from "../actions/block.js";
import { cacheScope, DOCUMENT_POLICY_HEADERS, responseKind, type CacheSafety } from "../actions/cache.js";
import { CookieFilter, cookiePatternProblem, dropCookies, TRACKING_COOKIE_FILTER } from "../actions/cookies.js";
import { applyThirdPartyCsp } from "../actions/csp.js";
import { gpcResource, GPC_PATH, sendGpcResource } from "../actions/gpc.js";
import { applyPrivacyHeaders, applyRuleHeaders } from "../actions/headers.js";
import { applyHintFilters, filterEarlyHints, type BlockedUrl } from "../actions/resource-hints.js";
import { documentHost } from "../actions/trackers/first-party.js";
import { TrackerList } from "../actions/trackers/list.js";
import { TrackerMatcher } from "../actions/trackers/matcher.js";
import { sendRedirect } from "../actions/redirect.js";
import type { Region } from "../region/types.js";
import type { BlockAction, CookiesAction, HeaderAction, RedirectAction, TrackersAction } from "../rules/actions.js";
import type { Decision } from "../rules/decide.js";
import type { RuleSet } from "../rules/types.js";
import { ResponseTap } from "./intercept.js";

export interface ResponseContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly region: Region;
  readonly decision: Decision;
  readonly decisionId: string;
  readonly ruleset: RuleSet;
  readonly now: Date;
  /** Problems met while carrying out the actions, for the decision log. */
  readonly problems: string[];
  /** The response's tap, when the middleware made one. */
  readonly tap?: ResponseTap;
}

/** Cookie patterns compiled once per action (actions are built once per rule set). */
const filters = new WeakMap<CookiesAction, CookieFilter>();

function filterFor(action: CookiesAction, problems: string[]): CookieFilter {
  let filter = filters.get(action);
  if (!filter) {
    const bad = action.drop.filter((p) => cookiePatternProblem(p) !== null);
    for (const p of bad) problems.push(`rule ${action.rule}: cookies: ${cookiePatternProblem(p)}`);
    filter = new CookieFilter(action.drop.filter((p) => cookiePatternProblem(p) === null));
    if (bad.length === 0) filters.set(action, filter);
  }
  return filter;
}

/**
 * Carries out a decision's response actions other than the body rewrite: answers in place of the
 * app (GPC resource, block, redirect), or sets the headers when the app's headers are final.
 */
export class ResponseActions {
  constructor(
    private readonly cache: CacheSafety,
    /** The tracker list the body rewrite uses, so headers and markup block the same hosts. */
    private readonly trackerList: TrackerList = TrackerList.EMPTY,
  ) {}

  /** Before the app runs. Returns true when the response has been answered and the app must not run. */
  answer(ctx: ResponseContext): boolean {
    const { req, res, method, path, decision } = ctx;
    // The GPC statement is the same for every reader, so it needs no cache marking.
    if (path === GPC_PATH && (method === "GET" || method === "HEAD")) {
      const resource = gpcResource(ctx.ruleset, ctx.now);
      if (resource) {
        sendGpcResource(res, method, resource);
        return true;
      }
    }
    const scope = cacheScope(ctx.ruleset, path);
    const block = decision.actions.find((a): a is BlockAction => a.kind === "block");
    if (block) {
      this.cache.apply(res, ctx.region, scope, true);
      const rule = ctx.ruleset.rules.find((r) => r.id === block.rule);
      const ruleTexts = rule?.block?.texts;
      const problem = sendBlock(req, res, { action: block, path, decisionId: ctx.decisionId, acceptLanguage: req.headers["accept-language"], ruleTexts });
      if (problem) ctx.problems.push(problem);
      return true;
    }
    const redirect = decision.actions.find((a): a is RedirectAction => a.kind === "redirect");
    if (redirect) {
      this.cache.apply(res, ctx.region, scope, false);
      const problem = sendRedirect(res, method, redirect);
      if (!problem) return true;
      ctx.problems.push(problem);
    }
    return false;
  }

  /**
   * Sets the headers when the app's are final: rule headers, privacy headers, the third-party CSP,
   * tracking cookies dropped, and the cache marking (for every reader, on the responses the rules
   * of the path can change: see `reachesResponse`).
   */
  onHeaders(ctx: ResponseContext): void {
    const { req, res, decision } = ctx;
    const scope = cacheScope(ctx.ruleset, ctx.path);
    const headers = decision.actions.filter((a): a is HeaderAction => a.kind === "header");
    const trackers = decision.actions.filter((a): a is TrackersAction => a.kind === "trackers");
    const cookies = decision.actions.filter((a): a is CookiesAction => a.kind === "cookies");
    if (!scope.byRegion && headers.length === 0 && trackers.length === 0 && cookies.length === 0) return;
    const localized = decision.actions.some((a) => a.kind === "notice");
    const tap = ctx.tap ?? ResponseTap.of(res);
    // Made when a header needs a verdict: most responses carry no Link or Refresh.
    let blocked: BlockedUrl | null = null;
    const blockedUrl = (): BlockedUrl => {
      if (blocked === null) {
        const matcher = new TrackerMatcher(trackers, this.trackerList, documentHost(req));
        blocked = (url) => matcher.blocks(url) !== null;
      }
      return blocked;
    };
    tap.onHeaders((response) => {
      try {
        // A stylesheet, an image, a font or media obeys no document policy: sending one there would
        // only make the asset differ by region, and lose it its caching.
        const kind = responseKind(response, ctx.path);
        const asset = kind === "asset" || kind === "style";
        const setsCookie = response.hasHeader("set-cookie");
        ctx.problems.push(...applyRuleHeaders(response, asset ? headers.filter((h) => !DOCUMENT_POLICY_HEADERS.has(h.name.toLowerCase())) : headers));
        if (trackers.length > 0 && !asset) {
          applyPrivacyHeaders(req, response);
          applyHintFilters(req, response, blockedUrl);
          // One policy per allowlist: browsers enforce each, so two rules allow only what both allow.
          const allowLists = new Map(trackers.filter((t) => t.mode === "third-party").map((t) => [t.allow.join(" "), t.allow]));
          for (const allow of allowLists.values()) ctx.problems.push(...applyThirdPartyCsp(req, response, allow));
        }
        if (trackers.length > 0 || cookies.length > 0) {
          dropCookies(response, [...(trackers.length > 0 ? [TRACKING_COOKIE_FILTER] : []), ...cookies.map((c) => filterFor(c, ctx.problems))]);
        }
        this.cache.apply(response, ctx.region, scope, localized, kind, setsCookie);
      } catch (error) {
        // Whatever failed, no cache may keep this response for another reader.
        response.setHeader("Cache-Control", "no-store");
        ctx.problems.push(`response headers: ${(error as Error).message}`);
      }
    });
    // After the tap has switched the response to dictionary properties: one more method is a hash insert.
    if (trackers.length > 0) filterEarlyHints(res, blockedUrl);
  }
}
