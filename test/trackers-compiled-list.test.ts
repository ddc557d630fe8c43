import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  COMPILED_SHIPPED_LIST_FILE,
  compileTrackerList,
  loadCompiledTrackerList,
  loadShippedTrackerList,
  loadTrackerListFile,
  shippedTrackerListPath,
  TrackerList,
  TrackerListError,
} from "../src/actions/trackers/list.js";

/** What a list holds, in a form chai compares. */
const contents = (list: TrackerList): unknown => ({ entries: list.entries, domains: list.domains(), ignored: list.ignored, warnings: list.warnings });

describe("the shipped tracker list compiled by the build", function () {
  this.timeout(60000);
  const shipped = shippedTrackerListPath();
  const dir = mkdtempSync(join(tmpdir(), "gc-compiled-list-"));
  const list = join(dir, "trackers.yaml");
  const compiled = join(dir, "trackers.json");
  beforeEach(() => {
    writeFileSync(list, readFileSync(shipped));
    writeFileSync(compiled, compileTrackerList(list));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is in the build, and what start-up loads equals the list parsed from the YAML", () => {
    expect(readFileSync(COMPILED_SHIPPED_LIST_FILE, "utf8")).to.equal(compileTrackerList(shipped).replaceAll(list, shipped));
    const parsed = loadTrackerListFile(shipped);
    expect(contents(loadShippedTrackerList())).to.deep.equal(contents(parsed));
    expect(loadShippedTrackerList().size).to.equal(parsed.size);
  });

  it("gives entries that name the list file, match like parsed ones and cannot be changed", () => {
    const fromCompiled = loadCompiledTrackerList(list, compiled);
    expect(contents(fromCompiled)).to.deep.equal(contents(loadTrackerListFile(list)));
    expect(fromCompiled.entries[0]!.source).to.equal(list);
    expect(fromCompiled.match("https://region1.google-analytics.com/g/collect")?.vendor).to.equal("Google Analytics");
    expect(fromCompiled.match("google-analytics.com.evil.example")).to.equal(undefined);
    expect(() => (fromCompiled.entries[0]!.domains as string[]).push("evil.example")).to.throw(TypeError);
    expect(Object.isFrozen(fromCompiled.entries[0])).to.equal(true);
  });

  it("is not used once the list is edited: an edited list loads as it reads now, errors included", () => {
    const text = readFileSync(list, "utf8");
    writeFileSync(list, text.replace("[google-analytics.com,", "[google-analytics-edited.com,"));
    const edited = loadCompiledTrackerList(list, compiled);
    expect(edited.match("google-analytics.com")).to.equal(undefined);
    expect(edited.match("google-analytics-edited.com")?.vendor).to.equal("Google Analytics");

    writeFileSync(list, text.replace("[google-analytics.com,", "[Google-Analytics.com,"));
    const errorOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        expect(error).to.be.instanceOf(TrackerListError);
        return (error as Error).message;
      }
      return expect.fail("expected a TrackerListError");
    };
    const message = errorOf(() => loadCompiledTrackerList(list, compiled));
    expect(message).to.equal(errorOf(() => loadTrackerListFile(list)));
    expect(message).to.include(`${list}:`).and.to.include("Google-Analytics.com");
  });

  it("is not used when missing, and a missing list gives the same error as without it", () => {
    expect(contents(loadCompiledTrackerList(list, join(dir, "none.json")))).to.deep.equal(contents(loadTrackerListFile(list)));
    rmSync(list);
    expect(() => loadCompiledTrackerList(list, compiled)).to.throw(TrackerListError, `${list}: no such file`);
  });
});
