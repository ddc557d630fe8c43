import type { Verdict } from "./analysis.js";
import type { Viewport } from "./args.js";

/** One reader on one page, as report.json gives it: what the site decided, the reader's verdict whole, the screenshots. The preview token is never in it. */
export interface ReaderResult extends Verdict {
  readonly region: string;
  readonly baseline: boolean;
  readonly status: number | null;
  readonly finalUrl: string;
  readonly decisionId: string | null;
  readonly revision: string | null;
  readonly rules: readonly string[];
  readonly trackersMode: string | null;
  /** Paths relative to the report's folder. */
  readonly screenshots: readonly { readonly viewport: string; readonly file: string }[];
  readonly seconds: number;
}

export interface PageResult {
  readonly url: string;
  readonly failed: boolean;
  readonly leaks: number;
  readonly readers: readonly ReaderResult[];
  /** Per protected region, what its reader got that the baseline reader did not. */
  readonly differences: readonly { readonly region: string; readonly items: readonly string[] }[];
}

export interface AuditReport {
  readonly tool: "geo-compliance audit";
  readonly version: string;
  readonly startedAt: string;
  readonly seconds: number;
  readonly ok: boolean;
  readonly options: {
    readonly urls: readonly string[];
    readonly regions: readonly string[];
    readonly lang: string | null;
    readonly crawl: number | null;
    readonly viewports: readonly string[];
    readonly baseline: string | null;
  };
  readonly summary: { readonly pages: number; readonly failedPages: number; readonly leaks: number; readonly noticeProblems: number };
  /** Failing pages first, those with leaks before the others. */
  readonly pages: readonly PageResult[];
  readonly crawl: { readonly skippedByRobots: readonly string[]; readonly notAudited: number; readonly stoppedByTime: boolean };
}

export const viewportName = (v: Viewport): string => `${v.width}x${v.height}`;

/** Failing pages first, pages with leaks before those; otherwise in the order audited. */
export function orderPages(pages: readonly PageResult[]): PageResult[] {
  return pages
    .map((p, i) => ({ p, i }))
    .sort((a, b) => Number(b.p.leaks > 0) - Number(a.p.leaks > 0) || Number(b.p.failed) - Number(a.p.failed) || a.i - b.i)
    .map((x) => x.p);
}

export function reportJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
