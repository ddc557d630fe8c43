/**
 * One test per failure mode of docs/failure-modes.md that no other file already proves; the
 * document names the tests, here and elsewhere, that show each line of it.
 */
import { expect } from "chai";
import express from "express";
import { Gauge, type Histogram } from "prom-client";
import { loadShippedTrackerList, type TrackerList } from "../src/actions/trackers/list.js";
import { buildContainer, TOKENS } from "../src/container.js";
import type { ServerResponse } from "node:http";
import type { BodyRewriting } from "../src/http/body-rewrite.js";
import { ResponseTap } from "../src/http/intercept.js";
import { createHandler } from "../src/http/middleware.js";
import { DECISION_HEADER, geoCompliance, shippedRules } from "../src/index.js";
import type { DecisionSink } from "../src/log/decision-log.js";
import { resolveOptions } from "../src/options.js";
import type { RegionResolver } from "../src/region/resolve.js";
import type { RuleStore } from "../src/rules/store.js";
import { openSession, requireChromium } from "./support/browser.js";
import { countNotices } from "./support/pages.js";
import { file, rule, ruleDir } from "./support/rule-sets.js";
import { listen, MemoryLog } from "./support/server.js";

const RU = "77.88.8.8";

/** A page streamed in three writes; the second carries a tracker the faulty list fails on. */
const HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body><p>first part</p>';
const MIDDLE = '<p>second part</p><script async src="https://mc.yandex.ru/metrika/tag.js"></script>';
const TAIL = "<p>last part</p></body></html>";

/** The shipped tracker list, except that a lookup of a Yandex host throws, as a bug in it would. */
function faultyTrackerList(): TrackerList {
  const shipped = loadShippedTrackerList();
  return Object.create(shipped, {
    match: {
      value(host: string) {
        if (String(host).includes("yandex")) throw new Error("tracker list lookup failed");
        return shipped.match(host);
      },
    },
  }) as TrackerList;
}

/** The middleware as geoCompliance() wires it, with one edge replaced. */
function wired(rules: string, log: MemoryLog, replace: (c: ReturnType<typeof buildContainer>) => void) {
  const options = resolveOptions({ rules, trustProxy: "loopback", decisionLog: { destination: log }, watch: false });
  const c = buildContainer(options);
  replace(c);
  const store = c.resolve<RuleStore>(TOKENS.rules);
  const sink = c.resolve<DecisionSink>(TOKENS.decisionLog);
  const handler = createHandler({ resolver: c.resolve<RegionResolver>(TOKENS.resolver), ruleset: () => store.current, body: c.resolve<BodyRewriting>(TOKENS.body), log: sink, clock: options.clock });
  return { handler, close: () => sink.close?.() ?? Promise.resolve() };
}

const protectRule = (mode: "list" | "third-party"): string =>
  file(rule("protect", `    regions: { countries: [RU] }\n    actions:\n      notice:\n        defaultLanguage: en\n        languages:\n          en: { title: Warning, text: Careful }\n      trackers: { mode: ${mode} }\n`));

describe("failure modes", () => {
  describe("the body rewrite fails mid-stream", () => {
    for (const mode of ["list", "third-party"] as const) {
      it(`trackers in ${mode} mode: the reader gets the page, rewritten up to the failure and unchanged after it; the line records the error`, async () => {
        const log = new MemoryLog();
        const { handler, close } = wired(ruleDir({ "p.yaml": protectRule(mode) }), log, (c) => c.register(TOKENS.trackers, { useValue: faultyTrackerList() }));
        const app = express();
        app.use(handler);
        app.get("/", (_req, res) => {
          res.type("html");
          res.write(HEAD);
          setTimeout(() => {
            res.write(MIDDLE);
            setTimeout(() => res.end(TAIL), 5);
          }, 5);
        });
        const server = await listen(app);
        try {
          const res = await fetch(`${server.url}/`, { headers: { "X-Forwarded-For": RU } });
          expect(res.status).to.equal(200);
          const body = await res.text();
          // Already sent when the failure came: the guard first in <head>, and the notice.
          expect(body.indexOf('<script data-geo-compliance="guard">')).to.be.greaterThan(0);
          expect(countNotices(body)).to.equal(1);
          // From the failure on, the app's bytes exactly as written, so the page is whole.
          expect(body.endsWith(MIDDLE + TAIL)).to.equal(true);
          const csp = res.headers.get("content-security-policy");
          if (mode === "third-party") {
            // Sent with the headers, before any byte of the body: the tracker left in the page cannot load.
            expect(csp).to.match(/script-src [^;]*'self'/);
            expect(csp).to.not.contain("yandex");
          } else {
            expect(csp).to.equal(null);
          }
          const [line] = await log.waitFor(1);
          expect(line).to.include({ decision_id: res.headers.get(DECISION_HEADER), status: 200 });
          expect(line?.error).to.equal("rewrite failed (tracker list lookup failed); the rest of the page was sent unchanged");
        } finally {
          await server.close();
          await close();
        }
      });
    }
  });

  describe("the body rewrite fails before the notice is placed", () => {
    // The tracker the faulty list fails on comes in <head>, before the body where the notice goes.
    const EARLY = '<!doctype html><html lang="en"><head><meta charset="utf-8"><script async src="https://mc.yandex.ru/metrika/tag.js"></script><title>t</title></head><body><p>article</p><img src="https://mc.yandex.ru/watch/1"></body></html>';

    async function serve(mode: "list" | "third-party", send: (res: express.Response) => void) {
      const log = new MemoryLog();
      const { handler, close } = wired(ruleDir({ "p.yaml": protectRule(mode) }), log, (c) => c.register(TOKENS.trackers, { useValue: faultyTrackerList() }));
      const app = express();
      app.use(handler);
      app.get("/", (_req, res) => send(res));
      const server = await listen(app);
      return { log, server, close: async () => (await server.close(), await close()) };
    }

    it("a page sent whole goes out as the app wrote it, with the notice's script at its end and, under a list rule, a site-only policy", async () => {
      for (const mode of ["list", "third-party"] as const) {
        const { log, server, close } = await serve(mode, (res) => void res.type("html").send(EARLY));
        try {
          const res = await fetch(`${server.url}/`, { headers: { "X-Forwarded-For": RU } });
          const body = await res.text();
          expect(body.startsWith(EARLY), mode).to.equal(true);
          const tail = body.slice(EARLY.length);
          expect(tail, mode).to.match(/^<script>\(function\(h\)\{[^<]*showPopover[^<]*<\/script>$/);
          expect(countNotices(tail), mode).to.equal(1);
          const csp = res.headers.get("content-security-policy");
          // Either way only the site's own hosts are allowed to load: the tracker left in the page cannot.
          expect(csp, mode).to.match(/script-src 'self'/);
          expect(csp, mode).to.not.contain("yandex");
          const [line] = await log.waitFor(1);
          expect(line?.error, mode).to.equal(
            `rewrite failed (tracker list lookup failed); the page was sent as the app wrote it, with its notice shown by a script at its end${mode === "list" ? "; the page was sent with a policy that loads from the site's own hosts only" : ""}`,
          );
        } finally {
          await close();
        }
      }
    });

    it("in Chromium, the reader of a page sent whole under a list rule sees the notice, and the tracker left in the page loads nothing", async function () {
      requireChromium(this);
      this.timeout(60000);
      const { server, close } = await serve("list", (res) => void res.type("html").send(EARLY));
      const session = await openSession(undefined, { "X-Forwarded-For": RU });
      try {
        const page = await session.context.newPage();
        await page.goto(`${server.url}/`);
        const notice = page.locator("[data-geo-compliance-notice]");
        await notice.waitFor({ state: "visible", timeout: 10000 });
        expect(await notice.innerText()).to.contain("Careful");
        expect(await page.locator("p").first().innerText()).to.equal("article");
        await page.waitForTimeout(500);
        // The browser asked for both trackers the rewrite did not reach, and its policy stopped both before any connection.
        const thirdParty = session.requests.filter((r) => !r.url().startsWith(server.url));
        expect(thirdParty.map((r) => `${r.url()} ${r.failure()?.errorText}`).sort()).to.deep.equal(["https://mc.yandex.ru/metrika/tag.js csp", "https://mc.yandex.ru/watch/1 csp"]);
      } finally {
        await session.close();
        await close();
      }
    });

    it("a streamed page: the rest goes out unchanged, and the notice's script follows it", async () => {
      const { log, server, close } = await serve("list", (res) => {
        res.type("html");
        res.write(EARLY.slice(0, 120));
        setTimeout(() => res.end(EARLY.slice(120)), 5);
      });
      try {
        const res = await fetch(`${server.url}/`, { headers: { "X-Forwarded-For": RU } });
        const body = await res.text();
        const at = body.indexOf("<script>(function(h){");
        expect(at).to.be.greaterThan(body.indexOf("</html>"));
        expect(body.slice(0, at).endsWith(EARLY.slice(EARLY.indexOf("<script async")))).to.equal(true);
        expect(countNotices(body)).to.equal(1);
        const [line] = await log.waitFor(1);
        expect(line?.error).to.equal("rewrite failed (tracker list lookup failed); the rest of the page was sent unchanged, with its notice shown by a script at its end");
      } finally {
        await close();
      }
    });
  });

  describe("the rewrite of a script or stylesheet of the site's fails", () => {
    for (const [kind, path, type, body] of [
      ["script", "/app.js", "text/javascript", 'import("https://mc.yandex.ru/metrika/tag.js");\n'],
      ["stylesheet", "/site.css", "text/css", "body{background:url(https://mc.yandex.ru/watch/1)}"],
    ] as const) {
      for (const whole of [true, false]) {
        it(`a ${kind} sent ${whole ? "whole" : "streamed"}: it goes out switched off, the process stays up, and the line records the error`, async () => {
          const log = new MemoryLog();
          const { handler, close } = wired(ruleDir({ "p.yaml": protectRule("list") }), log, (c) => c.register(TOKENS.trackers, { useValue: faultyTrackerList() }));
          const app = express();
          app.use(handler);
          app.get(path, (_req, res) => {
            res.type(type);
            if (whole) res.send(body);
            else {
              res.write(body.slice(0, 10));
              setTimeout(() => res.end(body.slice(10)), 5);
            }
          });
          const server = await listen(app);
          try {
            const res = await fetch(`${server.url}${path}`, { headers: { "X-Forwarded-For": RU, "Sec-Fetch-Dest": kind === "script" ? "script" : "style" } });
            expect(res.status).to.equal(200);
            const text = await res.text();
            // Unread, it may load a tracker: it fails closed, as a file too large to read does.
            expect(text).to.equal(kind === "script" ? 'throw new Error("geo-compliance: script switched off: could not be inspected");' : "/* geo-compliance: stylesheet could not be inspected */");
            const [line] = await log.waitFor(1);
            expect(line?.error).to.equal(`rewrite failed (tracker list lookup failed); the ${kind} was sent switched off`);
          } finally {
            await server.close();
            await close();
          }
        });
      }
    }
  });

  describe("metrics fail", () => {
    it("a metric that throws while a decision is counted: the reader is served, the line is written, the failure is reported once", async () => {
      const log = new MemoryLog();
      const compliance = geoCompliance({ rules: shippedRules, trustProxy: "loopback", decisionLog: { destination: log }, watch: false });
      const histogram = compliance.metrics.getSingleMetric("geo_compliance_middleware_duration_seconds") as Histogram;
      histogram.observe = () => {
        throw new Error("metrics broken");
      };
      const app = express();
      app.use(compliance);
      app.get("/", (_req, res) => {
        res.type("html").send("<!doctype html><html><body><p>x</p></body></html>");
      });
      const server = await listen(app);
      try {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const res = await fetch(`${server.url}/`, { headers: { "X-Forwarded-For": RU } });
          expect(res.status).to.equal(200);
          expect(countNotices(await res.text())).to.equal(1);
          ids.push(res.headers.get(DECISION_HEADER)!);
        }
        const lines = await log.waitFor(3);
        expect(lines.map((l) => l.decision_id)).to.deep.equal(ids);
        const failed = log.lines.filter((l) => l.event === "metrics-failed");
        expect(failed).to.have.length(1);
        expect(failed[0]).to.include({ level: 40, error: "metrics broken" });
      } finally {
        await server.close();
        await compliance.close();
      }
    });

    it("a scrape that fails answers the scraper with an error; readers are not affected", async () => {
      const compliance = geoCompliance({ rules: shippedRules, trustProxy: "loopback", decisionLog: false, watch: false });
      new Gauge({
        name: "app_gauge_that_fails",
        help: "fails when collected",
        registers: [compliance.metrics],
        collect() {
          throw new Error("collect failed");
        },
      });
      const app = express();
      app.get("/metrics", compliance.metricsHandler);
      app.use(compliance);
      app.get("/", (_req, res) => {
        res.type("html").send("<!doctype html><html><body><p>x</p></body></html>");
      });
      app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).type("text").send(`scrape failed: ${error.message}`);
      });
      const server = await listen(app);
      try {
        const scrape = await fetch(`${server.url}/metrics`);
        expect(scrape.status).to.equal(500);
        expect(await scrape.text()).to.equal("scrape failed: collect failed");
        const page = await fetch(`${server.url}/`, { headers: { "X-Forwarded-For": RU } });
        expect(page.status).to.equal(200);
        expect(countNotices(await page.text())).to.equal(1);
      } finally {
        await server.close();
        await compliance.close();
      }
    });
  });

  describe("an unexpected error inside the middleware", () => {
    it("is passed to next(error): the app's error handler answers, and no page goes out without a decision", async () => {
      const log = new MemoryLog();
      const { handler, close } = wired(ruleDir({ "p.yaml": protectRule("list") }), log, (c) =>
        c.register(TOKENS.resolver, {
          useValue: {
            resolve() {
              throw new Error("resolver bug");
            },
          },
        }),
      );
      const app = express();
      app.use(handler);
      let served = 0;
      app.get("/", (_req, res) => {
        served++;
        res.type("html").send("<!doctype html><html><body><p>x</p></body></html>");
      });
      app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(503).type("text").send(error.message);
      });
      const server = await listen(app);
      try {
        const res = await fetch(`${server.url}/`, { headers: { "X-Forwarded-For": RU } });
        expect(res.status).to.equal(503);
        expect(await res.text()).to.equal("resolver bug");
        expect(served, "the page was not served undecided").to.equal(0);
        expect(res.headers.get(DECISION_HEADER)).to.equal(null);
      } finally {
        await server.close();
        await close();
      }
    });

    it("in the body's plan: before the headers the app's error handler answers; after them the response is cut off; the process stays up", async () => {
      const log = new MemoryLog();
      const bug = (): never => {
        throw new Error("body plan bug");
      };
      const { handler, close } = wired(ruleDir({ "p.yaml": protectRule("list") }), log, (c) => {
        const real = c.resolve<BodyRewriting>(TOKENS.body);
        const broken = Object.create(real, {
          attach: {
            value(_req: unknown, res: ServerResponse, _d: unknown, _r: unknown, _m: unknown, _o: unknown, tap?: ResponseTap) {
              // A stream that passes its first chunk, then throws.
              let chunks = 0;
              (tap ?? ResponseTap.of(res)).body({ onHeaders: () => ({ whole: bug, stream: (sink) => ({ write: (chunk) => (chunks++ === 0 ? sink.write(chunk) : bug()), end: bug, destroy: () => {} }) }) });
            },
          },
        }) as BodyRewriting;
        c.register(TOKENS.body, { useValue: broken });
      });
      const app = express();
      app.use(handler);
      app.get("/whole", (_req, res) => void res.type("html").send("<!doctype html><p>x</p>"));
      app.get("/streamed", (_req, res) => {
        res.type("html");
        res.write("<!doctype html><p>first</p>");
        setTimeout(() => {
          res.write("<p>second</p>");
          res.end();
        }, 5);
      });
      app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(503).type("text").send(error.message);
      });
      const server = await listen(app);
      try {
        const whole = await fetch(`${server.url}/whole`, { headers: { "X-Forwarded-For": RU } });
        expect(whole.status).to.equal(503);
        expect(await whole.text()).to.equal("body plan bug");
        const streamed = await fetch(`${server.url}/streamed`, { headers: { "X-Forwarded-For": RU } });
        expect(streamed.status).to.equal(200);
        let cut = false;
        try {
          await streamed.text();
        } catch {
          cut = true;
        }
        expect(cut, "the body was cut off, not sent unread").to.equal(true);
        // Still serving: the next request is answered as the first was.
        expect((await fetch(`${server.url}/whole`)).status).to.equal(503);
      } finally {
        await server.close();
        await close();
      }
    });
  });
});
