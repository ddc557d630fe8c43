import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./support/startup-modules.js", import.meta.url));

/** The CommonJS files a process loaded, after building the middleware and serving a request. */
const filesLoaded = (...args: string[]): string[] => JSON.parse(execFileSync(process.execPath, [CHILD, ...args], { encoding: "utf8" })) as string[];

/** The packages whose CommonJS files a process loaded, after building the middleware and serving a request. */
function packagesLoaded(...args: string[]): Set<string> {
  // A package.json read for a version (the compiled tracker list's stamp) is not the package loaded.
  const names = filesLoaded(...args).filter((f) => !/[\\/]package\.json$/.test(f)).flatMap((f) => {
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

  it("compiles no schema: of ajv, only the helpers that the validators compiled by the build call are loaded", () => {
    const files = filesLoaded("no-log").map((f) => f.replaceAll("\\", "/"));
    const ajv = files.filter((f) => /\/node_modules\/ajv\//.test(f));
    expect(ajv).to.not.be.empty;
    for (const f of ajv) expect(f).to.match(/\/node_modules\/ajv\/dist\/runtime\//);
    for (const name of ["fast-uri", "json-schema-traverse", "fast-deep-equal"]) expect(files.some((f) => f.includes(`/node_modules/${name}/`)), name).to.equal(false);
  });

  it("loads the public suffix list (tldts) for a protected reader's page, and not for a reader no rule applies to", () => {
    expect(packagesLoaded("no-log", "free-reader")).to.not.include("tldts");
    expect(packagesLoaded("no-log")).to.include("tldts");
  });

  it("loads pino once the log opens a destination of its own, and still not rotation", () => {
    const loaded = packagesLoaded("file", join(mkdtempSync(join(tmpdir(), "gc-startup-")), "decisions.jsonl"));
    expect(loaded).to.include("pino");
    for (const name of ["pino-roll", "date-fns", "@opentelemetry/api"]) expect(loaded, name).to.not.include(name);
  });
});
