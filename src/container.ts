import "reflect-metadata";
import { hostname } from "node:os";
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from "tsyringe";
import { NoticeRenderer } from "./actions/notice.js";
import { DecisionLog, type DecisionSink } from "./log/decision-log.js";
import { DecisionMetrics } from "./log/metrics.js";
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
  metrics: Symbol("DecisionMetrics"),
} as const;

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
  // Metrics are counted even with the log off; each instance has its own registry.
  c.register(TOKENS.metrics, {
    useFactory: instanceCachingFactory(() => new DecisionMetrics()),
  });
  c.register(TOKENS.decisionLog, {
    useFactory: instanceCachingFactory((dc): DecisionSink =>
      new DecisionLog(options.decisionLog, {
        instance: options.instance ?? `${hostname()}:${process.pid}`,
        metrics: dc.resolve<DecisionMetrics>(TOKENS.metrics),
        clock: options.clock,
      }),
    ),
  });
  return c;
}
