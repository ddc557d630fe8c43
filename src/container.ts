import { hostname } from "node:os";
import type { DependencyContainer } from "tsyringe";
import type * as ContainerModule from "tsyringe/dist/cjs/dependency-container.js";
import type * as CachingFactoryModule from "tsyringe/dist/cjs/factories/instance-caching-factory.js";
import { NoticeRenderer } from "./actions/notice.js";
import { loadShippedTrackerList, loadTrackerListFile, type TrackerList } from "./actions/trackers/list.js";
import { BodyRewriting } from "./http/body-rewrite.js";
import { DecisionLog, type DecisionSink } from "./log/decision-log.js";
import { DecisionMetrics } from "./log/metrics.js";
import { requireCjs } from "./require-cjs.js";
import type { ResolvedOptions } from "./options.js";
import { AppTrust } from "./region/app-trust.js";
import { DatabaseSource } from "./region/database-watch.js";
import { defaultDatabasePath, type GeoIpDatabase } from "./region/geoip.js";
import { RegionResolver } from "./region/resolve.js";
import { RuleStore } from "./rules/store.js";

// Not tsyringe's index, which demands a global Reflect polyfill for decorators this container does not use.
const { instance: rootContainer } = requireCjs("tsyringe/dist/cjs/dependency-container.js") as typeof ContainerModule;
const instanceCachingFactory = (requireCjs("tsyringe/dist/cjs/factories/instance-caching-factory.js") as typeof CachingFactoryModule.default).default;

/** Injection tokens: the edges (database, rules, log sink, clock) are swapped through these. */
export const TOKENS = {
  options: Symbol("options"),
  clock: Symbol("clock"),
  /** The database in force at the time of resolution (it changes when the file is swapped). */
  database: Symbol("GeoIpDatabase"),
  /** The watched database file: `current`, `start()`, `close()`. */
  databaseSource: Symbol("DatabaseSource"),
  resolver: Symbol("RegionResolver"),
  rules: Symbol("RuleStore"),
  notices: Symbol("NoticeRenderer"),
  decisionLog: Symbol("DecisionSink"),
  metrics: Symbol("DecisionMetrics"),
  trackers: Symbol("TrackerList"),
  body: Symbol("BodyRewriting"),
} as const;

/**
 * One child container per middleware instance: two instances in one process share no database,
 * rule set, renderer cache or log stream.
 */
export function buildContainer(options: ResolvedOptions): DependencyContainer {
  const c = rootContainer.createChildContainer();
  c.register(TOKENS.options, { useValue: options });
  c.register(TOKENS.clock, { useValue: options.clock });
  c.register(TOKENS.databaseSource, {
    useFactory: instanceCachingFactory(
      (dc) =>
        new DatabaseSource(options.geoipDatabase ?? defaultDatabasePath(), {
          // The embedded database changes only with the package.
          watch: options.geoipDatabase !== null && options.geoipWatch,
          // Resolved when an event is written, so a database that fails start-up opens no log file.
          log: { lifecycle: (event, fields) => dc.resolve<DecisionSink>(TOKENS.decisionLog).lifecycle(event, fields) },
        }),
    ),
  });
  c.register(TOKENS.database, { useFactory: (dc) => dc.resolve<DatabaseSource>(TOKENS.databaseSource).current });
  c.register(TOKENS.resolver, {
    useFactory: instanceCachingFactory((dc) => {
      const lookupFailed = new WeakSet<GeoIpDatabase>();
      const source = dc.resolve<DatabaseSource>(TOKENS.databaseSource);
      const log = (): DecisionSink => dc.resolve<DecisionSink>(TOKENS.decisionLog);
      return new AppTrust({
        trustProxy: options.trustProxy,
        resolverFor: (trust, stable) =>
          new RegionResolver({
            trust,
            // A trust function the app wrote may answer differently over time; a list or a hop count cannot.
            trustIsStable: stable,
            database: () => source.current,
            headers: options.regionHeaders,
            networks: options.networks,
            preview: options.preview,
            clock: options.clock,
            cacheSize: options.geoipCacheSize,
            // Once per database: a damaged file fails the same way for many readers.
            onLookupError: (error, database) => {
              if (lookupFailed.has(database)) return;
              lookupFailed.add(database);
              log().lifecycle("database-lookup-failed", { file: database.file, database_type: database.databaseType, built_at: database.buildEpoch.toISOString(), error: error.message });
            },
          }),
        onMismatch: (warning) => {
          const message = `geo-compliance: the trustProxy option (${warning.option}) and the app's "trust proxy" setting (${warning.app}) disagree: ${warning.example}. The option is used; req.ip follows the app's setting.`;
          log().lifecycle("trust-proxy-mismatch", { option: warning.option, app_setting: warning.app, example: warning.example });
          process.emitWarning(message, { code: "GEO_COMPLIANCE_TRUST_PROXY" });
        },
      });
    }),
  });
  c.register(TOKENS.rules, { useFactory: instanceCachingFactory(() => new RuleStore(options.rules, options.clock)) });
  c.register(TOKENS.notices, { useFactory: instanceCachingFactory(() => new NoticeRenderer()) });
  // Metrics are counted even with the log off; each instance has its own registry.
  c.register(TOKENS.metrics, {
    useFactory: instanceCachingFactory(() => new DecisionMetrics(options.metricsRegistry)),
  });
  // The shipped list plus the operator's, each checked when the middleware is built.
  c.register(TOKENS.trackers, {
    useFactory: instanceCachingFactory(() =>
      options.trackerLists.reduce<TrackerList>((list, source) => list.merge(loadTrackerListFile(source.file, source.category ? { category: source.category } : {})), loadShippedTrackerList()),
    ),
  });
  c.register(TOKENS.body, {
    useFactory: instanceCachingFactory(
      (dc) => new BodyRewriting({ trackers: dc.resolve<TrackerList>(TOKENS.trackers), notices: dc.resolve<NoticeRenderer>(TOKENS.notices), cacheBytes: options.rewriteCacheBytes }),
    ),
  });
  c.register(TOKENS.decisionLog, {
    useFactory: instanceCachingFactory((dc): DecisionSink =>
      new DecisionLog(options.decisionLog, {
        instance: options.instance ?? `${hostname()}:${process.pid}`,
        metrics: dc.resolve<DecisionMetrics>(TOKENS.metrics),
        clock: options.clock,
        handleSignals: options.handleSignals,
        logger: options.logger,
      }),
    ),
  });
  return c;
}
