import type { IncomingMessage, ServerResponse } from "node:http";
import { contentSecurityPolicy } from "helmet";
import { documentHost, FirstParty } from "./trackers/first-party.js";

/** A host the site allows: a domain such as `example-cdn.net`, no scheme, port or path. */
const HOST = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i;

/** Why an `allow` entry cannot go into the policy, or null. Shared with the rule loader. */
export function allowHostProblem(host: unknown): string | null {
  if (typeof host !== "string" || !HOST.test(host)) {
    return `${JSON.stringify(host)} is not a host name: write the site's domain alone, such as static.example.net, without https:// or a path`;
  }
  return null;
}

/** `example.com` and every host under it, as CSP host sources (no scheme: the page's own scheme applies). */
function hostSources(domain: string): string[] {
  return [domain, `*.${domain}`];
}

/** What a CSP host-source may name (letters, digits, hyphens, dots): anything else is left out of the policy. */
const CSP_HOST = /^(?:[a-z0-9-]+\.)*[a-z0-9-]+$/;

/**
 * The page's first party as host sources on any port: its own host, and when it has a registrable
 * domain (the Public Suffix List's private section included), that domain and its subdomains. A
 * page on `news.github.io` gets `news.github.io` and `*.news.github.io`, never `*.github.io`.
 * A policy cannot carve exceptions out of `*.domain`: for the few domains that hold a private
 * suffix deeper down (a page on `www.amazonaws.com` and `bucket.s3.amazonaws.com`), the rewrite
 * and the guard script, which judge each host, are the walls that tell them apart.
 */
export function firstPartySources(party: Pick<FirstParty, "host" | "domain"> | null): string[] {
  if (!party) return [];
  const out: string[] = [];
  if (party.domain !== null && CSP_HOST.test(party.domain)) out.push(`${party.domain}:*`, `*.${party.domain}:*`);
  if (party.host !== null && party.host !== party.domain && CSP_HOST.test(party.host)) {
    const covered = party.domain !== null && out.length > 0 && party.host.endsWith(`.${party.domain}`);
    if (!covered) out.push(`${party.host}:*`);
  }
  return out;
}

/**
 * The directives for `third-party` mode: fetches may go to the page's own origin, the page's first
 * party on any port and the allowlist, nowhere else. Inline scripts and styles stay allowed: this
 * policy is a second wall against third-party requests, not an XSS policy, and it must not break
 * the page; a stricter policy the app sends still applies beside it.
 */
export function thirdPartyDirectives(allow: readonly string[], party: Pick<FirstParty, "host" | "domain"> | null): Record<string, string[]> {
  const own = ["'self'", ...firstPartySources(party), ...[...new Set(allow)].flatMap(hostSources)];
  return {
    "default-src": own,
    "script-src": [...own, "'unsafe-inline'", "'unsafe-eval'"],
    "style-src": [...own, "'unsafe-inline'"],
    "img-src": [...own, "data:", "blob:"],
    "font-src": [...own, "data:"],
    "media-src": [...own, "data:", "blob:"],
    "connect-src": own,
    "frame-src": own,
    "worker-src": [...own, "blob:"],
    "form-action": own,
  };
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** helmet builds and checks a policy once; policies are kept per (site, allowlist), a bounded number. */
const MAX_POLICIES = 256;
const policies = new Map<string, Middleware>();

function policyFor(allow: readonly string[], party: FirstParty): Middleware {
  const key = `${party.host ?? ""} ${party.domain ?? ""} ${allow.join(" ")}`;
  let mw = policies.get(key);
  if (!mw) {
    if (policies.size >= MAX_POLICIES) policies.clear();
    mw = contentSecurityPolicy({ useDefaults: false, directives: thirdPartyDirectives(allow, party) }) as Middleware;
    policies.set(key, mw);
  }
  return mw;
}

/** An allowlist split into the hosts that go into the policy and the entries refused; once per rule set's list. */
const checked = new WeakMap<readonly string[], { refused: string[]; hosts: string[] }>();

function checkedAllow(allow: readonly string[]): { refused: string[]; hosts: string[] } {
  let c = checked.get(allow);
  if (!c) {
    c = { refused: allow.filter((h) => allowHostProblem(h) !== null), hosts: allow.filter((h) => allowHostProblem(h) === null).map((h) => h.toLowerCase()) };
    checked.set(allow, c);
  }
  return c;
}

/**
 * Adds the third-party policy. A policy the app already set is kept and ours is sent beside it as
 * a second header: browsers enforce every policy they get, so adding one can only narrow what the
 * page may load, never widen it. Allow entries that are not host names are left out (which narrows
 * the policy) and returned for the log.
 */
export function applyThirdPartyCsp(req: IncomingMessage, res: ServerResponse, allow: readonly string[]): string[] {
  const { refused, hosts } = checkedAllow(allow);
  addPolicy(req, res, policyFor(hosts, FirstParty.of(documentHost(req))));
  return refused.map((h) => `trackers allow: ${allowHostProblem(h)}`);
}

/**
 * For a page whose rewrite failed under a `list` rule: trackers after the failure are still in it
 * and no header of that mode stops them, so the page gets the third-party policy with no
 * allowlist, and loads from the site's own hosts only. Called before the headers are sent.
 */
export function applySiteOnlyCsp(res: ServerResponse): void {
  addPolicy(res.req, res, policyFor([], FirstParty.of(documentHost(res.req))));
}

function addPolicy(req: IncomingMessage, res: ServerResponse, policy: Middleware): void {
  const existing = res.getHeader("content-security-policy");
  policy(req, res, () => {});
  if (existing !== undefined) {
    const ours = String(res.getHeader("content-security-policy"));
    const theirs = Array.isArray(existing) ? existing.map(String) : [String(existing)];
    res.setHeader("Content-Security-Policy", [...theirs, ours]);
  }
}
