import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../src/package-root.js";
import { PREVIEW_SECRET, cityDbFile } from "./support/region-fixtures.js";

/**
 * The shell commands of README.md and rules/README.md, run as written in an app that installed the
 * package. In `npm test` the app links this clone as its `node_modules/geo-compliance`; `.ci/pack-check`
 * runs this file again with GEO_COMPLIANCE_CONSUMER_APP naming an app that installed the packed tarball.
 * A block that is not for an app (the clone's quick start, a 130 MB download) says so in an
 * `<!-- sh: … -->` comment above it; every other line runs.
 */
const ROOT = packageRoot();
const GIVEN_APP = process.env.GEO_COMPLIANCE_CONSUMER_APP;
const NPX = /^npx geo-compliance\b/;
const SITE = "https://example.org";

interface Block {
  readonly file: string;
  readonly lang: string;
  readonly lines: readonly string[];
  /** Why it is not run in an app, from the `<!-- sh: … -->` comment above it. */
  readonly notForApp: string | null;
  /** The block right after it, when it has no language: what the last command prints. */
  readonly shown: readonly string[] | null;
}

function blocksOf(file: string): Block[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const all = [...text.matchAll(/(?:<!-- sh: ([^>]*?) -->\n)?^```([\w ]*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    file,
    lang: m[2]!.trim(),
    lines: m[3]!.split("\n").filter((l) => l.trim() !== ""),
    notForApp: m[1] ?? null,
  }));
  return all.map((b, i) => ({ ...b, shown: all[i + 1]?.lang === "" ? all[i + 1]!.lines : null }));
}

/** `# exit 1` or `# exit 0 or 1` at the end of a line; 0 when there is none. */
function expectedExit(line: string): number[] {
  const m = /#.*\bexit ((?:\d+)(?: or \d+)*)/.exec(line);
  return m ? m[1]!.split(" or ").map(Number) : [0];
}

/** What each kind of command must print, beyond its exit code, to show it did its job. */
function tellingOutput(line: string): RegExp {
  const command = line.replace(/\s+#.*$/, "");
  // The app's own ./rules, never the package's.
  if (/ validate\b/.test(command)) return /reading rules from \S*\/rules \(\.\/rules, the default\)[\s\S]*^ok: \d+ rule\(s\)/m;
  if (/ test\b/.test(command)) return /reading rules from \S*\/rules [\s\S]*^PASS  rules\/ru-undesirable-organization\.yaml/m;
  if (/ explain --region UA-43 --lang ru\b/.test(command)) return /applies {2}ru-undesirable-organization[\s\S]*Предупреждение/;
  if (/ explain --region UA-43\b/.test(command)) return /^region: +UA \(UA-43\)[\s\S]*applies {2}ru-undesirable-organization/m;
  if (/ explain --region DE --json/.test(command)) return /"country": "DE"/;
  if (/ explain --region US-CA --gpc/.test(command)) return /applies {2}us-ca-gpc/;
  if (/ explain --ip 77\.88\.8\.8 --json/.test(command)) return /"country": "RU"[\s\S]*"source": "geoip"/;
  if (/ explain --ip 2a02:2378::1 --db/.test(command)) return /"subdivision": "UA-43"/;
  if (/ diff /.test(command)) return /^new rules\/: revision [0-9a-f]+, \d+ rule\(s\)[\s\S]*(region\(s\) change|No reader is affected)/m;
  if (/ logs summary/.test(command)) return /decisions?\b/i;
  if (/ logs find/.test(command)) return /no decision matched|220bdb0d/;
  if (/^curl .*Geo-Compliance-Preview/.test(command)) return /data-geo-compliance-notice="ru-undesirable-organization"/;
  if (/^cp -r node_modules\/geo-compliance\/rules rules/.test(command)) return /^\s*$/; // silent; the copy is checked after
  throw new Error(`${line}: no check of its output is written for this command; add one to tellingOutput()`);
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv): { code: number | null; out: string; err: string } {
  const r = spawnSync("sh", ["-c", command], { cwd, env, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** An app folder in which `npx geo-compliance` is this clone, as an app that installed it has it. */
function linkedApp(): string {
  const app = mkdtempSync(join(tmpdir(), "gc-app-"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module", dependencies: { "geo-compliance": "*", express: "*" } }));
  mkdirSync(join(app, "node_modules", ".bin"), { recursive: true });
  symlinkSync(ROOT, join(app, "node_modules", "geo-compliance"), "dir");
  symlinkSync(join(ROOT, "node_modules", "express"), join(app, "node_modules", "express"), "dir");
  // npm makes the installed bin executable; the compiled file here is not, so a wrapper runs it.
  writeFileSync(join(app, "node_modules", ".bin", "geo-compliance"), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, "dist", "src", "cli", "main.js")}" "$@"\n`, { mode: 0o755 });
  return app;
}

/** The site the docs curl: an app mounted as the README shows, its decisions in ./decisions.jsonl. */
const SERVER = `import express from "express";
import { geoCompliance } from "geo-compliance";
const compliance = geoCompliance({
  rules: "rules/",
  trustProxy: ["loopback"],
  decisionLog: { destination: "decisions.jsonl" },
  preview: { secret: process.env.GEO_COMPLIANCE_PREVIEW_SECRET },
});
const app = express();
app.use(compliance);
app.get("/", (req, res) => { res.type("html").send("<html><body><p>hello</p></body></html>"); });
const server = app.listen(0, "127.0.0.1", () => console.log("listening on " + server.address().port));
process.once("SIGTERM", () => server.close(() => void compliance.close().then(() => process.exit(0))));
`;

async function startSite(app: string, env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  writeFileSync(join(app, "site.mjs"), SERVER);
  const child = spawn(process.execPath, ["site.mjs"], { cwd: app, env, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the site exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

const stopSite = (child: ChildProcess): Promise<void> => new Promise((r) => (child.once("exit", () => r()), child.kill("SIGTERM")));

const hasGit = spawnSync("git", ["--version"]).status === 0;
const FILES = ["README.md", "rules/README.md"];

describe(`the shell commands of ${FILES.join(" and ")}, as written, in an app that installed the package${GIVEN_APP ? " (packed)" : " (linked)"}`, function () {
  // Some twenty commands, each a process of its own, three of them diffs of every region: minutes on a busy machine.
  this.timeout(600_000);
  const blocks = FILES.flatMap(blocksOf).filter((b) => b.lang === "sh");
  let app: string;
  // As the docs say: the preview secret in the environment.
  const env: NodeJS.ProcessEnv = { ...process.env, GEO_COMPLIANCE_PREVIEW_SECRET: PREVIEW_SECRET, GIT_AUTHOR_NAME: "editor", GIT_AUTHOR_EMAIL: "editor@example.org", GIT_COMMITTER_NAME: "editor", GIT_COMMITTER_EMAIL: "editor@example.org" };

  before(function () {
    if (!hasGit) this.skip(); // git: sides and the legal team's last commit need git
    app = GIVEN_APP ?? linkedApp();
    // What the docs assume is there: a City database file beside the app, as `--db GeoIP2-City.mmdb` names it.
    cityDbFile(app);
  });
  after(() => {
    if (!GIVEN_APP && app) rmSync(app, { recursive: true, force: true });
  });

  it("every shell block is either run here or says why not", () => {
    const skipped = blocks.filter((b) => b.notForApp !== null);
    for (const b of skipped) expect(b.notForApp, `${b.file}: ${b.lines[0]}`).to.match(/clone|download/);
    expect(blocks.length - skipped.length, "blocks run").to.be.greaterThan(5);
    // The clone's quick start and the demo are the clone's; the tools, the preview token and the logs are an app's.
    for (const needle of ["npx geo-compliance validate", "preview-token", "logs summary", "diff git:HEAD:rules/"]) {
      expect(blocks.some((b) => b.notForApp === null && b.lines.some((l) => l.includes(needle))), needle).to.equal(true);
    }
  });

  // One test, in the docs' order: the rules are copied before they are checked, the site logs before its logs are read.
  it("runs each command and gets the exit code and the output the docs say", async () => {
    const ran: string[] = [];
    for (const block of blocks.filter((b) => b.notForApp === null)) {
      let site: { url: string; child: ChildProcess } | null = null;
      try {
        const commands = block.lines.filter((l) => !l.trimStart().startsWith("#"));
        for (const line of commands) {
          const where = `${block.file}: ${line}`;
          // `export NAME=…`: a value the reader puts in; the test's environment has it, as the docs ask.
          const given = /^export ([A-Z_]+)=…/.exec(line);
          if (given) {
            expect(env[given[1]!], `${where}: set by the test`).to.be.a("string").and.not.equal("");
            continue;
          }
          // `NAME=$(command)`: run, and keep what it printed for the lines after it.
          const assigned = /^([A-Z_]+)=\$\((.*)\)$/.exec(line.replace(/\s+#.*$/, ""));
          if (/\bgit:/.test(line) && !existsSync(join(app, ".git"))) {
            // The legal team's rules are in git, committed as the docs' "since the last commit" assumes.
            for (const git of ["git init -q", "git add rules", "git commit -qm rules"]) expect(run(git, app, env).code, git).to.equal(0);
          }
          let command = line;
          if (command.includes(SITE)) {
            site ??= await startSite(app, env);
            command = command.replaceAll(SITE, site.url);
          }
          const r = assigned ? run(assigned[2]!, app, env) : run(command, app, env);
          expect(r.code, `${where}\n${r.err}${r.out.slice(0, 2000)}`).to.be.oneOf(expectedExit(line));
          if (assigned) {
            expect(r.out.trim(), `${where} prints the value`).to.not.equal("");
            env[assigned[1]!] = r.out.trim();
            ran.push(line);
            continue;
          }
          expect(`${r.err}\n${r.out}`, `${where}: what it prints`).to.match(tellingOutput(line));
          if (block.shown && line === commands.at(-1) && NPX.test(line)) {
            const printed = r.out.split("\n").map((l) => l.trimEnd());
            for (const expected of block.shown) expect(printed, `${where}: the output shown after it`).to.include(expected.trimEnd());
          }
          ran.push(line);
        }
      } finally {
        if (site) await stopSite(site.child);
      }
    }
    // The copy the docs start from is the package's own examples.
    expect(readdirSync(join(app, "rules")).filter((f) => f.endsWith(".yaml")).length).to.be.greaterThan(2);
    expect(ran.length).to.be.greaterThan(10);
  });
});

describe("README.md: the diff output it shows", () => {
  it("is what diff prints for a rule file that adds UA-40, compared with the file before", () => {
    const blocks = blocksOf("README.md");
    const i = blocks.findIndex((b) => b.lang === "text" && b.lines.some((l) => l.startsWith("REGION  NAME")));
    expect(i, "the shown diff").to.be.greaterThan(-1);
    const fixtures = join(ROOT, "test", "fixtures", "diff");
    const r = spawnSync(process.execPath, [join(ROOT, "dist", "src", "cli", "main.js"), "diff", join(fixtures, "base.yaml"), join(fixtures, "region-added.yaml")], { encoding: "utf8" });
    expect(r.status).to.equal(1);
    const printed = r.stdout.split("\n").map((l) => l.trimEnd());
    for (const expected of blocks[i]!.lines) expect(printed).to.include(expected.trimEnd());
  });
});
