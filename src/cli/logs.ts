import { statSync } from "node:fs";
import { scanLogFiles, type FileRead } from "../log/read.js";
import { LogSummary, type LogSummaryJSON } from "../log/summary.js";
import { FLAG, parseOptions, TEXT } from "./options.js";
import { UsageError } from "./usage.js";

type Out = (text: string) => void;

function checkFiles(files: readonly string[]): void {
  if (files.length === 0) throw new UsageError("name at least one log file (plain, rotated or gzipped)");
  for (const file of files) {
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new Error(`${file}: no such file`);
    }
    if (!isFile) throw new Error(`${file}: not a file`);
  }
}

function parseTime(option: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`--${option} ${value}: not an ISO 8601 time such as 2026-06-01T12:00:00Z`);
  return t;
}

const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

function counts(record: Record<string, number>, limit = 12): string {
  const entries = Object.entries(record);
  if (entries.length === 0) return "none";
  const shown = entries.slice(0, limit).map(([k, n]) => `${k} ${n}`);
  if (entries.length > limit) shown.push(`… ${entries.length - limit} more (--json for all)`);
  return shown.join(", ");
}

export function formatSummary(s: LogSummaryJSON): string {
  const gz = s.files.filter((f) => f.gzip).length;
  const lines = [
    `files:       ${s.files.length}${gz ? ` (${gz} gzipped)` : ""}; ${s.lines} lines: ${s.decisions} decisions, ${s.lifecycle} lifecycle events${s.malformed.count ? `, ${s.malformed.count} unreadable` : ""}`,
    `time:        ${s.time.from ?? "?"} to ${s.time.to ?? "?"}`,
  ];
  if (s.sampled.lines > 0) lines.push(`sampling:    ${s.sampled.lines} lines kept by sampling; the decisions stand for about ${s.sampled.estimatedDecisions}`);
  lines.push("revisions:");
  for (const r of s.revisions) lines.push(`  ${r.revision}  ${r.first} to ${r.last}  ${r.decisions} decisions  on ${r.instances.length} instance(s): ${r.instances.slice(0, 5).join(", ")}${r.instances.length > 5 ? ", …" : ""}`);
  if (s.revisions.length === 0) lines.push("  none");
  lines.push(
    `rules:       ${counts(s.byRule)}`,
    `regions:     ${counts(s.byRegion)}`,
    `unknown:     ${s.unknownRegion.count} decisions (${pct(s.unknownRegion.share)}) had no known region`,
    `sources:     ${counts(s.byRegionSource)}`,
    `actions:     ${counts(s.byAction)}`,
    `outcomes:    ${counts(s.byOutcome)}`,
    `statuses:    ${counts(s.byStatus)}`,
    `rewritten:   ${s.rewritten}; rewrite failures: ${s.rewriteFailures.count}${s.rewriteFailures.count ? ` (${counts(s.rewriteFailures.messages, 3)})` : ""}`,
    `errors:      ${counts(s.errors, 5)}`,
    `middleware:  ${s.durationUs ? `p50 ${s.durationUs.p50} µs, p90 ${s.durationUs.p90} µs, p99 ${s.durationUs.p99} µs, max ${s.durationUs.max} µs` : "no timings"}`,
    `bytes out:   ${s.bytes}`,
    `lifecycle:   ${counts(s.lifecycleEvents)}`,
  );
  for (const r of s.rejected) lines.push(`  ${r.time} ${r.instance} ${r.event}: ${r.error.split("\n")[0]}`);
  for (const m of s.malformed.examples) lines.push(`unreadable:  ${m}`);
  return lines.join("\n");
}

async function summary(args: readonly string[], out: Out): Promise<number> {
  const { values, positionals } = parseOptions(args, { json: FLAG });
  checkFiles(positionals);
  const s = new LogSummary();
  const files: FileRead[] = await scanLogFiles(
    positionals,
    (text, where) => {
      s.addText(text, where);
    },
    (where) => s.malformedLine(where, `longer than any log line; skipped`),
  );
  const result = s.toJSON(files);
  out(values.json ? JSON.stringify(result, null, 2) : formatSummary(result));
  return 0;
}

type Json = Record<string, unknown>;

function formatDecision(l: Json): string {
  const region = (l.region ?? {}) as Json;
  const where = (region.subdivision as string | null) ?? (region.country as string | null) ?? "unknown";
  const actions = Array.isArray(l.actions) ? (l.actions as Json[]).map((a) => `${String(a.kind)}${a.language ? `:${String(a.language)}` : ""}`).join(",") : "";
  const rules = Array.isArray(l.rules) && l.rules.length ? (l.rules as string[]).join(",") : "-";
  return [l.time, l.decision_id, l.instance, `rev ${String(l.revision)}`, `${where} (${String(region.source)})`, l.method, l.path ?? "(path not logged)", l.status, `rules ${rules}`, `actions ${actions || "-"}`, l.rewritten ? "rewritten" : "", l.error ? `error: ${String(l.error)}` : ""]
    .filter((x) => x !== "" && x !== undefined)
    .join("  ");
}

async function find(args: readonly string[], out: Out, err: Out): Promise<number> {
  const { values, positionals } = parseOptions(args, { decision: TEXT, rule: TEXT, region: TEXT, since: TEXT, until: TEXT, json: FLAG });
  const selectors = [values.decision, values.rule, values.region].filter((v) => v !== undefined).length;
  if (selectors !== 1) throw new UsageError("find needs exactly one of --decision ID, --rule ID or --region CC[-SUB]");
  checkFiles(positionals);
  const since = parseTime("since", values.since);
  const until = parseTime("until", values.until);
  const region = values.region?.toUpperCase();
  // A cheap test on the raw text first: most lines never need parsing.
  const needle = values.decision ?? (values.rule !== undefined ? JSON.stringify(values.rule) : JSON.stringify(region));
  let found = 0;
  let unreadable = 0;
  await scanLogFiles(positionals, (text) => {
    if (!text.includes(needle)) return;
    let l: Json;
    try {
      l = JSON.parse(text) as Json;
    } catch {
      unreadable++;
      return;
    }
    if (l.type !== "decision") return;
    if (values.decision !== undefined && l.decision_id !== values.decision) return;
    if (values.rule !== undefined && !(Array.isArray(l.rules) && l.rules.includes(values.rule))) return;
    if (region !== undefined) {
      const r = (l.region ?? {}) as Json;
      if (r.country !== region && r.subdivision !== region) return;
    }
    if (since !== null || until !== null) {
      const t = typeof l.time === "string" ? Date.parse(l.time) : NaN;
      if (Number.isNaN(t) || (since !== null && t < since) || (until !== null && t > until)) return;
    }
    found++;
    out(values.json ? text : formatDecision(l));
    // Decision ids are unique: the first match is the answer.
    if (values.decision !== undefined) return false;
  });
  if (unreadable > 0) err(`geo-compliance: ${unreadable} matching line(s) were not valid JSON and were skipped`);
  if (found === 0) {
    err("geo-compliance: no decision matched");
    return 1;
  }
  return 0;
}

/** `geo-compliance logs summary|find …`: reads files as streams, so it runs asynchronously. */
export async function runLogs(argv: readonly string[], out: Out = (t) => process.stdout.write(t + "\n"), err: Out = (t) => process.stderr.write(t + "\n")): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "summary":
      return summary(rest, out);
    case "find":
      return find(rest, out, err);
    default:
      throw new UsageError(sub === undefined ? "logs needs a subcommand: summary or find" : `unknown logs subcommand "${sub}"; use summary or find`);
  }
}
