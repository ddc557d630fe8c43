import { byteOrderMark, type CharsetMode } from "./charset.js";
import { DEFAULT_LIMITS, HtmlScanner, type ScannerLimits } from "./html-scanner.js";
import { HtmlTree } from "./html-tree.js";
import type { BodyPieces } from "./intercept.js";
import { PageRewriter, type PagePlan, type PlannedNotice, type RewriteStats } from "./page-rewriter.js";

/** What happened to one body: the decision log reads it. */
export interface RewriteOutcome {
  /** Whether the bytes sent differ from the app's. */
  rewritten: boolean;
  /** Why the page went out (partly) unchanged, when something went wrong. */
  error?: string;
  trackersNeutralized: number;
  /** Things operations may want to know that are not failures (a selector that matched nothing…). */
  notes: string[];
  /** Whether the rewritten bytes came from the cache. */
  cache?: "hit" | "miss" | "stored";
}

export function newOutcome(): RewriteOutcome {
  return { rewritten: false, trackersNeutralized: 0, notes: [] };
}

/** The start of a failed rewrite's `error`: what threw. */
export function rewriteFailed(error: unknown): string {
  return `rewrite failed (${(error as Error)?.message ?? String(error)})`;
}

/**
 * Streams one HTML body through the scanner. Output goes to `out` synchronously, so backpressure
 * is the socket's: `write` returns false when `out` did. If anything throws, the bytes not yet
 * sent go out unchanged and so does the rest of the body: the reader gets the page, not an error;
 * the notices not yet placed follow it (see `noticeScripts`).
 */
export class HtmlBodyRewriter {
  private scanner: HtmlScanner | null = null;
  private rewriter: PageRewriter | null = null;
  private readonly stats: RewriteStats = { changed: false, trackersNeutralized: 0, notes: [] };
  private probe: Buffer[] | null = [];
  private probeLength = 0;
  private passthrough = false;
  /** After a failure: the notices the page still owes the reader. */
  private owed: readonly PlannedNotice[] = [];
  private ok = true;
  private finished = false;

  constructor(
    private readonly plan: PagePlan,
    /** From the Content-Type header, if it names a charset. */
    private readonly declared: CharsetMode | null,
    private readonly outcome: RewriteOutcome,
    private readonly out: (chunk: Buffer) => boolean,
    private readonly limits: ScannerLimits = DEFAULT_LIMITS,
    /** The body is given whole: on failure it goes out as the app wrote it, not partly rewritten. */
    private readonly whole = false,
  ) {}

  /** After a failure: the notices the page still owes the reader. */
  get owedNotices(): readonly PlannedNotice[] {
    return this.owed;
  }

  get failed(): boolean {
    return this.outcome.error !== undefined;
  }

  write(chunk: Buffer): boolean {
    if (this.finished || chunk.length === 0) return true;
    this.ok = true;
    if (this.passthrough) return this.out(chunk);
    if (this.probe) {
      // The byte order mark decides the encoding before anything else does.
      this.probe.push(chunk);
      this.probeLength += chunk.length;
      if (this.probeLength < 3) return true;
      this.start();
      return this.ok;
    }
    this.feed(chunk);
    return this.ok;
  }

  end(): void {
    if (this.finished) return;
    if (this.probe) this.start();
    this.finished = true;
    if (!this.passthrough && this.scanner) {
      try {
        this.scanner.end();
        this.rewriter!.flushOutput();
      } catch (error) {
        this.fail(error);
      }
    }
    if (this.owed.length > 0 && !this.whole) {
      this.emit(noticeScripts(this.owed));
      this.stats.changed = true;
    }
    this.outcome.rewritten = this.stats.changed;
    this.outcome.trackersNeutralized = this.stats.trackersNeutralized;
    this.outcome.notes.push(...this.stats.notes);
  }

  private emit = (chunk: Buffer): void => {
    if (!this.out(chunk)) this.ok = false;
  };

  private start(): void {
    const pieces = this.probe!;
    this.probe = null;
    const head = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    const bom = byteOrderMark(head);
    const { plan } = this;
    if (plan.head === null && plan.notices.length === 0 && plan.trackers === null) {
      // Nothing to do: not even the end tags the scanner puts in where SVG may have been closed from below.
      this.passthrough = true;
      this.emit(head);
      return;
    }
    if (bom === "utf16") {
      this.outcome.notes.push("UTF-16 page: sent as it is");
      this.passthrough = true;
      this.emit(head);
      return;
    }
    const tree = new HtmlTree();
    this.rewriter = new PageRewriter(this.plan, bom === "utf8" ? "utf8" : this.declared, this.stats, tree);
    this.scanner = new HtmlScanner(this.rewriter, this.rewriter.output(this.emit), this.limits, tree);
    this.feed(head);
  }

  private feed(chunk: Buffer): void {
    try {
      this.scanner!.write(chunk);
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    // A whole body goes out as the app wrote it, so it owes every notice.
    this.owed = this.whole ? this.plan.notices : (this.rewriter?.unplacedNotices() ?? []);
    const pieces = this.scanner?.abort() ?? [];
    // A <style> held for inspection goes first, unchanged in order.
    this.rewriter?.flushOutput(false);
    this.scanner = null;
    this.rewriter = null;
    this.passthrough = true;
    const sent = this.whole ? "the page was sent as the app wrote it" : "the rest of the page was sent unchanged";
    this.outcome.error = `${rewriteFailed(error)}; ${sent}${this.owed.length > 0 ? ", with its notice shown by a script at its end" : ""}`;
    for (const piece of pieces) this.emit(piece);
  }
}

/**
 * The notices a failed rewrite did not place, as the scripts that show one in a frameset page: a
 * popover added once the document is parsed, wherever the script stands. ASCII, so they fit a page
 * of any charset the rewrite reads, and their hashes are in the page's policy already. At the end
 * of the body they cannot push a `<meta charset>` out of the first 1,024 bytes.
 */
function noticeScripts(notices: readonly PlannedNotice[]): Buffer {
  return Buffer.concat(notices.map((n) => n.frameset));
}

/**
 * Rewrites a body the app gave in one piece (`res.send`, `res.end(body)`). On failure the page
 * goes out as the app wrote it, never half rewritten, with its notices' scripts at the end. The
 * rewritten body is returned as its pieces: slices of `body` are kept, not copied.
 */
export function rewriteWhole(plan: PagePlan, declared: CharsetMode | null, outcome: RewriteOutcome, body: Buffer, limits?: ScannerLimits): Buffer | BodyPieces {
  const pieces: Buffer[] = [];
  let length = 0;
  const rewriter = new HtmlBodyRewriter(plan, declared, outcome, (chunk) => {
    pieces.push(chunk);
    length += chunk.length;
    return true;
  }, limits, true);
  rewriter.write(body);
  rewriter.end();
  if (rewriter.failed) {
    const owed = rewriter.owedNotices;
    outcome.rewritten = owed.length > 0;
    return owed.length > 0 ? Buffer.concat([body, noticeScripts(owed)]) : body;
  }
  return pieces.length === 1 ? pieces[0]! : { pieces, length };
}
