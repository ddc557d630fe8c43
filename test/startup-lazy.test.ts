import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./support/startup-modules.js", import.meta.url));

/** The packages whose CommonJS files a process loaded, after building the middleware and serving a request. */
function packagesLoaded(...args: string[]): Set<string> {
  const files = JSON.parse(execFileSync(process.execPath, [CHILD, ...args], { encoding: "utf8" })) as string[];
  const names = files.flatMap((f) => {
    const m = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
    return m ? [m[1]!] : [];
  });
  return new Set(names);
}

describe("what a process loads for the middleware", function () {
  this.timeout(60000);

  it("loads neither pino, rotation, OpenTelemetry, prom-client's default metrics nor CLI-only packages when none is used", () => {
    const loaded = packagesLoaded("no-log");
    for (const name of ["pino", "pino-roll", "date-fns", "@opentelemetry/api", "hdr-histogram-js", "tdigest", "bintrees"]) expect(loaded, name).to.not.include(name);
    expect(loaded).to.include("prom-client").and.to.include("yaml");
  });

  it("loads pino once the log opens a destination of its own, and still not rotation", () => {
    const loaded = packagesLoaded("file", join(mkdtempSync(join(tmpdir(), "gc-startup-")), "decisions.jsonl"));
    expect(loaded).to.include("pino");
    for (const name of ["pino-roll", "date-fns", "@opentelemetry/api"]) expect(loaded, name).to.not.include(name);
  });
});
