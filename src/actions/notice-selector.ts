import { decodeHTMLAttribute } from "entities/decode";

/**
 * The CSS selectors a notice placement may use: one compound selector of simple selectors,
 * evaluated on a start tag as it streams past (no ancestors, siblings or pseudo-classes, since
 * the rewrite never builds a tree):
 *
 *   tag   #id   .class   [attr]   [attr=value]   [attr="value"]   and combinations: main#content.wide[data-slot=notice]
 */
export interface SimpleSelector {
  readonly source: string;
  /** Lower-case tag name, or null for any. */
  readonly tag: string | null;
  readonly id: string | null;
  readonly classes: readonly string[];
  readonly attrs: readonly { readonly name: string; readonly value: string | null }[];
}

export class SelectorError extends Error {
  constructor(
    readonly selector: string,
    /** 0-based offset in the selector where the problem is. */
    readonly offset: number,
    reason: string,
  ) {
    super(`selector "${selector}", at character ${offset + 1}: ${reason}. Supported: tag, #id, .class, [attr], [attr=value], combined without spaces (e.g. main#content or div[data-notice])`);
    this.name = "SelectorError";
  }
}

const IDENT_START = /[A-Za-z_-]/;
const IDENT = /[A-Za-z0-9_-]/;

/** Parses a placement selector; anything outside the subset is an error that says where and why. */
export function parseSimpleSelector(source: string): SimpleSelector {
  const s = source.trim();
  if (s === "") throw new SelectorError(source, 0, "the selector is empty");
  let i = 0;
  const ident = (what: string): string => {
    const start = i;
    if (i >= s.length || !IDENT_START.test(s[i]!)) throw new SelectorError(source, i, `expected ${what}`);
    while (i < s.length && IDENT.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  let tag: string | null = null;
  let id: string | null = null;
  const classes: string[] = [];
  const attrs: { name: string; value: string | null }[] = [];
  if (IDENT_START.test(s[0]!)) tag = ident("a tag name").toLowerCase();
  else if (s[0] === "*") i = 1;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "#") {
      i++;
      if (id !== null) throw new SelectorError(source, i - 1, "only one #id is allowed");
      id = ident("an id after #");
    } else if (c === ".") {
      i++;
      classes.push(ident("a class name after ."));
    } else if (c === "[") {
      i++;
      while (s[i] === " ") i++;
      const name = ident("an attribute name after [").toLowerCase();
      while (s[i] === " ") i++;
      let value: string | null = null;
      if (s[i] === "=") {
        i++;
        while (s[i] === " ") i++;
        const q = s[i];
        if (q === '"' || q === "'") {
          const end = s.indexOf(q, i + 1);
          if (end === -1) throw new SelectorError(source, i, "the quoted value is not closed");
          value = s.slice(i + 1, end);
          i = end + 1;
        } else {
          value = ident("a value after =");
        }
        while (s[i] === " ") i++;
      } else if (s[i] !== "]") {
        throw new SelectorError(source, i, s[i] === undefined ? "expected ]" : `"${s[i]}" is not supported in an attribute selector; only [attr] and [attr=value]`);
      }
      if (s[i] !== "]") throw new SelectorError(source, i, "expected ]");
      i++;
      attrs.push({ name, value });
    } else if (c === " " || c === ">" || c === "+" || c === "~") {
      throw new SelectorError(source, i, "combinators (descendant, child, sibling) are not supported: name the element itself, e.g. with an #id");
    } else if (c === ":") {
      throw new SelectorError(source, i, "pseudo-classes and pseudo-elements are not supported");
    } else if (c === ",") {
      throw new SelectorError(source, i, "selector lists are not supported: give one selector");
    } else {
      throw new SelectorError(source, i, `unexpected "${c}"`);
    }
  }
  if (tag === null && id === null && classes.length === 0 && attrs.length === 0) throw new SelectorError(source, 0, "the selector matches every element");
  return Object.freeze({ source, tag, id, classes: Object.freeze(classes), attrs: Object.freeze(attrs) });
}

/** An attribute of a start tag, as the selector needs it. */
export interface TagAttributes {
  readonly name: string;
  /** Returns the decoded value of the first attribute with this lower-case name, "" when it has no value, null when absent. */
  attr(name: string): string | null;
}

export function decodeAttribute(raw: string): string {
  return raw.includes("&") ? decodeHTMLAttribute(raw) : raw;
}

const ASCII_WS = /[\t\n\f\r ]+/;

export function selectorMatches(selector: SimpleSelector, tag: TagAttributes): boolean {
  if (selector.tag !== null && selector.tag !== tag.name) return false;
  if (selector.id !== null && tag.attr("id") !== selector.id) return false;
  if (selector.classes.length > 0) {
    const cls = tag.attr("class");
    if (cls === null) return false;
    const list = cls.split(ASCII_WS);
    for (const c of selector.classes) if (!list.includes(c)) return false;
  }
  for (const a of selector.attrs) {
    const v = tag.attr(a.name);
    if (v === null) return false;
    if (a.value !== null && v !== a.value) return false;
  }
  return true;
}
