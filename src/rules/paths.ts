import type picomatchType from "picomatch";
import { requireCjs } from "../require-cjs.js";
import type { PathVerdict } from "./types.js";

const picomatch = requireCjs("picomatch") as typeof picomatchType;

/**
 * Paths are matched ignoring case, as Express routes them by default, so `/NEWS/x` cannot slip
 * past a rule written for `/news/**`. Extglobs and negation are off: no user-written regular expressions.
 */
const OPTIONS: picomatchType.PicomatchOptions = { nocase: true, noextglob: true, nonegate: true, dot: true };

/** Why a path pattern cannot be used, or null. */
export function pathPatternProblem(pattern: string): string | null {
  if (!pattern.startsWith("/")) return `"${pattern}" must start with /, such as /${pattern.replace(/^\.?\/*/, "")}`;
  if (pattern.startsWith("!")) return `"${pattern}": write paths to leave out under "exclude" instead of starting them with !`;
  if (/[()|]/.test(pattern)) return `"${pattern}" uses ( ) or |, which are not allowed; write one pattern per line, such as /news/** and /sport/**`;
  if (/[?#].*=/.test(pattern)) return `"${pattern}" contains a query string; paths are matched without it, so remove everything from ? on`;
  try {
    picomatch.makeRe(pattern, OPTIONS);
  } catch (error) {
    return `"${pattern}" is not a path pattern (${(error as Error).message})`;
  }
  return null;
}

const GLOB_CHARS = /[*?[\]{}()!+@]/;

/**
 * One pattern as a plain function of a matchable (lower-case, normalized) path. The common shapes
 * skip the regular expression: `/news/**` is a prefix test, `/about` an equality (with or without
 * a trailing slash, as Express routes it); anything else uses picomatch's expression.
 */
function compileOne(pattern: string): (path: string) => boolean {
  const lower = pattern.toLowerCase();
  if (!GLOB_CHARS.test(lower)) {
    const bare = lower.length > 1 ? lower.replace(/\/+$/, "") : lower;
    return (path) => path === bare || path === `${bare}/`;
  }
  if (lower.endsWith("/**") && !GLOB_CHARS.test(lower.slice(0, -3))) {
    const base = lower.slice(0, -3);
    const under = `${base}/`;
    return (path) => path === base || path.startsWith(under);
  }
  const re = picomatch.makeRe(pattern, OPTIONS);
  return (path) => re.test(path);
}

function anyOf(patterns: readonly string[]): ((path: string) => boolean) | null {
  if (patterns.length === 0) return null;
  const tests = patterns.map(compileOne);
  if (tests.length === 1) return tests[0]!;
  return (path) => tests.some((t) => t(path));
}

/** Compiles a rule's `paths` once; null when the rule applies to every path. Takes paths from matchablePath. */
export function compilePaths(include: readonly string[], exclude: readonly string[]): ((path: string) => PathVerdict) | null {
  if (include.length === 0 && exclude.length === 0) return null;
  const inc = anyOf(include);
  const exc = anyOf(exclude);
  return (path) => {
    if (inc && !inc(path)) return "not-included";
    if (exc && exc(path)) return "excluded";
    return "ok";
  };
}

/**
 * The path rules are matched against: percent-encoding decoded (so `/новости/**` matches what
 * browsers send), `.` and `..` segments and doubled slashes resolved (so `/public/../secret` is
 * matched as `/secret`, not as a page under /public), and in lower case, as Express routes.
 */
export function matchablePath(path: string): string {
  let p = path;
  if (p.indexOf("%") !== -1) {
    try {
      p = decodeURIComponent(p);
    } catch {
      // matched as written
    }
  }
  if (p.indexOf("/.") !== -1 || p.indexOf("//") !== -1) {
    const out: string[] = [];
    for (const segment of p.split("/")) {
      if (segment === "" || segment === ".") continue;
      if (segment === "..") out.pop();
      else out.push(segment);
    }
    p = `/${out.join("/")}${p.endsWith("/") && out.length ? "/" : ""}`;
  }
  return p.toLowerCase();
}

/** The literal part of a pattern before its first wildcard, for telling whether two patterns can meet. */
export function patternBase(pattern: string): string {
  return picomatch.scan(pattern, OPTIONS).base.toLowerCase();
}

/** The first of the patterns that matches a matchable path, for explanations. */
export function firstMatching(patterns: readonly string[], path: string): string | undefined {
  return patterns.find((p) => compileOne(p)(path));
}
