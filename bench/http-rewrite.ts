// End to end: a 300 KB page served with res.send, with and without the middleware; memory for one
// streamed 50 MB page; time to first byte for a handler that waits after its first chunk.
import autocannon from "autocannon";
import { fork, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { geoCompliance } from "../src/index.js";
import { newsPage } from "../test/support/news-page.js";
import { ROUNDS, SECONDS } from "./settings.js";

const CONNECTIONS = 10;
type Ports = Record<"plain" | "guarded" | "guardedNoCache" | "guardedAll", number>;

let serverProcess: ChildProcess;
/** Server CPU time per request, summed per server: less at the mercy of a busy machine than requests per second. */
const cpu = new Map<number, { micros: number; requests: number }>();

async function rps(port: number, path: string, headers: Record<string, string>): Promise<number> {
  const before = await ask<number>(serverProcess, { cpu: true }, "cpuMicros");
  const result = await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: CONNECTIONS, duration: SECONDS, headers });
  const after = await ask<number>(serverProcess, { cpu: true }, "cpuMicros");
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`port ${port}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const c = cpu.get(port) ?? { micros: 0, requests: 0 };
  c.micros += after - before;
  c.requests += result.requests.total;
  cpu.set(port, c);
  return result.requests.average;
}

function cpuPerRequest(port: number): number {
  const c = cpu.get(port)!;
  return c.micros / c.requests;
}

function ask<T>(child: ChildProcess, message: unknown, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>): void => {
      if (key in m) {
        child.off("message", on);
        resolve(m[key] as T);
      }
    };
    child.on("message", on);
    child.send(message as object);
  });
}

/** Reads a response to the end, discarding it; returns ms to first byte and to the end, and the byte count. */
function read(port: number, path: string, headers: Record<string, string>): Promise<{ ttfb: number; total: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let ttfb = -1;
    let bytes = 0;
    http
      .get({ host: "127.0.0.1", port, path, headers }, (res) => {
        res.on("data", (c: Buffer) => {
          if (ttfb < 0) ttfb = performance.now() - start;
          bytes += c.length;
        });
        res.on("end", () => resolve({ ttfb, total: performance.now() - start, bytes }));
      })
      .on("error", reject);
  });
}

/** A response object that does what the middleware needs, without a socket. */
function fakeExchange(ip: string, etag: string): { req: http.IncomingMessage; res: http.ServerResponse & { sent: number } } {
  const headers: Record<string, unknown> = { "content-type": "text/html; charset=utf-8", etag };
  const req = { method: "GET", url: "/page", headers: { "x-forwarded-for": ip, host: "ledger.example", "accept-language": "ru" }, socket: { remoteAddress: "127.0.0.1" } };
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    headersSent: false,
    writableFinished: true,
    locals: {},
    sent: 0,
    setHeader: (k: string, v: unknown) => void (headers[k.toLowerCase()] = v),
    getHeader: (k: string) => headers[k.toLowerCase()],
    removeHeader: (k: string) => void delete headers[k.toLowerCase()],
    writeHead: () => res,
    write: () => true,
    end(chunk?: Buffer) {
      res.sent += chunk?.length ?? 0;
      return res;
    },
  });
  return { req: req as unknown as http.IncomingMessage, res: res as unknown as http.ServerResponse & { sent: number } };
}

function perCall(fn: () => void, ms = 600): number {
  for (let i = 0; i < 50; i++) fn();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    fn();
    n++;
  }
  return ((performance.now() - start) * 1000) / n;
}

/**
 * The middleware's own work per request, in process: what it adds to a request, free of the
 * network and of other load on the machine, beside what res.send itself does for this page.
 */
function inProcess(): void {
  const page = newsPage(300 * 1024);
  const etag = `W/"${createHash("sha1").update(page).digest("base64")}"`;
  const withCache = geoCompliance({ trustProxy: ["loopback"], decisionLog: false });
  const noCache = geoCompliance({ trustProxy: ["loopback"], decisionLog: false, rewriteCache: false });
  const body = Buffer.from(page);
  const app = perCall(() => {
    // What Express's res.send does with a 300 KB string: encode it and hash it for the ETag.
    createHash("sha1").update(Buffer.from(page)).digest("base64");
  });
  const once = (mw: typeof withCache, ip: string) => () => {
    const { req, res } = fakeExchange(ip, etag);
    mw(req, res, () => {});
    res.end(body);
    res.emit("finish");
  };
  console.log("\nthe middleware's own work per request, in process (no network, no other load), 300 KB page");
  console.log(`res.send's own work (encode + ETag hash)         ${app.toFixed(1).padStart(8)} µs`);
  for (const [name, mw, ip] of [
    ["added, no rule applies (US)", withCache, "8.8.8.8"],
    ["added, page rewritten from the cache (RU)", withCache, "77.88.8.8"],
    ["added, page rewritten, cache off (RU)", noCache, "77.88.8.8"],
  ] as const) {
    const us = perCall(once(mw, ip));
    console.log(`${name.padEnd(48)} ${us.toFixed(1).padStart(8)} µs  (${((100 * us) / app).toFixed(1)}% of res.send's work)`);
  }
  void withCache.close();
  void noCache.close();
}

export async function run(): Promise<void> {
  inProcess();
  const child = fork(fileURLToPath(new URL("./http-rewrite-servers.js", import.meta.url)), { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: ["--expose-gc"] });
  serverProcess = child;
  const ports = await new Promise<Ports>((resolve) => child.once("message", (m) => resolve((m as { ports: Ports }).ports)));
  const US = { "x-forwarded-for": "8.8.8.8" };
  const RU = { "x-forwarded-for": "77.88.8.8", "accept-language": "ru" };
  try {
    console.log(`300 KB news page sent with res.send, ${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds each, alternating, against 127.0.0.1`);
    console.log("requests per second, and the server's CPU time per request (the same ratio, less disturbed by other load)");
    console.log("reader                                              without mw   with mw    ratio   target     CPU µs/req without, with, ratio");
    const rows: Array<[string, keyof Ports, Record<string, string>, string]> = [
      ["no rule applies (US)", "guarded", US, ">= 0.95x"],
      ["page rewritten: notice (RU)", "guarded", RU, ">= 0.85x"],
      ["page rewritten: notice + trackers + consent (RU)", "guardedAll", RU, ">= 0.85x"],
      ["page rewritten: notice (RU), rewrite cache off", "guardedNoCache", RU, "(design)"],
    ];
    for (const [name, server, headers, target] of rows) {
      await autocannon({ url: `http://127.0.0.1:${ports.plain}/page`, connections: CONNECTIONS, amount: 300, headers });
      await autocannon({ url: `http://127.0.0.1:${ports[server]}/page`, connections: CONNECTIONS, amount: 300, headers });
      let base = 0;
      let mw = 0;
      const ratios: number[] = [];
      cpu.clear();
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate which goes first, so that a drift in the machine's load favours neither.
        let plainRps: number;
        let mwRps: number;
        if (round % 2 === 0) {
          plainRps = await rps(ports.plain, "/page", headers);
          mwRps = await rps(ports[server], "/page", headers);
        } else {
          mwRps = await rps(ports[server], "/page", headers);
          plainRps = await rps(ports.plain, "/page", headers);
        }
        base += plainRps;
        mw += mwRps;
        ratios.push(mwRps / plainRps);
      }
      console.log(
        `${name.padEnd(50)} ${(base / ROUNDS).toFixed(0).padStart(10)} ${(mw / ROUNDS).toFixed(0).padStart(9)} ${(mw / base).toFixed(3).padStart(8)}x   ${target.padEnd(9)}` +
          `  ${cpuPerRequest(ports.plain).toFixed(0).padStart(6)} ${cpuPerRequest(ports[server]).toFixed(0).padStart(6)} ${(cpuPerRequest(ports.plain) / cpuPerRequest(ports[server])).toFixed(3).padStart(7)}x` +
          `   (rps ratio by round: ${ratios.map((r) => r.toFixed(2)).join(", ")})`,
      );
    }

    console.log("\none streamed 50 MB page (write/drain), server process RSS growth, target < 32 MB");
    for (const [name, server, headers] of [
      ["without middleware", "plain", RU],
      ["with middleware, page rewritten (RU)", "guarded", RU],
    ] as const) {
      const base = await ask<number>(child, { rss: "start" }, "base");
      const r = await read(ports[server], "/big", headers);
      const peak = await ask<number>(child, { rss: "stop" }, "peak");
      console.log(`${name.padEnd(40)} ${(r.bytes / 1024 / 1024).toFixed(1)} MB in ${(r.total / 1000).toFixed(2)} s, RSS +${((peak - base) / 1024 / 1024).toFixed(1)} MB`);
    }

    console.log("\nhandler writes its first chunk, then waits 500 ms: time to first byte (must come before the end)");
    for (const [name, server, headers] of [
      ["without middleware", "plain", RU],
      ["with middleware, page rewritten (RU)", "guarded", RU],
      ["with middleware, notice + trackers + consent", "guardedAll", RU],
    ] as const) {
      const r = await read(ports[server], "/slow", headers);
      console.log(`${name.padEnd(46)} first byte ${r.ttfb.toFixed(1).padStart(6)} ms, end ${r.total.toFixed(1).padStart(6)} ms  ${r.ttfb < r.total - 400 ? "ok" : "FIRST BYTE LATE"}`);
    }
  } finally {
    child.disconnect();
  }
}
