import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { NetLogError, netLogContacts, readNetLog, type Contact } from "../src/cli/audit/net-log.js";
import { CHROMIUM, requireChromium } from "./support/browser.js";

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

describe("audit: Chromium net log reader", function () {
  this.timeout(60000);
  let text = "";
  let third = 0;
  let contacts: Contact[] = [];

  before(async function () {
    requireChromium(this);
    // A third party that answers anything and refuses WebSocket upgrades, and a page that reaches it five ways.
    const other = createServer((_q, r) => void r.end("ok"));
    other.on("upgrade", (_q, socket) => socket.destroy());
    third = await listen(other);
    const t = (label: string): string => `http://${label}.tracker.example:${third}`;
    const page = `<!doctype html><link rel="preconnect" href="${t("pre")}"><link rel="dns-prefetch" href="${t("dns")}"><img src="${t("img")}/p.gif">
      <script>try{new WebSocket("ws://ws.tracker.example:${third}/s")}catch(e){}</script>`;
    const site = createServer((_q, r) => void r.writeHead(200, { "Content-Type": "text/html" }).end(page));
    const port = await listen(site);
    const profile = mkdtempSync(join(tmpdir(), "gc-netlog-"));
    const file = join(profile, "net-log.json");
    const context = await chromium.launchPersistentContext(join(profile, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--host-resolver-rules=MAP *.example 127.0.0.1", `--log-net-log=${file}`, "--net-log-capture-mode=Everything"],
    });
    try {
      const p = await context.newPage();
      await p.goto(`http://news.example:${port}/`, { waitUntil: "load" });
      await p.waitForTimeout(500);
    } finally {
      await context.close();
      other.close();
      site.close();
    }
    text = readFileSync(file, "utf8");
    rmSync(profile, { recursive: true, force: true });
    contacts = netLogContacts(readNetLog(text, file));
  });

  const on = (host: string): Contact[] => contacts.filter((c) => c.host === host && c.port === third);

  it("lists the URL requests, with the host and port the page used", () => {
    const img = on("img.tracker.example");
    expect(img.map((c) => c.kind)).to.include("request").and.include("socket");
    expect(img.find((c) => c.kind === "request")?.target).to.equal(`http://img.tracker.example:${third}/p.gif`);
  });

  it("lists preconnects, which no route handler sees", () => {
    const pre = on("pre.tracker.example");
    expect(pre.map((c) => c.kind)).to.include("preconnect").and.include("socket");
    expect(pre.some((c) => c.kind === "request")).to.equal(false);
  });

  it("lists WebSocket handshakes as websocket", () => {
    expect(on("ws.tracker.example").map((c) => c.kind)).to.include("websocket");
  });

  it("lists DNS resolutions, with whether they were speculative (dns-prefetch)", () => {
    // The resolver logs the address --host-resolver-rules mapped the name to, with the page's port.
    const dns = contacts.filter((c) => c.kind === "dns" && c.port === third);
    expect(dns.length).to.be.at.least(1);
    expect(dns.some((c) => c.speculative === true)).to.equal(true);
    expect(dns.every((c) => c.host === "127.0.0.1")).to.equal(true);
  });

  it("chains a socket to the source it was opened for", () => {
    const socket = on("img.tracker.example").find((c) => c.kind === "socket" && c.chain.length > 1);
    expect(socket, "a socket request with its stream job's parent").to.not.equal(undefined);
    expect(new Set(socket?.chain).size).to.equal(socket?.chain.length);
  });

  it("reads a file Chromium has not finished, up to its last whole line", () => {
    const whole = readNetLog(text);
    expect(whole.complete).to.equal(true);
    const end = text.lastIndexOf("]");
    const cut = text.slice(0, text.lastIndexOf("\n", end - 40) + 25); // cut inside an event line, before the end
    const partial = readNetLog(cut);
    expect(partial.complete).to.equal(false);
    expect(partial.events.length).to.be.greaterThan(0).and.lessThan(whole.events.length);
    expect(partial.events.map((e) => e.type)).to.deep.equal(whole.events.slice(0, partial.events.length).map((e) => e.type));
  });

  it("refuses a file that is not a net log, naming it", () => {
    expect(() => readNetLog('{"events": []}\n', "x.json")).to.throw(NetLogError, /^x\.json: not a Chromium net log/);
    expect(() => readNetLog("hello", "y.json")).to.throw(NetLogError, /y\.json/);
  });
});
