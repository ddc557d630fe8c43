import { expect } from "chai";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { geoCompliance } from "../src/index.js";
import { ResponseTap } from "../src/http/intercept.js";
import { ARTICLE, countNotices } from "./support/pages.js";
import { RUSSIA_RULE_FILE } from "./support/rules.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function server(handler: Handler): Promise<Running> {
  return listen(http.createServer(handler));
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; message: string; headers: http.IncomingHttpHeaders; body: string }> {
  const r = await fetchRaw(url, headers);
  return r;
}

function fetchRaw(url: string, headers: Record<string, string>): Promise<{ status: number; message: string; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, message: res.statusMessage ?? "", headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      })
      .on("error", reject);
  });
}

describe("the response tap", () => {
  let running: Running | null = null;
  afterEach(async () => {
    await running?.close();
    running = null;
  });

  it("applies writeHead's headers in every form before the header listener runs, and keeps the reason phrase", async () => {
    const seen: Array<string | number | string[] | undefined> = [];
    const forms: Array<(res: ServerResponse) => void> = [
      (res) => res.writeHead(203, "Partial Story", { "X-Form": "object", "Set-Cookie": ["a=1", "b=2"] }),
      (res) => res.writeHead(203, "Partial Story", ["X-Form", "flat", "Set-Cookie", "a=1", "Set-Cookie", "b=2"]),
      (res) => (res.writeHead as (s: number, m: string, h: unknown) => void)(203, "Partial Story", [["X-Form", "pairs"], ["Set-Cookie", ["a=1", "b=2"]]]),
    ];
    let form = 0;
    running = await server((_req, res) => {
      ResponseTap.of(res).onHeaders((r) => {
        seen.push(r.getHeader("x-form") as string, r.getHeader("set-cookie") as string[]);
        r.setHeader("X-Listener", "ran");
      });
      forms[form++]!(res);
      res.end("ok");
    });
    for (const name of ["object", "flat", "pairs"]) {
      const r = await get(`${running.url}/`);
      expect(r.status, name).to.equal(203);
      expect(r.message, name).to.equal("Partial Story");
      expect(r.headers["x-form"], name).to.equal(name);
      expect(r.headers["x-listener"], name).to.equal("ran");
      expect(r.headers["set-cookie"], name).to.deep.equal(["a=1", "b=2"]);
    }
    expect(seen).to.deep.equal(["object", ["a=1", "b=2"], "flat", ["a=1", "b=2"], "pairs", ["a=1", "b=2"]]);
  });

  it("runs header listeners once, the last registered first, and sends a status a listener changed without the old reason", async () => {
    const order: string[] = [];
    running = await server((_req, res) => {
      const tap = ResponseTap.of(res);
      tap.onHeaders(() => order.push("first registered"));
      tap.onHeaders((r) => {
        order.push("last registered");
        r.statusCode = 410;
      });
      res.writeHead(200, "Fine");
      res.end("gone");
    });
    const r = await get(`${running.url}/`);
    expect(r.status).to.equal(410);
    expect(r.message).to.equal("Gone");
    expect(order).to.deep.equal(["last registered", "first registered"]);
  });

  it("counts the body bytes that leave, however the app writes them, and none for HEAD or 204", async () => {
    const counts: number[] = [];
    running = await server((req, res) => {
      const sent = ResponseTap.of(res).countBytes(req.method ?? "GET");
      res.on("finish", () => counts.push(sent.bytes));
      if (req.url === "/parts") {
        res.write("héllo ");
        res.write(Buffer.from("wörld"));
        res.end("!", "utf8");
      } else if (req.url === "/empty") {
        res.statusCode = 204;
        res.end("ignored");
      } else {
        res.end("whole");
      }
    });
    await get(`${running.url}/parts`);
    await get(`${running.url}/empty`);
    await get(`${running.url}/whole`);
    await new Promise<void>((resolve) => http.request(`${running!.url}/whole`, { method: "HEAD" }, (res) => res.resume().on("end", resolve)).end());
    expect(counts).to.deep.equal([Buffer.byteLength("héllo wörld!"), 0, 5, 0]);
  });

  it("replaces writeHead, write, end, on and writeEarlyHints at most once per response, whatever the middleware asks of it", async () => {
    const log = new MemoryLog();
    const compliance = geoCompliance({ rules: RUSSIA_RULE_FILE, trustProxy: ["loopback"], decisionLog: { destination: log }, watch: false });
    const added: string[][] = [];
    const maxListeners: number[] = [];
    running = await server((req, res) => {
      res.setMaxListeners(42);
      const before = new Set(Object.keys(res));
      compliance(req, res, () => {
        added.push(Object.keys(res).filter((k) => !before.has(k)));
        // The switch to dictionary properties takes the emitter's setting out and puts it back.
        maxListeners.push(res.getMaxListeners());
        res.setHeader("Content-Type", "text/html; charset=utf-8");
        res.end(ARTICLE);
      });
    });
    try {
      const ru = await get(`${running.url}/`, { "x-forwarded-for": "77.88.8.8" });
      const us = await get(`${running.url}/`, { "x-forwarded-for": "8.8.8.8" });
      expect(countNotices(ru.body)).to.equal(1);
      expect(us.body).to.equal(ARTICLE);
      // A reader whose trackers are off also gets the app's 103 Early Hints filtered.
      expect(added[0]!.sort(), "page rewritten, headers set, bytes counted").to.deep.equal(["end", "on", "write", "writeEarlyHints", "writeHead"]);
      expect(added[1]!.sort(), "headers marked for caches, bytes counted").to.deep.equal(["end", "write", "writeHead"]);
      expect(maxListeners).to.deep.equal([42, 42]);
      await compliance.close();
      const lines = log.decisions();
      expect(lines.map((l) => l.bytes)).to.deep.equal([Buffer.byteLength(ru.body), Buffer.byteLength(ARTICLE)]);
    } finally {
      await compliance.close();
    }
  });
});
