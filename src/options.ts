import type { TrustProxy } from "./region/client-address.js";
import { checkDecisionLogOptions, type DecisionLogOptions } from "./log/options.js";
import { resolveRegionOptions, type RegionOptions, type ResolvedRegionOptions } from "./region/options.js";

export interface GeoComplianceOptions {
  /** A rules folder, a rule file, or a list of either. Default: the rules shipped in the package. */
  rules?: string | readonly string[];
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
  /** A name for this process in the decision log. Default: host name and pid. */
  instance?: string;
  /** The clock the decision uses; tests and previews replace it. */
  clock?: () => Date;
  /** Reload the rules when their files change. Default: true. */
  watch?: boolean;
}

/** Options after validation: every field present and checked. */
export interface ResolvedOptions extends ResolvedRegionOptions {
  readonly rules: readonly string[] | null;
  readonly trustProxy: TrustProxy | undefined;
  readonly decisionLog: DecisionLogOptions | false;
  readonly instance: string | undefined;
  readonly clock: () => Date;
  readonly watch: boolean;
}

const KNOWN = new Set(["rules", "geoip", "trustProxy", "regionHeaders", "networks", "preview", "decisionLog", "instance", "clock", "watch"]);

export class OptionsError extends TypeError {
  constructor(message: string) {
    super(`geoCompliance options: ${message}`);
    this.name = "OptionsError";
  }
}

/** Checks the options once, at construction, so a typo fails start-up instead of a request. */
export function resolveOptions(input: GeoComplianceOptions | undefined): ResolvedOptions {
  const options = input ?? {};
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
  const decisionLog = checkDecisionLogOptions(options.decisionLog, (message) => {
    throw new OptionsError(message);
  });
  if (options.instance !== undefined && (typeof options.instance !== "string" || options.instance.length === 0)) {
    throw new OptionsError("instance must be a non-empty string");
  }
  if (options.clock !== undefined && typeof options.clock !== "function") throw new OptionsError("clock must be a function returning a Date");
  if (options.watch !== undefined && typeof options.watch !== "boolean") throw new OptionsError("watch must be true or false");
  return {
    rules,
    ...region,
    trustProxy: options.trustProxy,
    decisionLog,
    instance: options.instance,
    clock: options.clock ?? (() => new Date()),
    watch: options.watch ?? true,
  };
}
