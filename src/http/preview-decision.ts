import type { Decision } from "../rules/decide.js";

/**
 * What the decision was, told only to a request that a valid preview token placed, so that
 * `geo-compliance audit` can check the page against it: the rules revision, the rules that applied,
 * the notices (rule and language) and how trackers are switched off. A reader without a token never
 * gets it: which rules protect whom is not the page's business.
 *
 * `revision=3f2a…; region=UA-43; rules=ru-undesirable-organization; notice=ru-undesirable-organization:ru; trackers=third-party; allow=cdn.example`
 * Every value is ASCII by construction: rule ids, language tags, region codes and registrable domains.
 */
export const PREVIEW_DECISION_HEADER = "Geo-Compliance-Preview-Decision";

export interface PreviewDecision {
  readonly revision: string;
  readonly region: string;
  readonly rules: readonly string[];
  readonly notices: readonly { readonly rule: string; readonly language: string }[];
  /** The strictest trackers action of the decision, or null when trackers are left alone. */
  readonly trackers: "third-party" | "list" | null;
  /** Registrable domains the trackers action leaves alone. */
  readonly allow: readonly string[];
  /** Set when the decision withholds the page (451) or sends the reader elsewhere. */
  readonly answer: "block" | "redirect" | null;
}

export function formatPreviewDecision(decision: Decision): string {
  const r = decision.region;
  const notices = decision.actions.flatMap((a) => (a.kind === "notice" ? [`${a.rule}:${a.language}`] : []));
  const trackers = decision.actions.find((a) => a.kind === "trackers");
  const answer = decision.actions.find((a) => a.kind === "block" || a.kind === "redirect");
  const parts = [`revision=${decision.revision}`, `region=${r.subdivision ?? r.country ?? "unknown"}`, `rules=${decision.matched.join(",")}`, `notice=${notices.join(",")}`];
  if (trackers?.kind === "trackers") parts.push(`trackers=${trackers.mode}`, `allow=${trackers.allow.join(",")}`);
  if (answer) parts.push(`answer=${answer.kind}`);
  return parts.join("; ");
}

const list = (v: string | undefined): string[] => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []);

/** Reads the header; null when it is absent or not one this version writes. */
export function parsePreviewDecision(value: string | null | undefined): PreviewDecision | null {
  if (!value) return null;
  const fields = new Map<string, string>();
  for (const part of value.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const revision = fields.get("revision");
  if (!revision) return null;
  const trackers = fields.get("trackers");
  const answer = fields.get("answer");
  return {
    revision,
    region: fields.get("region") ?? "unknown",
    rules: list(fields.get("rules")),
    notices: list(fields.get("notice")).map((n) => {
      const colon = n.lastIndexOf(":");
      return { rule: colon > 0 ? n.slice(0, colon) : n, language: colon > 0 ? n.slice(colon + 1) : "" };
    }),
    trackers: trackers === "third-party" || trackers === "list" ? trackers : null,
    allow: list(fields.get("allow")),
    answer: answer === "block" || answer === "redirect" ? answer : null,
  };
}
