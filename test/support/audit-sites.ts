/**
 * Sites for the audit's browser tests, all on 127.0.0.1: the demo site behind the middleware, a
 * site whose protection has gaps (each page leaks through one channel), and a third party that
 * records everything that reaches it.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import express from "express";
import { parse as parseCookie } from "cookie";
import { createDemoSite } from "../../demo/app.js";
import { geoCompliance, shippedRules, type GeoComplianceMiddleware } from "../../src/index.js";
import { PREVIEW_DECISION_HEADER } from "../../src/http/preview-decision.js";
import { DEFAULT_PREVIEW_COOKIE, verifyPreviewToken } from "../../src/region/preview-token.js";
import { listen, type Running } from "./server.js";

export const AUDIT_SECRET = "audit-test-secret-0123456789-abcdefghijklmnop";
/** Every name under it is sent to 127.0.0.1 by the audited browser. */
export const RESOLVER_ARG = "--chromium-arg=--host-resolver-rules=MAP *.example 127.0.0.1";

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

/** A third party: answers anything, and keeps every request's host, path and headers. */
export class Recorder {
  readonly seen: { host: string; url: string; headers: IncomingMessage["headers"] }[] = [];
  private running: Running | null = null;
  port = 0;

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.seen.push({ host: req.headers.host ?? "", url: req.url ?? "", headers: req.headers });
      req.resume();
      const url = req.url ?? "";
      const type = url.endsWith(".gif") || url.endsWith(".png") ? "image/gif" : url.endsWith(".js") ? "text/javascript" : "text/html";
      res.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" });
      // A third party's frame that loads from yet another one.
      const page = url === "/frame.html" ? `<!doctype html><p>widget</p><img src="http://inner.tracker.example:${this.port}/i.gif">` : "<!doctype html><p>third party</p>";
      res.end(type === "image/gif" ? GIF : type === "text/html" ? page : "");
    });
    server.on("upgrade", (_req, socket) => socket.destroy());
    this.running = await listen(server);
    this.port = Number(new URL(this.running.url).port);
  }

  /** `http://<label>.tracker.example:<port>` */
  origin(label: string): string {
    return `http://${label}.tracker.example:${this.port}`;
  }

  close(): Promise<void> {
    return this.running?.close() ?? Promise.resolve();
  }
}

export async function demoSite(): Promise<{ running: Running; compliance: GeoComplianceMiddleware }> {
  const compliance = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], decisionLog: false, watch: false, preview: { secret: AUDIT_SECRET } });
  await compliance.ready;
  return { running: await listen(createDemoSite(compliance)), compliance };
}

/** The notice as the middleware writes it, in Russian, for the gap pages that claim a decision. */
const NOTICE =
  '<section class="geo-compliance-notice" data-geo-compliance-notice="ru-undesirable-organization" role="region" lang="ru" style="display:block;padding:1em;background:#fff3cd;color:#000">' +
  '<strong class="geo-compliance-notice__title" style="display:block">Предупреждение для читателей в России</strong><p class="geo-compliance-notice__text">Правительство России признало это издание «нежелательной организацией».</p></section>';

function page(head: string, body = "", notice = NOTICE): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>gap</title>${head}</head><body>${notice}<h1>An article</h1><p>The text.</p>${body}</body></html>`;
}

/**
 * A site whose protection has gaps: the pages under /gap/ are not rewritten by the middleware but
 * answer with the decision a protected reader gets (the notice, trackers off for every third party),
 * as a site that mounted the middleware wrongly or cached a page past it would. Each page leaks
 * through one channel, so what the audit finds is a real contact. `/real/` is behind the middleware.
 */
export async function gapSite(recorder: Recorder): Promise<{ running: Running; compliance: GeoComplianceMiddleware }> {
  const compliance = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], decisionLog: false, watch: false, preview: { secret: AUDIT_SECRET } });
  await compliance.ready;
  const app = express();
  const t = (label: string): string => recorder.origin(label);
  app.use("/gap", (req, res, next) => {
    const token = parseCookie(req.headers.cookie ?? "")[DEFAULT_PREVIEW_COOKIE];
    const placed = token ? verifyPreviewToken(AUDIT_SECRET, token, new Date()) : null;
    if (placed?.ok) {
      res.setHeader("Geo-Compliance-Decision", randomUUID());
      res.setHeader(PREVIEW_DECISION_HEADER, `revision=gap0001; region=${placed.subdivision ?? placed.country}; rules=ru-undesirable-organization; notice=ru-undesirable-organization:ru; trackers=third-party; allow=`);
    }
    next();
  });
  const pages: Record<string, string> = {
    clean: page(""),
    script: page(`<script src="${t("script")}/tag.js"></script>`),
    css: page('<link rel="stylesheet" href="/gap/style.css">'),
    preconnect: page(`<script>var l=document.createElement("link");l.rel="preconnect";l.href=${JSON.stringify(t("preconnect"))};document.head.appendChild(l);</script>`),
    "link-header": page(""),
    twice: page("", NOTICE),
    iframe: page("", `<iframe src="${t("frame")}/frame.html"></iframe>`),
    english: page("", "", NOTICE.replace('lang="ru"', 'lang="en"')),
    navigation: page(`<script>setTimeout(function(){location.href=${JSON.stringify(`${t("navigation")}/away`)}},50)</script>`),
  };
  app.get("/gap/style.css", (_req, res) => void res.type("css").send(`body{background:url(${t("css")}/bg.png)}`));
  app.get("/gap/:name", (req, res) => {
    const html = pages[req.params.name];
    if (!html) return void res.status(404).send("not found");
    if (req.params.name === "link-header") res.setHeader("Link", `<${t("link-header")}>; rel=preconnect`);
    res.type("html").send(html);
  });
  // Behind the real middleware: a page whose own style hides the notice, and one that pushes it out of sight.
  const real = express.Router();
  real.use(compliance);
  real.get("/ok", (_req, res) => void res.type("html").send('<!doctype html><html><head><meta charset="utf-8"><title>ok</title></head><body><h1>An article</h1></body></html>'));
  real.get("/hidden", (_req, res) => void res.type("html").send('<!doctype html><html><head><meta charset="utf-8"><title>hidden</title><style>.geo-compliance-notice{display:none!important}</style></head><body><h1>An article</h1></body></html>'));
  real.get("/below", (_req, res) =>
    void res.type("html").send('<!doctype html><html><head><meta charset="utf-8"><title>below</title><style>.geo-compliance-notice{position:absolute!important;top:2400px!important}</style></head><body><h1>An article</h1><div style="height:4000px"></div></body></html>'),
  );
  app.use("/real", real);
  // No middleware at all: no decision.
  app.get("/bare", (_req, res) => void res.type("html").send(page("")));
  return { running: await listen(app), compliance };
}

/**
 * A site to crawl: ten linked pages, one that robots.txt forbids (linked first), a link to another
 * host and a page that redirects there, and an image from that host on every page.
 */
export async function crawlSite(elsewhere: Recorder): Promise<Running> {
  const app = express();
  const away = `http://elsewhere.example:${elsewhere.port}`;
  app.get("/robots.txt", (_req, res) => void res.type("text").send("User-agent: *\nDisallow: /private\n"));
  const links = ['<a href="/private">private</a>', `<a href="${away}/offsite">elsewhere</a>`, '<a href="/go-away">go away</a>', ...Array.from({ length: 10 }, (_, i) => `<a href="/p${i + 1}#top">page ${i + 1}</a>`)].join(" ");
  const html = (title: string): string => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><img src="${away}/pixel.gif" alt=""><nav>${links}</nav></body></html>`;
  app.get("/go-away", (_req, res) => void res.redirect(302, `${away}/redirected`));
  app.get("/private", (_req, res) => void res.type("html").send(html("private")));
  app.get(["/", "/p:n"], (req, res) => void res.type("html").send(html(`page ${req.path}`)));
  return listen(app);
}
