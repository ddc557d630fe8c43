import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import type { Viewport } from "./args.js";

import { AuditSetupError, isMissingModule } from "./setup-error.js";

export { AuditSetupError } from "./setup-error.js";

/** Where Linux distributions and Chrome's own packages put the browser, in the order they are tried. */
export const SYSTEM_CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/snap/bin/chromium", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome", "/Applications/Chromium.app/Contents/MacOS/Chromium"];

/** `--chromium`, else `CHROMIUM_PATH`, else the first system location that exists. */
export function findChromium(given: string | null, env: NodeJS.ProcessEnv, exists: (path: string) => boolean = existsSync): string {
  const chosen = given ?? (env.CHROMIUM_PATH || null);
  if (chosen !== null) {
    if (!exists(chosen)) throw new AuditSetupError(`no browser at ${chosen} (from ${given !== null ? "--chromium" : "CHROMIUM_PATH"}); give the path of a Chromium or Chrome executable`);
    return chosen;
  }
  const found = SYSTEM_CHROMIUM.find((p) => exists(p));
  if (!found) throw new AuditSetupError(`no Chromium found at ${SYSTEM_CHROMIUM.slice(0, 4).join(", ")}…; install it (Debian and Ubuntu: apt-get install chromium) or give its path with --chromium PATH or CHROMIUM_PATH`);
  return found;
}

type Playwright = typeof import("playwright-core");

/**
 * playwright-core, loaded only by the audit: it is an optional peer dependency, so sites that never
 * audit do not install a browser driver with the middleware.
 */
export async function loadPlaywright(load: () => Promise<Playwright> = () => import("playwright-core")): Promise<Playwright> {
  try {
    return await load();
  } catch (error) {
    if (isMissingModule(error)) {
      throw new AuditSetupError("the audit drives Chromium through playwright-core, which is not installed; install it beside geo-compliance: npm install --save-dev playwright-core");
    }
    throw error;
  }
}

/**
 * Switches that keep the browser's own traffic (updates, sync, safe browsing, sign-in) out of the
 * net log, so every contact in it is the page's. The page's preconnects, DNS prefetches and
 * speculation rules are left alone by these.
 */
const QUIET = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-first-run", "--no-default-browser-check", "--metrics-recording-only", "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication"];

export interface BrowserSettings {
  readonly executable: string;
  readonly extraArgs: readonly string[];
  readonly lang: string | null;
}

export interface OpenBrowser {
  readonly context: BrowserContext;
  readonly netLogFile: string;
  /** Closes the browser (which finishes the net log); call `discard` after reading it. */
  close(): Promise<void>;
  discard(): void;
}

/** One browser with a fresh profile and its own net log, for one reader on one page. */
export async function openBrowser(playwright: Playwright, settings: BrowserSettings, viewport: Viewport): Promise<OpenBrowser> {
  const dir = mkdtempSync(join(tmpdir(), "geo-compliance-audit-"));
  const netLogFile = join(dir, "net-log.json");
  const args = ["--headless", "--disable-gpu", ...QUIET, `--log-net-log=${netLogFile}`, "--net-log-capture-mode=Everything", ...settings.extraArgs];
  // Chromium's sandbox needs user namespaces, which root and most containers (CI) do not get.
  if (process.getuid?.() === 0 || process.env.CI) args.unshift("--no-sandbox");
  let context: BrowserContext;
  try {
    context = await playwright.chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: settings.executable,
      headless: true,
      args,
      viewport,
      ...(settings.lang ? { locale: settings.lang } : {}),
      serviceWorkers: "allow",
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new AuditSetupError(`Chromium at ${settings.executable} did not start: ${((error as Error).message.split("\n")[0] ?? "").slice(0, 300)}`);
  }
  return {
    context,
    netLogFile,
    close: async () => {
      await context.close().catch(() => undefined);
    },
    discard: () => rmSync(dir, { recursive: true, force: true }),
  };
}
