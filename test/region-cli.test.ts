import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../src/cli/main.js";
import { verifyPreviewToken } from "../src/region/preview-token.js";
import { writeMmdb } from "./support/mmdb-writer.js";
import { cityDbFile, IP, PREVIEW_SECRET, tempDir } from "./support/region-fixtures.js";

function cli(argv: string[]): { code: number; out: string; err: string } {
  let out = "";
  let err = "";
  const code = run(argv, (t) => (out += t + "\n"), (t) => (err += t + "\n"));
  return { code, out, err };
}

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("region: CLI", () => {
  const db = cityDbFile();

  describe("explain --ip", () => {
    it("prints the region with its source as JSON, from a City database", () => {
      const { code, out } = cli(["explain", "--ip", IP.crimea, "--db", db, "--json"]);
      expect(code).to.equal(0);
      const e = JSON.parse(out) as { region: unknown; decision: { matched: string[] } };
      expect(e.region).to.deep.equal({ country: "UA", subdivision: "UA-43", source: "geoip" });
      expect(e.decision.matched).to.deep.equal(["ru-undesirable-organization"]);
    });

    it("reads IPv6 and IPv4-mapped addresses", () => {
      for (const ip of [IP.crimea6, `::ffff:${IP.crimea}`]) {
        const e = JSON.parse(cli(["explain", "--ip", ip, "--db", db, "--json"]).out) as { region: unknown };
        expect(e.region, ip).to.deep.equal({ country: "UA", subdivision: "UA-43", source: "geoip" });
      }
    });

    it("says why an address has no region", () => {
      const e = JSON.parse(cli(["explain", "--ip", "10.0.0.1", "--db", db, "--json"]).out) as { region: unknown };
      expect(e.region).to.deep.equal({ country: null, subdivision: null, source: "none", reason: "private address" });
      expect(cli(["explain", "--ip", IP.base, "--db", db]).out).to.match(/region: +DE \(DE-RP\) — source geoip, represented_country US \(military\) not applied/);
    });

    it("fails on a database of an unknown type, naming the file and the type", () => {
      const asn = join(tempDir(), "GeoLite2-ASN.mmdb");
      writeFileSync(asn, writeMmdb([{ network: "1.0.0.0/8", record: { autonomous_system_number: 1 } }], { databaseType: "GeoLite2-ASN" }));
      const { code, err } = cli(["explain", "--ip", IP.crimea, "--db", asn, "--json"]);
      expect(code).to.equal(1);
      expect(err).to.contain(asn).and.contain('"GeoLite2-ASN"');
    });
  });

  describe("preview-token", () => {
    it("mints a token for the region that the middleware's secret verifies, valid for --ttl", () => {
      const before = Date.now();
      const { code, out } = withEnv({ GEO_COMPLIANCE_PREVIEW_SECRET: PREVIEW_SECRET }, () => cli(["preview-token", "--region", "UA-43", "--ttl", "1h"]));
      expect(code).to.equal(0);
      const token = out.trim();
      const verified = verifyPreviewToken(PREVIEW_SECRET, token, new Date());
      expect(verified).to.include({ ok: true, country: "UA", subdivision: "UA-43" });
      const expires = (verified as { expiresAt: Date }).expiresAt.getTime();
      expect(expires).to.be.within(before + 3600_000 - 1000, Date.now() + 3600_000);
    });

    it("reads the secret from the variable named by --secret-env, and prints JSON with --json", () => {
      const { code, out } = withEnv({ MY_PREVIEW_KEY: PREVIEW_SECRET }, () => cli(["preview-token", "--region", "ru", "--ttl", "15m", "--secret-env", "MY_PREVIEW_KEY", "--json"]));
      expect(code).to.equal(0);
      const minted = JSON.parse(out) as { token: string; region: string; expiresAt: string };
      expect(minted.region).to.equal("RU");
      expect(verifyPreviewToken(PREVIEW_SECRET, minted.token, new Date())).to.include({ ok: true, country: "RU", subdivision: null });
      expect(new Date(minted.expiresAt).getTime()).to.be.closeTo(Date.now() + 900_000, 5000);
    });

    it("never takes the secret on the command line", () => {
      const { code, err } = cli(["preview-token", "--region", "UA-43", "--secret", PREVIEW_SECRET]);
      expect(code).to.equal(2);
      expect(err).to.match(/never given on the command line/);
    });

    it("explains a missing or short secret, a bad region and a bad ttl", () => {
      const missing = withEnv({ GEO_COMPLIANCE_PREVIEW_SECRET: undefined }, () => cli(["preview-token", "--region", "UA-43"]));
      expect(missing.code).to.equal(1);
      expect(missing.err).to.match(/GEO_COMPLIANCE_PREVIEW_SECRET, which is not set/);
      const short = withEnv({ GEO_COMPLIANCE_PREVIEW_SECRET: "short" }, () => cli(["preview-token", "--region", "UA-43"]));
      expect(short.code).to.equal(1);
      expect(short.err).to.match(/GEO_COMPLIANCE_PREVIEW_SECRET: .*at least 32/);
      withEnv({ GEO_COMPLIANCE_PREVIEW_SECRET: PREVIEW_SECRET }, () => {
        expect(cli(["preview-token", "--region", "UA-99"])).to.include({ code: 2 });
        expect(cli(["preview-token"]).err).to.match(/needs --region/);
        expect(cli(["preview-token", "--region", "UA-43", "--ttl", "forever"]).err).to.match(/--ttl .*not a duration/);
      });
    });

    it("works as the installed command", () => {
      const main = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
      const token = execFileSync(process.execPath, [main, "preview-token", "--region", "UA-43", "--ttl", "1h"], {
        env: { ...process.env, GEO_COMPLIANCE_PREVIEW_SECRET: PREVIEW_SECRET },
        encoding: "utf8",
      }).trim();
      expect(verifyPreviewToken(PREVIEW_SECRET, token, new Date())).to.include({ ok: true, subdivision: "UA-43" });
    });
  });
});
