import { expect } from "chai";
import { problemsFrom } from "./support/rule-sets.js";

const HEAD = 'rules:\n  - id: a\n    title: A\n    basis: { text: x, url: "https://example.org" }\n    regions: { countries: [KZ] }\n';

/** The problems of one file, without the folder the support helper puts it in. */
function problems(text: string): string[] {
  return problemsFrom({ "a.yaml": text }).map((p) => p.replace(/^.*a\.yaml:/, ""));
}

describe("rules: messages for the people who write the rules", () => {
  it("placement: body-top is body-start in other words", () => {
    const found = problems(`${HEAD}    actions:\n      notice:\n        placement: body-top\n        languages:\n          en: { title: T, text: X }\n`);
    expect(found).to.include('8:20: "placement" must be one of: body-start, body-end, selector; did you mean "body-start"?');
    expect(problems(`${HEAD}    actions:\n      notice:\n        placement: body-bottom\n        languages:\n          en: { title: T, text: X }\n`).join("\n")).to.contain('did you mean "body-end"?');
  });

  it("says in plain words what is wrong with the indentation, with line and column", () => {
    const under = problems("rules:\n  - id: a\n    title: A\n   regions: { countries: [KZ] }\n");
    expect(under).to.deep.equal(['4:1: this line is indented less than the lines above it, but more than the "-" of their entry: line its key up with the keys above it (with spaces), or start a new entry with "- "']);
    const over = problems("rules:\n  - id: a\n    title: A\n      regions: { countries: [KZ] }\n");
    expect(over).to.deep.equal(["3:12: the line after this one is indented more (6 spaces, not 4), although this key's value is already given: line it up with this line"]);
    expect(problems("rules:\n  - id: a\n    title: A\n  regions:\n")).to.deep.equal(["4:1: this key is not lined up with the keys above it at the same level: indent it with as many spaces as they have"]);
    expect(problems("rules:\n  - id: a\n   - id: b\n")).to.deep.equal(['3:4: this "-" entry is not lined up with the entries above it: indent it with as many spaces as they have']);
    for (const p of [...under, ...over]) expect(p).to.not.match(/indicator|implicit|compact mapping/i);
    // A value with ": " in it is still told to be quoted.
    expect(problems("rules:\n  - id: a\n    title: Example: a notice\n")[0]).to.contain("put the whole value in quotes");
  });

  it("names a test by its name:", () => {
    const [p] = problems(`${HEAD}    actions: { gpc: true }\ntests:\n  - name: a reader in Almaty\n    region: KZ\n    expext: { rules: [a] }\n`);
    expect(p).to.equal('10:5: unknown key "expext" in the test "a reader in Almaty"; did you mean "expect"?');
  });

  it("suggests for defaultLanguage only tags that are right themselves", () => {
    const found = problems(`${HEAD}    actions:\n      notice:\n        defaultLanguage: en-US\n        languages:\n          en_US: { title: T, text: X }\n          ru: { title: T, text: X }\n`);
    expect(found[0]).to.equal('8:26: there is no text in "en-US" under languages; add one, or choose one of: ru');
    expect(found.join("\n")).to.not.match(/did you mean "?en_US/);
  });

  it("a date hint offers the offset of the rule's own other date, and names no city when it cannot know", () => {
    const own = problems(`${HEAD}    effective: { from: "2026-03-01", until: "2027-01-01T00:00:00+05:00" }\n    actions: { gpc: true }\n`);
    expect(own[0]).to.contain("write 2026-03-01T00:00:00+05:00, the offset of this rule's other date, or 2026-03-01T00:00:00Z for midnight UTC");
    expect(own[0]).to.not.contain("Moscow");
    const london = problems(HEAD.replace("[KZ]", "[GB]") + `    effective: { from: "2026-07-01" }\n    actions: { gpc: true }\n`);
    expect(london[0]).to.contain("write 2026-07-01T00:00:00+01:00 for midnight in London");
    const none = problems(`${HEAD.replace("[KZ]", "[KZ, UZ]")}    effective: { from: "2026-03-01" }\n    actions: { gpc: true }\n`);
    expect(none[0]).to.contain("with the offset of the place the rule is for");
  });
});
