import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:http";
import { CacheSafety } from "../../src/actions/cache.js";
import { NoticeRenderer } from "../../src/actions/notice.js";
import { createHandler } from "../../src/http/middleware.js";
import { BodyRewriting } from "../../src/http/body-rewrite.js";
import { loadShippedTrackerList } from "../../src/actions/trackers/list.js";
import { DecisionLog } from "../../src/log/decision-log.js";
import { compileTrust } from "../../src/region/client-address.js";
import { defaultDatabasePath, GeoIpDatabase } from "../../src/region/geoip.js";
import { RegionResolver } from "../../src/region/resolve.js";
import type { Region } from "../../src/region/types.js";
import type { Action } from "../../src/rules/actions.js";
import { compileRules } from "../../src/rules/compile.js";
import type { Decision, RequestFacts } from "../../src/rules/decide.js";
import { loadRules, ruleFiles } from "../../src/rules/load.js";
import type { CompiledRule, RuleSet } from "../../src/rules/types.js";
import { RUSSIA_RULE_FILE } from "./rules.js";
import type { MemoryLog } from "./server.js";

export const RU = "77.88.8.8"; // Yandex, in Russia in the embedded database
export const US = "8.8.8.8";

let database: GeoIpDatabase | undefined;
const embedded = (): GeoIpDatabase => (database ??= GeoIpDatabase.open(defaultDatabasePath()));

/** The shipped Russia rule alone, compiled as the middleware compiles it. */
export function shippedRuleSet(now = new Date("2026-03-01T00:00:00Z")): RuleSet {
  return compileRules(loadRules(RUSSIA_RULE_FILE), ruleFiles(RUSSIA_RULE_FILE), now);
}

/** A rule set with the given rules, for facets the rule language fills (paths, GPC, headers, texts). */
export function ruleSetWith(base: RuleSet, rules: readonly CompiledRule[]): RuleSet {
  return Object.freeze({ ...base, rules: Object.freeze([...rules]) });
}

/** A rule like the shipped Russia rule, with other id and extra compiled fields. */
export function ruleLike(base: RuleSet, id: string, extra: Record<string, unknown>): CompiledRule {
  const template = base.rules[0];
  if (!template) throw new Error("the shipped rules are empty");
  return Object.freeze({ ...template, id, ...extra }) as CompiledRule;
}

export interface ActionSiteOptions {
  /** The actions a reader gets; by default readers in Russia get them, others none. */
  readonly actions?: readonly Action[];
  readonly actionsFor?: (region: Region, facts: RequestFacts) => readonly Action[];
  readonly ruleset?: RuleSet;
  /** Request headers a trusted CDN sets with the region; when one of them is present the region comes from it. */
  readonly regionHeaders?: readonly string[];
  readonly log?: MemoryLog;
  readonly clock?: () => Date;
}

/**
 * The real middleware (createHandler) with its decision function injected, so that a test can
 * give a reader any actions the contract allows. Regions come from the embedded database through
 * X-Forwarded-For from loopback, or from the CDN headers named in `regionHeaders`.
 */
export function actionMiddleware(options: ActionSiteOptions = {}) {
  const [country, subdivision] = (options.regionHeaders ?? []).map((h) => h.toLowerCase());
  const resolver = new RegionResolver({
    trust: compileTrust(["loopback"]),
    database: embedded,
    headers: country ? [{ name: "test-cdn", country, subdivision: subdivision ?? null }] : [],
  });
  const actionsFor = options.actionsFor ?? ((region: Region) => (region.country === "RU" ? (options.actions ?? []) : []));
  const decide = (region: Region, facts: RequestFacts, ruleset: RuleSet): Decision => {
    const actions = [...actionsFor(region, facts)];
    return { revision: ruleset.revision, region, matched: [...new Set(actions.map((a) => a.rule))], actions, log: "full", rewritesBody: actions.some((a) => a.kind === "notice") };
  };
  const ruleset = options.ruleset ?? shippedRuleSet();
  const log = new DecisionLog(options.log ? { destination: options.log } : false, { instance: "test" });
  return createHandler({
    resolver,
    ruleset: () => ruleset,
    body: testBodyRewriting(),
    log,
    clock: options.clock ?? (() => new Date("2026-03-01T12:00:00Z")),
    decide,
    cacheSafety: new CacheSafety(options.regionHeaders ?? []),
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Header lines as sent, name then value: several lines of one header stay apart. */
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

/** A request through node:http, for what fetch hides: raw paths, the Host header, repeated header lines. */
export function rawRequest(url: string, options: { method?: string; path?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method: options.method ?? "GET", path: options.path ?? `${target.pathname}${target.search}`, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** The values of every line of one header, in order. */
export function headerLines(raw: RawResponse, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.rawHeaders.length; i += 2) if (raw.rawHeaders[i]!.toLowerCase() === name.toLowerCase()) out.push(raw.rawHeaders[i + 1]!);
  return out;
}

/** The body stage as the middleware builds it: the shipped tracker list, a fresh notice renderer, no rewrite cache. */
export function testBodyRewriting(): BodyRewriting {
  return new BodyRewriting({ trackers: loadShippedTrackerList(), notices: new NoticeRenderer(), cacheBytes: 0 });
}
