import { compareRuleSets, type Change, type Impact, type When } from "../rules/impact/compare.js";
import type { NoticeContent } from "../rules/impact/outcome.js";
import { mergeMentions } from "../rules/impact/probe.js";
import { loadSide, type RuleSide } from "./rule-sides.js";
import { UsageError } from "./usage.js";

export interface DiffArgs {
  readonly old: string;
  readonly new: string;
  /** Compare as of this instant instead of now (ISO 8601). */
  readonly at?: string | undefined;
  readonly cwd?: string | undefined;
}

export interface SideSummary {
  readonly spec: string;
  readonly commit?: string;
  readonly revision: string;
  readonly rules: readonly string[];
}

/** A notice text whose words changed while the notice itself stayed: what to proofread. */
export interface TextChange {
  readonly rule: string;
  readonly language: string;
  readonly before: { readonly title: string; readonly text: string };
  readonly after: { readonly title: string; readonly text: string };
  readonly regions: readonly string[];
}

export interface DiffReport {
  readonly old: SideSummary;
  readonly new: SideSummary;
  readonly impact: Impact;
  readonly texts: readonly TextChange[];
}

function summary(side: RuleSide): SideSummary {
  return { spec: side.spec, ...(side.commit ? { commit: side.commit } : {}), revision: side.ruleset.revision, rules: side.ruleset.rules.map((r) => r.id) };
}

/** Notice texts lost and gained in the same region for the same rule and language: edits of the words. */
function textChanges(impact: Impact): TextChange[] {
  const byKey = new Map<string, { rule: string; language: string; before: NoticeContent; after: NoticeContent; regions: string[] }>();
  for (const region of impact.regions) {
    const lost = region.changes.filter((c) => c.kind === "notice" && c.change === "lost");
    for (const l of lost) {
      const g = region.changes.find((c) => c.kind === "notice" && c.change === "gained" && c.rule === l.rule && c.language === l.language);
      if (!g?.notice || !l.notice) continue;
      const key = JSON.stringify([l.rule, l.language, l.notice.title, l.notice.text, g.notice.title, g.notice.text]);
      const entry = byKey.get(key);
      if (entry) entry.regions.push(region.code);
      else byKey.set(key, { rule: l.rule, language: l.language!, before: l.notice, after: g.notice, regions: [region.code] });
    }
  }
  return [...byKey.values()].map((t) => ({
    rule: t.rule,
    language: t.language,
    before: { title: t.before.title, text: t.before.text },
    after: { title: t.after.title, text: t.after.text },
    regions: t.regions,
  }));
}

function parseAt(at: string | undefined): Date {
  if (at === undefined) return new Date();
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--at ${at}: not an ISO 8601 date such as 2026-06-01T00:00:00Z`);
  return date;
}

/** Loads both sides and compares every reader's decision under each. */
export function diffRules(args: DiffArgs): DiffReport {
  const now = parseAt(args.at);
  const before = loadSide(args.old, now, args.cwd);
  const after = loadSide(args.new, now, args.cwd);
  const impact = compareRuleSets(before.ruleset, after.ruleset, mergeMentions(before.mentions, after.mentions), now);
  return { old: summary(before), new: summary(after), impact, texts: textChanges(impact) };
}

export function formatWhen(when: When): string {
  if (when.always) return "";
  const parts: string[] = [];
  if (when.periods) {
    parts.push(
      when.periods
        .map((p) => (p.from === null ? (p.until === null ? "any time" : `until ${p.until}`) : p.until === null ? `from ${p.from}` : `from ${p.from} until ${p.until}`))
        .join(", "),
    );
  }
  if (when.gpc) parts.push(when.gpc === "with" ? "with GPC" : "without GPC");
  if (when.languages) parts.push(`Accept-Language ${when.languages.map((l) => l ?? "none").join(", ")}`);
  if (when.paths) parts.push(`paths ${when.paths.join(", ")}`);
  return parts.join("; ") + (when.exact ? "" : " (in some combinations)");
}

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** The rows a person reads: a notice text that comes or goes with its action is not repeated; an edited text is one row. */
function displayRows(changes: readonly Change[]): Array<{ sign: string; kind: string; label: string; when: string }> {
  const rows: Array<{ sign: string; kind: string; label: string; when: string }> = [];
  for (const c of changes) {
    if (c.kind === "notice") {
      const withAction = changes.some((a) => a.kind === "action" && a.change === c.change && a.rule === c.rule && a.language === c.language);
      if (withAction) continue;
      const other = changes.find((o) => o.kind === "notice" && o.change !== c.change && o.rule === c.rule && o.language === c.language);
      if (other && c.change === "gained") continue; // shown once, with the lost half
      rows.push({ sign: other ? "~" : c.change === "gained" ? "+" : "-", kind: "text", label: `${c.label}${other ? " edited" : ""}`, when: formatWhen(c.when) });
      continue;
    }
    rows.push({ sign: c.change === "gained" ? "+" : "-", kind: c.kind, label: c.label, when: formatWhen(c.when) });
  }
  return rows;
}

function indent(text: string, by: string): string {
  return text
    .split("\n")
    .map((l) => (l ? by + l : l))
    .join("\n");
}

export function formatDiff(report: DiffReport): string {
  const { impact } = report;
  const side = (name: string, s: SideSummary): string => `${name} ${s.spec}${s.commit ? ` (${s.commit.slice(0, 12)})` : ""}: revision ${s.revision}, ${s.rules.length} rule(s)`;
  const r = impact.readers;
  const lines = [
    side("old", report.old),
    side("new", report.new),
    `readers: ${r.regions} regions; now (${r.instants[0]!.toISOString()})${r.instants.length > 1 ? ` and from ${r.instants.slice(1).map((d) => d.toISOString()).join(", ")}` : ""}; with and without GPC; Accept-Language ${r.languages.map((l) => l ?? "none").join(", ")}; paths ${r.paths.join(", ")}`,
  ];
  if (r.truncated.length > 0) lines.push(`note: not every value was tried (${r.truncated.join("; ")})`);
  lines.push("");
  if (!impact.changed) {
    lines.push(report.old.revision === report.new.revision ? "No reader is affected: the rules are the same." : "No reader is affected: what changed (titles, legal bases, order, comments) does not reach readers.");
    return lines.join("\n");
  }
  const codeWidth = Math.max(6, ...impact.regions.map((g) => g.code.length));
  const nameWidth = 30;
  lines.push(`${"REGION".padEnd(codeWidth)}  ${"NAME".padEnd(nameWidth)}  CHANGE`);
  for (const region of impact.regions) {
    let first = true;
    for (const row of displayRows(region.changes)) {
      const lead = first ? `${region.code.padEnd(codeWidth)}  ${fit(region.name, nameWidth)}` : " ".repeat(codeWidth + 2 + nameWidth);
      lines.push(`${lead}  ${row.sign} ${row.kind.padEnd(6)} ${row.label}${row.when ? `  [${row.when}]` : ""}`);
      first = false;
    }
  }
  for (const t of report.texts) {
    lines.push("", `text ${t.rule} [${t.language}] edited, for ${t.regions.join(", ")}:`);
    lines.push("  before:", indent(`${t.before.title}\n${t.before.text}`, "    "), "  after:", indent(`${t.after.title}\n${t.after.text}`, "    "));
  }
  lines.push("", `${impact.regions.length} region(s) change: ${impact.regions.map((g) => g.code).join(", ")}`);
  return lines.join("\n");
}

/** The report as JSON: dates as ISO strings, `changed` at the top for scripts. */
export function diffJson(report: DiffReport): unknown {
  const { impact } = report;
  return {
    changed: impact.changed,
    old: report.old,
    new: report.new,
    readers: { ...impact.readers, instants: impact.readers.instants.map((d) => d.toISOString()) },
    regions: impact.regions,
    texts: report.texts,
  };
}
