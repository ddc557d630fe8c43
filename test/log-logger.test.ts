import { expect } from "chai";
import express from "express";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { geoCompliance, DECISION_HEADER, OptionsError, shippedRules, type GeoComplianceOptions } from "../src/index.js";
import { get, pool, readLines } from "./support/log.js";
import { ARTICLE } from "./support/pages.js";
import { listen, MemoryLog } from "./support/server.js";

const RU = "77.88.8.8";
const DE = "85.214.132.117";
/** No shipped rule applies to a reader in the US outside California. */
const US = "8.8.8.8";

function site(options: Partial<GeoComplianceOptions>) {
  const compliance = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], watch: false, ...options });
  const app = express();
  app.use(compliance);
  app.get("/", (_req, res) => {
    res.type("html").send(ARTICLE);
  });
  return { app, compliance };
}

const tmpFile = (): string => join(mkdtempSync(join(tmpdir(), "gc-logger-")), "app.log");

/** Sends `n` requests, a third from Russia and the others from `other`, 50 at a time; the decision ids of the responses. */
async function load(url: string, n: number, other = DE): Promise<string[]> {
  return pool(Array.from({ length: n }, (_, i) => i), 50, async (i) => {
    const res = await get(`${url}/?n=${i}`, i % 3 === 0 ? RU : other);
    await res.arrayBuffer();
    expect(res.status).to.equal(200);
    return res.headers.get(DECISION_HEADER)!;
  });
}

describe("decision log through the app's pino logger (logger option)", function () {
  this.timeout(60000);

  it("writes one line per response through an asynchronous pino destination by the time close() resolves, with the child's bindings", async () => {
    const file = tmpFile();
    const appLogger = pino(pino.destination({ dest: file, sync: false }));
    const { app, compliance } = site({ logger: appLogger.child({ component: "compliance" }), instance: "web-1" });
    const server = await listen(app);
    const N = 1500;
    const ids = await load(server.url, N);
    await compliance.close(); // right after the last response: the lines are still in the destination's buffer
    await server.close();
    const lines = readLines(file);
    const decisions = lines.filter((l) => l.type === "decision");
    expect(decisions.length).to.equal(N);
    expect(new Set(decisions.map((l) => l.decision_id))).to.deep.equal(new Set(ids));
    for (const line of lines) expect(line).to.include({ component: "compliance", instance: "web-1", pid: process.pid });
    // The logger's own format: pino's default time is milliseconds since the epoch.
    expect(decisions[0]).to.include({ level: 30 }).and.to.have.property("time").that.is.a("number");
    const ru = decisions.find((l) => (l.region as { country: string }).country === "RU")!;
    expect(ru.rules).to.include("ru-undesirable-organization");
    expect(lines.filter((l) => l.type === "lifecycle").map((l) => l.event)).to.include.members(["database-loaded", "start"]);
    expect(lines.at(-1)).to.include({ type: "lifecycle", event: "stop" });
    expect(compliance.status().log).to.include({ enabled: true, destination: "logger", written: lines.length, failed: 0, pending: 0 });
  });

  it("has every line through a pino transport (a worker thread) once close() resolves", async () => {
    const file = tmpFile();
    const transport = pino.transport({ target: "pino/file", options: { destination: file } });
    const { app, compliance } = site({ logger: pino(transport) });
    const server = await listen(app);
    const ids = await load(server.url, 300);
    await compliance.close();
    await server.close();
    const decisions = readLines(file).filter((l) => l.type === "decision");
    expect(decisions.map((l) => l.decision_id).sort()).to.deep.equal([...ids].sort());
    transport.end();
  });

  it("applies decisionLog's other settings to the logger's lines, and refuses requests after close() without a line", async () => {
    const memory = new MemoryLog();
    const { app, compliance } = site({ logger: pino(memory), decisionLog: { client: "none", sampleUnmatched: 0 } });
    const server = await listen(app);
    await load(server.url, 30, US);
    await compliance.close();
    const decisions = memory.decisions();
    // Unmatched (US) decisions are sampled out; RU ones always written, without the client.
    expect(decisions.length).to.equal(10);
    for (const d of decisions) expect(d).to.not.have.property("client");
    expect(compliance.status().log).to.include({ sampledOut: 20, failed: 0 });
    const written = compliance.status().log.written;
    const after = await get(`${server.url}/`, RU);
    expect(after.status).to.equal(503);
    await server.close();
    expect(compliance.status().log.written).to.equal(written);
    expect(memory.decisions().length).to.equal(10);
  });

  it("counts the lines a level raised after start-up leaves out as failed, saying why", async () => {
    const memory = new MemoryLog();
    const logger = pino(memory);
    const { app, compliance } = site({ logger });
    const server = await listen(app);
    await load(server.url, 3);
    await memory.waitFor(3);
    logger.level = "warn";
    await load(server.url, 4);
    await compliance.close();
    await server.close();
    expect(memory.decisions().length).to.equal(3);
    const log = compliance.status().log;
    // the four decisions and the stop event (at info)
    expect(log.failed).to.equal(5);
    expect(log.lastError).to.equal('the logger\'s level ("warn") leaves out lines at info');
  });

  it("refuses at construction what is not a pino logger, a level that leaves out info, and a destination besides", () => {
    const build = (options: Partial<GeoComplianceOptions>) => () => geoCompliance({ rules: shippedRules, watch: false, ...options } as GeoComplianceOptions);
    expect(build({ logger: console as never })).to.throw(OptionsError, /^geoCompliance options: logger must be a pino logger, such as pino\(\) or logger\.child\(\{ … \}\) \(pino 8 or later\): it has no child, flush, isLevelEnabled$/);
    expect(build({ logger: "pino" as never })).to.throw(OptionsError, /logger must be a pino logger.*got string$/);
    expect(build({ logger: pino({ level: "warn" }) })).to.throw(OptionsError, /logger: its level is "warn", which leaves out the decision lines \(written at info\); pass a child at info: logger\.child\(\{\}, \{ level: "info" \}\)/);
    expect(build({ logger: pino(new MemoryLog()), decisionLog: { destination: tmpFile() } })).to.throw(OptionsError, /logger and decisionLog\.destination both say where the lines go; give one/);
  });
});
