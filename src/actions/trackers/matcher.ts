import type { TrackersAction } from "../../rules/actions.js";
import { FirstParty, urlHost } from "./first-party.js";
import type { TrackerList } from "./list.js";

/** One trackers action made ready for matching. */
interface CompiledTrackers {
  readonly mode: "list" | "third-party";
  /** Lower-case hosts or registrable domains; each covers its subdomains. */
  readonly allow: ReadonlySet<string>;
}

/** What the guard script in the browser needs to decide the same way. */
export interface GuardRule {
  readonly mode: "list" | "third-party";
  readonly allow: readonly string[];
}

function suffixIn(host: string, set: ReadonlySet<string>): boolean {
  if (set.size === 0) return false;
  let h = host;
  for (;;) {
    if (set.has(h)) return true;
    const dot = h.indexOf(".");
    if (dot === -1) return false;
    h = h.slice(dot + 1);
  }
}

const isAlphanumeric = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);

/**
 * Whether the URL parser is certain to resolve `url` to the base's own host: a path (`app.js`,
 * `./x`, `/x`), a query or a fragment, with no scheme, no leading space or control character, and
 * no tab or newline (which the parser removes, so `/\t/host` is `//host`). Anything else takes the
 * full parse. Saves a URL parse for most of a page's own URLs.
 */
export function plainlyRelative(url: string): boolean {
  if (url.length === 0) return true;
  const c0 = url.charCodeAt(0);
  let i: number;
  if (c0 === 0x2f) {
    if (url.length === 1) return true;
    const c1 = url.charCodeAt(1);
    if (c1 === 0x2f || c1 === 0x5c || c1 === 0x09 || c1 === 0x0a || c1 === 0x0d) return false;
    return true;
  }
  if (c0 === 0x3f || c0 === 0x23) return true; // '?', '#'
  if (!isAlphanumeric(c0) && c0 !== 0x2e && c0 !== 0x5f && c0 !== 0x7e && c0 !== 0x25 && c0 !== 0x2d) return false;
  // A path segment until '/', '?' or '#': a ':', tab or newline before it may make a scheme.
  for (i = 1; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23 || c === 0x5c) return true;
    if (c === 0x3a || c === 0x09 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}

/**
 * Decides, for one response, which URLs are trackers. `list` mode: hosts on the tracker list, by
 * registrable domain. `third-party` mode: every host outside the page's first party (its own host
 * and the hosts sharing its registrable domain, the Public Suffix List's private section included)
 * and not on the rule's allowlist, including URLs that do not parse. With several actions a host
 * is blocked when any of them blocks it.
 */
export class TrackerMatcher {
  private readonly rules: readonly CompiledTrackers[];
  private readonly firstParty: FirstParty;
  readonly firstPartyHost: string | null;
  readonly firstPartyDomain: string | null;
  readonly thirdPartyMode: boolean;
  /** Everything the verdicts and the guard script depend on besides the list: part of the rewrite cache key. */
  readonly key: string;

  /** `requestHost`: the Host header (a port is ignored) or Express's `req.hostname`. */
  constructor(actions: readonly TrackersAction[], readonly list: TrackerList, requestHost: string | null) {
    this.rules = actions.map((a) => ({ mode: a.mode, allow: new Set(a.allow.map((h) => h.trim().toLowerCase().replace(/\.$/, "")).filter((h) => h !== "")) }));
    this.firstParty = FirstParty.of(requestHost);
    this.firstPartyHost = this.firstParty.host;
    this.firstPartyDomain = this.firstParty.domain;
    this.thirdPartyMode = this.rules.some((r) => r.mode === "third-party");
    const rules = this.rules.map((r) => `${r.mode}:${[...r.allow].sort().join(",")}`).join(";");
    this.key = this.thirdPartyMode ? `${rules}@${this.firstPartyHost ?? ""}/${this.firstPartyDomain ?? ""}` : rules;
  }

  /** The document's URL as far as host verdicts need it: `http://<the page's host>/`. */
  get base(): string {
    return this.firstParty.base;
  }

  /**
   * The vendor (or "third-party") when the URL, as the browser resolves it, is a tracker for this
   * reader, else null. It is resolved with the WHATWG URL parser (as browsers do: leading spaces and
   * control characters, tabs and newlines, backslashes, percent-encoded and full-width host names)
   * against `base`, by default the page's own URL; a `<base href>` may give another (optional).
   * URLs without a host (`data:`, `blob:`, `javascript:`, `mailto:`) load nothing from one.
   */
  blocks(url: string, base?: string): string | null {
    if (base === undefined && plainlyRelative(url)) return null;
    let parsed: URL;
    try {
      parsed = new URL(url, base ?? this.firstParty.base);
    } catch {
      // Fail closed: the browser may read the URL in a way we did not foresee.
      return this.thirdPartyMode ? "third-party" : null;
    }
    return this.blocksParsed(parsed);
  }

  /** Like `blocks`, for a URL already parsed. */
  blocksParsed(url: URL): string | null {
    const host = urlHost(url);
    return host === "" ? null : this.blocksHost(host);
  }

  /** Like `blocks`, for a host name as the URL parser gives it (lower case, ASCII). */
  blocksHost(host: string): string | null {
    for (const rule of this.rules) {
      if (suffixIn(host, rule.allow)) continue;
      if (rule.mode === "list") {
        const entry = this.list.match(host);
        if (entry) return entry.vendor;
      } else if (!this.firstParty.includes(host)) {
        return this.list.match(host)?.vendor ?? "third-party";
      }
    }
    return null;
  }

  /** Whether a host is the page's own or shares its registrable domain. */
  isFirstParty(host: string): boolean {
    return this.firstParty.includes(host);
  }

  guardRules(): GuardRule[] {
    return this.rules.map((r) => ({ mode: r.mode, allow: [...r.allow].sort() }));
  }
}
