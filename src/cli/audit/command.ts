import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { loadShippedTrackerList, loadTrackerListFile, TrackerListError, type TrackerList } from "../../actions/trackers/list.js";
import { MAX_PREVIEW_TTL_MS } from "../../region/preview-token.js";
import { previewToken } from "../preview-token.js";
import { UsageError } from "../usage.js";
import { differences, judge, type Verdict } from "./analysis.js";
import { parseAuditArgs, type AuditOptions } from "./args.js";
import { AuditSetupError, findChromium, loadPlaywright } from "./browser.js";
import { Crawl, fetchRobots, fetchRobotsText, loadRobotsParser, type RobotsRule } from "./crawl.js";
import { runPage, type PageRun, type Reader } from "./page-run.js";
import { reportHtml } from "./report-html.js";
import { orderPages, reportJson, viewportName, type AuditReport, type PageResult, type ReaderResult } from "./report-json.js";

export interface AuditIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Where the progress line goes; null when standard error is not a terminal. */
  readonly progress: ((line: string) => void) | null;
  readonly version: string;
  /** For tests: how the browser driver is loaded. */
  readonly loadPlaywright?: () => Promise<typeof import("playwright-core")>;
  readonly fetchRobotsText?: (url: string) => Promise<string | null>;
}

/** Room for the browser to finish the last page after the time limit. */
const TOKEN_MARGIN_MS = 15 * 60 * 1000;

function readers(options: AuditOptions, env: NodeJS.ProcessEnv, now: Date): Reader[] {
  const ttl = `${Math.ceil(Math.min(options.maxTimeMs + TOKEN_MARGIN_MS, MAX_PREVIEW_TTL_MS) / 1000)}s`;
  const mint = (region: string, baseline: boolean): Reader => {
    try {
      return { region, baseline, token: previewToken({ region, ttl, secretEnv: options.secretEnv }, env, now).token };
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new AuditSetupError(`${(error as Error).message}. The audit mints a preview token for each reader with it, so the site's own middleware decides as for a reader there.`);
    }
  };
  const list = options.regions.map((r) => mint(r, false));
  if (options.baseline) list.push(mint(options.baseline, true));
  return list;
}

function trackerList(files: readonly string[]): TrackerList {
  try {
    return files.reduce((list, f) => list.merge(loadTrackerListFile(f)), loadShippedTrackerList());
  } catch (error) {
    if (error instanceof TrackerListError) throw new AuditSetupError(`--trackers: ${error.message}`);
    throw error;
  }
}

function readerResult(run: PageRun, verdict: Verdict, screenshots: { viewport: string; file: string }[]): ReaderResult {
  return {
    region: run.reader.region,
    baseline: run.reader.baseline,
    status: run.status,
    finalUrl: run.finalUrl,
    decisionId: run.decisionId,
    revision: run.decision?.revision ?? null,
    rules: run.decision?.rules ?? [],
    trackersMode: run.decision?.trackers ?? null,
    // The verdict whole, so that report.json cannot leave out what the analysis found.
    ...verdict,
    screenshots,
    seconds: run.seconds,
  };
}

function textSummary(report: AuditReport, out: string): string {
  const lines: string[] = [];
  for (const p of report.pages) {
    lines.push(`${p.failed ? "FAIL" : "pass"} ${p.url}`);
    for (const r of p.readers) for (const problem of r.baseline ? [] : r.problems) lines.push(`  ${r.region}: ${problem}`);
  }
  const s = report.summary;
  lines.push(`${s.pages} page(s), ${s.failedPages} failing, ${s.leaks} leak(s), ${s.noticeProblems} notice problem(s); report in ${join(out, "report.html")} and ${join(out, "report.json")}`);
  return lines.join("\n");
}

/** `geo-compliance audit`: 0 when every protected reader's page is clean, 1 when one leaks or lacks its notice, 2 when it cannot run. */
export async function runAudit(args: readonly string[], io: AuditIo): Promise<number> {
  const options = parseAuditArgs(args);
  const started = new Date();
  const list = trackerList(options.trackers);
  const audience = readers(options, io.env, started);
  const robotsParser = options.crawl === null ? null : loadRobotsParser();
  const executable = findChromium(options.chromium, io.env);
  const playwright = await loadPlaywright(io.loadPlaywright);
  const settings = { browser: { executable, extraArgs: options.chromiumArgs, lang: options.lang }, viewports: options.viewports, settleMs: options.settleMs, previewCookie: options.previewCookie };

  const robots = new Map<string, RobotsRule>();
  if (robotsParser) {
    for (const origin of new Set(options.urls.map((u) => u.origin))) robots.set(origin, await fetchRobots(origin, io.fetchRobotsText ?? fetchRobotsText, robotsParser));
  }
  const crawl = new Crawl(options.urls, options.crawl ?? options.urls.length, (origin) => robots.get(origin) ?? (() => true));
  const shotsDir = join(options.out, "screenshots");
  mkdirSync(shotsDir, { recursive: true });
  const shots = new Map<string, Buffer>();
  const pages: PageResult[] = [];
  let stoppedByTime = false;
  const total = options.crawl ?? options.urls.length;
  for (let step = crawl.next(); step !== null; step = crawl.next()) {
    if (Date.now() - started.getTime() > options.maxTimeMs) {
      stoppedByTime = true;
      break;
    }
    const index = pages.length + 1;
    const results: ReaderResult[] = [];
    const runs: { run: PageRun; verdict: Verdict }[] = [];
    const links = new Set<string>();
    for (const reader of audience) {
      const done = Math.round((20 * (index - 1)) / Math.max(total, 1));
      io.progress?.(`[${"#".repeat(done)}${" ".repeat(20 - done)}] ${index}/${total} ${reader.baseline ? `free reader ${reader.region}` : reader.region} ${step.url.href}`);
      const run = await runPage(playwright, settings, step.url, reader);
      const verdict = judge(run, list, options.lang);
      // Links of a page the site sent elsewhere are another site's.
      if (crawl.isSite(new URL(run.finalUrl))) for (const l of run.page?.links ?? []) links.add(l);
      const screenshots = run.viewports.flatMap((v) => {
        if (!v.screenshot) return [];
        const file = join(shotsDir, `${String(index).padStart(3, "0")}-${reader.baseline ? "free-" : ""}${reader.region}-${viewportName(v.viewport)}.jpg`);
        writeFileSync(file, v.screenshot);
        const name = relative(options.out, file);
        shots.set(name, v.screenshot);
        return [{ viewport: viewportName(v.viewport), file: name }];
      });
      runs.push({ run, verdict });
      results.push(readerResult(run, verdict, screenshots));
    }
    const free = runs.find((r) => r.run.reader.baseline);
    const diffs = free ? runs.filter((r) => !r.run.reader.baseline).map((r) => ({ region: r.run.reader.region, items: differences(r, free) })) : [];
    const failed = results.some((r) => r.failed);
    pages.push({ url: step.url.href, failed, leaks: results.reduce((n, r) => n + (r.baseline ? 0 : r.leaks.length), 0), readers: results, differences: diffs });
    crawl.found([...links], step);
  }
  io.progress?.("");

  const ordered = orderPages(pages);
  const failedPages = ordered.filter((p) => p.failed).length;
  const report: AuditReport = {
    tool: "geo-compliance audit",
    version: io.version,
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    ok: failedPages === 0 && pages.length > 0,
    options: { urls: options.urls.map((u) => u.href), regions: options.regions, lang: options.lang, crawl: options.crawl, viewports: options.viewports.map(viewportName), baseline: options.baseline },
    summary: {
      pages: ordered.length,
      failedPages,
      leaks: ordered.reduce((n, p) => n + p.leaks, 0),
      noticeProblems: ordered.reduce((n, p) => n + p.readers.reduce((m, r) => m + (r.baseline ? 0 : r.problems.filter((x) => x.startsWith("notice ") || x.startsWith("the notice")).length), 0), 0),
    },
    pages: ordered,
    crawl: { skippedByRobots: crawl.skippedByRobots, notAudited: crawl.left, stoppedByTime },
  };
  writeFileSync(join(options.out, "report.json"), reportJson(report));
  writeFileSync(join(options.out, "report.html"), reportHtml(report, shots));
  io.out(options.json ? reportJson(report).trimEnd() : textSummary(report, options.out));
  return report.ok ? 0 : 1;
}
