import type { ErrorObject } from "ajv";
import { dateHint, type DateContext } from "./dates.js";
import { countryShapeHint, subdivisionShapeHint } from "./regions.js";
import { didYouMean } from "./suggest.js";

/** The path of an ajv error as YAML path segments (numbers for list items). */
export function pathOf(error: ErrorObject): (string | number)[] {
  return error.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The nearest key name on the path: what a reader of the file calls this place. */
function field(error: ErrorObject): string | undefined {
  return pathOf(error)
    .filter((p): p is string => typeof p === "string")
    .pop();
}

function where(error: ErrorObject): string {
  const path = pathOf(error);
  const last = path.at(-1);
  if (typeof last === "number") {
    const list = path.at(-2);
    const { id, name } = (typeof error.data === "object" && error.data !== null ? error.data : {}) as { id?: unknown; name?: unknown };
    if (list === "rules") return typeof id === "string" ? `the rule "${id}"` : `rule ${last + 1}`;
    // A test is known by its name: that is what its author wrote and what `geo-compliance test` prints.
    if (list === "tests") return typeof name === "string" && name.trim() ? `the test "${name}"` : `test ${last + 1}`;
    if (list === "actions") return `expected action ${last + 1}`;
  }
  const name = field(error);
  return name ? `"${name}"` : "the file";
}

function typeWords(type: string): string {
  if (type === "array") return "a list";
  if (type === "object") return "a set of keys";
  if (type === "integer") return "a whole number";
  if (type === "boolean") return "true or false";
  return `a ${type}`;
}

/** A value as it can appear in a one-line message: quoted, with line breaks shown as \n. */
function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Whether the error is about an item of a list (its path ends in a number). */
function isItem(error: ErrorObject): boolean {
  return typeof pathOf(error).at(-1) === "number";
}

/** What a message may say beyond the error itself: the offset of the rule's other date. */
export interface MessageContext {
  readonly date?: DateContext;
}

function patternHint(error: ErrorObject, context: MessageContext): string {
  const name = field(error);
  const value = typeof error.data === "string" ? error.data : String(error.data);
  const path = pathOf(error);
  if (path[0] === "groups") return path.length === 3 ? (/^[A-Za-z]{2}$/.test(value) || !value.includes("-") ? countryShapeHint(value) : subdivisionShapeHint(value)) : "use capitals, digits and dashes";
  if (name === "countries") return countryShapeHint(value);
  if (name === "subdivisions") return subdivisionShapeHint(value);
  if (name === "id") return "use lower-case letters, digits and dashes, such as ru-undesirable-organization";
  if (name === "from" || name === "until" || name === "date") return dateHint(value, context.date);
  if (name === "groups" && path.length === 1) return `${value} is not a group name; use capitals, digits and dashes, at least three characters, such as RU-CONTROLLED`;
  if (path.includes("paths")) return `write a path starting with /, such as /${value.replace(/^\.?\/*/, "")}`;
  if (name === "groups" || name === "exclude") {
    if (/^[a-z]{2}(-[a-z0-9]{1,3})?$/i.test(value)) return `write it in capitals: ${value.toUpperCase()}`;
    return `write a country code (RU), a subdivision code (UA-43)${name === "exclude" ? " or a group (EEA)" : ""}`;
  }
  if (name === "path") return `write a path starting with /, such as /${value.replace(/^\.?\/*/, "")}`;
  if (name === "region") return `write a country code (RU), a subdivision code (UA-43), or unknown`;
  if (name === "location") return "write a full address starting with https:// or a path on this site starting with /";
  if (name === "url" || name === "blockedBy") return "write a full web address starting with https://";
  if (name === "defaultLanguage" || path.includes("languages")) return "write a language tag such as en, ru, uk or pt-BR";
  if (name === "drop") return "write a cookie name, with * for any characters, such as _ga*";
  if (path.includes("headers")) {
    // The same characters the server can send (see headerProblem), so a set that loads can always be served.
    const bad = [...value].find((c) => !/[\t\x20-\x7e\x80-\xff]/.test(c));
    if (bad === undefined || bad === "\r" || bad === "\n") return "a header value must be on one line";
    return `a header value cannot carry ${JSON.stringify(bad)} (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}); percent-encode it or leave it out`;
  }
  return `it must match ${String((error.params as { pattern: string }).pattern)}`;
}

/** A message a rule author can act on: what is wrong, and what to write instead. */
export function schemaMessage(error: ErrorObject, context: MessageContext = {}): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(p.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = didYouMean(key, known);
      return `unknown key "${key}" in ${where(error)}; ${hint || `remove it${known.length ? `, or use one of: ${known.join(", ")}` : ""}`}`;
    }
    case "required":
      return `${where(error)} is missing "${String(p.missingProperty)}"; add it`;
    case "type":
      return `${isItem(error) ? `each entry of ${where(error)}` : where(error)} must be ${typeWords(String(p.type))}, not ${show(error.data)}`;
    case "enum": {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const hint = typeof error.data === "string" ? (sameMeaning(error.data, allowed) ?? didYouMean(error.data, allowed)) : "";
      return `${where(error)} must be one of: ${allowed.join(", ")}${hint ? `; ${hint}` : ""}`;
    }
    case "const":
      return `${where(error)} can only be ${show(p.allowedValue)}`;
    case "pattern":
      return `${show(error.data)} in ${where(error)} is not right: ${patternHint(error, context)}`;
    case "propertyNames":
      return `"${String(p.propertyName)}" is not a language tag; write one such as en, ru or pt-BR`;
    case "minItems":
    case "minProperties":
      return `${where(error)} must not be empty; remove it or fill it in`;
    case "minLength":
      return `${where(error)} must not be empty`;
    case "maxLength":
      return `${where(error)} is too long: at most ${String(p.limit)} characters`;
    case "minimum":
    case "maximum":
      return `${where(error)} must be between -1000 and 1000`;
    case "uniqueItems":
      return `${where(error)} lists the same value twice (entries ${Number(p.j) + 1} and ${Number(p.i) + 1}); remove one`;
    case "format":
      return `${where(error)} must be a web address starting with https://`;
    default:
      return `${where(error)} ${error.message ?? "is invalid"}`;
  }
}

/** For `propertyNames` errors, the message names the bad key; some keys are not language tags. */
export function propertyNameMessage(error: ErrorObject, propertyName: string): string {
  const path = pathOf(error);
  const name = path.filter((p): p is string => typeof p === "string").pop();
  if (name === "headers") return `"${propertyName}" is not a header name; header names use letters, digits and dashes, such as Referrer-Policy`;
  if (name === "groups" || path.length === 1) return `"${propertyName}" is not a group name; use capitals, digits and dashes, at least three characters, such as RU-CONTROLLED`;
  return `"${propertyName}" is not a language tag; write one such as en, ru or pt-BR`;
}

/** Words for the start and the end of something that people write for ours: body-top means body-start. */
const SAME_MEANING: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(top|begin|beginning|head|first|open|opening)\b/, "start"],
  [/\b(bottom|foot|footer|last|close|closing|finish)\b/, "end"],
];

/** `did you mean "body-start"?` for a value that says the same in other words, or null. */
function sameMeaning(value: string, allowed: readonly string[]): string | null {
  for (const [words, ours] of SAME_MEANING) {
    const candidate = value.toLowerCase().replace(/[_\s]+/g, "-").replace(words, ours);
    if (candidate !== value && allowed.includes(candidate)) return `did you mean "${candidate}"?`;
  }
  return null;
}
