import type { IncomingMessage, ServerResponse } from "node:http";
import { referrerPolicy } from "helmet";
import type { HeaderAction } from "../rules/actions.js";
import type { RuleSet } from "../rules/types.js";
import { splitHeaderList } from "./header-list.js";
import { isHttpToken } from "../header-name.js";

/** A rule asks for a header that cannot or must not be sent. */
export class HeaderError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`response headers refused:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "HeaderError";
  }
}

/** RFC 9110 field-name: a token. */
/** What Node itself lets through in a field value: tab, visible ASCII, and bytes 0x80-0xff. */
const VALUE_CHAR = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Headers a rule may not set: they frame the message (a wrong one corrupts or smuggles the body),
 * are hop-by-hop, or belong to other actions (cookies, redirects) and to the decision id.
 */
const RESERVED = new Set([
  "connection",
  "content-encoding",
  "content-length",
  "content-type",
  "date",
  "geo-compliance-decision",
  "geo-compliance-preview-decision",
  "host",
  "keep-alive",
  "location",
  "proxy-connection",
  "set-cookie",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Whether a rule may not set this header (the server, the framing or another action owns it). */
export function isReservedHeader(name: string): boolean {
  return RESERVED.has(name.toLowerCase());
}

/** Why a rule-given header cannot be sent, or null. Shared with the rule loader so it can report a position. */
export function headerProblem(name: unknown, value: unknown): string | null {
  if (!isHttpToken(name)) {
    return `${JSON.stringify(name)} is not a header name: use letters, digits and - only, such as X-Robots-Tag`;
  }
  if (isReservedHeader(name)) return `header ${name} cannot be set by a rule: it is managed by the server or by another action`;
  if (typeof value !== "string" || value.trim().length === 0) return `header ${name} needs a non-empty text value`;
  if (/[\r\n]/.test(value)) return `header ${name}: the value contains a line break (CR or LF); a header value must be a single line`;
  if (!VALUE_CHAR.test(value)) {
    const bad = [...value].find((c) => !VALUE_CHAR.test(c)) ?? "";
    return `header ${name}: the value contains ${JSON.stringify(bad)} (U+${bad.codePointAt(0)?.toString(16).toUpperCase().padStart(4, "0")}), which a header cannot carry; percent-encode it or leave it out`;
  }
  return null;
}

/**
 * Checks every header every rule of the set asks for; throws one HeaderError naming each rule,
 * its file and line, so a bad header stops the rules from being used instead of reaching a reader.
 */
export function assertRuleHeaders(ruleset: RuleSet): void {
  const problems: string[] = [];
  for (const rule of ruleset.rules) {
    for (const header of rule.headers) {
      const problem = headerProblem(header.name, header.value);
      if (problem) problems.push(`${rule.source.file}:${rule.source.line}:${rule.source.col}: rule ${rule.id}: ${problem}`);
    }
  }
  if (problems.length > 0) throw new HeaderError(problems);
}

/**
 * Sets the headers a decision asks for, replacing what the app set under the same name. A header
 * that fails the check (it should have been refused when the rules loaded) is not sent; the
 * problems are returned for the decision log.
 */
export function applyRuleHeaders(res: ServerResponse, actions: readonly HeaderAction[]): string[] {
  const refused: string[] = [];
  for (const action of actions) {
    const problem = headerProblem(action.name, action.value);
    if (problem) refused.push(`rule ${action.rule}: ${problem}`);
    else res.setHeader(action.name, action.value);
  }
  return refused;
}

/** Browser features a page with trackers switched off must not offer: the Topics API hands interests to ad tech. */
export const FEATURES_OFF: readonly string[] = ["browsing-topics"];

const FEATURE = /^[a-z][a-z0-9-]*$/;
/** A Permissions-Policy member: a feature, then an allowlist or token, then parameters. */
const MEMBER = /^([a-z*][a-z0-9_.*-]*)(?:=(.+))?$/s;

function checkedFeatures(features: readonly string[]): readonly string[] {
  for (const f of features) if (!FEATURE.test(f)) throw new HeaderError([`Permissions-Policy: "${f}" is not a feature name`]);
  return Object.freeze([...features]);
}

const OFF = checkedFeatures(FEATURES_OFF);

/**
 * The Permissions-Policy to send: the app's policy with each feature in `off` set to `()`, added
 * when absent. A policy that does not parse is ignored whole by browsers, so it is replaced rather
 * than extended (replacing it cannot grant anything the browser would have allowed).
 */
export function permissionsPolicy(existing: string | null, off: readonly string[] = OFF): string {
  const ours = off.map((f) => `${f}=()`);
  if (existing === null || existing.trim() === "") return ours.join(", ");
  const { parts: members, balanced } = splitHeaderList(existing);
  if (!balanced || members.some((m) => !MEMBER.test(m))) return ours.join(", ");
  const kept = members.filter((m) => !off.includes(MEMBER.exec(m)![1]!));
  return [...kept, ...ours].join(", ");
}

function headerText(value: number | string | readonly string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : String(value);
}

// helmet validates the policy when it builds the middleware, here, once.
const noReferrer = referrerPolicy({ policy: "no-referrer" });
const noop = (): void => {};

/**
 * The privacy headers for a reader whose trackers are switched off: no Referer leaves the page
 * (it tells a third party which article was read), and the Topics API is off.
 */
export function applyPrivacyHeaders(req: IncomingMessage, res: ServerResponse): void {
  noReferrer(req, res, noop);
  res.setHeader("Permissions-Policy", permissionsPolicy(headerText(res.getHeader("permissions-policy"))));
}
