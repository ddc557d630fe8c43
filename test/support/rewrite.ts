import { NoticeRenderer } from "../../src/actions/notice.js";
import { loadShippedTrackerList, type TrackerList } from "../../src/actions/trackers/list.js";
import { BodyRewriting, type ReaderFacts, type ResponsePlan } from "../../src/http/body-rewrite.js";
import { HtmlBodyRewriter, newOutcome, rewriteWhole, type RewriteOutcome } from "../../src/http/body-rewriter.js";
import { joined } from "../../src/http/intercept.js";
import type { CharsetMode } from "../../src/http/charset.js";
import type { Action } from "../../src/rules/actions.js";
import { decisionWith, shippedRuleset } from "./decisions.js";

export const READER: ReaderFacts = { method: "GET", host: "ledger.example", cookies: undefined, ifNoneMatch: undefined };

export function planOf(actions: Action[], facts: Partial<ReaderFacts> = {}, trackers: TrackerList = loadShippedTrackerList()): ResponsePlan {
  const body = new BodyRewriting({ trackers, notices: new NoticeRenderer(), cacheBytes: 0 });
  const plan = body.planFor({ ...READER, ...facts }, decisionWith(actions), shippedRuleset(), {}, newOutcome());
  if (!plan) throw new Error("nothing to do for these actions");
  return plan;
}

/** Rewrites a page given whole. */
export function rewrite(page: string | Buffer, plan: ResponsePlan, declared: CharsetMode | null = "utf8"): { out: Buffer; outcome: RewriteOutcome } {
  const outcome = newOutcome();
  const out = joined(rewriteWhole(plan, declared, outcome, typeof page === "string" ? Buffer.from(page) : page));
  return { out, outcome };
}

/** Rewrites a page cut at the given offsets, as a stream. */
export function rewriteInChunks(page: Buffer, cuts: number[], plan: ResponsePlan, declared: CharsetMode | null = "utf8"): { out: Buffer; outcome: RewriteOutcome } {
  const outcome = newOutcome();
  const pieces: Buffer[] = [];
  const rewriter = new HtmlBodyRewriter(plan, declared, outcome, (c) => {
    pieces.push(Buffer.from(c));
    return true;
  });
  let last = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= last || cut >= page.length) continue;
    rewriter.write(page.subarray(last, cut));
    last = cut;
  }
  rewriter.write(page.subarray(last));
  rewriter.end();
  return { out: Buffer.concat(pieces), outcome };
}

/** The notice markup a plan inserts (its first notice), as UTF-8 or ASCII bytes. */
export function noticeBytes(plan: ResponsePlan, ascii = false): Buffer {
  const n = plan.notices[0]!.rendered;
  return ascii ? n.ascii : n.utf8;
}

export function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}
