import type { TrackerMatcher } from "./matcher.js";
import { blocksFromPage } from "./page-url.js";

/**
 * The URLs a piece of CSS loads (`url()`, `src()`, strings in `image-set()`, `@import "…"`),
 * found the way the CSS tokenizer finds them: comments skipped, escapes decoded, names compared
 * without case, so `\75 rl(` is `url(` and `u\52l(https\:…)` a URL too.
 */

/** What stands in for a blocked URL: it loads nothing, anywhere a URL may stand. */
export const INERT_CSS_URL = "url(about:invalid)";

/** A quick look before the tokenizer: CSS without these loads nothing. */
const MAY_LOAD = /url\(|src\(|image-set\(|@import|\\/i;

export function mayLoad(css: string): boolean {
  return MAY_LOAD.test(css);
}

export interface CssUrl {
  /** Where the URL-bearing token starts and ends (exclusive) in the text. */
  readonly start: number;
  readonly end: number;
  readonly url: string;
}

function isHex(c: string): boolean {
  return /^[0-9a-fA-F]$/.test(c);
}

function isWs(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f";
}

function isNameCode(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d || c >= 0x80;
}

function isNameChar(c: string): boolean {
  return isNameCode(c.charCodeAt(0));
}

/** Reads one escape at `i` (just past the backslash): the character and where reading goes on. */
function escapeAt(css: string, i: number): [string, number] {
  if (i >= css.length) return ["\ufffd", i];
  let j = i;
  while (j < css.length && j - i < 6 && isHex(css[j]!)) j++;
  if (j === i) return [css[i]!, i + 1];
  const cp = parseInt(css.slice(i, j), 16);
  if (css[j] === "\r" && css[j + 1] === "\n") j += 2;
  else if (isWs(css[j])) j++;
  return [cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? "\ufffd" : String.fromCodePoint(cp), j];
}

/** Reads from `i`, escapes decoded, up to the first character `stop` accepts: the value and where it stopped. */
function readRun(css: string, i: number, stop: (c: string) => boolean): [string, number] {
  let value = "";
  let j = i;
  while (j < css.length) {
    const c = css[j]!;
    if (stop(c)) break;
    if (c === "\\") {
      // An escaped newline continues a string; it adds nothing.
      if (css[j + 1] === "\n") {
        j += 2;
        continue;
      }
      const [ch, next] = escapeAt(css, j + 1);
      value += ch;
      j = next;
      continue;
    }
    value += c;
    j++;
  }
  return [value, j];
}

/** A string token starting at the quote at `i`: its value and the index past it (a newline ends it unclosed). */
function stringAt(css: string, i: number): [string, number] {
  const quote = css[i]!;
  // Most strings have no escape and no newline: one slice.
  const close = css.indexOf(quote, i + 1);
  if (close !== -1) {
    const value = css.slice(i + 1, close);
    if (!value.includes("\\") && !value.includes("\n")) return [value, close + 1];
  }
  const [value, j] = readRun(css, i + 1, (c) => c === quote || c === "\n");
  return [value, css[j] === quote ? j + 1 : j];
}

/** A name (ident) at `i`: its decoded value and the index past it. */
function nameAt(css: string, i: number): [string, number] {
  // Most names have no escape: one slice.
  let end = i;
  while (end < css.length && isNameCode(css.charCodeAt(end))) end++;
  if (css[end] !== "\\") return [css.slice(i, end), end];
  let value = "";
  let j = i;
  while (j < css.length) {
    const c = css[j]!;
    if (c === "\\" && css[j + 1] !== "\n" && j + 1 < css.length) {
      const [ch, next] = escapeAt(css, j + 1);
      value += ch;
      j = next;
    } else if (isNameChar(c)) {
      value += c;
      j++;
    } else break;
  }
  return [value, j];
}

function skipWs(css: string, i: number): number {
  while (isWs(css[i])) i++;
  return i;
}

/** After `url(` at `i`: an unquoted URL (up to `)`), or a quoted one; the URL and the index past `)`. */
function urlArgAt(css: string, i: number): [string, number] {
  let j = skipWs(css, i);
  if (css[j] === '"' || css[j] === "'") {
    const [value, next] = stringAt(css, j);
    j = skipWs(css, next);
    return [value, css[j] === ")" ? j + 1 : j];
  }
  const [value, end] = readRun(css, j, (c) => c === ")");
  return [value.replace(/[ \t\n\r\f]+$/, ""), end < css.length ? end + 1 : end];
}

export function cssUrls(css: string): CssUrl[] {
  const urls: CssUrl[] = [];
  // Open functions: whether strings directly inside them are URLs (image-set).
  const stack: boolean[] = [];
  let importString = false;
  let i = 0;
  while (i < css.length) {
    const c = css[i]!;
    if (c === "/" && css[i + 1] === "*") {
      const close = css.indexOf("*/", i + 2);
      i = close === -1 ? css.length : close + 2;
    } else if (c === '"' || c === "'") {
      const [value, next] = stringAt(css, i);
      if (importString || stack[stack.length - 1] === true) urls.push({ start: i, end: next, url: value });
      importString = false;
      i = next;
    } else if (c === "@") {
      const [name, next] = nameAt(css, i + 1);
      importString = name.toLowerCase() === "import";
      i = next === i + 1 ? i + 1 : next;
    } else if (c === "(") {
      stack.push(false);
      i++;
    } else if (c === ")") {
      stack.pop();
      i++;
    } else if (isNameChar(c) || c === "\\") {
      // A name with no escape and no '(' after it is only a word: read over without making it a string.
      let end = i;
      while (end < css.length && isNameCode(css.charCodeAt(end))) end++;
      if (end > i && css[end] !== "(" && css[end] !== "\\") {
        if (!isWs(css[end])) importString = false;
        i = end;
        continue;
      }
      const [name, next] = nameAt(css, i);
      if (next === i) {
        i++;
        continue;
      }
      if (css[next] === "(") {
        const fn = name.toLowerCase();
        if (fn === "url" || fn === "src") {
          const [url, end] = urlArgAt(css, next + 1);
          urls.push({ start: i, end, url });
          importString = false;
          i = end;
          continue;
        }
        stack.push(fn === "image-set" || fn === "-webkit-image-set");
        i = next + 1;
        continue;
      }
      if (!isWs(css[next])) importString = false;
      i = next;
    } else {
      if (!isWs(c)) importString = false;
      i++;
    }
  }
  return urls;
}

export interface CssRewrite {
  readonly css: string;
  readonly label: string;
}

/** The CSS with every URL this reader's rule blocks made inert, or null when it loads none. */
export function neutralizeCss(css: string, matcher: TrackerMatcher): CssRewrite | null {
  if (!mayLoad(css)) return null;
  let label: string | null = null;
  let out = "";
  let last = 0;
  for (const u of cssUrls(css)) {
    const vendor = blocksFromPage(matcher, u.url);
    if (!vendor) continue;
    label ??= vendor;
    out += css.slice(last, u.start) + INERT_CSS_URL;
    last = u.end;
  }
  return label === null ? null : { css: out + css.slice(last), label };
}
