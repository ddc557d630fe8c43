import { expect } from "chai";
import express from "express";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { geoCompliance, DECISION_HEADER, type GeoComplianceOptions, shippedRules } from "../src/index.js";
import { countNotices } from "./support/pages.js";
import { file, rule, ruleDir, ruleSetFrom } from "./support/rule-sets.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

const RU = "77.88.8.8";

/** A rule file whose notice carries a marker, so a page shows which rule set it was served under. */
const variant = (marker: string): string =>
  file(rule("ru", `    regions: { countries: [RU] }\n    actions:\n      notice:\n        defaultLanguage: en\n        languages:\n          en: { title: Warning, text: "text ${marker}" }\n`));
const BROKEN = variant("broken").replace("countries: [RU]", "countries: [UK]");
const revisionOf = (marker: string): string => ruleSetFrom({ "r.yaml": variant(marker) }).revision;

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Site {
  readonly server: Running;
  readonly log: MemoryLog;
  readonly dir: string;
  readonly compliance: ReturnType<typeof geoCompliance>;
  page(path?: string): Promise<{ id: string; body: string; status: number }>;
  close(): Promise<void>;
}

async function site(options: Partial<GeoComplianceOptions> = {}): Promise<Site> {
  const dir = ruleDir({ "ru.yaml": variant("a") });
  const log = new MemoryLog();
  const compliance = geoCompliance({ rules: dir, trustProxy: "loopback", decisionLog: { destination: log }, ...options });
  const app = express();
  app.use(compliance);
  app.get("/slow", (_req, res) => {
    // Waits, then streams the page in two parts, so reloads land between the decision and the body.
    const pause = (): number => 2 + Math.floor(Math.random() * 15);
    setTimeout(() => {
      res.type("html");
      res.write("<!doctype html><html><head><title>t</title></head>");
      setTimeout(() => res.end("<body><p>story</p></body></html>"), pause());
    }, pause());
  });
  const server = await listen(app);
  return {
    server,
    log,
    dir,
    compliance,
    async page(path = "/slow") {
      const res = await fetch(`${server.url}${path}`, { headers: { "X-Forwarded-For": RU } });
      return { id: res.headers.get(DECISION_HEADER) ?? "", body: await res.text(), status: res.status };
    },
    async close() {
      await server.close();
      await compliance.close();
    },
  };
}

const lifecycle = (log: MemoryLog, event: string): Array<Record<string, unknown>> => log.lines.filter((l) => l.type === "lifecycle" && l.event === event);

describe("hot reload of the rules", () => {
  it("picks up a valid change through the watcher, and logs it", async () => {
    const s = await site();
    try {
      expect((await s.page()).body).to.contain("text a");
      const before = s.compliance.status();
      writeFileSync(join(s.dir, "ru.yaml"), variant("b"));
      await until("the new revision", () => s.compliance.status().revision === revisionOf("b"));
      expect((await s.page()).body).to.contain("text b").and.not.contain("text a");
      const after = s.compliance.status();
      expect(after.rulesLoadedAt.getTime()).to.be.greaterThan(before.rulesLoadedAt.getTime() - 1);
      expect(after.lastError).to.equal(null);
      await until("the log line", () => lifecycle(s.log, "rules-loaded").length > 0);
      expect(lifecycle(s.log, "rules-loaded")[0]).to.include({ trigger: "watch", revision: revisionOf("b"), previous_revision: revisionOf("a") });
    } finally {
      await s.close();
    }
  });

  it("rejects an invalid change with its errors logged, keeps the last good set, and recovers", async () => {
    const s = await site();
    try {
      const good = s.compliance.status().revision;
      writeFileSync(join(s.dir, "ru.yaml"), BROKEN);
      await until("the rejection", () => lifecycle(s.log, "rules-rejected").length > 0);
      const rejected = lifecycle(s.log, "rules-rejected")[0]!;
      expect(rejected).to.include({ trigger: "watch", revision: good });
      expect(rejected.problems).to.deep.equal([`${join(s.dir, "ru.yaml")}:5:28: UK is not the ISO 3166-1 code for United Kingdom: the ISO code is GB; write GB`]);
      const status = s.compliance.status();
      expect(status.revision).to.equal(good);
      expect(status.lastError).to.contain("ru.yaml:5:28: UK is not the ISO 3166-1 code");
      expect(status.lastErrorAt).to.be.instanceOf(Date);
      expect((await s.page()).body).to.contain("text a");
      writeFileSync(join(s.dir, "ru.yaml"), variant("c"));
      await until("recovery", () => s.compliance.status().revision === revisionOf("c"));
      expect(s.compliance.status().lastError).to.equal(null);
    } finally {
      await s.close();
    }
  });

  it("with watch: false, changes wait for reload(), which does the same on demand", async () => {
    const s = await site({ watch: false });
    try {
      writeFileSync(join(s.dir, "ru.yaml"), variant("b"));
      await new Promise((r) => setTimeout(r, 400));
      expect(s.compliance.status().revision).to.equal(revisionOf("a"));
      expect(s.compliance.reload()).to.deep.include({ ok: true, changed: true, revision: revisionOf("b"), previous: revisionOf("a") });
      expect(s.compliance.reload()).to.deep.include({ ok: true, changed: false, revision: revisionOf("b") });
      writeFileSync(join(s.dir, "ru.yaml"), BROKEN);
      const result = s.compliance.reload();
      expect(result).to.include({ ok: false, changed: false, revision: revisionOf("b") });
      expect(s.compliance.status().lastError).to.contain("UK is not the ISO 3166-1 code");
      expect(lifecycle(s.log, "rules-loaded").map((l) => l.trigger)).to.deep.equal(["reload"]);
      expect(lifecycle(s.log, "rules-rejected").map((l) => l.trigger)).to.deep.equal(["reload"]);
    } finally {
      await s.close();
    }
  });

  it("stops watching when the middleware is closed", async () => {
    const s = await site();
    await s.close();
    writeFileSync(join(s.dir, "ru.yaml"), variant("b"));
    await new Promise((r) => setTimeout(r, 400));
    expect(s.compliance.status().revision).to.equal(revisionOf("a"));
  });

  it("refuses a watch option that is not true or false", () => {
    expect(() => geoCompliance({ rules: shippedRules, watch: "yes" as unknown as boolean, decisionLog: false })).to.throw(/watch must be true or false/);
  });

  it("under concurrent requests, good and bad changes never give a response that mixes two revisions", async function () {
    this.timeout(30000);
    const s = await site();
    const markers = new Map<string, string>([[revisionOf("a"), "a"]]);
    let writing = true;
    const writer = (async () => {
      for (let k = 0; writing && k < 400; k++) {
        const marker = `m${k}`;
        if (k % 3 === 2) {
          writeFileSync(join(s.dir, "ru.yaml"), BROKEN); // rejected: the last good set stays
        } else {
          markers.set(revisionOf(marker), marker);
          writeFileSync(join(s.dir, "ru.yaml"), variant(marker));
        }
        if (k % 2 === 0) s.compliance.reload(); // half on demand, the rest through the watcher
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    try {
      const responses: Array<{ id: string; body: string; status: number }> = [];
      const TOTAL = 400;
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < TOTAL) {
            next++;
            responses.push(await s.page());
          }
        }),
      );
      writing = false;
      await writer;
      const lines = await s.log.waitFor(TOTAL, 5000);
      const byId = new Map(lines.map((l) => [l.decision_id as string, l]));
      const revisions = new Set<string>();
      for (const r of responses) {
        expect(r.status).to.equal(200);
        expect(countNotices(r.body)).to.equal(1);
        const line = byId.get(r.id);
        expect(line, `log line for ${r.id}`).to.not.equal(undefined);
        const revision = line!.revision as string;
        revisions.add(revision);
        const shown = /text (\w+)/.exec(r.body)?.[1];
        expect(shown, `the page served under ${revision}`).to.equal(markers.get(revision));
      }
      expect(revisions.size, "reloads landed during the requests").to.be.at.least(3);
      expect(lifecycle(s.log, "rules-rejected").length).to.be.at.least(1);
    } finally {
      writing = false;
      await writer;
      await s.close();
    }
  });
});
