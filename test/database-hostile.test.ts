import { expect } from "chai";
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import express from "express";
import { DECISION_HEADER, geoCompliance, GeoIpError, type GeoComplianceOptions } from "../src/index.js";
import { shippedRulesDir } from "../src/package-root.js";
import { DatabaseSource } from "../src/region/database-watch.js";
import { GeoIpDatabase } from "../src/region/geoip.js";
import { cityRecord, corruptMmdb, writeMmdb, type MmdbEntry } from "./support/mmdb-writer.js";
import { ARTICLE, countNotices } from "./support/pages.js";
import { cityDb, cityDbFile, cityEntries, IP, tempDir } from "./support/region-fixtures.js";
import { file, rule, ruleDir } from "./support/rule-sets.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

const city = (entries: MmdbEntry[]): Buffer => writeMmdb(entries, { databaseType: "GeoIP2-City", buildEpoch: 1_750_000_000, deduplicate: false });

/** The City fixture, except that Berlin's network is now placed in Crimea. */
const movedDb = (): Buffer =>
  writeMmdb(
    cityEntries().map((e) => (e.network === "85.214.0.0/16" ? { network: e.network, record: cityRecord({ country: "UA", subdivisions: ["43"] }) } : e)),
    { databaseType: "GeoLite2-City", buildEpoch: 1_760_000_000 },
  );

/**
 * The City fixture with Berlin's record damaged: an unknown data type where a string should start.
 * Opening it succeeds (the addresses it probes are fine); looking up Berlin throws.
 */
function damagedDb(): Buffer {
  const marker = "damaged-record-marker";
  const buf = city(cityEntries().map((e) => (e.network === "85.214.0.0/16" ? { network: e.network, record: { ...cityRecord({ country: "DE", subdivisions: ["BE"] }), note: marker } } : e)));
  const at = buf.indexOf(Buffer.from(marker));
  buf[at - 1] = 0x00; // extended type…
  buf[at] = 0xf0; // …number 7 + 240, which does not exist
  return buf;
}

function replaceAtomically(path: string, contents: Buffer): void {
  writeFileSync(`${path}.tmp`, contents);
  renameSync(`${path}.tmp`, path);
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const lifecycle = (log: MemoryLog, event: string): Array<Record<string, unknown>> => log.lines.filter((l) => l.type === "lifecycle" && l.event === event);

interface Site {
  readonly server: Running;
  readonly log: MemoryLog;
  readonly compliance: ReturnType<typeof geoCompliance>;
  page(ip: string): Promise<{ status: number; body: string; id: string }>;
  close(): Promise<void>;
}

async function site(database: string, options: Partial<GeoComplianceOptions> = {}): Promise<Site> {
  const log = new MemoryLog();
  const compliance = geoCompliance({ rules: shippedRulesDir(), geoip: { database }, trustProxy: "loopback", decisionLog: { destination: log }, ...options });
  const app = express();
  app.use(compliance);
  app.get("/article", (_req, res) => {
    res.type("html").send(ARTICLE);
  });
  const server = await listen(app);
  return {
    server,
    log,
    compliance,
    async page(ip) {
      const res = await fetch(`${server.url}/article`, { headers: { "X-Forwarded-For": ip } });
      return { status: res.status, body: await res.text(), id: res.headers.get(DECISION_HEADER) ?? "" };
    },
    async close() {
      await server.close();
      await compliance.close();
    },
  };
}

describe("hostile GeoIP databases", () => {
  it("at start-up, a folder or a file that is not a database stops the middleware with a message naming it", () => {
    const dir = tempDir();
    const folder = join(dir, "GeoIP2-City.mmdb");
    mkdirSync(folder);
    expect(() => geoCompliance({ rules: shippedRulesDir(), geoip: { database: folder }, decisionLog: false })).to.throw(GeoIpError, `GeoIP database ${folder}: holds no .mmdb file`);
    const text = join(dir, "rules.yaml");
    writeFileSync(text, file(rule("x", "    regions: { countries: [RU] }\n    actions: { gpc: true }\n")));
    expect(() => geoCompliance({ rules: shippedRulesDir(), geoip: { database: text }, decisionLog: false })).to.throw(GeoIpError, /rules\.yaml: is not a valid MaxMind database/);
  });

  it("replaced while serving by each kind of bad file: each is refused once, saying what is wrong, the database in force keeps answering, and no request fails", async function () {
    this.timeout(30_000);
    const dir = tempDir();
    const path = join(dir, "GeoIP2-City.mmdb");
    replaceAtomically(path, cityDb());
    const s = await site(path);
    const results: Array<{ ip: string; status: number; body: string; phase: number } | { error: string }> = [];
    let phase = 0;
    let stop = false;
    const worker = async (ip: string): Promise<void> => {
      while (!stop) {
        const at = phase;
        try {
          results.push({ ip, phase: at, ...(await s.page(ip)) });
        } catch (error) {
          results.push({ error: (error as Error).message });
        }
      }
    };
    const workers = [IP.berlin, IP.moscow, IP.berlin, IP.crimea].map((ip) => worker(ip));
    const steps: Array<[string, () => void, RegExp]> = [
      ["emptied in place", () => writeFileSync(path, Buffer.alloc(0)), /not a valid MaxMind database/],
      ["truncated", () => replaceAtomically(path, corruptMmdb("truncated", cityDb())), /not a valid MaxMind database|damaged/],
      ["without its metadata", () => replaceAtomically(path, corruptMmdb("no-metadata", cityDb())), /not a valid MaxMind database/],
      ["random bytes", () => replaceAtomically(path, corruptMmdb("random")), /not a valid MaxMind database/],
      ["an ASN database", () => replaceAtomically(path, writeMmdb([{ network: "77.88.0.0/16", record: { autonomous_system_number: 13238 } }], { databaseType: "GeoLite2-ASN" })), /unsupported database type "GeoLite2-ASN"/],
      ["deleted", () => rmSync(path), /cannot be read \(ENOENT\)/],
      ["half written in place", () => writeFileSync(path, cityDb().subarray(0, 300)), /not a valid MaxMind database|damaged/],
    ];
    try {
      await until("requests before any change", () => results.length >= 20);
      for (const [name, change, message] of steps) {
        const before = lifecycle(s.log, "database-rejected").length;
        change();
        await until(`the rejection of the file ${name}`, () => lifecycle(s.log, "database-rejected").length > before);
        const event = lifecycle(s.log, "database-rejected").at(-1)!;
        expect(event.error, name).to.contain(path).and.match(message);
        expect(event, name).to.include({ file: path, kept_database_type: "GeoIP2-City" });
        expect(s.compliance.status().database.type, name).to.equal("GeoIP2-City");
        const served = results.length;
        await until(`requests after the file was ${name}`, () => results.length >= served + 8);
      }
      phase = 1;
      replaceAtomically(path, movedDb());
      await until("the good file swapped in", () => lifecycle(s.log, "database-swapped").length === 1);
      phase = 2;
      const served = results.length;
      await until("requests under the new file", () => results.length >= served + 20);
    } finally {
      stop = true;
      await Promise.all(workers);
      await s.close();
    }

    const failed = results.filter((r) => "error" in r || r.status !== 200);
    expect(failed, JSON.stringify(failed.slice(0, 3))).to.deep.equal([]);
    const ok = results as Array<{ ip: string; status: number; body: string; phase: number }>;
    // Each rejection was written once, not once per file event.
    expect(lifecycle(s.log, "database-rejected")).to.have.length(steps.length);
    for (const r of ok.filter((r) => r.phase === 0)) {
      expect(countNotices(r.body), r.ip).to.equal(r.ip === IP.berlin ? 0 : 1);
    }
    const after = ok.filter((r) => r.phase === 2);
    expect(after.length).to.be.greaterThan(0);
    for (const r of after) expect(countNotices(r.body), `${r.ip} under the new file`).to.equal(1);
    expect(s.log.decisions().filter((l) => l.status !== 200)).to.deep.equal([]);
  });

  it("beside a file that never stops changing (a log in the same folder), a replaced database is still swapped in", async function () {
    this.timeout(10_000);
    const dir = tempDir();
    const path = join(dir, "GeoIP2-City.mmdb");
    writeFileSync(path, cityDb());
    const events: string[] = [];
    const source = new DatabaseSource(path, { watch: true, settleMs: 100, log: { lifecycle: (event) => void events.push(event) } });
    source.start();
    const busy = join(dir, "decisions.jsonl");
    const writer = setInterval(() => appendFileSync(busy, "a line\n"), 10);
    try {
      await new Promise((r) => setTimeout(r, 150));
      replaceAtomically(path, movedDb());
      await until("the swap", () => events.includes("database-swapped"), 3000);
      expect(source.current.lookup(IP.berlin)).to.deep.equal({ country: "UA", subdivision: "UA-43" });
    } finally {
      clearInterval(writer);
      source.close();
    }
  });

  describe("a database that fails lookups past the checks made when it is opened", () => {
    const path = join(tempDir(), "GeoIP2-City.mmdb");
    writeFileSync(path, damagedDb());

    it("opens (the probes pass) but throws for the damaged record", () => {
      const db = GeoIpDatabase.fromBuffer(path, damagedDb());
      expect(db.lookup(IP.moscow)).to.deep.equal({ country: "RU", subdivision: "RU-MOW" });
      expect(() => db.lookup(IP.berlin)).to.throw(/Unknown type/);
    });

    it("serves the reader as one whose region is unknown, logs the reason on every line and the error once", async () => {
      const s = await site(path);
      try {
        const pages = [await s.page(IP.berlin), await s.page(IP.berlin), await s.page(IP.moscow)];
        expect(pages.map((p) => p.status)).to.deep.equal([200, 200, 200]);
        expect(pages[0]!.body, "the Russia rule says unknownRegion: skip").to.equal(ARTICLE);
        expect(countNotices(pages[2]!.body)).to.equal(1);
        const lines = await s.log.waitFor(3);
        const first = lines.find((l) => l.decision_id === pages[0]!.id);
        expect(first?.region).to.deep.equal({ country: null, subdivision: null, source: "none", reason: "GeoIP lookup failed" });
        expect(first?.status).to.equal(200);
        // Not cached: the second reader from Berlin asked the database again, and failed again.
        expect(lines.find((l) => l.decision_id === pages[1]!.id)?.region).to.include({ reason: "GeoIP lookup failed" });
        const failures = lifecycle(s.log, "database-lookup-failed");
        expect(failures).to.have.length(1);
        expect(failures[0]).to.include({ level: 40, file: path, database_type: "GeoIP2-City" });
        expect(failures[0]!.error).to.match(/Unknown type 247/);
      } finally {
        await s.close();
      }
    });

    it("a rule that says unknownRegion: apply applies to that reader: the rule decides whether a failed lookup is protected", async () => {
      const rules = ruleDir({
        "protect.yaml": file(
          rule("protect", "    regions: { countries: [RU] }\n    unknownRegion: apply\n    actions:\n      notice:\n        defaultLanguage: en\n        languages:\n          en: { title: Warning, text: Careful }\n      trackers: { mode: third-party }\n"),
        ),
      });
      const s = await site(path, { rules });
      try {
        const failed = await s.page(IP.berlin);
        expect(failed.status).to.equal(200);
        expect(countNotices(failed.body)).to.equal(1);
        expect((await s.log.waitFor(1)).find((l) => l.decision_id === failed.id)?.rules).to.deep.equal(["protect"]);
        // A reader whose lookup works and who is elsewhere is left alone.
        expect((await s.page(IP.california)).body).to.equal(ARTICLE);
      } finally {
        await s.close();
      }
    });
  });

  it("records whose codes are not ISO codes place nobody, and every decision line keeps to the log schema", async () => {
    const hostile: MmdbEntry[] = [
      { network: "77.88.0.0/18", record: { country: { iso_code: "<script>alert(1)</script>" }, subdivisions: [{ iso_code: "MOW" }] } },
      { network: "91.207.56.0/21", record: { country: { iso_code: "UA" }, subdivisions: [{ iso_code: "43\r\nX: y" }] } },
      { network: "85.214.0.0/16", record: { country: { iso_code: "D" }, subdivisions: "BE" } },
      { network: "8.8.8.0/24", record: { country: { iso_code: 840 }, subdivisions: [{ iso_code: ["CA"] }] } },
      { network: "176.36.0.0/14", record: { country: { iso_code: "ua" }, subdivisions: [{ iso_code: "x".repeat(200) }] } },
    ];
    const path = join(tempDir(), "GeoIP2-City.mmdb");
    writeFileSync(path, city(hostile));
    const s = await site(path);
    try {
      for (const ip of [IP.moscow, IP.crimea, IP.berlin, IP.california, IP.kyiv]) expect((await s.page(ip)).status, ip).to.equal(200);
      const lines = await s.log.waitFor(5);
      for (const region of lines.map((l) => l.region as Record<string, unknown>)) {
        if (region.country !== null) expect(region.country).to.match(/^[A-Z]{2}$/);
        if (region.subdivision !== null) expect(region.subdivision).to.match(/^[A-Z]{2}-[A-Z0-9]{1,3}$/);
      }
      const byIp = (ip: string) => lines.find((l) => String(l.client).startsWith(ip.split(".").slice(0, 3).join(".")))?.region as Record<string, unknown>;
      expect(byIp(IP.moscow)).to.include({ country: null, source: "none" });
      expect(byIp(IP.moscow)?.reason).to.match(/not an ISO 3166-1 code/);
      // The country stands when only the subdivision is malformed.
      expect(byIp(IP.crimea)).to.include({ country: "UA", subdivision: null, source: "geoip" });
      expect(byIp(IP.kyiv)).to.include({ country: "UA", subdivision: null, source: "geoip" });
      expect(byIp(IP.berlin)).to.include({ country: null });
      expect(byIp(IP.california)).to.include({ country: null });
    } finally {
      await s.close();
    }
  });
});
