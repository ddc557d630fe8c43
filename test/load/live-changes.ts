// `npm run test:load [-- --seconds N]` (default 60; LOAD_SECONDS works too): N seconds of autocannon
// load on 127.0.0.1 while the rule file is rewritten every second, alternating a valid and an invalid
// version, and the GeoIP database file is swapped twice. Passes when no response is a 5xx or fails,
// every response agrees with the decision line its Geo-Compliance-Decision header names (the rule
// revision of the line is the one whose text the page shows, or the page is untouched when no rule
// applied), there is one line per response, and the server's memory settles instead of growing.
import autocannon from "autocannon";
import { fork } from "node:child_process";
import type { IncomingHttpHeaders } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileRuleSet } from "../../src/rules/compile.js";
import { readRuleSources } from "../../src/rules/load.js";
import { ask } from "../support/child.js";
import { cityRecord, writeMmdb } from "../support/mmdb-writer.js";
import { ARTICLE, countNotices } from "../support/pages.js";
import { cityEntries, IP } from "../support/region-fixtures.js";

const CONNECTIONS = 8;
const MAX_SECONDS = 600;

function durationSeconds(): number {
  const flag = process.argv.indexOf("--seconds");
  const raw = flag !== -1 ? process.argv[flag + 1] : process.env.LOAD_SECONDS;
  const seconds = raw === undefined ? 60 : Number(raw);
  if (!Number.isInteger(seconds) || seconds < 6 || seconds > MAX_SECONDS) {
    console.error(`--seconds must be a whole number from 6 to ${MAX_SECONDS}, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return seconds;
}

const SECONDS = durationSeconds();

// ---------------------------------------------------------------------------------------------
// What changes while the load runs

/** A rule file whose notice names its version, so a page shows which rule set it was served under. */
const validRules = (marker: string): string =>
  [
    "rules:",
    "  - id: ru",
    "    title: Warning",
    "    basis: { text: A law }",
    "    regions: { countries: [RU], subdivisions: [UA-43] }",
    "    actions:",
    "      notice:",
    "        defaultLanguage: en",
    "        languages:",
    `          en: { title: Warning, text: "version ${marker}" }`,
    "      trackers: { mode: list }",
    "",
  ].join("\n");
/** Rejected at reload: UK is not an ISO 3166-1 code. */
const invalidRules = (n: number): string => validRules(`broken-${n}`).replace("countries: [RU]", "countries: [UK]");

const revisionOf = (text: string): string => compileRuleSet(readRuleSources([{ file: "rules.yaml", bytes: Buffer.from(text) }]), new Date()).revision;

const original = (epoch: number): Buffer => writeMmdb(cityEntries(), { databaseType: "GeoIP2-City", buildEpoch: epoch });
/** Berlin's network placed in Crimea: Berlin readers get the notice while this file is in force. */
const moved = (): Buffer =>
  writeMmdb(
    cityEntries().map((e) => (e.network === "85.214.0.0/16" ? { network: e.network, record: cityRecord({ country: "UA", subdivisions: ["43"] }) } : e)),
    { databaseType: "GeoLite2-City", buildEpoch: 1_760_000_000 },
  );

function replaceAtomically(path: string, contents: string | Buffer): void {
  writeFileSync(`${path}.tmp`, contents);
  renameSync(`${path}.tmp`, path);
}

// ---------------------------------------------------------------------------------------------
// The server

const dir = mkdtempSync(join(tmpdir(), "gc-load-"));
const rulesDir = join(dir, "rules");
mkdirSync(rulesDir);
const rulesFile = join(rulesDir, "rules.yaml");
const dbFile = join(dir, "GeoIP2-City.mmdb");
const logFile = join(dir, "decisions.jsonl");

const markers = new Map<string, string>();
const first = validRules("v0");
markers.set(revisionOf(first), "v0");
writeFileSync(rulesFile, first);
writeFileSync(dbFile, original(1_750_000_000));

const child = fork(fileURLToPath(new URL("./live-server.js", import.meta.url)), [rulesDir, dbFile, logFile], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
const killer = setTimeout(() => {
  console.error("the load test overran its time; stopping");
  child.kill("SIGKILL");
  process.exit(1);
}, (SECONDS + 120) * 1000);
killer.unref();

const port = await ask<number>(child, "", "port");
const url = `http://127.0.0.1:${port}/article`;

// ---------------------------------------------------------------------------------------------
// The load, and every response checked against its line afterwards

interface Seen {
  readonly reader: string;
  readonly status: number;
  readonly notices: number;
  readonly marker: string | null;
  readonly untouched: boolean;
}

const seen = new Map<string, Seen>();
const statuses = new Map<number, number>();
let withoutId = 0;
let sameIdTwice = 0;

const READERS: Array<[string, string]> = [
  ["Moscow", IP.moscow],
  ["Berlin", IP.berlin],
  ["Crimea", IP.crimea],
  ["California", IP.california],
];

const requests = READERS.map(([reader, ip]) => ({
  method: "GET" as const,
  path: "/article",
  headers: { "x-forwarded-for": ip, accept: "text/html", "accept-language": "en" },
  onResponse(status: number, body: string, _context: object, headers: IncomingHttpHeaders | undefined) {
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const header = headers?.["geo-compliance-decision"] ?? headers?.["Geo-Compliance-Decision"];
    const id = Array.isArray(header) ? header[0] : header;
    if (!id) {
      withoutId++;
      return;
    }
    if (seen.has(id)) sameIdTwice++;
    seen.set(id, { reader, status, notices: countNotices(body), marker: /version (v\d+|broken-\d+)/.exec(body)?.[1] ?? null, untouched: body === ARTICLE });
  },
}));

const memory: Array<{ at: number; rss: number; heapUsed: number }> = [];
const started = Date.now();
let writes = 0;
let validWrites = 0;
let lastValid = "v0";
const swaps: number[] = [];

const changer = setInterval(() => {
  writes++;
  if (writes % 2 === 0) {
    const marker = `v${writes}`;
    const text = validRules(marker);
    markers.set(revisionOf(text), marker);
    replaceAtomically(rulesFile, text);
    validWrites++;
    lastValid = marker;
  } else {
    replaceAtomically(rulesFile, invalidRules(writes));
  }
  const elapsed = (Date.now() - started) / 1000;
  if (swaps.length === 0 && elapsed >= SECONDS / 3) {
    replaceAtomically(dbFile, moved());
    swaps.push(elapsed);
  } else if (swaps.length === 1 && elapsed >= (2 * SECONDS) / 3) {
    replaceAtomically(dbFile, original(1_770_000_000));
    swaps.push(elapsed);
  }
}, 1000);

const sampler = setInterval(() => {
  void ask<{ rss: number; heapUsed: number }>(child, "memory", "memory").then((m) => memory.push({ at: (Date.now() - started) / 1000, ...m }), () => {});
}, 1000);

console.log(`load with live changes: ${SECONDS} s, ${CONNECTIONS} connections, on ${url}`);
const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests });
clearInterval(changer);
clearInterval(sampler);
// Let the last reload settle (a loaded machine may be slow to), then close: close() waits for
// responses in flight and flushes the log.
const lastRevision = [...markers].find(([, m]) => m === lastValid)![0];
for (let waited = 0; waited < 10_000 && (await ask<string>(child, "revision", "revision")) !== lastRevision; waited += 100) await new Promise((r) => setTimeout(r, 100));
const finalMemory = await ask<{ rss: number; heapUsed: number }>(child, "memory", "memory");
const status = await ask<{ revision: string; log: { written: number; failed: number; pending: number; lastError: string | null } }>(child, "close", "closed");
clearTimeout(killer);

// ---------------------------------------------------------------------------------------------
// Checks

const problems: string[] = [];
const check = (ok: boolean, message: string): void => {
  if (!ok) problems.push(message);
};

const lines = readFileSync(logFile, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const decisions = lines.filter((l) => l.type === "decision");
const events = (name: string): Array<Record<string, unknown>> => lines.filter((l) => l.type === "lifecycle" && l.event === name);
const byId = new Map<string, Record<string, unknown>>();
let duplicateLines = 0;
for (const line of decisions) {
  const id = line.decision_id as string;
  if (byId.has(id)) duplicateLines++;
  byId.set(id, line);
}

const fiveXx = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
check(fiveXx === 0, `${fiveXx} responses were 5xx`);
check(result.errors === 0 && result.timeouts === 0, `${result.errors} connection errors, ${result.timeouts} timeouts`);
check([...statuses.keys()].every((s) => s === 200), `statuses other than 200: ${JSON.stringify(Object.fromEntries(statuses))}`);
check(withoutId === 0, `${withoutId} responses without a Geo-Compliance-Decision header`);
check(sameIdTwice === 0, `${sameIdTwice} decision ids seen on two responses`);
check(duplicateLines === 0, `${duplicateLines} decision ids with two lines`);

const revisionsServed = new Set<string>();
const mismatches: string[] = [];
let noLine = 0;
for (const [id, response] of seen) {
  const line = byId.get(id);
  if (!line) {
    noLine++;
    continue;
  }
  const revision = line.revision as string;
  revisionsServed.add(revision);
  const applied = (line.rules as string[]).includes("ru");
  const expected = markers.get(revision);
  const agrees = applied ? response.notices === 1 && expected !== undefined && response.marker === expected : response.notices === 0 && response.untouched;
  if (!agrees || line.status !== response.status) {
    mismatches.push(`${id} (${response.reader}): line says revision ${revision} (${expected ?? "unknown"}), rules ${JSON.stringify(line.rules)}, status ${String(line.status)}; the response had ${response.notices} notice(s), version ${response.marker}, status ${response.status}`);
  }
}
check(noLine === 0, `${noLine} responses have no decision line`);
check(mismatches.length === 0, `${mismatches.length} responses disagree with their decision line, e.g.\n    ${mismatches.slice(0, 5).join("\n    ")}`);
// The load stops with up to one request per connection in flight: those have lines, the client never saw them.
const unseen = decisions.filter((l) => !seen.has(l.decision_id as string));
check(unseen.length <= CONNECTIONS, `${unseen.length} decision lines for responses the client did not get (at most ${CONNECTIONS}, those cut off when the load stopped)`);
check(decisions.length === seen.size + unseen.length, "decision lines and responses do not add up");

const loaded = events("rules-loaded");
const rejected = events("rules-rejected");
check(loaded.length >= 1 && rejected.length >= 1, `rule changes: ${loaded.length} loaded and ${rejected.length} rejected; expected both`);
check(loaded.every((e) => markers.has(e.revision as string)), "a rules-loaded event names a revision that was never written");
check(rejected.every((e) => markers.has(e.revision as string)), "a rules-rejected event keeps a revision that was never written");
check(status.revision !== undefined && markers.get(status.revision) === lastValid, `the rule set in force at the end is ${markers.get(status.revision) ?? status.revision}, not the last valid one written (${lastValid})`);
check(revisionsServed.size >= 2, `responses were served under ${revisionsServed.size} revision(s); the changes did not land during the load`);
check(events("database-swapped").length === 2, `${events("database-swapped").length} database swaps logged; expected 2`);
check(events("database-rejected").length === 0, `${events("database-rejected").length} databases rejected`);
check(status.log.failed === 0 && status.log.pending === 0, `decision log: ${status.log.failed} lines failed, ${status.log.pending} pending (${status.log.lastError ?? "no error"})`);

// Memory: after the first quarter (warm-up: caches, JIT), the heap after a full collection stays
// within a margin of its level then, and RSS does not keep climbing.
const warm = memory.filter((m) => m.at >= SECONDS / 4 && m.at < SECONDS / 2);
const late = [...memory.filter((m) => m.at >= (3 * SECONDS) / 4), finalMemory];
const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;
const max = (xs: number[]): number => Math.max(...xs);
if (warm.length > 0) {
  const warmHeap = max(warm.map((m) => m.heapUsed));
  const warmRss = max(warm.map((m) => m.rss));
  check(finalMemory.heapUsed <= warmHeap * 1.25 + 8 * 1048576, `heap after gc grew from ${mb(warmHeap)} to ${mb(finalMemory.heapUsed)}`);
  check(max(late.map((m) => m.rss)) <= warmRss * 1.25 + 24 * 1048576, `RSS grew from ${mb(warmRss)} to ${mb(max(late.map((m) => m.rss)))}`);
} else {
  problems.push("no memory samples were taken during the load");
}

console.log(
  [
    `requests: ${seen.size} answered (${Math.round(seen.size / SECONDS)}/s), statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${unseen.length} cut off at the stop`,
    `decision lines: ${decisions.length}; rule revisions served: ${revisionsServed.size}; rule files written: ${writes} (${validWrites} valid), ${loaded.length} loaded, ${rejected.length} rejected`,
    `database swaps at ${swaps.map((s) => `${s.toFixed(1)} s`).join(" and ")}; ${events("database-swapped").length} logged`,
    `memory (after gc): ${memory.length} samples; heap ${mb(memory[0]?.heapUsed ?? 0)} at the start, ${mb(max(warm.map((m) => m.heapUsed).concat(0)))} warm, ${mb(finalMemory.heapUsed)} at the end; RSS ${mb(memory[0]?.rss ?? 0)}, ${mb(max(warm.map((m) => m.rss).concat(0)))}, ${mb(finalMemory.rss)}`,
  ].join("\n"),
);
rmSync(dir, { recursive: true, force: true });
if (problems.length > 0) {
  console.error(`FAILED:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("passed");
