import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import express from "express";
import { judge } from "../src/cli/audit/analysis.js";
import { DEFAULT_VIEWPORTS, parseAuditArgs } from "../src/cli/audit/args.js";
import { AuditSetupError, findChromium, loadPlaywright } from "../src/cli/audit/browser.js";
import { Crawl, fetchRobots, loadRobotsParser } from "../src/cli/audit/crawl.js";
import type { PageRun } from "../src/cli/audit/page-run.js";
import { main } from "../src/cli/main.js";
import { isReservedHeader } from "../src/actions/headers.js";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import { PREVIEW_DECISION_HEADER, parsePreviewDecision } from "../src/http/preview-decision.js";
import { geoCompliance, mintPreviewToken, shippedRules } from "../src/index.js";
import { packageRoot } from "../src/package-root.js";
import { PREVIEW_SECRET } from "./support/region-fixtures.js";
import { listen } from "./support/server.js";

async function audit(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["audit", ...args], (t) => (out += `${t}\n`), (t) => (err += `${t}\n`), env);
  return { code, out, err };
}

describe("audit: arguments", () => {
  it("reads the documented options, with the defaults said in the help", () => {
    const o = parseAuditArgs(["https://news.example/a#x", "--region", "ru", "--region", "UA-43", "--region", "RU", "--lang", "ru", "--crawl", "20", "--baseline", "--viewport", "800x600"]);
    expect(o.urls.map((u) => u.href)).to.deep.equal(["https://news.example/a"]);
    expect(o.regions).to.deep.equal(["RU", "UA-43"]);
    expect(o).to.deep.include({ lang: "ru", crawl: 20, baseline: "AQ", json: false, secretEnv: "GEO_COMPLIANCE_PREVIEW_SECRET", previewCookie: "geo_compliance_preview", settleMs: 1000, maxTimeMs: 15 * 60 * 1000 });
    expect(o.viewports).to.deep.equal([{ width: 800, height: 600 }]);
    expect(parseAuditArgs(["http://x.example/", "--region", "RU"]).viewports).to.deep.equal(DEFAULT_VIEWPORTS);
    expect(parseAuditArgs(["http://x.example/", "--region", "RU"]).crawl).to.equal(null);
  });

  for (const [args, says] of [
    [["--region", "RU"], "needs the address of at least one page"],
    [["https://news.example/"], "needs --region"],
    [["https://news.example/", "--region", "UK"], "the ISO code is GB"],
    [["https://news.example/", "--region", "RU", "--viewport", "390"], '--viewport "390" is not WIDTHxHEIGHT'],
    [["https://news.example/", "--region", "RU", "--crawl", "0"], "--crawl takes a number of pages"],
    [["https://news.example/", "--region", "RU", "--lang", "not a tag"], "is not a language tag"],
    [["news.example", "--region", "RU"], "is not a URL"],
    [["ftp://news.example/", "--region", "RU"], "not an http or https address"],
    [["https://news.example/", "--region", "RU", "--baseline-region", "AQ"], "give --baseline too"],
    [["https://news.example/", "--region", "RU", "--secret", "x"], "never given on the command line"],
    [["https://news.example/", "--region", "RU", "--max-time", "soon"], "--max-time"],
    [["https://news.example/", "--region", "RU", "--frobnicate"], "Unknown option '--frobnicate'"],
  ] as const) {
    it(`${args.join(" ")}: exit 2, one line: ${says}`, async () => {
      const { code, out, err } = await audit([...args]);
      expect(code).to.equal(2);
      expect(out).to.equal("");
      expect(err.trim().split("\n")).to.have.length(1);
      expect(err).to.contain(says).and.match(/^geo-compliance audit: .*\(see geo-compliance audit --help\)\n$/);
    });
  }
});

describe("audit: what it needs, said plainly (exit 2)", () => {
  const args = ["https://news.example/", "--region", "RU"];

  it("without the preview secret: names the variable and where the secret comes from", async () => {
    const { code, err } = await audit(args, {});
    expect(code).to.equal(2);
    expect(err).to.contain("GEO_COMPLIANCE_PREVIEW_SECRET, which is not set").and.contain("preview.secret");
    const other = await audit([...args, "--secret-env", "SITE_PREVIEW"], { GEO_COMPLIANCE_PREVIEW_SECRET: PREVIEW_SECRET });
    expect(other.code).to.equal(2);
    expect(other.err).to.contain("SITE_PREVIEW, which is not set");
  });

  it("a browser path that is not there: says which option gave it", async () => {
    const env = { GEO_COMPLIANCE_PREVIEW_SECRET: PREVIEW_SECRET };
    const given = await audit([...args, "--chromium", "/nowhere/chromium"], env);
    expect(given.code).to.equal(2);
    expect(given.err).to.contain("no browser at /nowhere/chromium (from --chromium)");
    const fromEnv = await audit(args, { ...env, CHROMIUM_PATH: "/nowhere/chrome" });
    expect(fromEnv.code).to.equal(2);
    expect(fromEnv.err).to.contain("no browser at /nowhere/chrome (from CHROMIUM_PATH)");
  });

  it("no browser anywhere: says how to install one", () => {
    expect(() => findChromium(null, {}, () => false)).to.throw(AuditSetupError, /apt-get install chromium.*--chromium PATH or CHROMIUM_PATH/);
    expect(findChromium(null, {}, (p) => p === "/usr/bin/google-chrome")).to.equal("/usr/bin/google-chrome");
  });

  it("without playwright-core: says what to install", async () => {
    const missing = Object.assign(new Error("Cannot find package 'playwright-core'"), { code: "ERR_MODULE_NOT_FOUND" });
    let thrown: unknown;
    await loadPlaywright(() => Promise.reject(missing)).catch((e: unknown) => (thrown = e));
    expect(thrown).to.be.instanceOf(AuditSetupError);
    expect((thrown as Error).message).to.contain("npm install --save-dev playwright-core");
  });

  it("--crawl without robots-parser: says what to install", () => {
    const missing = Object.assign(new Error("Cannot find module 'robots-parser'"), { code: "MODULE_NOT_FOUND" });
    expect(() => loadRobotsParser(() => {
      throw missing;
    })).to.throw(AuditSetupError, "npm install --save-dev robots-parser");
  });

  it("playwright-core and robots-parser are optional peers, not dependencies, and the CLI does not load them for other commands", () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as Record<string, Record<string, unknown>>;
    for (const name of ["playwright-core", "robots-parser"]) {
      expect(pkg.dependencies).to.not.have.property(name);
      expect(pkg.peerDependencies).to.have.property(name);
      expect(pkg.peerDependenciesMeta?.[name]).to.deep.equal({ optional: true });
    }
    const script = `import(${JSON.stringify(join(packageRoot(), "dist", "src", "cli", "main.js"))}).then(async (m) => { await m.main(["--version"], () => {}); const { createRequire } = await import("node:module"); console.log(Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes("playwright-core") || k.includes("robots-parser")).length); });`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(r.stdout.trim(), r.stderr).to.equal("0");
  });
});

describe("audit: the preview decision the middleware tells a preview", () => {
  it("only a request a valid preview token placed gets the revision, rules, notice language and trackers mode", async () => {
    const compliance = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], decisionLog: false, watch: false, preview: { secret: PREVIEW_SECRET } });
    await compliance.ready;
    const app = express();
    app.use(compliance);
    app.get("/", (_q, res) => void res.type("html").send("<!doctype html><p>hi</p>"));
    const server = await listen(app);
    try {
      const token = mintPreviewToken(PREVIEW_SECRET, "UA-43", new Date(Date.now() + 60000));
      const placed = await fetch(`${server.url}/`, { headers: { Cookie: `geo_compliance_preview=${token}`, "Accept-Language": "uk" } });
      const d = parsePreviewDecision(placed.headers.get(PREVIEW_DECISION_HEADER));
      expect(d).to.deep.equal({ revision: compliance.status().revision, region: "UA-43", rules: ["ru-undesirable-organization"], notices: [{ rule: "ru-undesirable-organization", language: "uk" }], trackers: "third-party", allow: [], answer: null });
      const plain = await fetch(`${server.url}/`);
      expect(plain.headers.get("geo-compliance-decision")).to.match(/^[0-9a-f-]{36}$/);
      expect(plain.headers.get(PREVIEW_DECISION_HEADER)).to.equal(null);
      const forged = await fetch(`${server.url}/`, { headers: { Cookie: `geo_compliance_preview=${token.slice(0, -2)}xx` } });
      expect(forged.headers.get(PREVIEW_DECISION_HEADER)).to.equal(null);
    } finally {
      await server.close();
      await compliance.close();
    }
  });

  it("a rule may not set it, and a value this version does not write is not read", () => {
    expect(isReservedHeader("Geo-Compliance-Preview-Decision")).to.equal(true);
    expect(parsePreviewDecision(null)).to.equal(null);
    expect(parsePreviewDecision("rules=a")).to.equal(null);
  });
});

describe("audit: the crawl's order and bounds", () => {
  const start = [new URL("https://news.example/")];
  const allowAll = () => () => true;

  it("breadth first, same origin only, each page once, without fragments or files, at most N", () => {
    const crawl = new Crawl(start, 3, allowAll);
    const first = crawl.next()!;
    expect(first.url.href).to.equal("https://news.example/");
    crawl.found(["https://news.example/a#top", "https://news.example/a", "https://cdn.news.example/b", "http://news.example/c", "https://other.example/d", "https://news.example/report.pdf", "https://news.example/b"], first);
    const a = crawl.next()!;
    expect(a).to.deep.include({ depth: 1 });
    expect(a.url.href).to.equal("https://news.example/a");
    crawl.found(["https://news.example/deep", "https://news.example/"], a);
    expect(crawl.next()!.url.href).to.equal("https://news.example/b");
    expect(crawl.next()).to.equal(null);
    expect(crawl.left).to.equal(1);
  });

  it("robots.txt: the pages it disallows are left out, the pages given are audited", async () => {
    const rule = await fetchRobots("https://news.example", async (url) => (url === "https://news.example/robots.txt" ? "User-agent: *\nDisallow: /private\n" : null));
    const crawl = new Crawl([new URL("https://news.example/private/given")], 10, () => rule);
    const step = crawl.next()!;
    expect(step.url.pathname).to.equal("/private/given");
    crawl.found(["https://news.example/private/x", "https://news.example/ok"], step);
    expect(crawl.next()!.url.pathname).to.equal("/ok");
    expect(crawl.skippedByRobots).to.deep.equal(["https://news.example/private/x"]);
    // A group for the audit by name is the one it follows.
    const named = await fetchRobots("https://news.example", async () => "User-agent: geo-compliance-audit\nDisallow: /drafts\n\nUser-agent: *\nDisallow: /\n");
    expect([named("https://news.example/drafts/a"), named("https://news.example/a")]).to.deep.equal([false, true]);
    const none = await fetchRobots("https://news.example", async () => null);
    expect(none("https://news.example/anything")).to.equal(true);
  });
});

describe("audit: which contacts are leaks", () => {
  const run = (decision: PageRun["decision"], hosts: string[], baseline = false): PageRun => ({
    url: "https://news.example/a",
    reader: { region: "RU", baseline, token: "t" },
    status: 200,
    finalUrl: "https://news.example/a",
    decisionId: "id",
    decision,
    navigations: [],
    contacts: hosts.map((h) => ({ kind: "request" as const, host: h, port: 443, target: `https://${h}/x`, event: "URL_REQUEST_START_JOB", chain: [1], initiator: "https://news.example", requestType: "other" })),
    requests: [],
    linkHeaders: [],
    page: null,
    html: "",
    viewports: [],
    error: null,
    seconds: 1,
  });
  const decision = (trackers: "third-party" | "list" | null, allow: string[] = []) => ({ revision: "r", region: "RU", rules: ["x"], notices: [], trackers, allow, answer: null });
  const list = loadShippedTrackerList();
  const hosts = ["static.news.example", "cdn.allowed.example", "www.google-analytics.com", "widgets.unlisted.example"];
  const leaks = (r: PageRun): string[] => judge(r, list, null).leaks.map((l) => l.host);

  it("third-party mode: every host outside the site and its allow list", () => {
    expect(leaks(run(decision("third-party", ["allowed.example"]), hosts))).to.deep.equal(["www.google-analytics.com", "widgets.unlisted.example"]);
  });
  it("list mode: the hosts the tracker lists name", () => {
    expect(leaks(run(decision("list"), hosts))).to.deep.equal(["www.google-analytics.com"]);
  });
  it("no decision at all: every third party, since nothing shows the reader protected", () => {
    expect(leaks(run(null, hosts))).to.deep.equal(["cdn.allowed.example", "www.google-analytics.com", "widgets.unlisted.example"]);
  });
  it("the free reader: none, and its page does not fail", () => {
    const v = judge(run(decision(null), hosts, true), list, null);
    expect(v.leaks).to.deep.equal([]);
    expect(v.failed).to.equal(false);
    expect(v.trackersFired).to.deep.equal(["Google Analytics (www.google-analytics.com)"]);
  });
  it("the browser's own traffic (no page asked for it) is not the page's", () => {
    const r = run(decision("third-party"), ["www.google-analytics.com"]);
    const own = { ...r, contacts: [...r.contacts, { kind: "request" as const, host: "update.googleapis.com", port: 443, target: "https://update.googleapis.com/u", event: "URL_REQUEST_START_JOB", chain: [9], initiator: "not an origin", requestType: "other" }] };
    expect(leaks(own)).to.deep.equal(["www.google-analytics.com"]);
  });
});
