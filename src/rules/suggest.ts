import type * as Levenshtein from "fastest-levenshtein";
import { requireCjs } from "../require-cjs.js";

const { distance } = requireCjs("fastest-levenshtein") as typeof Levenshtein;

/**
 * The candidates closest to a misspelt word, closest first: at most `max`, and only those near
 * enough to be a plausible slip (about a third of the word's letters).
 */
export function closest(word: string, candidates: Iterable<string>, max = 3): string[] {
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.ceil(word.length / 3));
  const scored: Array<[string, number]> = [];
  for (const c of candidates) {
    if (c === word) continue;
    const d = c.toLowerCase() === lower ? 0 : isSwap(lower, c.toLowerCase()) ? 1 : distance(lower, c.toLowerCase());
    if (d <= limit) scored.push([c, d]);
  }
  const shared = (c: string): number => {
    let i = 0;
    while (i < c.length && c[i]!.toLowerCase() === lower[i]) i++;
    return i;
  };
  // Nearest first; among equals, the one that starts like the word (US-CAL: US-CA before US-AL).
  scored.sort((a, b) => a[1] - b[1] || shared(b[0]) - shared(a[0]) || (a[0] < b[0] ? -1 : 1));
  return scored.slice(0, max).map(([c]) => c);
}

/** Whether two words differ only by two neighbouring letters swapped ("gcp" for "gpc"), the commonest slip. */
function isSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length && diff.length <= 2; i++) if (a[i] !== b[i]) diff.push(i);
  return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
}

/** `did you mean "a"?`, `did you mean "a" or "b"?`, or "" when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>, quote = true): string {
  const found = closest(word, candidates).map((c) => (quote ? `"${c}"` : c));
  if (found.length === 0) return "";
  return `did you mean ${listWords(found)}?`;
}

/** "a", "a or b", "a, b or c" (or with "and"). */
export function listWords(words: readonly string[], conjunction: "or" | "and" = "or"): string {
  if (words.length <= 1) return words[0] ?? "";
  return `${words.slice(0, -1).join(", ")} ${conjunction} ${words.at(-1)}`;
}
