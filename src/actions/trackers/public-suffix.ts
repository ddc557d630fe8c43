import { createRequire } from "node:module";
import type * as Tldts from "tldts";

let tldts: typeof Tldts | undefined;

/**
 * tldts, which carries the whole Public Suffix List: loading it costs a process more than express
 * and helmet together, and only a protected reader's page, a tracker list in hosts format or a
 * rule naming a host needs it. So it loads the first time a host is judged, not at import.
 */
export function publicSuffixList(): typeof Tldts {
  return (tldts ??= createRequire(import.meta.url)("tldts") as typeof Tldts);
}
