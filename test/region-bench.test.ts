import { expect } from "chai";
import { join } from "node:path";
import { dbipCitySection, measureDbipCity } from "../bench/region.js";
import { DBIP_PACKAGE, installDbipPackage } from "./support/dbip-package.js";
import { tempDir } from "./support/region-fixtures.js";

describe("npm run bench -- region: the DB-IP Lite City rows", () => {
  it("measures the package as the middleware opens it: both files, subdivisions, memory and lookups per second", () => {
    const folder = installDbipPackage(tempDir());
    const f = measureDbipCity(folder, 30);
    expect(f.databaseType).to.equal("city ipv4 + city ipv6");
    expect(f.uncached).to.be.greaterThan(1000);
    expect(f.cached).to.be.greaterThan(f.uncached);
    // The small stand-in holds a handful of networks: few scattered addresses fall in them.
    expect(f.withSubdivision).to.be.within(0, 0.01);
    expect(f.buffersMb).to.be.a("number");
  });

  it("prints them for an installed package or its folder, or says how to install it", () => {
    const app = tempDir();
    const folder = installDbipPackage(app);
    const printed: string[] = [];
    dbipCitySection(folder, 30, (l) => printed.push(l));
    expect(printed.join("\n")).to.match(/DB-IP Lite City \(.*, city ipv4 \+ city ipv6\): opened in \d+ ms; memory \+-?\d+ MB resident, \+-?\d+ MB in buffers/);
    expect(printed.join("\n")).to.match(/lookups per second: resolver uncached [\d,]+, cached \(warm, 1,000 addresses\) [\d,]+; \d+% of scattered addresses placed in a subdivision/);
    const none: string[] = [];
    dbipCitySection(join(app, "no-such-folder", DBIP_PACKAGE), 30, (l) => none.push(l));
    expect(none.join("\n")).to.contain(`is not installed here; npm install ${DBIP_PACKAGE}`);
  });
});
