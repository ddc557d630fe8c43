import { expect } from "chai";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { geoCompliance } from "../src/index.js";
import { packageRoot, shippedRulesDir } from "../src/package-root.js";
import { countryDb, cityDb, tempDir } from "./support/region-fixtures.js";
import { schemaValidator } from "./support/log.js";
import { MemoryLog } from "./support/server.js";

const DOC = readFileSync(join(packageRoot(), "docs", "decision-log.md"), "utf8");
/** Fields that only some lines of an event carry. */
const OPTIONAL: Record<string, readonly string[]> = { stop: ["signal"] };
const COMMON = new Set(["level", "time", "instance", "type", "event"]);

/** The lifecycle table of docs/decision-log.md: event → level and field names (values in parentheses left out). */
function documentedEvents(): Map<string, { level: number; fields: Set<string> }> {
  const section = DOC.slice(DOC.indexOf("## Lifecycle events"), DOC.indexOf("## Delivery"));
  const out = new Map<string, { level: number; fields: Set<string> }>();
  for (const m of section.matchAll(/^\| `([a-z-]+)` \| (\d+) \| [^|]* \| ([^\n]*) \|$/gm)) {
    const fields = m[3]!.replace(/\([^)]*\)/g, "");
    out.set(m[1]!, { level: Number(m[2]), fields: new Set([...fields.matchAll(/`([a-z_]+)(?::[^`]*)?`/g)].map((f) => f[1]!)) });
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("docs/decision-log.md: the lifecycle events as they are written", () => {
  const documented = documentedEvents();

  it("documents every event the code writes", () => {
    const written = new Set(sourceFiles(join(packageRoot(), "src")).flatMap((f) => [...readFileSync(f, "utf8").matchAll(/lifecycle\("([a-z-]+)"/g)].map((m) => m[1]!)));
    expect(written.size).to.be.greaterThan(8);
    for (const event of written) expect(documented.has(event), `${event} is documented`).to.equal(true);
    for (const event of documented.keys()) expect(written.has(event), `${event} is written by the code`).to.equal(true);
  });

  it("gives each event the level and exactly the fields of the real lines", async () => {
    const dir = tempDir();
    const db = join(dir, "geo.mmdb");
    writeFileSync(db, cityDb());
    const rules = join(dir, "rules");
    mkdirSync(rules);
    const ruleFile = join(rules, "ru.yaml");
    const shipped = readFileSync(join(shippedRulesDir(), "ru-undesirable-organization.yaml"), "utf8");
    writeFileSync(ruleFile, shipped);
    const log = new MemoryLog();
    const compliance = geoCompliance({ rules, geoip: { database: db }, decisionLog: { destination: log }, watch: false });
    const seen = (event: string) => log.lines.some((l) => l.event === event);
    const until = async (event: string): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!seen(event) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    // A country database swapped in (swapped, then warning), a damaged one (rejected).
    writeFileSync(`${db}.tmp`, countryDb());
    renameSync(`${db}.tmp`, db);
    await until("warning");
    writeFileSync(`${db}.tmp`, "not a database");
    renameSync(`${db}.tmp`, db);
    await until("database-rejected");
    writeFileSync(ruleFile, shipped.replace("Referrer-Policy: no-referrer", "Referrer-Policy: same-origin"));
    compliance.reload();
    writeFileSync(ruleFile, "rules:\n  - id: x\n    titel: typo\n");
    compliance.reload();
    await compliance.close();

    const lines = log.lines.filter((l) => l.type === "lifecycle");
    const events = new Set(lines.map((l) => String(l.event)));
    expect([...events]).to.include.members(["start", "database-loaded", "database-swapped", "warning", "database-rejected", "rules-loaded", "rules-rejected", "stop"]);
    const validate = schemaValidator();
    for (const line of lines) {
      const event = String(line.event);
      const doc = documented.get(event)!;
      expect(validate(line), `${event} against the schema: ${JSON.stringify(validate.errors)}`).to.equal(true);
      expect(line.level, `${event} level`).to.equal(doc.level);
      const fields = Object.keys(line).filter((k) => !COMMON.has(k));
      const expected = [...doc.fields].filter((f) => !OPTIONAL[event]?.includes(f));
      expect(fields, `${event} fields`).to.have.members(expected);
    }
  });

  it("the example lines carry only fields the field table describes", () => {
    const block = /## A decision line[\s\S]*?```json\n([\s\S]*?)```/.exec(DOC)![1]!;
    const examples = block.split(/\n(?=\{)/).map((l) => JSON.parse(l.replace(/\n\s*/g, "")) as Record<string, unknown>);
    expect(examples.length).to.be.at.least(4);
    const table = DOC.slice(DOC.indexOf("| field | type |"), DOC.indexOf("## Lifecycle events"));
    const described = new Set([...table.matchAll(/^\| `([a-z_]+)`/gm)].map((m) => m[1]!));
    const validate = schemaValidator();
    for (const example of examples) {
      expect(validate(example), JSON.stringify(validate.errors)).to.equal(true);
      if (example.type === "decision") for (const key of Object.keys(example)) expect(described.has(key), `${key} is in the field table`).to.equal(true);
      else expect(Object.keys(example).filter((k) => !COMMON.has(k))).to.have.members([...documented.get(String(example.event))!.fields].filter((f) => f !== "signal"));
    }
  });
});

describe("docs/decision-log.md: rotation writes the files it names", () => {
  it("decisions.1.jsonl, as the rotate option's row says; status() names the option and the file being written", async () => {
    const dir = tempDir();
    const file = join(dir, "decisions.jsonl");
    const compliance = geoCompliance({ rules: shippedRulesDir(), decisionLog: { destination: file, rotate: { size: "1m" } }, watch: false });
    expect(compliance.status().log.destination).to.equal(`rotating-file:${file}`);
    await compliance.ready;
    for (let i = 0; i < 100 && compliance.status().log.file === null; i++) await new Promise((r) => setTimeout(r, 10));
    expect(compliance.status().log.file).to.equal(join(dir, "decisions.1.jsonl"));
    await compliance.close();
    const row = /^\| `rotate` \|.*$/m.exec(DOC)![0];
    expect(row).to.contain("`decisions.1.jsonl`");
    expect(row).to.contain("`rotating-file:decisions.jsonl`");
    expect(row).to.contain("`status().log.file`");
    expect(readdirSync(dir)).to.include("decisions.1.jsonl");
    expect(readdirSync(dir)).to.not.include("decisions.jsonl");
  });
});

describe("README.md: the regionHeaders forms it shows", () => {
  for (const form of ["cloudflare", { country: "CF-IPCountry" }, ["cloudflare"], [{ country: "CF-IPCountry", subdivision: "CF-Region-Code" }]] as const) {
    it(`accepts regionHeaders: ${JSON.stringify(form)}`, async () => {
      const compliance = geoCompliance({ rules: shippedRulesDir(), regionHeaders: form, decisionLog: false, watch: false });
      await compliance.close();
    });
  }

  it("shows outcome.trackers, the field lines carry, not a field that does not exist", () => {
    const readme = readFileSync(join(packageRoot(), "README.md"), "utf8");
    expect(readme).to.not.contain("trackers_neutralized");
    expect(DOC).to.match(/\| `outcome` \| object \|.*`trackers`/);
  });
});
