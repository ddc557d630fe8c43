import { existsSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "./usage.js";

/** The rules a command reads, and how to name them to the person who ran it. */
export interface RulesArg {
  readonly paths: readonly string[];
  /** "rules/ (./rules, the default)" or the folders as given. */
  readonly shown: string;
}

/**
 * `--rules` as given, or `./rules` of the current folder: the app's rules, never the package's own
 * (which an installed command would otherwise find beside itself).
 */
export function rulesArg(given: readonly string[] | undefined, cwd: string = process.cwd()): RulesArg {
  if (given && given.length > 0) return { paths: given, shown: given.join(", ") };
  const here = join(cwd, "rules");
  if (!existsSync(here)) throw new UsageError(`there is no rules folder here (${here}); run this in the folder that holds rules/, or give --rules DIR`);
  return { paths: [here], shown: `${here} (./rules, the default)` };
}
