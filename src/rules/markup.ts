import type { Parser as ParserType } from "htmlparser2";
import { requireCjs } from "../require-cjs.js";

/**
 * htmlparser2, loaded when a notice is first written in `html:`: rules with plain `text:` notices
 * (the shipped ones among them) never need it.
 */
let parserClass: typeof ParserType | undefined;
function Parser(): typeof ParserType {
  parserClass ??= (requireCjs("htmlparser2") as typeof import("htmlparser2")).Parser;
  return parserClass;
}

/** The markup a notice may use: links, emphasis, paragraphs and line breaks. Nothing that runs or styles. */
export const ALLOWED_TAGS = ["a", "em", "strong", "p", "br"] as const;
export const ALLOWED_SCHEMES = ["http", "https", "mailto"] as const;
const ALLOWED = new Set<string>(ALLOWED_TAGS);
const VOID = new Set(["br"]);
const ALLOWED_WORDS = "<a href>, <em>, <strong>, <p> and <br>";

export interface MarkupIssue {
  /** Offset in the markup where the problem starts. */
  readonly index: number;
  /** The offending piece, to find it again in the file. */
  readonly snippet: string;
  readonly message: string;
}

export interface CheckedMarkup {
  readonly issues: readonly MarkupIssue[];
  /** The markup as stored: written out again from what was parsed, with only the safe subset in it. */
  readonly html: string;
  /** The same content as plain text, paragraphs separated by blank lines. */
  readonly text: string;
}

interface Token {
  readonly kind: "open" | "close" | "attr" | "text";
  readonly value: string;
}

function hrefProblem(href: string): string | null {
  const trimmed = href.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return `the link "${href}" is not a full address; write one starting with https://, http:// or mailto:`;
  }
  const scheme = url.protocol.slice(0, -1);
  if (!(ALLOWED_SCHEMES as readonly string[]).includes(scheme)) return `links may only go to https://, http:// or mailto: addresses, not "${scheme}:"`;
  return null;
}

/** Reads markup into tokens, recording every piece that is outside the safe subset with where it starts. */
function scan(html: string, issues: MarkupIssue[] | null): { tokens: Token[]; text: string } {
  const tokens: Token[] = [];
  const open: Array<{ name: string; index: number; snippet: string }> = [];
  let text = "";
  const add = (index: number, snippet: string, message: string): void => {
    issues?.push({ index, snippet, message });
  };
  const parser: ParserType = new (Parser())(
    {
      onopentag(name, attributes) {
        const start = parser.startIndex;
        const snippet = html.slice(start, parser.endIndex + 1);
        tokens.push({ kind: "open", value: name });
        if (!ALLOWED.has(name)) {
          add(start, snippet, `<${name}> is not allowed in a notice; use only ${ALLOWED_WORDS}`);
        } else {
          if (!VOID.has(name)) open.push({ name, index: start, snippet });
          for (const [attr, value] of Object.entries(attributes)) {
            tokens.push({ kind: "attr", value: `${attr}=${value}` });
            if (name === "a" && attr === "href") {
              const problem = hrefProblem(value);
              if (problem) add(start, snippet, problem);
            } else {
              add(start, snippet, `the attribute ${attr} is not allowed on <${name}>${name === "a" ? "; a link takes only href" : "; write the tag without attributes"}`);
            }
          }
          if (name === "a" && !("href" in attributes)) add(start, snippet, "a link needs an address: write <a href=\"https://…\">");
        }
        if (name === "p" && text.trim()) text += "\n\n";
        if (name === "br") text += "\n";
      },
      onclosetag(name, implied) {
        if (!VOID.has(name)) tokens.push({ kind: "close", value: name });
        if (ALLOWED.has(name) && !VOID.has(name)) {
          const i = open.map((o) => o.name).lastIndexOf(name);
          const opening = i === -1 ? undefined : open.splice(i, 1)[0];
          if (implied && name !== "p" && opening) add(opening.index, opening.snippet, `<${name}> is not closed; add </${name}> where it should end`);
        }
      },
      ontext(data) {
        tokens.push({ kind: "text", value: data });
        text += data.replace(/\s+/g, " "); // as a browser shows it: line breaks in the source are spaces
      },
      oncomment() {
        add(parser.startIndex, html.slice(parser.startIndex, parser.endIndex + 1), `comments (<!-- -->) are not allowed in a notice; remove it`);
      },
      oncdatastart() {
        add(parser.startIndex, "<![CDATA[", `CDATA sections are not allowed in a notice; remove it`);
      },
      onprocessinginstruction(name) {
        add(parser.startIndex, `<${name}`, `<${name}…> is not allowed in a notice; remove it`);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  // htmlparser2 drops a closing tag that closes nothing; find those in the source.
  if (issues) {
    const closes = new Map<string, number>();
    for (const t of tokens) if (t.kind === "close") closes.set(t.value, (closes.get(t.value) ?? 0) + 1);
    const seen = new Map<string, number>();
    for (const m of html.matchAll(/<\/\s*([a-zA-Z][\w-]*)\s*>/g)) {
      const name = m[1]!.toLowerCase();
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      if (n > (closes.get(name) ?? 0) && ALLOWED.has(name)) add(m.index, m[0], `${m[0]} closes nothing; remove it or add the matching <${name}>`);
    }
  }
  const plain = text
    .split("\n")
    .map((line) => line.trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return { tokens, text: plain };
}

const escapeText = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escapeAttribute = (value: string): string => escapeText(value).replace(/"/g, "&quot;");

/**
 * The markup written out again from the parser's tokens, the way a sanitizer does: allowed tags
 * only, `href` on links only (with an allowed scheme), text and values escaped. Whatever the input,
 * nothing outside the safe subset can be in the result.
 */
function serialize(tokens: readonly Token[]): string {
  let out = "";
  let skipping = false;
  for (const t of tokens) {
    if (t.kind === "open") {
      skipping = !ALLOWED.has(t.value);
      if (!skipping) out += `<${t.value}`;
      if (!skipping && VOID.has(t.value)) out += " />";
      else if (!skipping) out += ">";
    } else if (t.kind === "attr") {
      const eq = t.value.indexOf("=");
      const [name, value] = [t.value.slice(0, eq), t.value.slice(eq + 1)];
      // Attributes follow their tag's ">" in the token list; put an allowed href back inside it.
      if (!skipping && name === "href" && out.endsWith("<a>") && hrefProblem(value) === null) out = `${out.slice(0, -1)} href="${escapeAttribute(value)}">`;
    } else if (t.kind === "close") {
      skipping = false;
      if (ALLOWED.has(t.value) && !VOID.has(t.value)) out += `</${t.value}>`;
    } else {
      skipping = false;
      out += escapeText(t.value);
    }
  }
  return out;
}

/**
 * Checks notice markup against the safe subset. Anything outside it is reported with where it
 * starts; it is never silently dropped. What is stored is written out again from the parsed tokens
 * (see `serialize`), and if that would read back differently from what was written, the check
 * missed something, which is reported too.
 */
export function checkMarkup(html: string): CheckedMarkup {
  const issues: MarkupIssue[] = [];
  const { tokens, text } = scan(html, issues);
  const stored = serialize(tokens);
  if (issues.length === 0) {
    const after = scan(stored, null).tokens;
    const same = after.length === tokens.length && after.every((t, i) => t.kind === tokens[i]!.kind && t.value === tokens[i]!.value);
    if (!same) issues.push({ index: 0, snippet: html.slice(0, 20), message: `this markup would be changed when stored; use only ${ALLOWED_WORDS}, with plain text between them` });
  }
  return { issues, html: stored, text };
}

/** Whether plain text looks as if it was meant as markup (it will be shown as written). */
export function looksLikeMarkup(text: string): boolean {
  return /<\/?(a|em|strong|p|br|b|i|u|span|div)\b[^>]*>/i.test(text);
}
