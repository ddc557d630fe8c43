import "reflect-metadata";
import type { IncomingMessage, ServerResponse } from "node:http";
import { buildContainer, TOKENS } from "./container.js";
import { createHandler, DECISION_HEADER, type GeoComplianceLocals, type Next } from "./http/middleware.js";
import type { BodyRewriting } from "./http/body-rewrite.js";
import type { DecisionSink } from "./log/decision-log.js";
import { resolveOptions, type GeoComplianceOptions } from "./options.js";
import type { GeoIpDatabase } from "./region/geoip.js";
import type { RegionResolver } from "./region/resolve.js";
import type { ReloadResult, RuleStore } from "./rules/store.js";

export interface GeoComplianceStatus {
  readonly revision: string;
  readonly rulesLoadedAt: Date;
  readonly ruleFiles: readonly string[];
  readonly lastError: string | null;
  readonly database: { readonly file: string; readonly type: string; readonly builtAt: Date };
}

/** The middleware, with its lifecycle. */
export interface GeoComplianceMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
  /** Resolves when the middleware is ready to serve (it already is when the constructor returns). */
  readonly ready: Promise<void>;
  /** Reads the rules again; a set that does not validate is rejected and the last good one stays. */
  reload(): ReloadResult;
  status(): GeoComplianceStatus;
  /** Flushes the decision log. */
  close(): Promise<void>;
}

/**
 * Builds the middleware. Options, rules and the GeoIP database are all checked here:
 * anything wrong throws now, with a message that names it.
 */
export function geoCompliance(options?: GeoComplianceOptions): GeoComplianceMiddleware {
  const resolved = resolveOptions(options);
  const c = buildContainer(resolved);
  const database = c.resolve<GeoIpDatabase>(TOKENS.database);
  const rules = c.resolve<RuleStore>(TOKENS.rules);
  const log = c.resolve<DecisionSink>(TOKENS.decisionLog);
  const handler = createHandler({
    resolver: c.resolve<RegionResolver>(TOKENS.resolver),
    ruleset: () => rules.current,
    body: c.resolve<BodyRewriting>(TOKENS.body),
    log,
    clock: resolved.clock,
  });
  log.lifecycle("start", { revision: rules.current.revision, rule_files: rules.current.files, database: database.file, database_type: database.databaseType });
  let closed: Promise<void> | null = null;
  const middleware = Object.assign(handler, {
    ready: Promise.resolve(),
    reload(): ReloadResult {
      const result = rules.reload();
      if (result.ok) log.lifecycle("rules-loaded", { revision: result.revision });
      else log.lifecycle("rules-rejected", { revision: result.revision, error: result.error?.message });
      return result;
    },
    status(): GeoComplianceStatus {
      const current = rules.current;
      return {
        revision: current.revision,
        rulesLoadedAt: current.loadedAt,
        ruleFiles: current.files,
        lastError: rules.lastError?.message ?? null,
        database: { file: database.file, type: database.databaseType, builtAt: database.buildEpoch },
      };
    },
    close(): Promise<void> {
      if (!closed) {
        log.lifecycle("stop", { revision: rules.current.revision });
        closed = log.flush().then(() => c.dispose());
      }
      return closed;
    },
  });
  return middleware;
}

export { DECISION_HEADER };
export type { GeoComplianceOptions, GeoComplianceLocals, ReloadResult };
export type { TrackerListSource } from "./options.js";
export type { RewriteOutcome } from "./http/body-rewriter.js";
export type { Region, RegionSource } from "./region/types.js";
export type { Decision, Action, NoticeAction, RequestFacts } from "./rules/decide.js";
export { decide } from "./rules/decide.js";
export { RuleLoadError } from "./rules/errors.js";
export { GeoIpError } from "./region/geoip.js";
export { OptionsError } from "./options.js";
