// The servers for bench/http-rewrite.ts, in their own process so that its memory is the server's alone.
import express, { type Express, type RequestHandler } from "express";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { geoCompliance, shippedRules } from "../src/index.js";
import { newsPage } from "../test/support/news-page.js";
import { answerCpu } from "./side-by-side.js";

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

// The decision log is measured on its own (`npm run bench -- logging`).
const quiet = { trustProxy: ["loopback"], decisionLog: false, watch: false } as const;
const withCache = geoCompliance({ rules: shippedRules, ...quiet });
const noCache = geoCompliance({ rules: shippedRules, ...quiet, rewriteCache: false });
// A reader in Russia gets the notice, trackers off by the list, and consent defaults, from a rule file.
const allActions = geoCompliance({ ...quiet, rules: fileURLToPath(new URL("../../bench/rules/notice-trackers-consent.yaml", import.meta.url)) });

const servers: Record<string, Express> = {
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
answerCpu();
process.on("message", (m: { rss?: "start" | "stop" }) => {
  if (m.rss === "start") {
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
