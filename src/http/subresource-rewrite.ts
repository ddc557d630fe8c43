import type { IncomingMessage, ServerResponse } from "node:http";
import { responseKind } from "../actions/cache.js";
import { neutralizeCss } from "../actions/trackers/css.js";
import type { TrackerMatcher } from "../actions/trackers/matcher.js";
import { blocksFromPage } from "../actions/trackers/page-url.js";
import { rewriteImports, switchedOffScript, withGuardFirst } from "../actions/trackers/script-imports.js";
import { rewriteFailed, type RewriteOutcome } from "./body-rewriter.js";
import type { SyncStage } from "./content-encoding.js";

/**
 * The site's own stylesheets and scripts, rewritten for a reader whose trackers are blocked, as its
 * pages are: they pass through the middleware like the pages, and what they load reaches a third
 * party as surely as what a page loads. Stylesheets get the `url()`, `@import` and `image-set()` of
 * blocked hosts made inert; scripts get their imports rewritten (see `rewriteImports`), and a worker
 * script gets the worker guard first, since nothing of the page's guard reaches a worker's global.
 *
 * The rewrite needs the whole file (a URL or an import may be cut anywhere), so the body is held, up
 * to a bound. Past it the file fails closed: a stylesheet becomes empty, a script throws. Files that
 * large are rare; a reader who gets one without the site's style or script is safe, one who gets it
 * unread may not be.
 */

export type SubresourceKind = "style" | "script";

/** Where a script will run, from the request's `Sec-Fetch-Dest`: a worker, not a worker, or not said. */
export type ScriptDestination = "worker" | "other" | "unknown";

/** The largest stylesheet or script held for the rewrite. */
export const MAX_SUBRESOURCE_BYTES = 8 * 1024 * 1024;

const WORKER_DESTINATIONS = new Set(["worker", "sharedworker", "serviceworker"]);
/** Requests whose response may be a stylesheet or a script to rewrite: their validators must not bring back the app's bytes. */
const SUBRESOURCE_DESTINATIONS = new Set(["script", "style", "worker", "sharedworker", "serviceworker"]);
const SUBRESOURCE_PATH = /\.(?:m?js|css)$/i;

export function scriptDestination(req: IncomingMessage): ScriptDestination {
  const dest = req.headers["sec-fetch-dest"];
  if (typeof dest !== "string" || dest.trim() === "") return "unknown";
  return WORKER_DESTINATIONS.has(dest.trim().toLowerCase()) ? "worker" : "other";
}

/** Whether the request asks for what may be a stylesheet or a script (by its destination, else its path). */
export function mayBeSubresource(req: IncomingMessage, path: string): boolean {
  const dest = req.headers["sec-fetch-dest"];
  if (typeof dest === "string" && dest.trim() !== "") return SUBRESOURCE_DESTINATIONS.has(dest.trim().toLowerCase());
  return SUBRESOURCE_PATH.test(path);
}

/** The kind of a response this rewrite applies to, or null. */
export function subresourceKind(res: ServerResponse, path: string): SubresourceKind | null {
  const kind = responseKind(res, path);
  return kind === "style" || kind === "script" ? kind : null;
}

/** What a subresource's rewrite needs besides its bytes. */
export interface SubresourcePlan {
  readonly kind: SubresourceKind;
  readonly trackers: TrackerMatcher;
  readonly destination: ScriptDestination;
  /** The worker guard for these trackers: `onlyInWorker` when the destination is unknown. */
  readonly workerGuard: (onlyInWorker: boolean) => string;
}

/** A stylesheet or script as it should go out, as Latin-1 text; null when it goes out as it came. */
export function rewriteSubresource(text: string, plan: SubresourcePlan, outcome: RewriteOutcome): string | null {
  if (plan.kind === "style") {
    const rewritten = neutralizeCss(text, plan.trackers);
    if (!rewritten) return null;
    outcome.trackersNeutralized++;
    return rewritten.css;
  }
  const imports = rewriteImports(text, (specifier) => blocksFromPage(plan.trackers, specifier));
  let code: string | null = null;
  if (imports.kind === "unreadable") {
    outcome.notes.push(`script switched off: ${imports.reason}`);
    outcome.trackersNeutralized++;
    code = switchedOffScript(imports.reason);
  } else if (imports.kind === "rewritten") {
    if (imports.blocked !== null) outcome.trackersNeutralized++;
    code = imports.code;
  }
  if (plan.destination === "other") return code;
  return withGuardFirst(code ?? text, plan.workerGuard(plan.destination === "unknown"));
}

/** What a file that could not be read becomes: it loads nothing and does nothing. */
function switchedOff(kind: SubresourceKind, why: string): string {
  return kind === "style" ? `/* geo-compliance: stylesheet ${why} */` : switchedOffScript(why);
}

/** Holds a stylesheet or script, then sends it rewritten at its end. */
export class SubresourceRewriter implements SyncStage {
  private pieces: Buffer[] | null = [];
  private length = 0;

  constructor(
    private readonly plan: SubresourcePlan,
    private readonly outcome: RewriteOutcome,
    private readonly out: (chunk: Buffer) => boolean,
    private readonly limit: number = MAX_SUBRESOURCE_BYTES,
  ) {}

  write(chunk: Buffer): boolean {
    if (this.pieces === null) return true;
    this.length += chunk.length;
    if (this.length > this.limit) this.pieces = null;
    else this.pieces.push(Buffer.from(chunk));
    return true;
  }

  end(): void {
    const pieces = this.pieces;
    const kind = this.plan.kind;
    const what = kind === "style" ? "stylesheet" : "script";
    if (pieces === null) {
      this.outcome.notes.push(`${what} longer than ${this.limit} bytes: sent empty, uninspected`);
      this.outcome.rewritten = true;
      this.out(Buffer.from(switchedOff(kind, "too large to inspect"), "latin1"));
      return;
    }
    const body = Buffer.concat(pieces, this.length);
    let rewritten: string | null;
    try {
      rewritten = rewriteSubresource(body.toString("latin1"), this.plan, this.outcome);
    } catch (error) {
      // Unread, it may load a tracker: it fails closed, as one too large to read does.
      this.outcome.error = `${rewriteFailed(error)}; the ${what} was sent switched off`;
      rewritten = switchedOff(kind, "could not be inspected");
    }
    this.outcome.rewritten = rewritten !== null;
    this.out(rewritten === null ? body : Buffer.from(rewritten, "latin1"));
  }
}

/** A body given whole, rewritten. */
export function rewriteSubresourceWhole(plan: SubresourcePlan, outcome: RewriteOutcome, body: Buffer, limit?: number): Buffer {
  const out: Buffer[] = [];
  const stage = new SubresourceRewriter(plan, outcome, (chunk) => out.push(chunk) > 0, limit);
  stage.write(body);
  stage.end();
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}
