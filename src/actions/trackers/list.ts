import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import { publicSuffixList } from "./public-suffix.js";
import { packageRoot } from "../../package-root.js";
import { pathOf } from "../../rules/messages.js";
import { readSchema, schemaValidator as precompiledValidator, TRACKERS_SCHEMA } from "../../rules/schema-validator.js";
import type * as Yaml from "yaml";
import type { Document, Node } from "yaml";
import { requireCjs } from "../../require-cjs.js";

const { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } = requireCjs("yaml") as typeof Yaml;

/** Must equal the `category` enum of rules/trackers.schema.json (checked when the schema is loaded). */
export const TRACKER_CATEGORIES = [
  "advertising",
  "ad-verification",
  "analytics",
  "audience-measurement",
  "tag-manager",
  "ab-testing",
  "session-replay",
  "customer-data",
  "customer-engagement",
  "social",
  "content-recommendation",
  "mobile-attribution",
  "error-monitoring",
  "embedded-content",
  "fingerprinting",
  "cryptomining",
  "email-tracking",
  "other",
] as const;

export type TrackerCategory = (typeof TRACKER_CATEGORIES)[number];

const CATEGORY_SET: ReadonlySet<string> = new Set(TRACKER_CATEGORIES);

export function isTrackerCategory(value: unknown): value is TrackerCategory {
  return typeof value === "string" && CATEGORY_SET.has(value);
}

/** One vendor (or product) and the registrable domains it serves trackers from. Frozen once in a list. */
export interface TrackerEntry {
  readonly vendor: string;
  readonly category: TrackerCategory;
  /** Registrable domains (eTLD+1); each covers its subdomains. */
  readonly domains: string[];
  /** The file the entry came from. */
  readonly source: string;
}

export interface TrackerListProblem {
  readonly file: string;
  /** 1-based; 0 when the problem concerns the whole file. */
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export function formatTrackerProblem(p: TrackerListProblem): string {
  return p.line > 0 ? `${p.file}:${p.line}:${p.col}: ${p.message}` : `${p.file}: ${p.message}`;
}

/** Every problem found in a tracker list, reported at once as `file:line:col: message` lines. */
export class TrackerListError extends Error {
  constructor(readonly problems: readonly TrackerListProblem[]) {
    super(`invalid tracker list:\n${problems.map(formatTrackerProblem).join("\n")}`);
    this.name = "TrackerListError";
  }
}

/** Extra facts a parser reports besides the entries. */
export interface TrackerListInfo {
  /** Rules or entries skipped on purpose because they are not plain host rules (paths, element hiding, exceptions...). */
  readonly ignored?: number;
  readonly warnings?: readonly string[];
}

/** Options for list formats that carry no vendor or category of their own. */
export interface PlainListOptions {
  /** Category given to every domain of the list; "other" by default. */
  readonly category?: TrackerCategory;
}

// ---------------------------------------------------------------------------
// Host and domain helpers

// Private PSL suffixes count, so a third-party list naming x.cloudfront.net does not reduce it to cloudfront.net.
const TLD_OPTIONS = { allowPrivateDomains: true, extractHostname: false, validateHostname: false } as const;
/** `example.com` or `example.com:8080`: a host name alone, not a path or a URL with a scheme. */
const BARE_HOST_RE = /^[^\s/?#\\@:]+(?::\d*)?$/;
const LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
const HOST_RE = new RegExp(`^(?:${LABEL}\\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$`);
/** A lower-case ASCII host name the URL parser leaves as it is, unless its last label is a number (an IPv4 form). */
const PARSED_HOST_RE = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;
const NUMBER_LABEL_RE = /(?:^|\.)(?:\d+|0x[0-9a-f]*)$/;
/** What relative URLs resolve against here; `.invalid` never names a real host (RFC 6761). */
const NO_BASE = "http://relative.invalid/";
const NO_BASE_HOST = "relative.invalid";

/**
 * The host of an absolute or protocol-relative URL, or of a bare host name (with optional port), in
 * lower case, as the browser's URL parser reads it (leading spaces and control characters, tabs and
 * newlines, backslashes, percent-encoded and full-width host names). Relative URLs, same-document
 * references, URLs without a host (data:, javascript:, blob:, mailto:) and what does not parse give null.
 */
export function hostOf(hostOrUrl: string): string | null {
  // A host name as the URL parser gives it comes back unchanged: no second parse on the hot path.
  if (PARSED_HOST_RE.test(hostOrUrl) && !NUMBER_LABEL_RE.test(hostOrUrl)) return hostOrUrl;
  const s = hostOrUrl.trim();
  let url: URL;
  try {
    url = BARE_HOST_RE.test(s) ? new URL(`http://${s}/`) : new URL(s, NO_BASE);
  } catch {
    return null;
  }
  const host = url.hostname.replace(/\.+$/, "");
  return host === "" || host === NO_BASE_HOST ? null : host;
}

/** The registrable domain (eTLD+1) of a host or URL, or null for IP addresses, public suffixes and relative URLs. */
export function registrableDomain(hostOrUrl: string): string | null {
  const host = hostOf(hostOrUrl);
  return host === null ? null : publicSuffixList().getDomain(host, TLD_OPTIONS);
}

/** Why a lower-case host cannot be listed, or null when it can. */
function hostProblem(host: string): string | null {
  if (host.length > 253 || !HOST_RE.test(host)) return `"${host}" is not a host name`;
  const parsed = publicSuffixList().parse(host, TLD_OPTIONS);
  if (!parsed.isIcann && !parsed.isPrivate) return `"${host}" does not end in a known public suffix (top-level domain)`;
  if (parsed.domain === null) return `"${host}" is a public suffix, not a domain: listing it would cover every site under it`;
  return null;
}

/** Why a string is not a registrable domain as the lists need it, or null when it is one. */
function domainProblem(domain: string): string | null {
  if (domain !== domain.toLowerCase()) return `"${domain}" must be written in lower case`;
  const problem = hostProblem(domain);
  if (problem) return problem;
  const registrable = publicSuffixList().getDomain(domain, TLD_OPTIONS);
  return registrable === domain ? null : `"${domain}" is not a registrable domain; write "${registrable}", which covers its subdomains`;
}

// ---------------------------------------------------------------------------
// The list

/** How many `TrackerList.match` answers a list keeps. */
const MATCHED_HOSTS = 2048;

/** A list of entries checked when they were compiled (the shipped list's compiled form), so not checked again. */
let fromCheckedEntries!: (entries: readonly TrackerEntry[]) => TrackerList;

/** An immutable set of tracker domains; matching is one Map lookup after finding the registrable domain. */
export class TrackerList {
  static readonly EMPTY: TrackerList = new TrackerList(new Map(), [], 0, []);
  /**
   * What `match` answered, by its argument: a page names the same few hosts on every request, and
   * finding a registrable domain costs more than the lookup. Emptied when full.
   */
  private readonly matched = new Map<string, TrackerEntry | null>();

  private constructor(
    private readonly byDomain: ReadonlyMap<string, TrackerEntry>,
    /** Entries in source order. */
    readonly entries: readonly TrackerEntry[],
    /** How many rules the source had that are not plain domains and were skipped on purpose. */
    readonly ignored: number,
    /** Notes about skipped parts of the source (unknown categories and the like). */
    readonly warnings: readonly string[],
  ) {
    Object.freeze(this);
  }

  static {
    fromCheckedEntries = (entries) => {
      const byDomain = new Map<string, TrackerEntry>();
      for (const entry of entries) for (const d of entry.domains) byDomain.set(d, entry);
      return new TrackerList(byDomain, Object.freeze([...entries]), 0, Object.freeze([]));
    };
  }

  /** Builds a list; throws TrackerListError for an invalid entry or a domain listed twice. */
  static fromEntries(entries: readonly TrackerEntry[], info: TrackerListInfo = {}): TrackerList {
    const problems: TrackerListProblem[] = [];
    const byDomain = new Map<string, TrackerEntry>();
    const frozen: TrackerEntry[] = [];
    for (const entry of entries) {
      const file = typeof entry.source === "string" && entry.source !== "" ? entry.source : "(entries)";
      const problem = (message: string): void => void problems.push({ file, line: 0, col: 0, message });
      if (typeof entry.vendor !== "string" || entry.vendor.trim() === "") {
        problem("an entry has no vendor name");
        continue;
      }
      if (!isTrackerCategory(entry.category)) {
        problem(`${entry.vendor}: category "${String(entry.category)}" is not one of: ${TRACKER_CATEGORIES.join(", ")}`);
        continue;
      }
      if (!Array.isArray(entry.domains) || entry.domains.length === 0) {
        problem(`${entry.vendor}: has no domains`);
        continue;
      }
      const copy: TrackerEntry = Object.freeze({
        vendor: entry.vendor,
        category: entry.category,
        domains: Object.freeze([...entry.domains]) as string[],
        source: file,
      });
      for (const domain of copy.domains) {
        const why = typeof domain === "string" ? domainProblem(domain) : "a domain is not text";
        if (why) {
          problem(`${entry.vendor}: ${why}`);
          continue;
        }
        const first = byDomain.get(domain);
        if (first) problem(`${entry.vendor}: "${domain}" is already listed for ${first.vendor} (${first.source})`);
        else byDomain.set(domain, copy);
      }
      frozen.push(copy);
    }
    if (problems.length > 0) throw new TrackerListError(problems);
    return new TrackerList(byDomain, Object.freeze(frozen), info.ignored ?? 0, Object.freeze([...(info.warnings ?? [])]));
  }

  /**
   * The entry whose registrable domain matches a host name or an absolute / protocol-relative URL.
   * "https://region1.google-analytics.com/g/collect" matches google-analytics.com;
   * "google-analytics.com.evil.example" and relative URLs do not.
   */
  match(hostOrUrl: string): TrackerEntry | undefined {
    if (this.byDomain.size === 0) return undefined;
    let entry = this.matched.get(hostOrUrl);
    if (entry === undefined) {
      const domain = registrableDomain(hostOrUrl);
      entry = (domain === null ? undefined : this.byDomain.get(domain)) ?? null;
      if (this.matched.size >= MATCHED_HOSTS) this.matched.clear();
      this.matched.set(hostOrUrl, entry);
    }
    return entry ?? undefined;
  }

  /** Number of distinct domains. */
  get size(): number {
    return this.byDomain.size;
  }

  /** All domains, sorted. */
  domains(): string[] {
    return [...this.byDomain.keys()].sort();
  }

  /** A list with both lists' domains; where both list a domain, `other` wins. */
  merge(other: TrackerList): TrackerList {
    if (other.size === 0 && other.ignored === 0 && other.warnings.length === 0) return this;
    const byDomain = new Map<string, TrackerEntry>();
    const entries: TrackerEntry[] = [];
    for (const entry of this.entries) {
      const kept = entry.domains.filter((d) => !other.byDomain.has(d));
      if (kept.length === 0) continue;
      const copy =
        kept.length === entry.domains.length ? entry : Object.freeze({ ...entry, domains: Object.freeze(kept) as string[] });
      for (const d of kept) byDomain.set(d, copy);
      entries.push(copy);
    }
    for (const entry of other.entries) {
      for (const d of entry.domains) byDomain.set(d, entry);
      entries.push(entry);
    }
    return new TrackerList(
      byDomain,
      Object.freeze(entries),
      this.ignored + other.ignored,
      Object.freeze([...this.warnings, ...other.warnings]),
    );
  }

  /** The entries for which `keep` is true, e.g. to drop a category. */
  filter(keep: (entry: TrackerEntry) => boolean): TrackerList {
    const byDomain = new Map<string, TrackerEntry>();
    const entries = this.entries.filter(keep);
    for (const entry of entries) for (const d of entry.domains) byDomain.set(d, entry);
    return new TrackerList(byDomain, Object.freeze(entries), this.ignored, this.warnings);
  }
}

// ---------------------------------------------------------------------------
// Package root and the shipped list

/** Where the shipped tracker list lives. */
export function shippedTrackerListPath(): string {
  return join(packageRoot(), "rules", "trackers.yaml");
}

/**
 * The shipped list as `npm run build` parsed and checked it, so that start-up neither parses the YAML
 * nor checks every domain against the public suffix list.
 */
export const COMPILED_SHIPPED_LIST_FILE = fileURLToPath(new URL("./shipped-trackers.json", import.meta.url));

interface CompiledTrackerList {
  readonly stamp: string;
  readonly trackers: readonly { vendor: string; category: TrackerCategory; domains: string[] }[];
}

/**
 * What a compiled list was made from: the list file's bytes, the schema, the categories and the
 * public suffix list's version (tldts), any of which changes whether the file is valid.
 */
function compiledStamp(bytes: Buffer): string {
  const tldts = (requireCjs("tldts/package.json") as { version: string }).version;
  return createHash("sha256")
    .update(bytes)
    .update("\0")
    .update(readSchema(TRACKERS_SCHEMA))
    .update(`\0${TRACKER_CATEGORIES.join(",")}\0${tldts}`)
    .digest("hex");
}

/** The compiled form of the tracker list at `path` (rules/trackers.yaml format); throws TrackerListError when it is invalid. */
export function compileTrackerList(path: string): string {
  const list = loadTrackerListFile(path);
  const compiled: CompiledTrackerList = {
    stamp: compiledStamp(readFileSync(path)),
    trackers: list.entries.map(({ vendor, category, domains }) => ({ vendor, category, domains })),
  };
  return `${JSON.stringify(compiled)}\n`;
}

/**
 * The list at `path`, from its compiled form in `compiledFile` when that was made from this very
 * file (and schema), else loaded as any list file is (a build by `tsc` alone, or a list edited since),
 * with the same entries or the same errors.
 */
export function loadCompiledTrackerList(path: string, compiledFile: string): TrackerList {
  if (existsSync(compiledFile)) {
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(path);
    } catch {
      // loadTrackerListFile says why
    }
    const compiled = JSON.parse(readFileSync(compiledFile, "utf8")) as CompiledTrackerList;
    if (bytes !== undefined && compiled.stamp === compiledStamp(bytes)) {
      return fromCheckedEntries(
        compiled.trackers.map((t) =>
          Object.freeze({ vendor: t.vendor, category: t.category, domains: Object.freeze(t.domains) as string[], source: path }),
        ),
      );
    }
  }
  return loadTrackerListFile(path);
}

let shippedCache: TrackerList | undefined;

/** Loads rules/trackers.yaml of this package (once; the list is immutable). */
export function loadShippedTrackerList(): TrackerList {
  shippedCache ??= loadCompiledTrackerList(shippedTrackerListPath(), COMPILED_SHIPPED_LIST_FILE);
  return shippedCache;
}

// ---------------------------------------------------------------------------
// YAML: rules/trackers.yaml and lists in the same format

interface TrackerFileSpec {
  trackers: { vendor: string; category: TrackerCategory; domains: string[] }[];
}

let validator: ValidateFunction<TrackerFileSpec> | undefined;
let domainPattern: RegExp | undefined;

function schemaValidator(): ValidateFunction<TrackerFileSpec> {
  if (!validator) {
    const schemaText = readSchema(TRACKERS_SCHEMA);
    const schema = JSON.parse(schemaText) as {
      definitions?: { category?: { enum?: unknown }; domain?: { pattern?: unknown } };
    };
    const categories = schema.definitions?.category?.enum;
    if (!Array.isArray(categories) || categories.length !== CATEGORY_SET.size || !categories.every((c) => CATEGORY_SET.has(String(c)))) {
      throw new Error("rules/trackers.schema.json: the category enum differs from TRACKER_CATEGORIES in src/actions/trackers/list.ts");
    }
    domainPattern = new RegExp(String(schema.definitions?.domain?.pattern), "u");
    validator = precompiledValidator<TrackerFileSpec>(TRACKERS_SCHEMA, schemaText).validate;
  }
  return validator;
}

/** Parses and validates a tracker list in the rules/trackers.yaml format; throws TrackerListError listing every problem. */
export function parseTrackerYaml(text: string, file: string): TrackerList {
  const problems: TrackerListProblem[] = [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const at = (offset: number): { line: number; col: number } => lineCounter.linePos(offset);
  for (const e of [...doc.errors, ...doc.warnings]) {
    const first = e.message.split("\n")[0] ?? e.message;
    problems.push({ file, ...at(e.pos[0]), message: e.code === "DUPLICATE_KEY" ? `${first}; each key may appear once` : first });
  }
  if (problems.length > 0) throw new TrackerListError(problems);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new TrackerListError([{ file, line: 1, col: 1, message: `${(error as Error).message}; write the values out instead of repeating aliases` }]);
  }
  const validate = schemaValidator();
  const valid = validate(data);
  if (!valid) {
    for (const error of validate.errors ?? []) problems.push({ file, ...at(errorOffset(doc, error)), message: schemaMessage(error) });
  }

  // Checks the schema cannot express, run on every well-formed domain even when other parts are invalid,
  // so one run reports everything.
  const firstSeen = new Map<string, { vendor: string; line: number; index: number }>();
  const trackers = isObject(data) && Array.isArray(data.trackers) ? (data.trackers as unknown[]) : [];
  trackers.forEach((tracker, i) => {
    if (!isObject(tracker) || !Array.isArray(tracker.domains)) return;
    const vendor = typeof tracker.vendor === "string" ? tracker.vendor : "?";
    (tracker.domains as unknown[]).forEach((domain, j) => {
      if (typeof domain !== "string" || !domainPattern!.test(domain)) return; // the schema reported it
      const node = doc.getIn(["trackers", i, "domains", j], true) as Node | undefined;
      const pos = at(node?.range?.[0] ?? 0);
      const why = domainProblem(domain);
      if (why) {
        problems.push({ file, ...pos, message: why });
        return;
      }
      const first = firstSeen.get(domain);
      if (!first) firstSeen.set(domain, { vendor, line: pos.line, index: i });
      else if (first.index !== i) {
        problems.push({ file, ...pos, message: `"${domain}" is already listed at line ${first.line} (${first.vendor}); a domain may appear once in the file` });
      }
    });
  });
  if (!valid || problems.length > 0) throw new TrackerListError(problems.sort((x, y) => x.line - y.line || x.col - y.col));
  return TrackerList.fromEntries((data as TrackerFileSpec).trackers.map((t) => ({ vendor: t.vendor, category: t.category, domains: t.domains, source: file })));
}

/** Points at the offending key for unknown keys, at the repeated item for duplicates, at the value otherwise. */
function errorOffset(doc: Document, error: ErrorObject): number {
  const path = pathOf(error);
  // Walk up to the nearest node that exists, so a wrong type still gets a position.
  let node: Node | undefined;
  for (let n = path.length; n >= 0 && !node; n--) {
    node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as Node | undefined;
  }
  if (error.keyword === "additionalProperties" && isMap(node)) {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
  }
  if (error.keyword === "uniqueItems" && isSeq(node)) {
    const item = node.items[(error.params as { i: number }).i] as Node | undefined;
    if (item?.range) return item.range[0];
  }
  return node?.range?.[0] ?? 0;
}

function where(error: ErrorObject): string {
  const path = pathOf(error);
  const key = path.filter((p) => typeof p === "string").pop();
  if (key === undefined) return "the file";
  return typeof path[path.length - 1] === "number" ? `an item of "${key}"` : `"${key}"`;
}

function schemaMessage(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  const value = error.data;
  switch (error.keyword) {
    case "additionalProperties":
      return `unknown key "${String(p.additionalProperty)}"${where(error) === "the file" ? "" : " in a tracker"}; the keys are ${where(error) === "the file" ? "trackers" : "vendor, category and domains"}`;
    case "required":
      return `${where(error) === "the file" ? "the file" : "a tracker"} is missing "${String(p.missingProperty)}"; add it`;
    case "type": {
      const type = String(p.type);
      const what = type === "array" ? "a list" : type === "object" ? "a set of keys" : type === "string" ? "text" : `a ${type}`;
      return where(error) === "the file" ? `the file must be a set of keys with a "trackers" list` : `${where(error)} must be ${what}`;
    }
    case "enum":
      return `category "${String(value)}" is not one of: ${(p.allowedValues as unknown[]).map(String).join(", ")}`;
    case "pattern":
      return where(error) === '"vendor"'
        ? "vendor must not start or end with spaces"
        : `domain "${String(value)}" is not a lower-case domain name such as example.com`;
    case "minItems":
    case "minLength":
      return `${where(error)} must not be empty`;
    case "maxLength":
      return `${where(error)} is too long`;
    case "uniqueItems":
      return `${where(error)} lists "${String((value as unknown[])[p.i as number])}" twice`;
    default:
      return `${where(error)} ${error.message ?? "is invalid"}`;
  }
}

// ---------------------------------------------------------------------------
// Disconnect services.json

/** Disconnect's categories, mapped to ours ("Disconnect" holds the big platforms' ad and tracking domains). */
const DISCONNECT_CATEGORIES: Readonly<Record<string, TrackerCategory>> = {
  Advertising: "advertising",
  Analytics: "analytics",
  Social: "social",
  Content: "embedded-content",
  Cryptomining: "cryptomining",
  Fingerprinting: "fingerprinting",
  FingerprintingInvasive: "fingerprinting",
  FingerprintingGeneral: "fingerprinting",
  Email: "email-tracking",
  EmailAggressive: "email-tracking",
  Disconnect: "advertising",
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses Disconnect's services.json:
 * {"categories": {"Advertising": [{"Vendor": {"https://vendor.example/": ["vendor.example", ...], "performance": "true"}}]}}.
 * Hosts are reduced to their registrable domain; entries with a path are skipped and counted; the first listing of a domain wins.
 */
export function parseDisconnectServices(json: string, file: string): TrackerList {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new TrackerListError([jsonSyntaxProblem(json, file, error as Error)]);
  }
  const lineCounter = new LineCounter();
  let doc: Document | undefined; // parsed again only to find positions, and only when there is a problem
  const problems: TrackerListProblem[] = [];
  const warnings: string[] = [];
  let ignored = 0;
  const problemAt = (path: (string | number)[], message: string): void => {
    doc ??= parseDocument(json, { lineCounter, uniqueKeys: false, prettyErrors: false });
    const node = (path.length === 0 ? doc.contents : doc.getIn(path, true)) as Node | undefined;
    problems.push({ file, ...lineCounter.linePos(node?.range?.[0] ?? 0), message });
  };

  const categories = isObject(data) ? data.categories : undefined;
  if (!isObject(categories)) {
    problemAt(isObject(data) && "categories" in data ? ["categories"] : [], 'expected an object with a "categories" object (Disconnect services.json format)');
    throw new TrackerListError(problems);
  }
  const taken = new Set<string>();
  const entries: TrackerEntry[] = [];
  for (const [categoryName, services] of Object.entries(categories)) {
    if (!Array.isArray(services)) {
      problemAt(["categories", categoryName], `category "${categoryName}" must be a list of services`);
      continue;
    }
    const category = Object.hasOwn(DISCONNECT_CATEGORIES, categoryName) ? DISCONNECT_CATEGORIES[categoryName] : undefined;
    if (category === undefined) {
      warnings.push(`${file}: unknown Disconnect category "${categoryName}" skipped`);
      ignored += services.length;
      continue;
    }
    services.forEach((service, i) => {
      const servicePath = ["categories", categoryName, i];
      const names = isObject(service) ? Object.keys(service) : [];
      const vendor = names[0];
      const body = vendor === undefined || !isObject(service) ? undefined : service[vendor];
      if (names.length !== 1 || vendor === undefined || !isObject(body)) {
        problemAt(servicePath, `a service must be {"Vendor name": {"https://vendor.example/": ["domain", ...]}}`);
        return;
      }
      const sessionReplay = body["session-replay"] === "true" || body["session-replay"] === true;
      const domains: string[] = [];
      for (const [url, hosts] of Object.entries(body)) {
        if (!Array.isArray(hosts)) continue; // metadata such as "performance": "true"
        hosts.forEach((host, j) => {
          const path = [...servicePath, vendor, url, j];
          if (typeof host !== "string") {
            problemAt(path, `${vendor}: a domain must be text`);
            return;
          }
          const name = host.trim().toLowerCase().replace(/\.$/, "");
          if (name.includes("/")) {
            ignored++; // e.g. "yandex.ru/clck/click": a path cannot be matched by domain
            return;
          }
          const why = hostProblem(name);
          if (why) {
            problemAt(path, `${vendor}: ${why}`);
            return;
          }
          const domain = publicSuffixList().getDomain(name, TLD_OPTIONS)!;
          if (!taken.has(domain)) {
            taken.add(domain);
            domains.push(domain);
          }
        });
      }
      if (domains.length > 0) entries.push({ vendor, category: sessionReplay ? "session-replay" : category, domains, source: file });
    });
  }
  if (problems.length > 0) throw new TrackerListError(problems);
  return TrackerList.fromEntries(entries, { ignored, warnings });
}

function jsonSyntaxProblem(text: string, file: string, error: Error): TrackerListProblem {
  const message = `not valid JSON: ${error.message.replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, "").replace(/ in JSON at position \d+.*$/s, "")}`;
  const position = /at position (\d+)/.exec(error.message);
  let offset: number | undefined = position ? Number(position[1]) : undefined;
  if (offset === undefined) {
    // V8 does not always say where; YAML's parser (JSON is YAML) usually can.
    offset = parseDocument(text, { prettyErrors: false }).errors[0]?.pos[0];
  }
  if (offset === undefined) return { file, line: 0, col: 0, message };
  return { file, ...linePosOf(text, offset), message };
}

function linePosOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

// ---------------------------------------------------------------------------
// Plain host lists and hosts files

/** Addresses that hosts files use to block a name. */
const BLOCKING_ADDRESSES = new Set(["0.0.0.0", "127.0.0.1", "::", "::1", "0"]);
/** Names in the standard preamble of hosts files: not trackers. */
const LOCAL_NAMES = new Set([
  "localhost",
  "localhost.localdomain",
  "local",
  "broadcasthost",
  "ip6-localhost",
  "ip6-loopback",
  "ip6-localnet",
  "ip6-mcastprefix",
  "ip6-allnodes",
  "ip6-allrouters",
  "ip6-allhosts",
  "0.0.0.0",
]);

function splitLines(text: string): string[] {
  return (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\r|\n/);
}

/** Splits on whitespace, keeping each token's 1-based column. */
function tokens(line: string): { text: string; col: number }[] {
  const out: { text: string; col: number }[] = [];
  for (const m of line.matchAll(/\S+/g)) out.push({ text: m[0], col: (m.index ?? 0) + 1 });
  return out;
}

/** One entry per registrable domain, named after it: plain lists have no vendor names. */
function plainList(domains: Iterable<string>, file: string, options: PlainListOptions, info: TrackerListInfo): TrackerList {
  const category = options.category ?? "other";
  const entries: TrackerEntry[] = [];
  for (const domain of domains) entries.push({ vendor: domain, category, domains: [domain], source: file });
  return TrackerList.fromEntries(entries, info);
}

/**
 * Parses a plain host list: one host per line, "#" comments, or the hosts-file form "0.0.0.0 host [host...]".
 * Hosts are reduced to their registrable domain. A line that is not a host name is an error with its line number.
 */
export function parseHostList(text: string, file: string, options: PlainListOptions = {}): TrackerList {
  const problems: TrackerListProblem[] = [];
  const domains = new Set<string>();
  let ignored = 0;
  splitLines(text).forEach((raw, index) => {
    const line = index + 1;
    const hash = raw.indexOf("#");
    const words = tokens(hash >= 0 ? raw.slice(0, hash) : raw);
    const first = words[0];
    if (!first) return;
    let hosts = words;
    if (isIP(first.text.replace(/%.*$/, "")) !== 0 || first.text === "0") {
      hosts = words.slice(1);
      if (hosts.length === 0) {
        problems.push({ file, line, col: first.col, message: `address ${first.text} without a host name` });
        return;
      }
      if (hosts.every((h) => LOCAL_NAMES.has(h.text.toLowerCase()))) {
        ignored += hosts.length; // the hosts-file preamble: "255.255.255.255 broadcasthost", "ff02::1 ip6-allnodes"...
        return;
      }
      if (!BLOCKING_ADDRESSES.has(first.text)) {
        problems.push({ file, line, col: first.col, message: `maps hosts to ${first.text}; only the blocking addresses 0.0.0.0, 127.0.0.1, :: and ::1 are accepted` });
        return;
      }
    } else if (words.length > 1) {
      problems.push({ file, line, col: words[1]!.col, message: `expected one host name per line, found "${words.map((w) => w.text).join(" ")}"` });
      return;
    }
    for (const word of hosts) {
      const host = word.text.toLowerCase().replace(/^\*\./, "").replace(/\.$/, "");
      if (LOCAL_NAMES.has(host) || isIP(host) !== 0) {
        ignored++;
        continue;
      }
      const why = hostProblem(host);
      if (why) problems.push({ file, line, col: word.col, message: why });
      else domains.add(publicSuffixList().getDomain(host, TLD_OPTIONS)!);
    }
  });
  if (problems.length > 0) throw new TrackerListError(problems);
  return plainList(domains, file, options, { ignored });
}

// ---------------------------------------------------------------------------
// AdBlock-style filter lists

// Resource-type options: they narrow which requests a rule blocks and may be negated (`~script`).
const NEGATABLE_TYPES = new Set([
  "script",
  "image",
  "stylesheet",
  "css",
  "object",
  "xmlhttprequest",
  "xhr",
  "subdocument",
  "frame",
  "ping",
  "beacon",
  "media",
  "font",
  "websocket",
  "webrtc",
  "other",
  "document",
  "doc",
]);
// Options that keep a `||host^` rule a plain block of the host's requests; any other option changes its meaning.
const PLAIN_OPTIONS = new Set([...NEGATABLE_TYPES, "third-party", "3p", "strict3p", "strict-third-party", "important", "match-case", "all", "object-subrequest", "reason"]);
const HOST_RULE_RE = /^\|\|([^\^/$*|]*)\^\|?(?:\$(.*))?$/;
const COSMETIC_RE = /#[@?$%]?#|#@[$%?]#|\$\$|#\^/;

function plainOptions(options: string | undefined): boolean {
  if (options === undefined) return true;
  return options.split(",").every((raw) => {
    const option = raw.trim().toLowerCase();
    const name = option.split("=")[0] ?? "";
    if (name.startsWith("~")) return NEGATABLE_TYPES.has(name.slice(1));
    return PLAIN_OPTIONS.has(name) && (name === "reason" || !option.includes("="));
  });
}

/**
 * Parses an AdBlock Plus / uBlock Origin filter list, taking only `||host^` rules (with plain options such as
 * `$third-party` or `$script`). Comments (`!`), headers (`[Adblock Plus 2.0]`) are skipped; other rule forms
 * (element hiding, `@@` exceptions, paths, site-specific `$domain=` rules) are ignored and counted.
 */
export function parseAdblockList(text: string, file: string, options: PlainListOptions = {}): TrackerList {
  const problems: TrackerListProblem[] = [];
  const domains = new Set<string>();
  let ignored = 0;
  splitLines(text).forEach((raw, index) => {
    const line = index + 1;
    const rule = raw.trim();
    if (rule === "" || rule.startsWith("!") || /^\[.*\]$/.test(rule)) return;
    if (COSMETIC_RE.test(rule) || rule.startsWith("@@")) {
      ignored++;
      return;
    }
    if (rule.startsWith("#")) return; // "# comment", accepted by uBlock Origin
    if (!rule.startsWith("||")) {
      ignored++;
      return;
    }
    const m = HOST_RULE_RE.exec(rule);
    if (!m) {
      ignored++; // a path, a wildcard or a rule without "^"
      return;
    }
    const col = raw.indexOf("||") + 3;
    const host = m[1]!.toLowerCase().replace(/\.$/, "");
    if (host === "") {
      problems.push({ file, line, col, message: `"${rule}" has no host between "||" and "^"` });
      return;
    }
    if (isIP(host) !== 0 || !plainOptions(m[2])) {
      ignored++;
      return;
    }
    const why = hostProblem(host);
    if (why) problems.push({ file, line, col, message: why });
    else domains.add(publicSuffixList().getDomain(host, TLD_OPTIONS)!);
  });
  if (problems.length > 0) throw new TrackerListError(problems);
  return plainList(domains, file, options, { ignored });
}

// ---------------------------------------------------------------------------
// Files

/** Lists bigger than this are refused: the largest public host lists are a few megabytes. */
export const MAX_TRACKER_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Loads a tracker list, choosing the parser by extension and content: .yaml/.yml is the rules/trackers.yaml format,
 * .json is Disconnect's services.json, a file with lines starting with "||", "!" or "[Adblock" is an AdBlock list,
 * anything else a host list. Throws TrackerListError naming the file when it cannot be read or is invalid.
 */
export function loadTrackerListFile(path: string, options: PlainListOptions = {}): TrackerList {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder, not a file" : `cannot be read (${code ?? (error as Error).message})`;
    throw new TrackerListError([{ file: path, line: 0, col: 0, message: reason }]);
  }
  if (bytes.length > MAX_TRACKER_FILE_BYTES) {
    throw new TrackerListError([{ file: path, line: 0, col: 0, message: `file is ${bytes.length} bytes; tracker lists may be at most ${MAX_TRACKER_FILE_BYTES}` }]);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new TrackerListError([{ file: path, line: 0, col: 0, message: "file is not UTF-8 text" }]);
  }
  const ext = extname(path).toLowerCase();
  if (ext === ".yaml" || ext === ".yml") return parseTrackerYaml(text, path);
  if (ext === ".json") return parseDisconnectServices(text, path);
  if (/^[ \t]*(?:\|\||!|\[adblock)/im.test(text)) return parseAdblockList(text, path, options);
  return parseHostList(text, path, options);
}
