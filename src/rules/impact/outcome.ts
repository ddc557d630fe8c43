import { createHash } from "node:crypto";
import { NoticeRenderer } from "../../actions/notice.js";
import type { Region } from "../../region/types.js";
import type { Action } from "../actions.js";
import { decide, type Decision } from "../decide.js";
import type { CompiledRule, RuleSet } from "../types.js";

/** One imagined reader: everything a decision can depend on. */
export interface Reader {
  readonly region: Region;
  readonly at: Date;
  readonly gpc: boolean;
  /** The Accept-Language the reader sends, or null for none. */
  readonly language: string | null;
  readonly path: string;
}

/**
 * The decision for a reader. The facts are built in a variable, not as a literal, so that facts the
 * decision does not read yet (GPC) are carried without a type error and used as soon as it does.
 */
export function decideFor(reader: Reader, ruleset: RuleSet): Decision {
  const facts = { method: "GET", path: reader.path, acceptLanguage: reader.language ?? undefined, gpc: reader.gpc };
  return decide(reader.region, facts, ruleset, reader.at);
}

/** A notice text as the reader reads it. */
export interface NoticeContent {
  readonly rule: string;
  readonly language: string;
  readonly title: string;
  readonly text: string;
}

/** Something a reader gets: a rule that applies, an action, or a notice text. */
export interface Fact {
  /** Equal keys mean the reader gets the same thing. */
  readonly key: string;
  readonly kind: "rule" | "action" | "notice";
  readonly rule: string;
  /** Short, for a table: `notice (ru-undesirable-organization): language=ru placement.at=body-start`. */
  readonly label: string;
  /** The language of a notice text, or of an action that has one (a notice, a block page). */
  readonly language?: string;
  readonly action?: Action;
  readonly notice?: NoticeContent;
}

function compact(value: unknown, prefix: string): string[] {
  if (value === null || typeof value !== "object") return [`${prefix}=${typeof value === "string" ? value : JSON.stringify(value)}`];
  if (Array.isArray(value)) return [`${prefix}=${value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(",") || "[]"}`];
  return Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .flatMap(([k, v]) => compact(v, prefix ? `${prefix}.${k}` : k));
}

/** Any action, of any kind the rule language has or will have: its kind, its rule, then its other fields. */
export function describeAction(action: Action): string {
  const { kind, rule, ...rest } = action as Action & Record<string, unknown>;
  const fields = compact(rest, "");
  return `${kind} (${rule})${fields.length ? `: ${fields.join(" ")}` : ""}`;
}

/** JSON with sorted keys, so the same action always gives the same key. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Turns decisions into what the reader gets, for one rule set. Notice texts are compared as the
 * markup the middleware injects (the same renderer), so a change a reader can see is never missed.
 */
export class OutcomeReader {
  private readonly rules: ReadonlyMap<string, CompiledRule>;
  private readonly renderer = new NoticeRenderer();
  private readonly cache = new Map<string, readonly Fact[]>();

  constructor(readonly ruleset: RuleSet) {
    this.rules = new Map(ruleset.rules.map((r) => [r.id, r]));
  }

  title(ruleId: string): string | undefined {
    return this.rules.get(ruleId)?.title;
  }

  noticeContent(ruleId: string, language: string): NoticeContent | null {
    const text = this.rules.get(ruleId)?.notice?.texts[language];
    return text ? { rule: ruleId, language, title: text.title, text: text.text.trim() } : null;
  }

  /** The notice's markup as injected into the page, or null when the rule has no notice. */
  noticeMarkup(ruleId: string, language: string): string | null {
    const rule = this.rules.get(ruleId);
    return rule?.notice ? this.renderer.render(rule, language).utf8.toString("utf8") : null;
  }

  facts(decision: Decision): readonly Fact[] {
    const shape = stableJson([decision.matched, decision.actions]);
    let facts = this.cache.get(shape);
    if (facts) return facts;
    const list: Fact[] = decision.matched.map((id) => ({ key: `rule ${id}`, kind: "rule", rule: id, label: id }));
    for (const action of decision.actions) {
      const language = (action as { language?: unknown }).language;
      list.push({ key: `action ${stableJson(action)}`, kind: "action", rule: action.rule, label: describeAction(action), action, ...(typeof language === "string" ? { language } : {}) });
      if (action.kind !== "notice") continue;
      const markup = this.noticeMarkup(action.rule, action.language);
      const content = this.noticeContent(action.rule, action.language);
      if (markup === null || content === null) continue;
      const hash = createHash("sha256").update(markup).digest("base64url").slice(0, 16);
      list.push({ key: `notice ${action.rule} ${action.language} ${hash}`, kind: "notice", rule: action.rule, label: `${action.rule} [${action.language}]`, language: action.language, notice: content });
    }
    facts = Object.freeze(list);
    this.cache.set(shape, facts);
    return facts;
  }
}
