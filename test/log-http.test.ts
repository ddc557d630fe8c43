import { expect } from "chai";
import express from "express";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { geoCompliance, DECISION_HEADER, type GeoComplianceOptions } from "../src/index.js";
import { shippedRulesDir } from "../src/package-root.js";
import { get, readLines, schemaValidator, type Line } from "./support/log.js";
import { ARTICLE } from "./support/pages.js";
import { listen, type Running } from "./support/server.js";
import { RUSSIA_RULE_FILE } from "./support/rules.js";

const RU = "77.88.8.8";
const DE = "85.214.132.117";
const US6 = "2001:4860:4860::8888";

function site(options: Partial<GeoComplianceOptions>) {
  const compliance = geoCompliance({ rules: RUSSIA_RULE_FILE, trustProxy: ["loopback"], instance: "web-test-1", ...options });
  const app = express();
  app.use(compliance);
  app.get("/article", (_req, res) => {
    res.type("html").send(ARTICLE);
  });
  app.get("/query", (req, res) => {
    res.type("html").send(`<html><body>${String(req.query.q ?? "")}</body></html>`);
  });
  app.get("/nothing", (_req, res) => {
    res.status(204).end();
  });
  app.get("/slow", (_req, res) => {
    res.type("html").write("<html><body>");
    // Never ends: the reader gives up first.
  });
  return { app, compliance };
}

describe("decision log over HTTP", () => {
  let dir: string;
  let file: string;
  let server: Running;
  let compliance: ReturnType<typeof geoCompliance>;
  let lines: Line[];
  const responses: Record<string, { id: string; body: Buffer }> = {};
  let started: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "gc-log-http-"));
    file = join(dir, "decisions.jsonl");
    mkdirSync(join(dir, "rules"));
    cpSync(RUSSIA_RULE_FILE, join(dir, "rules", "ru-undesirable-organization.yaml"));
    const built = site({ rules: join(dir, "rules"), decisionLog: { destination: file } });
    compliance = built.compliance;
    server = await listen(built.app);
    started = Date.now();
    const take = async (name: string, res: Response): Promise<void> => {
      responses[name] = { id: res.headers.get(DECISION_HEADER) ?? "", body: Buffer.from(await res.arrayBuffer()) };
    };
    await take("de", await get(`${server.url}/query?q=secret-search-words`, DE));
    await take("ru", await get(`${server.url}/article?utm_campaign=ru-readers`, RU, { headers: { "Accept-Language": "uk" } }));
    await take("us6", await get(`${server.url}/article`, US6));
    await take("head", await get(`${server.url}/article`, DE, { method: "HEAD" }));
    await take("empty", await get(`${server.url}/nothing`, DE));
    // A reader who goes away before the page is complete.
    const abort = new AbortController();
    const slow = await get(`${server.url}/slow`, DE, { signal: abort.signal });
    responses.slow = { id: slow.headers.get(DECISION_HEADER) ?? "", body: Buffer.alloc(0) };
    abort.abort();
    await new Promise((r) => setTimeout(r, 50));
    // A rule set that no longer validates is rejected, with its errors, in the same stream.
    writeFileSync(join(dir, "rules", "broken.yaml"), "rules:\n  - id: broken\n    title: 5\n    regions: {}\n    actions: {}\n");
    expect(compliance.reload().ok).to.equal(false);
    await server.close();
    await compliance.close();
    lines = readLines(file);
  });

  const byId = (name: string): Line => {
    const line = lines.find((l) => l.decision_id === responses[name]!.id);
    expect(line, `the line for ${name}`).not.to.equal(undefined);
    return line!;
  };

  it("writes one line per response with every field, its id equal to the response header", () => {
    const line = byId("de");
    const time = Date.parse(line.time as string);
    expect(time).to.be.within(started - 1000, Date.now());
    expect(line).to.deep.equal({
      level: 30,
      time: line.time,
      instance: "web-test-1",
      type: "decision",
      decision_id: responses.de!.id,
      revision: compliance.status().revision,
      region: { country: "DE", subdivision: null, source: "geoip" },
      client: "85.214.132.0/24",
      method: "GET",
      path: "/query",
      rules: [],
      actions: [],
      status: 200,
      rewritten: false,
      bytes: responses.de!.body.length,
      duration_us: line.duration_us,
    });
    expect(line.duration_us).to.be.a("number").and.to.be.at.least(1).and.below(1_000_000);
    expect(Number.isInteger(line.duration_us)).to.equal(true);
  });

  it("records a rewritten page: the rules, the notice and its language, and the bytes that actually left", () => {
    const line = byId("ru");
    expect(line).to.include({ status: 200, rewritten: true, method: "GET" });
    expect(line.rules).to.deep.equal(["ru-undesirable-organization"]);
    expect(line.actions).to.deep.equal([
      { kind: "header", rule: "ru-undesirable-organization", name: "Referrer-Policy" },
      { kind: "trackers", rule: "ru-undesirable-organization", mode: "third-party" },
      { kind: "notice", rule: "ru-undesirable-organization", language: "uk" },
    ]);
    expect(line.region).to.deep.equal({ country: "RU", subdivision: null, source: "geoip" });
    expect(line.bytes).to.equal(responses.ru!.body.length);
    expect(line.bytes).to.be.above(Buffer.byteLength(ARTICLE));
  });

  it("keeps an IPv6 reader's /48, counts no body for HEAD and 204, and notes a response closed early", () => {
    expect(byId("us6")).to.include({ client: "2001:4860:4860::/48", bytes: Buffer.byteLength(ARTICLE), rewritten: false });
    expect(byId("head")).to.include({ method: "HEAD", bytes: 0, status: 200 });
    expect(byId("empty")).to.include({ bytes: 0, status: 204 });
    const slow = byId("slow");
    expect(slow).to.include({ error: "response closed before it finished", path: "/slow" });
    expect(slow.bytes).to.equal(Buffer.byteLength("<html><body>"));
  });

  it("keeps no raw address, no query string, and no path or client under log: minimal", () => {
    const text = readFileSync(file, "utf8");
    for (const secret of [RU, DE, US6, "secret-search-words", "utm_campaign", "ru-readers", "?"]) expect(text).not.to.contain(secret);
    const ru = byId("ru");
    expect(ru).not.to.have.property("path");
    expect(ru).not.to.have.property("client");
  });

  it("writes start, rules-rejected (with its errors) and stop in the same stream", () => {
    const events = lines.filter((l) => l.type === "lifecycle");
    expect(events.map((l) => l.event)).to.deep.equal(["start", "database-loaded", "warning", "rules-rejected", "stop"]);
    expect(events[0]).to.include({ revision: compliance.status().revision, instance: "web-test-1", level: 30 });
    const rejected = events[3]!;
    expect(rejected.level).to.equal(40);
    expect(rejected.problems).to.be.an("array").that.is.not.empty;
    expect((rejected.problems as string[])[0]).to.contain("broken.yaml");
    expect(lines.at(-1)).to.include({ event: "stop", revision: compliance.status().revision });
  });

  it("validates every line against the published JSON Schema, which refuses what must not be there", () => {
    const validate = schemaValidator();
    expect(lines.length).to.equal(6 + 5);
    for (const line of lines) expect(validate(line), `${JSON.stringify(line)}\n${JSON.stringify(validate.errors)}`).to.equal(true);
    const de = byId("de");
    expect(validate({ ...de, path: "/query?q=secret" }), "a query string").to.equal(false);
    expect(validate({ ...de, client_ip: DE }), "an undocumented field").to.equal(false);
    expect(validate({ ...de, decision_id: "42" }), "an id that is not a UUID").to.equal(false);
    const { bytes: _bytes, ...withoutBytes } = de;
    expect(validate(withoutBytes), "a missing field").to.equal(false);
  });
});

describe("decision log options over HTTP", () => {
  async function run(options: Partial<GeoComplianceOptions>, requests: Array<[string, string]>): Promise<{ lines: Line[]; status: ReturnType<ReturnType<typeof geoCompliance>["status"]> }> {
    const file = join(mkdtempSync(join(tmpdir(), "gc-log-opt-")), "decisions.jsonl");
    const { app, compliance } = site({ ...options, decisionLog: { destination: file, ...(options.decisionLog || {}) } });
    const server = await listen(app);
    try {
      for (const [path, ip] of requests) await (await get(`${server.url}${path}`, ip)).arrayBuffer();
    } finally {
      await server.close();
      await compliance.close();
    }
    return { lines: readLines(file).filter((l) => l.type === "decision"), status: compliance.status() };
  }

  it("writes the raw address only when the operator turns it on, and a keyed hash when asked", async () => {
    const raw = await run({ decisionLog: { client: "raw" } }, [["/query", DE]]);
    expect(raw.lines[0]!.client).to.equal(DE);
    const hashed = await run({ decisionLog: { client: "hash", hashKey: "0123456789abcdef-operator" } }, [["/query", DE], ["/article", DE]]);
    expect(hashed.lines[0]!.client).to.match(/^hmac-sha256:[0-9a-f]{32}$/).and.to.equal(hashed.lines[1]!.client);
    const none = await run({ decisionLog: { client: "none" } }, [["/query", DE]]);
    expect(none.lines[0]).not.to.have.property("client");
  });

  it("samples only decisions where no rule matched, writing the rate in each sampled line", async () => {
    const off = await run({ decisionLog: { sampleUnmatched: 0 } }, [...Array.from({ length: 20 }, (): [string, string] => ["/query", DE]), ["/article", RU], ["/article", RU]]);
    expect(off.lines.map((l) => l.rules)).to.deep.equal([["ru-undesirable-organization"], ["ru-undesirable-organization"]]);
    expect(off.status.log).to.include({ sampledOut: 20, failed: 0 });

    const half = await run({ decisionLog: { sampleUnmatched: 0.5 } }, Array.from({ length: 200 }, (): [string, string] => ["/query", DE]));
    // 200 draws at 0.5: 100 ± 7 expected; outside 55..145 is a one-in-millions event.
    expect(half.lines.length).to.be.within(55, 145);
    expect(half.lines.every((l) => l.sample_rate === 0.5)).to.equal(true);
    expect(half.status.log.sampledOut + half.lines.length).to.equal(200);
  });
});
