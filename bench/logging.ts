// Requests per second with the decision log on and off, side by side, for a reader no rule applies
// to and a reader in Russia (whose lines are never sampled away). Target: logging costs under 5%.
import autocannon from "autocannon";
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DecisionLog } from "../src/log/decision-log.js";
import type { DecisionRecord } from "../src/log/record.js";

import { ROUNDS, SECONDS } from "./settings.js";

const CONNECTIONS = 10;
// Many short pairs rather than a few long runs: on a shared machine a burst of someone else's load
// lands in one pair, and the median of the paired ratios shrugs it off.
const PAIRS = Math.max(4, ROUNDS * 3);
const RUN_SECONDS = Math.max(1, Math.round(SECONDS / 2));

function ask<T>(child: ChildProcess, message: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const listener = (m: unknown): void => {
      if (typeof m === "object" && m !== null && key in m) {
        child.off("message", listener);
        resolve((m as Record<string, T>)[key]!);
      }
    };
    child.on("message", listener);
    if (message) child.send(message);
  });
}

interface Run {
  readonly rps: number;
  readonly requests: number;
  /** The server process's CPU time (all its threads) per request, in microseconds. */
  readonly cpuUs: number;
}

async function measure(child: ChildProcess, url: string, headers: Record<string, string>): Promise<Run> {
  const before = await ask<NodeJS.CpuUsage>(child, "cpu", "cpu");
  const result = await autocannon({ url, connections: CONNECTIONS, duration: RUN_SECONDS, headers });
  const after = await ask<NodeJS.CpuUsage>(child, "cpu", "cpu");
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const cpu = after.user - before.user + (after.system - before.system);
  return { rps: result.requests.average, requests: result.requests.total, cpuUs: cpu / result.requests.total };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

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
  const ports = await ask<{ on: number; off: number }>(child, "", "ports");
  const readers = [
    { name: "reader the rules leave alone (US)", ip: "8.8.8.8" },
    { name: "reader in Russia (notice injected)", ip: "77.88.8.8" },
  ];
  console.log(`demo article, ${CONNECTIONS} connections, ${PAIRS} pairs of ${RUN_SECONDS}s runs per reader, order alternating, against 127.0.0.1; log to a file`);
  console.log("requests per second (medians), and the ratio log on / log off: median of the pairs (min-max)");
  console.log("reader                               log off    log on   ratio (min-max)        cost");
  let served = 0;
  const usOff = { us: Infinity };
  try {
    for (const reader of readers) {
      const headers = { "x-forwarded-for": reader.ip };
      const runs: Record<"on" | "off", Run[]> = { on: [], off: [] };
      const ratios: number[] = [];
      await autocannon({ url: `http://127.0.0.1:${ports.off}/`, connections: CONNECTIONS, amount: 500, headers });
      await autocannon({ url: `http://127.0.0.1:${ports.on}/`, connections: CONNECTIONS, amount: 500, headers });
      served += 500;
      for (let pair = 0; pair < PAIRS; pair++) {
        // Alternate which goes first, so neither side always runs on a warmer machine.
        const order = pair % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const);
        for (const side of order) {
          const r = await measure(child, `http://127.0.0.1:${ports[side]}/`, headers);
          runs[side].push(r);
          if (side === "on") served += r.requests;
        }
        ratios.push(runs.on.at(-1)!.rps / runs.off.at(-1)!.rps);
      }
      const ratio = median(ratios);
      const cpuOff = median(runs.off.map((r) => r.cpuUs));
      usOff.us = Math.min(usOff.us, cpuOff);
      console.log(
        `${reader.name.padEnd(36)} ${median(runs.off.map((r) => r.rps)).toFixed(0).padStart(7)} ${median(runs.on.map((r) => r.rps)).toFixed(0).padStart(9)}   ${ratio.toFixed(3)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})  ${((1 - ratio) * 100).toFixed(1).padStart(5)}%`,
      );
    }
    const status = await ask<{ written: number; failed: number; pending: number }>(child, "status", "status");
    // autocannon leaves out the requests in flight when a run stops (up to CONNECTIONS per run).
    console.log(`log: ${status.written} lines written, ${status.failed} failed, ${status.pending} pending; ${served} responses counted with the log on, plus the start line`);
    const perLine = await cpuPerLine();
    console.log(
      `one decision line costs ${perLine.toFixed(1)} µs of CPU (all threads), measured alone: ${((perLine / usOff.us) * 100).toFixed(1)}% of the server CPU per request with the log off (${usOff.us.toFixed(0)} µs, the cheaper reader)`,
    );
  } finally {
    child.disconnect();
  }
}
