import picomatch from "picomatch";
import type { PathVerdict } from "./types.js";

/**
 * Paths are matched ignoring case, as Express routes them by default, so `/NEWS/x` cannot slip
 * past a rule written for `/news/**`. Extglobs and negation are off: no user-written regular expressions.
 */
const OPTIONS: picomatch.PicomatchOptions = { nocase: true, noextglob: true, nonegate: true, dot: true };

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

/** Compiles a rule's `paths` once; null when the rule applies to every path. */
export function compilePaths(include: readonly string[], exclude: readonly string[]): ((path: string) => PathVerdict) | null {
  if (include.length === 0 && exclude.length === 0) return null;
  const inc = include.length ? picomatch([...include], OPTIONS) : null;
  const exc = exclude.length ? picomatch([...exclude], OPTIONS) : null;
  return (path) => {
    if (inc && !inc(path)) return "not-included";
    if (exc && exc(path)) return "excluded";
    return "ok";
  };
}

/** The path rules are matched against: percent-encoding decoded, so `/новости/**` matches what browsers send. */
export function matchablePath(path: string): string {
  if (path.indexOf("%") === -1) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The literal part of a pattern before its first wildcard, for telling whether two patterns can meet. */
export function patternBase(pattern: string): string {
  return picomatch.scan(pattern, OPTIONS).base.toLowerCase();
}

/** The first of the patterns that matches the path, for explanations. */
export function firstMatching(patterns: readonly string[], path: string): string | undefined {
  return patterns.find((p) => picomatch(p, OPTIONS)(path));
}
