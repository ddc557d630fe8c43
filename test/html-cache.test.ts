import { expect } from "chai";
import { RewriteCache } from "../src/http/rewrite-cache.js";

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
