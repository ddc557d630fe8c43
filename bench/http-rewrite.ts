// End to end: a 300 KB page served with res.send, with and without the middleware; memory for one
// streamed 50 MB page; time to first byte for a handler that waits after its first chunk.
import autocannon from "autocannon";
import { fork, type ChildProcess } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { ROUNDS, SECONDS } from "./settings.js";

const CONNECTIONS = 10;
type Ports = Record<"plain" | "guarded" | "guardedNoCache" | "guardedAll", number>;

async function rps(port: number, path: string, headers: Record<string, string>): Promise<number> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: CONNECTIONS, duration: SECONDS, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`port ${port}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
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

export async function run(): Promise<void> {
  const child = fork(fileURLToPath(new URL("./http-rewrite-servers.js", import.meta.url)), { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: ["--expose-gc"] });
  const ports = await new Promise<Ports>((resolve) => child.once("message", (m) => resolve((m as { ports: Ports }).ports)));
  const US = { "x-forwarded-for": "8.8.8.8" };
  const RU = { "x-forwarded-for": "77.88.8.8", "accept-language": "ru" };
  try {
    console.log(`300 KB news page sent with res.send, ${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds each, alternating, against 127.0.0.1`);
    console.log("reader                                              without mw   with mw    ratio   target");
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
        `${name.padEnd(50)} ${(base / ROUNDS).toFixed(0).padStart(10)} ${(mw / ROUNDS).toFixed(0).padStart(9)} ${(mw / base).toFixed(3).padStart(8)}x   ${target}   (rounds: ${ratios.map((r) => r.toFixed(2)).join(", ")})`,
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
