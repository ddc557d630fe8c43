import { IMPORT_CHECK } from "./guard.js";
import { requireCjs } from "../../require-cjs.js";

/**
 * The imports of a script, rewritten for a reader whose trackers are blocked: a static `import` or
 * `export … from`, or an `import()` whose specifier is a literal of a blocked host, gets a specifier
 * that loads nothing; any other `import(expr)` has its argument wrapped in the guard's check, which
 * gives that same inert URL for a blocked host. The argument is wrapped, not moved, so a relative
 * specifier still resolves against the script's own URL, and import attributes stay where they are.
 * Where the check is missing the wrapped call throws: it fails closed.
 *
 * The text is Latin-1 (one character per byte), so every byte outside the splices is the app's.
 */

/** What stands in for a blocked specifier: an absolute URL that no module loader fetches. */
export const INERT_SPECIFIER = "about:invalid";

/** The check's call around an `import()` argument (the guard defines it under a registered symbol). */
const WRAP_OPEN = `(0,globalThis[Symbol.for(${JSON.stringify(IMPORT_CHECK)})])(`;
const WRAP_CLOSE = ")";

/** A quick look first: a script that never says `import` imports nothing. */
const MAY_IMPORT = /\bimport\b/;
/** In a script the lexer cannot read: an `import` that is not a property name may be an import. */
const MAY_BE_IMPORT = /(?<![.\w$])import(?![\w$])/;

export type ImportRewrite =
  /** Nothing to change. */
  | { readonly kind: "same" }
  | {
      readonly kind: "rewritten";
      readonly code: string;
      /** The vendor of the first literal specifier made inert, or null when only arguments were wrapped. */
      readonly blocked: string | null;
      /** How many specifiers were made inert or wrapped. */
      readonly changes: number;
    }
  /** The lexer could not read it and it may import: it must not run as it is. */
  | { readonly kind: "unreadable"; readonly reason: string };

interface Lexer {
  parse(source: string): readonly [ReadonlyArray<LexedImport>, ...unknown[]];
}

interface LexedImport {
  readonly type: string;
  readonly specifier: string | null | undefined;
  readonly start: number;
  readonly end: number;
  readonly glob?: boolean;
}

let lexer: Lexer | null = null;

/**
 * es-module-lexer, loaded when the first script that says `import` needs it. Its CommonJS build
 * instantiates its WebAssembly synchronously on first use, so a body rewrite that ends in one
 * synchronous step can use it.
 */
function loadLexer(): Lexer {
  lexer ??= requireCjs("es-module-lexer") as Lexer;
  return lexer;
}

interface Splice {
  readonly at: number;
  readonly end: number;
  readonly text: string;
}

/** `judge`: the vendor a specifier's URL belongs to when the reader's rules block it, else null. */
export function rewriteImports(code: string, judge: (specifier: string) => string | null): ImportRewrite {
  if (!MAY_IMPORT.test(code)) return { kind: "same" };
  let imports: ReadonlyArray<LexedImport>;
  try {
    imports = loadLexer().parse(code)[0];
  } catch (error) {
    if (!MAY_BE_IMPORT.test(code)) return { kind: "same" };
    return { kind: "unreadable", reason: `its imports cannot be read (${(error as Error).message})` };
  }
  const splices: Splice[] = [];
  let blocked: string | null = null;
  for (const i of imports) {
    if (i.type === "import-meta") continue;
    const literal = typeof i.specifier === "string" && i.glob !== true;
    if (literal) {
      const vendor = judge(i.specifier as string);
      if (vendor === null) continue;
      blocked ??= vendor;
      // A dynamic import's range holds the string with its quotes; a static one's only its content.
      splices.push({ at: i.start, end: i.end, text: i.type === "dynamic" ? JSON.stringify(INERT_SPECIFIER) : INERT_SPECIFIER });
    } else if (i.type === "dynamic") {
      splices.push({ at: i.start, end: i.start, text: WRAP_OPEN }, { at: i.end, end: i.end, text: WRAP_CLOSE });
    }
  }
  if (splices.length === 0) return { kind: "same" };
  let out = "";
  let last = 0;
  for (const s of splices.sort((a, b) => a.at - b.at)) {
    out += code.slice(last, s.at) + s.text;
    last = s.end;
  }
  return { kind: "rewritten", code: out + code.slice(last), blocked, changes: splices.filter((s) => s.text !== WRAP_CLOSE).length };
}

/** A script switched off: it throws before it does anything. */
export function switchedOffScript(why: string): string {
  return `throw new Error(${JSON.stringify(`geo-compliance: script switched off: ${why}`)});`;
}

/**
 * Where code may be put first in a script without changing what it means: after a byte order
 * mark, a hashbang line and the directive prologue (`"use strict"` must stay a directive). `semicolon`:
 * the last directive ends without one, by a line break, and needs one before the inserted code.
 */
export function afterPrologue(code: string): { at: number; semicolon: boolean } {
  let i = 0;
  if (code.startsWith("\xef\xbb\xbf")) i = 3;
  else if (code.startsWith("\ufeff")) i = 1;
  if (code.startsWith("#!", i)) {
    const nl = code.slice(i).search(/[\n\r\u2028\u2029]/);
    i = nl === -1 ? code.length : i + nl;
  }
  let at = i;
  let semicolon = false;
  for (;;) {
    const [start] = skipSpace(code, at);
    const q = code[start];
    if (q !== '"' && q !== "'") return { at, semicolon };
    const close = stringEnd(code, start);
    if (close === -1) return { at, semicolon };
    const [next, crossedLine] = skipSpace(code, close);
    if (code[next] === ";") {
      at = next + 1;
      semicolon = false;
      continue;
    }
    // A line break or the end ends the statement only where the next token cannot continue it.
    if (next >= code.length || code[next] === "}" || (crossedLine && !/^[-+*/%,.?=<>&|^!~([`]/.test(code[next]!))) {
      return { at: close, semicolon: true };
    }
    return { at, semicolon };
  }
}

/** Past whitespace and comments from `i`; whether a line break was crossed. */
function skipSpace(code: string, i: number): [number, boolean] {
  let crossed = false;
  for (;;) {
    const c = code[i];
    if (c === "\n" || c === "\r" || c === "\u2028" || c === "\u2029") {
      crossed = true;
      i++;
    } else if (c === " " || c === "\t" || c === "\v" || c === "\f" || c === "\xa0" || c === "\ufeff") i++;
    else if (c === "/" && code[i + 1] === "/") {
      const nl = code.slice(i).search(/[\n\r\u2028\u2029]/);
      i = nl === -1 ? code.length : i + nl;
    } else if (c === "/" && code[i + 1] === "*") {
      const close = code.indexOf("*/", i + 2);
      if (close === -1) return [code.length, crossed];
      if (/[\n\r\u2028\u2029]/.test(code.slice(i, close))) crossed = true;
      i = close + 2;
    } else return [i, crossed];
  }
}

/** The index past the string literal that starts at `i`, or -1 when it does not close on its line. */
function stringEnd(code: string, i: number): number {
  const quote = code[i];
  for (let j = i + 1; j < code.length; j++) {
    const c = code[j];
    if (c === "\\") j++;
    else if (c === quote) return j + 1;
    else if (c === "\n" || c === "\r") return -1;
  }
  return -1;
}

/** The script with `guard` put first, after its prologue, on the line where the prologue ends. */
export function withGuardFirst(code: string, guard: string): string {
  const { at, semicolon } = afterPrologue(code);
  return code.slice(0, at) + (semicolon ? ";" : "") + guard + code.slice(at);
}
