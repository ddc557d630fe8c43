import { isIP } from "node:net";
import { Parser } from "htmlparser2";
import { FirstParty } from "../../actions/trackers/first-party.js";
import { registrableDomain, type TrackerList } from "../../actions/trackers/list.js";
import type { Contact, ContactKind } from "./net-log.js";
import type { PageRun, ViewportRun } from "./page-run.js";

export type ThirdPartyKind = ContactKind | "navigation";

/** Every contact the browser had with one third-party host, on one page, for one reader. */
export interface ThirdParty {
  readonly host: string;
  /** What the browser did with the host: resolved it, preconnected, opened a socket, requested, opened a WebSocket, navigated. */
  readonly kinds: readonly ThirdPartyKind[];
  /** The first URLs (or origins, for what carries no URL) the page reached it with. */
  readonly targets: readonly string[];
  /** What caused it, where the browser says: the request's initiator, the element naming the host, a Link header. */
  readonly cause: string | null;
  /** The vendor and category when the tracker lists name the host. */
  readonly tracker: { readonly vendor: string; readonly category: string } | null;
  /** Left alone by the rule's `allow` list. */
  readonly allowed: boolean;
  /** A third party this reader's rule says must learn nothing. */
  readonly leak: boolean;
}

export interface NoticeCheck {
  readonly rule: string;
  readonly expectedLanguage: string | null;
  readonly count: number;
  readonly language: string | null;
  readonly text: string | null;
  /** Per viewport, `WIDTHxHEIGHT`: null when the notice is visible there, else why not. */
  readonly viewports: Readonly<Record<string, string | null>>;
}

/** What one reader got on one page; report.json gives each reader's verdict whole, in this order. */
export interface Verdict {
  readonly failed: boolean;
  /** Why the page fails for this reader (leaks are in `leaks`, and named here too). */
  readonly problems: readonly string[];
  /** Worth knowing, not a failure. */
  readonly notes: readonly string[];
  readonly leaks: readonly ThirdParty[];
  readonly thirdParties: readonly ThirdParty[];
  readonly notices: readonly NoticeCheck[];
  readonly trackersFired: readonly string[];
}

const size = (v: { width: number; height: number }): string => `${v.width}x${v.height}`;

/** The primary language subtag, lower case: `ru` for `ru-RU`. */
function primary(tag: string): string {
  return tag.toLowerCase().split("-")[0] ?? "";
}

function hostOfUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return u.hostname.replace(/^\[|\]$/g, "").replace(/\.+$/, "").toLowerCase() || null;
  } catch {
    return null;
  }
}

function isAllowed(host: string, allow: readonly string[]): boolean {
  if (allow.length === 0) return false;
  const domain = registrableDomain(host);
  return allow.some((a) => a === host || a === domain || host.endsWith(`.${a}`));
}

interface Builder {
  host: string;
  kinds: Set<ThirdPartyKind>;
  targets: string[];
}

/** The hosts that the served HTML names in its attributes (not in script text): what the markup itself asks for. */
function markupHosts(html: string, base: string): Set<string> {
  const hosts = new Set<string>();
  const parser = new Parser({
    onattribute(_name, value) {
      for (const part of value.split(/,\s+/)) {
        let host: string | null = null;
        try {
          host = hostOfUrl(new URL(part.trim().split(/\s+/)[0] ?? "", base).href);
        } catch {
          // A value that is not a URL names no host.
        }
        if (host) hosts.add(host);
      }
    },
  });
  parser.end(html);
  return hosts;
}

/** Says what caused the contacts with `host`: Link headers first, then elements that name it, then the browser's initiator of its first request. */
function causeOf(run: PageRun, host: string, markup: () => Set<string>): string | null {
  const causes: string[] = [];
  const link = run.linkHeaders.find((l) => l.value.toLowerCase().includes(host));
  if (link) causes.push(`Link header of ${link.url}: ${link.value.slice(0, 200)}`);
  const ref = run.page?.refs.find((r) => hostOfUrl(r.url) === host);
  if (ref) causes.push(`element ${ref.element}${markup().has(host) ? "" : " (not in the page's HTML: added by a script)"}`);
  const stylesheets = new Set(run.requests.filter((r) => r.type === "Stylesheet").map((r) => r.url));
  const request = run.requests.find((r) => hostOfUrl(r.url) === host && r.initiator);
  if (request?.initiator) {
    const m = /^markup of (\S+?)(?::\d+)?$/.exec(request.initiator);
    const initiator = m && stylesheets.has(m[1]!) ? `stylesheet ${m[1]} (a CSS url())` : request.initiator;
    causes.push(`${initiator}, asking for ${request.url.slice(0, 200)}`);
  }
  if (!request) {
    const framed = run.requests.find((r) => hostOfUrl(r.url) === host && r.frame);
    if (framed) causes.push(`a request of the frame ${framed.frame!.slice(0, 200)}, asking for ${framed.url.slice(0, 200)}`);
  }
  return causes.length ? causes.join("; ") : null;
}

/** A request no page asked for: the browser's own (updates, sign-in, safe browsing), not a navigation. */
function browserOwn(c: Contact): boolean {
  return c.kind === "request" && c.initiator === "not an origin" && c.requestType === "other";
}

/**
 * The hosts that only the browser itself reached: each of their requests is the browser's own and
 * nothing of the page (a request it asked for, a preconnect, a WebSocket) went there. DevTools saw
 * no request of the page to them either.
 */
function browserOwnHosts(run: PageRun): Set<string> {
  const own = new Set<string>();
  const page = new Set<string>();
  for (const c of run.contacts) {
    if (browserOwn(c)) own.add(c.host);
    else if (c.kind === "request" || c.kind === "preconnect" || c.kind === "websocket") page.add(c.host);
  }
  for (const r of run.requests) {
    const host = hostOfUrl(r.url);
    if (host) page.add(host);
  }
  for (const h of page) own.delete(h);
  return own;
}

function thirdParties(run: PageRun, trackers: TrackerList): ThirdParty[] {
  const browsers = browserOwnHosts(run);
  let hosts: Set<string> | null = null;
  const markup = (): Set<string> => (hosts ??= markupHosts(run.html, run.url));
  const site = FirstParty.of(new URL(run.url).host);
  const byHost = new Map<string, Builder>();
  const add = (host: string, kind: ThirdPartyKind, target: string): void => {
    if (site.includes(host) || browsers.has(host)) return;
    let b = byHost.get(host);
    if (!b) byHost.set(host, (b = { host, kinds: new Set(), targets: [] }));
    b.kinds.add(kind);
    if (b.targets.length < 5 && !b.targets.includes(target)) b.targets.push(target);
  };
  for (const c of run.contacts) {
    // A resolution logged by address is the browser mapping a name it already logged (or a literal address: no lookup to leak).
    if (c.kind === "dns" && isIP(c.host) !== 0) continue;
    if (!/^(https?|wss?|dns):/i.test(c.target)) continue;
    add(c.host, c.kind, c.target);
  }
  for (const n of run.navigations) {
    const host = hostOfUrl(n);
    if (host && /^https?:/i.test(n)) add(host, "navigation", n);
  }
  const allow = run.decision?.allow ?? [];
  const mode = run.reader.baseline ? null : run.decision ? run.decision.trackers : "third-party";
  return [...byHost.values()].map((b) => {
    const entry = trackers.match(b.host);
    const allowed = isAllowed(b.host, allow);
    const leak = !allowed && (mode === "third-party" || (mode === "list" && entry !== undefined));
    return { host: b.host, kinds: [...b.kinds], targets: b.targets, cause: causeOf(run, b.host, markup), tracker: entry ? { vendor: entry.vendor, category: entry.category } : null, allowed, leak };
  });
}

function visibility(v: ViewportRun, rule: string): string | null {
  if (v.error) return `could not be looked at: ${v.error}`;
  const found = v.notices.filter((n) => n.rule === rule);
  if (found.length === 0) return "not on the page";
  const n = found[0]!;
  if (!n.rendered) return "hidden (display, visibility or opacity)";
  if (!n.inFirstViewport) return "not in the first viewport";
  if (!n.uncovered) return "covered by another element";
  if (!n.legible) return "its text is too small or transparent to read";
  return null;
}

function checkNotices(run: PageRun, lang: string | null, problems: string[], notes: string[]): NoticeCheck[] {
  const seen = run.viewports.find((v) => !v.error)?.notices ?? [];
  const expected = run.reader.baseline || run.decision?.answer ? [] : run.decision ? run.decision.notices : [{ rule: seen[0]?.rule ?? "(any)", language: "" }];
  const checks: NoticeCheck[] = [];
  for (const e of expected) {
    const mine = e.rule === "(any)" ? seen : seen.filter((n) => n.rule === e.rule);
    const want = lang ?? (e.language || null);
    const shown = mine[0] ?? null;
    const viewports: Record<string, string | null> = {};
    for (const v of run.viewports) viewports[size(v.viewport)] = visibility(v, shown?.rule ?? e.rule);
    checks.push({ rule: e.rule, expectedLanguage: want, count: mine.length, language: shown?.lang ?? null, text: shown?.text ?? null, viewports });
    const name = e.rule === "(any)" ? "the notice" : `notice ${e.rule}`;
    if (mine.length === 0) {
      problems.push(`${name}: not on the page`);
      continue;
    }
    if (mine.length > 1) problems.push(`${name}: shown ${mine.length} times, not once`);
    for (const [where, why] of Object.entries(viewports)) if (why) problems.push(`${name}: ${why} at ${where}`);
    if (want && primary(shown?.lang ?? "") !== primary(want)) problems.push(`${name}: in "${shown?.lang || "no language"}", expected ${want}`);
  }
  const extra = seen.filter((n) => !expected.some((e) => e.rule === n.rule || e.rule === "(any)"));
  if (extra.length) notes.push(`notice shown that the decision did not name: ${[...new Set(extra.map((n) => n.rule))].join(", ")}`);
  return checks;
}

/** What one reader got on one page, and whether that fails the audit. */
export function judge(run: PageRun, trackers: TrackerList, lang: string | null): Verdict {
  const problems: string[] = [];
  const notes: string[] = [];
  const baseline = run.reader.baseline;
  if (run.error) (baseline ? notes : problems).push(run.error);
  const d = run.decision;
  if (!baseline) {
    if (run.decisionId === null && run.status !== null) problems.push("the site made no decision for this page: no Geo-Compliance-Decision header (is the middleware mounted in front of this path?)");
    else if (run.decisionId !== null && !d) problems.push("the site did not take the preview token: its preview.secret is not the secret in the environment, or its preview cookie has another name (--preview-cookie)");
    else if (d && d.region !== run.reader.region) problems.push(`the site decided for ${d.region}, not ${run.reader.region}`);
    if (d && d.rules.length === 0) notes.push(`no rule applies to a reader in ${run.reader.region} on this page`);
    else if (d && d.trackers === null && !d.answer) notes.push("the rules that apply here leave third parties on");
    if (d?.answer) notes.push(d.answer === "block" ? `the page is withheld (status ${run.status ?? "?"})` : `the reader is sent elsewhere (status ${run.status ?? "?"})`);
  } else if (d && d.rules.length > 0) {
    notes.push(`the baseline reader (${run.reader.region}) is not free: ${d.rules.join(", ")} apply; pick another with --baseline-region`);
  }
  const parties = thirdParties(run, trackers);
  const leaks = parties.filter((p) => p.leak);
  for (const l of leaks) problems.push(`leak: ${l.kinds.join("+")} to ${l.host}${l.cause ? ` (${l.cause})` : ""}`);
  const notices = checkNotices(run, lang, baseline ? notes : problems, notes);
  const trackersFired = [...new Set(parties.filter((p) => p.tracker).map((p) => `${p.tracker!.vendor} (${p.host})`))];
  return { failed: !baseline && problems.length > 0, problems, notes, leaks, thirdParties: parties, notices, trackersFired };
}

/** What the free reader got that the protected one did not, and the other way round. */
export function differences(protectedRun: { verdict: Verdict; run: PageRun }, free: { verdict: Verdict; run: PageRun }): string[] {
  const out: string[] = [];
  const hosts = (v: Verdict): Set<string> => new Set(v.thirdParties.map((p) => p.host));
  const p = hosts(protectedRun.verdict);
  const f = hosts(free.verdict);
  const onlyFree = [...f].filter((h) => !p.has(h)).sort();
  const onlyProtected = [...p].filter((h) => !f.has(h)).sort();
  if (onlyFree.length) out.push(`third parties the free reader's browser reached and the protected reader's did not: ${onlyFree.join(", ")}`);
  if (onlyProtected.length) out.push(`third parties only the protected reader's browser reached: ${onlyProtected.join(", ")}`);
  const notices = (r: PageRun): string[] => [...new Set(r.viewports.flatMap((v) => v.notices.map((n) => n.rule)))].sort();
  const pn = notices(protectedRun.run);
  const fn = notices(free.run);
  if (pn.join() !== fn.join()) out.push(`notices: protected reader ${pn.join(", ") || "none"}; free reader ${fn.join(", ") || "none"}`);
  const rules = (r: PageRun): string => r.decision?.rules.join(", ") || "none";
  if (rules(protectedRun.run) !== rules(free.run)) out.push(`rules: protected reader ${rules(protectedRun.run)}; free reader ${rules(free.run)}`);
  if (protectedRun.run.status !== free.run.status) out.push(`status: protected reader ${protectedRun.run.status ?? "none"}; free reader ${free.run.status ?? "none"}`);
  return out;
}
