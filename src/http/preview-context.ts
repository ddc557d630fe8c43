import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type * as Cookie from "cookie";
import { requireCjs } from "../require-cjs.js";
import type { PreviewSettings } from "../region/resolve.js";

const { parse: parseCookie } = requireCjs("cookie") as typeof Cookie;

/**
 * What a preview fixes besides the region: the date the decision is made for and the language the
 * reader's browser asks for. It travels in a cookie of its own, signed with a key derived from the
 * preview secret, and is honoured only on requests that a valid preview token already places.
 */
export interface PreviewContext {
  readonly at: Date | null;
  readonly language: string | null;
}

const VERSION = "c1";
const LANGUAGE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}$/;
const VALUE = /^c1\.(-|\d{1,15})\.(-|[A-Za-z0-9-]{2,40})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export function previewContextCookie(settings: PreviewSettings): string {
  return `${settings.cookie}_context`;
}

/** A key for this purpose only, so a context signature can never pass for a preview token's or a session's. */
function key(secret: string): Buffer {
  return createHmac("sha256", secret).update("geo-compliance preview context").digest();
}

export function isPreviewLanguage(value: string): boolean {
  return LANGUAGE.test(value);
}

export function mintPreviewContext(secret: string, context: PreviewContext, expiresAt: Date): string {
  if (context.language !== null && !isPreviewLanguage(context.language)) throw new TypeError(`preview language "${context.language}" is not a language tag`);
  const at = context.at === null ? "-" : String(context.at.getTime());
  const payload = `${VERSION}.${at}.${context.language ?? "-"}.${Math.floor(expiresAt.getTime() / 1000)}`;
  return `${payload}.${createHmac("sha256", key(secret)).update(payload).digest("base64url")}`;
}

/** The context in a cookie value, or null when it is absent, malformed, forged or expired. Never throws. */
export function verifyPreviewContext(secret: string, value: string, now: Date): PreviewContext | null {
  const m = VALUE.exec(value);
  if (!m) return null;
  const [, at, language, expiry, signature] = m as unknown as [string, string, string, string, string];
  const expected = createHmac("sha256", key(secret)).update(`${VERSION}.${at}.${language}.${expiry}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  if (now.getTime() >= Number(expiry) * 1000) return null;
  if (language !== "-" && !isPreviewLanguage(language)) return null;
  return { at: at === "-" ? null : new Date(Number(at)), language: language === "-" ? null : language };
}

/** Reads the context cookie of a request. */
export function readPreviewContext(settings: PreviewSettings, req: IncomingMessage, now: Date): PreviewContext | null {
  const header = req.headers.cookie;
  const name = previewContextCookie(settings);
  if (!header || !header.includes(name)) return null;
  const value = parseCookie(header)[name];
  return value ? verifyPreviewContext(settings.secret, value, now) : null;
}
