import { isIP } from "node:net";
import type { TrackersAction } from "../../rules/actions.js";
import { hostOf, registrableDomain, type TrackerList } from "./list.js";

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

/** The URL as the browser's URL parser sees it for the host: tabs and newlines anywhere are removed. */
function cleanUrl(url: string): string {
  return /[\t\n\r]/.test(url) ? url.replace(/[\t\n\r]/g, "") : url;
}

/**
 * Decides, for one response, which URLs are trackers. `list` mode: hosts on the tracker list, by
 * registrable domain. `third-party` mode: every host that is neither the site's own (the request's
 * registrable domain) nor on the rule's allowlist. With several actions a host is blocked when
 * any of them blocks it.
 */
export class TrackerMatcher {
  private readonly rules: readonly CompiledTrackers[];
  readonly firstPartyHost: string | null;
  readonly firstPartyDomain: string | null;
  /** Everything the verdicts depend on besides the list: part of the rewrite cache key. */
  readonly key: string;

  constructor(actions: readonly TrackersAction[], readonly list: TrackerList, requestHost: string | null) {
    this.rules = actions.map((a) => ({ mode: a.mode, allow: new Set(a.allow.map((h) => h.trim().toLowerCase().replace(/\.$/, "")).filter((h) => h !== "")) }));
    const host = requestHost ? hostOf(requestHost) : null;
    this.firstPartyHost = host;
    this.firstPartyDomain = host ? registrableDomain(host) : null;
    const thirdParty = this.rules.some((r) => r.mode === "third-party");
    this.key = `${this.rules.map((r) => `${r.mode}:${[...r.allow].sort().join(",")}`).join(";")}${thirdParty ? `@${this.firstPartyDomain ?? host ?? ""}` : ""}`;
  }

  get thirdPartyMode(): boolean {
    return this.rules.some((r) => r.mode === "third-party");
  }

  /** The vendor (or "third-party") when the URL is a tracker for this reader, else null. Relative URLs never are. */
  blocks(url: string): string | null {
    const host = hostOf(cleanUrl(url));
    return host === null ? null : this.blocksHost(host);
  }

  /** Like `blocks`, for a lower-case host name. */
  blocksHost(host: string): string | null {
    let domain: string | null | undefined;
    for (const rule of this.rules) {
      if (suffixIn(host, rule.allow)) continue;
      if (rule.mode === "list") {
        const entry = this.list.match(host);
        if (entry) return entry.vendor;
      } else {
        domain ??= registrableDomain(host);
        const firstParty = domain !== null ? domain === this.firstPartyDomain : host === this.firstPartyHost;
        if (firstParty) continue;
        // A bare word or an unknown suffix is no host a browser would reach, except an IP address.
        if (domain === null && isIP(host) === 0) continue;
        return this.list.match(host)?.vendor ?? "third-party";
      }
    }
    return null;
  }

  guardRules(): GuardRule[] {
    return this.rules.map((r) => ({ mode: r.mode, allow: [...r.allow].sort() }));
  }
}
