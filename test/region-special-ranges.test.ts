import { readFileSync } from "node:fs";
import { expect } from "chai";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { ipv4Range, ipv6Range, SPECIAL_RANGES_FILE, type SpecialRangesTable } from "../src/region/address-range.js";
import { compileTrust, normalizeAddress } from "../src/region/client-address.js";
import { GeoIpDatabase } from "../src/region/geoip.js";
import { inIPv6Network, ipv4ToInt, ipv6Groups, ipv6Text, mappedIPv4 } from "../src/region/ip-address.js";
import { NetworkTable } from "../src/region/networks.js";
import { RegionResolver } from "../src/region/resolve.js";
import { compileRegionHeaders } from "../src/region/cdn-headers.js";
import { networkPrefix } from "../src/log/client.js";
import { requireCjs } from "../src/require-cjs.js";
import { cityRecord, writeMmdb } from "./support/mmdb-writer.js";
import { fakeRequest } from "./support/region-fixtures.js";

// ipaddr.js here is 2.x, the build-time dependency the table comes from.
type Address2 = ipaddr.IPv4 | ipaddr.IPv6;
type Ranges2 = Record<string, [Address2, number] | Array<[Address2, number]>>;
const specialRanges = (prototype: object): Ranges2 => (prototype as { SpecialRanges: Ranges2 }).SpecialRanges;

/** The WHATWG URL parser's reading of an IPv6 address, in its canonical short form. */
const urlReading = (address: string): string => new URL(`http://[${address}]/`).hostname;
const fullForm = (groups: readonly number[]): string => groups.map((g) => g.toString(16)).join(":");

const subnets = <A extends Address2>(ranges: Ranges2): Array<[string, A, number]> =>
  Object.entries(ranges).flatMap(([name, list]) => (Array.isArray(list[0]) ? (list as Array<[A, number]>) : [list as [A, number]]).map(([a, bits]) => [name, a, bits] as [string, A, number]));

/** An address inside `base/bits`, its host bits from `noise` (one number per bit position). */
function inside(base: number[], width: number, bits: number, noise: number[]): number[] {
  const total = base.length * width;
  return base.map((part, i) => {
    let value = part;
    for (let b = 0; b < width; b++) {
      const position = i * width + b;
      if (position < bits || position >= total) continue;
      const bit = 1 << (width - 1 - b);
      value = noise[position]! & 1 ? value | bit : value & ~bit;
    }
    return value;
  });
}

const v6Text = (parts: number[]): string => parts.map((p) => p.toString(16)).join(":");

describe("region: special address ranges, from ipaddr.js 2 at build time", () => {
  const v4Subnets = subnets<ipaddr.IPv4>(specialRanges(ipaddr.IPv4.prototype));
  const v6Subnets = subnets<ipaddr.IPv6>(specialRanges(ipaddr.IPv6.prototype));

  it("the table the build writes is ipaddr.js 2's, entry for entry, in its order", () => {
    const table = JSON.parse(readFileSync(SPECIAL_RANGES_FILE, "utf8")) as SpecialRangesTable;
    expect(table.source).to.equal(`ipaddr.js@${(requireCjs("ipaddr.js/package.json") as { version: string }).version}`);
    expect(table.v4).to.deep.equal(v4Subnets.map(([name, a, bits]) => [name, a.octets, bits]));
    expect(table.v6).to.deep.equal(v6Subnets.map(([name, a, bits]) => [name, a.parts, bits]));
    // The ranges the runtime copy (1.9) lacks are there.
    expect(ipv4Range(ipv4ToInt("198.18.0.1")!)).to.equal("reserved");
    expect(ipv4Range(ipv4ToInt("192.31.196.1")!)).to.equal("as112");
    expect(ipv6Range(ipv6Groups("2001:2::1")!)).to.equal("benchmarking");
  });

  it("classifies IPv4 addresses as ipaddr.js 2 does, random ones and ones inside each range (property)", () => {
    const inRange = fc.tuple(fc.constantFrom(...v4Subnets), fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 32, maxLength: 32 })).map(([[, a, bits], noise]) => inside(a.octets, 8, bits, noise).join("."));
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), inRange), (address) => {
        const value = ipv4ToInt(address);
        expect(value).to.equal(ipaddr.IPv4.parse(address).toByteArray().reduce((n, b) => n * 256 + b, 0));
        expect(ipv4Range(value!), address).to.equal(ipaddr.parse(address).range());
      }),
      { numRuns: 3000 },
    );
    for (const not of ["1.2.3", "01.2.3.4", "256.0.0.1", "1.2.3.4.5", "::1", "1.2.3.4 ", ""]) expect(ipv4ToInt(not), not).to.equal(null);
  });

  it("reads every IPv6 address as the URL parser does, and classifies it as ipaddr.js 2 does (property)", () => {
    const inRange = fc.tuple(fc.constantFrom(...v6Subnets), fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 128, maxLength: 128 })).map(([[, a, bits], noise]) => fullForm(inside(a.parts, 16, bits, noise)));
    // Upper-case hex is as valid as lower-case, and a proxy may write either; a zone id is dropped.
    const spelled = fc
      .tuple(fc.oneof(fc.ipV6(), inRange, inRange.map((a) => urlReading(a).slice(1, -1))), fc.boolean(), fc.constantFrom("", "%eth0"))
      .map(([a, upper, zone]) => (upper ? a.toUpperCase() : a) + zone);
    fc.assert(
      fc.property(spelled, (address) => {
        const groups = ipv6Groups(address);
        expect(groups, address).to.have.length(8);
        const bare = address.replace(/%.*/, "");
        expect(urlReading(fullForm(groups!)), address).to.equal(urlReading(bare));
        expect(`[${ipv6Text(groups!)}]`).to.equal(urlReading(bare));
        expect(ipv6Range(groups!), address).to.equal(new ipaddr.IPv6([...groups!]).range());
      }),
      { numRuns: 3000 },
    );
    for (const not of ["", "1.2.3.4", "::g", "1:2:3:4:5:6:7:8:9", "1::2::3", "::1.2.3", "::01.2.3.4", ":1::", "1:2:3:4:5:6:7:1.2.3.4"]) expect(ipv6Groups(not), not).to.equal(null);
  });

  it("reads the forms ipaddr.js gets wrong as the standard does", () => {
    // 1.9 (Express's) throws on these; 2.x reads ::1.2.3.4 as ::ffff:1.2.3.4.
    expect(ipv6Groups("1::1.2.3.4")).to.deep.equal([1, 0, 0, 0, 0, 0, 0x0102, 0x0304]);
    expect(ipv6Groups("::1.2.3.4")).to.deep.equal([0, 0, 0, 0, 0, 0, 0x0102, 0x0304]);
    expect(ipv6Groups("1:2:3:4:5::1.2.3.4")).to.deep.equal([1, 2, 3, 4, 5, 0, 0x0102, 0x0304]);
    expect(mappedIPv4(ipv6Groups("::ffff:5bcf:390a")!)).to.equal("91.207.57.10");
    expect(mappedIPv4(ipv6Groups("::5bcf:390a")!)).to.equal(null);
    expect(normalizeAddress("::FFFF:5BCF:390A")).to.equal("91.207.57.10");
    expect(inIPv6Network(ipv6Groups("2001:db8:ffff::1")!, ipv6Groups("2001:db8::")!, 32)).to.equal(true);
    expect(inIPv6Network(ipv6Groups("2001:db9::1")!, ipv6Groups("2001:db8::")!, 32)).to.equal(false);
    expect(inIPv6Network(ipv6Groups("2001:db8::1")!, ipv6Groups("2001:db8::")!, 31)).to.equal(true);
    expect(inIPv6Network(ipv6Groups("2001:db9::1")!, ipv6Groups("2001:db8::")!, 31)).to.equal(true);
    expect(inIPv6Network(ipv6Groups("2001:dba::1")!, ipv6Groups("2001:db8::")!, 31)).to.equal(false);
    expect(inIPv6Network(ipv6Groups("ffff::1")!, ipv6Groups("::")!, 0)).to.equal(true);
  });

  it("log prefixes of IPv6 addresses are in RFC 5952's short form", () => {
    expect(networkPrefix("2001:db8:1:2::5")).to.equal("2001:db8:1::/48");
    expect(networkPrefix("2001:0:1:2::5")).to.equal("2001:0:1::/48");
    expect(networkPrefix("2a02:2378:0:1::5")).to.equal("2a02:2378::/48");
    expect(networkPrefix("::ffff:77.88.1.2")).to.equal("77.88.1.0/24");
  });

  it("a reader at a special-purpose address is placed nowhere, even where a database lists it", () => {
    // A damaged or careless database that places benchmarking and AS112 networks in Russia.
    const listed = ["198.18.0.0/15", "192.31.196.0/24", "2001:2::/48", "2620:4f:8000::/48", "100::/64", "5f00::/16", "85.214.0.0/16"];
    const database = GeoIpDatabase.fromBuffer(
      "special.mmdb",
      writeMmdb(listed.map((network) => ({ network, record: cityRecord({ country: "RU", subdivisions: ["MOW"] }) })), { databaseType: "GeoIP2-City", buildEpoch: 1_750_000_000 }),
    );
    const resolver = new RegionResolver({
      trust: compileTrust(false),
      database: () => database,
      headers: compileRegionHeaders([]),
      networks: NetworkTable.compile([]),
      preview: null,
      clock: () => new Date("2026-06-01T12:00:00Z"),
      cacheSize: 10,
    });
    const region = (peer: string) => resolver.resolve(fakeRequest(peer)).region;
    expect(region("198.18.3.4")).to.include({ country: null, reason: "reserved address" });
    expect(region("192.31.196.9")).to.include({ country: null, reason: "as112 address" });
    expect(region("2001:2::9")).to.include({ country: null, reason: "benchmarking address" });
    expect(region("2620:4f:8000::9")).to.include({ country: null, reason: "as112v6 address" });
    expect(region("100::9")).to.include({ country: null, reason: "discard address" });
    expect(region("5f00::9")).to.include({ country: null, reason: "segmentRouting address" });
    expect(region("85.214.1.1"), "an ordinary address the database lists").to.include({ country: "RU" });
    // ::a.b.c.d (IPv4-compatible) is not ::ffff:a.b.c.d, as ipaddr.js 2 reads it: the database is asked, and has it.
    expect(region("::85.214.1.1")).to.include({ country: "RU" });
  });
});
