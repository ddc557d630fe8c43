import { readFileSync } from "node:fs";
import type { Page, Response } from "playwright-core";
import { PREVIEW_DECISION_HEADER, parsePreviewDecision, type PreviewDecision } from "../../http/preview-decision.js";
import { DECISION_HEADER } from "../../http/middleware.js";
import type { Viewport } from "./args.js";
import { openBrowser, type BrowserSettings } from "./browser.js";
import { netLogContacts, readNetLog, type Contact } from "./net-log.js";
import { NOTICE_PROBE, PAGE_PROBE, type NoticeProbe, type PageProbe } from "./probes.js";

/** Who reads the page: a protected reader of a region, or the free reader beside it. */
export interface Reader {
  readonly region: string;
  readonly baseline: boolean;
  /** The preview token that places this reader; held in memory only, never written out. */
  readonly token: string;
}

/** A request as the browser's DevTools protocol tells it: who asked for it. */
export interface SeenRequest {
  readonly url: string;
  readonly type: string;
  readonly initiator: string | null;
  /** The document of the frame that made it, when not the page itself (a third party's iframe, a worker's page). */
  readonly frame?: string;
}

export interface ViewportRun {
  readonly viewport: Viewport;
  readonly notices: readonly NoticeProbe[];
  /** JPEG bytes of the first viewport. */
  readonly screenshot: Buffer | null;
  readonly error: string | null;
}

export interface PageRun {
  readonly url: string;
  readonly reader: Reader;
  readonly status: number | null;
  readonly finalUrl: string;
  readonly decisionId: string | null;
  readonly decision: PreviewDecision | null;
  /** Main-frame documents after the first: where the page sent the reader. */
  readonly navigations: readonly string[];
  readonly contacts: readonly Contact[];
  readonly requests: readonly SeenRequest[];
  /** `Link` response headers, with the URL of the response that carried each. */
  readonly linkHeaders: readonly { readonly url: string; readonly value: string }[];
  readonly page: PageProbe | null;
  /** The page's HTML as served, to tell markup from what scripts added. */
  readonly html: string;
  readonly viewports: readonly ViewportRun[];
  readonly error: string | null;
  readonly seconds: number;
}

export interface RunSettings {
  readonly browser: BrowserSettings;
  readonly viewports: readonly Viewport[];
  readonly settleMs: number;
  readonly previewCookie: string;
}

const LOAD_TIMEOUT_MS = 20000;
/** A page that never goes quiet gets this long after its load, on top of the settle time. */
const IDLE_WAIT_MS = 3000;

type Playwright = typeof import("playwright-core");

function describeInitiator(initiator: { type?: string; url?: string; lineNumber?: number; stack?: { callFrames?: { url?: string; lineNumber?: number; functionName?: string }[] } } | undefined): string | null {
  if (!initiator) return null;
  const frame = initiator.stack?.callFrames?.find((f) => f.url);
  if (initiator.type === "script" && frame) return `script ${frame.url}:${(frame.lineNumber ?? 0) + 1}${frame.functionName ? ` (${frame.functionName})` : ""}`;
  if (initiator.type === "parser" && initiator.url) return `markup of ${initiator.url}${initiator.lineNumber !== undefined ? `:${initiator.lineNumber + 1}` : ""}`;
  if (initiator.type === "preload") return "preload";
  if (frame) return `script ${frame.url}:${(frame.lineNumber ?? 0) + 1}`;
  return initiator.url ? `${initiator.type ?? "other"} ${initiator.url}` : null;
}

async function settle(page: Page, ms: number): Promise<void> {
  await page.waitForLoadState("networkidle", { timeout: IDLE_WAIT_MS }).catch(() => undefined);
  await page.waitForTimeout(ms);
}

async function probeViewport(page: Page, viewport: Viewport, first: boolean, settleMs: number): Promise<ViewportRun> {
  try {
    if (!first) {
      await page.setViewportSize(viewport);
      await page.waitForTimeout(Math.min(300, settleMs));
    }
    const notices = (await page.evaluate(NOTICE_PROBE)) as NoticeProbe[];
    const screenshot = await page.screenshot({ type: "jpeg", quality: 70, timeout: 10000 });
    return { viewport, notices, screenshot, error: null };
  } catch (error) {
    return { viewport, notices: [], screenshot: null, error: (error as Error).message.split("\n")[0] ?? "the page could not be looked at" };
  }
}

/**
 * One reader on one page, in a browser of its own: a fresh profile (no cache, no cookies left by
 * another reader) and a net log of its own, so every contact in it belongs to this page and reader.
 */
export async function runPage(playwright: Playwright, settings: RunSettings, url: URL, reader: Reader): Promise<PageRun> {
  const started = Date.now();
  const [firstViewport, ...rest] = settings.viewports;
  const browser = await openBrowser(playwright, settings.browser, firstViewport!);
  const requests: SeenRequest[] = [];
  const linkHeaders: { url: string; value: string }[] = [];
  const navigations: string[] = [];
  let response: Response | null = null;
  let headers: Record<string, string> = {};
  let status: number | null = null;
  let probe: PageProbe | null = null;
  let html = "";
  let error: string | null = null;
  const viewports: ViewportRun[] = [];
  let finalUrl = url.href;
  try {
    const { context } = browser;
    // Host-only, HTTP-only, same-site: the browser sends the token to this host and to no other,
    // not through a redirect, not to a subdomain, and no script of the page can read it.
    await context.addCookies([{ name: settings.previewCookie, value: reader.token, url: url.origin + "/", httpOnly: true, sameSite: "Strict", secure: url.protocol === "https:" }]);
    const page = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(page);
    cdp.on("Network.requestWillBeSent", (e) => void requests.push({ url: e.request.url, type: e.type ?? "Other", initiator: describeInitiator(e.initiator as never) }));
    cdp.on("Network.webSocketCreated", (e) => void requests.push({ url: e.url, type: "WebSocket", initiator: describeInitiator(e.initiator as never) }));
    cdp.on("Network.responseReceived", (e) => {
      for (const [name, value] of Object.entries(e.response.headers)) if (name.toLowerCase() === "link") linkHeaders.push({ url: e.response.url, value: String(value) });
    });
    await cdp.send("Network.enable");
    // DevTools on the page does not see the requests of frames in other processes (third-party
    // iframes); the browser context does, with the frame they came from.
    context.on("request", (r) => {
      try {
        const frame = r.frame();
        if (frame !== page.mainFrame()) requests.push({ url: r.url(), type: r.resourceType(), initiator: null, frame: frame.url() });
      } catch {
        // a service worker's request has no frame
      }
    });
    let documents = 0;
    page.on("framenavigated", (frame) => {
      if (frame !== page.mainFrame()) return;
      if (documents++ > 0) navigations.push(frame.url());
    });
    try {
      response = await page.goto(url.href, { waitUntil: "load", timeout: LOAD_TIMEOUT_MS });
    } catch (e) {
      // A page that sends itself elsewhere ends the load early; what it did is in the log all the same.
      if (!/interrupted by another navigation|ERR_ABORTED/i.test((e as Error).message)) error = `the page did not load: ${((e as Error).message.split("\n")[0] ?? "").slice(0, 300)}`;
    }
    if (response) {
      headers = await response.allHeaders().catch(() => ({}));
      status = response.status();
      html = await response.text().catch(() => "");
    }
    await settle(page, settings.settleMs);
    finalUrl = page.url();
    probe = (await page.evaluate(PAGE_PROBE).catch(() => null)) as PageProbe | null;
    if (error === null) {
      viewports.push(await probeViewport(page, firstViewport!, true, settings.settleMs));
      for (const v of rest) viewports.push(await probeViewport(page, v, false, settings.settleMs));
    }
  } catch (e) {
    error = error ?? `the page could not be audited: ${((e as Error).message.split("\n")[0] ?? "").slice(0, 300)}`;
  } finally {
    await browser.close();
  }
  let contacts: Contact[] = [];
  try {
    contacts = netLogContacts(readNetLog(readFileSync(browser.netLogFile, "utf8"), browser.netLogFile));
  } catch (e) {
    error = error ?? `the browser's net log could not be read: ${(e as Error).message}`;
  } finally {
    browser.discard();
  }
  return {
    url: url.href,
    reader,
    status,
    finalUrl,
    decisionId: headers[DECISION_HEADER.toLowerCase()] ?? null,
    decision: parsePreviewDecision(headers[PREVIEW_DECISION_HEADER.toLowerCase()]),
    navigations,
    contacts,
    requests,
    linkHeaders,
    page: probe,
    html,
    viewports,
    error,
    seconds: (Date.now() - started) / 1000,
  };
}
