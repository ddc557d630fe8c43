import { expect } from "chai";
import { iso31661, iso31661Alpha3ToAlpha2, iso31661Reserved, iso31662 } from "iso-3166";
import { alpha3ToAlpha2, countries, reservedCodes, subdivisions } from "../src/region/iso-3166.js";

// The table the build writes must be the iso-3166 package's data, entry for entry, in its order.
describe("the ISO 3166 table written by the build", () => {
  it("has every country, with its codes and name", () => {
    expect(countries).to.deep.equal(iso31661.map((c) => ({ alpha2: c.alpha2, alpha3: c.alpha3, numeric: c.numeric, name: c.name })));
  });

  it("has every subdivision, with its name and parent", () => {
    expect(subdivisions).to.have.length.above(5000);
    expect(subdivisions).to.deep.equal(iso31662.map((s) => ({ code: s.code, name: s.name, parent: s.parent })));
  });

  it("has the reserved codes and every three-letter code", () => {
    expect(reservedCodes).to.deep.equal(iso31661Reserved.map((r) => ({ alpha2: r.alpha2, name: r.name, state: r.state })));
    expect(Object.fromEntries(alpha3ToAlpha2)).to.deep.equal(iso31661Alpha3ToAlpha2);
  });
});
