/**
 * The (vector, mode) pairs of the corpus that still reach a third party for a protected reader,
 * each with why. The corpus asserts that the leaks it observes are exactly these: a new leak fails
 * it, and so does a fixed one until it is taken off this list. `CORPUS_REPORT=1 npx mocha
 * dist/test/browser-corpus.test.js` prints the observed set in this format.
 */
import type { Mode } from "./run-context.js";

export interface KnownLeak {
  readonly vector: string;
  readonly mode: Exclude<Mode, "plain" | "free">;
  readonly why: string;
}

export const KNOWN_LEAKS: readonly KnownLeak[] = [
];

/** Protected runs that lose a first-party request the page makes without the middleware. */
export const KNOWN_FIRST_PARTY_LOSSES: readonly KnownLeak[] = [
  { vector: "speculation-rules-header", mode: "github", why: "the Speculation-Rules header is removed for a protected reader, so the browser no longer fetches the rules file it names (speculative loads are never needed for that reader)" },
  { vector: "speculation-rules-header", mode: "list", why: "the Speculation-Rules header is removed for a protected reader, so the browser no longer fetches the rules file it names (speculative loads are never needed for that reader)" },
  { vector: "speculation-rules-header", mode: "third-party", why: "the Speculation-Rules header is removed for a protected reader, so the browser no longer fetches the rules file it names (speculative loads are never needed for that reader)" },
];
