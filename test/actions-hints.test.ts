import { expect } from "chai";
import express from "express";
import { request } from "node:http";
import { filterLinks, refreshTarget } from "../src/actions/resource-hints.js";
import type { Action } from "../src/rules/actions.js";
import { actionMiddleware, headerLines, RU, rawRequest, US } from "./support/action-site.js";
import { listen, type Running } from "./support/server.js";

const RULE = "ru-undesirable-organization";
const THIRD_PARTY: Action = { kind: "trackers", rule: RULE, mode: "third-party", allow: ["static-cdn.example"] };
const LIST: Action = { kind: "trackers", rule: RULE, mode: "list", allow: [] };

const LINKS = [
  "</app.css>; rel=preload; as=style, <https://fonts.other.example>; rel=preconnect",
  '<https://www.google-analytics.com>; rel="dns-prefetch preconnect", <https://static-cdn.example/a.js>; rel=modulepreload',
  "<https://other.example/story>; rel=canonical",
];

/** 103 responses and the final one, as a client sees them. */
function withEarlyHints(url: string, headers: Record<string, string>): Promise<{ hints: Array<Record<string, unknown>>; status: number }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const hints: Array<Record<string, unknown>> = [];
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve({ hints, status: res.statusCode ?? 0 }));
    });
    req.on("information", (info) => {
      if (info.statusCode === 103) hints.push(info.headers);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("resource hints in headers", () => {
  it("drop the Link entries that would connect to or fetch from a blocked host, and keep the rest as written", () => {
    const blocked = (u: string): boolean => !u.startsWith("/") && !u.includes("static-cdn.example");
    expect(filterLinks(LINKS, blocked)).to.deep.equal([
      "</app.css>; rel=preload; as=style",
      "<https://static-cdn.example/a.js>; rel=modulepreload",
      "<https://other.example/story>; rel=canonical",
    ]);
    expect(filterLinks("<https://a.example/x,y>; rel=preload; as=script", blocked)).to.equal(null);
    // What does not parse would be read some way by some browser: it goes.
    expect(filterLinks("https://a.example; rel=preconnect, </ok>; rel=preload", blocked)).to.deep.equal(["</ok>; rel=preload"]);
    expect(filterLinks('</a.png>; rel=preload; as=image; imagesrcset="/a.png 1x, https://img.other.example/a.png 2x"', blocked)).to.equal(null);
    expect(filterLinks('</a.png>; rel=preload; as=image; imagesrcset="/a.png 1x, /b.png 2x"', blocked)).to.deep.equal(['</a.png>; rel=preload; as=image; imagesrcset="/a.png 1x, /b.png 2x"']);
    // A relation nobody knows yet may fetch: it goes too.
    expect(filterLinks("<https://a.example/d>; rel=compression-dictionary", blocked)).to.equal(null);
  });

  it("read a Refresh target as the HTML standard does", () => {
    expect(refreshTarget("5; url=https://a.example/x")).to.equal("https://a.example/x");
    expect(refreshTarget("0,URL='https://a.example/x'")).to.equal("https://a.example/x");
    expect(refreshTarget("3 https://a.example/")).to.equal("https://a.example/");
    expect(refreshTarget("10")).to.equal(null);
  });
});

describe("response headers for a protected reader over HTTP", () => {
  // Each header the browser would act on before or beside the markup: hints, navigations, reports.
  let server: Running;

  before(async () => {
    const app = express();
    app.use(actionMiddleware({ actionsFor: (region, facts) => (region.country !== "RU" ? [] : facts.path.startsWith("/list") ? [LIST] : [THIRD_PARTY]) }));
    const page = (_req: express.Request, res: express.Response): void => {
      res.setHeader("Link", LINKS);
      res.setHeader("Speculation-Rules", '"/rules.json"');
      res.setHeader("Refresh", "30; url=https://www.google-analytics.com/away");
      res.setHeader("Reporting-Endpoints", 'csp="https://report.other.example/r", own="/reports"');
      res.setHeader("Report-To", '{"group":"g","max_age":60,"endpoints":[{"url":"https://report.other.example/r"}]}');
      res.setHeader("NEL", '{"report_to":"g","max_age":60}');
      res.type("html").send("<p>page</p>");
    };
    app.get("/page", page);
    app.get("/list", page);
    app.get("/refresh-home", (_req, res) => {
      res.setHeader("Refresh", "30; url=/latest");
      res.type("html").send("<p>home</p>");
    });
    app.get("/hints", (_req, res) => {
      res.writeEarlyHints({ link: ["</app.css>; rel=preload; as=style", "<https://fonts.other.example>; rel=preconnect"] });
      res.writeEarlyHints({ link: "<https://fonts.other.example>; rel=preconnect" });
      res.type("html").send("<p>hints</p>");
    });
    app.get("/worker.js", (_req, res) => {
      res.type("text/javascript").send('fetch("https://collect.other.example/")');
    });
    server = await listen(app);
  });
  after(() => server.close());

  it("drop Link entries to third parties, the speculation rules and a Refresh away, and turn DNS prefetching off", async () => {
    const res = await rawRequest(`${server.url}/page`, { headers: { "X-Forwarded-For": RU } });
    expect(headerLines(res, "link")).to.deep.equal(["</app.css>; rel=preload; as=style", "<https://static-cdn.example/a.js>; rel=modulepreload", "<https://other.example/story>; rel=canonical"]);
    expect(res.headers["speculation-rules"]).to.equal(undefined);
    expect(res.headers.refresh).to.equal(undefined);
    expect(res.headers["x-dns-prefetch-control"]).to.equal("off");
    // Reports the browser would send to a third party, and Network Error Logging.
    expect(res.headers["reporting-endpoints"]).to.equal('own="/reports"');
    expect(res.headers["report-to"]).to.equal(undefined);
    expect(res.headers.nel).to.equal(undefined);
  });

  it("in list mode drop only what goes to a listed tracker", async () => {
    const res = await rawRequest(`${server.url}/list`, { headers: { "X-Forwarded-For": RU } });
    expect(headerLines(res, "link")).to.deep.equal([LINKS[0], "<https://static-cdn.example/a.js>; rel=modulepreload", LINKS[2]]);
    expect(res.headers["speculation-rules"]).to.equal(undefined);
    expect(res.headers.refresh).to.equal(undefined);
  });

  it("keep a Refresh to the site's own page, and everything for readers no rule applies to", async () => {
    const home = await rawRequest(`${server.url}/refresh-home`, { headers: { "X-Forwarded-For": RU } });
    expect(home.headers.refresh).to.equal("30; url=/latest");
    const free = await rawRequest(`${server.url}/page`, { headers: { "X-Forwarded-For": US } });
    expect(headerLines(free, "link")).to.deep.equal(LINKS);
    expect(free.headers["speculation-rules"]).to.equal('"/rules.json"');
    expect(free.headers.refresh).to.equal("30; url=https://www.google-analytics.com/away");
    expect(free.headers["x-dns-prefetch-control"]).to.equal(undefined);
    expect(free.headers["reporting-endpoints"]).to.equal('csp="https://report.other.example/r", own="/reports"');
    expect(free.headers.nel).to.equal('{"report_to":"g","max_age":60}');
  });

  it("filter 103 Early Hints, and send none when nothing is left to hint", async () => {
    const ru = await withEarlyHints(`${server.url}/hints`, { "X-Forwarded-For": RU });
    expect(ru.status).to.equal(200);
    expect(ru.hints.map((h) => h.link)).to.deep.equal(["</app.css>; rel=preload; as=style"]);
    const us = await withEarlyHints(`${server.url}/hints`, { "X-Forwarded-For": US });
    expect(us.hints.map((h) => h.link)).to.deep.equal(["</app.css>; rel=preload; as=style, <https://fonts.other.example>; rel=preconnect", "<https://fonts.other.example>; rel=preconnect"]);
  });

  it("send the third-party policy with a worker's script, which governs what the worker fetches", async () => {
    for (const dest of ["worker", "sharedworker", "serviceworker"]) {
      const res = await rawRequest(`${server.url}/worker.js`, { headers: { "X-Forwarded-For": RU, "Sec-Fetch-Dest": dest, Host: "news.example:8080" } });
      const [policy] = headerLines(res, "content-security-policy");
      expect(policy, dest).to.match(/connect-src 'self' news\.example:\* \*\.news\.example:\* static-cdn\.example \*\.static-cdn\.example;/);
      // The worker guard goes first, for the worker's own global; the script follows unchanged.
      expect(res.body, dest).to.match(/^\(function\(W,R,L,FP,FH\)\{/);
      expect(res.body.endsWith('fetch("https://collect.other.example/")'), dest).to.equal(true);
    }
  });

  it("allow a site served from a public-suffix host itself, on any port, never its neighbours", async () => {
    for (const host of ["news.github.io", "news.github.io:8443", "site.pages.dev", "site.vercel.app"]) {
      const res = await rawRequest(`${server.url}/page`, { headers: { "X-Forwarded-For": RU, Host: host } });
      const [policy] = headerLines(res, "content-security-policy");
      const name = host.replace(/:\d+$/, "");
      expect(policy, host).to.contain(`default-src 'self' ${name}:* *.${name}:* static-cdn.example`);
      expect(policy, host).not.to.match(/\*\.(?:github\.io|pages\.dev|vercel\.app)[ :;]/);
    }
  });
});
