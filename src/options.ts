import type { IncomingMessage } from "node:http";
import type { Registry } from "prom-client";
import type { TrustProxy } from "./region/client-address.js";
import { existsSync } from "node:fs";
import { checkDecisionLogOptions, type DecisionLogOptions } from "./log/options.js";
import { checkLogger, type PinoLike } from "./log/logger-output.js";
import { resolveRegionOptions, type RegionOptions, type ResolvedRegionOptions } from "./region/options.js";
import { isTrackerCategory, TRACKER_CATEGORIES, type TrackerCategory } from "./actions/trackers/list.js";

/** An operator's tracker list: a file path, or a path with the category for formats that carry none. */
export type TrackerListSource = string | { readonly file: string; readonly category?: TrackerCategory };

export interface GeoComplianceOptions {
  /**
   * A rules folder, a rule file, or a list of either: `rules: "rules/"`. Required, so that no site
   * applies rules it did not choose; the package's own examples are `shippedRules`.
   */
  rules: string | readonly string[];
  /** A MaxMind-format database (default: the embedded CC0 country database), watched and swapped when replaced. */
  geoip?: RegionOptions["geoip"];
  /** Which peers may set `X-Forwarded-For`, in the Express/proxy-addr vocabulary. Default: none. */
  trustProxy?: TrustProxy;
  /** CDN/platform region headers believed from trusted proxies: "cloudflare", "cloudfront", "vercel", "appengine", or `{ country, subdivision? }`. */
  regionHeaders?: RegionOptions["regionHeaders"];
  /** CIDR → region overrides: `[{ cidr: "10.8.0.0/16", region: "UA-43" }]`. */
  networks?: RegionOptions["networks"];
  /** Signed previews `{ secret, cookie?, header? }`; off without a secret. */
  preview?: RegionOptions["preview"];
  /** Where decision lines go, or false for none. Default: stdout. */
  decisionLog?: DecisionLogOptions | false;
  /**
   * The app's pino logger, or a child of it: decision lines and lifecycle events are written through
   * it (with its bindings, time format and destination) instead of to `decisionLog.destination`.
   * `decisionLog`'s other settings still apply. Its level must let `info` through.
   */
  logger?: PinoLike;
  /** A name for this process in the decision log. Default: host name and pid. */
  instance?: string;
  /** The clock the decision uses; tests and previews replace it. */
  clock?: () => Date;
  /** Reload the rules when their files change. Default: true. */
  watch?: boolean;
  /**
   * Tracker lists to add to the shipped rules/trackers.yaml for rules in `list` mode: the same YAML
   * format, Disconnect's services.json, plain host lists or AdBlock-style `||host^` lists. Loaded and
   * checked at start-up. Default: none.
   */
  trackerLists?: readonly TrackerListSource[];
  /** Memory for rewritten pages reused across readers, or false for none. Default: 64 MB. */
  rewriteCache?: { maxBytes?: number } | false;
  /**
   * Requests to leave out, e.g. `(req) => req.url.startsWith("/assets/")`: returning true passes the
   * request on untouched, with no decision, no `Geo-Compliance-Decision` header, no cache marking and
   * no log line. Default: none.
   */
  skip?: (req: IncomingMessage) => boolean;
  /**
   * Let the decision log handle the process's signals: write out what is buffered on exit, and on
   * SIGTERM (when the app has no SIGTERM handler of its own) close and raise the signal again.
   * Default: false, the app shuts down and calls `close()` (see the README's shutdown).
   */
  handleSignals?: boolean;
  /** `{ registry }`: the app's prom-client Registry to count in, in place of one of the middleware's own. */
  metrics?: { registry?: Registry };
}

/** Options after validation: every field present and checked. */
export interface ResolvedOptions extends ResolvedRegionOptions {
  readonly rules: readonly string[];
  readonly trustProxy: TrustProxy | undefined;
  readonly decisionLog: DecisionLogOptions | false;
  readonly logger: PinoLike | undefined;
  readonly instance: string | undefined;
  readonly clock: () => Date;
  readonly watch: boolean;
  readonly trackerLists: readonly { readonly file: string; readonly category?: TrackerCategory }[];
  /** 0 for no cache. */
  readonly rewriteCacheBytes: number;
  readonly skip: ((req: IncomingMessage) => boolean) | undefined;
  readonly handleSignals: boolean;
  readonly metricsRegistry: Registry | undefined;
}

const KNOWN = new Set(["rules", "geoip", "trustProxy", "regionHeaders", "networks", "preview", "decisionLog", "logger", "instance", "clock", "watch", "trackerLists", "rewriteCache", "skip", "handleSignals", "metrics"]);

export const DEFAULT_REWRITE_CACHE_BYTES = 64 * 1024 * 1024;

export class OptionsError extends TypeError {
  constructor(message: string) {
    super(`geoCompliance options: ${message}`);
    this.name = "OptionsError";
  }
}

/** Checks the options once, at construction, so a typo fails start-up instead of a request. */
export function resolveOptions(input: GeoComplianceOptions | undefined): ResolvedOptions {
  const options = input ?? ({} as Partial<GeoComplianceOptions>);
  if (typeof options !== "object") throw new OptionsError("expected an object");
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new OptionsError(`unknown option "${key}"; known options are ${[...KNOWN].join(", ")}`);
  }
  let rules: readonly string[] | null = null;
  if (options.rules !== undefined) {
    const list = typeof options.rules === "string" ? [options.rules] : options.rules;
    if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === "string" && p.length > 0)) {
      throw new OptionsError("rules must be a folder or file path, or a non-empty list of them");
    }
    rules = [...list];
  }
  let region: ResolvedRegionOptions;
  try {
    region = resolveRegionOptions(options);
  } catch (error) {
    throw new OptionsError((error as Error).message);
  }
  const fail = (message: string): never => {
    throw new OptionsError(message);
  };
  const decisionLog = checkDecisionLogOptions(options.decisionLog, fail);
  const logger = checkLogger(options.logger, fail);
  if (logger && decisionLog) {
    for (const key of ["destination", "rotate"] as const) {
      if (decisionLog[key] !== undefined) fail(`logger and decisionLog.${key} both say where the lines go; give one (decisionLog's other settings apply to the logger's lines)`);
    }
  }
  if (options.instance !== undefined && (typeof options.instance !== "string" || options.instance.length === 0)) {
    throw new OptionsError("instance must be a non-empty string");
  }
  if (options.clock !== undefined && typeof options.clock !== "function") throw new OptionsError("clock must be a function returning a Date");
  if (options.watch !== undefined && typeof options.watch !== "boolean") throw new OptionsError("watch must be true or false");
  const trackerLists: { file: string; category?: TrackerCategory }[] = [];
  if (options.trackerLists !== undefined) {
    if (!Array.isArray(options.trackerLists)) throw new OptionsError('trackerLists must be a list of file paths or { file, category } objects');
    options.trackerLists.forEach((entry: unknown, i: number) => {
      const where = `trackerLists[${i}]`;
      const source = typeof entry === "string" ? { file: entry } : entry;
      if (typeof source !== "object" || source === null || typeof (source as { file?: unknown }).file !== "string" || (source as { file: string }).file === "") {
        throw new OptionsError(`${where} must be a file path or { file, category }`);
      }
      for (const key of Object.keys(source)) if (key !== "file" && key !== "category") throw new OptionsError(`unknown option "${where}.${key}"`);
      const { file, category } = source as { file: string; category?: unknown };
      if (!existsSync(file)) throw new OptionsError(`${where}: no such file ${file}`);
      if (category !== undefined && !isTrackerCategory(category)) throw new OptionsError(`${where}.category must be one of ${TRACKER_CATEGORIES.join(", ")}`);
      trackerLists.push(category === undefined ? { file } : { file, category });
    });
  }
  let rewriteCacheBytes = DEFAULT_REWRITE_CACHE_BYTES;
  if (options.rewriteCache === false) rewriteCacheBytes = 0;
  else if (options.rewriteCache !== undefined) {
    if (typeof options.rewriteCache !== "object" || options.rewriteCache === null) throw new OptionsError("rewriteCache must be { maxBytes } or false");
    for (const key of Object.keys(options.rewriteCache)) if (key !== "maxBytes") throw new OptionsError(`unknown option "rewriteCache.${key}"`);
    const max = options.rewriteCache.maxBytes;
    if (max !== undefined) {
      if (typeof max !== "number" || !Number.isInteger(max) || max < 0) throw new OptionsError("rewriteCache.maxBytes must be a whole number of bytes (0 for no cache)");
      rewriteCacheBytes = max;
    }
  }
  if (options.skip !== undefined && typeof options.skip !== "function") throw new OptionsError("skip must be a function (req) => boolean, true for requests to leave out");
  if (options.handleSignals !== undefined && typeof options.handleSignals !== "boolean") throw new OptionsError("handleSignals must be true or false");
  let metricsRegistry: Registry | undefined;
  if (options.metrics !== undefined) {
    if (typeof options.metrics !== "object" || options.metrics === null) throw new OptionsError("metrics must be { registry }");
    for (const key of Object.keys(options.metrics)) if (key !== "registry") throw new OptionsError(`unknown option "metrics.${key}"`);
    const registry = options.metrics.registry as Partial<Registry> | undefined;
    if (registry !== undefined && (typeof registry !== "object" || registry === null || typeof registry.registerMetric !== "function" || typeof registry.metrics !== "function")) {
      throw new OptionsError("metrics.registry must be a prom-client Registry (new Registry(), or prom-client's register)");
    }
    metricsRegistry = registry as Registry | undefined;
  }
  // Checked last, so a mistake in another option is reported as itself.
  if (rules === null) {
    throw new OptionsError(
      'rules is required: the folder of your rule files, e.g. geoCompliance({ rules: "rules/" }); ' +
        'to start from the examples shipped with the package, copy them (node_modules/geo-compliance/rules) or pass ' +
        '`import { shippedRules } from "geo-compliance"` as rules',
    );
  }
  return {
    rules,
    ...region,
    trustProxy: options.trustProxy,
    decisionLog,
    logger,
    instance: options.instance,
    clock: options.clock ?? (() => new Date()),
    watch: options.watch ?? true,
    trackerLists,
    rewriteCacheBytes,
    skip: options.skip,
    handleSignals: options.handleSignals ?? false,
    metricsRegistry,
  };
}
