// The pure decision with 10 and with 10,000 rules, measured side by side in one run.
import type { Region } from "../src/region/types.js";
import { compileRuleSet } from "../src/rules/compile.js";
import { decide, type RequestFacts } from "../src/rules/decide.js";
import { readRuleSources } from "../src/rules/load.js";
import { COUNTRIES, SUBDIVISIONS } from "../src/rules/regions.js";
import type { RuleSet } from "../src/rules/types.js";

const BATCH = 1000;
const BATCHES = Number(process.env.BENCH_DECISION_BATCHES ?? 300);
const NOW = new Date("2026-06-01T12:00:00Z");
const COUNTRY_CODES = [...COUNTRIES.keys()].sort();
const REGION_KEYS = [...COUNTRY_CODES, ...[...SUBDIVISIONS.keys()].sort()];
const LANGUAGES = ["en", "ru", "uk", "de"];

/** A small deterministic generator, so the readers are the same in every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * One rule of a realistic mix, by i modulo 10, so a set of 10 holds one of each kind and a set of
 * 10,000 a thousand: some on a section of the site, some dated (past, current or future), some
 * for GPC readers; notices, headers, cookies, trackers, consent.
 */
function ruleYaml(i: number, regions: string): string {
  const lines = [`  - id: rule-${i}`, `    title: Generated rule ${i}`, `    basis: { text: A law }`, `    regions: ${regions}`, `    priority: ${(i % 7) - 3}`];
  const notice = ["      notice:", "        defaultLanguage: en", "        languages:", ...["en", "ru"].map((l) => `          ${l}: { title: Notice ${i}, text: Text ${i} in ${l} }`)];
  const kind = i % 10;
  if (kind === 1 || kind === 7) lines.push(`    paths: { include: ["/section-${i % 20}/**"] }`);
  if (kind === 4) lines.push(`    paths: { exclude: ["/api/**"] }`);
  if (kind === 2) lines.push(`    effective: { until: "2020-01-01T00:00:00+03:00" }`);
  if (kind === 5) lines.push(`    effective: { from: "2026-01-01T00:00:00Z", until: "2027-01-01T00:00:00Z" }`);
  if (kind === 8) lines.push(`    effective: { from: "2030-01-01T00:00:00-05:00" }`);
  if (kind === 3) lines.push(`    when: { gpc: true }`);
  lines.push("    actions:");
  if (kind === 0 || kind === 2 || kind === 7) lines.push(...notice);
  if (kind === 1 || kind === 5 || kind === 9) lines.push(`      headers: { X-Rule-${i % 50}: v${i} }`);
  if (kind === 3 || kind === 8) lines.push(`      trackers: { mode: ${kind === 3 ? "list" : "third-party"} }`);
  if (kind === 4) lines.push(`      cookies: { drop: ["_c${i}*"] }`);
  if (kind === 6) lines.push("      consent: { security_storage: granted }");
  return lines.join("\n") + "\n";
}

function buildSet(count: number, regionsOf: (i: number) => string): { set: RuleSet; ms: number } {
  // 500 rules a file keeps each under the size limit for one rule file.
  const files: Array<{ file: string; bytes: Buffer }> = [];
  for (let start = 0; start < count; start += 500) {
    let text = "rules:\n";
    for (let i = start; i < Math.min(count, start + 500); i++) text += ruleYaml(i, regionsOf(i));
    files.push({ file: `bench-${count}-${start}.yaml`, bytes: Buffer.from(text) });
  }
  const started = performance.now();
  const set = compileRuleSet(readRuleSources(files), NOW);
  return { set, ms: performance.now() - started };
}

const list = (codes: readonly string[], key: "countries" | "subdivisions"): string => `{ ${key}: [${codes.join(", ")}] }`;

/**
 * 10 rules over all countries and subdivisions, two on each: about as many on each reader's region
 * as the 10,000 below (10,000 over 5,322 regions), so the two sets differ in size, not in the work
 * one reader's decision has to do.
 */
function spreadThin(count: number): (i: number) => string {
  const mine = (k: number, i: number): boolean => k % count === i || k % count === (i + 1) % count;
  return (i) => {
    const countries = COUNTRY_CODES.filter((_, k) => mine(k, i));
    const subs = [...SUBDIVISIONS.keys()].filter((_, k) => mine(k, i));
    return `{ countries: [${countries.join(", ")}], subdivisions: [${subs.join(", ")}] }`;
  };
}

/** Each rule on one country or subdivision, going round all of them. */
function spreadEach(i: number): string {
  const key = REGION_KEYS[i % REGION_KEYS.length]!;
  return key.length === 2 ? list([key], "countries") : list([key], "subdivisions");
}

function requests(): Array<{ region: Region; facts: RequestFacts }> {
  const rnd = random(42);
  const subs = [...SUBDIVISIONS.keys()];
  return Array.from({ length: 4096 }, () => {
    const sub = subs[Math.floor(rnd() * subs.length)]!;
    const region: Region = rnd() < 0.5 ? { country: sub.slice(0, 2), subdivision: sub, source: "geoip" } : { country: sub.slice(0, 2), subdivision: null, source: "geoip" };
    const path = rnd() < 0.5 ? `/section-${Math.floor(rnd() * 20)}/story-${Math.floor(rnd() * 1000)}` : rnd() < 0.5 ? "/" : "/api/feed";
    const language = LANGUAGES[Math.floor(rnd() * LANGUAGES.length)]!;
    return { region, facts: { method: "GET", path, acceptLanguage: `${language},en;q=0.5`, gpc: rnd() < 0.1 } };
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

let sink = 0;

/** Nanoseconds per decision for one batch. */
function batch(set: RuleSet, reqs: ReturnType<typeof requests>, offset: number): number {
  const started = process.hrtime.bigint();
  for (let k = 0; k < BATCH; k++) {
    const r = reqs[(offset + k) & 4095]!;
    sink += decide(r.region, r.facts, set, NOW).actions.length;
  }
  return Number(process.hrtime.bigint() - started) / BATCH;
}

/** Per reader, on average: the rules looked at, the rules that apply, the actions decided. */
function work(set: RuleSet, reqs: ReturnType<typeof requests>): { candidates: number; matched: number; actions: number } {
  let candidates = 0;
  let matched = 0;
  let actions = 0;
  for (const { region, facts } of reqs) {
    candidates += (region.subdivision ? (set.bySubdivision.get(region.subdivision) ?? set.byCountry.get(region.country!)) : (set.byCountryUnknownSubdivision.get(region.country!) ?? set.byCountry.get(region.country!)))?.length ?? 0;
    const d = decide(region, facts, set, NOW);
    matched += d.matched.length;
    actions += d.actions.length;
  }
  return { candidates: candidates / reqs.length, matched: matched / reqs.length, actions: actions / reqs.length };
}

export async function run(): Promise<void> {
  const reqs = requests();
  const sets = [
    { name: "10 rules", ...buildSet(10, spreadThin(10)) },
    { name: "10,000 rules", ...buildSet(10_000, spreadEach) },
    { name: "10,000 rules on countries only", ...buildSet(10_000, (i) => list([COUNTRY_CODES[i % COUNTRY_CODES.length]!], "countries")) },
  ];
  const times: number[][] = sets.map(() => []);
  // The two sets the targets compare run interleaved, so the machine's noise falls on both alike;
  // the third runs after them, so its larger working set does not evict theirs between batches.
  for (const group of [[0, 1], [2]]) {
    for (let b = 0; b < 50; b++) for (const i of group) batch(sets[i]!.set, reqs, b * BATCH); // warm up
    for (let b = 0; b < BATCHES; b++) for (const i of group) times[i]!.push(batch(sets[i]!.set, reqs, b * BATCH));
  }
  console.log(`decision time: median and p90 of ${BATCHES} batches of ${BATCH.toLocaleString("en")} decisions, the same 4,096 readers (random countries and subdivisions, paths, languages, GPC) for each set`);
  console.log("rule set                         load+compile   per reader: rules looked at / applying / actions   median µs   p90 µs");
  sets.forEach((s, i) => {
    const w = work(s.set, reqs);
    const perReader = `${w.candidates.toFixed(1)} / ${w.matched.toFixed(1)} / ${w.actions.toFixed(1)}`;
    console.log(`${s.name.padEnd(32)} ${`${s.ms.toFixed(0)} ms`.padStart(12)}   ${perReader.padStart(48)}   ${(median(times[i]!) / 1000).toFixed(3).padStart(9)}   ${(p90(times[i]!) / 1000).toFixed(3).padStart(6)}`);
  });
  const small = median(times[0]!);
  const large = median(times[1]!);
  console.log(`10,000 rules spread over all countries and their subdivisions: median ${(large / 1000).toFixed(3)} µs (target < 5 µs), ${(large / small).toFixed(2)}x the 10-rule figure (target < 2x)`);
  console.log(`10,000 rules on 249 countries alone put about 40 on each reader's country: ${(median(times[2]!) / small).toFixed(2)}x; the cost follows the rules that can match, not the rules in the set`);
  if (sink === -1) console.log(sink);
}
