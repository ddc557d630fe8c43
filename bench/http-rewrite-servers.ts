// The servers for bench/http-rewrite.ts, in their own process so that its memory is the server's alone.
import express, { type Express, type RequestHandler } from "express";
import helmet from "helmet";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { geoCompliance, shippedRules } from "../src/index.js";
import { newsPage } from "../test/support/news-page.js";
import { answerCpu } from "./side-by-side.js";

const PAGE = newsPage(300 * 1024);
const BIG_BLOCK = Buffer.from(`<div class="row"><p>${"Ferry timetables change with the river. ".repeat(40)}</p><img src="/img/x.jpg" alt=""></div>\n`);

function site(mw?: RequestHandler): Express {
  const app = express();
  if (mw) app.use(mw);
  app.get("/page", (_q, r) => void r.type("html").send(PAGE));
  // ?mb=N: the page's size, so the bench can show memory does not grow with it.
  app.get("/big", (q, res) => {
    const blocks = Math.ceil((Number(q.query.mb ?? 50) * 1024 * 1024) / BIG_BLOCK.length);
    res.type("html");
    res.write("<!doctype html><html><head><title>big</title></head><body>");
    let i = 0;
    const pump = (): void => {
      while (i < blocks) {
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

/**
 * The same page carrying a fresh CSP nonce on each request, as helmet's documentation writes it:
 * a nonce in `res.locals`, the policy naming it, every script of the page carrying it. No two
 * responses are the same, so no reader's page comes from the rewrite cache.
 */
const PAGE_AROUND_NONCES = PAGE.split("<script");

function nonceSite(mw?: RequestHandler): Express {
  const app = express();
  if (mw) app.use(mw);
  app.use((_q, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString("hex");
    next();
  });
  app.use(helmet({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'", (_q, res) => `'nonce-${(res as express.Response).locals.cspNonce as string}'`] } } }));
  app.get("/page", (_q, r) => void r.type("html").send(PAGE_AROUND_NONCES.join(`<script nonce="${r.locals.cspNonce as string}"`)));
  return app;
}

// The decision log is measured on its own (`npm run bench -- logging`), and here in the rows that say so.
const quiet = { trustProxy: ["loopback"], decisionLog: false, watch: false } as const;
const logFile = join(mkdtempSync(join(tmpdir(), "gc-bench-rewrite-log-")), "decisions.jsonl");
const logged = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], decisionLog: { destination: logFile }, watch: false });
const withCache = geoCompliance({ rules: shippedRules, ...quiet });
const noCache = geoCompliance({ rules: shippedRules, ...quiet, rewriteCache: false });
// A reader in Russia gets the notice, trackers off by the list, and consent defaults, from a rule file.
const allActions = geoCompliance({ ...quiet, rules: fileURLToPath(new URL("../../bench/rules/notice-trackers-consent.yaml", import.meta.url)) });

const servers: Record<string, Express> = {
  plain: site(),
  // The same app again: its row against `plain` shows the noise of a ratio.
  plainAgain: site(),
  guardedLogged: site(logged),
  nonce: nonceSite(),
  nonceGuarded: nonceSite(geoCompliance({ rules: shippedRules, ...quiet })),
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
