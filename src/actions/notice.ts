import { createHash } from "node:crypto";
import { canonicalJson } from "../rules/compile.js";
import type { CompiledRule } from "../rules/types.js";
import { escapeHtml } from "./escape.js";

/** Right-to-left scripts get `dir="rtl"`. */
const RTL = new Set(["ar", "arc", "dv", "fa", "ha", "he", "khw", "ks", "ku", "ps", "sd", "ur", "yi"]);

export function isRtl(language: string): boolean {
  return RTL.has(language.split("-")[0]!.toLowerCase());
}

/** Non-ASCII characters as numeric character references: right in any ASCII-compatible charset. */
export function asciiHtml(html: string): string {
  return html.replace(/[^\x00-\x7f]/gu, (c) => `&#${c.codePointAt(0)!};`);
}

/**
 * How the notice sits in the page. `top`: a block at the start of <body>, above fixed headers.
 * `bottom`: at the end of <body>, sticking to the bottom of the viewport so that it is seen on the
 * first screen. `inline`: where the site's selector put it, in the site's own layout.
 */
export type NoticeStyle = "top" | "bottom" | "inline";

// Shown even where the page hides an ancestor (`visibility:hidden` is undone by a descendant; opacity is not, see prehiding.ts).
const BASE_STYLE = "visibility:visible!important;opacity:1!important;box-sizing:border-box;display:block;margin:0;padding:12px 16px;background:#fff4ce;color:#1b1b1b;font:16px/1.45 system-ui,sans-serif;text-align:start";
const STYLES: Record<NoticeStyle, string> = {
  top: `position:relative;z-index:2147483000;${BASE_STYLE};border-bottom:3px solid #b58900`,
  bottom: `position:sticky;bottom:0;z-index:2147483000;${BASE_STYLE};border-top:3px solid #b58900`,
  inline: `${BASE_STYLE};border:3px solid #b58900`,
};

/** "Close" for the dismiss button, in the languages news sites most often carry; English otherwise. */
const CLOSE: Record<string, string> = {
  en: "Close", ru: "Закрыть", uk: "Закрити", be: "Закрыць", de: "Schließen", fr: "Fermer", es: "Cerrar", it: "Chiudi",
  pt: "Fechar", pl: "Zamknij", nl: "Sluiten", cs: "Zavřít", ro: "Închide", tr: "Kapat", ka: "დახურვა", kk: "Жабу",
};

/** The cookie that remembers a dismissal. */
export function dismissalCookieName(ruleId: string): string {
  return `geo-compliance-dismissed-${ruleId}`;
}

/**
 * A digest of everything the reader sees of a rule's notice. The dismissal cookie holds it, so a
 * dismissal lasts until the legal team changes the notice, and then the notice shows again.
 */
export function noticeRevision(rule: CompiledRule): string {
  return createHash("sha256").update(canonicalJson({ id: rule.id, notice: rule.notice })).digest("base64url").slice(0, 16);
}

export interface RenderedNotice {
  readonly rule: string;
  /** For pages in UTF-8. */
  readonly utf8: Buffer;
  /** For every other page: ASCII only, non-ASCII text as numeric character references. */
  readonly ascii: Buffer;
  /** Inline scripts in the markup (the dismiss button's), for Content-Security-Policy hashes. */
  readonly scripts: readonly string[];
}

export interface NoticeRenderOptions {
  readonly style?: NoticeStyle;
  readonly dismissible?: boolean;
}

function dismissScript(rule: CompiledRule): string {
  const cookie = `${dismissalCookieName(rule.id)}=${noticeRevision(rule)}; Max-Age=31536000; Path=/; SameSite=Lax`;
  return (
    `(function(s){var n=s.parentNode;n.querySelector(".geo-compliance-notice__dismiss").addEventListener("click",function(){` +
    `document.cookie=${JSON.stringify(cookie)}+(location.protocol=="https:"?"; Secure":"");n.parentNode&&n.parentNode.removeChild(n)})})(document.currentScript)`
  );
}

/**
 * The notice markup: a labelled landmark in the reader's language, with `data-geo-compliance-notice`
 * on the outermost element. Sites restyle it through the class names `geo-compliance-notice`,
 * `__title`, `__text` and `__dismiss` (and `[data-geo-compliance-placement=top|bottom|inline]`);
 * the inline style is only a readable default.
 */
export function renderNotice(rule: CompiledRule, language: string, options: NoticeRenderOptions = {}): { html: string; scripts: string[] } {
  const notice = rule.notice;
  if (!notice) throw new Error(`rule ${rule.id} has no notice`);
  const style = options.style ?? "top";
  const text = notice.texts[language] ?? notice.texts[notice.defaultLanguage]!;
  const lang = notice.texts[language] ? language : notice.defaultLanguage;
  // Rules may give checked markup (links, emphasis, paragraphs) beside the plain text; it is
  // sanitized when the rules load, so it goes in as it is.
  const markup = (text as { html?: unknown }).html;
  const paragraphs =
    typeof markup === "string" && markup.trim() !== ""
      ? `<div class="geo-compliance-notice__text" style="margin:.4em 0">${markup}</div>`
      : text.text
          .trim()
          .split(/\n\s*\n/)
          .map((p) => `<p class="geo-compliance-notice__text" style="margin:.4em 0">${escapeHtml(p.trim().replace(/\s*\n\s*/g, " "))}</p>`)
          .join("");
  const dir = isRtl(lang) ? ' dir="rtl"' : "";
  const scripts: string[] = [];
  let dismiss = "";
  if (options.dismissible) {
    const script = dismissScript(rule);
    scripts.push(script);
    const label = CLOSE[lang.split("-")[0]!.toLowerCase()] ?? CLOSE.en!;
    dismiss =
      `<button type="button" class="geo-compliance-notice__dismiss" aria-label="${escapeHtml(label)}" title="${escapeHtml(label)}"` +
      ` style="float:inline-end;margin:0 0 0 12px;padding:0 4px;border:0;background:transparent;color:inherit;font:inherit;font-size:1.5em;line-height:1;cursor:pointer">&#215;</button>` +
      `<script>${script}</script>`;
  }
  const html =
    `<section class="geo-compliance-notice" data-geo-compliance-notice="${escapeHtml(rule.id)}" data-geo-compliance-placement="${style}" role="region" aria-label="${escapeHtml(text.title)}" lang="${escapeHtml(lang)}"${dir}` +
    ` style="${STYLES[style]}">${dismiss}` +
    `<strong class="geo-compliance-notice__title" style="display:block;font-size:1.05em">${escapeHtml(text.title)}</strong>${paragraphs}</section>`;
  return { html, scripts };
}

/** Renders each (rule, language, style, dismissible) once per rule set: notices are the same bytes for every reader who gets them. */
export class NoticeRenderer {
  private readonly cache = new WeakMap<CompiledRule, Map<string, RenderedNotice>>();

  render(rule: CompiledRule, language: string, options: NoticeRenderOptions = {}): RenderedNotice {
    let byKey = this.cache.get(rule);
    if (!byKey) this.cache.set(rule, (byKey = new Map()));
    const key = `${language}\0${options.style ?? "top"}\0${options.dismissible ? 1 : 0}`;
    let rendered = byKey.get(key);
    if (rendered === undefined) {
      const { html, scripts } = renderNotice(rule, language, options);
      rendered = Object.freeze({ rule: rule.id, utf8: Buffer.from(html, "utf8"), ascii: Buffer.from(asciiHtml(html), "latin1"), scripts: Object.freeze(scripts) });
      byKey.set(key, rendered);
    }
    return rendered;
  }
}
