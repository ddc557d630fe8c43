import { isIP } from "node:net";
import { compileTrust, normalizeAddress } from "../region/client-address.js";
import { defaultDatabasePath, GeoIpDatabase } from "../region/geoip.js";
import { RegionResolver } from "../region/resolve.js";
import type { Region } from "../region/types.js";
import type { Decision } from "../rules/decide.js";
import { RuleStore } from "../rules/store.js";
import { traceDecision, type TraceEntry } from "../rules/trace.js";
import { locateDatabase } from "../region/database-package.js";
import { regionCodeProblem } from "../rules/regions.js";
import { isRegionCodeShaped } from "../region/region-code.js";
import { UsageError } from "./usage.js";

export interface ExplainArgs {
  readonly ip?: string | undefined;
  readonly region?: string | undefined;
  readonly db?: string | undefined;
  readonly path: string;
  readonly lang?: string | undefined;
  readonly at?: string | undefined;
  /** The reader sends `Sec-GPC: 1`. */
  readonly gpc?: boolean | undefined;
  readonly rules: readonly string[];
}

export interface Explanation {
  readonly region: Region;
  readonly decision: Decision;
  /** Every rule: whether it matched, and if not, why not. */
  readonly trace: readonly TraceEntry[];
  readonly notices: ReadonlyArray<{ rule: string; language: string; title: string; text: string }>;
}

export function parseRegionArg(value: string): Region {
  if (!isRegionCodeShaped(value)) throw new UsageError(`--region ${value}: write a country code such as RU or a subdivision such as UA-43`);
  const code = value.toUpperCase();
  const country = code.slice(0, 2);
  const subdivision = code.length > 2 ? code : null;
  // Checked as validate checks a rule's regions: UK, XX-99 or UA-99 would only ever match nothing.
  const problem = regionCodeProblem(subdivision ?? country);
  if (problem) throw new UsageError(`--region ${value}: ${problem}`);
  return { country, subdivision, source: "preview", reason: "given on the command line" };
}

/** `--db`: a file or an installed database package, as `geoip.database` takes. */
export function databasePath(db: string): string {
  try {
    return locateDatabase(db).path;
  } catch (error) {
    throw new UsageError(`--db ${(error as Error).message.replace(/^geoip\.database: /, "")}`);
  }
}

export function explain(args: ExplainArgs): Explanation {
  if (!!args.ip === !!args.region) throw new UsageError("explain needs exactly one of --ip IP or --region CC[-SUB]");
  let now = new Date();
  if (args.at !== undefined) {
    now = new Date(args.at);
    if (Number.isNaN(now.getTime())) throw new UsageError(`--at ${args.at}: not an ISO 8601 date such as 2026-06-01T00:00:00Z`);
  }
  let region: Region;
  if (args.ip) {
    if (isIP(args.ip) === 0) throw new UsageError(`--ip ${args.ip}: not an IP address`);
    const database = GeoIpDatabase.open(args.db === undefined ? defaultDatabasePath() : databasePath(args.db));
    // The lookup the middleware makes for a client address (network overrides live in the app's options, not here).
    region = new RegionResolver({ trust: compileTrust(false), database: () => database, cacheSize: 0 }).lookup(normalizeAddress(args.ip));
  } else {
    region = parseRegionArg(args.region!);
  }
  const store = new RuleStore(args.rules, () => now);
  const ruleset = store.current;
  const { decision, rules: trace } = traceDecision(region, { method: "GET", path: args.path, acceptLanguage: args.lang, gpc: args.gpc ?? false }, ruleset, now);
  const notices = decision.actions.flatMap((a) => {
    if (a.kind !== "notice") return [];
    const text = ruleset.rules.find((r) => r.id === a.rule)?.notice?.texts[a.language];
    return text ? [{ rule: a.rule, language: a.language, title: text.title, text: text.text.trim() }] : [];
  });
  return { region, decision, trace, notices };
}

export function formatExplanation(e: Explanation): string {
  const r = e.region;
  const lines = [
    `region:   ${r.country ?? "unknown"}${r.subdivision ? ` (${r.subdivision})` : ""} — source ${r.source}${r.reason ? `, ${r.reason}` : ""}`,
    `revision: ${e.decision.revision}`,
    `rules:    ${e.decision.matched.length ? e.decision.matched.join(", ") : "none apply"}`,
  ];
  for (const t of e.trace) {
    const why = t.matched ? [t.because ?? "", ...t.setAside].filter(Boolean) : t.reasons.map((r) => r.message);
    lines.push(`  ${t.matched ? "applies " : "does not"} ${t.rule} (${t.source.file}:${t.source.line})${why.length ? `: ${why.join("; ")}` : ""}`);
  }
  for (const a of e.decision.actions) lines.push(`action:   ${a.kind} from ${a.rule}${a.kind === "notice" ? ` in ${a.language}, at ${a.placement.at}` : ""}`);
  for (const n of e.notices) lines.push("", `notice (${n.rule}, ${n.language}): ${n.title}`, ...n.text.split("\n").map((l) => `  ${l}`));
  return lines.join("\n");
}
