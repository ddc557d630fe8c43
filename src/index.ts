import "reflect-metadata";
import type { IncomingMessage, ServerResponse } from "node:http";
import { buildContainer, TOKENS } from "./container.js";
import { createHandler, DECISION_HEADER, type GeoComplianceLocals, type Next } from "./http/middleware.js";
import type { NoticeRenderer } from "./actions/notice.js";
import type { DecisionSink } from "./log/decision-log.js";
import { resolveOptions, type GeoComplianceOptions } from "./options.js";
import type { GeoIpDatabase } from "./region/geoip.js";
import type { RegionResolver } from "./region/resolve.js";
import { formatProblem, formatWarning, RuleLoadError } from "./rules/errors.js";
import type { ReloadResult, RuleStore } from "./rules/store.js";

export interface GeoComplianceStatus {
  readonly revision: string;
  readonly rulesLoadedAt: Date;
  readonly ruleFiles: readonly string[];
  /** The last rejected change, with every problem in it; null once a good set is loaded again. */
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
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
  /** Stops watching the rules and flushes the decision log. */
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
    notices: c.resolve<NoticeRenderer>(TOKENS.notices),
    log,
    clock: resolved.clock,
  });
  log.lifecycle("start", { revision: rules.current.revision, rule_files: rules.current.files, database: database.file, database_type: database.databaseType });
  const logReload = (result: ReloadResult, trigger: "reload" | "watch"): ReloadResult => {
    if (result.ok) {
      if (result.changed) log.lifecycle("rules-loaded", { trigger, revision: result.revision, previous_revision: result.previous, warnings: result.warnings.map(formatWarning) });
    } else {
      const problems = result.error instanceof RuleLoadError ? result.error.problems.map(formatProblem) : [String(result.error?.message)];
      log.lifecycle("rules-rejected", { trigger, revision: result.revision, error: result.error?.message, problems });
    }
    return result;
  };
  if (resolved.watch) rules.watch((result) => logReload(result, "watch"), (error) => log.lifecycle("rules-watch-error", { error: error.message }));
  let closed: Promise<void> | null = null;
  const middleware = Object.assign(handler, {
    ready: Promise.resolve(),
    reload(): ReloadResult {
      return logReload(rules.reload(), "reload");
    },
    status(): GeoComplianceStatus {
      const current = rules.current;
      return {
        revision: current.revision,
        rulesLoadedAt: current.loadedAt,
        ruleFiles: current.files,
        lastError: rules.lastError?.message ?? null,
        lastErrorAt: rules.lastErrorAt,
        database: { file: database.file, type: database.databaseType, builtAt: database.buildEpoch },
      };
    },
    close(): Promise<void> {
      if (!closed) {
        rules.close();
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
export type { Region, RegionSource } from "./region/types.js";
export type { Decision, Action, NoticeAction, RequestFacts } from "./rules/decide.js";
export { decide } from "./rules/decide.js";
export { RuleLoadError };
export { traceDecision, type DecisionTrace, type TraceEntry, type TraceReason } from "./rules/trace.js";
export { GeoIpError } from "./region/geoip.js";
export { OptionsError } from "./options.js";
