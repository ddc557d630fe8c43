import type { CompiledRule } from "../rules/types.js";
import { escapeHtml } from "./escape.js";

/** Right-to-left scripts get `dir="rtl"`. */
const RTL = new Set(["ar", "arc", "dv", "fa", "ha", "he", "khw", "ks", "ku", "ps", "sd", "ur", "yi"]);

export function isRtl(language: string): boolean {
  return RTL.has(language.split("-")[0]!.toLowerCase());
}

/**
 * The notice markup. Sites restyle it through the documented class names
 * (`geo-compliance-notice`, `__title`, `__text`); the inline style is only a readable default.
 */
export function renderNotice(rule: CompiledRule, language: string): string {
  const notice = rule.notice;
  if (!notice) throw new Error(`rule ${rule.id} has no notice`);
  const text = notice.texts[language] ?? notice.texts[notice.defaultLanguage]!;
  const lang = notice.texts[language] ? language : notice.defaultLanguage;
  const paragraphs = text.text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => `<p class="geo-compliance-notice__text" style="margin:.4em 0">${escapeHtml(p.trim().replace(/\s*\n\s*/g, " "))}</p>`)
    .join("");
  const dir = isRtl(lang) ? ' dir="rtl"' : "";
  return (
    `<section class="geo-compliance-notice" data-geo-compliance-notice="${escapeHtml(rule.id)}" role="region" aria-label="${escapeHtml(text.title)}" lang="${escapeHtml(lang)}"${dir}` +
    ` style="box-sizing:border-box;margin:0;padding:12px 16px;background:#fff4ce;color:#1b1b1b;border-bottom:3px solid #b58900;font:16px/1.45 system-ui,sans-serif">` +
    `<strong class="geo-compliance-notice__title" style="display:block;font-size:1.05em">${escapeHtml(text.title)}</strong>${paragraphs}</section>`
  );
}

/** Renders each (rule, language) once per rule set: notices are the same bytes for every reader who gets them. */
export class NoticeRenderer {
  private readonly cache = new WeakMap<CompiledRule, Map<string, string>>();

  render(rule: CompiledRule, language: string): string {
    let byLanguage = this.cache.get(rule);
    if (!byLanguage) this.cache.set(rule, (byLanguage = new Map()));
    let html = byLanguage.get(language);
    if (html === undefined) byLanguage.set(language, (html = renderNotice(rule, language)));
    return html;
  }
}
