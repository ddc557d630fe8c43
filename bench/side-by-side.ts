// Throughput of two servers measured side by side: many short runs in pairs, the order alternating,
// so that a burst of someone else's load or a garbage collection lands in one pair and the median
// of the paired ratios shrugs it off. Both servers live in one process (the same heap, the same
// JIT, the same collector), pinned to its own core when the machine allows, so the load generator
// in this process does not compete with it for a core.
import autocannon from "autocannon";
import { execFileSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { ask } from "../test/support/child.js";
import { ROUNDS, SECONDS } from "./settings.js";

export { ask };

export const CONNECTIONS = 10;
export const PAIRS = Math.max(4, ROUNDS * 3);
export const RUN_SECONDS = Math.max(1, Math.round(SECONDS / 2));

export interface Run {
  readonly rps: number;
  readonly requests: number;
  /** The server process's CPU time (all its threads) per request, in microseconds. */
  readonly cpuUs: number;
}

export interface Comparison {
  readonly base: Run[];
  readonly other: Run[];
  /** other / base, per pair. */
  readonly ratios: number[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** In a bench server process: answers "cpu" with the process's CPU time so far, in microseconds. */
export function answerCpu(): void {
  process.on("message", (m) => {
    if (m === "cpu") {
      const u = process.cpuUsage();
      process.send?.({ cpu: u.user + u.system });
    }
  });
}

function taskset(cpus: string, pid: number): boolean {
  try {
    execFileSync("taskset", ["-a", "-cp", cpus, String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Puts the server process on the last core and this process (the load generator) on the others.
 * Returns what was done, for the report, and how to undo it.
 */
export function pin(server: ChildProcess): { note: string; undo: () => void } {
  const cores = availableParallelism();
  if (cores < 2 || server.pid === undefined) return { note: "not pinned (one core)", undo: () => {} };
  const last = String(cores - 1);
  const rest = cores === 2 ? "0" : `0-${cores - 2}`;
  if (!taskset(last, server.pid) || !taskset(rest, process.pid)) return { note: "not pinned (no taskset)", undo: () => {} };
  return { note: `server pinned to core ${last}, load generator to core ${rest}`, undo: () => void taskset(`0-${cores - 1}`, process.pid) };
}

async function measure(child: ChildProcess, url: string, headers: Record<string, string>): Promise<Run> {
  const before = await ask<number>(child, "cpu", "cpu");
  const result = await autocannon({ url, connections: CONNECTIONS, duration: RUN_SECONDS, headers });
  const after = await ask<number>(child, "cpu", "cpu");
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, requests: result.requests.total, cpuUs: (after - before) / result.requests.total };
}

/** `base` and `other` (URLs on servers in `child`), warmed, then PAIRS pairs of RUN_SECONDS runs. */
export async function sideBySide(child: ChildProcess, base: string, other: string, headers: Record<string, string>): Promise<Comparison> {
  await autocannon({ url: base, connections: CONNECTIONS, amount: 500, headers });
  await autocannon({ url: other, connections: CONNECTIONS, amount: 500, headers });
  const c: Comparison = { base: [], other: [], ratios: [] };
  for (let pair = 0; pair < PAIRS; pair++) {
    // Alternate which goes first, so neither side always runs on a warmer machine.
    if (pair % 2 === 0) {
      c.base.push(await measure(child, base, headers));
      c.other.push(await measure(child, other, headers));
    } else {
      c.other.push(await measure(child, other, headers));
      c.base.push(await measure(child, base, headers));
    }
    c.ratios.push(c.other.at(-1)!.rps / c.base.at(-1)!.rps);
  }
  return c;
}

/** One table row: median rps each side, the median paired ratio (min-max), CPU µs per request each side. */
export function row(name: string, c: Comparison, target = ""): string {
  const ratio = median(c.ratios);
  const cpuBase = median(c.base.map((r) => r.cpuUs));
  const cpuOther = median(c.other.map((r) => r.cpuUs));
  return (
    `${name.padEnd(50)} ${median(c.base.map((r) => r.rps)).toFixed(0).padStart(8)} ${median(c.other.map((r) => r.rps)).toFixed(0).padStart(8)}` +
    `  ${ratio.toFixed(3)}x (${Math.min(...c.ratios).toFixed(2)}-${Math.max(...c.ratios).toFixed(2)})  ${target.padEnd(9)}` +
    `  ${cpuBase.toFixed(0).padStart(6)} ${cpuOther.toFixed(0).padStart(6)} ${(cpuBase / cpuOther).toFixed(3).padStart(7)}x`
  );
}

export const ROW_HEADER = `${"".padEnd(50)} ${"rps base".padStart(8)} ${"rps mw".padStart(8)}  ratio (min-max)          target      CPU µs/req base, mw, ratio`;
