import { createHmac, timingSafeEqual } from "node:crypto";

/** How long a sign-in to the preview page lasts. */
export const SESSION_TTL_MS = 8 * 3600 * 1000;
export const SESSION_COOKIE = "geo_compliance_preview_session";

const VALUE = /^s1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** A key for sessions only, derived from the preview secret: a session value never passes for a preview token. */
function key(secret: string): Buffer {
  return createHmac("sha256", secret).update("geo-compliance preview session").digest();
}

function sign(secret: string, payload: string): Buffer {
  return createHmac("sha256", key(secret)).update(payload).digest();
}

/** Whether `given` is the secret, compared in constant time whatever its length. */
export function isSecret(secret: string, given: string): boolean {
  // Both sides are hashed first, so the comparison takes the same time for any input length.
  const a = createHmac("sha256", key(secret)).update(`login:${given}`).digest();
  const b = createHmac("sha256", key(secret)).update(`login:${secret}`).digest();
  return timingSafeEqual(a, b);
}

export function mintSession(secret: string, expiresAt: Date): string {
  const payload = `s1.${Math.floor(expiresAt.getTime() / 1000)}`;
  return `${payload}.${sign(secret, payload).toString("base64url")}`;
}

/** Whether a session cookie value is one this secret signed and it has not expired. Never throws. */
export function verifySession(secret: string, value: string | undefined, now: Date): boolean {
  if (!value) return false;
  const m = VALUE.exec(value);
  if (!m) return false;
  const given = Buffer.from(m[2]!, "base64url");
  const expected = sign(secret, `s1.${m[1]}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  return now.getTime() < Number(m[1]) * 1000;
}
