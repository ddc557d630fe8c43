// Requests per second with the decision log on and off, side by side, for a reader no rule applies
// to and a reader in Russia (whose lines are never sampled away). Target: logging costs under 5%.
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DecisionLog } from "../src/log/decision-log.js";
import type { DecisionRecord } from "../src/log/record.js";
import { ask, CONNECTIONS, median, pin, PAIRS, row, ROW_HEADER, RUN_SECONDS, sideBySide } from "./side-by-side.js";

/**
 * The CPU (all threads: serializing here, writing in libuv's pool) that one decision line costs,
 * written to a file the way a server writes them: a few per event-loop turn. Less noisy than
 * throughput on a shared machine, since it does not depend on who else has the cores.
 */
async function cpuPerLine(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "gc-bench-line-"));
  const log = new DecisionLog({ destination: join(dir, "decisions.jsonl") }, { instance: "bench" });
  const record: DecisionRecord = {
    decisionId: "0b9c4a52-3f6e-4d0e-9a57-7c1f4c1d2e3f",
    decision: {
      revision: "3eedcad74eaee3c6",
      region: { country: "RU", subdivision: null, source: "geoip" },
      matched: ["ru-undesirable-organization"],
      actions: [{ kind: "notice", rule: "ru-undesirable-organization", language: "ru", placement: { at: "body-start" }, dismissible: false }],
      log: "minimal",
      rewritesBody: true,
    },
    method: "GET",
    path: "/articles/harbour-bridge",
    client: "77.88.8.8",
    status: 200,
    rewritten: true,
    bytes: 10422,
    durationMicros: 180,
  };
  const lines = 200_000;
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
  for (let i = 0; i < 20_000; i++) log.write(record); // warm up
  await log.flush();
  const before = process.cpuUsage();
  for (let i = 0; i < lines; i += 20) {
    for (let j = 0; j < 20; j++) log.write(record);
    await tick();
  }
  await log.flush();
  const used = process.cpuUsage(before);
  await log.close();
  rmSync(dir, { recursive: true, force: true });
  return (used.user + used.system) / lines;
}

export async function run(): Promise<void> {
  const child = fork(fileURLToPath(new URL("./logging-servers.js", import.meta.url)), { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ports = await ask<{ on: number; off: number }>(child, undefined, "ports");
  const pinned = pin(child);
  const readers = [
    { name: "reader the rules leave alone (US)", ip: "8.8.8.8" },
    { name: "reader in Russia (notice injected)", ip: "77.88.8.8" },
  ];
  console.log(`demo article with the middleware, decision log off (base) and on to a file (mw), in one process`);
  console.log(`${CONNECTIONS} connections, ${PAIRS} pairs of ${RUN_SECONDS}s runs per reader, order alternating, against 127.0.0.1; ${pinned.note}`);
  console.log("requests per second (medians), the ratio on/off (median of the pairs, min-max), and the server's CPU time per request; target: logging costs under 5%");
  console.log(ROW_HEADER);
  let served = 0;
  let cpuOff = Infinity;
  try {
    for (const reader of readers) {
      const c = await sideBySide(child, `http://127.0.0.1:${ports.off}/`, `http://127.0.0.1:${ports.on}/`, { "x-forwarded-for": reader.ip });
      served += 500 + c.other.reduce((n, r) => n + r.requests, 0);
      cpuOff = Math.min(cpuOff, median(c.base.map((r) => r.cpuUs)));
      const cost = (1 - median(c.ratios)) * 100;
      console.log(`${row(reader.name, c, ">= 0.95x")}   logging costs ${cost.toFixed(1)}%`);
    }
    const status = await ask<{ written: number; failed: number; pending: number }>(child, "status", "status");
    // autocannon leaves out the requests in flight when a run stops (up to CONNECTIONS per run).
    console.log(`log: ${status.written} lines written, ${status.failed} failed, ${status.pending} pending; ${served} responses counted with the log on, plus the start line`);
    const perLine = await cpuPerLine();
    console.log(
      `one decision line costs ${perLine.toFixed(1)} µs of CPU (all threads), measured alone: ${((perLine / cpuOff) * 100).toFixed(1)}% of the server CPU per request with the log off (${cpuOff.toFixed(0)} µs, the cheaper reader)`,
    );
  } finally {
    pinned.undo();
    child.disconnect();
  }
}
