// The demo article served with and without the middleware, for a reader left alone and a reader in Russia.
import autocannon from "autocannon";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

import { ROUNDS, SECONDS } from "./settings.js";

const CONNECTIONS = 10;

async function rps(url: string, headers: Record<string, string>): Promise<number> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

export async function run(): Promise<void> {
  const child = fork(fileURLToPath(new URL("./demo-servers.js", import.meta.url)), { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ports = await new Promise<{ plain: number; guarded: number }>((resolve) => child.once("message", (m) => resolve(m as { plain: number; guarded: number })));
  const readers = [
    { name: "reader the rules leave alone (US)", ip: "8.8.8.8" },
    { name: "reader in Russia (notice injected)", ip: "77.88.8.8" },
  ];
  console.log(`demo article, ${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds each, alternating, against 127.0.0.1`);
  console.log("reader                               without mw   with mw    ratio");
  try {
    for (const reader of readers) {
      const headers = { "x-forwarded-for": reader.ip };
      let base = 0;
      let mw = 0;
      // Warm both servers before measuring.
      await autocannon({ url: `http://127.0.0.1:${ports.plain}/`, connections: CONNECTIONS, amount: 500, headers });
      await autocannon({ url: `http://127.0.0.1:${ports.guarded}/`, connections: CONNECTIONS, amount: 500, headers });
      for (let round = 0; round < ROUNDS; round++) {
        base += await rps(`http://127.0.0.1:${ports.plain}/`, headers);
        mw += await rps(`http://127.0.0.1:${ports.guarded}/`, headers);
      }
      base /= ROUNDS;
      mw /= ROUNDS;
      console.log(`${reader.name.padEnd(36)} ${base.toFixed(0).padStart(9)} ${mw.toFixed(0).padStart(9)}   ${(mw / base).toFixed(3)}x`);
    }
  } finally {
    child.disconnect();
  }
}

