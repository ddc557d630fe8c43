import { expect } from "chai";
import fc from "fast-check";
import { dismissalCookieName, noticeRevision, NoticeRenderer } from "../src/actions/notice.js";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import { BodyRewriting } from "../src/http/body-rewrite.js";
import { newOutcome } from "../src/http/body-rewriter.js";
import { RewriteCache } from "../src/http/rewrite-cache.js";
import type { Action, NoticePlacement } from "../src/rules/actions.js";
import { consent, decisionWith, notice, shippedRuleset, trackers } from "./support/decisions.js";
import { READER } from "./support/rewrite.js";

const RU_RULE = "ru-undesirable-organization";

const page = (bytes: number, fill = "x") => ({ body: Buffer.alloc(bytes, fill), rewritten: true, trackersNeutralized: 0, notes: [] });

describe("rewrite cache", () => {
  it("keeps a page from the second time its key is seen, so one-off pages never push out repeated ones", () => {
    const cache = new RewriteCache(10_000);
    expect(cache.admit("a")).to.equal(false);
    expect(cache.admit("a")).to.equal(true);
    cache.set("a", page(100));
    expect(cache.get("a")?.body.length).to.equal(100);
    expect(cache.get("b")).to.equal(undefined);
    expect(cache.stats()).to.deep.include({ entries: 1, hits: 1, misses: 1 });
  });

  it("is bounded by bytes, the least recently used going first, and refuses pages over a quarter of it", () => {
    const cache = new RewriteCache(10_000);
    for (const k of ["a", "b", "c", "d"]) cache.set(k, page(2000, k));
    expect(cache.get("a")).to.not.equal(undefined); // a is now the most recently used
    cache.set("e", page(2000, "e"));
    expect(cache.get("b"), "the least recently used went").to.equal(undefined);
    expect(cache.get("a")?.body[0]).to.equal("a".charCodeAt(0));
    expect(cache.stats().bytes).to.be.at.most(10_000);
    cache.set("huge", page(2600));
    expect(cache.get("huge")).to.equal(undefined);
  });
});

describe("rewrite plans made once for readers who get the same", () => {
  it("give every reader the plan made for them alone, whatever came before (property)", () => {
    const ruleset = shippedRuleset();
    const rule = ruleset.rules.find((r) => r.id === RU_RULE)!;
    const dismissed = `${dismissalCookieName(RU_RULE)}=${noticeRevision(rule)}`;
    const shared = new BodyRewriting({ trackers: loadShippedTrackerList(), notices: new NoticeRenderer(), cacheBytes: 0 });
    const reader = fc.record({
      host: fc.constantFrom("ledger.example", "www.ledger.example", "other.example", null),
      cookies: fc.constantFrom(undefined, dismissed, "_ga=1", `${dismissalCookieName(RU_RULE)}=stale`),
      language: fc.constantFrom("ru", "en", "uk"),
      dismissible: fc.boolean(),
      placement: fc.constantFrom<NoticePlacement>({ at: "body-start" }, { at: "body-end" }, { at: "selector", selector: "#top", mode: "prepend" }, { at: "selector", selector: "a b", mode: "prepend" }),
      mode: fc.constantFrom("list", "third-party", null),
      withConsent: fc.boolean(),
      rendered: fc.constantFrom<boolean | string[]>(false, true, [RU_RULE], ["other"]),
    });
    fc.assert(
      fc.property(fc.array(reader, { minLength: 1, maxLength: 12 }), (readers) => {
        for (const r of readers) {
          const actions: Action[] = [notice(r.placement, { language: r.language, dismissible: r.dismissible })];
          if (r.mode) actions.push(trackers(r.mode));
          if (r.withConsent) actions.push(consent());
          const facts = { ...READER, host: r.host, cookies: r.cookies };
          const fresh = new BodyRewriting({ trackers: loadShippedTrackerList(), notices: new NoticeRenderer(), cacheBytes: 0 });
          const [a, b] = [newOutcome(), newOutcome()];
          const cached = shared.planFor(facts, decisionWith(actions, ruleset), ruleset, { noticeRendered: r.rendered }, a);
          const alone = fresh.planFor(facts, decisionWith(actions, ruleset), ruleset, { noticeRendered: r.rendered }, b);
          expect(cached?.key, JSON.stringify(r)).to.equal(alone?.key);
          expect(cached?.head?.toString(), JSON.stringify(r)).to.equal(alone?.head?.toString());
          expect(cached?.notices.map((n) => n.rendered.utf8.toString()), JSON.stringify(r)).to.deep.equal(alone?.notices.map((n) => n.rendered.utf8.toString()));
          expect(a.notes).to.deep.equal(b.notes);
        }
      }),
      { numRuns: 150 },
    );
  });
});
