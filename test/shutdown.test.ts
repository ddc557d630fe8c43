import { expect } from "chai";
import express from "express";
import { fork, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DECISION_HEADER, geoCompliance, OptionsError, shippedRules } from "../src/index.js";
import { get, pool, readLines } from "./support/log.js";
import { ARTICLE } from "./support/pages.js";
import { listen } from "./support/server.js";

const RU = "77.88.8.8";
const DE = "85.214.132.117";
const tmp = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

describe("shutdown", function () {
  this.timeout(60000);

  it("the README's shutdown: SIGTERM closes the server, then the middleware; every response served has its line, and the process ends by itself", async () => {
    const file = join(tmp("gc-readme-stop-"), "decisions.jsonl");
    const child = fork(fileURLToPath(new URL("./support/log-app.js", import.meta.url)), {
      env: { ...process.env, LOG_FILE: file, APP_ON_SIGTERM: "readme" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.once("message", (m) => resolve((m as { port: number }).port));
        child.once("exit", (code) => reject(new Error(`the app exited with ${code}`)));
      });
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once("exit", (code, signal) => r([code, signal])));
      // Readers keep coming while the signal arrives: some are served, later ones find the server gone.
      const served: string[] = [];
      let refused = 0;
      const load = pool(Array.from({ length: 400 }, (_, i) => i), 10, async (i) => {
        if (i === 150) child.kill("SIGTERM");
        try {
          const res = await get(`http://127.0.0.1:${port}/`, i % 2 ? RU : DE);
          await res.arrayBuffer();
          if (res.status === 200) served.push(res.headers.get(DECISION_HEADER)!);
          else refused++;
        } catch {
          refused++;
        }
      });
      await load;
      const [code, signal] = await exited;
      expect([code, signal], "ends by itself once the server and the middleware are closed").to.deep.equal([0, null]);
      expect(served.length, "served before the server closed").to.be.greaterThan(100);
      expect(refused, "the rest found the server closed").to.be.greaterThan(0);
      const lines = readLines(file);
      const decisions = lines.filter((l) => l.type === "decision");
      expect(new Set(decisions.map((l) => l.decision_id))).to.deep.equal(new Set(served));
      expect(decisions).to.have.length(served.length);
      expect(lines.at(-1)).to.include({ type: "lifecycle", event: "stop" });
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("a request after close() is refused with 503, never served undecided or unlogged, and a process warning says to close the server first", async () => {
    const file = join(tmp("gc-after-close-"), "decisions.jsonl");
    const compliance = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], decisionLog: { destination: file }, watch: false });
    const app = express();
    let reached = 0;
    app.use(compliance);
    app.get("/", (_req, res) => {
      reached++;
      res.type("html").send(ARTICLE);
    });
    const server = await listen(app);
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      if ((w as { code?: string }).code === "GEO_COMPLIANCE_CLOSED") warnings.push(w);
    };
    process.on("warning", onWarning);
    try {
      const before = await get(`${server.url}/`, RU);
      expect(before.status).to.equal(200);
      const id = before.headers.get(DECISION_HEADER);
      await before.arrayBuffer();
      await compliance.close();
      for (const ip of [RU, DE]) {
        const after = await get(`${server.url}/`, ip);
        expect(after.status, ip).to.equal(503);
        expect(after.headers.get(DECISION_HEADER)).to.equal(null);
        expect(after.headers.get("cache-control")).to.equal("no-store");
        expect(await after.text()).to.match(/shutting down/);
      }
      expect(reached, "the app never ran for the refused requests").to.equal(1);
      await new Promise((r) => setImmediate(r));
      expect(warnings).to.have.length(1);
      expect(warnings[0]!.message).to.contain("server.close(() => compliance.close())");
      const decisions = readLines(file).filter((l) => l.type === "decision");
      expect(decisions.map((l) => l.decision_id)).to.deep.equal([id]);
    } finally {
      process.off("warning", onWarning);
      await server.close();
    }
  });

  it("adds no process listeners unless handleSignals: true", async () => {
    const counts = () => [process.listenerCount("SIGTERM"), process.listenerCount("exit")];
    const before = counts();
    const quiet = geoCompliance({ rules: shippedRules, decisionLog: { destination: join(tmp("gc-quiet-"), "d.jsonl") }, watch: false });
    expect(counts()).to.deep.equal(before);
    await quiet.close();
    const handling = geoCompliance({ rules: shippedRules, decisionLog: { destination: join(tmp("gc-signals-"), "d.jsonl") }, watch: false, handleSignals: true });
    expect(counts()).to.deep.equal([before[0]! + 1, before[1]! + 1]);
    await handling.close();
    expect(counts(), "removed again on close()").to.deep.equal(before);
    expect(() => geoCompliance({ rules: shippedRules, decisionLog: false, handleSignals: "yes" as never })).to.throw(OptionsError, /handleSignals must be true or false/);
  });

  it("importing the package installs no global Reflect polyfill", () => {
    const index = fileURLToPath(new URL("../src/index.js", import.meta.url));
    const script = `const before = typeof Reflect.getMetadata; await import(${JSON.stringify(index)}); console.log(before, typeof Reflect.getMetadata);`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout.trim()).to.equal("undefined undefined");
  });
});
