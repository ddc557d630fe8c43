import type { Decision } from "../rules/decide.js";
import type { Action } from "../rules/actions.js";
import { clientField } from "./client.js";
import type { ClientMode } from "./options.js";

/**
 * What the response stage did, beyond what the decision asked for. Every field is optional: the
 * stage fills what it knows, and a line leaves out what was not reported.
 */
export interface ResponseOutcome {
  /** Third-party trackers switched off in the page. */
  readonly trackers?: number;
  /** Names of the cookies whose Set-Cookie headers were dropped. */
  readonly cookiesDropped?: readonly string[];
  /** Names of the headers the rules set on the response. */
  readonly headersSet?: readonly string[];
  /** What the rewrite noted that is not an error (a selector that matched nothing, …). */
  readonly notes?: readonly string[] | undefined;
  /** Whether the rewritten page came from the rewrite cache. */
  readonly cache?: "hit" | "miss" | "stored" | undefined;
}

/** One decision as the middleware hands it over; the log decides what of it may be kept. */
export interface DecisionRecord {
  readonly decisionId: string;
  readonly decision: Decision;
  readonly method: string;
  /** The path; a query string, if any, is cut off before writing. */
  readonly path: string;
  /** The reader's address as resolved; written only in the form `decisionLog.client` allows. */
  readonly client?: string | null | undefined;
  readonly status: number;
  readonly rewritten: boolean;
  /** Body bytes sent. */
  readonly bytes?: number | undefined;
  readonly outcome?: ResponseOutcome | undefined;
  readonly error?: string | undefined;
  /** Microseconds spent in the middleware. */
  readonly durationMicros: number;
}

/** An action as written in a line: the kind, the rule, and what tells it apart, never a whole text. */
export function actionField(a: Action): Record<string, unknown> {
  switch (a.kind) {
    case "notice":
      return { kind: a.kind, rule: a.rule, language: a.language };
    case "trackers":
      return { kind: a.kind, rule: a.rule, mode: a.mode };
    case "header":
      return { kind: a.kind, rule: a.rule, name: a.name };
    case "cookies":
      return { kind: a.kind, rule: a.rule, drop: a.drop };
    case "block":
      return { kind: a.kind, rule: a.rule, status: a.status, language: a.language };
    case "redirect":
      return { kind: a.kind, rule: a.rule, status: a.status, location: a.location };
    case "consent":
    case "gpc":
      return { kind: a.kind, rule: a.rule };
  }
}

function outcomeField(o: ResponseOutcome | undefined): Record<string, unknown> | undefined {
  if (!o) return undefined;
  const field: Record<string, unknown> = {};
  if (o.trackers !== undefined) field.trackers = o.trackers;
  if (o.cookiesDropped !== undefined) field.cookies_dropped = o.cookiesDropped;
  if (o.headersSet !== undefined) field.headers_set = o.headersSet;
  if (o.notes !== undefined) field.notes = o.notes;
  if (o.cache !== undefined) field.cache = o.cache;
  return Object.keys(field).length > 0 ? field : undefined;
}

export interface LineSettings {
  readonly client: ClientMode;
  readonly hashKey?: string | Buffer | undefined;
}

function withoutQuery(path: string): string {
  const q = path.indexOf("?");
  return q === -1 ? path : path.slice(0, q);
}

/**
 * The body of a decision line (pino adds level, time and instance). Under `log: minimal` neither
 * the path nor the client is written: what a protected reader read, and from where, is the
 * record that would put them at risk.
 */
export function decisionLine(r: DecisionRecord, settings: LineSettings, sampleRate?: number): Record<string, unknown> {
  const d = r.decision;
  const full = d.log === "full";
  const region = d.region;
  const line: Record<string, unknown> = {
    type: "decision",
    decision_id: r.decisionId,
    revision: d.revision,
    region: region.reason
      ? { country: region.country, subdivision: region.subdivision, source: region.source, reason: region.reason }
      : { country: region.country, subdivision: region.subdivision, source: region.source },
  };
  if (full) {
    const client = clientField(r.client, settings.client, settings.hashKey);
    if (client !== undefined) line.client = client;
  }
  line.method = r.method;
  if (full) line.path = withoutQuery(r.path);
  line.rules = d.matched;
  line.actions = d.actions.map(actionField);
  const outcome = outcomeField(r.outcome);
  if (outcome) line.outcome = outcome;
  line.status = r.status;
  line.rewritten = r.rewritten;
  line.bytes = r.bytes ?? 0;
  line.duration_us = r.durationMicros;
  if (r.error) line.error = r.error;
  if (sampleRate !== undefined) line.sample_rate = sampleRate;
  return line;
}

// JSON of what many lines share: a region from the region cache, an action of the rule set.
const regionJson = new WeakMap<object, string>();
const actionJson = new WeakMap<object, string>();

function cachedJson(cache: WeakMap<object, string>, value: object, make: () => unknown): string {
  let json = cache.get(value);
  if (json === undefined) {
    json = JSON.stringify(make());
    // Frozen objects are the shared ones; a fresh object may still change.
    if (Object.isFrozen(value)) cache.set(value, json);
  }
  return json;
}

function numberJson(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}

/**
 * `JSON.stringify(decisionLine(r, settings, sampleRate))` without its leading "{", made from
 * pieces: the region and the actions are shared by many lines, so their JSON is made once.
 */
export function decisionJsonFields(r: DecisionRecord, settings: LineSettings, sampleRate?: number): string {
  const d = r.decision;
  const full = d.log === "full";
  const region = d.region;
  let json = `"type":"decision","decision_id":${JSON.stringify(r.decisionId)},"revision":${JSON.stringify(d.revision)},"region":`;
  json += cachedJson(regionJson, region, () =>
    region.reason ? { country: region.country, subdivision: region.subdivision, source: region.source, reason: region.reason } : { country: region.country, subdivision: region.subdivision, source: region.source },
  );
  if (full) {
    const client = clientField(r.client, settings.client, settings.hashKey);
    if (client !== undefined) json += `,"client":${JSON.stringify(client)}`;
  }
  json += `,"method":${JSON.stringify(r.method)}`;
  if (full) json += `,"path":${JSON.stringify(withoutQuery(r.path))}`;
  json += `,"rules":${JSON.stringify(d.matched)},"actions":[`;
  for (let i = 0; i < d.actions.length; i++) {
    const a = d.actions[i]!;
    if (i > 0) json += ",";
    json += cachedJson(actionJson, a, () => actionField(a));
  }
  json += "]";
  const outcome = outcomeField(r.outcome);
  if (outcome) json += `,"outcome":${JSON.stringify(outcome)}`;
  json += `,"status":${numberJson(r.status)},"rewritten":${r.rewritten ? "true" : "false"},"bytes":${numberJson(r.bytes ?? 0)},"duration_us":${numberJson(r.durationMicros)}`;
  if (r.error) json += `,"error":${JSON.stringify(r.error)}`;
  if (sampleRate !== undefined) json += `,"sample_rate":${numberJson(sampleRate)}`;
  return `${json}}`;
}

/** The outcomes a decision is counted under, in metrics and in `geo-compliance logs summary`. */
export type Outcome = "untouched" | "applied" | "rewritten" | "blocked" | "redirected" | "error";

export interface OutcomeFacts {
  readonly rules: readonly string[];
  readonly actions: ReadonlyArray<{ readonly kind: string }>;
  readonly rewritten: boolean;
  readonly error?: string | undefined;
}

/**
 * `untouched`: no rule applied; `applied`: rules applied but the body was not rewritten (headers
 * only, or a body that is not HTML); `rewritten`, `blocked`, `redirected`; `error`: the response
 * failed or a rewrite did.
 */
export function outcomeOf(f: OutcomeFacts): Outcome {
  if (f.error) return "error";
  if (f.actions.some((a) => a.kind === "block")) return "blocked";
  if (f.actions.some((a) => a.kind === "redirect")) return "redirected";
  if (f.rewritten) return "rewritten";
  return f.rules.length > 0 ? "applied" : "untouched";
}
