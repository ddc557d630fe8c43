import { resolve } from "node:path";
import { isPreviewLanguage } from "../../http/preview-context.js";
import { DEFAULT_PREVIEW_COOKIE, parseDuration } from "../../region/preview-token.js";
import { parseRegionArg } from "../explain.js";
import { FLAG, parseOptions, TEXT, TEXTS } from "../options.js";
import { DEFAULT_SECRET_ENV } from "../preview-token.js";
import { UsageError } from "../usage.js";

export interface Viewport {
  readonly width: number;
  readonly height: number;
}

export interface AuditOptions {
  /** The pages to start from, absolute http(s) URLs without fragments. */
  readonly urls: readonly URL[];
  /** The protected readers, as region codes (`RU`, `UA-43`). */
  readonly regions: readonly string[];
  /** The language the readers' browsers ask for, and the language their notice must be in; null: the browser's default, and the decision's language. */
  readonly lang: string | null;
  /** At most this many pages in all, following same-site links breadth-first; the URLs alone when not given. */
  readonly crawl: number | null;
  readonly viewports: readonly Viewport[];
  readonly out: string;
  readonly json: boolean;
  /** A reader no rule applies to, audited beside each protected one. */
  readonly baseline: string | null;
  readonly chromium: string | null;
  readonly chromiumArgs: readonly string[];
  readonly secretEnv: string;
  readonly previewCookie: string;
  readonly trackers: readonly string[];
  /** After the load, how long the page is left to do what it does later (timers, lazy tags). */
  readonly settleMs: number;
  /** No page is started after this long; the report says what was left. */
  readonly maxTimeMs: number;
}

export const DEFAULT_VIEWPORTS: readonly Viewport[] = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
];
export const DEFAULT_BASELINE_REGION = "AQ";
export const DEFAULT_OUT = "geo-compliance-audit";
const DEFAULT_SETTLE_MS = 1000;
const DEFAULT_MAX_TIME = "15m";
const MAX_CRAWL = 10000;

function viewports(text: string): Viewport[] {
  return text.split(",").map((part) => {
    const m = /^\s*(\d{2,5})x(\d{2,5})\s*$/.exec(part);
    const width = Number(m?.[1]);
    const height = Number(m?.[2]);
    if (!m || width < 100 || height < 100 || width > 7680 || height > 7680) throw new UsageError(`--viewport "${part.trim()}" is not WIDTHxHEIGHT in pixels (100 to 7680), e.g. 390x844,1280x800`);
    return { width, height };
  });
}

/** Checked as `explain --region` checks it: UK, XX-99 or UA-99 are told what to write instead. */
function region(text: string, option: string): string {
  try {
    const r = parseRegionArg(text);
    return r.subdivision ?? r.country!;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^--region/, option));
  }
}

function pageUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${text}" is not a URL; give absolute addresses such as https://news.example/`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`"${text}" is not an http or https address`);
  if (url.username || url.password) throw new UsageError(`"${text}": give the address without a user name or password`);
  url.hash = "";
  return url;
}

/** Reads `audit`'s arguments; throws UsageError for anything that is not as documented. */
export function parseAuditArgs(args: readonly string[]): AuditOptions {
  if (args.some((a) => a === "--secret" || a.startsWith("--secret="))) {
    throw new UsageError(`the secret is never given on the command line; put it in ${DEFAULT_SECRET_ENV} (or the variable named by --secret-env)`);
  }
  const { values, positionals } = parseOptions(args, {
    region: TEXTS,
    lang: TEXT,
    crawl: TEXT,
    viewport: TEXT,
    out: TEXT,
    json: FLAG,
    baseline: FLAG,
    "baseline-region": TEXT,
    chromium: TEXT,
    "chromium-arg": TEXTS,
    "secret-env": TEXT,
    "preview-cookie": TEXT,
    trackers: TEXTS,
    settle: TEXT,
    "max-time": TEXT,
  });
  if (positionals.length === 0) throw new UsageError("audit needs the address of at least one page, e.g. geo-compliance audit https://news.example/ --region RU");
  const regions = [...new Set((values.region ?? []).map((r) => region(r, "--region")))];
  if (regions.length === 0) throw new UsageError("audit needs --region for the readers to audit, e.g. --region RU --region UA-43");
  if (values.lang !== undefined && !isPreviewLanguage(values.lang)) throw new UsageError(`--lang "${values.lang}" is not a language tag; write one such as ru or pt-BR`);
  let crawl: number | null = null;
  if (values.crawl !== undefined) {
    crawl = Number(values.crawl);
    if (!/^\d+$/.test(values.crawl) || crawl < 1 || crawl > MAX_CRAWL) throw new UsageError(`--crawl takes a number of pages from 1 to ${MAX_CRAWL}, got "${values.crawl}"`);
  }
  if (values["baseline-region"] !== undefined && !values.baseline) throw new UsageError("--baseline-region is the region of the --baseline reader; give --baseline too");
  const settleMs = values.settle === undefined ? DEFAULT_SETTLE_MS : Number(values.settle);
  if (values.settle !== undefined && (!/^\d+$/.test(values.settle) || settleMs > 60000)) throw new UsageError(`--settle takes milliseconds from 0 to 60000, got "${values.settle}"`);
  let maxTimeMs: number;
  try {
    maxTimeMs = parseDuration(values["max-time"] ?? DEFAULT_MAX_TIME);
  } catch (error) {
    throw new UsageError(`--max-time ${(error as Error).message}`);
  }
  const cookie = values["preview-cookie"] ?? DEFAULT_PREVIEW_COOKIE;
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(cookie)) throw new UsageError(`--preview-cookie "${cookie}" is not a cookie name`);
  const secretEnv = values["secret-env"] ?? DEFAULT_SECRET_ENV;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretEnv)) throw new UsageError(`--secret-env "${secretEnv}" is not an environment variable name`);
  return {
    urls: positionals.map(pageUrl),
    regions,
    lang: values.lang ?? null,
    crawl,
    viewports: values.viewport === undefined ? DEFAULT_VIEWPORTS : viewports(values.viewport),
    out: resolve(values.out ?? DEFAULT_OUT),
    json: values.json === true,
    baseline: values.baseline ? region(values["baseline-region"] ?? DEFAULT_BASELINE_REGION, "--baseline-region") : null,
    chromium: values.chromium ?? null,
    chromiumArgs: values["chromium-arg"] ?? [],
    secretEnv,
    previewCookie: cookie,
    trackers: (values.trackers ?? []).map((f) => resolve(f)),
    settleMs,
    maxTimeMs,
  };
}
