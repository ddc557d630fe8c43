import { allRegionChoices } from "../../rules/impact/regions.js";
import type { NoticeContent } from "../../rules/impact/outcome.js";
import { html, Markup } from "./html.js";

/** What the reader-picking form shows: the values as the user wrote them, and what is wrong with them. */
export interface FormState {
  readonly region: string;
  readonly lang: string;
  readonly at: string;
  readonly path: string;
  readonly errors: Partial<Record<"region" | "lang" | "at" | "path", string>>;
}

export interface RuleLine {
  readonly id: string;
  readonly title: string | null;
  readonly source: string | null;
}

export interface RegionGroup {
  readonly actions: readonly string[];
  readonly regions: ReadonlyArray<{ readonly code: string; readonly name: string; readonly href: string }>;
}

export interface PreviewResult {
  readonly code: string;
  readonly name: string;
  readonly at: Date;
  readonly atGiven: boolean;
  readonly language: string | null;
  readonly path: string;
  readonly revision: string;
  readonly rules: readonly RuleLine[];
  readonly actions: readonly string[];
  readonly notices: readonly NoticeContent[];
  readonly frameSrc: string;
  readonly differing: readonly RegionGroup[];
  readonly regionsCompared: number;
}

let datalist: Markup | null = null;

/** Every country and subdivision: the browser's own searchable list, filtered as the user types a code or a name. */
function regionDatalist(): Markup {
  datalist ??= html`<datalist id="regions">${allRegionChoices().map(([code, name]) => html`<option value="${code}">${name}</option>`)}</datalist>`;
  return datalist;
}

const ENGLISH_NAMES = new Intl.DisplayNames(["en"], { type: "language", fallback: "code" });

export function languageName(tag: string): string {
  let own = tag;
  try {
    own = new Intl.DisplayNames([tag], { type: "language", fallback: "code" }).of(tag) ?? tag;
  } catch {
    // A tag Intl cannot read keeps its code.
  }
  let english = tag;
  try {
    english = ENGLISH_NAMES.of(tag) ?? tag;
  } catch {
    // As above.
  }
  return own !== english ? `${english} (${own})` : english;
}

function layout(base: string, title: string, body: Markup, signedIn: boolean): Markup {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<link rel="stylesheet" href="${base}/preview.css">
</head>
<body>
${body}
${signedIn ? html`<footer><form method="post" action="${base}/logout"><button type="submit" class="quiet">End the preview and sign out</button></form></footer>` : ""}
</body>
</html>
`;
}

export function loginPage(base: string, error: string | null): string {
  return layout(
    base,
    "Sign in — reader preview",
    html`<header><h1>Reader preview</h1><p class="intro">See the site as a reader in any region sees it.</p></header>
<main>
<form class="login" method="post" action="${base}/login">
<div class="field">
<label for="secret">Preview secret</label>
<input id="secret" name="secret" type="password" required autocomplete="current-password" autofocus${error ? html` aria-invalid="true" aria-describedby="secret-error"` : ""}>
${error ? html`<p class="error" id="secret-error" role="alert">${error}</p>` : ""}
<p class="help">The secret given to the middleware as <code>preview.secret</code>.</p>
</div>
<button type="submit">Sign in</button>
</form>
</main>`,
    false,
  ).value;
}

function field(id: "region" | "lang" | "at" | "path", form: FormState, label: string, control: (describedBy: string, invalid: Markup | "") => Markup, help: string): Markup {
  const error = form.errors[id];
  const describedBy = [`${id}-help`, error ? `${id}-error` : ""].filter(Boolean).join(" ");
  const invalid = error ? html` aria-invalid="true"` : "";
  return html`<div class="field">
<label for="${id}">${label}</label>
${control(describedBy, invalid)}
${error ? html`<p class="error" id="${id}-error">${error}</p>` : ""}
<p class="help" id="${id}-help">${help}</p>
</div>`;
}

function pickForm(base: string, form: FormState, languages: readonly string[], now: Date): Markup {
  return html`<form class="pick" method="get" action="${base}/" aria-label="Reader to preview">
${field("region", form, "Region", (d, inv) => html`<input id="region" name="region" list="regions" value="${form.region}" required autocomplete="off" spellcheck="false" aria-describedby="${d}"${inv}${form.region ? "" : html` autofocus`}>`, "A country such as RU or a subdivision such as UA-43, by code or by name (Crimea); typing searches the list.")}
${regionDatalist()}
${field(
  "lang",
  form,
  "Language the reader's browser asks for",
  (d, inv) => html`<select id="lang" name="lang" aria-describedby="${d}"${inv}>
<option value=""${form.lang === "" ? html` selected` : ""}>None asked for</option>
${[...new Set([...languages, ...(form.lang && !form.errors.lang ? [form.lang] : [])])].map((l) => html`<option value="${l}"${l === form.lang ? html` selected` : ""}>${l}: ${languageName(l)}</option>`)}
</select>`,
  "None: the browser asks for no language, so each rule's default is shown. The others are the languages the rules have texts in.",
)}
${field("at", form, "Date and time (UTC)", (d, inv) => html`<input id="at" name="at" type="datetime-local" step="1" value="${form.at}" aria-describedby="${d}"${inv}>`, `Empty: now (${now.toISOString().slice(0, 16).replace("T", " ")} UTC).`)}
${field("path", form, "Page", (d, inv) => html`<input id="path" name="path" value="${form.path}" autocomplete="off" spellcheck="false" aria-describedby="${d}"${inv}>`, "A path on this site, such as / or /articles/harbour-bridge.")}
<button type="submit">Preview</button>
</form>`;
}

function paragraphs(text: string): Markup[] {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => html`<p>${p.trim().replace(/\s*\n\s*/g, " ")}</p>`);
}

function resultSection(r: PreviewResult): Markup {
  const when = r.atGiven ? `${r.at.toISOString()}` : `now (${r.at.toISOString()})`;
  return html`<div class="result">
<section class="trace" aria-labelledby="decision-heading">
<h2 id="decision-heading" tabindex="-1">Decision for ${r.code}: ${r.name}</h2>
<dl>
<dt>Region</dt><dd>${r.code} (${r.name})</dd>
<dt>Date</dt><dd>${when}</dd>
<dt>Language</dt><dd>${r.language ? `${r.language}: ${languageName(r.language)}` : "none asked for"}</dd>
<dt>Page</dt><dd><code>${r.path}</code></dd>
<dt>Rules revision</dt><dd><code>${r.revision}</code></dd>
</dl>
<h3>Rules that apply</h3>
${r.rules.length ? html`<ul>${r.rules.map((rule) => html`<li><code>${rule.id}</code>${rule.title ? html`: ${rule.title}` : ""}${rule.source ? html` <span class="help">(${rule.source})</span>` : ""}</li>`)}</ul>` : html`<p>None: this reader gets the page as the site serves it.</p>`}
<h3>Actions, in the order they are applied</h3>
${r.actions.length ? html`<ol>${r.actions.map((a) => html`<li><code>${a}</code></li>`)}</ol>` : html`<p>None.</p>`}
${r.notices.map(
  (n) => html`<h3>Notice from <code>${n.rule}</code>, in ${n.language}</h3>
<div class="notice-text" lang="${n.language}"><p><strong>${n.title}</strong></p>${paragraphs(n.text)}</div>`,
)}
</section>
<section class="frame" aria-labelledby="frame-heading">
<h2 id="frame-heading">The page as this reader sees it</h2>
<iframe id="frame" src="${r.frameSrc}" title="${r.path} as a reader in ${r.code} sees it" sandbox="allow-same-origin allow-scripts allow-forms allow-popups"></iframe>
<p class="help">The frame shows this site's own page, served for this region${r.atGiven ? ", on this date" : ""}${r.language ? ", in this language" : ""}, for ten minutes; signing out ends it.</p>
</section>
</div>
<section class="regions" aria-labelledby="regions-heading">
<h2 id="regions-heading">Where <code>${r.path}</code> differs from the page a reader no rule applies to gets</h2>
<p class="help">${r.regionsCompared} regions compared, ${when}, ${r.language ? `asking for ${r.language}` : "asking for no language"}.</p>
${r.differing.length === 0 ? html`<p>Nowhere: no rule applies to this page for any region.</p>` : ""}
${r.differing.map(
  (g) => html`<h3>${g.actions.length ? g.actions.map((a, i) => html`${i ? "; " : ""}<code>${a}</code>`) : "rules apply, without actions"}</h3>
<ul>${g.regions.map((reg) => html`<li>${reg.href ? html`<a href="${reg.href}">${reg.code}</a>` : reg.code} ${reg.name}</li>`)}</ul>`,
)}
</section>`;
}

export function previewPage(base: string, form: FormState, languages: readonly string[], now: Date, result: PreviewResult | null): string {
  return layout(
    base,
    result ? `${result.code} — reader preview` : "Reader preview",
    html`${result ? html`<a class="skip" href="#frame">Skip to the page as the reader sees it</a>` : ""}
<header><h1>Reader preview</h1><p class="intro">Pick a region, a language and a date to see this site as a reader there sees it, and why.</p></header>
<main>
${pickForm(base, form, languages, now)}
${result ? resultSection(result) : ""}
</main>`,
    true,
  ).value;
}

export function messagePage(base: string, title: string, message: string, signedIn: boolean): string {
  return layout(base, title, html`<header><h1>${title}</h1></header><main><p>${message}</p><p><a href="${base}/">Back to the reader preview</a></p></main>`, signedIn).value;
}
