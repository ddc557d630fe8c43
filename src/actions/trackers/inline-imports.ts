import type { ScannedTag } from "../../http/html-scanner.js";
import type { TrackerMatcher } from "./matcher.js";
import { scriptKind } from "./neutralize.js";
import { blocksFromPage } from "./page-url.js";
import { rewriteImports } from "./script-imports.js";

/** What an inline script that loads nothing by its strings becomes: its imports rewritten, or switched off. */
export type InlineImports = { readonly content: string; readonly blocked: string | null } | { readonly switchOff: string } | null;

/**
 * The imports of an inline script (classic or module) rewritten as a script file's are, its text
 * Latin-1; a script whose imports cannot be read and that may import is switched off. Import maps
 * are not scripts and are judged elsewhere.
 */
export function inlineImports(tag: ScannedTag, code: string, trackers: TrackerMatcher): InlineImports {
  if (scriptKind(tag) === "importmap") return null;
  const rewritten = rewriteImports(code, (specifier) => blocksFromPage(trackers, specifier));
  if (rewritten.kind === "same") return null;
  if (rewritten.kind === "unreadable") return { switchOff: "unreadable-imports" };
  return { content: rewritten.code, blocked: rewritten.blocked };
}
