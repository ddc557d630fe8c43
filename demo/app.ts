import { readFileSync } from "node:fs";
import { join } from "node:path";
import express, { type Express, type RequestHandler } from "express";
import { packageRoot } from "../src/package-root.js";

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
    const html = readFileSync(join(root, "pages", file), "utf8");
    app.get(path, (_req, res) => {
      res.type("html").send(html);
    });
  }
  return app;
}
