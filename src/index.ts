import type { IncomingMessage, ServerResponse } from "node:http";
import { buildContainer, TOKENS } from "./container.js";
import { createHandler, DECISION_HEADER, type GeoComplianceLocals, type Next } from "./http/middleware.js";
import { CacheSafety } from "./actions/cache.js";
import { readPreviewContext } from "./http/preview-context.js";
import type { PreviewRouter, PreviewRouterParts } from "./http/preview-router.js";
import type { DecisionLogStatus, DecisionSink } from "./log/decision-log.js";
import type { DecisionMetrics } from "./log/metrics.js";
import type { Registry } from "prom-client";
import type { BodyRewriting } from "./http/body-rewrite.js";
import { shippedRulesDir } from "./package-root.js";
import { spanAnnotator } from "./log/trace.js";
import { resolveOptions, type GeoComplianceOptions } from "./options.js";
import type { DatabaseSource } from "./region/database-watch.js";
import type { RegionResolver } from "./region/resolve.js";
import { formatProblem, formatWarning, RuleLoadError } from "./rules/errors.js";
import type { ReloadResult, RuleStore } from "./rules/store.js";
import { subdivisionCoverage, type CoverageWarning } from "./region/subdivision-coverage.js";

export interface GeoComplianceStatus {
  readonly revision: string;
  readonly rulesLoadedAt: Date;
  readonly ruleFiles: readonly string[];
  /** The last rejected change, with every problem in it; null once a good set is loaded again. */
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
  readonly database: { readonly file: string; readonly type: string; readonly builtAt: Date };
  /** The decision log: lines written, failed (lost) and pending, the last error. */
  readonly log: DecisionLogStatus;
  /** What the rules in force cannot do with the database in force (rules naming subdivisions it cannot give). */
  readonly warnings: readonly CoverageWarning[];
}

/** The middleware, with its lifecycle. */
export interface GeoComplianceMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
  /** Resolves when the middleware is ready to serve (it already is when the constructor returns). */
  readonly ready: Promise<void>;
  /** Reads the rules again; a set that does not validate is rejected and the last good one stays. */
  reload(): ReloadResult;
  status(): GeoComplianceStatus;
  /**
   * Stops watching the rules and the GeoIP database, waits for responses in flight, writes the stop
   * event, flushes and closes the decision log. Requests that come after it are refused with 503
   * (no decision could be logged for them), so close the server first.
   */
  close(): Promise<void>;
  /**
   * The reader preview, for the site to mount where it chooses, before the middleware:
   * `app.use("/_preview", compliance.previewRouter)`. Without `preview.secret` it answers 404 to everything.
   */
  readonly previewRouter: PreviewRouter;
  /** Serves this instance's Prometheus metrics: `app.get("/metrics", compliance.metricsHandler)`. */
  readonly metricsHandler: (req: IncomingMessage, res: ServerResponse, next?: Next) => void;
  /** This instance's metrics registry: its own, or the app's given as `metrics.registry`. */
  readonly metrics: Registry;
}

/**
 * Builds the middleware. Options, rules and the GeoIP database are all checked here:
 * anything wrong throws now, with a message that names it.
 */
export function geoCompliance(options: GeoComplianceOptions): GeoComplianceMiddleware {
  const resolved = resolveOptions(options);
  const c = buildContainer(resolved);
  const databases = c.resolve<DatabaseSource>(TOKENS.databaseSource);
  const rules = c.resolve<RuleStore>(TOKENS.rules);
  const log = c.resolve<DecisionSink>(TOKENS.decisionLog);
  const metrics = c.resolve<DecisionMetrics>(TOKENS.metrics);
  const handler = createHandler({
    resolver: c.resolve<Pick<RegionResolver, "resolve">>(TOKENS.resolver),
    ruleset: () => rules.current,
    body: c.resolve<BodyRewriting>(TOKENS.body),
    log,
    clock: resolved.clock,
    previewContext: resolved.preview ? (req, now) => readPreviewContext(resolved.preview!, req, now) : undefined,
    // Vary on exactly the headers the resolver believes, so a CDN keys its cache on the region.
    skip: resolved.skip,
    annotate: spanAnnotator(),
    cacheSafety: new CacheSafety(resolved.regionHeaders.flatMap((h) => (h.subdivision ? [h.country, h.subdivision] : [h.country]))),
  });
  log.lifecycle("start", { revision: rules.current.revision, rule_files: rules.current.files, database: databases.file, database_type: databases.current.databaseType });
  const logReload = (result: ReloadResult, trigger: "reload" | "watch"): ReloadResult => {
    if (result.ok) {
      if (result.changed) {
        log.lifecycle("rules-loaded", { trigger, revision: result.revision, previous_revision: result.previous, warnings: result.warnings.map(formatWarning) });
        warnCoverage("rules-loaded");
      }
    } else {
      const problems = result.error instanceof RuleLoadError ? result.error.problems.map(formatProblem) : [String(result.error?.message)];
      log.lifecycle("rules-rejected", { trigger, revision: result.revision, error: result.error?.message, problems });
    }
    return result;
  };
  if (resolved.watch) rules.watch((result) => logReload(result, "watch"), (error) => log.lifecycle("rules-watch-error", { error: error.message }));
  databases.start();
  // Rules and database checked against each other: at start-up, and again whenever either changes.
  const warnCoverage = (trigger: string): void => {
    for (const w of subdivisionCoverage(rules.current, databases.current.databaseType)) {
      log.lifecycle("warning", { trigger, warning: w.code, message: w.message, rules: w.rules, regions: w.regions, database_type: w.databaseType });
    }
  };
  warnCoverage("start");
  databases.onSwap(() => warnCoverage("database-swapped"));
  let closed: Promise<void> | null = null;
  let toldClosed = false;
  // After close() no decision could be logged, so none is made: the request is refused, loudly.
  const serve = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    if (closed === null) return handler(req, res, next);
    if (!toldClosed) {
      toldClosed = true;
      process.emitWarning("geo-compliance: a request came after close() and was refused with 503; close the server first, then the middleware: server.close(() => compliance.close())", { code: "GEO_COMPLIANCE_CLOSED" });
    }
    refuseClosed(res);
  };
  const middleware = Object.assign(serve, {
    ready: Promise.resolve(),
    previewRouter: lazyPreviewRouter({ settings: resolved.preview, ruleset: () => rules.current, clock: resolved.clock }),
    metricsHandler: metrics.handler,
    metrics: metrics.registry,
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
        database: { file: databases.file, type: databases.current.databaseType, builtAt: databases.current.buildEpoch },
        log: log.status?.() ?? { enabled: true, destination: "custom", file: null, written: 0, failed: 0, pending: 0, sampledOut: 0, lastError: null, lastErrorAt: null },
        warnings: subdivisionCoverage(current, databases.current.databaseType),
      };
    },
    close(): Promise<void> {
      if (!closed) {
        rules.close();
        databases.close();
        const stop = { revision: rules.current.revision };
        const flushed = log.close ? log.close(stop) : (log.lifecycle("stop", stop), log.flush());
        closed = flushed.then(() => {
          if (resolved.metricsRegistry) metrics.unregister();
          return c.dispose();
        });
      }
      return closed;
    },
  });
  return middleware;
}

/**
 * The preview router, loaded at its first request: its pages and the rule impact code behind them
 * are a tool for the legal team, which most requests never reach and a site without a preview
 * secret never uses (it then passes every request on).
 */
function lazyPreviewRouter(parts: PreviewRouterParts): PreviewRouter {
  let router: Promise<PreviewRouter> | null = null;
  return (req, res, next) => {
    router ??= import("./http/preview-router.js").then((m) => m.createPreviewRouter(parts));
    router.then(
      (route) => route(req, res, next),
      (error: unknown) => {
        if (next) return next(error);
        res.statusCode = 500;
        res.end();
      },
    );
  };
}

/** The answer to a request that comes after close(): nothing would log its decision. */
function refuseClosed(res: ServerResponse): void {
  if (res.headersSent) return void res.end();
  const body = "Service Unavailable: this server is shutting down\n";
  res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store", Connection: "close" });
  res.end(body);
}

export { DECISION_HEADER };
export type { GeoComplianceOptions, GeoComplianceLocals, ReloadResult, PreviewRouter };
export type { DecisionLogOptions, DecisionLogStatus, DecisionRecord, DecisionSink, ResponseOutcome, ClientMode, RotateOptions } from "./log/decision-log.js";
export type { TrackerListSource } from "./options.js";
export type { PinoLike } from "./log/logger-output.js";
export type { RewriteOutcome } from "./http/body-rewriter.js";
export type { Region, RegionSource } from "./region/types.js";
export type { CoverageWarning } from "./region/subdivision-coverage.js";
export type { RegionHeaderSpec, RegionHeaderPreset, RegionHeaderNames } from "./region/cdn-headers.js";
export type { NetworkOverride } from "./region/networks.js";
export { mintPreviewToken, verifyPreviewToken, type PreviewVerification } from "./region/preview-token.js";
export type { Decision, Action, NoticeAction, RequestFacts } from "./rules/decide.js";
export { decide } from "./rules/decide.js";
export { RuleLoadError };
export { traceDecision, type DecisionTrace, type TraceEntry, type TraceReason } from "./rules/trace.js";
export { GeoIpError } from "./region/geoip.js";
export { OptionsError } from "./options.js";
/** The folder of example rules shipped with the package, for `rules: shippedRules`. Read them before you serve them. */
export const shippedRules: string = shippedRulesDir();
export { HeaderError } from "./actions/headers.js";
