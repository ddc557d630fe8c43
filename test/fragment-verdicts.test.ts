import { expect } from "chai";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import { TrackerMatcher } from "../src/actions/trackers/matcher.js";
import { FragmentVerdicts } from "../src/http/fragment-verdicts.js";
import { trackers } from "./support/decisions.js";

describe("fragment verdicts", () => {
  const list = loadShippedTrackerList();

  it("judge each text once per rules, page host and context", () => {
    const verdicts = new FragmentVerdicts<string>();
    const judged: string[] = [];
    const ask = (m: TrackerMatcher, context: string, text: string) => verdicts.verdict(m, context, text, () => (judged.push(`${m.firstPartyHost} ${context} ${text}`), `${m.firstPartyHost} ${context} ${text}`));
    const here = new TrackerMatcher([trackers("third-party")], list, "ledger.example");
    const hereAgain = new TrackerMatcher([trackers("third-party")], list, "ledger.example");
    const there = new TrackerMatcher([trackers("third-party")], list, "other.example");
    const allowing = new TrackerMatcher([trackers("third-party", ["partner.example"])], list, "ledger.example");
    expect(ask(here, "a", "x")).to.equal("ledger.example a x");
    // A new request with the same rules and host: the kept verdict.
    expect(ask(hereAgain, "a", "x")).to.equal("ledger.example a x");
    expect(ask(here, "b", "x")).to.equal("ledger.example b x");
    expect(ask(there, "a", "x")).to.equal("other.example a x");
    expect(ask(allowing, "a", "x")).to.equal("ledger.example a x");
    expect(judged).to.have.length(4);
  });

  it("keep no more than a bounded amount of text, and judge again what was let go", () => {
    const verdicts = new FragmentVerdicts<number>();
    const m = new TrackerMatcher([trackers("third-party")], list, "ledger.example");
    let calls = 0;
    const text = (i: number) => String(i).padEnd(200 * 1024, ".");
    for (let i = 0; i < 30; i++) verdicts.verdict(m, "", text(i), () => ++calls);
    expect(calls).to.equal(30);
    // 6 MB went in; the first texts were let go, the last is kept.
    expect(verdicts.verdict(m, "", text(0), () => -1)).to.equal(-1);
    expect(verdicts.verdict(m, "", text(29), () => -1)).to.equal(30);
    // Longer than a fragment is kept for: judged every time.
    const long = "x".repeat(300 * 1024);
    expect(verdicts.verdict(m, "", long, () => 1)).to.equal(1);
    expect(verdicts.verdict(m, "", long, () => 2)).to.equal(2);
  });
});
