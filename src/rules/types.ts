import type { BlockAction, ConsentAction, ConsentType, CookiesAction, GpcAction, HeaderAction, NoticeAction, NoticePlacement, RedirectAction, TrackersAction } from "./actions.js";
import type { RuleProblem } from "./errors.js";

/** A notice or block-page text in one language, as written. `html` is the safe markup form. */
export interface TextSpec {
  title: string;
  text?: string;
  html?: string;
}

export interface NoticeSpec {
  defaultLanguage: string;
  languages: Record<string, TextSpec>;
  placement?: "body-start" | "body-end" | "selector";
  selector?: string;
  insert?: "prepend" | "append" | "replace";
  dismissible?: boolean;
}

export interface BlockSpec {
  blockedBy: string;
  status?: 451;
  defaultLanguage?: string;
  languages?: Record<string, TextSpec>;
}

export interface RedirectSpec {
  location: string;
  status?: 302 | 307;
}

export interface ActionsSpec {
  notice?: NoticeSpec;
  trackers?: { mode: "list" | "third-party"; allow?: string[] };
  consent?: Partial<Record<ConsentType, "granted" | "denied">>;
  headers?: Record<string, string>;
  cookies?: { drop: string[] };
  gpc?: true;
  block?: BlockSpec;
  redirect?: RedirectSpec;
}

export interface RegionsSpec {
  countries?: string[];
  subdivisions?: string[];
  groups?: string[];
  exclude?: string[];
}

/** A rule as written in a rule file, after schema validation. */
export interface RuleSpec {
  id: string;
  title: string;
  basis?: { text: string; url?: string };
  regions: RegionsSpec;
  paths?: { include?: string[]; exclude?: string[] };
  effective?: { from?: string; until?: string };
  priority?: number;
  when?: { gpc?: boolean };
  unknownRegion?: "apply" | "skip";
  actions: ActionsSpec;
  log?: "full" | "minimal";
}

/** What a rule test expects of one action: `kind` and any fields to compare. */
export type ExpectedAction = { kind: string } & Record<string, unknown>;

/** A test carried by a rule file: a reader, and what the whole rule set must decide for them. */
export interface RuleTestSpec {
  name?: string;
  region: string;
  path?: string;
  language?: string;
  date?: string;
  gpc?: boolean;
  expect: { rules: string[]; actions?: ExpectedAction[] };
}

export interface RuleFileSpec {
  rules?: RuleSpec[];
  groups?: Record<string, string[]>;
  tests?: RuleTestSpec[];
}

/** Where something was written, for messages that a legal team can act on. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

/** A text ready to show: `text` is always plain; `html` is present when the rule wrote checked markup. */
export interface NoticeText {
  readonly title: string;
  readonly text: string;
  /** Markup limited to links (http, https, mailto), em, strong, p and br, already checked and sanitized. */
  readonly html?: string;
}

export interface CompiledNotice {
  readonly defaultLanguage: string;
  /** Languages in the order the rule lists them; the default first. */
  readonly languages: readonly string[];
  readonly texts: Readonly<Record<string, NoticeText>>;
  readonly placement: NoticePlacement;
  readonly dismissible: boolean;
  /** One frozen action per language, in the order of `languages`, so a decision allocates none. */
  readonly actions: readonly NoticeAction[];
  readonly choice: LanguageChoice;
}

/**
 * Language negotiation for one list of languages with its fallback, shared by every text in a
 * rule set with the same list: Accept-Language header → index in `languages`. Bounded, and the
 * same header always gives the same answer, so deciding stays a pure function of its inputs.
 */
export interface LanguageChoice {
  readonly languages: readonly string[];
  readonly fallback: string;
  readonly cache: Map<string, number>;
}

export interface CompiledBlock {
  readonly blockedBy: string;
  readonly defaultLanguage: string;
  readonly languages: readonly string[];
  readonly texts: Readonly<Record<string, NoticeText>>;
  /** One frozen action per language, in the order of `languages`. */
  readonly actions: readonly BlockAction[];
  readonly choice: LanguageChoice;
}

/** How a path fares against a rule's `paths`. */
export type PathVerdict = "ok" | "not-included" | "excluded";

/** A rule ready for deciding: normalized, indexed and frozen. */
export interface CompiledRule {
  // What a decision reads comes first, so that it shares the object's first cache lines.
  readonly id: string;
  /** Whether the rule has an effective window; most do not, and skip the date test. */
  readonly timed: boolean;
  /** Effective window in epoch milliseconds: from inclusive, until exclusive. */
  readonly fromMs: number;
  readonly untilMs: number;
  /** `when.gpc`: true for readers who send `Sec-GPC: 1` only, false for those who do not, null for all. */
  readonly whenGpc: boolean | null;
  /** null when the rule applies to every path. */
  readonly paths: ((path: string) => PathVerdict) | null;
  readonly log: "full" | "minimal";
  readonly block: CompiledBlock | null;
  readonly redirect: RedirectAction | null;
  readonly headers: readonly HeaderAction[];
  /** The header names in lower case, in the same order: names compare without case. */
  readonly headerKeys: readonly string[];
  readonly cookies: CookiesAction | null;
  readonly gpc: GpcAction | null;
  readonly consent: ConsentAction | null;
  readonly trackers: TrackersAction | null;
  readonly notice: CompiledNotice | null;
  readonly title: string;
  readonly priority: number;
  /** Position in the rule set's order (priority, then id): lower comes first. */
  readonly rank: number;
  readonly source: SourcePosition;
  /** Countries covered whole, groups expanded, exclusions removed. */
  readonly countries: ReadonlySet<string>;
  /** Subdivisions covered (with the subdivisions inside them), exclusions removed. */
  readonly subdivisions: ReadonlySet<string>;
  /** Countries and subdivisions (with those inside them) taken out. */
  readonly excluded: ReadonlySet<string>;
  /** The regions as written, for explanations. */
  readonly regions: Readonly<RegionsSpec>;
  /** The members of each group the rule names, for explanations. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly unknownRegion: "apply" | "skip";
  readonly effective: Readonly<{ from?: string; until?: string }>;
  readonly pathSpec: Readonly<{ include: readonly string[]; exclude: readonly string[] }>;
}

/** Bits of DecisionTable.flags, one word per rule. */
export const FLAG = {
  timed: 1,
  gpcCondition: 2,
  gpcWanted: 4,
  paths: 8,
  minimalLog: 16,
  block: 32,
  redirect: 64,
  headers: 128,
  cookies: 256,
  gpc: 512,
  consent: 1024,
  trackers: 2048,
  notice: 4096,
} as const;

/**
 * What deciding reads, laid out by rule rank in flat arrays: a decision walks a list of ranks and
 * reads typed arrays and slots next to each other, instead of following a pointer to each rule
 * and from there to its parts. With thousands of rules, cache misses, not comparisons, are what
 * a decision costs.
 */
export interface DecisionTable {
  readonly ids: readonly string[];
  readonly flags: Uint16Array;
  /** from and until in epoch milliseconds, two per rank. */
  readonly window: Float64Array;
  readonly paths: ReadonlyArray<((path: string) => PathVerdict) | null>;
  /** Every rule's header actions one after another: rule r's are headers[headerStart[r] .. headerStart[r + 1]). */
  readonly headerStart: Int32Array;
  readonly headers: readonly HeaderAction[];
  /** For each header action, a number standing for its name in lower case: names compare without case. */
  readonly headerName: Int32Array;
  readonly cookies: ReadonlyArray<CookiesAction | null>;
  readonly gpc: ReadonlyArray<GpcAction | null>;
  readonly consent: ReadonlyArray<ConsentAction | null>;
  readonly trackers: ReadonlyArray<TrackersAction | null>;
  /** Every rule's notice actions (one per language) one after another, from noticeStart[r]. */
  readonly noticeStart: Int32Array;
  readonly notices: readonly NoticeAction[];
  readonly noticeChoice: ReadonlyArray<LanguageChoice | null>;
  /** Ranks of the rules to look at, in decision order, keyed like the lists of RuleSet. */
  readonly byCountry: ReadonlyMap<string, Int32Array>;
  readonly bySubdivision: ReadonlyMap<string, Int32Array>;
  readonly byCountryUnknownSubdivision: ReadonlyMap<string, Int32Array>;
  readonly unknownRegion: Int32Array;
}

export interface RuleSet {
  /** Hash of the normalized rules: the same rules give the same revision wherever they are loaded. */
  readonly revision: string;
  /** Every rule, in decision order: priority (highest first), then id. */
  readonly rules: readonly CompiledRule[];
  /** Rules covering a whole country, in decision order. */
  readonly byCountry: ReadonlyMap<string, readonly CompiledRule[]>;
  /**
   * For each subdivision any rule names or excludes: every rule that applies there (those for the
   * whole country included, those excluding it left out), in decision order.
   */
  readonly bySubdivision: ReadonlyMap<string, readonly CompiledRule[]>;
  /** For a country whose reader's subdivision is unknown: the country's rules plus `unknownRegion: apply` rules naming its subdivisions. */
  readonly byCountryUnknownSubdivision: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Rules for readers whose country is unknown (`unknownRegion: apply`). */
  readonly unknownRegion: readonly CompiledRule[];
  readonly files: readonly string[];
  readonly loadedAt: Date;
  /** Conflicts and other findings that do not stop the rules from loading. */
  readonly warnings: readonly RuleProblem[];
  /** The same index, laid out for deciding. */
  readonly table: DecisionTable;
}
