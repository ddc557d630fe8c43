import type { IncomingMessage, ServerResponse } from "node:http";
import type * as PromClient from "prom-client";
import type { Counter, Gauge, Histogram, Registry } from "prom-client";
import { outcomeOf } from "./record.js";
import type { DecisionRecord } from "./record.js";
import type { OutputCounts } from "./output.js";
import { requireCjs } from "../require-cjs.js";

/**
 * The four classes used here, from their own files: prom-client's index also loads its default
 * metrics, push gateway and cluster aggregator, and with them @opentelemetry/api (some fifty files
 * at import, for exemplars this package does not use). They are the same classes the index exports,
 * so an app's `new Registry()` is one. A prom-client laid out otherwise gets its index.
 */
function promClient(): Pick<typeof PromClient, "Counter" | "Gauge" | "Histogram" | "Registry"> {
  try {
    return {
      Counter: requireCjs("prom-client/lib/counter") as typeof PromClient.Counter,
      Gauge: requireCjs("prom-client/lib/gauge") as typeof PromClient.Gauge,
      Histogram: requireCjs("prom-client/lib/histogram") as typeof PromClient.Histogram,
      Registry: requireCjs("prom-client/lib/registry") as typeof PromClient.Registry,
    };
  } catch {
    return requireCjs("prom-client") as typeof PromClient;
  }
}

const prom = promClient();

/** Seconds; the middleware's own work is tens of microseconds, a slow region lookup a few milliseconds. */
const DURATION_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

type Inc = { inc(value?: number): void };
type LogCounts = OutputCounts & { readonly sampledOut: number };

/**
 * The middleware's Prometheus metrics, in a registry of its own (never prom-client's global one),
 * so two middleware instances in one process count separately. An app that wants them next to its
 * own metrics merges registries: `Registry.merge([appRegistry, compliance.metrics])`.
 */
export class DecisionMetrics {
  readonly registry: Registry;
  /** The names registered, to take out of an app's registry on close(). */
  private readonly names: string[] = [];
  private readonly decisions: Counter<"region_source" | "outcome">;
  private readonly rules: Counter<"rule">;
  private readonly actions: Counter<"action">;
  private readonly duration: Histogram;
  private readonly ruleset: Gauge<"revision">;
  private revision: string | null = null;
  // prom-client hashes label objects on every call; a request should not pay for that.
  private readonly children = new Map<string, Inc>();

  /** Where the log line counts come from; the decision log sets it. */
  private logCounts: () => LogCounts | null = () => null;
  /** Counts what the decision log has queued; it sets this, and every scrape calls it first. */
  private pending: () => void = () => {};

  /** `registry`: the app's own, to register in instead (one middleware instance per registry). */
  constructor(registry?: Registry) {
    this.registry = registry ?? new prom.Registry();
    const registers = [this.registry];
    const collect = (): void => this.pending();
    this.decisions = new prom.Counter({ name: "geo_compliance_decisions_total", help: "Decisions, by where the region came from and what happened to the response", labelNames: ["region_source", "outcome"], registers, collect });
    this.rules = new prom.Counter({ name: "geo_compliance_rule_decisions_total", help: "Decisions in which each rule applied", labelNames: ["rule"], registers, collect });
    this.actions = new prom.Counter({ name: "geo_compliance_actions_total", help: "Actions decided, by kind", labelNames: ["action"], registers, collect });
    this.duration = new prom.Histogram({ name: "geo_compliance_middleware_duration_seconds", help: "Time spent in the middleware for one request", buckets: DURATION_BUCKETS, registers, collect });
    this.ruleset = new prom.Gauge({ name: "geo_compliance_ruleset_info", help: "The rule set revision in force (value 1)", labelNames: ["revision"], registers, collect });
    const lines: Counter<"result"> = new prom.Counter({
      name: "geo_compliance_log_lines_total",
      help: "Decision log lines written, failed (lost) or left out by sampling",
      labelNames: ["result"],
      registers,
      // Read from the log when scraped, so the counts cannot drift from status().
      collect: () => {
        this.pending();
        const c = this.logCounts();
        lines.reset();
        if (!c) return;
        lines.inc({ result: "written" }, c.written);
        lines.inc({ result: "failed" }, c.failed);
        lines.inc({ result: "sampled_out" }, c.sampledOut);
      },
    });
    this.names.push("geo_compliance_decisions_total", "geo_compliance_rule_decisions_total", "geo_compliance_actions_total", "geo_compliance_middleware_duration_seconds", "geo_compliance_ruleset_info", "geo_compliance_log_lines_total");
  }

  /** Takes this instance's metrics out of the registry, so that another can register them. */
  unregister(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name);
  }

  countLogLines(counts: () => LogCounts | null): void {
    this.logCounts = counts;
  }

  beforeCollect(pending: () => void): void {
    this.pending = pending;
  }

  private child(key: string, make: () => Inc): Inc {
    let c = this.children.get(key);
    if (!c) {
      c = make();
      this.children.set(key, c);
    }
    return c;
  }

  setRevision(revision: string): void {
    if (revision === this.revision) return;
    this.revision = revision;
    this.ruleset.reset();
    this.ruleset.set({ revision }, 1);
  }

  observe(r: DecisionRecord): void {
    const d = r.decision;
    this.setRevision(d.revision);
    const source = d.region.source;
    const outcome = outcomeOf({ rules: d.matched, actions: d.actions, rewritten: r.rewritten, error: r.error });
    this.child(`d\0${source}\0${outcome}`, () => this.decisions.labels({ region_source: source, outcome })).inc();
    for (const rule of d.matched) this.child(`r\0${rule}`, () => this.rules.labels({ rule })).inc();
    for (const a of d.actions) this.child(`a\0${a.kind}`, () => this.actions.labels({ action: a.kind })).inc();
    this.duration.observe(r.durationMicros / 1e6);
  }

  /** An Express-compatible handler that serves the exposition text; mount it where the app wants. */
  readonly handler = (_req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void => {
    this.registry.metrics().then(
      (text) => {
        res.statusCode = 200;
        res.setHeader("Content-Type", this.registry.contentType);
        res.end(text);
      },
      (error: unknown) => {
        if (next) next(error);
        else {
          res.statusCode = 500;
          res.end(String(error));
        }
      },
    );
  };
}
