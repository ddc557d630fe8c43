import { expect } from "chai";
import { execSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDemoSite } from "../demo/app.js";
import { geoCompliance, DECISION_HEADER, shippedRules } from "../src/index.js";
import { packageRoot } from "../src/package-root.js";
import { locateDatabase } from "../src/region/database-package.js";
import { DBIP_PACKAGE, installDbipPackage } from "./support/dbip-package.js";
import { countNotices } from "./support/pages.js";
import { listen } from "./support/server.js";

describe("demo site", () => {
  it("serves readers the rules leave alone exactly what it serves without the middleware", async () => {
    const compliance = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], decisionLog: false });
    const [withMw, without] = await Promise.all([listen(createDemoSite(compliance)), listen(createDemoSite())]);
    try {
      for (const path of ["/", "/articles/harbour-bridge"]) {
        const plain = Buffer.from(await (await fetch(`${without.url}${path}`)).arrayBuffer());
        const us = Buffer.from(await (await fetch(`${withMw.url}${path}`, { headers: { "X-Forwarded-For": "8.8.8.8" } })).arrayBuffer());
        expect(us.equals(plain), path).to.equal(true);
        const ru = await (await fetch(`${withMw.url}${path}`, { headers: { "X-Forwarded-For": "77.88.8.8" } })).text();
        expect(countNotices(ru), path).to.equal(1);
        expect(ru).to.match(/<body>\s*<section class="geo-compliance-notice"/);
      }
    } finally {
      await Promise.all([withMw.close(), without.close(), compliance.close()]);
    }
  });

  it("runs as `npm start` does, answers the README's curl commands and flushes its log on SIGTERM", async function () {
    this.timeout(20000);
    const logFile = join(mkdtempSync(join(tmpdir(), "gc-demo-")), "decisions.jsonl");
    const child = spawn(process.execPath, [join(packageRoot(), "dist/demo/server.js")], {
      env: { ...process.env, PORT: "0", DECISION_LOG: logFile },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /http:\/\/localhost:(\d+)\//.exec(out);
          if (m) resolve(`http://127.0.0.1:${m[1]}`);
        });
        child.once("exit", (code) => reject(new Error(`demo exited with ${code}`)));
      });
      const ru = await fetch(`${url}/`, { headers: { "X-Forwarded-For": "77.88.8.8" } });
      expect(countNotices(await ru.text())).to.equal(1);
      const us = await fetch(`${url}/`, { headers: { "X-Forwarded-For": "8.8.8.8" } });
      expect(Buffer.from(await us.arrayBuffer()).equals(readFileSync(join(packageRoot(), "demo/pages/index.html")))).to.equal(true);
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      const lines = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      const ids = lines.filter((l) => l.type === "decision").map((l) => l.decision_id);
      expect(ids).to.deep.equal([ru.headers.get(DECISION_HEADER), us.headers.get(DECISION_HEADER)]);
      expect(lines.at(-1)).to.include({ type: "lifecycle", event: "stop" });
    } finally {
      child.kill("SIGKILL");
    }
  });
});

/** The `curl` lines of the README's quick start, each with the comment above it. */
function readmeCurls(): Array<{ comment: string; command: string }> {
  const readme = readFileSync(join(packageRoot(), "README.md"), "utf8");
  const block = /The demo believes[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!.split("\n");
  return block.flatMap((line, i) => (line.startsWith("curl ") ? [{ comment: block[i - 1] ?? "", command: line }] : []));
}

async function startDemo(cwd: string, logFile: string): Promise<{ url: string; port: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(packageRoot(), "dist/demo/server.js")], { cwd, env: { ...process.env, PORT: "0", DECISION_LOG: logFile }, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/localhost:(\d+)\//.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`demo exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, port, stop: () => new Promise<void>((r) => (child.once("exit", () => r()), child.kill("SIGTERM"))) };
}

describe("demo site: the README's curl commands as written", function () {
  this.timeout(30_000);
  const hasDbip = (() => {
    try {
      locateDatabase(DBIP_PACKAGE, packageRoot());
      return true;
    } catch {
      return false;
    }
  })();

  it("with the subdivision database installed: Russia and Crimea get the warning and DB-IP's credit, the US the page as served", async function () {
    // A small database in the layout and record shape of DB-IP's package, installed where the demo runs.
    const app = mkdtempSync(join(tmpdir(), "gc-demo-dbip-"));
    if (!hasDbip) installDbipPackage(app);
    const demo = await startDemo(app, join(app, "decisions.jsonl"));
    try {
      const curls = readmeCurls();
      expect(curls.map((c) => c.comment)).to.satisfy((c: string[]) => c.some((x) => /Crimea/.test(x)));
      const plain = readFileSync(join(packageRoot(), "demo/pages/index.html"), "utf8");
      for (const { comment, command } of curls) {
        const out = execSync(command.replace("http://localhost:3000", `http://localhost:${demo.port}`), { encoding: "utf8" });
        if (/Russia|Crimea/.test(comment)) {
          expect(countNotices(out), comment).to.equal(1);
          expect(out, comment).to.contain("Предупреждение для читателей в России");
        } else {
          expect(countNotices(out), comment).to.equal(0);
          expect(out, comment).to.equal(plain.replace("</body>", `<p class="attribution"><a href='https://db-ip.com'>IP Geolocation by DB-IP</a></p>\n</body>`));
        }
        expect(out, comment).to.contain("IP Geolocation by DB-IP");
      }
    } finally {
      await demo.stop();
    }
  });
});
