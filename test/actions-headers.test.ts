import { expect } from "chai";
import express5 from "express";
import express4 from "express4";
import { assertRuleHeaders, HeaderError, headerProblem, permissionsPolicy } from "../src/actions/headers.js";
import { createHandler } from "../src/http/middleware.js";
import type { Action } from "../src/rules/actions.js";
import { actionMiddleware, RU, rawRequest, ruleLike, ruleSetWith, shippedRuleSet, testBodyRewriting, US } from "./support/action-site.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

type ExpressLike = typeof express5;

const TRACKERS: Action = { kind: "trackers", rule: "ru-undesirable-organization", mode: "list", allow: [] };

describe("rule-given headers are checked", () => {
  it("refuses CR/LF, bad names, reserved names and characters a header cannot carry, saying which and why", () => {
    expect(headerProblem("X-Note", "fine; value")).to.equal(null);
    expect(headerProblem("X-Note", "a\r\nSet-Cookie: stolen=1")).to.equal("header X-Note: the value contains a line break (CR or LF); a header value must be a single line");
    expect(headerProblem("X-Note", "a\nb")).to.contain("line break");
    expect(headerProblem("X Note", "v")).to.equal('"X Note" is not a header name: use letters, digits and - only, such as X-Robots-Tag');
    expect(headerProblem("X-Note\r\nX-Evil", "v")).to.contain("is not a header name");
    expect(headerProblem("Set-Cookie", "a=1")).to.equal("header Set-Cookie cannot be set by a rule: it is managed by the server or by another action");
    expect(headerProblem("content-length", "0")).to.contain("cannot be set by a rule");
    expect(headerProblem("X-Note", " ")).to.equal("header X-Note needs a non-empty text value");
    expect(headerProblem("X-Note", "Привет")).to.contain('"П" (U+041F), which a header cannot carry');
    expect(headerProblem("X-Note", "a\u0000b")).to.contain("U+0000");
  });

  it("stops construction when a rule asks for a header with a line break, naming the rule, file and line", () => {
    const base = shippedRuleSet();
    const bad = ruleLike(base, "bad-headers", { headers: [{ kind: "header", rule: "bad-headers", name: "X-Frame-Note", value: "ok\r\nSet-Cookie: x=1" }] });
    const ruleset = ruleSetWith(base, [...base.rules, bad]);
    let thrown: unknown;
    try {
      assertRuleHeaders(ruleset);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(HeaderError);
    const { file, line, col } = bad.source;
    expect((thrown as HeaderError).problems).to.deep.equal([`${file}:${line}:${col}: rule bad-headers: header X-Frame-Note: the value contains a line break (CR or LF); a header value must be a single line`]);
    // The middleware runs the same check when it is built: nothing is served under such a rule.
    const parts = { resolver: { resolve: () => ({ region: { country: null, subdivision: null, source: "none" as const }, address: null }) }, ruleset: () => ruleset, body: testBodyRewriting(), log: { write() {}, lifecycle() {}, flush: () => Promise.resolve() }, clock: () => new Date() };
    expect(() => createHandler(parts)).to.throw(HeaderError, /bad-headers: header X-Frame-Note: the value contains a line break/);
    expect(() => createHandler({ ...parts, ruleset: () => base })).not.to.throw();
  });
});

describe("Permissions-Policy merge", () => {
  it("turns browsing-topics off, keeping the app's other features, and replaces a policy browsers would ignore", () => {
    expect(permissionsPolicy(null)).to.equal("browsing-topics=()");
    expect(permissionsPolicy("camera=(), geolocation=(self \"https://maps.example\")")).to.equal('camera=(), geolocation=(self "https://maps.example"), browsing-topics=()');
    expect(permissionsPolicy("browsing-topics=*, camera=()")).to.equal("camera=(), browsing-topics=()");
    expect(permissionsPolicy("browsing-topics=(self);report-to=x")).to.equal("browsing-topics=()");
    expect(permissionsPolicy("camera=(self")).to.equal("browsing-topics=()");
    expect(permissionsPolicy("Camera=()")).to.equal("browsing-topics=()");
  });
});

for (const [name, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressLike],
] as const) {
  describe(`header actions over HTTP (${name})`, () => {
    let server: Running;
    let log: MemoryLog;

    before(async () => {
      log = new MemoryLog();
      const app = express();
      app.use(
        actionMiddleware({
          log,
          actionsFor: (region, facts) => {
            if (region.country !== "RU") return [];
            if (facts.path === "/bad-header") return [{ kind: "header", rule: "r", name: "X-Note", value: "a\r\nSet-Cookie: injected=1" }];
            return [TRACKERS, { kind: "header", rule: "ru-undesirable-organization", name: "X-Robots-Tag", value: "noindex, noarchive" }];
          },
        }),
      );
      app.get("/plain", (_req, res) => {
        res.type("html").send("<p>plain</p>");
      });
      app.get("/app-policies", (_req, res) => {
        res.setHeader("Referrer-Policy", "unsafe-url");
        res.setHeader("Permissions-Policy", "camera=()");
        res.setHeader("X-Robots-Tag", "all");
        res.type("html").send("<p>with policies</p>");
      });
      app.get("/write-head", (_req, res) => {
        res.writeHead(200, { "Content-Type": "text/plain", "Referrer-Policy": "unsafe-url" });
        res.end("written");
      });
      app.get("/bad-header", (_req, res) => {
        res.type("text").send("served");
      });
      server = await listen(app);
    });
    after(() => server.close());

    it("sends Referrer-Policy: no-referrer and turns browsing-topics off for a reader whose trackers are off", async () => {
      const res = await fetch(`${server.url}/plain`, { headers: { "X-Forwarded-For": RU } });
      expect(res.headers.get("referrer-policy")).to.equal("no-referrer");
      expect(res.headers.get("permissions-policy")).to.equal("browsing-topics=()");
      expect(res.headers.get("x-robots-tag")).to.equal("noindex, noarchive");
      // The page keeps its bytes; the guard script that stops late-inserted trackers goes first.
      expect((await res.text()).replace(/<script data-geo-compliance="guard">[^]*?<\/script>/, "")).to.equal("<p>plain</p>");
    });

    it("overrides a looser Referrer-Policy and keeps the app's other permissions, including headers given to writeHead", async () => {
      const res = await fetch(`${server.url}/app-policies`, { headers: { "X-Forwarded-For": RU } });
      expect(res.headers.get("referrer-policy")).to.equal("no-referrer");
      expect(res.headers.get("permissions-policy")).to.equal("camera=(), browsing-topics=()");
      expect(res.headers.get("x-robots-tag")).to.equal("noindex, noarchive");
      const head = await fetch(`${server.url}/write-head`, { headers: { "X-Forwarded-For": RU } });
      expect(head.headers.get("referrer-policy")).to.equal("no-referrer");
      expect(await head.text()).to.equal("written");
    });

    it("leaves the app's headers alone for a reader the rules leave alone", async () => {
      const res = await fetch(`${server.url}/app-policies`, { headers: { "X-Forwarded-For": US } });
      expect(res.headers.get("referrer-policy")).to.equal("unsafe-url");
      expect(res.headers.get("permissions-policy")).to.equal("camera=()");
      expect(res.headers.get("x-robots-tag")).to.equal("all");
      const plain = await fetch(`${server.url}/plain`, { headers: { "X-Forwarded-For": US } });
      expect(plain.headers.get("referrer-policy")).to.equal(null);
      expect(plain.headers.get("permissions-policy")).to.equal(null);
    });

    it("never sends a header with a line break that reached a decision: the page is served without it and the log says why", async () => {
      const before = log.decisions().length;
      const res = await rawRequest(`${server.url}/bad-header`, { headers: { "X-Forwarded-For": RU } });
      expect(res.status).to.equal(200);
      expect(res.body).to.equal("served");
      expect(res.headers).not.to.have.property("x-note");
      expect(res.headers).not.to.have.property("set-cookie");
      const line = (await log.waitFor(before + 1)).at(-1);
      expect(line?.error).to.equal("rule r: header X-Note: the value contains a line break (CR or LF); a header value must be a single line");
    });
  });
}
