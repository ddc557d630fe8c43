// End to end: a 300 KB page served with res.send, with and without the middleware; memory for one
// streamed 5 MB and 50 MB page; time to first byte for a handler that waits after its first chunk.
import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { geoCompliance, shippedRules } from "../src/index.js";
import { newsPage } from "../test/support/news-page.js";
import { allocatedPerCall } from "./allocation.js";
import { ask, CONNECTIONS, median, pin, PAIRS, row, ROW_HEADER, RUN_SECONDS, sideBySide } from "./side-by-side.js";

type Ports = Record<"plain" | "plainAgain" | "guarded" | "guardedNoCache" | "guardedAll" | "guardedLogged" | "nonce" | "nonceGuarded", number>;

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
    cork: () => {},
    write(chunk: Buffer) {
      res.sent += chunk.length;
      return true;
    },
    end(chunk?: Buffer | (() => void)) {
      if (typeof chunk === "function") return res;
      res.sent += chunk?.length ?? 0;
      return res;
    },
  });
  return { req: req as unknown as http.IncomingMessage, res: res as unknown as http.ServerResponse & { sent: number } };
}

/**
 * CPU time per call in µs (this process, all its threads): on a shared machine, wall time also counts
 * the waits for a core. After a warm-up long enough for the JIT to have compiled what runs (its
 * threads count too), so that the figure is a server's steady state.
 */
function perCall(fn: () => void, ms = 400): number {
  for (const until = performance.now() + ms; performance.now() < until; ) fn();
  const start = performance.now();
  const cpu = process.cpuUsage();
  let n = 0;
  while (performance.now() - start < ms) {
    fn();
    n++;
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n;
}

/**
 * The middleware's own work per request, in process, free of the network and of other load on the
 * machine. Called in a loop, everything it touches stays in the CPU caches; in a server, each
 * request finds them emptied by the last one's 300 KB, so there it costs several times this (the
 * end-to-end rows show the server's CPU time per request).
 */
const ROUNDS = 5;

async function inProcess(): Promise<void> {
  const page = newsPage(300 * 1024);
  const etag = `W/"${createHash("sha1").update(page).digest("base64")}"`;
  const withCache = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], decisionLog: false, watch: false });
  const noCache = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], decisionLog: false, rewriteCache: false, watch: false });
  const body = Buffer.from(page);
  // What Express's res.send does with a 300 KB string: encode it and hash it for the ETag.
  const app = (): void => void createHash("sha1").update(Buffer.from(page)).digest("base64");
  const once = (mw: typeof withCache, ip: string) => () => {
    const { req, res } = fakeExchange(ip, etag);
    mw(req, res, () => {});
    res.end(body);
    res.emit("finish");
    res.emit("close");
  };
  console.log("\nthe middleware's own work per request, in process (no network, warm caches; CPU time), 300 KB page");
  console.log(`each row: ${ROUNDS} rounds, res.send's work and the middleware's alternating, each warmed up; medians, and the ratio's min-max`);
  for (const [name, mw, ip, target] of [
    ["res.send's own work (encode + ETag hash)", null, "", ""],
    ["added, no rule applies (US)", withCache, "8.8.8.8", ""],
    ["added, page rewritten from the cache (RU)", withCache, "77.88.8.8", ""],
    ["added, page rewritten, cache off (RU)", noCache, "77.88.8.8", "  target <= 1.00x"],
  ] as const) {
    const apps: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      apps.push(perCall(app));
      if (mw) ours.push(perCall(once(mw, ip)));
    }
    if (!mw) {
      console.log(`${name.padEnd(48)} ${median(apps).toFixed(1).padStart(8)} µs`);
      continue;
    }
    const ratios = ours.map((us, i) => us / apps[i]!);
    const range = `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
    console.log(`${name.padEnd(48)} ${median(ours).toFixed(1).padStart(8)} µs  (${median(ratios).toFixed(2)}x res.send's work, ${range})${target}`);
  }
  // Allocation per request, sampled by V8 over many requests (collected objects counted), besides the
  // page's own bytes: the rewritten body is one new buffer of the page's size.
  console.log("V8 heap allocated per request (sampled over 300 requests, objects since collected included)");
  for (const [name, mw, ip] of [
    ["no rule applies (US)", withCache, "8.8.8.8"],
    ["page rewritten, cache off (RU)", noCache, "77.88.8.8"],
  ] as const) {
    const bytes = await allocatedPerCall(once(mw, ip), 300);
    console.log(`${name.padEnd(48)} ${(bytes / 1024).toFixed(0).padStart(8)} KB`);
  }
  void withCache.close();
  void noCache.close();
}

export async function run(): Promise<void> {
  await inProcess();
  const child = fork(fileURLToPath(new URL("./http-rewrite-servers.js", import.meta.url)), { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: ["--expose-gc"] });
  const ports = await ask<Ports>(child, undefined, "ports");
  const pinned = pin(child);
  const US = { "x-forwarded-for": "8.8.8.8" };
  const RU = { "x-forwarded-for": "77.88.8.8", "accept-language": "ru" };
  try {
    console.log(`\n300 KB news page sent with res.send, the same app without the middleware (base) and with it (mw), in one process; decision log off unless the row says so`);
    console.log(`${CONNECTIONS} connections, ${PAIRS} pairs of ${RUN_SECONDS}s runs per row, order alternating, against 127.0.0.1; ${pinned.note}`);
    console.log("requests per second (medians), the ratio mw/base (median of the pairs, min-max), and the server's CPU time per request");
    console.log(ROW_HEADER);
    const rows: Array<[string, keyof Ports, keyof Ports, Record<string, string>, string]> = [
      ["A/A: the same app on both sides (the noise)", "plain", "plainAgain", RU, "~1.00x"],
      ["no rule applies (US)", "plain", "guarded", US, ">= 0.95x"],
      ["page rewritten: the shipped Russia rule (RU)", "plain", "guarded", RU, ">= 0.85x"],
      ["page rewritten: notice + list trackers + consent", "plain", "guardedAll", RU, ">= 0.85x"],
      ["page rewritten: Russia rule, rewrite cache off", "plain", "guardedNoCache", RU, "(design)"],
      ["fresh CSP nonce per request (helmet): US", "nonce", "nonceGuarded", US, ">= 0.95x"],
      ["fresh CSP nonce per request (helmet): RU", "nonce", "nonceGuarded", RU, ">= 0.60x"],
      ["decision log on, to a file, cache warm: US", "plain", "guardedLogged", US, ">= 0.90x"],
      ["decision log on, to a file, cache warm: RU", "plain", "guardedLogged", RU, ">= 0.85x"],
    ];
    for (const [name, base, server, headers, target] of rows) {
      const c = await sideBySide(child, `http://127.0.0.1:${ports[base]}/page`, `http://127.0.0.1:${ports[server]}/page`, headers);
      console.log(row(name, c, target));
    }

    console.log("\none streamed page (write/drain) of 5 MB and of 50 MB, server process RSS growth, target < 32 MB at either size (a buffered rewrite would grow by the page)");
    for (const [name, server, headers] of [
      ["without middleware", "plain", RU],
      ["with middleware, page rewritten (RU)", "guarded", RU],
    ] as const) {
      for (const mb of [5, 50]) {
        const base = await ask<number>(child, { rss: "start" }, "base");
        const r = await read(ports[server], `/big?mb=${mb}`, headers);
        const peak = await ask<number>(child, { rss: "stop" }, "peak");
        console.log(`${name.padEnd(40)} ${(r.bytes / 1024 / 1024).toFixed(1).padStart(4)} MB in ${(r.total / 1000).toFixed(2)} s, RSS +${((peak - base) / 1024 / 1024).toFixed(1)} MB`);
      }
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
    pinned.undo();
    child.disconnect();
  }
}
