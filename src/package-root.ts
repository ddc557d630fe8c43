import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/** The folder holding this package's package.json, wherever the compiled file sits. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "geo-compliance") {
      return (cached = dir);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("geo-compliance: cannot find the package root");
    dir = parent;
  }
}

/** The rules shipped with the package (`rules/` at its root). */
export function shippedRulesDir(): string {
  return join(packageRoot(), "rules");
}
