/**
 * Runs the whole corpus in one persistent Chromium profile and says, per run, what reached a third
 * party. Each (vector, mode) run has its own third-party names and its own recorder port, so each
 * net-log event and each recorded request belongs to exactly one run.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { readNetLog, netLogContacts, type Contact } from "../../../src/cli/audit/net-log.js";
import { registrableDomain } from "../../../src/actions/trackers/list.js";
import { geoCompliance, shippedRules, type GeoComplianceMiddleware } from "../../../src/index.js";
import { CHROMIUM } from "../browser.js";
import { cityDbFile, IP } from "../region-fixtures.js";
import { MODES, RunContext, type Mode } from "./run-context.js";
import { listModeRules, proxy, Recorder, serve, siteApp, type Listening, type Reached, type RunLookup } from "./servers.js";
import type { Vector } from "./vectors.js";

/** A load, then this long for what the page does after it (timers, workers, speculation). */
export const SETTLE_MS = 700;
/** Pages open at once in the one browser. */
const CONCURRENCY = 4;
const LOAD_TIMEOUT_MS = 8000;

/** Who the site's front proxy says the reader is, per mode (addresses of the test GeoIP database). */
const READER: Record<Mode, string | null> = { plain: null, free: IP.kyiv, "third-party": IP.moscow, list: IP.moscow, github: IP.moscow };
const SITE_HOST: Record<Mode, string> = { plain: "news.example", free: "news.example", "third-party": "news.example", list: "news.example", github: "news.github.io" };

export interface RunResult {
  readonly vector: string;
  readonly mode: Mode;
  readonly context: RunContext;
  /** Every net-log contact on this run's third-party port. */
  readonly contacts: readonly Contact[];
  readonly reached: Reached;
  /** First-party paths the page asked the site for. */
  readonly firstParty: readonly string[];
  /** The page's bytes as the reader got them, for the free reader's comparison. */
  readonly pageBytes?: Buffer;
  /** The same page straight from the app, without the middleware. */
  readonly appBytes?: Buffer;
}

export interface CorpusResult {
  readonly runs: readonly RunResult[];
  readonly seconds: number;
  readonly netLogEvents: number;
  readonly netLogComplete: boolean;
  /** Chromium's switches that playwright adds and the corpus removes, with why. */
  readonly ignoredDefaultArgs: readonly string[];
}

export const key = (vector: string, mode: Mode): string => `${vector} ${mode}`;

/** Whether anything of the run reached its third party: a net-log contact of any kind, a connection, a request or a datagram. */
export function fired(r: RunResult): boolean {
  return r.contacts.length > 0 || r.reached.connections > 0 || r.reached.requests.length > 0 || r.reached.datagrams > 0;
}

/** What reached the third party, in a few words: the net-log kinds and the recorder's counts. */
export function describeReach(r: RunResult): string {
  const kinds = [...new Set(r.contacts.map((c) => c.kind))].sort();
  const parts = kinds.length ? [kinds.join("+")] : [];
  if (r.reached.connections) parts.push(`${r.reached.connections} connection(s)`);
  if (r.reached.requests.length) parts.push(`${r.reached.requests.length} request(s) recorded`);
  if (r.reached.datagrams) parts.push(`${r.reached.datagrams} datagram(s)`);
  return parts.join(", ") || "nothing";
}

async function visit(page: Page, url: string, settleMs: number): Promise<void> {
  const popups: Page[] = [];
  page.on("popup", (p) => void popups.push(p));
  try {
    await page.goto(url, { waitUntil: "load", timeout: LOAD_TIMEOUT_MS });
  } catch {
    // A page that navigates itself away (the navigation vectors) ends its goto early or aborts it.
  }
  await page.waitForTimeout(settleMs);
  for (const p of popups) await p.close().catch(() => undefined);
  await page.close().catch(() => undefined);
}

async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

export async function runCorpus(vectors: readonly Vector[]): Promise<CorpusResult> {
  const started = Date.now();
  const recorder = new Recorder();
  const runs: Array<{ vector: Vector; context: RunContext }> = [];
  for (const vector of vectors) {
    for (const mode of vector.modes ?? MODES) runs.push({ vector, context: new RunContext(vector.id, mode, await recorder.open(vector.udp === true)) });
  }
  const byKey = new Map(runs.map((r) => [key(r.vector.id, r.context.mode), r]));
  const lookup: RunLookup = (vector, mode) => byKey.get(key(vector, mode));

  // The list-mode reader's tracker list names every third party of the list-mode runs.
  const listDomains = runs.filter((r) => r.context.mode === "list").map((r) => registrableDomain(r.context.host("t").replace(/:\d+$/, "")) ?? r.context.domain);
  for (const r of runs.filter((r) => r.context.mode === "list")) {
    for (const suffix of ["s3.amazonaws.com", "appspot.com", "pages.dev"] as const) listDomains.push(r.context.suffixHost(suffix).replace(/:\d+$/, ""));
  }
  const list = listModeRules(listDomains);
  if (process.env.CORPUS_REPORT === "1") console.log(`    (ports open after ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const database = cityDbFile();
  const common = { geoip: { database, watch: false }, trustProxy: ["loopback"], decisionLog: false as const, watch: false };
  const middlewares: GeoComplianceMiddleware[] = [geoCompliance({ ...common, rules: shippedRules }), geoCompliance({ ...common, rules: list.rules, trackerLists: [list.trackers] })];
  await Promise.all(middlewares.map((m) => m.ready));
  const [shipped, listed] = middlewares as [GeoComplianceMiddleware, GeoComplianceMiddleware];

  const seen: string[] = [];
  const servers: Listening[] = [];
  const plainApp = await serve(siteApp(lookup, seen));
  const shippedApp = await serve(siteApp(lookup, seen, shipped));
  const listApp = await serve(siteApp(lookup, seen, listed));
  servers.push(plainApp, shippedApp, listApp);
  const appFor: Record<Mode, Listening> = { plain: plainApp, free: shippedApp, "third-party": shippedApp, list: listApp, github: shippedApp };
  const origins = new Map<Mode, string>();
  for (const mode of MODES) {
    const p = await proxy(appFor[mode].port, mode, READER[mode]);
    servers.push(p);
    origins.set(mode, `http://${SITE_HOST[mode]}:${p.port}`);
  }

  const profile = mkdtempSync(join(tmpdir(), "gc-corpus-profile-"));
  const netLog = join(profile, "..", `${profile.split("/").pop() ?? "corpus"}-net-log.json`);
  // Service workers need a secure context, and speculation rules prefetch only "https" pages and URLs.
  const secure = [...origins.values(), ...runs.map((r) => `http://${r.context.host("t")}`)].join(",");
  // --disable-background-networking turns off Chromium's own traffic; it leaves the page's
  // preconnects, DNS prefetches and speculation rules alone (checked: the markup vectors fire with it on).
  const ignoredDefaultArgs: string[] = [];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreDefaultArgs: ignoredDefaultArgs,
    args: [
      "--no-sandbox",
      "--host-resolver-rules=MAP * 127.0.0.1, EXCLUDE localhost",
      `--log-net-log=${netLog}`,
      "--net-log-capture-mode=Everything",
      `--unsafely-treat-insecure-origin-as-secure=${secure}`,
    ],
  });
  try {
    const go = async (r: (typeof runs)[number]): Promise<void> => visit(await context.newPage(), `${origins.get(r.context.mode)}${r.context.fp()}`, r.vector.settleMs ?? SETTLE_MS);
    await pool(runs.filter((r) => !r.vector.alone), CONCURRENCY, go);
    await pool(runs.filter((r) => r.vector.alone), 1, go);
  } finally {
    await context.close(); // Chromium finishes the net log as it exits
  }

  if (process.env.CORPUS_REPORT === "1") console.log(`    (browser done after ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const log = readNetLog(readFileSync(netLog, "utf8"), netLog);
  rmSync(profile, { recursive: true, force: true });
  rmSync(netLog, { force: true });
  const contactsByPort = new Map<number, Contact[]>();
  for (const c of netLogContacts(log)) {
    if (c.port === null || !recorder.reached.has(c.port)) continue;
    const list = contactsByPort.get(c.port) ?? [];
    list.push(c);
    contactsByPort.set(c.port, list);
  }

  const results: RunResult[] = [];
  for (const r of runs) {
    const mode = r.context.mode;
    const prefix = `${mode} ${r.context.fp()}`;
    const result: RunResult = {
      vector: r.vector.id,
      mode,
      context: r.context,
      contacts: contactsByPort.get(r.context.port) ?? [],
      reached: recorder.reached.get(r.context.port) ?? { connections: 0, requests: [], datagrams: 0 },
      firstParty: [...new Set(seen.filter((s) => s.startsWith(prefix)).map((s) => s.slice(mode.length + 1)))].sort(),
    };
    if (mode === "free") {
      const proxied = await fetch(`${origins.get(mode)?.replace(SITE_HOST[mode], "127.0.0.1")}${r.context.fp()}`);
      const direct = await fetch(`http://127.0.0.1:${plainApp.port}${r.context.fp()}`, { headers: { "X-Corpus-Mode": mode } });
      results.push({ ...result, pageBytes: Buffer.from(await proxied.arrayBuffer()), appBytes: Buffer.from(await direct.arrayBuffer()) });
    } else results.push(result);
  }
  await Promise.all(servers.map((s) => s.close()));
  await recorder.close();
  await Promise.all(middlewares.map((m) => m.close()));
  return { runs: results, seconds: (Date.now() - started) / 1000, netLogEvents: log.events.length, netLogComplete: log.complete, ignoredDefaultArgs };
}
