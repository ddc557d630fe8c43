import { createHmac, timingSafeEqual } from "node:crypto";
import { formatRegionCode, parseRegionCode, type RegionCode } from "./region-code.js";

/**
 * Signed preview tokens: `v1.<region>.<expiry, Unix seconds>.<HMAC-SHA256, base64url>`, e.g.
 * `v1.UA-43.1767225600.3q2-…`. The region and expiry stay readable (a reviewer can see what a token is
 * for); the signature covers `v1.<region>.<expiry>` so neither can be changed.
 */
export const PREVIEW_TOKEN_VERSION = "v1";

/** Shorter secrets are refused: the token is only as strong as the key. */
export const MIN_PREVIEW_SECRET_LENGTH = 32;

/** The longest a token may live; a leaked token should not be a standing back door. */
export const MAX_PREVIEW_TTL_MS = 30 * 24 * 3600 * 1000;

export const DEFAULT_PREVIEW_COOKIE = "geo_compliance_preview";
export const DEFAULT_PREVIEW_HEADER = "Geo-Compliance-Preview";

const SIGNATURE_BYTES = 32;

/**
 * The cookie the reader preview's frame carries its token in. A frame reaches any path of the site,
 * so it is `Path=/`; what keeps it to the frame is that it is honoured only on a navigation inside a
 * frame (`Sec-Fetch-Dest: iframe`), never on the top-level page of another tab.
 */
export function previewFrameCookie(cookie: string): string {
  return `${cookie}_frame`;
}

/** Throws when the secret cannot key a preview token. */
export function checkPreviewSecret(secret: unknown): string {
  if (typeof secret !== "string") throw new TypeError("the preview secret must be a string");
  if (secret.length < MIN_PREVIEW_SECRET_LENGTH) {
    throw new TypeError(`the preview secret is ${secret.length} characters long; use at least ${MIN_PREVIEW_SECRET_LENGTH} random characters (for example: openssl rand -base64 32)`);
  }
  return secret;
}

function sign(secret: string, payload: string): Buffer {
  return createHmac("sha256", secret).update(payload).digest();
}

/** Mints a token for `region` (`RU`, `UA-43`) that expires at `expiresAt`. Throws on a bad region, secret or time. */
export function mintPreviewToken(secret: string, region: string | RegionCode, expiresAt: Date): string {
  checkPreviewSecret(secret);
  const code = typeof region === "string" ? parseRegionCode(region) : region;
  if (typeof code === "string") throw new TypeError(`preview region ${code}`);
  const seconds = Math.floor(expiresAt.getTime() / 1000);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new TypeError("preview token expiry must be a valid date");
  const payload = `${PREVIEW_TOKEN_VERSION}.${formatRegionCode(code)}.${seconds}`;
  return `${payload}.${sign(secret, payload).toString("base64url")}`;
}

export type PreviewVerification =
  | { readonly ok: true; readonly country: string; readonly subdivision: string | null; readonly expiresAt: Date }
  | { readonly ok: false; readonly reason: string };

const TOKEN = /^v1\.([A-Z]{2}(?:-[A-Z0-9]{1,3})?)\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * Checks a token against the secret and the time. Never throws: a malformed, tampered, foreign
 * (another secret) or expired token gives `ok: false` and the reason. The signature is compared in
 * constant time, and before the expiry is looked at, so an attacker learns nothing from which check failed first.
 */
export function verifyPreviewToken(secret: string, token: string, now: Date): PreviewVerification {
  if (token.length > 80) return { ok: false, reason: "malformed preview token" };
  const m = TOKEN.exec(token);
  if (!m) {
    const version = /^v(\d{1,4})\./.exec(token)?.[1];
    return { ok: false, reason: version !== undefined && `v${version}` !== PREVIEW_TOKEN_VERSION ? `preview token of unknown version v${version}` : "malformed preview token" };
  }
  const [, region, expiry, signature] = m as unknown as [string, string, string, string];
  const given = Buffer.from(signature, "base64url");
  const expected = sign(secret, `${PREVIEW_TOKEN_VERSION}.${region}.${expiry}`);
  if (given.length !== SIGNATURE_BYTES || !timingSafeEqual(given, expected)) return { ok: false, reason: "preview token signature does not match" };
  const expiresAt = new Date(Number(expiry) * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: `preview token expired at ${expiresAt.toISOString()}` };
  const dash = region.indexOf("-");
  return { ok: true, country: dash === -1 ? region : region.slice(0, dash), subdivision: dash === -1 ? null : region, expiresAt };
}

/** `90s`, `15m`, `1h`, `7d` (or a bare number of seconds) in milliseconds; throws on anything else. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new TypeError(`"${text}" is not a duration; write e.g. 90s, 15m, 1h or 7d`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? "s") as "s" | "m" | "h" | "d"];
  const ms = Number(m[1]) * unit * 1000;
  if (ms <= 0) throw new TypeError(`"${text}": a preview must last longer than zero`);
  if (ms > MAX_PREVIEW_TTL_MS) throw new TypeError(`"${text}" is longer than the 30 days a preview token may last`);
  return ms;
}
