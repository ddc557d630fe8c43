import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Request } from "playwright-core";
import { packageRoot } from "../../src/package-root.js";

export const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function artifactsDir(): string {
  const dir = join(packageRoot(), "test-artifacts");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Skips the suite, saying why, when Debian's Chromium is not installed. */
export function requireChromium(ctx: Mocha.Context): void {
  if (!existsSync(CHROMIUM)) {
    console.log(`    (skipped: no browser at ${CHROMIUM}; apt-get install -y chromium)`);
    ctx.skip();
  }
}

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

export interface Session {
  readonly context: BrowserContext;
  /** Every request the page made, in order, including those answered locally. */
  readonly requests: Request[];
  close(): Promise<void>;
}

/**
 * A fresh browser profile in which every request to a host other than 127.0.0.1 is answered
 * locally, so nothing leaves the machine while the page behaves as if the trackers were there.
 */
export async function openSession(viewport = { width: 1280, height: 800 }, headers: Record<string, string> = {}): Promise<Session> {
  const profile = mkdtempSync(join(tmpdir(), "gc-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport, extraHTTPHeaders: headers });
  const requests: Request[] = [];
  context.on("request", (r) => void requests.push(r));
  await context.route(
    (url) => url.hostname !== "127.0.0.1",
    (route) => {
      const type = route.request().resourceType();
      if (type === "image") return route.fulfill({ status: 200, contentType: "image/gif", body: GIF });
      if (type === "script") return route.fulfill({ status: 200, contentType: "application/javascript", body: "/* answered locally */" });
      if (type === "document") return route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><p>answered locally</p>" });
      if (type === "stylesheet") return route.fulfill({ status: 200, contentType: "text/css", body: "" });
      return route.fulfill({ status: 204, body: "" });
    },
  );
  return {
    context,
    requests,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
