import { expect } from "chai";
import fc from "fast-check";
import { geoCompliance, OptionsError, shippedRules } from "../src/index.js";
import { clientField, networkPrefix } from "../src/log/client.js";
import { DecisionLog } from "../src/log/decision-log.js";
import { actionField, decisionJsonFields, decisionLine, outcomeOf, type DecisionRecord } from "../src/log/record.js";
import type { Action } from "../src/rules/actions.js";
import type { Decision } from "../src/rules/decide.js";
import { RuleLoadError } from "../src/rules/errors.js";
import { schemaValidator } from "./support/log.js";
import { MemoryLog } from "./support/server.js";

const KEY = "an operator's secret key";

function decision(over: Partial<Decision> = {}): Decision {
  return {
    revision: "rev1",
    region: { country: "DE", subdivision: null, source: "geoip" },
    matched: [],
    actions: [],
    log: "full",
    rewritesBody: false,
    ...over,
  };
}

function record(over: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    decisionId: "0b9c4a52-3f6e-4d0e-9a57-7c1f4c1d2e3f",
    decision: decision(),
    method: "GET",
    path: "/news/story?utm_source=x&reader=42",
    client: "85.214.132.117",
    status: 200,
    rewritten: false,
    bytes: 1234,
    durationMicros: 87,
    ...over,
  };
}

describe("decision log: the client field", () => {
  it("keeps an IPv4 /24 and an IPv6 /48 by default", () => {
    expect(clientField("85.214.132.117", "prefix")).to.equal("85.214.132.0/24");
    expect(clientField("2001:4860:4860::8888", "prefix")).to.equal("2001:4860:4860::/48");
    expect(clientField("2a02:6b8:a::a", "prefix")).to.equal("2a02:6b8:a::/48");
    expect(networkPrefix("::ffff:77.88.8.8")).to.equal("77.88.8.0/24");
    expect(networkPrefix("not an address")).to.equal(undefined);
  });

  it("hashes with the operator's key: stable for one address, different across addresses and keys, never the address", () => {
    const a = clientField("85.214.132.117", "hash", KEY);
    expect(a).to.match(/^hmac-sha256:[0-9a-f]{32}$/);
    expect(clientField("85.214.132.117", "hash", KEY)).to.equal(a);
    expect(clientField("85.214.132.118", "hash", KEY)).not.to.equal(a);
    expect(clientField("85.214.132.117", "hash", "another operator's key!")).not.to.equal(a);
    expect(a).not.to.contain("85.214");
  });

  it("writes the raw address only in raw mode, and nothing in none mode or without an address", () => {
    expect(clientField("85.214.132.117", "raw")).to.equal("85.214.132.117");
    expect(clientField("85.214.132.117", "none")).to.equal(undefined);
    expect(clientField(null, "prefix")).to.equal(undefined);
  });
});

describe("decision log: a decision line", () => {
  it("writes every field, the path without its query string, and the client as a prefix", () => {
    const line = decisionLine(record({ error: "response closed before it finished", outcome: { trackers: 3, cookiesDropped: ["_ga"], headersSet: ["Sec-GPC"] } }), { client: "prefix" });
    expect(line).to.deep.equal({
      type: "decision",
      decision_id: "0b9c4a52-3f6e-4d0e-9a57-7c1f4c1d2e3f",
      revision: "rev1",
      region: { country: "DE", subdivision: null, source: "geoip" },
      client: "85.214.132.0/24",
      method: "GET",
      path: "/news/story",
      rules: [],
      actions: [],
      outcome: { trackers: 3, cookies_dropped: ["_ga"], headers_set: ["Sec-GPC"] },
      status: 200,
      rewritten: false,
      bytes: 1234,
      duration_us: 87,
      error: "response closed before it finished",
    });
  });

  it("leaves out path and client when a matched rule says log: minimal", () => {
    const line = decisionLine(record({ decision: decision({ matched: ["ru"], log: "minimal", region: { country: "RU", subdivision: null, source: "geoip" } }) }), { client: "raw" });
    expect(line).not.to.have.property("path");
    expect(line).not.to.have.property("client");
    expect(JSON.stringify(line)).not.to.contain("/news").and.not.to.contain("85.214");
  });

  it("writes the region's reason when there is one, and the sampling rate when a line was sampled", () => {
    const line = decisionLine(record({ decision: decision({ region: { country: null, subdivision: null, source: "none", reason: "loopback address" } }) }), { client: "prefix" }, 0.25);
    expect(line.region).to.deep.equal({ country: null, subdivision: null, source: "none", reason: "loopback address" });
    expect(line.sample_rate).to.equal(0.25);
  });

  it("describes each kind of action by what tells it apart, never by a whole text", () => {
    const actions: Action[] = [
      { kind: "notice", rule: "r", language: "uk", placement: { at: "body-start" }, dismissible: false },
      { kind: "trackers", rule: "r", mode: "third-party", allow: ["cdn.example"] },
      { kind: "header", rule: "r", name: "Sec-GPC", value: "1" },
      { kind: "cookies", rule: "r", drop: ["_ga*"] },
      { kind: "gpc", rule: "r" },
      { kind: "consent", rule: "r", defaults: { ad_storage: "denied", ad_user_data: "denied", ad_personalization: "denied", analytics_storage: "denied", functionality_storage: "granted", personalization_storage: "denied", security_storage: "granted" } },
      { kind: "block", rule: "r", status: 451, blockedBy: "https://example.org/legal", language: "en" },
      { kind: "redirect", rule: "r", status: 302, location: "/unavailable" },
    ];
    expect(actions.map(actionField)).to.deep.equal([
      { kind: "notice", rule: "r", language: "uk" },
      { kind: "trackers", rule: "r", mode: "third-party" },
      { kind: "header", rule: "r", name: "Sec-GPC" },
      { kind: "cookies", rule: "r", drop: ["_ga*"] },
      { kind: "gpc", rule: "r" },
      { kind: "consent", rule: "r" },
      { kind: "block", rule: "r", status: 451, language: "en" },
      { kind: "redirect", rule: "r", status: 302, location: "/unavailable" },
    ]);
    // Every kind the decision can produce is allowed by the published schema.
    const validate = schemaValidator();
    const full = { level: 30, time: "2026-06-01T12:00:00.000Z", instance: "web-1", ...decisionLine(record({ decision: decision({ matched: ["r"], actions }) }), { client: "prefix" }) };
    expect(validate(full), JSON.stringify(validate.errors)).to.equal(true);
  });

  it("sorts each decision under one outcome", () => {
    const notice = [{ kind: "notice" }];
    expect(outcomeOf({ rules: [], actions: [], rewritten: false })).to.equal("untouched");
    expect(outcomeOf({ rules: ["r"], actions: notice, rewritten: false })).to.equal("applied");
    expect(outcomeOf({ rules: ["r"], actions: notice, rewritten: true })).to.equal("rewritten");
    expect(outcomeOf({ rules: ["r"], actions: [{ kind: "block" }], rewritten: false })).to.equal("blocked");
    expect(outcomeOf({ rules: ["r"], actions: [{ kind: "redirect" }], rewritten: false })).to.equal("redirected");
    expect(outcomeOf({ rules: ["r"], actions: notice, rewritten: false, error: "rewrite failed: x" })).to.equal("error");
  });
});

describe("decision log: the sink", () => {
  it("never samples a decision where a rule matched, and writes the rate in each sampled line", async () => {
    const dest = new MemoryLog();
    // 0.1, 0.6, 0.1, 0.6, …: with a rate of 0.5 every other unmatched decision is kept.
    let i = 0;
    const log = new DecisionLog({ destination: dest, sampleUnmatched: 0.5 }, { instance: "t", random: () => (i++ % 2 === 0 ? 0.1 : 0.6) });
    for (let n = 0; n < 10; n++) log.write(record({ decisionId: `00000000-0000-4000-8000-00000000000${n % 10}` }));
    const ru = decision({ matched: ["ru"], log: "minimal", region: { country: "RU", subdivision: null, source: "geoip" } });
    for (let n = 0; n < 4; n++) log.write(record({ decision: ru }));
    await log.close();
    const decisions = dest.decisions();
    expect(decisions.filter((l) => (l.rules as string[]).length === 0)).to.have.length(5);
    expect(decisions.filter((l) => (l.rules as string[]).length === 0).every((l) => l.sample_rate === 0.5)).to.equal(true);
    expect(decisions.filter((l) => (l.rules as string[]).length === 1)).to.have.length(4);
    expect(decisions.filter((l) => (l.rules as string[]).length === 1).some((l) => "sample_rate" in l)).to.equal(false);
    expect(log.status()).to.include({ sampledOut: 5, written: 9 + 1, failed: 0, pending: 0 });
  });

  it("writes lifecycle events in the same stream, an Error as its message with the problems it lists", async () => {
    const dest = new MemoryLog();
    const log = new DecisionLog({ destination: dest }, { instance: "web-7", clock: () => new Date("2026-06-01T12:00:00Z") });
    log.lifecycle("rules-rejected", { revision: "rev1", error: new RuleLoadError([{ file: "rules/ru.yaml", line: 3, col: 5, message: "unknown key" }]) });
    log.lifecycle("database-swapped", { file: "/db/City.mmdb", built_at: new Date("2026-05-30T00:00:00Z") });
    await log.close({ revision: "rev1" });
    expect(dest.lines).to.deep.equal([
      { level: 40, time: "2026-06-01T12:00:00.000Z", instance: "web-7", type: "lifecycle", event: "rules-rejected", revision: "rev1", error: "invalid rules:\nrules/ru.yaml:3:5: unknown key", errors: [{ file: "rules/ru.yaml", line: 3, col: 5, message: "unknown key" }] },
      { level: 30, time: "2026-06-01T12:00:00.000Z", instance: "web-7", type: "lifecycle", event: "database-swapped", file: "/db/City.mmdb", built_at: "2026-05-30T00:00:00.000Z" },
      { level: 30, time: "2026-06-01T12:00:00.000Z", instance: "web-7", type: "lifecycle", event: "stop", revision: "rev1" },
    ]);
    const validate = schemaValidator();
    for (const line of dest.lines) expect(validate(line), JSON.stringify(validate.errors)).to.equal(true);
  });
});

describe("decision log options", () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ destinaton: "x" }, /unknown option "decisionLog.destinaton"/],
    [{ client: "full" }, /decisionLog.client: "full" is not one of "prefix", "hash", "raw", "none"/],
    [{ client: "hash" }, /needs decisionLog.hashKey: a secret of at least 16 bytes/],
    [{ client: "hash", hashKey: "short" }, /at least 16 bytes/],
    [{ hashKey: KEY }, /hashKey is only used with decisionLog.client: "hash"/],
    [{ sampleUnmatched: 1.5 }, /sampleUnmatched must be a number from 0 to 1, got 1.5/],
    [{ rotate: { size: "10m" } }, /rotate needs decisionLog.destination to be a file path/],
    [{ destination: "d.jsonl", rotate: {} }, /needs a size, a frequency, or both/],
    [{ destination: "d.jsonl", rotate: { size: "ten" } }, /rotate.size: "ten" is not a size/],
    [{ destination: "d.jsonl", rotate: { frequency: "weekly" } }, /rotate.frequency: "weekly" is not "daily", "hourly"/],
    [{ destination: "d.jsonl", rotate: { size: 10, keep: 0 } }, /rotate.keep must be a whole number/],
    [{ destination: 3 }, /destination must be a file path, 1 \(stdout\), 2 \(stderr\) or a writable stream/],
  ];
  for (const [value, message] of bad) {
    it(`rejects ${JSON.stringify(value)} at construction`, () => {
      expect(() => geoCompliance({ rules: shippedRules, decisionLog: value as never })).to.throw(OptionsError, message);
    });
  }
});

describe("decision line serializing", () => {
  it("writes exactly what JSON.stringify writes for the line's fields, shared pieces and all (property)", () => {
    const text = fc.string({ unit: "binary", maxLength: 12 });
    const region = fc.record({ country: fc.option(fc.constantFrom("RU", "UA", "DE"), { nil: null }), subdivision: fc.option(fc.constantFrom("UA-43", "DE-BY"), { nil: null }), source: fc.constantFrom("geoip", "header", "none") as fc.Arbitrary<"geoip" | "header" | "none">, reason: fc.option(text, { nil: undefined }) }).map((r) => {
      const { reason, ...rest } = r;
      return reason === undefined ? rest : { ...rest, reason };
    });
    const action = fc.constantFrom<Action>(
      Object.freeze({ kind: "notice", rule: "r\"1", language: "ru", placement: Object.freeze({ at: "body-start" as const }), dismissible: false }),
      Object.freeze({ kind: "trackers", rule: "r2", mode: "third-party", allow: [] }),
      Object.freeze({ kind: "header", rule: "r3", name: "Referrer-Policy", value: "no-referrer" }),
      { kind: "cookies", rule: "r4", drop: ["_ga*", "ü"] },
      Object.freeze({ kind: "redirect", rule: "r5", status: 307, location: "https://example.org/\u2028" }),
    );
    const shared = [{ country: "RU", subdivision: null, source: "geoip" as const }].map((r) => Object.freeze(r));
    fc.assert(
      fc.property(
        fc.record({
          region: fc.oneof(region, fc.constantFrom(...shared)),
          log: fc.constantFrom("full", "minimal") as fc.Arbitrary<"full" | "minimal">,
          matched: fc.array(text, { maxLength: 3 }),
          actions: fc.array(action, { maxLength: 4 }),
          path: text,
          method: fc.constantFrom("GET", "HEAD", "POST"),
          client: fc.option(fc.constantFrom("85.214.132.117", "2a02:2378:1::10", "garbage"), { nil: null }),
          status: fc.integer({ min: 100, max: 599 }),
          bytes: fc.option(fc.nat(), { nil: undefined }),
          duration: fc.oneof(fc.nat(), fc.double()),
          error: fc.option(text, { nil: undefined }),
          outcome: fc.option(fc.record({ trackers: fc.option(fc.nat(), { nil: undefined }), notes: fc.option(fc.array(text, { maxLength: 2 }), { nil: undefined }), cache: fc.constantFrom(undefined, "hit", "miss") }), { nil: undefined }),
          rate: fc.option(fc.double({ min: 0, max: 1 }), { nil: undefined }),
          mode: fc.constantFrom("prefix", "raw", "hash", "none") as fc.Arbitrary<"prefix" | "raw" | "hash" | "none">,
        }),
        (c) => {
          const r = record({ decision: decision({ region: c.region, log: c.log, matched: c.matched, actions: c.actions }), path: c.path, method: c.method, client: c.client, status: c.status, bytes: c.bytes, durationMicros: c.duration, error: c.error, outcome: c.outcome });
          const settings = { client: c.mode, hashKey: KEY };
          // Twice: the second time from the pieces made the first time.
          for (let i = 0; i < 2; i++) expect(`{${decisionJsonFields(r, settings, c.rate)}`).to.equal(JSON.stringify(decisionLine(r, settings, c.rate)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
