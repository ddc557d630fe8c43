import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type * as Cookie from "cookie";
import { requireCjs } from "../require-cjs.js";
import helmet from "helmet";
import { describeAction, decideFor, OutcomeReader, type NoticeContent } from "../rules/impact/outcome.js";
import { mentionsIn, yamlFilesOf, type RuleMentions } from "../rules/impact/probe.js";
import { regionName, regionRows } from "../rules/impact/regions.js";
import { mintPreviewToken, previewFrameCookie } from "../region/preview-token.js";
import { regionByName } from "../region/region-by-name.js";
import { formatRegionCode, isRegionCodeShaped, parseRegionCode, type RegionCode } from "../region/region-code.js";
import type { PreviewSettings } from "../region/resolve.js";
import type { RuleSet } from "../rules/types.js";
import { DECISION_HEADER, type Next } from "./middleware.js";
import { isPreviewLanguage, mintPreviewContext, previewContextCookie } from "./preview-context.js";
import { loginPage, messagePage, previewPage, type FormState, type PreviewResult, type RegionGroup } from "./preview/pages.js";
import { isSecret, mintSession, SESSION_COOKIE, SESSION_TTL_MS, verifySession } from "./preview/session.js";
import { PREVIEW_CSS } from "./preview/style.js";

const { parse: parseCookie, serialize } = requireCjs("cookie") as typeof Cookie;

/** How long the framed page keeps showing the picked region, date and language. */
export const PREVIEW_FRAME_TTL_MS = 10 * 60 * 1000;
const MAX_FORM_BYTES = 4096;

/** An Express-compatible router: `app.use("/_preview", compliance.previewRouter)`. */
export type PreviewRouter = (req: IncomingMessage, res: ServerResponse, next?: Next) => void;

export interface PreviewRouterParts {
  /** Null when no preview secret is configured: the router then passes everything on, as for a path it does not serve. */
  readonly settings: PreviewSettings | null;
  readonly ruleset: () => RuleSet;
  readonly clock: () => Date;
}

type Request = IncomingMessage & { baseUrl?: string; secure?: boolean; body?: unknown };

// No script at all, styles only from the router itself, frames only from this origin, and the
// preview page itself never framed.
const securityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      "default-src": ["'none'"],
      "style-src": ["'self'"],
      "img-src": ["'self'"],
      "frame-src": ["'self'"],
      "form-action": ["'self'"],
      "base-uri": ["'none'"],
      "frame-ancestors": ["'none'"],
    },
  },
  // The site decides HSTS for its whole origin; a sub-router does not.
  strictTransportSecurity: false,
  xFrameOptions: { action: "deny" },
  referrerPolicy: { policy: "no-referrer" },
});

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string, cache = "no-store"): void {
  res.statusCode = status;
  res.setHeader("Content-Type", type);
  res.setHeader("Cache-Control", cache);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(req.method === "HEAD" ? undefined : body);
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader("Location", location);
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("Content-Length", 0);
  res.end();
}

function isSecure(req: Request): boolean {
  return req.secure === true || (req.socket as TLSSocket).encrypted === true;
}

/** The urlencoded form of a POST: from a body parser the app already ran, or read here (bounded). */
async function readForm(req: Request): Promise<URLSearchParams | null> {
  if (req.body && typeof req.body === "object" && !Buffer.isBuffer(req.body)) {
    return new URLSearchParams(Object.entries(req.body as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string"));
  }
  if (req.readableEnded) return new URLSearchParams();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

const ROUTES = ["/", "/frame", "/login", "/logout", "/preview.css"] as const;
type Route = (typeof ROUTES)[number];
const isRoute = (route: string): route is Route => (ROUTES as readonly string[]).includes(route);

interface Picked {
  readonly form: FormState;
  readonly region: RegionCode | null;
  readonly at: Date | null;
  readonly language: string | null;
  /** Path and query on this site. */
  readonly path: string;
}

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?$/;
const OFFSET_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A code (`UA-43`), or a name the help says works (`Crimea`, a label of the list); the problem otherwise. */
function readRegion(text: string): RegionCode | string {
  if (isRegionCodeShaped(text)) {
    const parsed = parseRegionCode(text);
    return typeof parsed === "string" ? `${parsed}.` : parsed;
  }
  const named = regionByName(text);
  if (named.kind === "found") return parseRegionCode(named.code) as RegionCode;
  if (named.kind === "several") return `"${text}" names more than one region: ${named.codes.map((c) => `${c} (${regionName(c)})`).join(", ")}; type the code of the one you mean.`;
  return `"${text}" is neither a region code nor the name of a region; type a code such as RU or UA-43, or a name from the list such as Crimea.`;
}

/** Reads and checks the picked reader. Every value is kept as written, to be shown (escaped) beside its error. */
function readPick(query: URLSearchParams): Picked {
  const value = (name: string): string => (query.get(name) ?? "").slice(0, 2048);
  const form: { -readonly [K in keyof FormState]: FormState[K] } & { errors: Record<string, string> } = { region: value("region").trim(), lang: value("lang").trim(), at: value("at").trim(), path: value("path").trim() || "/", errors: {} as Record<string, string> };
  let region: RegionCode | null = null;
  if (form.region) {
    const parsed = readRegion(form.region);
    if (typeof parsed === "string") form.errors.region = parsed;
    else {
      region = parsed;
      // A name is shown back as the code it stands for, which the frame and the links carry.
      form.region = formatRegionCode(parsed);
    }
  } else if (query.has("region")) {
    form.errors.region = "Pick a region: a country such as RU or a subdivision such as UA-43.";
  }
  if (form.lang && !isPreviewLanguage(form.lang)) form.errors.lang = `"${form.lang}" is not a language tag; write one such as ru or pt-BR.`;
  let at: Date | null = null;
  if (form.at) {
    const t = LOCAL_DATE.test(form.at) ? Date.parse(`${form.at}Z`) : OFFSET_DATE.test(form.at) ? Date.parse(form.at) : Number.NaN;
    if (Number.isNaN(t)) form.errors.at = `"${form.at}" is not a date and time; write one such as 2026-03-01T00:00.`;
    else at = new Date(t);
  }
  let path = "/";
  const target = new URL("http://site.invalid/");
  try {
    const url = new URL(form.path, target);
    if (!form.path.startsWith("/") || form.path.startsWith("//") || /[\\\u0000-\u001f]/.test(form.path) || url.origin !== target.origin) throw new Error();
    path = url.pathname + url.search;
  } catch {
    form.errors.path = `"${form.path}" is not a page of this site; write a path that starts with /, such as /articles/harbour-bridge.`;
  }
  return { form, region, at, language: form.lang && !form.errors.lang ? form.lang : null, path };
}

function pickQuery(code: string, pick: { language: string | null; at: Date | null; path: string }): string {
  const q = new URLSearchParams({ region: code, lang: pick.language ?? "", at: pick.at ? pick.at.toISOString() : "", path: pick.path });
  return q.toString();
}

/**
 * The reader preview: pick a region, a language and a date; see the site's page as that reader
 * would, in a frame, with the decision beside it and the regions where the page differs from the
 * one a reader no rule applies to gets. Signed-in only: the sign-in takes the preview secret and
 * keeps a session cookie signed with a key derived from it.
 */
export function createPreviewRouter(parts: PreviewRouterParts): PreviewRouter {
  const mentions = new WeakMap<RuleSet, RuleMentions>();
  const outcomes = new WeakMap<RuleSet, OutcomeReader>();
  const mentionsOf = (ruleset: RuleSet): RuleMentions => {
    let m = mentions.get(ruleset);
    if (!m) mentions.set(ruleset, (m = mentionsIn(yamlFilesOf(ruleset.files))));
    return m;
  };
  const outcomeOf = (ruleset: RuleSet): OutcomeReader => {
    let o = outcomes.get(ruleset);
    if (!o) outcomes.set(ruleset, (o = new OutcomeReader(ruleset)));
    return o;
  };

  function result(base: string, pick: Picked, region: RegionCode, now: Date): PreviewResult {
    const ruleset = parts.ruleset();
    const outcome = outcomeOf(ruleset);
    const at = pick.at ?? now;
    const path = pick.path.split("?")[0]!;
    const code = region.subdivision ?? region.country;
    const reader = { region: { country: region.country, subdivision: region.subdivision, source: "preview" as const }, at, gpc: false, language: pick.language, path };
    const decision = decideFor(reader, ruleset);
    const notices: NoticeContent[] = [];
    for (const a of decision.actions) {
      const n = a.kind === "notice" ? outcome.noticeContent(a.rule, a.language) : null;
      if (n) notices.push(n);
    }
    // Every region, decided for the same page, date and language: where do readers get anything?
    const m = mentionsOf(ruleset);
    const rows = regionRows([...m.subdivisions, ...ruleset.bySubdivision.keys()]);
    const groups = new Map<string, { actions: string[]; regions: RegionGroup["regions"][number][] }>();
    for (const row of rows) {
      const d = decideFor({ ...reader, region: row.region }, ruleset);
      if (d.actions.length === 0 && d.matched.length === 0) continue;
      const actions = d.actions.map(describeAction);
      const key = JSON.stringify(actions);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { actions, regions: [] }));
      const href = row.region.country ? `${base}/?${pickQuery(row.region.subdivision ?? row.region.country, { ...pick, path })}` : "";
      group.regions.push({ code: row.code, name: row.name, href });
    }
    return {
      code,
      name: regionName(code),
      at,
      atGiven: pick.at !== null,
      language: pick.language,
      path: pick.path,
      revision: ruleset.revision,
      rules: decision.matched.map((id) => {
        const rule = ruleset.rules.find((r) => r.id === id);
        return { id, title: rule?.title ?? null, source: rule ? `${rule.source.file}:${rule.source.line}` : null };
      }),
      actions: decision.actions.map(describeAction),
      notices,
      frameSrc: `${base}/frame?${pickQuery(code, pick)}`,
      differing: [...groups.values()],
      regionsCompared: rows.length,
    };
  }

  async function handle(req: Request, res: ServerResponse, settings: PreviewSettings, url: URL, route: Route): Promise<void> {
    const base = (req.baseUrl ?? "").replace(/\/+$/, "");
    const method = req.method ?? "GET";
    const now = parts.clock();
    const cookies = req.headers.cookie ? parseCookie(req.headers.cookie) : {};
    const signedIn = verifySession(settings.secret, cookies[SESSION_COOKIE], now);
    const secure = isSecure(req);
    const html = "text/html; charset=utf-8";
    const onlyGet = (): boolean => {
      if (method === "GET" || method === "HEAD") return true;
      res.setHeader("Allow", "GET, HEAD");
      send(req, res, 405, "text/plain; charset=utf-8", "Method Not Allowed");
      return false;
    };
    const onlyPost = (): boolean => {
      if (method === "POST") return true;
      res.setHeader("Allow", "POST");
      send(req, res, 405, "text/plain; charset=utf-8", "Method Not Allowed");
      return false;
    };

    switch (route) {
      case "/preview.css":
        if (onlyGet()) send(req, res, 200, "text/css; charset=utf-8", PREVIEW_CSS, "private, max-age=300");
        return;
      case "/login": {
        if (!onlyPost()) return;
        const form = await readForm(req);
        const given = form?.get("secret") ?? "";
        if (form === null || !isSecret(settings.secret, given)) {
          // What was typed is never shown back.
          send(req, res, 401, html, loginPage(base, "That is not the preview secret."));
          return;
        }
        res.setHeader("Set-Cookie", serialize(SESSION_COOKIE, mintSession(settings.secret, new Date(now.getTime() + SESSION_TTL_MS)), { path: base || "/", httpOnly: true, sameSite: "strict", secure, maxAge: SESSION_TTL_MS / 1000 }));
        redirect(res, `${base}/`);
        return;
      }
      case "/logout":
        if (!onlyPost()) return;
        res.setHeader("Set-Cookie", [
          serialize(SESSION_COOKIE, "", { path: base || "/", httpOnly: true, sameSite: "strict", secure, maxAge: 0 }),
          serialize(settings.cookie, "", { path: "/", httpOnly: true, sameSite: "strict", secure, maxAge: 0 }),
          serialize(previewFrameCookie(settings.cookie), "", { path: "/", httpOnly: true, sameSite: "strict", secure, maxAge: 0 }),
          serialize(previewContextCookie(settings), "", { path: "/", httpOnly: true, sameSite: "strict", secure, maxAge: 0 }),
        ]);
        redirect(res, `${base}/`);
        return;
      case "/frame": {
        if (!onlyGet()) return;
        if (!signedIn) {
          send(req, res, 401, html, messagePage(base, "Signed out", "Sign in to the reader preview first.", false));
          return;
        }
        const pick = readPick(url.searchParams);
        if (!pick.region || Object.keys(pick.form.errors).length > 0) {
          send(req, res, 400, html, messagePage(base, "Nothing to preview", "The frame was asked for a reader that is not valid; pick one again.", true));
          return;
        }
        // The site's own page, on this origin, placed by a preview token the middleware already trusts.
        // Path=/ because the frame may go to any page of the site, and a narrower path would lose the
        // links followed in it; the frame cookie places only navigations inside a frame (previewFrameCookie).
        const expires = new Date(now.getTime() + PREVIEW_FRAME_TTL_MS);
        const options = { path: "/", httpOnly: true, sameSite: "strict" as const, secure, maxAge: PREVIEW_FRAME_TTL_MS / 1000 };
        res.setHeader("Set-Cookie", [
          serialize(previewFrameCookie(settings.cookie), mintPreviewToken(settings.secret, pick.region, expires), options),
          serialize(previewContextCookie(settings), mintPreviewContext(settings.secret, { at: pick.at, language: pick.language }, expires), options),
        ]);
        redirect(res, pick.path);
        return;
      }
      case "/": {
        if (!onlyGet()) return;
        if (!signedIn) {
          send(req, res, 401, html, loginPage(base, null));
          return;
        }
        const pick = readPick(url.searchParams);
        const languages = [...mentionsOf(parts.ruleset()).languages].sort();
        const invalid = Object.keys(pick.form.errors).length > 0;
        const body = previewPage(base, pick.form, languages, now, !invalid && pick.region ? result(base, pick, pick.region, now) : null);
        send(req, res, invalid ? 400 : 200, html, body);
        return;
      }
    }
  }

  return function previewRouter(req: IncomingMessage, res: ServerResponse, next?: Next): void {
    const settings = parts.settings;
    // A path it does not serve is the app's, as with any Express router: its own 404 page (or route)
    // answers. Mounted outside Express, with no next, a plain 404.
    const notHere = (): void => {
      if (next) next();
      else send(req, res, 404, "text/plain; charset=utf-8", "Not Found");
    };
    // Off without a secret: nothing here, and nothing says what would be.
    if (!settings) {
      notHere();
      return;
    }
    const url = new URL(req.url ?? "/", "http://preview.invalid");
    const route = url.pathname.replace(/\/+$/, "") || "/";
    // Before any header of the preview's own is set: the app's page must not get its policy.
    if (!isRoute(route)) {
      notHere();
      return;
    }
    if (res.getHeader(DECISION_HEADER) !== undefined) {
      // Behind the middleware, a reviewer's preview cookie would preview (or block) these pages themselves.
      send(req, res, 500, "text/plain; charset=utf-8", 'geo-compliance: mount the reader preview before the middleware, e.g. app.use("/_preview", compliance.previewRouter) and then app.use(compliance)');
      return;
    }
    const fail = (error: unknown): void => {
      if (next) next(error);
      else if (!res.headersSent) send(req, res, 500, "text/plain; charset=utf-8", "Internal Server Error");
      else res.destroy();
    };
    securityHeaders(req, res, (error?: unknown) => {
      if (error) return fail(error);
      handle(req as Request, res, settings, url, route).catch(fail);
    });
  };
}
