/** A rule as written in a rule file, after schema validation. */
export interface RuleSpec {
  id: string;
  title: string;
  basis?: { text: string; url?: string };
  regions: { countries?: string[]; subdivisions?: string[] };
  actions: { notice?: NoticeSpec };
  log?: "full" | "minimal";
}

export interface NoticeText {
  title: string;
  text: string;
}

export interface NoticeSpec {
  defaultLanguage: string;
  languages: Record<string, NoticeText>;
}

export interface RuleFileSpec {
  rules: RuleSpec[];
}

/** Where something was written, for messages that a legal team can act on. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

/** A rule ready for deciding: normalized and frozen. */
export interface CompiledRule {
  readonly id: string;
  readonly title: string;
  readonly countries: ReadonlySet<string>;
  readonly subdivisions: ReadonlySet<string>;
  readonly notice: CompiledNotice | null;
  readonly log: "full" | "minimal";
  readonly source: SourcePosition;
}

export interface CompiledNotice {
  readonly defaultLanguage: string;
  /** Languages in the order the rule lists them; the default first. */
  readonly languages: readonly string[];
  readonly texts: Readonly<Record<string, NoticeText>>;
}

export interface RuleSet {
  /** Hash of the normalized rules: the same rules give the same revision wherever they are loaded. */
  readonly revision: string;
  readonly rules: readonly CompiledRule[];
  readonly byCountry: ReadonlyMap<string, readonly CompiledRule[]>;
  readonly bySubdivision: ReadonlyMap<string, readonly CompiledRule[]>;
  readonly files: readonly string[];
  readonly loadedAt: Date;
}
