import "reflect-metadata";
import { hostname } from "node:os";
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from "tsyringe";
import { NoticeRenderer } from "./actions/notice.js";
import { loadShippedTrackerList, loadTrackerListFile, type TrackerList } from "./actions/trackers/list.js";
import { BodyRewriting } from "./http/body-rewrite.js";
import { PinoDecisionLog, type DecisionSink } from "./log/decision-log.js";
import type { ResolvedOptions } from "./options.js";
import { shippedRulesDir } from "./package-root.js";
import { compileTrust } from "./region/client-address.js";
import { defaultDatabasePath, GeoIpDatabase } from "./region/geoip.js";
import { RegionResolver } from "./region/resolve.js";
import { RuleStore } from "./rules/store.js";

/** Injection tokens: the edges (database, rules, log sink, clock) are swapped through these. */
export const TOKENS = {
  options: Symbol("options"),
  clock: Symbol("clock"),
  database: Symbol("GeoIpDatabase"),
  resolver: Symbol("RegionResolver"),
  rules: Symbol("RuleStore"),
  notices: Symbol("NoticeRenderer"),
  decisionLog: Symbol("DecisionSink"),
  trackers: Symbol("TrackerList"),
  body: Symbol("BodyRewriting"),
} as const;

/** A no-op sink for `decisionLog: false`. */
const SILENT: DecisionSink = { write() {}, lifecycle() {}, flush: () => Promise.resolve() };

/**
 * One child container per middleware instance: two instances in one process share no database,
 * rule set, renderer cache or log stream.
 */
export function buildContainer(options: ResolvedOptions): DependencyContainer {
  const c = rootContainer.createChildContainer();
  c.register(TOKENS.options, { useValue: options });
  c.register(TOKENS.clock, { useValue: options.clock });
  c.register(TOKENS.database, { useFactory: instanceCachingFactory(() => GeoIpDatabase.open(options.geoipDatabase ?? defaultDatabasePath())) });
  c.register(TOKENS.resolver, {
    useFactory: instanceCachingFactory((dc) => {
      const database = dc.resolve<GeoIpDatabase>(TOKENS.database);
      return new RegionResolver(compileTrust(options.trustProxy), () => database);
    }),
  });
  c.register(TOKENS.rules, { useFactory: instanceCachingFactory(() => new RuleStore(options.rules ?? [shippedRulesDir()], options.clock)) });
  c.register(TOKENS.notices, { useFactory: instanceCachingFactory(() => new NoticeRenderer()) });
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
    useFactory: instanceCachingFactory((): DecisionSink =>
      options.decisionLog === false ? SILENT : new PinoDecisionLog(options.decisionLog, options.instance ?? `${hostname()}:${process.pid}`),
    ),
  });
  return c;
}
