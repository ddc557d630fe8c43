import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { NoticeRenderer } from "../actions/notice.js";
import type { DecisionSink } from "../log/decision-log.js";
import type { RegionResolver } from "../region/resolve.js";
import type { Region } from "../region/types.js";
import { decide, type Decision } from "../rules/decide.js";
import type { RuleSet } from "../rules/types.js";
import { HtmlRewriteStream, type RewriteOutcome } from "./html-rewrite.js";
import { interceptBody } from "./intercept.js";
import { notRewritableBecause } from "./rewritable.js";

export const DECISION_HEADER = "Geo-Compliance-Decision";

/** What the app can read in `res.locals.geoCompliance`. */
export interface GeoComplianceLocals {
  readonly id: string;
  readonly region: Region;
  readonly decision: Decision;
}

export interface MiddlewareParts {
  readonly resolver: RegionResolver;
  readonly ruleset: () => RuleSet;
  readonly notices: NoticeRenderer;
  readonly log: DecisionSink;
  readonly clock: () => Date;
}

export type Next = (error?: unknown) => void;

function pathWithoutQuery(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

/** The body changed, so a validator of the original body must not validate the new one. */
function rewrittenEtag(etag: string, revision: string, decision: Decision): string {
  const suffix = createHash("sha256").update(revision).update(JSON.stringify(decision.actions)).digest("base64url").slice(0, 12);
  const match = /^(W\/)?"(.*)"$/.exec(etag);
  return match ? `${match[1] ?? ""}"${match[2]}-gc${suffix}"` : `"gc${suffix}"`;
}

export function createHandler(parts: MiddlewareParts) {
  return function geoComplianceHandler(req: IncomingMessage, res: ServerResponse & { locals?: Record<string, unknown> }, next: Next): void {
    const started = process.hrtime.bigint();
    // One snapshot per request: a reload mid-response cannot mix two revisions.
    const ruleset = parts.ruleset();
    const { region } = parts.resolver.resolve(req);
    const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? "/";
    const method = req.method ?? "GET";
    const decision = decide(region, { method, path: pathWithoutQuery(url), acceptLanguage: req.headers["accept-language"], gpc: req.headers["sec-gpc"] === "1" }, ruleset, parts.clock());
    const id = randomUUID();
    res.setHeader(DECISION_HEADER, id);
    if (res.locals) res.locals.geoCompliance = { id, region, decision } satisfies GeoComplianceLocals;

    const outcome: RewriteOutcome = { rewritten: false };
    if (decision.rewritesBody) {
      interceptBody(res, {
        onHeaders(response) {
          if (notRewritableBecause(method, response) !== null) return null;
          const bodyStart = decision.actions
            .map((a) => {
              if (a.kind !== "notice") return "";
              const rule = ruleset.rules.find((r) => r.id === a.rule);
              return rule ? parts.notices.render(rule, a.language) : "";
            })
            .join("");
          if (bodyStart === "") return null; // only notices are inserted here so far
          response.removeHeader("content-length");
          const etag = response.getHeader("etag");
          if (typeof etag === "string") response.setHeader("etag", rewrittenEtag(etag, ruleset.revision, decision));
          return new HtmlRewriteStream({ bodyStart }, outcome);
        },
      });
    }

    const durationMicros = Number(process.hrtime.bigint() - started) / 1000;
    let logged = false;
    const logOnce = (): void => {
      if (logged) return;
      logged = true;
      parts.log.write({ decisionId: id, decision, method, path: pathWithoutQuery(url), status: res.statusCode, rewritten: outcome.rewritten, error: outcome.error ?? (res.writableFinished ? undefined : "response closed before it finished"), durationMicros: Math.round(durationMicros) });
    };
    res.once("finish", logOnce);
    res.once("close", logOnce);
    next();
  };
}
