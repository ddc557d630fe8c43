import { expect } from "chai";
import express5 from "express";
import express4 from "express4";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { geoCompliance, DECISION_HEADER, type GeoComplianceOptions, shippedRules } from "../src/index.js";
import { ARTICLE, countNotices } from "./support/pages.js";
import { listen, MemoryLog, type Running } from "./support/server.js";
import { russiaNoticeOnlyRules, RUSSIA_RULE_FILE } from "./support/rules.js";

const RU = "77.88.8.8"; // Yandex, in Russia in the embedded database
const DE_IP = "85.214.132.117"; // Strato, Berlin
const US = "8.8.8.8";

type ExpressLike = typeof express5;

function site(express: ExpressLike, options: Partial<GeoComplianceOptions>) {
  const compliance = geoCompliance({ rules: russiaNoticeOnlyRules(), trustProxy: ["loopback"], ...options });
  const app = express();
  app.use(compliance);
  app.get("/article", (_req, res) => {
    res.type("html").send(ARTICLE);
  });
  app.get("/streamed", (_req, res) => {
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    // Split inside the <body> tag so the rewriter has to carry state across chunks.
    const cut = ARTICLE.indexOf("<body") + 3;
    res.write(ARTICLE.slice(0, cut));
    setTimeout(() => res.end(ARTICLE.slice(cut)), 10);
  });
  app.get("/data.json", (_req, res) => {
    res.json({ body: "<body>not html</body>" });
  });
  app.get("/query", (req, res) => {
    res.type("html").send(`<html><body>${String(req.query.q ?? "")}</body></html>`);
  });
  return { app, compliance };
}

const get = (url: string, ip: string, headers: Record<string, string> = {}) => fetch(url, { headers: { "X-Forwarded-For": ip, ...headers } });

for (const [name, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressLike],
] as const) {
  describe(`middleware over HTTP (${name})`, () => {
    let server: Running;
    let log: MemoryLog;
    let compliance: ReturnType<typeof geoCompliance>;

    before(async () => {
      log = new MemoryLog();
      const built = site(express, { decisionLog: { destination: log } });
      compliance = built.compliance;
      server = await listen(built.app);
    });
    after(async () => {
      await server.close();
      await compliance.close();
    });

    it("injects the Russia warning exactly once at the start of <body> for a reader in Russia", async () => {
      const res = await get(`${server.url}/article`, RU, { "Accept-Language": "en" });
      const body = await res.text();
      expect(res.status).to.equal(200);
      expect(countNotices(body)).to.equal(1);
      const notice = /<section class="geo-compliance-notice"[^]*?<\/section>/.exec(body)?.[0] ?? "";
      expect(notice).to.contain('data-geo-compliance-notice="ru-undesirable-organization"').and.contain('lang="en"').and.contain("undesirable organization");
      expect(body).to.equal(ARTICLE.replace('<body class="article">', `<body class="article">${notice}`));
      // A page given whole is rewritten whole: it goes out with its new length.
      expect(res.headers.get("content-length")).to.equal(String(Buffer.byteLength(body)));
    });

    it("serves a reader in Germany the page byte for byte, with a correct Content-Length", async () => {
      const res = await get(`${server.url}/article`, DE_IP);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.equals(Buffer.from(ARTICLE))).to.equal(true);
      expect(res.headers.get("content-length")).to.equal(String(bytes.length));
    });

    it("rewrites a streamed page whose <body> tag is split across chunks", async () => {
      const body = await (await get(`${server.url}/streamed`, RU)).text();
      expect(countNotices(body)).to.equal(1);
      expect(body.replace(/<section class="geo-compliance-notice"[^]*?<\/section>/, "")).to.equal(ARTICLE);
    });

    it("leaves non-HTML responses untouched", async () => {
      const res = await get(`${server.url}/data.json`, RU);
      const text = await res.text();
      expect(JSON.parse(text)).to.deep.equal({ body: "<body>not html</body>" });
      expect(res.headers.get("content-length")).to.equal(String(Buffer.byteLength(text)));
      expect(res.headers.get(DECISION_HEADER)).to.match(/^[0-9a-f-]{36}$/);
    });

    it("does not rewrite HEAD responses, and sends the headers a GET would get", async () => {
      const res = await fetch(`${server.url}/article`, { method: "HEAD", headers: { "X-Forwarded-For": RU } });
      const get = await fetch(`${server.url}/article`, { headers: { "X-Forwarded-For": RU } });
      await get.text();
      // RFC 9110 8.6: a HEAD response carries no Content-Length other than the one a GET would have;
      // without the body that length is unknown, so there is none.
      expect(res.headers.get("content-length")).to.equal(null);
      expect(res.headers.get("etag")).to.equal(get.headers.get("etag"));
    });

    it("carries the same decision id in the header and in the decision log line", async () => {
      const before = log.decisions().length;
      const ru = await get(`${server.url}/article?utm=secret`, RU);
      await ru.text();
      const de = await get(`${server.url}/query?q=hello`, DE_IP);
      await de.text();
      const lines = (await log.waitFor(before + 2)).slice(before);
      const ruLine = lines.find((l) => l.decision_id === ru.headers.get(DECISION_HEADER));
      const deLine = lines.find((l) => l.decision_id === de.headers.get(DECISION_HEADER));
      expect(ruLine, "line for the RU response").to.include({ revision: compliance.status().revision, status: 200, rewritten: true });
      expect(ruLine?.rules).to.deep.equal(["ru-undesirable-organization"]);
      expect(ruLine?.region).to.deep.equal({ country: "RU", subdivision: null, source: "geoip" });
      expect(ruLine?.actions).to.deep.equal([{ kind: "notice", rule: "ru-undesirable-organization", language: "ru" }]);
      // `log: minimal`: the article a reader in Russia read is not recorded.
      expect(ruLine).not.to.have.property("path");
      expect(deLine).to.include({ path: "/query", rewritten: false });
      // No raw address and no query string anywhere in the log.
      const text = JSON.stringify(log.lines);
      expect(text).not.to.contain(RU).and.not.to.contain(DE_IP).and.not.to.contain("secret").and.not.to.contain("hello");
    });

    it("puts the decision in res.locals for the app", async () => {
      const app = express();
      const mw = geoCompliance({ rules: RUSSIA_RULE_FILE, trustProxy: "loopback", decisionLog: false });
      app.use(mw);
      app.get("/", (_req, res) => {
        res.json(res.locals.geoCompliance);
      });
      const s = await listen(app);
      try {
        const res = await get(`${s.url}/`, US);
        const locals = (await res.json()) as { id: string; region: { country: string }; decision: { matched: string[] } };
        expect(locals.id).to.equal(res.headers.get(DECISION_HEADER));
        expect(locals.region.country).to.equal("US");
        expect(locals.decision.matched).to.deep.equal([]);
      } finally {
        await s.close();
      }
    });
  });
}

describe("the shipped Russia rule over HTTP", () => {
  it("warns, switches the page's trackers off and sends no Referer, for a reader in Russia only", async () => {
    const compliance = geoCompliance({ rules: RUSSIA_RULE_FILE, trustProxy: "loopback", decisionLog: false });
    const app = express5().use(compliance).get("/", (_q, r) => void r.type("html").send(ARTICLE));
    const s = await listen(app);
    try {
      const ru = await get(`${s.url}/`, RU);
      const body = await ru.text();
      expect(countNotices(body)).to.equal(1);
      expect(ru.headers.get("referrer-policy")).to.equal("no-referrer");
      // The Google tag is kept in the consent-manager form, so it neither loads nor runs.
      expect(body).not.to.contain('<script async src="https://www.googletagmanager.com');
      expect(body).to.match(/<script[^>]*type="text\/plain"[^>]*data-geo-compliance-blocked/);
      expect(body).to.contain("https://www.googletagmanager.com/gtag/js?id=G-TEST");
      const us = await get(`${s.url}/`, US);
      expect(await us.text()).to.equal(ARTICLE);
      expect(us.headers.get("referrer-policy")).to.equal(null);
    } finally {
      await s.close();
      await compliance.close();
    }
  });
});

describe("middleware instances", () => {
  it("share nothing: each applies its own rules and writes its own log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gc-us-"));
    writeFileSync(
      join(dir, "us.yaml"),
      `rules:\n  - id: us-test\n    title: US test\n    regions: { countries: [US] }\n    actions:\n      notice:\n        defaultLanguage: en\n        languages:\n          en: { title: US, text: Hello US }\n`,
    );
    const logA = new MemoryLog();
    const logB = new MemoryLog();
    const a = geoCompliance({ rules: shippedRules, trustProxy: "loopback", decisionLog: { destination: logA } });
    const b = geoCompliance({ rules: dir, trustProxy: "loopback", decisionLog: { destination: logB } });
    expect(a.status().revision).not.to.equal(b.status().revision);
    const appA = express5().use(a).get("/", (_q, r) => void r.type("html").send(ARTICLE));
    const appB = express5().use(b).get("/", (_q, r) => void r.type("html").send(ARTICLE));
    const [sa, sb] = await Promise.all([listen(appA), listen(appB)]);
    try {
      const ua = await (await get(`${sa.url}/`, US)).text();
      const ub = await (await get(`${sb.url}/`, US)).text();
      expect(countNotices(ua)).to.equal(0);
      expect(ub).to.contain('data-geo-compliance-notice="us-test"');
      await logA.waitFor(1);
      await logB.waitFor(1);
      expect(logA.decisions().map((l) => l.revision)).to.deep.equal([a.status().revision]);
      expect(logB.decisions().map((l) => l.revision)).to.deep.equal([b.status().revision]);
    } finally {
      await Promise.all([sa.close(), sb.close(), a.close(), b.close()]);
    }
  });
});
