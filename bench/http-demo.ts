// The demo article served with and without the middleware, for a reader left alone and a reader in Russia.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ask, CONNECTIONS, pin, PAIRS, row, ROW_HEADER, RUN_SECONDS, sideBySide } from "./side-by-side.js";

export async function run(): Promise<void> {
  const child = fork(fileURLToPath(new URL("./demo-servers.js", import.meta.url)), { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ports = await ask<{ plain: number; guarded: number }>(child, undefined, "ports");
  const pinned = pin(child);
  const readers = [
    { name: "reader the rules leave alone (US)", ip: "8.8.8.8" },
    { name: "reader in Russia (notice injected)", ip: "77.88.8.8" },
  ];
  console.log(`demo article (about 3 KB), the same site without the middleware (base) and with it (mw), in one process; decision log on, to a file`);
  console.log(`${CONNECTIONS} connections, ${PAIRS} pairs of ${RUN_SECONDS}s runs per reader, order alternating, against 127.0.0.1; ${pinned.note}`);
  console.log(ROW_HEADER);
  try {
    for (const reader of readers) {
      const c = await sideBySide(child, `http://127.0.0.1:${ports.plain}/`, `http://127.0.0.1:${ports.guarded}/`, { "x-forwarded-for": reader.ip });
      console.log(row(reader.name, c));
    }
  } finally {
    pinned.undo();
    child.disconnect();
  }
}
