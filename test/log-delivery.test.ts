import { expect } from "chai";
import express from "express";
import { fork } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { geoCompliance, DECISION_HEADER, shippedRules, type GeoComplianceOptions } from "../src/index.js";
import { get, pool, readLines } from "./support/log.js";
import { ARTICLE } from "./support/pages.js";
import { listen } from "./support/server.js";

const RU = "77.88.8.8";
const DE = "85.214.132.117";

/** `hold`: responses wait for it, so a test can act while they are all in flight. */
function site(options: Partial<GeoComplianceOptions>, hold?: Promise<void>) {
  const compliance = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], ...options });
  const app = express();
  const arrived = { count: 0 };
  app.use(compliance);
  app.get("/", (_req, res) => {
    arrived.count++;
    if (hold) void hold.then(() => setTimeout(() => res.type("html").send(ARTICLE), 20));
    else res.type("html").send(ARTICLE);
  });
  return { app, compliance, arrived };
}

const tmp = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

describe("decision log delivery", function () {
  this.timeout(60000);

  it("has written one line per response when close() resolves, under load", async () => {
    const file = join(tmp("gc-load-"), "decisions.jsonl");
    const { app, compliance } = site({ decisionLog: { destination: file } });
    const server = await listen(app);
    const N = 3000;
    const ids = await pool(Array.from({ length: N }, (_, i) => i), 50, async (i) => {
      const res = await get(`${server.url}/?n=${i}`, i % 3 === 0 ? RU : DE);
      await res.arrayBuffer();
      expect(res.status).to.equal(200);
      return res.headers.get(DECISION_HEADER)!;
    });
    await compliance.close(); // right after the last response: the file writes are still queued
    await server.close();
    const lines = readLines(file);
    const decisions = lines.filter((l) => l.type === "decision");
    expect(decisions.length).to.equal(N);
    expect(new Set(decisions.map((l) => l.decision_id))).to.deep.equal(new Set(ids));
    expect(lines.at(-1)).to.include({ type: "lifecycle", event: "stop" });
    // start, database-loaded, the decisions, stop: every line in the file was counted, none lost
    expect(compliance.status().log).to.include({ written: lines.length, failed: 0, pending: 0 });
    expect(lines.length).to.equal(N + 4);
  });

  it("waits in close() for responses still in flight, then writes stop last", async () => {
    const file = join(tmp("gc-inflight-"), "decisions.jsonl");
    let release = (): void => {};
    const hold = new Promise<void>((r) => (release = r));
    const { app, compliance, arrived } = site({ decisionLog: { destination: file } }, hold);
    const server = await listen(app);
    const requests = Array.from({ length: 40 }, () => get(`${server.url}/`, DE).then((r) => r.arrayBuffer()));
    while (arrived.count < 40) await new Promise((r) => setTimeout(r, 5));
    const closing = compliance.close(); // all 40 are inside the app, none answered
    release();
    await Promise.all(requests);
    await closing;
    await server.close();
    const lines = readLines(file);
    expect(lines.filter((l) => l.type === "decision")).to.have.length(40);
    expect(lines.at(-1)).to.include({ event: "stop" });
  });

  for (const variant of ["does not handle SIGTERM", "exits on SIGTERM without closing the middleware"]) {
    it(`flushes on SIGTERM when the app ${variant}`, async () => {
      const file = join(tmp("gc-sigterm-"), "decisions.jsonl");
      const child = fork(fileURLToPath(new URL("./support/log-app.js", import.meta.url)), {
        env: { ...process.env, LOG_FILE: file, ...(variant.startsWith("exits") ? { APP_ON_SIGTERM: "exit" } : {}) },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      try {
        const port = await new Promise<number>((resolve, reject) => {
          child.once("message", (m) => resolve((m as { port: number }).port));
          child.once("exit", (code) => reject(new Error(`the app exited with ${code}`)));
        });
        const N = 500;
        const ids = await pool(Array.from({ length: N }, (_, i) => i), 20, async (i) => {
          const res = await get(`http://127.0.0.1:${port}/`, i % 2 ? RU : DE);
          await res.arrayBuffer();
          return res.headers.get(DECISION_HEADER)!;
        });
        const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once("exit", (code, signal) => r([code, signal])));
        child.kill("SIGTERM");
        const [code, signal] = await exited;
        const lines = readLines(file);
        expect(new Set(lines.filter((l) => l.type === "decision").map((l) => l.decision_id))).to.deep.equal(new Set(ids));
        expect(lines.filter((l) => l.type === "decision")).to.have.length(N);
        if (variant.startsWith("exits")) {
          expect(code).to.equal(0);
        } else {
          // The process still ends by the signal, as it would have without the log; the stop event says why.
          expect(signal).to.equal("SIGTERM");
          expect(lines.at(-1)).to.include({ type: "lifecycle", event: "stop", signal: "SIGTERM" });
        }
      } finally {
        child.kill("SIGKILL");
      }
    });
  }

  describe("a failing destination never fails a request", () => {
    async function serve(options: Partial<GeoComplianceOptions>, n: number) {
      const compliance = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], ...options });
      const app = express();
      app.get("/metrics", compliance.metricsHandler); // before the middleware: a scrape is not a reader
      app.use(compliance);
      app.get("/", (_req, res) => {
        res.type("html").send(ARTICLE);
      });
      const server = await listen(app);
      try {
        for (let i = 0; i < n; i++) {
          const res = await get(`${server.url}/`, i % 2 ? RU : DE);
          expect(res.status).to.equal(200);
          expect(await res.text()).to.contain("Ferry timetable");
        }
        await compliance.close();
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        return { status: compliance.status().log, metrics };
      } finally {
        await server.close();
      }
    }

    it("an unwritable file: every line is counted as failed, with the reason", async () => {
      const blocker = join(tmp("gc-unwritable-"), "a-file");
      writeFileSync(blocker, "");
      const { status, metrics } = await serve({ decisionLog: { destination: join(blocker, "decisions.jsonl") } }, 10);
      // start, database-loaded, warning, 10 decisions, stop
      expect(status).to.include({ written: 0, failed: 14, pending: 0 });
      expect(status.lastError).to.match(/ENOTDIR|EEXIST/);
      expect(metrics).to.contain('geo_compliance_log_lines_total{result="failed"} 14');
    });

    it("a rotating file that cannot be opened", async () => {
      const blocker = join(tmp("gc-unwritable-"), "a-file");
      writeFileSync(blocker, "");
      const { status } = await serve({ decisionLog: { destination: join(blocker, "decisions.jsonl"), rotate: { size: "1m" } } }, 5);
      expect(status).to.include({ written: 0, failed: 9, pending: 0 });
      expect(status.lastError).to.be.a("string").and.not.be.empty;
    });

    it("a stream whose writes fail", async () => {
      let calls = 0;
      const failing = new Writable({
        write(_chunk, _enc, callback) {
          calls++;
          callback(calls > 3 ? new Error("disk full") : null);
        },
      });
      const { status } = await serve({ decisionLog: { destination: failing } }, 10);
      expect(status).to.include({ written: 3, failed: 14 - 3, pending: 0, lastError: "disk full" });
    });

    it("a destination whose write throws", async () => {
      let calls = 0;
      const throwing = {
        write(): boolean {
          if (++calls > 2) throw new Error("destination gone");
          return true;
        },
      };
      const { status } = await serve({ decisionLog: { destination: throwing } }, 10);
      expect(status).to.include({ written: 2, failed: 12, lastError: "destination gone" });
    });

    it("a destination that cannot keep up: lines past the buffer limit are dropped and counted, not held", async () => {
      // A stream that never finishes a write: everything stays buffered.
      const stuck = new Writable({ highWaterMark: 1024, write() {} });
      const { DecisionLog } = await import("../src/log/decision-log.js");
      const { BUFFER_LIMIT } = await import("../src/log/output.js");
      const log = new DecisionLog({ destination: stuck }, { instance: "t" });
      const big = "x".repeat(64 * 1024);
      for (let i = 0; i * big.length < BUFFER_LIMIT + 4 * big.length; i++) log.lifecycle("filler", { big });
      const status = log.status();
      expect(status.failed).to.be.at.least(1);
      expect(status.lastError).to.match(/not keeping up/);
      expect(stuck.writableLength).to.be.at.most(BUFFER_LIMIT + big.length + 1024);
    });
  });

  it("rotates the file by size, with no line split or lost across files", async () => {
    const dir = tmp("gc-rotate-");
    const { app, compliance } = site({ decisionLog: { destination: join(dir, "decisions.jsonl"), rotate: { size: "2k" } } });
    const server = await listen(app);
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await get(`${server.url}/`, i % 2 ? RU : DE);
      await res.arrayBuffer();
      ids.push(res.headers.get(DECISION_HEADER)!);
      // Let each write land so the size check can roll the file between lines.
      if (i % 5 === 4) await new Promise((r) => setTimeout(r, 10));
    }
    const writing = compliance.status().log.file;
    await compliance.close();
    await server.close();
    const files = readdirSync(dir).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
    expect(files.length).to.be.at.least(3);
    // status() names the file being written: the highest number, which the last lines went to.
    expect(writing).to.equal(join(dir, files.at(-1)!));
    expect(compliance.status().log.file).to.equal(join(dir, files.at(-1)!));
    for (const f of files) expect(f).to.match(/^decisions\.\d+\.jsonl$/);
    const lines = files.flatMap((f) => readLines(join(dir, f))); // readLines throws on a partial line
    expect(lines.filter((l) => l.type === "decision").map((l) => l.decision_id)).to.deep.equal(ids);
    expect(lines[0]).to.include({ event: "start" });
    expect(lines.at(-1)).to.include({ event: "stop" });
    expect(compliance.status().log).to.include({ destination: `rotating-file:${join(dir, "decisions.jsonl")}`, written: lines.length, failed: 0 });
  });
});
