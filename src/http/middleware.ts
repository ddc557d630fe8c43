import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DecisionSink } from "../log/decision-log.js";
import type { RegionResolver } from "../region/resolve.js";
import type { Region } from "../region/types.js";
import { decide, type Decision } from "../rules/decide.js";
import type { RuleSet } from "../rules/types.js";
import type { BodyRewriting } from "./body-rewrite.js";
import { newOutcome } from "./body-rewriter.js";

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

export interface MiddlewareParts {
  readonly resolver: RegionResolver;
  readonly ruleset: () => RuleSet;
  readonly body: BodyRewriting;
  readonly log: DecisionSink;
  readonly clock: () => Date;
}

export type Next = (error?: unknown) => void;

function pathWithoutQuery(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

export function createHandler(parts: MiddlewareParts) {
  return function geoComplianceHandler(req: IncomingMessage, res: ServerResponse & { locals?: Record<string, unknown> }, next: Next): void {
    const started = process.hrtime.bigint();
    // One snapshot per request: a reload mid-response cannot mix two revisions.
    const ruleset = parts.ruleset();
    const { region } = parts.resolver.resolve(req);
    const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? "/";
    const method = req.method ?? "GET";
    const decision = decide(region, { method, path: pathWithoutQuery(url), acceptLanguage: req.headers["accept-language"] }, ruleset, parts.clock());
    const id = randomUUID();
    res.setHeader(DECISION_HEADER, id);
    const locals: GeoComplianceLocals = {
      id,
      region,
      decision,
      noticeRendered: false,
      markNoticeRendered(rule?: string) {
        if (rule === undefined) locals.noticeRendered = true;
        else if (locals.noticeRendered !== true) locals.noticeRendered = [...(locals.noticeRendered || []), rule];
      },
    };
    if (res.locals) res.locals.geoCompliance = locals;

    const outcome = newOutcome();
    parts.body.attach(req, res, decision, ruleset, locals, outcome);

    const durationMicros = Number(process.hrtime.bigint() - started) / 1000;
    let logged = false;
    const logOnce = (): void => {
      if (logged) return;
      logged = true;
      parts.log.write({ decisionId: id, decision, method, path: pathWithoutQuery(url), status: res.statusCode, rewritten: outcome.rewritten, error: outcome.error ?? (res.writableFinished ? undefined : "response closed before it finished"), trackersNeutralized: outcome.trackersNeutralized, notes: outcome.notes, cache: outcome.cache, durationMicros: Math.round(durationMicros) });
    };
    res.once("finish", logOnce);
    res.once("close", logOnce);
    next();
  };
}
