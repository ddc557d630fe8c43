import { createRequire } from "node:module";
import { AuditSetupError, isMissingModule } from "./setup-error.js";

interface Robots {
  isAllowed(url: string, ua?: string): boolean | undefined;
}

export type RobotsParser = (url: string, text: string) => Robots;

/**
 * robots-parser, an optional peer dependency loaded for --crawl only. It is CommonJS, and its types
 * declare an ES default export it does not have: required as it is.
 */
export function loadRobotsParser(load: () => unknown = () => createRequire(import.meta.url)("robots-parser")): RobotsParser {
  try {
    return load() as RobotsParser;
  } catch (error) {
    if (isMissingModule(error)) throw new AuditSetupError("--crawl reads robots.txt with robots-parser, which is not installed; install it beside geo-compliance: npm install --save-dev robots-parser");
    throw error;
  }
}

/** The name the audit gives itself in robots.txt terms. */
export const AUDIT_AGENT = "geo-compliance-audit";

/** Addresses that are files, not pages: not followed. */
const NOT_A_PAGE = /\.(?:pdf|zip|gz|tgz|rar|7z|dmg|exe|msi|apk|jpe?g|png|gif|webp|avif|svg|ico|mp[34]|m4a|ogg|webm|mov|avi|woff2?|ttf|otf|css|js|mjs|json|xml|rss|atom|txt|csv|xlsx?|docx?|pptx?)$/i;

export type RobotsRule = (url: string) => boolean;

/** Reads robots.txt for an origin; a site without one (or that cannot be read) allows everything. */
export async function fetchRobots(origin: string, fetchText: (url: string) => Promise<string | null>, robotsParser: RobotsParser = loadRobotsParser()): Promise<RobotsRule> {
  const url = `${origin}/robots.txt`;
  const text = await fetchText(url).catch(() => null);
  if (text === null) return () => true;
  const robots = robotsParser(url, text);
  return (page) => robots.isAllowed(page, AUDIT_AGENT) !== false;
}

/** robots.txt through plain HTTP, bounded in time and size; null when there is none to read. */
export async function fetchRobotsText(url: string): Promise<string | null> {
  const response = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(10000), headers: { "User-Agent": AUDIT_AGENT } });
  if (!response.ok) return null;
  const text = await response.text();
  return text.slice(0, 512 * 1024);
}

export interface CrawlStep {
  readonly url: URL;
  /** How many links away from a URL that was given. */
  readonly depth: number;
}

/**
 * Breadth first over the site's own pages: the given URLs, then the links of each page in the
 * order they were found, on the origins of the given URLs only (the preview token is held for
 * those hosts and no other), at most `limit` pages, each once.
 */
export class Crawl {
  private readonly queue: CrawlStep[] = [];
  private readonly seen = new Set<string>();
  private readonly origins: ReadonlySet<string>;
  readonly skippedByRobots: string[] = [];
  private taken = 0;

  constructor(
    start: readonly URL[],
    private readonly limit: number,
    private readonly robots: (origin: string) => RobotsRule,
  ) {
    this.origins = new Set(start.map((u) => u.origin));
    for (const u of start) this.enqueue(u, 0, true);
  }

  private enqueue(url: URL, depth: number, given: boolean): void {
    const key = url.href;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    // Pages named on the command line are audited as asked; robots.txt is for the ones found.
    if (!given && !this.robots(url.origin)(key)) {
      this.skippedByRobots.push(key);
      return;
    }
    this.queue.push({ url, depth });
  }

  /** Adds the links a page had, those on the site that are pages. */
  found(links: readonly string[], from: CrawlStep): void {
    for (const link of links) {
      let url: URL;
      try {
        url = new URL(link);
      } catch {
        continue;
      }
      if (!this.origins.has(url.origin) || NOT_A_PAGE.test(url.pathname)) continue;
      url.hash = "";
      this.enqueue(url, from.depth + 1, false);
    }
  }

  next(): CrawlStep | null {
    if (this.taken >= this.limit) return null;
    const step = this.queue.shift() ?? null;
    if (step) this.taken++;
    return step;
  }

  /** Pages found and not audited, because of the limit or the time. */
  get left(): number {
    return this.queue.length;
  }

  isSite(url: URL): boolean {
    return this.origins.has(url.origin);
  }
}
