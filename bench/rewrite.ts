// Rewrite throughput, side by side on the same bytes: this project's scanner against html-rewriter-wasm
// (lol-html) doing the same job: notice at the start of <body>, guard and consent scripts first in <head>,
// tracker scripts, iframes, pixels, preconnects, pings and inline snippets neutralized; then the shipped
// Russia rule's job beside the indexOf floor, also on pages whose every start tag differs per request.
import { HTMLRewriter } from "html-rewriter-wasm";
import { NoticeRenderer } from "../src/actions/notice.js";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import type { TrackerMatcher } from "../src/actions/trackers/matcher.js";
import { inlineScriptTracker } from "../src/actions/trackers/snippets.js";
import { BodyRewriting, type ResponsePlan } from "../src/http/body-rewrite.js";
import { HtmlBodyRewriter, newOutcome } from "../src/http/body-rewriter.js";
import { consent, decisionWith, notice, shippedRuleset, trackers } from "../test/support/decisions.js";
import { newsPage } from "../test/support/news-page.js";
import { allocatedPerCall } from "./allocation.js";
import { median } from "./side-by-side.js";

const CHUNK = 64 * 1024;
const ROUND_MS = Number(process.env.BENCH_REWRITE_MS ?? 1000);
/** Rounds per side, alternating: the median of each side is printed, which one slow round on a shared machine does not move. */
const ROUNDS = 5;

function chunks(page: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < page.length; i += CHUNK) out.push(page.subarray(i, i + CHUNK));
  return out;
}

function ours(plan: ResponsePlan, parts: Buffer[]): { bytes: number; neutralized: number } {
  let bytes = 0;
  const outcome = newOutcome();
  const rewriter = new HtmlBodyRewriter(plan, "utf8", outcome, (c) => {
    bytes += c.length;
    return true;
  });
  for (const p of parts) rewriter.write(p);
  rewriter.end();
  return { bytes, neutralized: outcome.trackersNeutralized };
}

const URL_ATTRS: Record<string, string[]> = {
  script: ["src"], img: ["src", "srcset"], iframe: ["src"], frame: ["src"], source: ["src", "srcset"], video: ["src", "poster"],
  audio: ["src"], embed: ["src"], object: ["data"], input: ["src"], link: ["href"], a: ["ping"], area: ["ping"],
};
const FETCHING_RELS = new Set(["stylesheet", "preconnect", "dns-prefetch", "preload", "prefetch", "modulepreload", "prerender", "icon", "apple-touch-icon", "manifest", "mask-icon"]);

/** The same job through lol-html. Inline scripts: buffered text, and a tracker's content moved into an inert copy. */
async function lolHtml(plan: ResponsePlan, parts: Buffer[]): Promise<{ bytes: number; neutralized: number }> {
  const matcher = plan.trackers as TrackerMatcher;
  const noticeHtml = plan.notices.map((n) => n.rendered.utf8.toString()).join("");
  const headHtml = plan.head!.toString("latin1");
  let bytes = 0;
  let neutralized = 0;
  let headDone = false;
  let bodyDone = false;
  const rewriter = new HTMLRewriter((c) => {
    bytes += c.length;
  });
  rewriter.on("head", { element: (el) => void (headDone || ((headDone = true), el.prepend(headHtml, { html: true }))) });
  rewriter.on("body", { element: (el) => void (bodyDone || ((bodyDone = true), el.prepend(noticeHtml, { html: true }))) });
  rewriter.on(Object.keys(URL_ATTRS).join(","), {
    element: (el) => {
      const name = el.tagName.toLowerCase();
      if (name === "link" && !(el.getAttribute("rel") ?? "").toLowerCase().split(/\s+/).some((r) => FETCHING_RELS.has(r))) return;
      let label: string | null = null;
      for (const attr of URL_ATTRS[name]!) {
        const v = el.getAttribute(attr);
        if (v === null) continue;
        const urls = attr === "srcset" ? v.split(",").map((c) => c.trim().split(/\s+/)[0] ?? "") : attr === "ping" ? v.split(/\s+/) : [v];
        const hit = urls.map((u) => matcher.blocks(u)).find((x) => x !== null);
        if (hit) {
          label ??= hit;
          el.removeAttribute(attr);
          el.setAttribute(`data-geo-compliance-${attr}`, v);
        }
      }
      if (label) {
        neutralized++;
        if (name === "script") el.setAttribute("type", "text/plain");
        el.setAttribute("data-geo-compliance-blocked", label);
      }
    },
  });
  let code = "";
  rewriter.on("script:not([src])", {
    text: (t) => {
      code += t.text;
      t.remove();
      if (!t.lastInTextNode) return;
      const vendor = inlineScriptTracker(code, matcher);
      if (vendor) {
        neutralized++;
        t.replace(`</script><script type="text/plain" data-geo-compliance-blocked="${vendor}">${code}`, { html: true });
      } else {
        t.replace(code, { html: true });
      }
      code = "";
    },
  });
  try {
    for (const p of parts) await rewriter.write(p);
    await rewriter.end();
  } finally {
    rewriter.free();
  }
  return { bytes, neutralized };
}

/** The floor: finding every '<' of the page with Buffer.indexOf, and nothing else. */
function floor(parts: Buffer[]): number {
  let n = 0;
  for (const p of parts) for (let i = p.indexOf(0x3c); i !== -1; i = p.indexOf(0x3c, i + 1)) n++;
  return n;
}

async function measure(run: () => unknown): Promise<number> {
  const end = performance.now() + ROUND_MS;
  let n = 0;
  const start = performance.now();
  while (performance.now() < end) {
    await run();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

export async function run(): Promise<void> {
  const ruleset = shippedRuleset();
  const body = new BodyRewriting({ trackers: loadShippedTrackerList(), notices: new NoticeRenderer(), cacheBytes: 0 });
  const decision = decisionWith([notice({ at: "body-start" }, { language: "ru" }), trackers("list"), consent()]);
  const plan = body.planFor({ method: "GET", host: "ledger.example", cookies: undefined, ifNoneMatch: undefined }, decision, ruleset, {}, newOutcome())!;
  console.log(`notice + guard + consent + trackers (list mode, ${loadShippedTrackerList().size} domains), ${CHUNK / 1024} KB chunks, ${ROUNDS} rounds of ${ROUND_MS} ms per side, alternating; medians`);
  console.log("page       scanner MB/s (target >= 500)   html-rewriter-wasm MB/s   ratio   indexOf('<') floor MB/s   scanner / floor   trackers neutralized (scanner / wasm)   V8 heap allocated per rewrite");
  for (const size of [1024 * 1024, 300 * 1024]) {
    const page = Buffer.from(newsPage(size));
    const parts = chunks(page);
    const a = ours(plan, parts);
    const b = await lolHtml(plan, parts);
    const mineRounds: number[] = [];
    const theirRounds: number[] = [];
    const bareRounds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      mineRounds.push(await measure(() => ours(plan, parts)));
      theirRounds.push(await measure(() => lolHtml(plan, parts)));
      bareRounds.push(await measure(() => floor(parts)));
    }
    const [mine, theirs, bare] = [median(mineRounds), median(theirRounds), median(bareRounds)];
    const mbs = (perSecond: number): number => perSecond * (page.length / 1e6);
    const allocated = await allocatedPerCall(() => ours(plan, parts), 100);
    console.log(
      `${sizeLabel(size).padEnd(10)} ${mbs(mine).toFixed(1).padStart(28)} ${mbs(theirs).toFixed(1).padStart(25)} ${(mine / theirs).toFixed(2).padStart(6)}x` +
        ` ${mbs(bare).toFixed(0).padStart(25)} ${(bare / mine).toFixed(1).padStart(15)}x slower   ${`${a.neutralized} / ${b.neutralized}`.padStart(21)}` +
        `   ${(allocated / 1024).toFixed(0).padStart(20)} KB (${(allocated / page.length).toFixed(2)} B per page byte)`,
    );
  }

  // The shipped Russia rule blocks in third-party mode: every host not the site's own is judged,
  // so more tags are assembled than in list mode. html-rewriter-wasm has no such job here.
  const russia = body.planFor({ method: "GET", host: "ledger.example", cookies: undefined, ifNoneMatch: undefined }, decisionWith([notice({ at: "body-start" }, { language: "ru" }), trackers("third-party")]), ruleset, {}, newOutcome())!;
  console.log(`\nthe shipped Russia rule's job: notice + guard + trackers in third-party mode, the same pages and chunks`);
  console.log("and each page again with every start tag different on every request: none of its HTML start tags was judged before, its scripts' and styles' content was");
  console.log("page                     scanner MB/s (target >= 500)   indexOf('<') floor MB/s   scanner / floor   tags switched off   V8 heap allocated per rewrite");
  for (const size of [1024 * 1024, 300 * 1024]) {
    const page = Buffer.from(newsPage(size));
    const label = sizeLabel(size);
    for (const [name, ring] of [
      [label, [chunks(page)]],
      [`${label}, every tag new`, everyTagNew(page)],
    ] as const) {
      let turn = 0;
      const next = (): Buffer[] => ring[turn++ % ring.length]!;
      const a = ours(russia, ring[0]!);
      const mineRounds: number[] = [];
      const bareRounds: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        mineRounds.push(await measure(() => ours(russia, next())));
        bareRounds.push(await measure(() => floor(next())));
      }
      const [mine, bare] = [median(mineRounds), median(bareRounds)];
      const bytes = ring[0]!.reduce((n, c) => n + c.length, 0);
      const mbs = (perSecond: number): number => perSecond * (bytes / 1e6);
      const allocated = await allocatedPerCall(() => ours(russia, next()), 100);
      console.log(
        `${name.padEnd(24)} ${mbs(mine).toFixed(1).padStart(28)} ${mbs(bare).toFixed(0).padStart(25)} ${(bare / mine).toFixed(1).padStart(15)}x slower` +
          ` ${String(a.neutralized).padStart(19)}   ${(allocated / 1024).toFixed(0).padStart(27)} KB`,
      );
    }
  }
}

function sizeLabel(size: number): string {
  return size / 1024 >= 1024 ? `${size / 1024 / 1024} MB` : `${size / 1024} KB`;
}

/**
 * Copies of the page in which every start tag (and whatever looks like one in a script) carries
 * its own token: the worst case for the verdicts the rewrite keeps on the parts of a page. The
 * copies hold three times the 4 MB of start-tag text those verdicts keep, so by the time a copy
 * comes round again its HTML start tags have been forgotten. (SVG's few tags are kept apart and
 * fill less.)
 */
function everyTagNew(page: Buffer): Buffer[][] {
  const html = page.toString("latin1");
  const ring: Buffer[][] = [];
  let tagText = 0;
  for (let copy = 0; tagText < 12 * 1024 * 1024; copy++) {
    let n = 0;
    const variant = html.replace(/<([a-zA-Z][a-zA-Z0-9-]*)(?=[\s/>])/g, (_m, name: string) => `<${name} data-r="${copy.toString(36)}-${(n++).toString(36)}"`);
    ring.push(chunks(Buffer.from(variant, "latin1")));
    for (const tag of variant.matchAll(/<[a-zA-Z][^>]*>/g)) tagText += tag[0].length;
  }
  return ring;
}
