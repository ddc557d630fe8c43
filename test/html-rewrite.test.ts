import { expect } from "chai";
import compression from "compression";
import express, { type Express, type Request } from "express";
import iconv from "iconv-lite";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync, createReadStream } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import zlib from "node:zlib";
import { dismissalCookieName, NoticeRenderer, noticeRevision } from "../src/actions/notice.js";
import { loadShippedTrackerList, type TrackerList } from "../src/actions/trackers/list.js";
import { BodyRewriting } from "../src/http/body-rewrite.js";
import { newOutcome, type RewriteOutcome } from "../src/http/body-rewriter.js";
import { scriptHash } from "../src/http/csp-hashes.js";
import { framesetNoticeScript } from "../src/http/frameset-notice.js";
import { geoCompliance, shippedRules, type GeoComplianceOptions } from "../src/index.js";
import type { Decision } from "../src/rules/decide.js";
import { consent, decisionWith, notice, RU_RULE, shippedRuleset, trackers } from "./support/decisions.js";
import { newsPage } from "./support/news-page.js";
import { countNotices } from "./support/pages.js";
import { count, noticeBytes, planOf } from "./support/rewrite.js";
import { listen, MemoryLog, type Running } from "./support/server.js";
import { russiaNoticeOnlyRules } from "./support/rules.js";

const RU = "77.88.8.8";
const US = "8.8.8.8";
const MARK = 'data-geo-compliance-notice="ru-undesirable-organization"';
const PAGE = '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Test</title></head>\n<body class="article">\n<h1>Ferry timetable</h1>\n<p>Crossings — «quoted», ünïcödé.</p>\n</body>\n</html>\n';

const get = (url: string, ip: string, headers: Record<string, string> = {}) => fetch(url, { headers: { "X-Forwarded-For": ip, ...headers } });

/** The notice a response carries, cut out, and the page without it. */
function splitNotice(body: string): { notice: string; rest: string } {
  const m = /<section class="geo-compliance-notice"[^]*?<\/section>/.exec(body);
  return { notice: m?.[0] ?? "", rest: m ? body.replace(m[0], "") : body };
}

/** A raw GET that reports when the first body byte and the end arrived. */
function timedGet(url: string, ip: string): Promise<{ firstByteMs: number; endMs: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByteMs = -1;
    const chunks: Buffer[] = [];
    http
      .get(url, { headers: { "X-Forwarded-For": ip } }, (res) => {
        res.on("data", (c: Buffer) => {
          if (firstByteMs < 0) firstByteMs = performance.now() - started;
          chunks.push(c);
        });
        res.on("end", () => resolve({ firstByteMs, endMs: performance.now() - started, body: Buffer.concat(chunks), headers: res.headers }));
      })
      .on("error", reject);
  });
}

function site(options: Partial<GeoComplianceOptions> = {}, before?: (app: Express) => void) {
  const log = new MemoryLog();
  const compliance = geoCompliance({ rules: russiaNoticeOnlyRules(), trustProxy: "loopback", decisionLog: { destination: log }, ...options });
  const app = express();
  before?.(app);
  app.use(compliance);
  return { app, compliance, log };
}

describe("HTML rewrite over HTTP", function () {
  this.timeout(60000);
  const dir = mkdtempSync(join(tmpdir(), "gc-pages-"));
  writeFileSync(join(dir, "page.html"), PAGE);
  let server: Running;
  let log: MemoryLog;
  let compliance: ReturnType<typeof geoCompliance>;
  let nonce = 0;

  before(async () => {
    const built = site();
    log = built.log;
    compliance = built.compliance;
    const app = built.app;
    app.get("/send", (_q, r) => void r.type("html").send(PAGE));
    app.get("/strong", (_q, r) => void r.set("ETag", '"v1"').type("html").send(PAGE));
    app.use("/static", express.static(dir));
    app.get("/file", (_q, r) => r.sendFile(join(dir, "page.html")));
    app.get("/pipe", (_q, r) => {
      r.type("html");
      createReadStream(join(dir, "page.html"), { highWaterMark: 7 }).pipe(r);
    });
    app.get("/slow", (_q, r) => {
      r.type("html");
      r.write(PAGE.slice(0, PAGE.indexOf("<h1>")));
      setTimeout(() => r.end(PAGE.slice(PAGE.indexOf("<h1>"))), 500);
    });
    app.get("/nonce", (_q, r) => void r.type("html").send(PAGE.replace("<h1>", `<h1 data-nonce="${++nonce}">`)));
    app.get("/empty", (_q, r) => void r.status(204).end());
    app.get("/missing", (_q, r) => void r.status(404).type("html").send(PAGE));
    app.get("/json", (_q, r) => void r.json({ html: "<body></body>" }));
    app.get("/rendered", (_q, r) => {
      r.locals.geoCompliance!.noticeRendered = true;
      r.type("html").send(PAGE);
    });
    app.get("/rendered-one", (_q, r) => {
      r.locals.geoCompliance!.markNoticeRendered(RU_RULE);
      r.type("html").send(PAGE);
    });
    app.get("/csp", (_q, r) => void r.set("Content-Security-Policy", "default-src 'self'; img-src *").type("html").send(PAGE));
    server = await listen(app);
  });
  after(async () => {
    await server.close();
    await compliance.close();
  });

  it("rewrites res.send pages whole: the notice once, the rest unchanged, the new Content-Length", async () => {
    const res = await get(`${server.url}/send`, RU, { "Accept-Language": "en" });
    const body = await res.text();
    expect(count(body, MARK)).to.equal(1);
    const { notice, rest } = splitNotice(body);
    expect(rest).to.equal(PAGE);
    expect(body).to.equal(PAGE.replace('<body class="article">', `<body class="article">${notice}`));
    expect(res.headers.get("content-length")).to.equal(String(Buffer.byteLength(body)));
    expect(notice).to.contain('lang="en"').and.contain('role="region"').and.contain("aria-label=");
  });

  it("replaces the ETag with one that names the revision and the actions, strong stays strong", async () => {
    const plain = await get(`${server.url}/send`, US);
    await plain.text();
    const en = await get(`${server.url}/send`, RU, { "Accept-Language": "en" });
    const ru = await get(`${server.url}/send`, RU, { "Accept-Language": "ru" });
    await Promise.all([en.text(), ru.text()]);
    const original = plain.headers.get("etag")!;
    expect(en.headers.get("etag")).to.match(/^W\/".*-gc[\w-]{12}"$/).and.not.equal(original);
    expect(en.headers.get("etag")).to.not.equal(ru.headers.get("etag"));
    const strong = await get(`${server.url}/strong`, RU);
    await strong.text();
    expect(strong.headers.get("etag")).to.match(/^"v1-gc[\w-]{12}"$/);
  });

  it("answers If-None-Match against the rewritten ETag; the original ETag never yields a 304 without the notice", async () => {
    const first = await get(`${server.url}/send`, RU);
    await first.text();
    const etag = first.headers.get("etag")!;
    const again = await get(`${server.url}/send`, RU, { "If-None-Match": etag, Accept: "text/html" });
    expect(again.status).to.equal(304);
    expect(await again.text()).to.equal("");
    const us = await get(`${server.url}/send`, US);
    await us.text();
    const stale = await get(`${server.url}/send`, RU, { "If-None-Match": us.headers.get("etag")!, Accept: "text/html,application/xhtml+xml,*/*;q=0.8" });
    expect(stale.status).to.equal(200);
    expect(count(await stale.text(), MARK)).to.equal(1);
  });

  it("rewrites express.static, sendFile and piped streams, and drops Last-Modified", async () => {
    for (const path of ["/static/page.html", "/file", "/pipe"]) {
      const res = await get(`${server.url}${path}`, RU);
      const body = await res.text();
      expect(count(body, MARK), path).to.equal(1);
      expect(splitNotice(body).rest, path).to.equal(PAGE);
      expect(res.headers.get("last-modified"), path).to.equal(null);
    }
  });

  it("serves a Range request for a page in full to a reader whose page is rewritten, and as a range to others", async () => {
    const ru = await get(`${server.url}/static/page.html`, RU, { Range: "bytes=0-9", Accept: "text/html" });
    expect(ru.status).to.equal(200);
    expect(count(await ru.text(), MARK)).to.equal(1);
    // Media and downloads (Accept: */*) keep their ranges; a 206 is never rewritten.
    const media = await get(`${server.url}/static/page.html`, RU, { Range: "bytes=0-9", Accept: "*/*" });
    expect(media.status).to.equal(206);
    expect(await media.text()).to.equal(PAGE.slice(0, 10));
    const us = await get(`${server.url}/static/page.html`, US, { Range: "bytes=0-9" });
    expect(us.status).to.equal(206);
    expect(await us.text()).to.equal(PAGE.slice(0, 10));
  });

  it("streams: the first bytes leave before the handler ends", async () => {
    const r = await timedGet(`${server.url}/slow`, RU);
    expect(r.firstByteMs).to.be.below(400);
    expect(r.endMs).to.be.at.least(480);
    expect(count(r.body.toString(), MARK)).to.equal(1);
    expect(splitNotice(r.body.toString()).rest).to.equal(PAGE);
  });

  it("rewrites error pages too: a reader sees them, and they carry the site's tags", async () => {
    const res = await get(`${server.url}/missing`, RU);
    expect(res.status).to.equal(404);
    expect(count(await res.text(), MARK)).to.equal(1);
  });

  it("leaves 204s and non-HTML bodies alone", async () => {
    const empty = await get(`${server.url}/empty`, RU);
    expect(empty.status).to.equal(204);
    const json = await get(`${server.url}/json`, RU);
    expect(await json.json()).to.deep.equal({ html: "<body></body>" });
  });

  it("injects nothing when the app rendered the notice itself", async () => {
    for (const path of ["/rendered", "/rendered-one"]) {
      const res = await get(`${server.url}${path}`, RU);
      expect(await res.text(), path).to.equal(PAGE);
    }
  });

  it("reuses the rewritten bytes for the same page and actions, and never mixes pages that differ per request", async () => {
    const before = log.decisions().length;
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) bodies.push(await (await get(`${server.url}/send`, RU, { "Accept-Language": "uk" })).text());
    expect(bodies[1]).to.equal(bodies[0]);
    expect(bodies[2]).to.equal(bodies[0]);
    const lines = (await log.waitFor(before + 3)).slice(before);
    expect(lines.map((l) => (l.outcome as { cache?: string } | undefined)?.cache)).to.deep.equal(["miss", "stored", "hit"]);
    // A page with a new value on every request has a new validator every time.
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const body = await (await get(`${server.url}/nonce`, RU, { "Accept-Language": "uk" })).text();
      const n = /data-nonce="(\d+)"/.exec(body)?.[1];
      expect(seen.has(n!)).to.equal(false);
      seen.add(n!);
      expect(count(body, MARK)).to.equal(1);
      expect(splitNotice(body).rest).to.equal(PAGE.replace("<h1>", `<h1 data-nonce="${n}">`));
    }
  });

  it("adds the hashes of its scripts to a Content-Security-Policy that would block them", async () => {
    const body = new BodyRewriting({ trackers: loadShippedTrackerList(), notices: new NoticeRenderer(), cacheBytes: 0 });
    const app = express();
    app.use((req, res, next) => {
      body.attach(req, res, decisionWith([notice(), consent()]), shippedRuleset(), {}, newOutcome());
      next();
    });
    app.get("/strict", (_q, r) => void r.set("Content-Security-Policy", "default-src 'self'; img-src *").type("html").send(PAGE));
    app.get("/inline", (_q, r) => void r.set("Content-Security-Policy", "script-src 'self' 'unsafe-inline'").type("html").send(PAGE));
    const s = await listen(app);
    try {
      const strict = await fetch(`${s.url}/strict`);
      const html = await strict.text();
      const script = /<script data-geo-compliance="consent">([^<]*)<\/script>/.exec(html)![1]!;
      const hash = `'sha256-${createHash("sha256").update(script).digest("base64")}'`;
      // The notice's form for frameset documents is an inline script too.
      const frameset = scriptHash(framesetNoticeScript(noticeBytes(planOf([notice()])).toString()));
      expect(strict.headers.get("content-security-policy")).to.equal(`default-src 'self' ${frameset} ${hash}; img-src *`);
      const inline = await fetch(`${s.url}/inline`);
      await inline.text();
      expect(inline.headers.get("content-security-policy")).to.equal("script-src 'self' 'unsafe-inline'");
    } finally {
      await s.close();
    }
  });
});

describe("HTML rewrite over HTTP: encodings and charsets", function () {
  this.timeout(30000);

  for (const order of ["compression before geoCompliance", "compression after geoCompliance"] as const) {
    it(`works with the compression middleware mounted ${order.replace("compression ", "")}`, async () => {
      const log = new MemoryLog();
      const compliance = geoCompliance({ rules: russiaNoticeOnlyRules(), trustProxy: "loopback", decisionLog: { destination: log } });
      const app = express();
      if (order === "compression before geoCompliance") app.use(compression({ threshold: 0 }));
      app.use(compliance);
      if (order === "compression after geoCompliance") app.use(compression({ threshold: 0 }));
      const big = newsPage(200 * 1024, { trackers: false });
      app.get("/", (_q, r) => void r.type("html").send(big));
      const s = await listen(app);
      try {
        for (const encoding of ["gzip", "br", "deflate"]) {
          const res = await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
            http.get(`${s.url}/`, { headers: { "X-Forwarded-For": RU, "Accept-Encoding": encoding } }, (r) => {
              const chunks: Buffer[] = [];
              r.on("data", (c: Buffer) => chunks.push(c));
              r.on("end", () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }));
            }).on("error", reject);
          });
          expect(res.headers["content-encoding"], encoding).to.equal(encoding);
          const plain = encoding === "gzip" ? zlib.gunzipSync(res.body) : encoding === "br" ? zlib.brotliDecompressSync(res.body) : zlib.inflateSync(res.body);
          const text = plain.toString();
          expect(count(text, MARK), encoding).to.equal(1);
          expect(splitNotice(text).rest, encoding).to.equal(big);
        }
        const lines = await log.waitFor(3);
        expect(lines.every((l) => l.rewritten === true && l.error === undefined)).to.equal(true);
      } finally {
        await s.close();
        await compliance.close();
      }
    });
  }

  it("decodes, rewrites and re-encodes bodies the app encoded itself (gzip, deflate, raw deflate, br)", async () => {
    const { app, compliance } = site();
    const encoders: Record<string, [string, (b: Buffer) => Buffer]> = {
      gzip: ["gzip", zlib.gunzipSync],
      deflate: ["deflate", zlib.inflateSync],
      // Raw deflate comes back in the standard zlib wrapping, which every browser reads.
      "raw-deflate": ["deflate", zlib.inflateSync],
      br: ["br", zlib.brotliDecompressSync],
    };
    const encode: Record<string, (b: Buffer) => Buffer> = { gzip: zlib.gzipSync, deflate: zlib.deflateSync, "raw-deflate": zlib.deflateRawSync, br: zlib.brotliCompressSync };
    app.get("/enc/:kind", (req, res) => {
      const kind = String(req.params.kind);
      const bytes = encode[kind]!(Buffer.from(PAGE));
      res.type("html").set("Content-Encoding", encoders[kind]![0]);
      // In three writes, cut inside the compressed stream.
      res.write(bytes.subarray(0, 5));
      res.write(bytes.subarray(5, 20));
      res.end(bytes.subarray(20));
    });
    app.get("/corrupt", (_q, res) => {
      res.type("html").set("Content-Encoding", "gzip").end(Buffer.from("this is not gzip at all"));
    });
    const s = await listen(app);
    try {
      for (const [kind, [header, decode]] of Object.entries(encoders)) {
        const raw = await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
          http.get(`${s.url}/enc/${kind}`, { headers: { "X-Forwarded-For": RU } }, (r) => {
            const chunks: Buffer[] = [];
            r.on("data", (c: Buffer) => chunks.push(c));
            r.on("end", () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }));
          }).on("error", reject);
        });
        expect(raw.headers["content-encoding"], kind).to.equal(header);
        const text = decode(raw.body).toString();
        expect(count(text, MARK), kind).to.equal(1);
        expect(splitNotice(text).rest, kind).to.equal(PAGE);
      }
      const corrupt = await new Promise<Buffer>((resolve, reject) => {
        http.get(`${s.url}/corrupt`, { headers: { "X-Forwarded-For": RU } }, (r) => {
          const chunks: Buffer[] = [];
          r.on("data", (c: Buffer) => chunks.push(c));
          r.on("end", () => resolve(Buffer.concat(chunks)));
        }).on("error", reject);
      });
      expect(corrupt.toString()).to.equal("this is not gzip at all");
    } finally {
      await s.close();
      await compliance.close();
    }
  });

  for (const charset of ["windows-1251", "KOI8-R", "ISO-8859-1"]) {
    it(`writes the notice as character references in a ${charset} page and leaves every other byte as it was`, async () => {
      const { app, compliance } = site();
      const text = charset === "ISO-8859-1" ? "<p>Café déjà vu, naïve façade</p>" : "<p>Паром ходит дважды в день</p>";
      const page = iconv.encode(`<html><head><title>x</title></head><body>${text}</body></html>`, charset);
      app.get("/", (_q, r) => void r.set("Content-Type", `text/html; charset=${charset}`).send(page));
      const s = await listen(app);
      try {
        const res = await get(`${s.url}/`, RU, { "Accept-Language": "ru" });
        const bytes = Buffer.from(await res.arrayBuffer());
        const at = page.indexOf("<body>") + 6;
        const inserted = bytes.subarray(at, bytes.length - (page.length - at));
        expect(Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + inserted.length)]).equals(page)).to.equal(true);
        expect([...inserted].every((b) => b < 0x80), "ASCII only").to.equal(true);
        expect(inserted.toString()).to.contain("&#1055;&#1088;&#1077;&#1076;"); // Пред…
        // Decoded the way a browser decodes the page, it reads right.
        expect(iconv.decode(bytes, charset)).to.contain(text);
      } finally {
        await s.close();
        await compliance.close();
      }
    });
  }

  it("streams a 50 MB page with the notice once and every other byte unchanged", async function () {
    this.timeout(120000);
    const { app, compliance } = site();
    const block = Buffer.from(`<div class="row"><p>${"Ferry timetables change with the river. ".repeat(20)}</p><!-- </body> --><script>var s="</body>";</script></div>\n`);
    const blocks = Math.ceil((50 * 1024 * 1024) / block.length);
    const head = Buffer.from("<!doctype html><html><head><title>big</title></head><body>");
    const tail = Buffer.from("</body></html>");
    app.get("/big", (_q, res) => {
      res.type("html");
      let i = 0;
      const pump = (): void => {
        while (i < blocks) {
          i++;
          if (!res.write(i === 1 ? Buffer.concat([head, block]) : block)) return void res.once("drain", pump);
        }
        res.end(tail);
      };
      pump();
    });
    const s = await listen(app);
    try {
      const expected = createHash("sha256");
      expected.update(head);
      for (let i = 0; i < blocks; i++) expected.update(block);
      expected.update(tail);
      const got = createHash("sha256");
      let notices = 0;
      let carry = "";
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(`${s.url}/big`, { headers: { "X-Forwarded-For": RU } }, resolve).on("error", reject));
      let noticeText = "";
      await new Promise<void>((resolve) => {
        res.on("data", (c: Buffer) => {
          let text = carry + c.toString("latin1");
          // The notice is in the first bytes: cut it out and count it.
          if (notices === 0 && text.includes("</section>")) {
            const m = /<section class="geo-compliance-notice"[^]*?<\/section>/.exec(text)!;
            noticeText = m[0];
            text = text.replace(m[0], "");
            notices++;
          } else if (notices === 0) {
            carry = text;
            return;
          }
          if (text.includes(MARK)) notices++;
          carry = "";
          got.update(Buffer.from(text, "latin1"));
        });
        res.on("end", resolve);
      });
      expect(noticeText).to.contain(MARK);
      expect(notices).to.equal(1);
      expect(got.digest("hex")).to.equal(expected.digest("hex"));
    } finally {
      await s.close();
      await compliance.close();
    }
  });
});

describe("HTML rewrite over HTTP: actions from the contract", function () {
  this.timeout(30000);

  function bodyApp(decisionFor: (req: Request) => Decision, options: { cacheBytes?: number; trackers?: TrackerList } = {}) {
    const body = new BodyRewriting({ trackers: options.trackers ?? loadShippedTrackerList(), notices: new NoticeRenderer(), cacheBytes: options.cacheBytes ?? 0 });
    const outcomes: RewriteOutcome[] = [];
    const app = express();
    app.set("trust proxy", "loopback");
    app.use((req, res, next) => {
      const outcome = newOutcome();
      outcomes.push(outcome);
      body.attach(req, res, decisionFor(req), shippedRuleset(), {}, outcome);
      next();
    });
    return { app, outcomes };
  }

  it("switches trackers off and sets consent defaults first in <head>, counting what it neutralized", async () => {
    const { app, outcomes } = bodyApp(() => decisionWith([notice(), trackers("list"), consent()]));
    const page = newsPage(60 * 1024);
    app.get("/", (_q, r) => void r.type("html").send(page));
    const s = await listen(app);
    try {
      const html = await (await fetch(`${s.url}/`)).text();
      const head = html.slice(0, html.indexOf("</head>"));
      expect(head.indexOf('<script data-geo-compliance="guard">')).to.be.lessThan(head.indexOf('<script data-geo-compliance="consent">'));
      expect(head.indexOf('<script data-geo-compliance="consent">')).to.be.lessThan(head.indexOf("<script", head.indexOf('data-geo-compliance="consent"') + 10));
      expect(outcomes[0]!.trackersNeutralized).to.equal(13);
      expect(outcomes[0]!.rewritten).to.equal(true);
      // No tracker URL is left where the browser would load it.
      expect(html).not.to.match(/\ssrc="https:\/\/(www\.googletagmanager|connect\.facebook|mc\.yandex|platform\.twitter|www\.facebook)/);
      expect(html).not.to.match(/\shref="https:\/\/www\.google-analytics/);
      expect(html).not.to.match(/\sping="/);
    } finally {
      await s.close();
    }
  });

  it("in third-party mode keeps the site's own host, which the cache key includes", async () => {
    const { app } = bodyApp(() => decisionWith([trackers("third-party")]), { cacheBytes: 1024 * 1024 });
    const page = '<html><head></head><body><script src="https://static.alpha.example/app.js"></script></body></html>';
    app.get("/", (_q, r) => void r.type("html").send(page));
    const s = await listen(app);
    try {
      const asHost = async (host: string): Promise<string> =>
        new Promise((resolve, reject) => {
          http.get(`${s.url}/`, { headers: { Host: host } }, (r) => {
            let text = "";
            r.on("data", (c: Buffer) => (text += c.toString()));
            r.on("end", () => resolve(text));
          }).on("error", reject);
        });
      for (let i = 0; i < 3; i++) {
        expect(await asHost("www.alpha.example")).to.contain('<script src="https://static.alpha.example/app.js">');
        expect(await asHost("www.beta.example")).to.contain('data-geo-compliance-src="https://static.alpha.example/app.js"');
      }
    } finally {
      await s.close();
    }
  });

  it("remembers a dismissal in a cookie bound to the notice's revision; rules that must always show ignore it", async () => {
    let dismissible = true;
    const { app } = bodyApp(() => decisionWith([notice({ at: "body-start" }, { dismissible })]));
    app.get("/", (_q, r) => void r.type("html").send(PAGE));
    const s = await listen(app);
    try {
      const rule = shippedRuleset().rules.find((r) => r.id === RU_RULE)!;
      const cookieName = dismissalCookieName(RU_RULE);
      const first = await (await fetch(`${s.url}/`)).text();
      expect(count(first, MARK)).to.equal(1);
      expect(first).to.contain("geo-compliance-notice__dismiss").and.contain(`${cookieName}=${noticeRevision(rule)}`);
      const dismissed = await (await fetch(`${s.url}/`, { headers: { Cookie: `${cookieName}=${noticeRevision(rule)}` } })).text();
      expect(dismissed).to.equal(PAGE);
      const stale = await (await fetch(`${s.url}/`, { headers: { Cookie: `${cookieName}=an-older-text` } })).text();
      expect(count(stale, MARK)).to.equal(1);
      dismissible = false;
      const always = await (await fetch(`${s.url}/`, { headers: { Cookie: `${cookieName}=${noticeRevision(rule)}` } })).text();
      expect(count(always, MARK)).to.equal(1);
      expect(always).not.to.contain("geo-compliance-notice__dismiss");
    } finally {
      await s.close();
    }
  });

  it("sends the original bytes, the notice's script after them, and records the error when the rewrite fails", async () => {
    const shipped = loadShippedTrackerList();
    const faulty = Object.create(shipped, {
      match: {
        value(host: string) {
          if (String(host).includes("yandex")) throw new Error("tracker list lookup failed");
          return shipped.match(host);
        },
      },
    }) as TrackerList;
    const { app, outcomes } = bodyApp(() => decisionWith([notice(), trackers("list")]), { trackers: faulty });
    const page = newsPage(40 * 1024);
    app.get("/", (_q, r) => void r.type("html").send(page));
    const s = await listen(app);
    try {
      const res = await fetch(`${s.url}/`);
      const body = await res.text();
      expect(body.startsWith(page)).to.equal(true);
      expect(countNotices(body.slice(page.length))).to.equal(1);
      expect(body.slice(page.length)).to.match(/^<script>[^<]*<\/script>$/);
      expect(res.headers.get("content-security-policy")).to.match(/^default-src 'self'/);
      expect(outcomes[0]!.error).to.contain("tracker list lookup failed");
      expect(outcomes[0]!.rewritten).to.equal(true);
    } finally {
      await s.close();
    }
  });
});

describe("operator tracker lists (option trackerLists)", () => {
  it("are loaded and checked at start-up, and added to the shipped list", async () => {
    const { buildContainer, TOKENS } = await import("../src/container.js");
    const { resolveOptions, OptionsError } = await import("../src/options.js");
    const { TrackerListError } = await import("../src/actions/trackers/list.js");
    const dir = mkdtempSync(join(tmpdir(), "gc-lists-"));
    writeFileSync(join(dir, "hosts.txt"), "# our own list\n0.0.0.0 pixel.local-ads.example.org\nmetrics.newsroom-partner.com\n");
    writeFileSync(join(dir, "adblock.txt"), "[Adblock Plus 2.0]\n||beacon.regional-tracker.net^\n");
    writeFileSync(join(dir, "bad.txt"), "this is not a host\n");
    const options = resolveOptions({ rules: shippedRules, trackerLists: [join(dir, "hosts.txt"), { file: join(dir, "adblock.txt"), category: "analytics" }], decisionLog: false });
    const list = buildContainer(options).resolve<TrackerList>(TOKENS.trackers);
    expect(list.match("https://a.local-ads.example.org/p.gif")).to.not.equal(undefined);
    expect(list.match("beacon.regional-tracker.net")?.category).to.equal("analytics");
    expect(list.match("www.googletagmanager.com")?.vendor).to.equal("Google Tag Manager");
    expect(() => geoCompliance({ rules: shippedRules, trackerLists: [join(dir, "missing.txt")], decisionLog: false })).to.throw(OptionsError, "missing.txt");
    expect(() => geoCompliance({ rules: shippedRules, trackerLists: [join(dir, "bad.txt")], decisionLog: false })).to.throw(TrackerListError, "bad.txt:1");
    expect(() => geoCompliance({ rules: shippedRules, trackerLists: [{ file: join(dir, "hosts.txt"), category: "nonsense" as never }], decisionLog: false })).to.throw(OptionsError, "category");
    expect(() => geoCompliance({ rules: shippedRules, rewriteCache: { maxBytes: -1 }, decisionLog: false })).to.throw(OptionsError, "rewriteCache.maxBytes");
  });
});
