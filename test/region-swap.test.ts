import { expect } from "chai";
import { spawn } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import { geoCompliance } from "../src/index.js";
import { DatabaseSource } from "../src/region/database-watch.js";
import { cityRecord, corruptMmdb, writeMmdb } from "./support/mmdb-writer.js";
import { ARTICLE, countNotices } from "./support/pages.js";
import { cityDb, cityDbFile, cityEntries, IP, tempDir } from "./support/region-fixtures.js";
import { listen, MemoryLog } from "./support/server.js";
import { RUSSIA_RULE_FILE } from "./support/rules.js";

/** The City fixture, except that Berlin's network is now placed in Crimea. */
function movedDb(): Buffer {
  const entries = cityEntries().map((e) => (e.network === "85.214.0.0/16" ? { network: e.network, record: cityRecord({ country: "UA", subdivisions: ["43"] }) } : e));
  return writeMmdb(entries, { databaseType: "GeoLite2-City", buildEpoch: 1_760_000_000 });
}

/** Replaces `file` the way geoipupdate does: write beside it, then rename over it. */
function replaceAtomically(file: string, contents: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const lifecycle = (log: MemoryLog, event: string) => log.lines.filter((l) => l.type === "lifecycle" && l.event === event);

describe("region: the database swapped on disk", () => {
  it("switches new requests to the new file with none failing, and keeps it when a corrupt file replaces it", async () => {
    const dir = tempDir();
    const file = cityDbFile(dir);
    const log = new MemoryLog();
    const compliance = geoCompliance({ rules: RUSSIA_RULE_FILE, geoip: { database: file }, trustProxy: "loopback", decisionLog: { destination: log } });
    const app = express();
    app.use(compliance);
    app.get("/article", (_req, res) => {
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      // Slow enough that some responses are half-sent when the file changes.
      const cut = ARTICLE.indexOf("<body");
      res.write(ARTICLE.slice(0, cut));
      setTimeout(() => res.end(ARTICLE.slice(cut)), 5);
    });
    const server = await listen(app);
    expect(lifecycle(log, "database-loaded")).to.have.length(1);
    expect(lifecycle(log, "database-loaded")[0]).to.include({ file, database_type: "GeoIP2-City" });

    const results: Array<{ status: number; notices: number; startedAfter: string[] } | { error: string }> = [];
    const seen = new Set<string>();
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const startedAfter = [...seen];
        try {
          const res = await fetch(`${server.url}/article`, { headers: { "X-Forwarded-For": IP.berlin } });
          const body = await res.text();
          results.push({ status: res.status, notices: countNotices(body), startedAfter });
          if (countNotices(body) === 0) expect(body).to.equal(ARTICLE);
        } catch (error) {
          results.push({ error: (error as Error).message });
        }
      }
    };
    const workers = Array.from({ length: 6 }, () => worker());
    try {
      await until("some requests", () => results.length >= 20);
      replaceAtomically(file, movedDb());
      await until("the swap", () => lifecycle(log, "database-swapped").length === 1);
      seen.add("swapped");
      const afterSwap = results.length;
      await until("requests after the swap", () => results.length >= afterSwap + 20);

      replaceAtomically(file, corruptMmdb("random"));
      await until("the rejection", () => lifecycle(log, "database-rejected").length === 1);
      seen.add("rejected");
      const afterReject = results.length;
      await until("requests after the rejection", () => results.length >= afterReject + 20);
    } finally {
      stop = true;
      await Promise.all(workers);
      await server.close();
      await compliance.close();
    }

    const failures = results.filter((r) => "error" in r || r.status !== 200);
    expect(failures, JSON.stringify(failures.slice(0, 3))).to.deep.equal([]);
    const ok = results as Array<{ status: number; notices: number; startedAfter: string[] }>;
    expect(ok.every((r) => r.notices === 0 || r.notices === 1), "each response under exactly one database").to.equal(true);
    expect(ok.filter((r) => r.startedAfter.length === 0 && r.notices === 0).length, "Berlin untouched before the swap").to.be.greaterThan(0);
    // A request that started after the swap was logged sees only the new database (Berlin placed in UA-43).
    const afterSwap = ok.filter((r) => r.startedAfter.includes("swapped"));
    expect(afterSwap.length).to.be.greaterThan(0);
    expect(afterSwap.every((r) => r.notices === 1), "new requests use the new database, before and after the rejection").to.equal(true);

    const [swapped] = lifecycle(log, "database-swapped");
    expect(swapped).to.include({ file, database_type: "GeoLite2-City", previous_database_type: "GeoIP2-City" });
    const [rejected] = lifecycle(log, "database-rejected");
    expect(rejected).to.include({ file, kept_database_type: "GeoLite2-City" });
    expect(rejected?.error).to.contain(file).and.match(/not a valid MaxMind database/);
    expect(compliance.status().database.type).to.equal("GeoLite2-City");
  });

  it("reads a file copied over in place once it has settled", async () => {
    const file = cityDbFile();
    const log = new MemoryLog();
    const source = new DatabaseSource(file, { watch: true, log: { lifecycle: (event, fields) => log.write(JSON.stringify({ type: "lifecycle", event, ...fields }) + "\n") }, settleMs: 50 });
    source.start();
    try {
      writeFileSync(file, movedDb());
      await until("the swap", () => lifecycle(log, "database-swapped").length === 1);
      expect(source.current.lookup(IP.berlin)).to.deep.equal({ country: "UA", subdivision: "UA-43" });
    } finally {
      source.close();
    }
  });

  it("check(): unchanged when the file is the same, rejected with the old reader kept, swapped when good again", async () => {
    const file = cityDbFile();
    const events: Array<[string, Record<string, unknown> | undefined]> = [];
    const source = new DatabaseSource(file, { watch: false, log: { lifecycle: (e, f) => void events.push([e, f]) } });
    const original = source.current;
    expect(await source.check()).to.equal("unchanged");
    for (const kind of ["empty", "truncated", "no-metadata"] as const) {
      replaceAtomically(file, corruptMmdb(kind, cityDb()));
      expect(await source.check(), kind).to.equal("rejected");
      expect(source.current, kind).to.equal(original);
      // Reported once, not again until the file changes.
      expect(await source.check(), kind).to.equal("unchanged");
    }
    replaceAtomically(file, writeMmdb([{ network: "1.0.0.0/8", record: { autonomous_system_number: 1 } }], { databaseType: "GeoLite2-ASN" }));
    expect(await source.check()).to.equal("rejected");
    expect(events.at(-1)?.[1]?.error).to.match(/unsupported database type "GeoLite2-ASN"/);
    replaceAtomically(file, movedDb());
    const [a, b] = await Promise.all([source.check(), source.check()]);
    expect([a, b]).to.deep.equal(["swapped", "swapped"]);
    expect(source.current.databaseType).to.equal("GeoLite2-City");
    expect(events.map(([e]) => e)).to.deep.equal(["database-rejected", "database-rejected", "database-rejected", "database-rejected", "database-swapped"]);
  });

  it("close() stops the watcher: a file replaced afterwards is not read", async () => {
    const file = cityDbFile();
    const log = new MemoryLog();
    const compliance = geoCompliance({ rules: RUSSIA_RULE_FILE, geoip: { database: file }, decisionLog: { destination: log } });
    await compliance.close();
    replaceAtomically(file, movedDb());
    await new Promise((r) => setTimeout(r, 600));
    expect(lifecycle(log, "database-swapped")).to.deep.equal([]);
    expect(compliance.status().database.type).to.equal("GeoIP2-City");
  });

  it("a process that built the middleware with a watched database exits once it is closed", async () => {
    const dir = tempDir();
    const file = cityDbFile(dir);
    const index = fileURLToPath(new URL("../src/index.js", import.meta.url));
    const script = `
      import { readFileSync, writeFileSync } from "node:fs";
      const { geoCompliance, shippedRules } = await import(${JSON.stringify(index)});
      const c = geoCompliance({ rules: shippedRules, geoip: { database: ${JSON.stringify(file)} }, decisionLog: { destination: ${JSON.stringify(join(dir, "decisions.jsonl"))} } });
      // A change in progress: the watcher has a read pending when close() comes.
      writeFileSync(${JSON.stringify(file)}, readFileSync(${JSON.stringify(file)}));
      await new Promise((r) => setTimeout(r, 50));
      await c.close();
      console.log("closed");
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`the process did not exit after close(): ${out}`));
      }, 10_000);
      child.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(out).to.contain("closed");
    expect(code).to.equal(0);
  });
});
