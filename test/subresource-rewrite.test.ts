import { gzipSync } from "node:zlib";
import { runInNewContext } from "node:vm";
import { expect } from "chai";
import express from "express";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import { TrackerMatcher } from "../src/actions/trackers/matcher.js";
import { afterPrologue, INERT_SPECIFIER, rewriteImports, withGuardFirst } from "../src/actions/trackers/script-imports.js";
import { workerGuardScript } from "../src/actions/trackers/guard.js";
import { newOutcome } from "../src/http/body-rewriter.js";
import { rewriteSubresource, rewriteSubresourceWhole, type SubresourcePlan } from "../src/http/subresource-rewrite.js";
import type { Action } from "../src/rules/actions.js";
import { actionMiddleware, rawRequest, RU, US } from "./support/action-site.js";
import { trackers } from "./support/decisions.js";
import { rewrite, planOf } from "./support/rewrite.js";
import { listen, type Running } from "./support/server.js";

const TRACKER = "https://www.google-analytics.com/m.js";
const LIST = loadShippedTrackerList();
const matcher = (mode: "list" | "third-party" = "list") => new TrackerMatcher([trackers(mode)], LIST, "news.example");
const judge = (m = matcher()) => (specifier: string) => m.blocks(specifier);
const CHECK = `(0,globalThis[Symbol.for("geo-compliance.import")])(`;

function planFor(kind: "style" | "script", destination: SubresourcePlan["destination"] = "other", mode: "list" | "third-party" = "list"): SubresourcePlan {
  const m = matcher(mode);
  return { kind, trackers: m, destination, workerGuard: (only) => workerGuardScript({ rules: m.guardRules(), listDomains: m.list.domains(), firstPartyDomain: m.firstPartyDomain, firstPartyHost: m.firstPartyHost }, only) };
}

describe("script imports rewritten for a protected reader", () => {
  it("makes a literal specifier of a blocked host inert, static and dynamic, and leaves the site's own alone", () => {
    const code = `import a from "${TRACKER}";export * from '${TRACKER}';import b from "./b.js";import("${TRACKER}");import("/own.js");`;
    const r = rewriteImports(code, judge());
    expect(r.kind).to.equal("rewritten");
    if (r.kind !== "rewritten") return;
    expect(r.code).to.equal(`import a from "${INERT_SPECIFIER}";export * from '${INERT_SPECIFIER}';import b from "./b.js";import("${INERT_SPECIFIER}");import("/own.js");`);
    expect(r.blocked).to.equal("Google Analytics");
  });

  it("decodes escapes in a literal before judging it", () => {
    const r = rewriteImports(`import("https:\\x2f\\x2fwww.google-analytics.com/m.js")`, judge());
    expect(r.kind === "rewritten" && r.code).to.equal(`import("${INERT_SPECIFIER}")`);
  });

  it("wraps a non-literal argument where it stands, so relative specifiers still resolve against the module, and keeps import attributes", () => {
    const r = rewriteImports(`import(h+"/m.js");import(\`./\${n}.js\`, { with: { type: "json" } });import . source(x)`, judge());
    expect(r.kind === "rewritten" && r.code).to.equal(`import(${CHECK}h+"/m.js"));import(${CHECK}\`./\${n}.js\`), { with: { type: "json" } });import . source(${CHECK}x))`);
  });

  it("fails closed where the check is missing: the wrapped call throws before it loads", () => {
    const r = rewriteImports(`import(u)`, judge());
    expect(r.kind).to.equal("rewritten");
    if (r.kind !== "rewritten") return;
    expect(() => runInNewContext(r.code, { u: TRACKER })).to.throw().with.property("name", "TypeError");
  });

  it("leaves scripts that import nothing, or only the site's own, byte for byte", () => {
    expect(rewriteImports(`var important = 1; obj.import(x);`, judge())).to.deep.equal({ kind: "same" });
    expect(rewriteImports(`import x from "./x.js"; import("/y.js")`, judge())).to.deep.equal({ kind: "same" });
  });

  it("switches off a script it cannot read that may import, and lets one that never imports pass", () => {
    expect(rewriteImports(`}}}} import(x)`, judge()).kind).to.equal("unreadable");
    expect(rewriteImports(`}}}} var important`, judge())).to.deep.equal({ kind: "same" });
    const outcome = newOutcome();
    const out = rewriteSubresource(`}}}} import(x)`, planFor("script"), outcome);
    expect(out).to.match(/^throw new Error\(/);
    expect(() => runInNewContext(out!, {})).to.throw(/switched off/);
  });

  it("puts code after the directive prologue, on its line, so \"use strict\" stays a directive and line numbers stay", () => {
    expect(afterPrologue(`"use strict";\nfoo()`)).to.deep.equal({ at: 13, semicolon: false });
    expect(afterPrologue(`'use strict'\nfoo()`)).to.deep.equal({ at: 12, semicolon: true });
    expect(afterPrologue(`/* c */ "a"; 'b';x`)).to.deep.equal({ at: 17, semicolon: false });
    expect(afterPrologue(`"not" + a`)).to.deep.equal({ at: 0, semicolon: false });
    expect(afterPrologue(`#!/usr/bin/env node\n"use strict";`).at).to.equal(33);
    const code = `"use strict";\n(function () { return this === undefined; })();`;
    const guarded = withGuardFirst(code, "var g=1;");
    expect(guarded).to.equal(`"use strict";var g=1;\n(function () { return this === undefined; })();`);
    expect(runInNewContext(guarded, {}), "still strict").to.equal(true);
    expect(withGuardFirst(`'use strict'\nx`, "g();")).to.equal(`'use strict';g();\nx`);
  });
});

describe("first-party scripts and stylesheets rewritten for a protected reader", () => {
  it("puts the worker guard first only in a worker script, and a self-checking one where the destination is not said", () => {
    const code = `"use strict";fetch(${JSON.stringify(TRACKER)});`;
    expect(rewriteSubresource(code, planFor("script", "other"), newOutcome()), "a page's script").to.equal(null);
    const worker = rewriteSubresource(code, planFor("script", "worker"), newOutcome())!;
    expect(worker.startsWith(`"use strict";(function(W,R,L,FP,FH){`)).to.equal(true);
    expect(worker.endsWith(`fetch(${JSON.stringify(TRACKER)});`)).to.equal(true);
    expect(worker.split("\n")).to.have.length(1);
    const unknown = rewriteSubresource(code, planFor("script", "unknown"), newOutcome())!;
    expect(unknown).to.contain(`typeof WorkerGlobalScope!=="function"`);
  });

  it("the worker guard stops a worker's fetch, importScripts and import() of a blocked host, and lets the site's own through", async () => {
    const guard = planFor("script", "worker").workerGuard(false);
    const calls: string[] = [];
    const self: Record<string | symbol, unknown> = {
      location: { hostname: "news.example", href: "https://news.example/w.js" },
      URL,
      Symbol,
      Promise,
      DOMException,
      fetch: (u: string) => (calls.push(`fetch ${u}`), Promise.resolve("ok")),
      importScripts: (...u: string[]) => void calls.push(`importScripts ${u.join(" ")}`),
    };
    self.self = self;
    runInNewContext(guard, { self, Symbol, Object, Array, String, Reflect, WeakSet, JSON, Promise, TypeError });
    const fetchIt = self.fetch as (u: string) => Promise<unknown>;
    let refused = false;
    await fetchIt(TRACKER).catch(() => (refused = true));
    expect(refused).to.equal(true);
    await fetchIt("https://news.example/api");
    expect(() => (self.importScripts as (u: string) => void)("https://www.google-analytics.com/i.js")).to.throw();
    const check = self[Symbol.for("geo-compliance.import")] as (u: unknown) => string;
    expect(check(TRACKER)).to.equal(INERT_SPECIFIER);
    expect(check("./m.js")).to.equal("./m.js");
    expect(calls).to.deep.equal(["fetch https://news.example/api"]);
  });

  it("makes a stylesheet's url() and @import of blocked hosts inert; relative URLs resolve against the file and stay", () => {
    const css = `@import "//www.google-analytics.com/i.css";body{background:url(img/bg.png)}p{background:url(../x.png)}div{background:url(https://www.google-analytics.com/p.gif)}`;
    const out = rewriteSubresource(css, planFor("style"), newOutcome());
    expect(out).to.equal(`@import url(about:invalid);body{background:url(img/bg.png)}p{background:url(../x.png)}div{background:url(about:invalid)}`);
    expect(rewriteSubresource(`body{background:url(img/bg.png)}`, planFor("style", "other", "third-party"), newOutcome()), "the site's own in third-party mode").to.equal(null);
  });

  it("fails closed past its bound: a stylesheet too large goes out empty, a script throws", () => {
    const outcome = newOutcome();
    expect(rewriteSubresourceWhole(planFor("style"), outcome, Buffer.alloc(100, "a"), 10).toString()).to.match(/^\/\*.*\*\/$/);
    expect(outcome.notes[0]).to.contain("longer than 10 bytes");
    expect(rewriteSubresourceWhole(planFor("script"), newOutcome(), Buffer.alloc(100, "a"), 10).toString()).to.match(/^throw /);
  });

  it("wraps import() in inline scripts of a page, and leaves the rest of the page as it was", () => {
    const plan = planOf([trackers("list")]);
    const page = `<p>x</p><script type="module">import(h)</script><script>import(a, { with: { type: "json" } })</script><script>var a = 1;</script>`;
    const out = rewrite(page, plan).out.toString();
    expect(out).to.contain(`<script type="module">import(${CHECK}h))</script>`);
    expect(out).to.contain(`<script>import(${CHECK}a), { with: { type: "json" } })</script>`);
    expect(out).to.contain(`<script>var a = 1;</script>`);
    const unreadable = rewrite(`<script>}}}} import(h)</script>`, plan).out.toString();
    expect(unreadable).to.match(/<script type="text\/plain" data-geo-compliance-blocked="unreadable-imports">/);
  });
});

describe("first-party scripts and stylesheets over HTTP", () => {
  let server: Running;
  const CSS = `body{background:url(https://www.google-analytics.com/p.gif)}`;
  const WORKER = `fetch("https://www.google-analytics.com/w")`;
  before(async () => {
    const app = express();
    app.use(actionMiddleware({ actionsFor: (region): Action[] => (region.country === "RU" ? [trackers("list")] : []) }));
    app.get("/site.css", (_req, res) => {
      res.set("Cache-Control", "public, max-age=600").set("ETag", '"v1"').type("text/css").send(CSS);
    });
    app.get("/site-gz.css", (_req, res) => {
      res.set("Content-Encoding", "gzip").type("text/css").end(gzipSync(CSS));
    });
    app.get("/w.js", (_req, res) => {
      res.set("Cache-Control", "public, max-age=600").type("text/javascript");
      res.write(WORKER.slice(0, 10));
      res.end(WORKER.slice(10));
    });
    app.get("/logo.png", (_req, res) => {
      res.set("Cache-Control", "public, max-age=600").type("image/png").send(Buffer.from("png"));
    });
    server = await listen(app);
  });
  after(() => server.close());

  it("gives a reader no rule applies to the app's bytes and caching", async () => {
    for (const path of ["/site.css", "/w.js"]) {
      const res = await rawRequest(`${server.url}${path}`, { headers: { "X-Forwarded-For": US, "Sec-Fetch-Dest": "worker" } });
      expect(res.body, path).to.equal(path === "/site.css" ? CSS : WORKER);
    }
  });

  it("rewrites a protected reader's stylesheet, whole or compressed, gives it its own validator and marks it private", async () => {
    const res = await rawRequest(`${server.url}/site.css`, { headers: { "X-Forwarded-For": RU, "Sec-Fetch-Dest": "style" } });
    expect(res.body).to.equal(`body{background:url(about:invalid)}`);
    expect(res.headers["cache-control"]).to.equal("private, max-age=600");
    expect(res.headers.etag).to.match(/^"v1-gc/);
    const again = await rawRequest(`${server.url}/site.css`, { headers: { "X-Forwarded-For": RU, "Sec-Fetch-Dest": "style", "If-None-Match": '"v1"' } });
    expect(again.status, "the app's validator does not bring back the app's bytes").to.equal(200);
    expect(again.body).to.equal(`body{background:url(about:invalid)}`);
    const gz = await new Promise<Buffer>((resolve, reject) => {
      fetch(`${server.url}/site-gz.css`, { headers: { "X-Forwarded-For": RU, "Accept-Encoding": "gzip" } }).then((r) => r.arrayBuffer()).then((b) => resolve(Buffer.from(b)), reject);
    });
    expect(gz.toString()).to.equal(`body{background:url(about:invalid)}`);
  });

  it("puts the worker guard in a streamed worker script for a worker destination only, and leaves images' caching alone", async () => {
    const worker = await rawRequest(`${server.url}/w.js`, { headers: { "X-Forwarded-For": RU, "Sec-Fetch-Dest": "worker" } });
    expect(worker.body.startsWith("(function(W,R,L,FP,FH){")).to.equal(true);
    expect(worker.body.endsWith(WORKER)).to.equal(true);
    expect(worker.headers["cache-control"]).to.equal("private, max-age=600");
    const script = await rawRequest(`${server.url}/w.js`, { headers: { "X-Forwarded-For": RU, "Sec-Fetch-Dest": "script" } });
    expect(script.body).to.equal(WORKER);
    const image = await rawRequest(`${server.url}/logo.png`, { headers: { "X-Forwarded-For": RU } });
    expect(image.headers["cache-control"]).to.equal("public, max-age=600");
  });
});

describe("data: documents in frames for a protected reader", () => {
  it("switches off a data: frame, object or embed whose document loads a blocked host or runs script, and keeps a harmless one", () => {
    const plan = planOf([trackers("list")]);
    const img = encodeURIComponent(`<img src="${TRACKER}">`);
    const b64 = Buffer.from(`<img src="${TRACKER}">`).toString("base64");
    for (const markup of [`<iframe src="data:text/html,${img}"></iframe>`, `<iframe src="data:text/html;base64,${b64}"></iframe>`, `<object data="data:text/html,${img}"></object>`, `<iframe src="data:text/html,%3Cscript%3Ex()%3C/script%3E"></iframe>`]) {
      expect(rewrite(markup, plan).out.toString(), markup).to.match(/data-geo-compliance-(src|data)="data:/);
    }
    const harmless = `<iframe src="data:text/html,%3Cp%3Ehello%3C/p%3E"></iframe><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">`;
    expect(rewrite(harmless, plan).out.toString()).to.contain(harmless);
  });
});
