import { expect } from "chai";
import maxmind, { type Reader, type Response } from "maxmind";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cityRecord,
  corruptMmdb,
  countryRecord,
  flatRecord,
  mmdbValue,
  writeMmdb,
  writeMmdbFile,
  type MmdbEntry,
  type MmdbOptions,
} from "./support/mmdb-writer.js";

function open(buffer: Buffer): Reader<Response> {
  return new maxmind.Reader<Response>(buffer);
}

function lookup(reader: Reader<Response>, ip: string): unknown {
  return reader.get(ip) as unknown;
}

const flat: MmdbOptions = { databaseType: "country ipvAll" };

describe("mmdb-writer (read back with the real maxmind Reader)", () => {
  describe("lookups", () => {
    const entries: MmdbEntry[] = [
      { network: "77.88.0.0/18", record: flatRecord("RU") },
      { network: "8.8.8.0/24", record: flatRecord("US") },
      { network: "2a02:6b8::/32", record: flatRecord("RU") },
      { network: "2001:4860:4860::8888/128", record: flatRecord("US") },
    ];
    const reader = open(writeMmdb(entries, flat));

    it("finds IPv4 networks in an IPv6 tree with the exact record", () => {
      expect(lookup(reader, "77.88.8.8")).to.deep.equal({ country_code: "RU" });
      expect(lookup(reader, "77.88.0.0")).to.deep.equal({ country_code: "RU" });
      expect(lookup(reader, "77.88.63.255")).to.deep.equal({ country_code: "RU" });
      expect(lookup(reader, "8.8.8.8")).to.deep.equal({ country_code: "US" });
    });

    it("reports the network's prefix length", () => {
      expect(reader.getWithPrefixLength("77.88.8.8")).to.deep.equal([{ country_code: "RU" }, 18]);
      expect(reader.getWithPrefixLength("2a02:6b8:0:1::1")).to.deep.equal([{ country_code: "RU" }, 32]);
    });

    it("finds IPv6 networks with the exact record", () => {
      expect(lookup(reader, "2a02:6b8::1")).to.deep.equal({ country_code: "RU" });
      expect(lookup(reader, "2a02:6b8:ffff:ffff:ffff:ffff:ffff:ffff")).to.deep.equal({ country_code: "RU" });
      expect(lookup(reader, "2001:4860:4860::8888")).to.deep.equal({ country_code: "US" });
    });

    it("returns null outside every network", () => {
      expect(lookup(reader, "77.88.64.0")).to.equal(null);
      expect(lookup(reader, "77.87.255.255")).to.equal(null);
      expect(lookup(reader, "1.1.1.1")).to.equal(null);
      expect(lookup(reader, "0.0.0.0")).to.equal(null);
      expect(lookup(reader, "255.255.255.255")).to.equal(null);
      expect(lookup(reader, "2a02:6b9::1")).to.equal(null);
      expect(lookup(reader, "2001:4860:4860::8889")).to.equal(null);
      expect(lookup(reader, "::1")).to.equal(null);
    });

    it("aliases IPv4-mapped (::ffff:0:0/96) and 6to4 (2002::/16) addresses to the IPv4 subtree", () => {
      expect(lookup(reader, "::ffff:77.88.8.8")).to.deep.equal({ country_code: "RU" });
      expect(lookup(reader, "::ffff:4d58:808")).to.deep.equal({ country_code: "RU" });
      expect(lookup(reader, "2002:4d58:0808::1")).to.deep.equal({ country_code: "RU" });
      expect(lookup(reader, "::ffff:1.1.1.1")).to.equal(null);
      // The IPv4 space itself sits at ::/96.
      expect(lookup(reader, "::77.88.8.8")).to.deep.equal({ country_code: "RU" });
    });

    it("leaves the aliases out when asked", () => {
      const plain = open(writeMmdb(entries, { ...flat, ipv4Aliases: false }));
      expect(lookup(plain, "77.88.8.8")).to.deep.equal({ country_code: "RU" });
      expect(lookup(plain, "::ffff:77.88.8.8")).to.equal(null);
      expect(lookup(plain, "2002:4d58:0808::1")).to.equal(null);
      expect(plain.metadata.nodeCount).to.be.lessThan(reader.metadata.nodeCount);
    });

    it("refuses an entry inside an aliased range unless aliases are off", () => {
      const inside: MmdbEntry[] = [
        { network: "1.2.3.0/24", record: flatRecord("AU") },
        { network: "2002:0102:0300::/40", record: flatRecord("JP") },
      ];
      expect(() => writeMmdb(inside, flat)).to.throw(/2002::\/16/);
      const reader2 = open(writeMmdb(inside, { ...flat, ipv4Aliases: false }));
      expect(lookup(reader2, "2002:102:300::1")).to.deep.equal({ country_code: "JP" });
    });

    it("points empty branches at node_count and data at node_count + 16 + offset", () => {
      const buf = writeMmdb([{ network: "128.0.0.0/1", record: "x" }], { databaseType: "x", ipVersion: 4, buildEpoch: 0 });
      expect(open(buf).metadata.nodeCount).to.equal(1);
      // One 24-bit node: left = 1 (no data), right = 1 + 16 + 0; then the separator and the string "x".
      expect([...buf.subarray(0, 6 + 16 + 2)]).to.deep.equal([0, 0, 1, 0, 0, 17, ...new Array<number>(16).fill(0), 0x41, 0x78]);
    });

    it("an empty database has a root node and finds nothing", () => {
      const empty = open(writeMmdb([], flat));
      expect(empty.metadata.nodeCount).to.equal(1);
      expect(lookup(empty, "1.2.3.4")).to.equal(null);
      expect(lookup(empty, "2a02:6b8::1")).to.equal(null);
    });

    it("supports /0 and host routes", () => {
      const r = open(
        writeMmdb(
          [
            { network: "::/0", record: { any: true } },
            { network: "10.0.0.1", record: { host: 1 } },
          ],
          flat,
        ),
      );
      expect(lookup(r, "2a02:6b8::1")).to.deep.equal({ any: true });
      expect(lookup(r, "10.0.0.1")).to.deep.equal({ host: 1 });
      expect(lookup(r, "10.0.0.2")).to.deep.equal({ any: true });
      expect(lookup(r, "::ffff:10.0.0.1")).to.deep.equal({ host: 1 });
    });
  });

  describe("overlapping networks", () => {
    const broad = { name: "broad" };
    const narrow = { name: "narrow" };
    const narrowest = { name: "narrowest" };

    for (const order of ["broad first", "specific first"] as const) {
      it(`IPv4: the most specific network wins, the rest keeps the broad record (${order})`, () => {
        const list: MmdbEntry[] = [
          { network: "10.0.0.0/8", record: broad },
          { network: "10.1.0.0/16", record: narrow },
          { network: "10.1.2.128/25", record: narrowest },
        ];
        const r = open(writeMmdb(order === "broad first" ? list : [...list].reverse(), flat));
        expect(lookup(r, "10.1.2.200")).to.deep.equal(narrowest);
        expect(lookup(r, "10.1.2.127")).to.deep.equal(narrow);
        expect(lookup(r, "10.1.0.0")).to.deep.equal(narrow);
        expect(lookup(r, "10.1.255.255")).to.deep.equal(narrow);
        expect(lookup(r, "10.0.0.0")).to.deep.equal(broad);
        expect(lookup(r, "10.0.255.255")).to.deep.equal(broad);
        expect(lookup(r, "10.2.0.0")).to.deep.equal(broad);
        expect(lookup(r, "10.255.255.255")).to.deep.equal(broad);
        expect(lookup(r, "11.0.0.0")).to.equal(null);
        expect(lookup(r, "9.255.255.255")).to.equal(null);
        // The broad network is stored as the halves left over by the split, as in MaxMind's own files.
        expect(r.getWithPrefixLength("10.200.0.1")[1]).to.equal(9);
        expect(r.getWithPrefixLength("10.0.0.1")[1]).to.equal(16);
      });
    }

    it("IPv6: the most specific network wins, the rest keeps the broad record", () => {
      const r = open(
        writeMmdb(
          [
            { network: "2a02::/16", record: broad },
            { network: "2a02:6b8::/32", record: narrow },
          ],
          flat,
        ),
      );
      expect(lookup(r, "2a02:6b8::1")).to.deep.equal(narrow);
      expect(lookup(r, "2a02:6b7:ffff::1")).to.deep.equal(broad);
      expect(lookup(r, "2a02:6b9::")).to.deep.equal(broad);
      expect(lookup(r, "2a02::")).to.deep.equal(broad);
      expect(lookup(r, "2a03::")).to.equal(null);
    });

    it("the same network twice: the later entry wins", () => {
      const r = open(
        writeMmdb(
          [
            { network: "192.0.2.0/24", record: flatRecord("AA") },
            { network: "192.0.2.0/24", record: flatRecord("BB") },
          ],
          flat,
        ),
      );
      expect(lookup(r, "192.0.2.1")).to.deep.equal({ country_code: "BB" });
    });

    it("matches a brute-force longest-prefix match over random overlapping networks", () => {
      let seed = 12345;
      const rand = (n: number): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return (seed >>> 8) % n;
      };
      const toIp = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
      const nets: Array<{ base: number; prefix: number; id: number }> = [];
      for (let id = 0; id < 300; id++) {
        const prefix = 4 + rand(25);
        // Bias into 10/8 so that networks overlap often.
        const raw = rand(2) ? ((10 << 24) | (rand(1 << 24) << 0)) >>> 0 : (rand(1 << 16) * 65536 + rand(65536)) >>> 0;
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
        nets.push({ base: (raw & mask) >>> 0, prefix, id });
      }
      const entries = nets.map((n) => ({ network: `${toIp(n.base)}/${n.prefix}`, record: { id: n.id } }));
      for (const ipVersion of [4, 6] as const) {
        const r = open(writeMmdb(entries, { ...flat, ipVersion }));
        for (let i = 0; i < 3000; i++) {
          const target = nets[rand(nets.length)]!;
          // Half the probes land inside a known network, half anywhere.
          const addr = rand(2) ? (target.base + rand(2 ** (32 - target.prefix))) >>> 0 : (rand(65536) * 65536 + rand(65536)) >>> 0;
          let best: { prefix: number; id: number } | null = null;
          for (const n of nets) {
            const mask = (0xffffffff << (32 - n.prefix)) >>> 0;
            if (((addr & mask) >>> 0) === n.base && (!best || n.prefix >= best.prefix)) best = n;
          }
          expect(lookup(r, toIp(addr)), `${toIp(addr)} (ipVersion ${ipVersion})`).to.deep.equal(best ? { id: best.id } : null);
        }
      }
    });
  });

  describe("metadata", () => {
    it("reads back every field", () => {
      const r = open(
        writeMmdb([{ network: "1.2.3.0/24", record: flatRecord("AU") }], {
          databaseType: "GeoIP2-City",
          languages: ["en", "de"],
          description: { en: "Test fixture", de: "Testdaten" },
          buildEpoch: 1_700_000_000,
        }),
      );
      expect(r.metadata.binaryFormatMajorVersion).to.equal(2);
      expect(r.metadata.binaryFormatMinorVersion).to.equal(0);
      expect(r.metadata.databaseType).to.equal("GeoIP2-City");
      expect(r.metadata.languages).to.deep.equal(["en", "de"]);
      expect(r.metadata.description).to.deep.equal({ en: "Test fixture", de: "Testdaten" });
      expect(r.metadata.ipVersion).to.equal(6);
      expect(r.metadata.recordSize).to.equal(24);
      expect(r.metadata.treeDepth).to.equal(128);
      expect(r.metadata.buildEpoch.toISOString()).to.equal(new Date(1_700_000_000 * 1000).toISOString());
      expect(r.metadata.nodeCount).to.be.greaterThan(96);
    });

    it("defaults build_epoch to now, languages to [] and description to {}", () => {
      const before = Math.floor(Date.now() / 1000);
      const r = open(writeMmdb([], flat));
      const epoch = r.metadata.buildEpoch.getTime() / 1000;
      expect(epoch).to.be.within(before, Math.ceil(Date.now() / 1000));
      expect(r.metadata.languages).to.deep.equal([]);
      expect(r.metadata.description).to.deep.equal({});
    });
  });

  describe("record sizes", () => {
    const entries: MmdbEntry[] = [
      { network: "77.88.0.0/18", record: countryRecord({ country: "RU" }) },
      { network: "2a02:6b8::/32", record: countryRecord({ country: "RU" }) },
      { network: "8.8.8.0/24", record: countryRecord({ country: "US" }) },
    ];

    for (const recordSize of [24, 28, 32] as const) {
      it(`record size ${recordSize} reads back`, () => {
        const buf = writeMmdb(entries, { ...flat, recordSize });
        const r = open(buf);
        expect(r.metadata.recordSize).to.equal(recordSize);
        expect(r.metadata.nodeByteSize).to.equal(recordSize / 4);
        expect(lookup(r, "77.88.8.8")).to.deep.equal(countryRecord({ country: "RU" }));
        expect(lookup(r, "2a02:6b8::1")).to.deep.equal(countryRecord({ country: "RU" }));
        expect(lookup(r, "8.8.8.8")).to.deep.equal(countryRecord({ country: "US" }));
        expect(lookup(r, "8.8.9.8")).to.equal(null);
        // The tree really has that node size: tree + separator starts the data section.
        expect(buf.subarray(r.metadata.searchTreeSize, r.metadata.searchTreeSize + 16)).to.deep.equal(Buffer.alloc(16));
      });
    }

    it("picks 28 bits by itself once record values pass 2^24, and 24 cannot hold them", () => {
      // 18 MB of data pushes the next record's data pointer past 2^24, exercising the shared nibble byte.
      // (Two blobs: one value may be at most 65821 + 2^24 - 1 bytes.)
      const big = Buffer.alloc(9 * 1024 * 1024, 7);
      const other = Buffer.alloc(9 * 1024 * 1024, 8);
      const large: MmdbEntry[] = [
        { network: "1.0.0.0/24", record: { blob: big } },
        { network: "1.0.1.0/24", record: { blob: other } },
        { network: "2.0.0.0/24", record: { small: "yes" } },
        { network: "2a00::/16", record: { small: "v6" } },
      ];
      const r = open(writeMmdb(large, flat));
      expect(r.metadata.recordSize).to.equal(28);
      expect(lookup(r, "2.0.0.1")).to.deep.equal({ small: "yes" });
      expect(lookup(r, "2a00::1")).to.deep.equal({ small: "v6" });
      const blob = (lookup(r, "1.0.0.1") as { blob: Buffer }).blob;
      expect(blob.length).to.equal(big.length);
      expect(blob.equals(big)).to.equal(true);
      expect(() => writeMmdb(large, { ...flat, recordSize: 24 })).to.throw(RangeError);
    });
  });

  describe("GeoIP2-shaped records", () => {
    it("City records keep subdivisions, city, registered and represented country", () => {
      const crimea = cityRecord({
        country: "UA",
        subdivisions: ["UA-43"],
        city: "Simferopol",
        registeredCountry: "RU",
      });
      const base = cityRecord({
        country: "US",
        subdivisions: ["CA"],
        city: "Mountain View",
        representedCountry: { iso: "US", type: "military" },
      });
      const r = open(
        writeMmdb(
          [
            { network: "91.207.56.0/22", record: crimea },
            { network: "2001:4860::/32", record: base },
          ],
          { databaseType: "GeoIP2-City", languages: ["en"] },
        ),
      );
      const hit = lookup(r, "91.207.57.1") as Record<string, unknown>;
      expect(hit).to.deep.equal(crimea);
      expect(hit).to.deep.include({
        continent: { code: "EU", names: { en: "Europe" } },
        country: { iso_code: "UA", names: { en: "Ukraine" } },
        registered_country: { iso_code: "RU", names: { en: "Russia" } },
        city: { names: { en: "Simferopol" } },
        subdivisions: [{ iso_code: "43", names: { en: "Avtonomna Respublika Krym" } }],
      });
      expect(hit).not.to.have.property("represented_country");

      const us = lookup(r, "2001:4860::1") as Record<string, unknown>;
      expect(us).to.deep.equal(base);
      expect(us).to.deep.include({
        continent: { code: "NA", names: { en: "North America" } },
        subdivisions: [{ iso_code: "CA", names: { en: "California" } }],
        represented_country: { iso_code: "US", names: { en: "United States" }, type: "military" },
        registered_country: { iso_code: "US", names: { en: "United States" } },
      });
    });

    it("City records without subdivisions leave the key out, like MaxMind's", () => {
      const rec = cityRecord({ country: "DE" });
      expect(rec).not.to.have.property("subdivisions");
      expect(rec).not.to.have.property("city");
      expect(rec.continent.code).to.equal("EU");
    });

    it("several subdivisions keep their order", () => {
      const rec = cityRecord({ country: "GB", subdivisions: ["GB-ENG", "GB-LND"] });
      const r = open(writeMmdb([{ network: "81.2.69.0/24", record: rec }], { databaseType: "GeoIP2-City" }));
      const got = lookup(r, "81.2.69.160") as { subdivisions: Array<{ iso_code: string }> };
      expect(got.subdivisions.map((s) => s.iso_code)).to.deep.equal(["ENG", "LND"]);
    });

    it("rejects a subdivision of another country and an unknown continent", () => {
      expect(() => cityRecord({ country: "UA", subdivisions: ["RU-MOW"] })).to.throw(/does not belong/);
      expect(() => countryRecord({ country: "ZZ" })).to.throw(/continent/);
      expect(countryRecord({ country: "ZZ", continent: "EU" }).continent).to.deep.equal({ code: "EU", names: { en: "Europe" } });
    });

    it("Country records have the GeoIP2-Country shape", () => {
      const rec = countryRecord({ country: "IR", representedCountry: { iso: "US" } });
      expect(rec).to.deep.equal({
        continent: { code: "AS", names: { en: "Asia" } },
        country: { iso_code: "IR", names: { en: "Iran" } },
        registered_country: { iso_code: "IR", names: { en: "Iran" } },
        represented_country: { iso_code: "US", names: { en: "United States" } },
      });
      const r = open(writeMmdb([{ network: "5.160.0.0/14", record: rec }], { databaseType: "GeoLite2-Country" }));
      expect(lookup(r, "5.160.1.1")).to.deep.equal(rec);
    });
  });

  describe("IPv4-only databases", () => {
    it("ipVersion 4 stores IPv4 networks from the root", () => {
      const r = open(
        writeMmdb(
          [
            { network: "77.88.0.0/18", record: flatRecord("RU") },
            { network: "77.88.8.0/24", record: flatRecord("XX") },
          ],
          { databaseType: "country ipv4", ipVersion: 4 },
        ),
      );
      expect(r.metadata.ipVersion).to.equal(4);
      expect(r.metadata.treeDepth).to.equal(32);
      expect(lookup(r, "77.88.1.1")).to.deep.equal({ country_code: "RU" });
      expect(lookup(r, "77.88.8.8")).to.deep.equal({ country_code: "XX" });
      expect(lookup(r, "77.88.64.1")).to.equal(null);
      expect(r.getWithPrefixLength("77.88.8.8")[1]).to.equal(24);
      // 18 + (24 - 18) nodes along the path, and nothing more.
      expect(r.metadata.nodeCount).to.equal(24);
    });

    it("refuses IPv6 networks", () => {
      expect(() => writeMmdb([{ network: "2a02:6b8::/32", record: {} }], { databaseType: "x", ipVersion: 4 })).to.throw(/IPv6/);
    });
  });

  describe("data types", () => {
    const record = {
      empty_string: "",
      short: "abc",
      unicode: "Zürich – 東京 – 🌍",
      len_28: "x".repeat(28),
      len_29: "y".repeat(29),
      len_284: "z".repeat(284),
      len_285: "w".repeat(285),
      len_70000: "v".repeat(70_000),
      double: 55.7558,
      negative_double: -0.5,
      int32_negative: -123456,
      int32_min: mmdbValue.int32(-(2 ** 31)),
      int32_small: mmdbValue.int32(7),
      uint16: 65535,
      zero: 0,
      uint32: 4_294_967_295,
      geoname_id: mmdbValue.uint32(2_017_370),
      uint64: 18_446_744_073_709_551_615n,
      uint128: mmdbValue.uint128(2n ** 127n + 1n),
      forced_double: mmdbValue.double(3),
      big_number_as_double: 2 ** 40,
      yes: true,
      no: false,
      empty_map: {},
      empty_array: [],
      nested: { list: [1, "two", { three: [3] }], deeper: { a: { b: { c: "d" } } } },
      bytes: Buffer.from([0, 1, 2, 255]),
      skipped: undefined,
    };

    it("round-trips every supported type", () => {
      const r = open(writeMmdb([{ network: "203.0.113.0/24", record }], flat));
      const got = lookup(r, "203.0.113.9") as Record<string, unknown>;
      expect(got).to.deep.equal({
        empty_string: "",
        short: "abc",
        unicode: "Zürich – 東京 – 🌍",
        len_28: "x".repeat(28),
        len_29: "y".repeat(29),
        len_284: "z".repeat(284),
        len_285: "w".repeat(285),
        len_70000: "v".repeat(70_000),
        double: 55.7558,
        negative_double: -0.5,
        int32_negative: -123456,
        int32_min: -(2 ** 31),
        int32_small: 7,
        uint16: 65535,
        zero: 0,
        uint32: 4_294_967_295,
        geoname_id: 2_017_370,
        uint64: 18_446_744_073_709_551_615n,
        uint128: 2n ** 127n + 1n,
        forced_double: 3,
        big_number_as_double: 2 ** 40,
        yes: true,
        no: false,
        empty_map: {},
        empty_array: [],
        nested: { list: [1, "two", { three: [3] }], deeper: { a: { b: { c: "d" } } } },
        bytes: Buffer.from([0, 1, 2, 255]),
      });
    });

    it("stores floats with single precision", () => {
      const r = open(writeMmdb([{ network: "203.0.113.0/24", record: { f: mmdbValue.float(1.5), g: mmdbValue.float(0.1) } }], flat));
      const got = lookup(r, "203.0.113.1") as { f: number; g: number };
      expect(got.f).to.equal(1.5);
      expect(got.g).to.be.closeTo(0.1, 1e-7);
    });

    it("deduplicates with pointers without changing what is read", () => {
      const entries: MmdbEntry[] = [];
      for (let i = 0; i < 64; i++) {
        entries.push({ network: `10.${i}.0.0/16`, record: cityRecord({ country: "UA", subdivisions: [`UA-${i % 2 ? "43" : "40"}`], city: `City ${i}` }) });
      }
      const withPointers = writeMmdb(entries, { ...flat, buildEpoch: 0 });
      const without = writeMmdb(entries, { ...flat, buildEpoch: 0, deduplicate: false });
      expect(withPointers.length).to.be.lessThan(without.length / 2);
      const a = open(withPointers);
      const b = open(without);
      for (let i = 0; i < 64; i++) {
        expect(lookup(a, `10.${i}.1.1`)).to.deep.equal(entries[i]!.record);
        expect(lookup(b, `10.${i}.1.1`)).to.deep.equal(entries[i]!.record);
      }
    });

    it("resolves pointers of every width the fixtures reach (11, 19 and 27 bits)", () => {
      const shared = { names: { en: "Shared", de: "Geteilt" }, code: "SH" };
      const entries: MmdbEntry[] = [
        { network: "10.0.0.0/24", record: { first: shared } }, // written near offset 0
        { network: "10.0.1.0/24", record: { pad: "p".repeat(3000) } },
        { network: "10.0.2.0/24", record: { second: { ...shared, code: "S2" } } }, // past 2048
        { network: "10.0.3.0/24", record: { pad: Buffer.alloc(600_000, 1) } },
        { network: "10.0.4.0/24", record: { third: { ...shared, code: "S3" } } }, // past 526336
        { network: "10.0.5.0/24", record: { a: shared, b: { ...shared, code: "S2" }, c: { ...shared, code: "S3" } } },
      ];
      const withPointers = writeMmdb(entries, flat);
      const without = writeMmdb(entries, { ...flat, deduplicate: false });
      expect(withPointers.length).to.be.lessThan(without.length);
      const r = open(withPointers);
      expect(lookup(r, "10.0.5.1")).to.deep.equal({ a: shared, b: { ...shared, code: "S2" }, c: { ...shared, code: "S3" } });
      expect(lookup(r, "10.0.4.1")).to.deep.equal({ third: { ...shared, code: "S3" } });
      expect(lookup(r, "10.0.0.1")).to.deep.equal({ first: shared });
    });

    it("is deterministic for a fixed build epoch", () => {
      const entries: MmdbEntry[] = [{ network: "1.2.3.0/24", record: cityRecord({ country: "AU" }) }];
      expect(writeMmdb(entries, { ...flat, buildEpoch: 1 }).equals(writeMmdb(entries, { ...flat, buildEpoch: 1 }))).to.equal(true);
    });

    it("rejects values MMDB cannot hold", () => {
      expect(() => writeMmdb([{ network: "1.2.3.0/24", record: { a: null } }], flat)).to.throw(TypeError, /null/);
      expect(() => writeMmdb([{ network: "1.2.3.0/24", record: { a: new Date() } }], flat)).to.throw(TypeError);
      expect(() => writeMmdb([{ network: "1.2.3.0/24", record: { a: -1n } }], flat)).to.throw(RangeError);
      expect(() => writeMmdb([{ network: "1.2.3.0/24", record: { a: mmdbValue.uint16(70_000) } }], flat)).to.throw(RangeError);
      expect(() => writeMmdb([{ network: "1.2.3.0/24", record: { a: mmdbValue.int32(2 ** 31) } }], flat)).to.throw(RangeError);
    });
  });

  describe("networks", () => {
    it("rejects malformed networks and host bits", () => {
      for (const network of ["77.88.0.1/18", "2a02:6b8::1/32", "1.2.3.4/33", "::/129", "1.2.3/24", "nonsense", "1.2.3.0/24/1", "1.2.3.0/-1"]) {
        expect(() => writeMmdb([{ network, record: {} }], flat), network).to.throw(Error);
      }
    });

    it("accepts IPv6 spellings with embedded IPv4 and full groups", () => {
      const r = open(
        writeMmdb(
          [
            { network: "64:ff9b::192.0.2.0/120", record: { nat64: true } },
            { network: "2001:0db8:0000:0000:0000:0000:0000:0000/32", record: { doc: true } },
          ],
          flat,
        ),
      );
      expect(lookup(r, "64:ff9b::c000:201")).to.deep.equal({ nat64: true });
      expect(lookup(r, "2001:db8:1::1")).to.deep.equal({ doc: true });
    });
  });

  describe("files", () => {
    it("writeMmdbFile writes a file maxmind.open can load", async () => {
      const dir = mkdtempSync(join(tmpdir(), "mmdb-writer-"));
      try {
        const file = join(dir, "test.mmdb");
        writeMmdbFile(file, [{ network: "77.88.0.0/18", record: flatRecord("RU") }], flat);
        const r = await maxmind.open(file);
        expect(r.get("77.88.8.8") as unknown).to.deep.equal({ country_code: "RU" });
        expect(r.metadata.databaseType).to.equal("country ipvAll");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("corruptMmdb", () => {
    const valid = writeMmdb([{ network: "77.88.0.0/18", record: flatRecord("RU") }], { ...flat, buildEpoch: 1 });

    it("empty: zero bytes, and the Reader throws", () => {
      const buf = corruptMmdb("empty");
      expect(buf.length).to.equal(0);
      expect(() => open(buf)).to.throw();
    });

    it("no-metadata: the marker is gone, and the Reader throws", () => {
      const buf = corruptMmdb("no-metadata", valid);
      expect(buf.length).to.be.greaterThan(0).and.lessThan(valid.length);
      expect(buf.includes(Buffer.from("MaxMind.com"))).to.equal(false);
      expect(() => open(buf)).to.throw();
      expect(() => open(corruptMmdb("no-metadata"))).to.throw();
    });

    it("random: deterministic noise the Reader rejects", () => {
      const buf = corruptMmdb("random");
      expect(buf.length).to.equal(4096);
      expect(buf.equals(corruptMmdb("random"))).to.equal(true);
      expect(new Set(buf).size).to.be.greaterThan(200);
      expect(() => open(buf)).to.throw();
    });

    it("truncated: the marker survives but the metadata is cut, so the Reader throws or reads garbage", () => {
      const buf = corruptMmdb("truncated", valid);
      expect(buf.length).to.be.lessThan(valid.length);
      expect(buf.includes(Buffer.from("MaxMind.com"))).to.equal(true);
      expect(valid.subarray(0, buf.length).equals(buf)).to.equal(true);
      let reader: Reader<Response> | null = null;
      try {
        reader = open(buf);
      } catch (error) {
        expect(error).to.be.instanceOf(Error);
      }
      if (reader) {
        const intact = open(valid).metadata;
        const m = reader.metadata;
        expect([m.nodeCount, m.recordSize, m.databaseType, m.ipVersion]).not.to.deep.equal([
          intact.nodeCount,
          intact.recordSize,
          intact.databaseType,
          intact.ipVersion,
        ]);
      }
    });
  });
});
