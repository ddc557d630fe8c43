import type { IncomingMessage, ServerResponse } from "node:http";
import { xContentTypeOptions } from "helmet";
import type NegotiatorType from "negotiator";
import type varyType from "vary";
import { requireCjs } from "../require-cjs.js";
import type { BlockAction } from "../rules/actions.js";
import { BLOCK_PAGE_LANGUAGES, BLOCK_PAGE_TEXTS, type BlockPageTexts } from "./block-texts.js";
import { escapeHtml } from "./escape.js";
import { isRtl } from "./notice.js";
import type { NoticeText } from "../rules/types.js";

const Negotiator = requireCjs("negotiator") as typeof NegotiatorType;
const vary = requireCjs("vary") as typeof varyType;

export { BLOCK_PAGE_LANGUAGES };

/** Why a `blocked-by` URL cannot be used, or null. Shared with the rule loader. */
export function blockedByProblem(url: unknown): string | null {
  if (typeof url !== "string" || url.length === 0) return "blockedBy must be the URL of whoever implements the block, such as https://example.org/legal/blocking";
  // The URL parser silently drops tabs and line breaks: refuse them before it can hide them.
  if (/[\x00-\x20\x7f]/.test(url)) return `blockedBy ${JSON.stringify(url)} contains a space, tab, line break or control character`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `blockedBy ${JSON.stringify(url)} is not an absolute URL such as https://example.org/legal/blocking`;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return `blockedBy ${JSON.stringify(url)} must be an http or https URL`;
  return null;
}

/** RFC 7725 section 4: `Link: <url>; rel="blocked-by"`; null when the URL cannot be used. */
export function blockedByLink(url: string): string | null {
  if (blockedByProblem(url) !== null) return null;
  // The serialized URL percent-encodes < > " and spaces, so it cannot break out of the <…>.
  return `<${new URL(url).href}>; rel="blocked-by"`;
}

/**
 * The page's language: the decision's when the page has it (a rule text or a shipped one), else its
 * primary subtag, else the reader's `Accept-Language` among the shipped languages, else English.
 */
export function blockPageLanguage(wanted: string, acceptLanguage: string | undefined, ruleTexts?: Readonly<Record<string, NoticeText>>): string {
  if (ruleTexts && Object.hasOwn(ruleTexts, wanted)) return wanted;
  if (Object.hasOwn(BLOCK_PAGE_TEXTS, wanted)) return wanted;
  const primary = wanted.split("-")[0]!.toLowerCase();
  if (Object.hasOwn(BLOCK_PAGE_TEXTS, primary)) return primary;
  if (acceptLanguage) {
    const negotiated = new Negotiator({ headers: { "accept-language": acceptLanguage } }).language([...BLOCK_PAGE_LANGUAGES]);
    if (negotiated) return negotiated;
  }
  return "en";
}

/** A path as the reader typed it, for showing: percent-encoding decoded, length bounded. */
function shownPath(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // a malformed escape is shown as it came
  }
  return decoded.length > 300 ? `${decoded.slice(0, 300)}…` : decoded;
}

export interface BlockPage {
  readonly action: BlockAction;
  /** The path without the query string. */
  readonly path: string;
  readonly decisionId: string;
  readonly acceptLanguage?: string | undefined;
  /** The rule's own texts for the page, by language, when it gives them. */
  readonly ruleTexts?: Readonly<Record<string, NoticeText>> | undefined;
}

interface Words {
  readonly language: string;
  readonly title: string;
  readonly text: string;
  /** Checked markup from the rule, used instead of `text` when present. */
  readonly html?: string | undefined;
  readonly labels: BlockPageTexts;
}

function words(page: BlockPage): Words {
  const language = blockPageLanguage(page.action.language, page.acceptLanguage, page.ruleTexts);
  const labels = BLOCK_PAGE_TEXTS[language] ?? BLOCK_PAGE_TEXTS[language.split("-")[0]!] ?? BLOCK_PAGE_TEXTS.en!;
  const own = page.ruleTexts && Object.hasOwn(page.ruleTexts, language) ? page.ruleTexts[language] : undefined;
  return own ? { language, title: own.title, text: own.text, html: own.html, labels } : { language, title: labels.title, text: labels.text, labels };
}

const STYLE =
  "body{margin:0;background:#fff;color:#1b1b1b;font:17px/1.5 system-ui,sans-serif}" +
  "main{box-sizing:border-box;max-width:40em;margin:0 auto;padding:10vh 16px}" +
  "h1{font-size:1.6em;line-height:1.25;margin:0 0 .6em}" +
  "dl{margin:2em 0 0;font-size:.9em}dt{font-weight:600}dd{margin:0 0 .8em;overflow-wrap:anywhere}" +
  "a{color:#0645ad}";

/** The 451 page: one landmark, a heading, the text, and what was asked for, who blocks it, and a reference. */
export function renderBlockPage(page: BlockPage): { body: string; language: string } {
  const w = words(page);
  const dir = isRtl(w.language) ? ' dir="rtl"' : "";
  const text = w.html ?? w.text.trim().split(/\n\s*\n/).map((p) => `<p>${escapeHtml(p.trim())}</p>`).join("\n");
  const url = page.action.blockedBy;
  const blockedBy = blockedByProblem(url) === null ? `<a href="${escapeHtml(new URL(url).href)}" rel="nofollow">${escapeHtml(url)}</a>` : escapeHtml(url);
  const body =
    `<!doctype html>\n<html lang="${escapeHtml(w.language)}"${dir}>\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="robots" content="noindex">\n` +
    `<title>451 ${escapeHtml(w.title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n` +
    `<main class="geo-compliance-blocked" data-geo-compliance-blocked="${escapeHtml(page.action.rule)}" aria-labelledby="geo-compliance-blocked-title">\n` +
    `<h1 id="geo-compliance-blocked-title">${escapeHtml(w.title)}</h1>\n${text}\n<dl>\n` +
    `<dt>${escapeHtml(w.labels.address)}</dt><dd><code>${escapeHtml(shownPath(page.path))}</code></dd>\n` +
    `<dt>${escapeHtml(w.labels.blockedBy)}</dt><dd>${blockedBy}</dd>\n` +
    `<dt>${escapeHtml(w.labels.reference)}</dt><dd><code>${escapeHtml(page.decisionId)}</code></dd>\n` +
    `</dl>\n</main>\n</body>\n</html>\n`;
  return { body, language: w.language };
}

/** The same facts for a client that asked for JSON, shaped as RFC 9457 problem details. */
export function blockJson(page: BlockPage): { body: string; language: string } {
  const w = words(page);
  const body = JSON.stringify({
    type: "about:blank",
    status: 451,
    title: w.title,
    detail: w.text.trim(),
    instance: shownPath(page.path),
    blockedBy: page.action.blockedBy,
    decisionId: page.decisionId,
    language: w.language,
  });
  return { body, language: w.language };
}

const noSniff = xContentTypeOptions();

/**
 * Answers with 451 in place of the app: the handler never runs, so nothing of its body (or its
 * headers set later) can reach the reader. HTML unless the client prefers JSON. Returns a problem
 * to log when the `blocked-by` URL could not be sent.
 */
export function sendBlock(req: IncomingMessage, res: ServerResponse, page: BlockPage): string | null {
  const preferred = new Negotiator(req).mediaType(["text/html", "application/json"]);
  const json = preferred === "application/json";
  const { body, language } = json ? blockJson(page) : renderBlockPage(page);
  const type = json ? "application/json; charset=utf-8" : "text/html; charset=utf-8";
  res.statusCode = 451;
  res.statusMessage = "Unavailable For Legal Reasons";
  const link = blockedByLink(page.action.blockedBy);
  if (link) res.setHeader("Link", link);
  res.setHeader("Content-Type", type);
  res.setHeader("Content-Language", language);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  vary(res, ["Accept", "Accept-Language"]);
  noSniff(req, res, () => {});
  res.end(req.method === "HEAD" ? undefined : body);
  return link ? null : `rule ${page.action.rule}: ${blockedByProblem(page.action.blockedBy)}; no Link header sent`;
}
