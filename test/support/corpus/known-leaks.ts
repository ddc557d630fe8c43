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
  { vector: "css-file-import", mode: "list", why: "list mode: a first-party CSS file's @import is not rewritten and no policy stops it" },
  { vector: "css-file-url", mode: "list", why: "list mode: a first-party CSS file's url() is not rewritten and no policy stops it" },
  { vector: "dynamic-import-computed", mode: "list", why: "list mode: no string names the host and the guard cannot wrap import()" },
  { vector: "first-party-module-imports", mode: "list", why: "list mode: a first-party module's import() is not rewritten and the guard cannot wrap import()" },
  { vector: "module-worker-import", mode: "list", why: "list mode: a worker's import() obeys the worker script's headers; neither rewrite nor guard reach it" },
  { vector: "service-worker-fetch", mode: "list", why: "list mode: a service worker's fetch obeys the worker script's headers; neither rewrite nor guard reach it" },
  { vector: "service-worker-import", mode: "list", why: "list mode: a service worker's importScripts obeys the worker script's headers; neither rewrite nor guard reach it" },
  { vector: "shared-worker", mode: "list", why: "list mode: a shared worker's fetch obeys the worker script's headers; neither rewrite nor guard reach it" },
  { vector: "worker-fetch", mode: "list", why: "list mode: a worker's fetch obeys the worker script's headers; neither rewrite nor guard reach it" },
  { vector: "worker-import-scripts", mode: "list", why: "list mode: a worker's importScripts obeys the worker script's headers; neither rewrite nor guard reach it" },
];

/** Protected runs that lose a first-party request the page makes without the middleware. */
export const KNOWN_FIRST_PARTY_LOSSES: readonly KnownLeak[] = [
  { vector: "speculation-rules-header", mode: "github", why: "the Speculation-Rules header is removed for a protected reader, so the browser no longer fetches the rules file it names (speculative loads are never needed for that reader)" },
  { vector: "speculation-rules-header", mode: "list", why: "the Speculation-Rules header is removed for a protected reader, so the browser no longer fetches the rules file it names (speculative loads are never needed for that reader)" },
  { vector: "speculation-rules-header", mode: "third-party", why: "the Speculation-Rules header is removed for a protected reader, so the browser no longer fetches the rules file it names (speculative loads are never needed for that reader)" },
];
