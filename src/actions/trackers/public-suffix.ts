import type * as Tldts from "tldts";
import { requireCjs } from "../../require-cjs.js";

let tldts: typeof Tldts | undefined;

/**
 * tldts, which carries the whole Public Suffix List: loading it costs a process more than express
 * and helmet together, and only a protected reader's page, a tracker list in hosts format or a
 * rule naming a host needs it. So it loads the first time a host is judged, not at import.
 */
export function publicSuffixList(): typeof Tldts {
  return (tldts ??= requireCjs("tldts") as typeof Tldts);
}
