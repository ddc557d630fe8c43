import type { Action, ConsentAction, NoticeAction, NoticePlacement, TrackersAction } from "../../src/rules/actions.js";
import type { Decision } from "../../src/rules/decide.js";
import { RuleStore } from "../../src/rules/store.js";
import type { RuleSet } from "../../src/rules/types.js";
import { shippedRulesDir } from "../../src/package-root.js";

export const RU_RULE = "ru-undesirable-organization";

let shipped: RuleSet | undefined;

/** The rules shipped in rules/. */
export function shippedRuleset(): RuleSet {
  shipped ??= new RuleStore([shippedRulesDir()], () => new Date(0)).current;
  return shipped;
}

/** Decisions are built directly here: the response stage is tested against the actions contract, not the rule language. */
export function decisionWith(actions: Action[], ruleset: RuleSet = shippedRuleset()): Decision {
  return {
    revision: ruleset.revision,
    region: { country: "RU", subdivision: null, source: "geoip" },
    matched: [...new Set(actions.map((a) => a.rule))],
    actions,
    log: "full",
    rewritesBody: actions.some((a) => a.kind === "notice" || a.kind === "trackers" || a.kind === "consent"),
  };
}

export function notice(placement: NoticePlacement = { at: "body-start" }, options: { language?: string; dismissible?: boolean; rule?: string } = {}): NoticeAction {
  return { kind: "notice", rule: options.rule ?? RU_RULE, language: options.language ?? "en", placement, dismissible: options.dismissible ?? false };
}

export function trackers(mode: "list" | "third-party", allow: string[] = [], rule = RU_RULE): TrackersAction {
  return { kind: "trackers", rule, mode, allow };
}

export function consent(defaults: Partial<ConsentAction["defaults"]> = {}, rule = RU_RULE): ConsentAction {
  return {
    kind: "consent",
    rule,
    defaults: {
      ad_storage: "denied",
      ad_user_data: "denied",
      ad_personalization: "denied",
      analytics_storage: "denied",
      functionality_storage: "denied",
      personalization_storage: "denied",
      security_storage: "granted",
      ...defaults,
    },
  };
}
