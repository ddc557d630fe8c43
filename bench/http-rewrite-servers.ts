// The servers for bench/http-rewrite.ts, in their own process so that its memory is the server's alone.
import express, { type Express, type RequestHandler } from "express";
import type { AddressInfo } from "node:net";
import { NoticeRenderer } from "../src/actions/notice.js";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import { BodyRewriting } from "../src/http/body-rewrite.js";
import { newOutcome } from "../src/http/body-rewriter.js";
import { geoCompliance } from "../src/index.js";
import { consent, decisionWith, notice, shippedRuleset, trackers } from "../test/support/decisions.js";
import { newsPage } from "../test/support/news-page.js";

const PAGE = newsPage(300 * 1024);
const BIG_BLOCK = Buffer.from(`<div class="row"><p>${"Ferry timetables change with the river. ".repeat(40)}</p><img src="/img/x.jpg" alt=""></div>\n`);
const BIG_BLOCKS = Math.ceil((50 * 1024 * 1024) / BIG_BLOCK.length);

function site(mw?: RequestHandler): Express {
  const app = express();
  if (mw) app.use(mw);
  app.get("/page", (_q, r) => void r.type("html").send(PAGE));
  app.get("/big", (_q, res) => {
    res.type("html");
    res.write("<!doctype html><html><head><title>big</title></head><body>");
    let i = 0;
    const pump = (): void => {
      while (i < BIG_BLOCKS) {
        i++;
        if (!res.write(BIG_BLOCK)) return void res.once("drain", pump);
      }
      res.end("</body></html>");
    };
    pump();
  });
  app.get("/slow", (_q, res) => {
    res.type("html");
    res.write(PAGE.slice(0, 2000));
    setTimeout(() => res.end(PAGE.slice(2000)), 500);
  });
  return app;
}

const quiet = { trustProxy: ["loopback"], decisionLog: false } as const;
const withCache = geoCompliance(quiet);
const noCache = geoCompliance({ ...quiet, rewriteCache: false });
// Notice, trackers and consent together, from the actions contract (the shipped rule asks for the notice only).
const body = new BodyRewriting({ trackers: loadShippedTrackerList(), notices: new NoticeRenderer(), cacheBytes: 64 * 1024 * 1024 });
const full = decisionWith([notice({ at: "body-start" }, { language: "ru" }), trackers("list"), consent()]);
const allActions: RequestHandler = (req, res, next) => {
  withCache(req, res, () => {
    // The real middleware has decided (region, log line); the body stage gets the fuller decision.
    body.attach(req, res, full, shippedRuleset(), {}, newOutcome());
    next();
  });
};

const servers = {
  plain: site(),
  guarded: site(withCache),
  guardedNoCache: site(noCache),
  guardedAll: site(allActions),
};
const ports: Record<string, number> = {};
let pending = Object.keys(servers).length;
for (const [name, app] of Object.entries(servers)) {
  const s = app.listen(0, "127.0.0.1", () => {
    ports[name] = (s.address() as AddressInfo).port;
    if (--pending === 0) process.send?.({ ports });
  });
}

// Peak RSS while asked.
let sampler: NodeJS.Timeout | null = null;
let peak = 0;
process.on("message", (m: { rss?: "start" | "stop"; cpu?: true }) => {
  if (m.cpu) {
    const u = process.cpuUsage();
    process.send?.({ cpuMicros: u.user + u.system });
  } else if (m.rss === "start") {
    global.gc?.();
    const base = process.memoryUsage.rss();
    peak = base;
    sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
    process.send?.({ base });
  } else if (m.rss === "stop") {
    if (sampler) clearInterval(sampler);
    process.send?.({ peak: Math.max(peak, process.memoryUsage.rss()) });
  }
});
process.on("disconnect", () => process.exit(0));
