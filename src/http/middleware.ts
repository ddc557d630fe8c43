import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { CacheSafety } from "../actions/cache.js";
import { assertRuleHeaders } from "../actions/headers.js";
import type { DecisionSink } from "../log/decision-log.js";
import type { RegionResolver } from "../region/resolve.js";
import type { Region } from "../region/types.js";
import { decide, type Decision } from "../rules/decide.js";
import type { RuleSet } from "../rules/types.js";
import { BodyRewriting } from "./body-rewrite.js";
import { newOutcome, type RewriteOutcome } from "./body-rewriter.js";
import { ResponseTap, type BytesOut } from "./intercept.js";
import type { PreviewContext } from "./preview-context.js";
import { formatPreviewDecision, PREVIEW_DECISION_HEADER } from "./preview-decision.js";
import { requestPath } from "./request-path.js";
import { ResponseActions } from "./response-actions.js";

export const DECISION_HEADER = "Geo-Compliance-Decision";

/** What the app can read in `res.locals.geoCompliance`. */
export interface GeoComplianceLocals {
  readonly id: string;
  readonly region: Region;
  readonly decision: Decision;
  /**
   * An app that renders the notice itself sets this before it writes the page: true for every
   * notice of the decision, or the ids of the rules whose notices it rendered.
   */
  noticeRendered: boolean | readonly string[];
  /** The same, as a call: `markNoticeRendered()` for all, `markNoticeRendered("rule-id")` for one. */
  markNoticeRendered(rule?: string): void;
}

declare global {
  // Types `res.locals.geoCompliance` in Express apps (a no-op where Express's types are not used).
  namespace Express {
    interface Locals {
      geoCompliance?: GeoComplianceLocals;
    }
  }
}

export interface MiddlewareParts {
  readonly resolver: Pick<RegionResolver, "resolve">;
  readonly ruleset: () => RuleSet;
  readonly body: BodyRewriting;
  readonly log: DecisionSink;
  readonly clock: () => Date;
  /** The date and language a signed preview fixes; asked only for requests a valid preview token placed. */
  readonly previewContext?: ((req: IncomingMessage, now: Date) => PreviewContext | null) | undefined;
  /** The decision function; `decide` unless another is injected (previews, tests). */
  readonly decide?: typeof decide;
  /** How responses the rules can change by region are marked for shared caches. */
  readonly cacheSafety?: CacheSafety;
  /** Told each decision as it is made (OpenTelemetry span attributes). */
  readonly annotate?: ((id: string, region: Region, decision: Decision) => void) | null | undefined;
  /** Requests the app leaves out: passed on untouched, with no decision, header or log line. */
  readonly skip?: ((req: IncomingMessage) => boolean) | undefined;
}

export type Next = (error?: unknown) => void;

const NOT_COUNTED: BytesOut = Object.freeze({ bytes: 0 });
/** The outcome of a response whose body the decision leaves alone: nothing will change it. */
const BODY_LEFT_ALONE: RewriteOutcome = Object.freeze({ rewritten: false, trackersNeutralized: 0, notes: Object.freeze([]) as unknown as string[] });

/** `res.locals.geoCompliance`; a class, so a request pays for no closures. */
class Locals implements GeoComplianceLocals {
  noticeRendered: boolean | readonly string[] = false;
  constructor(
    readonly id: string,
    readonly region: Region,
    readonly decision: Decision,
  ) {}

  markNoticeRendered(rule?: string): void {
    if (rule === undefined) this.noticeRendered = true;
    else if (this.noticeRendered !== true) this.noticeRendered = [...(this.noticeRendered || []), rule];
  }
}

export function createHandler(parts: MiddlewareParts) {
  const decideFor = parts.decide ?? decide;
  const responses = new ResponseActions(parts.cacheSafety ?? new CacheSafety(), parts.body.trackerList);
  // A header a rule asks for that could not be sent stops start-up, not a request.
  assertRuleHeaders(parts.ruleset());
  const skip = parts.skip;
  const annotate = parts.annotate;
  return function geoComplianceHandler(req: IncomingMessage, res: ServerResponse & { locals?: Record<string, unknown> }, next: Next): void {
    const started = performance.now();
    let skipFailed: string | null = null;
    if (skip) {
      try {
        if (skip(req) === true) {
          next();
          return;
        }
      } catch (error) {
        // A skip() that fails leaves the request in the rules' hands, and the log line says why.
        skipFailed = `skip() threw: ${(error as Error)?.message ?? String(error)}`;
      }
    }
    // One snapshot per request: a reload mid-response cannot mix two revisions.
    const ruleset = parts.ruleset();
    const resolved = parts.resolver.resolve(req);
    const address = resolved.address;
    let region = resolved.region;
    const method = req.method ?? "GET";
    const path = requestPath(req);
    let now = parts.clock();
    let acceptLanguage = req.headers["accept-language"];
    // A preview may also fix the date and the language, for this request only; the log line says so.
    const preview = region.source === "preview" && parts.previewContext ? parts.previewContext(req, now) : null;
    if (preview) {
      if (preview.at) now = preview.at;
      // The language is always the picked one: "none" is a reader whose browser asks for none, as the
      // preview page decided it, not the reviewer's own Accept-Language.
      acceptLanguage = preview.language ?? undefined;
      const fixed = [preview.at ? `as of ${preview.at.toISOString()}` : "", preview.language ? `Accept-Language ${preview.language}` : "no Accept-Language"].filter(Boolean).join(", ");
      region = { ...region, reason: region.reason ? `${region.reason}; ${fixed}` : fixed };
    }
    const decision = decideFor(region, { method, path, acceptLanguage, gpc: req.headers["sec-gpc"] === "1" }, ruleset, now);
    const id = randomUUID();
    res.setHeader(DECISION_HEADER, id);
    // Only a valid preview token places a reader with source "preview": the audit checks the page against this.
    if (region.source === "preview") res.setHeader(PREVIEW_DECISION_HEADER, formatPreviewDecision(decision));
    if (annotate) {
      try {
        annotate(id, region, decision);
      } catch {
        // a tracer that fails must not fail the reader's request
      }
    }
    const locals = new Locals(id, region, decision);
    if (res.locals) res.locals.geoCompliance = locals;
    // Counted after the body rewrite, so what is counted is what leaves; only for a log that writes it.
    const tap = ResponseTap.create(res);
    const sent: BytesOut = parts.log.countsBytes === false ? NOT_COUNTED : tap.countBytes(method);
    parts.log.begin?.();

    const outcome = BodyRewriting.wantsBody(decision) ? newOutcome() : BODY_LEFT_ALONE;
    const problems: string[] = skipFailed === null ? [] : [skipFailed];
    let durationMicros = 0;
    let logged = false;
    const logOnce = (): void => {
      if (logged) return;
      logged = true;
      const error = outcome.error ?? (problems.length > 0 ? problems.join("; ") : undefined) ?? (res.writableFinished ? undefined : "response closed before it finished");
      const response = { trackers: outcome.rewritten && decision.actions.some((a) => a.kind === "trackers") ? outcome.trackersNeutralized : undefined, notes: outcome.notes.length > 0 ? outcome.notes : undefined, cache: outcome.cache };
      parts.log.write({ decisionId: id, decision, method, path, client: address, bytes: sent.bytes, status: res.statusCode, rewritten: outcome.rewritten, outcome: response, error, durationMicros: Math.round(durationMicros) });
    };
    // 'close' comes after 'finish', and also when the connection ends first: one listener sees both.
    res.on("close", logOnce);

    const context = { req, res, method, path, region, decision, decisionId: id, ruleset, now, problems, tap };
    if (responses.answer(context)) {
      durationMicros = (performance.now() - started) * 1000;
      return;
    }
    parts.body.attach(req, res, decision, ruleset, locals, outcome, tap, path);
    // Installed after the body interception so it runs first when the headers go out, and sees
    // writeHead's own headers applied in full.
    responses.onHeaders(context);

    durationMicros = (performance.now() - started) * 1000;
    next();
  };
}
