import { publicSuffixList } from "../actions/trackers/public-suffix.js";
import { isReservedHeader } from "../actions/headers.js";
import { parseSimpleSelector, SelectorError } from "../actions/notice-selector.js";
import { parseOffsetDate, OFFSET_DATE } from "./dates.js";
import { checkMarkup, looksLikeMarkup } from "./markup.js";
import { compilePaths, matchablePath, pathPatternProblem } from "./paths.js";
import { BUILTIN_GROUPS, countryProblem, regionCodeProblem, subdivisionProblem } from "./regions.js";
import type { YamlPath } from "./source.js";
import { didYouMean } from "./suggest.js";

/** Where checks report: errors stop the rules from loading, warnings do not. */
export interface Reporter {
  error(path: YamlPath, message: string, options?: { key?: boolean }): void;
  warn(path: YamlPath, message: string, options?: { key?: boolean }): void;
  errorAt(path: YamlPath, snippet: string, occurrence: number, message: string): void;
}

const COUNTRY = /^[A-Z]{2}$/;
const SUBDIVISION = /^[A-Z]{2}-[A-Z0-9]{1,3}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): Array<[number, string]> => (Array.isArray(v) ? v.flatMap((x, i): Array<[number, string]> => (typeof x === "string" ? [[i, x]] : [])) : []);

/**
 * Checks what the schema cannot: ISO codes against the ISO 3166 table (region/iso-3166.ts), real dates, path patterns,
 * notice markup, languages, headers, redirect loops. Written defensively: it runs even where the
 * schema already found problems, so every problem in a file is reported at once.
 */
export function checkFile(data: unknown, report: Reporter): void {
  if (!isObj(data)) return;
  if (!("rules" in data) && !("groups" in data) && !("tests" in data)) {
    report.error([], `this file has no rules; start it with "rules:" (see rules/README.md)`);
  }
  if (Array.isArray(data.rules)) data.rules.forEach((rule, i) => checkRule(rule, ["rules", i], report));
  if (isObj(data.groups)) checkGroups(data.groups, report);
  if (Array.isArray(data.tests)) data.tests.forEach((test, i) => checkTest(test, ["tests", i], report));
}

function checkCodes(list: unknown, path: YamlPath, kind: "country" | "subdivision" | "any", report: Reporter): void {
  for (const [i, code] of strings(list)) {
    let problem: string | null = null;
    if (kind === "country" && COUNTRY.test(code)) problem = countryProblem(code);
    else if (kind === "subdivision" && SUBDIVISION.test(code)) problem = subdivisionProblem(code);
    else if (kind === "any" && (COUNTRY.test(code) || SUBDIVISION.test(code)) && !BUILTIN_GROUPS.has(code)) problem = regionCodeProblem(code);
    if (problem) report.error([...path, i], problem);
  }
}

function checkRule(rule: unknown, at: YamlPath, report: Reporter): void {
  if (!isObj(rule)) return;
  if (!("basis" in rule)) report.warn(at, `rule "${String(rule.id)}" does not say which law it rests on; add basis: with its text and url`);

  const regions = rule.regions;
  if (isObj(regions)) {
    checkCodes(regions.countries, [...at, "regions", "countries"], "country", report);
    checkCodes(regions.subdivisions, [...at, "regions", "subdivisions"], "subdivision", report);
    checkCodes(regions.exclude, [...at, "regions", "exclude"], "any", report);
    const names = ["countries", "subdivisions", "groups"].filter((k) => Array.isArray(regions[k]) && (regions[k] as unknown[]).length > 0);
    if (names.length === 0 && Object.keys(regions).length > 0) {
      report.error([...at, "regions"], `"regions" names nobody to apply the rule to; add countries, subdivisions or groups (exclude only takes regions out)`);
    }
  }

  const effective = rule.effective;
  let fromMs: number | null = null;
  if (isObj(effective)) {
    for (const key of ["from", "until"] as const) {
      const value = effective[key];
      if (typeof value !== "string" || !OFFSET_DATE.test(value)) continue;
      const ms = parseOffsetDate(value);
      if (ms === null) report.error([...at, "effective", key], `${value} is not a real date and time (check the day of the month, the hour and the offset)`);
      else if (key === "from") fromMs = ms;
      else if (fromMs !== null && ms <= fromMs) {
        report.error([...at, "effective", "until"], `until (${value}) must be after from (${String(effective.from)}); otherwise the rule never applies`);
      }
    }
  }

  const paths = rule.paths;
  const include: string[] = [];
  const exclude: string[] = [];
  if (isObj(paths)) {
    for (const key of ["include", "exclude"] as const) {
      for (const [i, pattern] of strings(paths[key])) {
        if (!pattern.startsWith("/")) continue; // the schema says so already
        const problem = pathPatternProblem(pattern);
        if (problem) report.error([...at, "paths", key, i], problem);
        else (key === "include" ? include : exclude).push(pattern);
      }
    }
  }

  const actions = rule.actions;
  if (!isObj(actions)) return;
  const a = [...at, "actions"];
  if (isObj(actions.notice)) checkNotice(actions.notice, [...a, "notice"], report);
  if (isObj(actions.block)) checkTexts(actions.block, [...a, "block"], report, false);
  if (isObj(actions.headers)) checkHeaders(actions.headers, [...a, "headers"], report);
  if (isObj(actions.trackers)) {
    for (const [i, host] of strings(actions.trackers.allow)) {
      const problem = allowProblem(host);
      if (problem) report.error([...a, "trackers", "allow", i], problem);
    }
  }
  if ("block" in actions && "redirect" in actions) {
    report.error([...a, "redirect"], "a rule can block a page or redirect it, not both; put the redirect in a rule of its own");
  } else if ("block" in actions || "redirect" in actions) {
    const which = "block" in actions ? "block" : "redirect";
    const others = Object.keys(actions).filter((k) => k !== which);
    if (others.length) report.warn([...a, others[0]!], `${others.join(", ")} never reach the reader: where a rule applies a ${which}, nothing else is done; move ${others.length > 1 ? "them" : "it"} to a rule of ${others.length > 1 ? "their" : "its"} own`, { key: true });
  }
  if (isObj(actions.redirect) && typeof actions.redirect.location === "string" && actions.redirect.location.startsWith("/")) {
    const location = actions.redirect.location;
    const target = matchablePath(location.split(/[?#]/)[0]!);
    const verdict = compilePaths(include, exclude)?.(target) ?? "ok";
    if (verdict === "ok") {
      report.error([...a, "redirect", "location"], `readers would be sent round in a loop: ${location} is itself a page this rule redirects; add it under paths: exclude, or narrow paths: include`);
    }
  }
}

function checkNotice(notice: Obj, at: YamlPath, report: Reporter): void {
  checkTexts(notice, at, report, true);
  const placement = notice.placement ?? "body-start";
  if (placement === "selector" && !("selector" in notice)) {
    report.error([...at, "placement"], `placement: selector needs "selector:", the CSS selector of the element the notice goes in, such as main or "#article"`);
  }
  for (const key of ["selector", "insert"] as const) {
    if (key in notice && placement !== "selector") report.error([...at, key], `"${key}" is used only with placement: selector; add placement: selector, or remove "${key}"`, { key: true });
  }
  if (typeof notice.selector === "string") {
    // The same parser the page rewrite uses: a selector it cannot follow is refused here, not ignored later.
    try {
      parseSimpleSelector(notice.selector);
    } catch (error) {
      if (!(error instanceof SelectorError)) throw error;
      report.error([...at, "selector"], `${error.message}; write one such as main, #article or .story-body`);
    }
  }

}

/** Texts of a notice or a block page: the default language has a text, each text is plain or checked markup. */
function checkTexts(owner: Obj, at: YamlPath, report: Reporter, required: boolean): void {
  const languages = isObj(owner.languages) ? owner.languages : null;
  const tags = languages ? Object.keys(languages) : [];
  const def = owner.defaultLanguage;
  if (typeof def === "string" && languages && !tags.includes(def)) {
    // Only tags that are themselves right are offered: a key reported as wrong elsewhere is no way out.
    const usable = tags.filter(isLanguageTag);
    const hint = didYouMean(def, usable);
    const choose = usable.length ? `add one, or choose one of: ${usable.join(", ")}` : "add a text in that language under languages";
    report.error([...at, "defaultLanguage"], `there is no text in "${def}" under languages; ${hint || choose}`);
  }
  if (!required && languages && def === undefined && tags.length > 1) {
    report.error([...at, "languages"], `say which language to use when the reader's is not among these: add defaultLanguage: ${tags[0]}`, { key: true });
  }
  if (!languages) return;
  for (const tag of tags) {
    const entry = languages[tag];
    if (!isObj(entry)) continue;
    const path = [...at, "languages", tag];
    const hasText = typeof entry.text === "string";
    const hasHtml = typeof entry.html === "string";
    if (hasText && hasHtml) report.error([...path, "html"], `write either text (shown as written) or html (with links and emphasis), not both`, { key: true });
    else if (!hasText && !hasHtml && !("text" in entry) && !("html" in entry)) report.error(path, `the "${tag}" entry has a title but no text; add text: (or html: for links and emphasis)`);
    if (hasText && looksLikeMarkup(entry.text as string)) {
      report.warn([...path, "text"], `this text contains markup, which readers will see as written (with the < and >); to make links or emphasis, write it under html: instead of text:`, { key: true });
    }
    if (typeof entry.title === "string" && looksLikeMarkup(entry.title)) report.warn([...path, "title"], "the title is shown as written, so readers will see this markup; remove it");
    if (hasHtml) {
      const html = entry.html as string;
      for (const issue of checkMarkup(html).issues) {
        const occurrence = html.slice(0, issue.index).split(issue.snippet).length - 1;
        report.errorAt([...path, "html"], issue.snippet, occurrence, issue.message);
      }
    }
  }
}

function checkHeaders(headers: Obj, at: YamlPath, report: Reporter): void {
  const seen = new Map<string, string>();
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (isReservedHeader(name)) {
      report.error([...at, name], `${name} cannot be set by a rule: the server sets it itself${lower === "location" ? "; use a redirect action instead" : lower === "set-cookie" ? "; cookies are the site's" : ""}`, { key: true });
    }
    const first = seen.get(lower);
    if (first !== undefined) report.error([...at, name], `${name} is already set above as ${first}; header names ignore case, so keep one`, { key: true });
    else seen.set(lower, name);
  }
}

function allowProblem(host: string): string | null {
  const parsed = publicSuffixList().parse(host, { allowPrivateDomains: true });
  if (parsed.isIp) return `${host} is an address, not a domain; write the site's domain, such as example-cdn.com`;
  if (!parsed.domain || (!parsed.isIcann && !parsed.isPrivate)) return `${host} is not a domain on the public internet; write one such as example-cdn.com`;
  if (parsed.domain !== host.toLowerCase()) return `write the registrable domain ${parsed.domain} instead of ${host}: it covers all of ${parsed.domain}'s hosts`;
  return null;
}

function checkGroups(groups: Obj, report: Reporter): void {
  for (const [name, members] of Object.entries(groups)) {
    if (BUILTIN_GROUPS.has(name)) report.error(["groups", name], `${name} is a built-in group and cannot be redefined; choose another name`, { key: true });
    checkCodes(members, ["groups", name], "any", report);
  }
}

function checkTest(test: unknown, at: YamlPath, report: Reporter): void {
  if (!isObj(test)) return;
  if (typeof test.region === "string" && test.region !== "unknown" && (COUNTRY.test(test.region) || SUBDIVISION.test(test.region))) {
    const problem = regionCodeProblem(test.region);
    if (problem) report.error([...at, "region"], problem);
  }
  if (typeof test.date === "string" && OFFSET_DATE.test(test.date) && parseOffsetDate(test.date) === null) {
    report.error([...at, "date"], `${test.date} is not a real date and time`);
  }
}

/** A well-formed BCP 47 tag in its canonical form (en, pt-BR), as Intl reads them. */
function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag)[0] === tag;
  } catch {
    return false;
  }
}
