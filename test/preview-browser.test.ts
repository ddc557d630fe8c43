import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { geoCompliance } from "../src/index.js";
import { packageRoot, shippedRulesDir } from "../src/package-root.js";
import { createDemoSite } from "../demo/app.js";
import { PREVIEW_SECRET } from "./support/region-fixtures.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ARTIFACTS = join(packageRoot(), "test-artifacts");

/** Presses Tab until the element with `id` has focus; fails if it is not reached in `max` presses. */
async function tabTo(page: Page, id: string, max = 20): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await page.evaluate(() => document.activeElement?.id ?? "")) === id) return;
    await page.keyboard.press("Tab");
  }
  expect(await page.evaluate(() => document.activeElement?.id ?? ""), `focus after ${max} Tabs`).to.equal(id);
}

describe("reader preview in headless Chromium", function () {
  this.timeout(60_000);
  let server: Running;
  let compliance: ReturnType<typeof geoCompliance>;
  let context: BrowserContext;
  let profile: string;

  before(async function () {
    if (!existsSync(CHROMIUM)) this.skip(); // no browser on this machine: install it with `apt-get install -y chromium`
    compliance = geoCompliance({ rules: shippedRulesDir(), trustProxy: ["loopback"], preview: { secret: PREVIEW_SECRET }, decisionLog: { destination: new MemoryLog() } });
    server = await listen(createDemoSite(compliance, compliance.previewRouter));
    profile = mkdtempSync(join(tmpdir(), "gc-chromium-"));
    // A browser whose own language is English: Russian in the frame can only come from the preview.
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 800 }, locale: "en-US" });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await context?.close();
    await server?.close();
    await compliance?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("signs in, picks UA-43 in Russian with the keyboard, and shows the notice in the frame", async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const violations: string[] = [];
    page.on("console", (m) => {
      // The framed page may block trackers by the reader's own CSP; the preview's pages must break none.
      if (/Content Security Policy/i.test(m.text()) && m.location().url.includes("/_preview")) violations.push(m.text());
    });
    await page.goto(`${server.url}/_preview/`);

    // Sign in: the secret field has focus.
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("secret");
    await page.keyboard.type(PREVIEW_SECRET);
    await page.keyboard.press("Enter");
    await page.locator("#region").waitFor();

    // The form: region first, then the language, the date, the page and the button, in that order.
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("region");
    await page.keyboard.type("UA-43");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("lang");
    await page.keyboard.type("r"); // a closed select picks the option whose text starts with what is typed
    expect(await page.locator("#lang").inputValue()).to.equal("ru");
    await tabTo(page, "path");
    await page.keyboard.press("Tab");
    const button = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return { tag: el.tagName, text: el.textContent, outline: style.outlineStyle, width: style.outlineWidth };
    });
    expect(button).to.deep.include({ tag: "BUTTON", text: "Preview" });
    // Focus is visible: a solid outline, not the browser's hairline or none.
    expect(button.outline).to.equal("solid");
    expect(button.width).to.equal("3px");
    await Promise.all([page.waitForURL(/region=UA-43/), page.keyboard.press("Enter")]);
    expect(new URL(page.url()).searchParams.get("lang")).to.equal("ru");

    // The decision beside the frame.
    expect(await page.locator("#decision-heading").textContent()).to.equal("Decision for UA-43: Avtonomna Respublika Krym, Ukraine");
    expect(await page.locator(".trace").textContent()).to.contain("ru-undesirable-organization");

    // The site's own page in the frame, as a reader in Crimea whose browser asks for Russian sees it.
    const notice = page.frameLocator("#frame").locator("[data-geo-compliance-notice]");
    await notice.waitFor({ state: "visible", timeout: 10_000 });
    expect(await notice.getAttribute("lang")).to.equal("ru");
    expect(await notice.locator(".geo-compliance-notice__title").textContent()).to.equal("Предупреждение для читателей в России и на подконтрольных России территориях Украины");
    expect(await page.frameLocator("#frame").locator("h1").first().textContent()).to.be.a("string").and.not.equal("");

    // The regions where the page differs, each a link a keyboard reaches.
    const links = page.locator(".regions a");
    expect(await links.allTextContents()).to.include.members(["RU", "UA-43", "UA-40", "UA-14", "UA-09", "UA-23", "UA-65"]);

    await page.screenshot({ path: join(ARTIFACTS, "preview-1280x800.png") });
    await page.setViewportSize({ width: 360, height: 640 });
    // On a narrow screen the frame is below the decision and as wide as the screen allows.
    const frameBox = await page.locator("#frame").boundingBox();
    expect(frameBox!.width).to.be.within(280, 360);
    await page.locator("#frame").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, "preview-360x640.png") });
    for (const name of ["preview-1280x800.png", "preview-360x640.png"]) expect(statSync(join(ARTIFACTS, name)).size, name).to.be.greaterThan(5000);
    expect(violations).to.deep.equal([]);
  });

  it('language "None": the frame shows the notice in the language the decision beside it names, not the browser\'s', async () => {
    const page = context.pages()[0]!;
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.url}/_preview/?region=UA-43&lang=&path=/`);
    expect(await page.locator(".trace dd").nth(2).textContent()).to.equal("none asked for");
    const heading = await page.locator(".trace h3", { hasText: "Notice from" }).first().textContent();
    const said = / in ([a-z-]+)$/.exec(heading ?? "")?.[1];
    expect(said, heading ?? "no notice in the panel").to.equal("ru");
    const notice = page.frameLocator("#frame").locator("[data-geo-compliance-notice]");
    await notice.waitFor({ state: "visible", timeout: 10_000 });
    expect(await notice.getAttribute("lang")).to.equal(said);
  });

  it("a region typed by name is previewed; the frame follows links, and the reviewer's other tabs are not previewed", async () => {
    const page = context.pages()[0]!;
    await page.goto(`${server.url}/_preview/`);
    await page.locator("#region").fill("Crimea");
    await page.selectOption("#lang", "en");
    await Promise.all([page.waitForURL(/region=Crimea/), page.locator("form.pick button").click()]);
    expect(await page.locator("#decision-heading").textContent()).to.equal("Decision for UA-43: Avtonomna Respublika Krym, Ukraine");
    expect(await page.locator("#region").inputValue()).to.equal("UA-43");
    const frame = page.frameLocator("#frame");
    await frame.locator("[data-geo-compliance-notice]").waitFor({ state: "visible", timeout: 10_000 });
    // A link followed inside the frame is still this reader's page.
    await frame.locator("a", { hasText: "Harbour bridge" }).first().click();
    await page.waitForFunction(() => (document.querySelector("#frame") as HTMLIFrameElement).contentWindow?.location.pathname === "/articles/harbour-bridge");
    await frame.locator("[data-geo-compliance-notice]").waitFor({ state: "visible", timeout: 10_000 });
    // Another tab of the same browser, on the same site, while the preview lasts: the site as the reviewer gets it.
    const other = await context.newPage();
    try {
      for (const path of ["/", "/articles/harbour-bridge"]) {
        const res = await other.goto(`${server.url}${path}`);
        expect(res!.status(), path).to.equal(200);
        expect(await other.locator("h1").count(), path).to.be.greaterThan(0);
        expect(await other.locator("[data-geo-compliance-notice]").count(), `${path} in another tab`).to.equal(0);
      }
    } finally {
      await other.close();
    }
  });

  for (const [width, height] of [[1280, 800], [390, 844]] as const) {
    it(`the form at ${width}x${height}: fields in line, every language readable in the select, nothing past the screen`, async () => {
      const page = context.pages()[0]!;
      await page.setViewportSize({ width, height });
      await page.goto(`${server.url}/_preview/?region=UA-43&lang=&path=/`);
      await page.screenshot({ path: join(ARTIFACTS, `preview-form-${width}x${height}.png`), clip: { x: 0, y: 0, width, height: Math.min(height, 700) } });
      const layout = await page.evaluate(() => {
        const box = (el: Element) => {
          const r = el.getBoundingClientRect();
          return { x: r.x, y: r.y, w: r.width, h: r.height, right: r.right, bottom: r.bottom };
        };
        const select = document.querySelector("#lang") as HTMLSelectElement;
        const style = getComputedStyle(select);
        const ctx = document.createElement("canvas").getContext("2d")!;
        ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        // What the closed select has room for: its width less padding, border and the arrow (about 1.5em).
        const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 1.5 * parseFloat(style.fontSize);
        return {
          form: box(document.querySelector("form.pick")!),
          controls: ["region", "lang", "at", "path"].map((id) => box(document.getElementById(id)!)),
          labels: [...document.querySelectorAll("form.pick .field > label")].map(box),
          select: { box: box(select), container: box(select.parentElement!), room, widest: Math.max(...[...select.options].map((o) => ctx.measureText(o.text).width)), texts: [...select.options].map((o) => o.text) },
          button: box(document.querySelector("form.pick button")!),
          scrollWidth: document.documentElement.scrollWidth,
        };
      });
      const { controls, labels, select } = layout;
      if (width >= 1000) {
        // One row: every control at the same height and as tall as the others, the labels above them.
        for (const c of controls) {
          expect(c.y, "controls share a top edge").to.be.closeTo(controls[0]!.y, 1);
          expect(c.h, "controls are as tall as each other").to.be.closeTo(controls[0]!.h, 1);
          expect(c.w, "controls are as wide as each other").to.be.closeTo(controls[0]!.w, 1);
        }
        for (const l of labels) expect(l.bottom, "labels end where the controls begin").to.be.at.most(controls[0]!.y + 1);
      } else {
        // One column: every control at the same left edge and as wide as the screen allows.
        for (const c of controls) {
          expect(c.x, "controls share a left edge").to.be.closeTo(controls[0]!.x, 1);
          expect(c.w, "controls are as wide as each other").to.be.closeTo(controls[0]!.w, 1);
          expect(c.w).to.be.greaterThan(width * 0.8);
        }
      }
      for (const c of [...controls, layout.button]) {
        expect(c.x, "inside the form").to.be.at.least(layout.form.x - 0.5);
        expect(c.right, "inside the form").to.be.at.most(layout.form.right + 0.5);
        expect(c.right, "inside the screen").to.be.at.most(width);
      }
      expect(select.box.x).to.be.at.least(select.container.x - 0.5);
      expect(select.box.right, "the select inside its field").to.be.at.most(select.container.right + 0.5);
      expect(select.widest, `every option fits the closed select: ${select.texts.join(" | ")}`).to.be.at.most(select.room);
      expect(layout.button.y, "the button below the fields").to.be.at.least(Math.max(...controls.map((c) => c.bottom)));
      expect(layout.scrollWidth, "no sideways scrolling").to.be.at.most(width);
    });
  }

  it("the skip link is the first stop and leads to the frame", async () => {
    const page = context.pages()[0]!;
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.url}/_preview/?region=RU&lang=en`);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => (document.activeElement as HTMLAnchorElement).getAttribute("href"))).to.equal("#frame");
    expect(await page.locator(".skip").isVisible()).to.equal(true);
    await page.keyboard.press("Enter");
    expect(new URL(page.url()).hash).to.equal("#frame");
    const notice = page.frameLocator("#frame").locator("[data-geo-compliance-notice]");
    await notice.waitFor({ state: "visible", timeout: 10_000 });
    expect(await notice.getAttribute("lang")).to.equal("en");
  });
});
