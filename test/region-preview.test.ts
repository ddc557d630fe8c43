import { expect } from "chai";
import { createHmac } from "node:crypto";
import { mintPreviewToken, verifyPreviewToken } from "../src/index.js";
import { parseDuration } from "../src/region/preview-token.js";
import { PREVIEW_SECRET } from "./support/region-fixtures.js";

const NOW = new Date("2026-06-01T12:00:00Z");
const HOUR = new Date(NOW.getTime() + 3600_000);

describe("region: signed preview tokens", () => {
  it("a valid token gives its region until it expires", () => {
    const token = mintPreviewToken(PREVIEW_SECRET, "UA-43", HOUR);
    expect(token).to.match(/^v1\.UA-43\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyPreviewToken(PREVIEW_SECRET, token, NOW)).to.deep.equal({ ok: true, country: "UA", subdivision: "UA-43", expiresAt: HOUR });
    expect(verifyPreviewToken(PREVIEW_SECRET, mintPreviewToken(PREVIEW_SECRET, "ru", HOUR), NOW)).to.include({ ok: true, country: "RU", subdivision: null });
  });

  it("an expired token is refused with the time it expired", () => {
    const token = mintPreviewToken(PREVIEW_SECRET, "UA-43", HOUR);
    expect(verifyPreviewToken(PREVIEW_SECRET, token, HOUR)).to.deep.equal({ ok: false, reason: `preview token expired at ${HOUR.toISOString()}` });
  });

  it("a tampered token is refused: region, expiry or signature changed", () => {
    const token = mintPreviewToken(PREVIEW_SECRET, "UA-43", HOUR);
    const [v, , exp, sig] = token.split(".") as [string, string, string, string];
    const tampered = [
      `${v}.UA-40.${exp}.${sig}`,
      `${v}.UA-43.${Number(exp) + 86400}.${sig}`,
      `${v}.UA-43.${exp}.${sig.slice(0, -3)}${sig.slice(-3) === "AAA" ? "BBB" : "AAA"}`,
    ];
    for (const t of tampered) expect(verifyPreviewToken(PREVIEW_SECRET, t, NOW), t).to.deep.equal({ ok: false, reason: "preview token signature does not match" });
  });

  it("a token signed with another secret is refused", () => {
    const other = mintPreviewToken("another-secret-of-enough-length-0123456789", "UA-43", HOUR);
    expect(verifyPreviewToken(PREVIEW_SECRET, other, NOW)).to.deep.equal({ ok: false, reason: "preview token signature does not match" });
  });

  it("is an HMAC-SHA256 of the readable part, so another implementation can mint one", () => {
    const payload = `v1.US-CA.${Math.floor(HOUR.getTime() / 1000)}`;
    const sig = createHmac("sha256", PREVIEW_SECRET).update(payload).digest("base64url");
    expect(mintPreviewToken(PREVIEW_SECRET, "US-CA", HOUR)).to.equal(`${payload}.${sig}`);
  });

  it("malformed tokens are refused without an exception", () => {
    for (const t of ["", "v1", "v1.UA-43", "v1.UA-43.123.", "v1.ua-43.1.abc", "garbage", "v1..1.x", "x".repeat(100_000), "v1.UA-43.99999999999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]) {
      const result = verifyPreviewToken(PREVIEW_SECRET, t, NOW);
      expect(result.ok, t.slice(0, 30)).to.equal(false);
      expect((result as { reason: string }).reason).to.equal("malformed preview token");
    }
    expect(verifyPreviewToken(PREVIEW_SECRET, "v2.UA-43.1.x", NOW)).to.deep.equal({ ok: false, reason: "preview token of unknown version v2" });
  });

  it("minting checks the region and the secret", () => {
    expect(() => mintPreviewToken(PREVIEW_SECRET, "UA-99", HOUR)).to.throw(/UA-99 is not an ISO 3166-2/);
    expect(() => mintPreviewToken(PREVIEW_SECRET, "Crimea", HOUR)).to.throw(/not a region code/);
    expect(() => mintPreviewToken("short", "UA-43", HOUR)).to.throw(/at least 32/);
  });

  it("durations: s, m, h, d, at most 30 days", () => {
    expect(parseDuration("90s")).to.equal(90_000);
    expect(parseDuration("15m")).to.equal(900_000);
    expect(parseDuration("1h")).to.equal(3_600_000);
    expect(parseDuration("7d")).to.equal(604_800_000);
    expect(parseDuration("120")).to.equal(120_000);
    expect(() => parseDuration("1w")).to.throw(/not a duration/);
    expect(() => parseDuration("0h")).to.throw(/longer than zero/);
    expect(() => parseDuration("31d")).to.throw(/30 days/);
  });
});
