import type { DestinationStream } from "pino";

export type DecisionLogDestination = string | 1 | 2 | DestinationStream;

/** How the reader's address appears in a decision line. */
export type ClientMode = "prefix" | "hash" | "raw" | "none";

export interface RotateOptions {
  /** Start a new file past this size: a number of MB, or a string such as "500k", "100m", "1g". */
  readonly size?: string | number;
  /** Start a new file every day, every hour, or every so many milliseconds. */
  readonly frequency?: "daily" | "hourly" | number;
  /** How many older files to keep besides the current one; all are kept when absent. */
  readonly keep?: number;
}

export interface DecisionLogOptions {
  /** A file path, 1 for stdout, 2 for stderr, or any pino destination. Default: stdout. */
  readonly destination?: DecisionLogDestination;
  /** Set to false to turn the decision log off (metrics are still counted). */
  readonly enabled?: boolean;
  /** Rotate the file `destination` (pino-roll): `decisions.jsonl` becomes `decisions.1.jsonl`, `decisions.2.jsonl`, … */
  readonly rotate?: RotateOptions;
  /** `prefix` (default): IPv4 /24 or IPv6 /48; `hash`: HMAC-SHA256 with `hashKey`; `raw`: the address; `none`: left out. */
  readonly client?: ClientMode;
  /** The operator's secret for `client: "hash"`, at least 16 bytes. */
  readonly hashKey?: string | Buffer;
  /** Share (0..1) of decisions where no rule matched that are written; decisions where a rule matched are always written. Default 1. */
  readonly sampleUnmatched?: number;
}

const KNOWN = ["destination", "enabled", "rotate", "client", "hashKey", "sampleUnmatched"];
const CLIENT_MODES: readonly ClientMode[] = ["prefix", "hash", "raw", "none"];

function isDestinationStream(value: unknown): value is DestinationStream {
  return typeof value === "object" && value !== null && typeof (value as { write?: unknown }).write === "function";
}

/**
 * Checks `decisionLog` once, at construction. `fail` throws the caller's error type with the message.
 * Returns false when the log is turned off.
 */
export function checkDecisionLogOptions(value: unknown, fail: (message: string) => never): DecisionLogOptions | false {
  if (value === undefined) return {};
  if (value === false) return false;
  if (typeof value !== "object" || value === null) fail("decisionLog must be an object or false");
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.includes(key)) fail(`unknown option "decisionLog.${key}"; known options are ${KNOWN.join(", ")}`);
  }
  const dest = o.destination;
  if (dest !== undefined && !(typeof dest === "string" && dest.length > 0) && dest !== 1 && dest !== 2 && !isDestinationStream(dest)) {
    fail("decisionLog.destination must be a file path, 1 (stdout), 2 (stderr) or a writable stream");
  }
  if (o.enabled !== undefined && typeof o.enabled !== "boolean") fail("decisionLog.enabled must be true or false");
  if (o.rotate !== undefined) {
    if (typeof dest !== "string") fail("decisionLog.rotate needs decisionLog.destination to be a file path");
    const r = o.rotate as Record<string, unknown>;
    if (typeof r !== "object" || r === null) fail("decisionLog.rotate must be an object such as { size: \"100m\", frequency: \"daily\", keep: 14 }");
    for (const key of Object.keys(r)) if (!["size", "frequency", "keep"].includes(key)) fail(`unknown option "decisionLog.rotate.${key}"; known options are size, frequency, keep`);
    if (r.size === undefined && r.frequency === undefined) fail("decisionLog.rotate needs a size, a frequency, or both");
    if (r.size !== undefined && !((typeof r.size === "number" && r.size > 0) || (typeof r.size === "string" && /^\d+(\.\d+)?[kmgKMG]?$/.test(r.size)))) {
      fail(`decisionLog.rotate.size: ${JSON.stringify(r.size)} is not a size; write a number of MB or a string such as "500k", "100m", "1g"`);
    }
    if (r.frequency !== undefined && r.frequency !== "daily" && r.frequency !== "hourly" && !(typeof r.frequency === "number" && Number.isInteger(r.frequency) && r.frequency > 0)) {
      fail(`decisionLog.rotate.frequency: ${JSON.stringify(r.frequency)} is not "daily", "hourly" or a number of milliseconds`);
    }
    if (r.keep !== undefined && !(typeof r.keep === "number" && Number.isInteger(r.keep) && r.keep > 0)) fail("decisionLog.rotate.keep must be a whole number of files > 0");
  }
  if (o.client !== undefined && !CLIENT_MODES.includes(o.client as ClientMode)) {
    fail(`decisionLog.client: ${JSON.stringify(o.client)} is not one of ${CLIENT_MODES.map((m) => `"${m}"`).join(", ")}`);
  }
  if (o.client === "hash") {
    const key = o.hashKey;
    const length = typeof key === "string" ? Buffer.byteLength(key) : Buffer.isBuffer(key) ? key.length : -1;
    if (length < 16) fail("decisionLog.client \"hash\" needs decisionLog.hashKey: a secret of at least 16 bytes (a string or a Buffer), kept out of the code");
  } else if (o.hashKey !== undefined) {
    fail("decisionLog.hashKey is only used with decisionLog.client: \"hash\"");
  }
  if (o.sampleUnmatched !== undefined && !(typeof o.sampleUnmatched === "number" && o.sampleUnmatched >= 0 && o.sampleUnmatched <= 1)) {
    fail(`decisionLog.sampleUnmatched must be a number from 0 to 1, got ${JSON.stringify(o.sampleUnmatched)}`);
  }
  return o.enabled === false ? false : (o as DecisionLogOptions);
}
