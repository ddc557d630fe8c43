import { existsSync } from "node:fs";
import type { DestinationStream } from "pino";
import type { TrustProxy } from "./region/client-address.js";
import type { DecisionLogOptions } from "./log/decision-log.js";

export interface GeoComplianceOptions {
  /** A rules folder, a rule file, or a list of either. Default: the rules shipped in the package. */
  rules?: string | readonly string[];
  /** A MaxMind-format database. Default: the embedded CC0 country database. */
  geoip?: { database?: string };
  /** Which peers may set `X-Forwarded-For`, in the Express/proxy-addr vocabulary. Default: none. */
  trustProxy?: TrustProxy;
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
export interface ResolvedOptions {
  readonly rules: readonly string[] | null;
  readonly geoipDatabase: string | null;
  readonly trustProxy: TrustProxy | undefined;
  readonly decisionLog: DecisionLogOptions | false;
  readonly instance: string | undefined;
  readonly clock: () => Date;
  readonly watch: boolean;
}

const KNOWN = new Set(["rules", "geoip", "trustProxy", "decisionLog", "instance", "clock", "watch"]);

export class OptionsError extends TypeError {
  constructor(message: string) {
    super(`geoCompliance options: ${message}`);
    this.name = "OptionsError";
  }
}

function isDestinationStream(value: unknown): value is DestinationStream {
  return typeof value === "object" && value !== null && typeof (value as { write?: unknown }).write === "function";
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
  let geoipDatabase: string | null = null;
  if (options.geoip !== undefined) {
    if (typeof options.geoip !== "object" || options.geoip === null) throw new OptionsError("geoip must be an object such as { database: '/path/GeoIP2-City.mmdb' }");
    for (const key of Object.keys(options.geoip)) if (key !== "database") throw new OptionsError(`unknown option "geoip.${key}"`);
    if (options.geoip.database !== undefined) {
      if (typeof options.geoip.database !== "string") throw new OptionsError("geoip.database must be a file path");
      if (!existsSync(options.geoip.database)) throw new OptionsError(`geoip.database: no such file ${options.geoip.database}`);
      geoipDatabase = options.geoip.database;
    }
  }
  let decisionLog: DecisionLogOptions | false = {};
  if (options.decisionLog === false) decisionLog = false;
  else if (options.decisionLog !== undefined) {
    if (typeof options.decisionLog !== "object" || options.decisionLog === null) throw new OptionsError("decisionLog must be an object or false");
    for (const key of Object.keys(options.decisionLog)) {
      if (key !== "destination" && key !== "enabled") throw new OptionsError(`unknown option "decisionLog.${key}"`);
    }
    const dest = options.decisionLog.destination;
    if (dest !== undefined && !(typeof dest === "string" && dest.length > 0) && dest !== 1 && dest !== 2 && !isDestinationStream(dest)) {
      throw new OptionsError("decisionLog.destination must be a file path, 1 (stdout), 2 (stderr) or a writable stream");
    }
    decisionLog = options.decisionLog.enabled === false ? false : options.decisionLog;
  }
  if (options.instance !== undefined && (typeof options.instance !== "string" || options.instance.length === 0)) {
    throw new OptionsError("instance must be a non-empty string");
  }
  if (options.clock !== undefined && typeof options.clock !== "function") throw new OptionsError("clock must be a function returning a Date");
  if (options.watch !== undefined && typeof options.watch !== "boolean") throw new OptionsError("watch must be true or false");
  return {
    rules,
    geoipDatabase,
    trustProxy: options.trustProxy,
    decisionLog,
    instance: options.instance,
    clock: options.clock ?? (() => new Date()),
    watch: options.watch ?? true,
  };
}
