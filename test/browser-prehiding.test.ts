import { expect } from "chai";
import express from "express";
import type { Page } from "playwright-core";
import { NoticeRenderer } from "../src/actions/notice.js";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import { BodyRewriting } from "../src/http/body-rewrite.js";
import { newOutcome } from "../src/http/body-rewriter.js";
import { openSession, requireChromium, type Session } from "./support/browser.js";
import { decisionWith, notice, shippedRuleset, trackers } from "./support/decisions.js";
import { listen, type Running } from "./support/server.js";

const VIEWPORTS = [
  { width: 360, height: 640 },
  { width: 1280, height: 800 },
];
/** How soon after the load event the reader must see the warning. */
const WITHIN_MS = 500;

/** Each tool's prehiding as sites paste it (timeouts as the vendors ship them), and the host its script comes from. */
const SNIPPETS: Record<string, { host: string; head: string }> = {
  "Google Optimize": {
    host: "www.googleoptimize.com",
    head:
      "<style>.async-hide { opacity: 0 !important} </style><script>(function(a,s,y,n,c,h,i,d,e){s.className+=' '+y;h.start=1*new Date;h.end=i=function(){s.className=s.className.replace(RegExp(' ?'+y),'')};" +
      "(a[n]=a[n]||[]).hide=h;setTimeout(function(){i();h.end=null},c);h.timeout=c;})(window,document.documentElement,'async-hide','dataLayer',4000,{'OPT-1':true});</script>" +
      '<script async src="https://www.googleoptimize.com/optimize.js?id=OPT-1"></script>',
  },
  VWO: {
    // The hiding style rendered with the page, removed by the snippet's own timeout.
    host: "dev.visualwebsiteoptimizer.com",
    head:
      "<style id='_vis_opt_path_hides'>body{opacity:0 !important;filter:alpha(opacity=0) !important;background:none !important}</style>" +
      "<script id='vwoCode'>window._vwo_code || (function(){var d=document;setTimeout(function(){var s=d.getElementById('_vis_opt_path_hides');s&&s.remove()},2500);})();</script>" +
      '<script async src="https://dev.visualwebsiteoptimizer.com/lib/1.js"></script>',
  },
  "Adobe Target": {
    host: "assets.adobedtm.com",
    head:
      '<script>(function(g,b,d,f){(function(a,c,d){if(a){var e=b.createElement("style");e.id=c;e.innerHTML=d;a.appendChild(e)}})(b.getElementsByTagName("head")[0],"at-body-style",d);' +
      'setTimeout(function(){var a=b.getElementsByTagName("head")[0];if(a){var c=b.getElementById("at-body-style");c&&a.removeChild(c)}},f)})(window,document,"body {opacity: 0 !important}",3E3);</script>' +
      '<script async src="https://assets.adobedtm.com/launch-1.min.js"></script><link rel="dns-prefetch" href="//ledger.tt.omtrdc.net">',
  },
  Optimizely: {
    host: "cdn.optimizely.com",
    head:
      '<style id="optimizely-hide">body{opacity:0 !important}</style><script>window.optimizely=window.optimizely||[];window.optimizely.push({type:"holdEvents"});setTimeout(function(){var s=document.getElementById("optimizely-hide");s&&s.remove()},3000);</script>' +
      '<script async src="https://cdn.optimizely.com/js/1.js"></script>',
  },
  "Chartbeat flicker control": {
    host: "static.chartbeat.com",
    head:
      "<style id='chartbeat-flicker-control-style'>body{visibility:hidden !important}</style>" +
      "<script>var _sf_async_config=window._sf_async_config=(window._sf_async_config||{});_sf_async_config.uid=1;_sf_async_config.domain='ledger.example';_sf_async_config.flickerControl=true;" +
      "setTimeout(function(){var s=document.getElementById('chartbeat-flicker-control-style');s&&s.remove()},1000);</script>" +
      '<script async src="https://static.chartbeat.com/js/chartbeat_mab.js"></script>',
  },
};

const ARTICLE = `<article>${"<p>The ferry timetable changes on Monday; the harbour office publishes the new crossings.</p>".repeat(80)}</article>`;

function page(head: string, body = ARTICLE): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Ferry</title>${head}</head><body><header><a href="/">The Ledger</a></header>${body}</body></html>`;
}

/** Whether the notice's title is in the viewport, on top, and drawn (not hidden, no ancestor transparent). */
function noticeSeen(p: Page): Promise<boolean> {
  return p.evaluate(() => {
    const title = document.querySelector("[data-geo-compliance-notice] .geo-compliance-notice__title");
    if (!title) return false;
    const r = title.getBoundingClientRect();
    if (r.width < 50 || r.top < 0 || r.bottom > innerHeight) return false;
    if (getComputedStyle(title).visibility !== "visible") return false;
    for (let e: Element | null = title; e; e = e.parentElement) if (Number(getComputedStyle(e).opacity) === 0) return false;
    return Boolean(document.elementFromPoint(r.left + Math.min(r.width / 2, 40), r.top + r.height / 2)?.closest("[data-geo-compliance-notice]"));
  });
}

describe("browser: the warning is seen first, whatever the page hides or focuses", function () {
  this.timeout(120000);
  let server: Running;
  let session: Session;

  before(async function () {
    requireChromium(this);
    const body = new BodyRewriting({ trackers: loadShippedTrackerList(), notices: new NoticeRenderer(), cacheBytes: 0 });
    const app = express();
    app.use((req, res, next) => {
      body.attach(req, res, decisionWith([notice({ at: "body-start" }), trackers("list")]), shippedRuleset(), {}, newOutcome());
      next();
    });
    app.get("/snippet/:n", (req, res) => void res.type("html").send(page(Object.values(SNIPPETS)[Number(req.params.n)]!.head)));
    app.get("/autofocus", (_q, res) => void res.type("html").send(page("", `${ARTICLE}<form action="/search"><input name="q" autofocus></form>`)));
    server = await listen(app);
    session = await openSession();
  });
  after(async () => {
    await session?.close();
    await server?.close();
  });

  /** Loads the page and waits, from the load event, at most WITHIN_MS for the notice to be seen. */
  async function seenWithin(path: string, viewport: { width: number; height: number }): Promise<number> {
    const p = await session.context.newPage();
    try {
      await p.setViewportSize(viewport);
      await p.goto(`${server.url}${path}`, { waitUntil: "load", timeout: 10000 });
      const loaded = Date.now();
      for (;;) {
        if (await noticeSeen(p)) return Date.now() - loaded;
        if (Date.now() - loaded > WITHIN_MS) return Infinity;
        await p.waitForTimeout(25);
      }
    } finally {
      await p.close();
    }
  }

  for (const viewport of VIEWPORTS) {
    Object.entries(SNIPPETS).forEach(([tool, { host }], n) => {
      it(`${tool}: the notice is seen within ${WITHIN_MS} ms of load at ${viewport.width}x${viewport.height}, and the tool never loads`, async () => {
        session.requests.length = 0;
        const ms = await seenWithin(`/snippet/${n}`, viewport);
        expect(ms, "milliseconds after load").to.be.at.most(WITHIN_MS);
        expect(session.requests.map((r) => r.url()).filter((u) => new URL(u).hostname === host)).to.deep.equal([]);
      });
    });

    it(`an autofocused field further down does not scroll the notice away at ${viewport.width}x${viewport.height}`, async () => {
      const ms = await seenWithin("/autofocus", viewport);
      expect(ms, "milliseconds after load").to.be.at.most(WITHIN_MS);
    });
  }
});
