import type { IncomingMessage } from "node:http";
import { publicSuffixList } from "./public-suffix.js";

/**
 * The Public Suffix List with its private section: `news.github.io`, `bucket.s3.amazonaws.com` and
 * `x.pages.dev` are registrable domains of their own, so neighbours under the same suffix are
 * third parties to each other.
 */
const TLD_OPTIONS = { allowPrivateDomains: true, extractHostname: false, validateHostname: false } as const;

/** The registrable domain of a lower-case host name, or null (IP addresses, public suffixes, single labels). */
export function siteOfHost(host: string): string | null {
  return publicSuffixList().getDomain(host, TLD_OPTIONS);
}

/** A URL's host as the browser's URL parser gives it (lower case, ASCII, IPv4 canonical, `[v6]`), without a trailing dot. */
export function urlHost(url: URL): string {
  const host = url.hostname;
  return host.endsWith(".") ? host.replace(/\.+$/, "") : host;
}

/**
 * What a Host header may hold: a host and an optional port, nothing a URL parser would read as a
 * path, query, user or second host.
 */
const HOST_HEADER = /^[^\s/?#\\@]+$/;

/** Where the document's relative URLs resolve when the request named no usable host: `.invalid` never resolves (RFC 6761). */
const UNKNOWN_BASE = "http://document.invalid/";
const UNKNOWN_HOST = "document.invalid";

/** Per Host header: a site has a handful, and parsing one against the suffix list is not cheap. */
const known = new Map<string, FirstParty>();
const MAX_KNOWN = 1000;

/**
 * The first party of a page: its own host, and the hosts that share its registrable domain. Anything
 * else is a third party, including a host that cannot be parsed, a single label (`intranet`), an
 * IP address other than the page's own, and a host under a public suffix the page does not share.
 */
export class FirstParty {
  /** The page's own host as the URL parser normalizes it, or null when the request named none that parses. */
  readonly host: string | null;
  /** Its registrable domain (private section included), or null for an IP address or a public suffix. */
  readonly domain: string | null;
  /**
   * The document's URL as far as host verdicts need it. The scheme is `http` whatever the request's:
   * relative URLs resolve the same way against any special scheme, so no verdict depends on it.
   */
  readonly base: string;

  private constructor(hostHeader: string | null) {
    let host: string | null = null;
    if (hostHeader !== null && HOST_HEADER.test(hostHeader)) {
      try {
        host = urlHost(new URL(`http://${hostHeader}/`)) || null;
      } catch {
        host = null;
      }
    }
    this.host = host;
    this.domain = host === null ? null : siteOfHost(host);
    this.base = host === null ? UNKNOWN_BASE : `http://${host}/`;
  }

  /** The first party for a request's Host header (or Express's `req.hostname`), remembered per value. */
  static of(hostHeader: string | null | undefined): FirstParty {
    const header = hostHeader ?? "";
    let party = known.get(header);
    if (party === undefined) {
      party = new FirstParty(header === "" ? null : header);
      if (known.size >= MAX_KNOWN) known.clear();
      known.set(header, party);
    }
    return party;
  }

  /** Whether a host name as `urlHost` gives it belongs to this page's first party. */
  includes(host: string): boolean {
    if (host === this.host) return true;
    // Relative URLs of a page whose host is not known go back to wherever the page came from.
    if (host === UNKNOWN_HOST) return this.host === null;
    const domain = this.domain;
    if (domain === null || !host.endsWith(domain)) return false;
    if (host.length !== domain.length && host.charCodeAt(host.length - domain.length - 1) !== 0x2e) return false;
    return siteOfHost(host) === domain;
  }
}

/**
 * The host the reader's browser asked for: Express's `req.hostname` (which follows the app's
 * `trust proxy` for X-Forwarded-Host), else the Host header. The body rewrite, the guard script and
 * the policy all take the first party from here, so they agree.
 */
export function documentHost(req: IncomingMessage): string | null {
  return (req as { hostname?: string }).hostname ?? req.headers.host ?? null;
}
