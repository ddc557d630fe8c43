import pino, { type Logger } from "pino";
import type { DecisionMetrics } from "./metrics.js";
import type { DecisionLogOptions } from "./options.js";
import { LineOutput, type OutputCounts } from "./output.js";
import { decisionLine, type DecisionRecord, type LineSettings } from "./record.js";
import { unwatchSignals, watchSignals, type Flushable } from "./signals.js";

export type { DecisionLogDestination, DecisionLogOptions, ClientMode, RotateOptions } from "./options.js";
export type { DecisionRecord, ResponseOutcome } from "./record.js";

/** Where decisions and lifecycle events go. Other stages emit their lifecycle events through it. */
export interface DecisionSink {
  /** A response finished (or its connection closed): one decision line. */
  write(record: DecisionRecord): void;
  /** A lifecycle event (`type: "lifecycle"`) in the same stream; see docs/decision-log.md for the events. */
  lifecycle(event: string, fields?: Record<string, unknown>): void;
  /** Resolves when every line written so far has reached the destination. */
  flush(): Promise<void>;
  /** A request entered the middleware; its line is to come. `close()` waits for those in flight. */
  begin?(): void;
  /** Waits for responses in flight, writes `stop` with `fields`, flushes and closes the destination. */
  close?(fields?: Record<string, unknown>): Promise<void>;
  status?(): DecisionLogStatus;
}

export interface DecisionLogStatus extends OutputCounts {
  readonly enabled: boolean;
  /** Decisions where no rule applied that sampling left out (`sampleUnmatched`). */
  readonly sampledOut: number;
}

export interface DecisionLogEdges {
  /** The name of this process in every line. */
  readonly instance: string;
  readonly metrics?: DecisionMetrics | null;
  /** The clock that stamps each line; the middleware's clock by default. */
  readonly clock?: () => Date;
  /** For sampling; tests replace it. */
  readonly random?: () => number;
}

/** How long `close()` waits for responses still in flight before closing the log anyway. */
const CLOSE_GRACE_MS = 5000;

/** Events that mean something was refused are written at level `warn`. */
function levelOf(event: string): "info" | "warn" {
  return event.endsWith("-rejected") || event.endsWith("-failed") ? "warn" : "info";
}

/** Lifecycle fields as they are written: an Error becomes its message, with the problems it lists. */
function lifecycleFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (value instanceof Error) {
      out[key] = value.message;
      const problems = (value as { problems?: unknown }).problems;
      if (Array.isArray(problems)) out.errors = problems;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * The decision log: one JSON line per decision through pino, lifecycle events in the same
 * stream, metrics for every decision. Lines are written when a response finishes, after the
 * reader has it; pino only serializes, and the destination writes asynchronously.
 */
export class DecisionLog implements DecisionSink, Flushable {
  private readonly logger: Logger | null;
  private readonly output: LineOutput | null;
  private readonly settings: LineSettings;
  private readonly sampleRate: number;
  private sampledOut = 0;
  private metricsFailed = false;
  private inflight = 0;
  private closing: Promise<void> | null = null;

  private readonly metrics: DecisionMetrics | null;
  private readonly random: () => number;

  constructor(options: DecisionLogOptions | false, edges: DecisionLogEdges) {
    this.metrics = edges.metrics ?? null;
    this.metrics?.countLogLines(() => this.status());
    this.random = edges.random ?? Math.random;
    const clock = edges.clock ?? (() => new Date());
    const o = options === false ? {} : options;
    this.settings = { client: o.client ?? "prefix", hashKey: o.hashKey };
    this.sampleRate = o.sampleUnmatched ?? 1;
    if (options === false) {
      this.output = null;
      this.logger = null;
      return;
    }
    const output = new LineOutput(options);
    this.output = output;
    this.logger = pino(
      {
        base: { instance: edges.instance },
        // pino's numeric levels (30 info, 40 warn): a label formatter would cost more than the rest of the line.
        // The middleware's clock, so that a line's time and its decision's time agree.
        timestamp: () => `,"time":"${clock().toISOString()}"`,
      },
      { write: (line: string) => output.write(line) },
    );
    watchSignals(this);
  }

  begin(): void {
    this.inflight++;
  }

  write(record: DecisionRecord): void {
    if (this.inflight > 0) this.inflight--;
    // Called when a response finishes, from its event listener: a throw here would end the process.
    // Counting comes second to the line, so a metrics failure is reported once and costs nothing else.
    if (this.metrics) {
      try {
        this.metrics.observe(record);
      } catch (error) {
        if (!this.metricsFailed) {
          this.metricsFailed = true;
          this.lifecycle("metrics-failed", { error: error instanceof Error ? error.message : String(error) });
        }
      }
    }
    if (!this.logger) return;
    let rate: number | undefined;
    if (record.decision.matched.length === 0 && this.sampleRate < 1) {
      if (this.random() >= this.sampleRate) {
        this.sampledOut++;
        return;
      }
      rate = this.sampleRate;
    }
    try {
      this.logger.info(decisionLine(record, this.settings, rate));
    } catch (error) {
      this.output?.lose(`a decision line could not be written: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  lifecycle(event: string, fields: Record<string, unknown> = {}): void {
    if ((event === "start" || event === "rules-loaded") && typeof fields.revision === "string") this.metrics?.setRevision(fields.revision);
    this.logger?.[levelOf(event)]({ type: "lifecycle", event, ...lifecycleFields(fields) });
  }

  flush(): Promise<void> {
    return this.output?.flush() ?? Promise.resolve();
  }

  flushSync(): void {
    this.output?.flushSync();
  }

  close(fields: Record<string, unknown> = {}, graceMs = CLOSE_GRACE_MS): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        unwatchSignals(this);
        if (this.inflight > 0) {
          const deadline = Date.now() + graceMs;
          while (this.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        }
        this.lifecycle("stop", fields);
        await this.output?.close();
      })();
    }
    return this.closing;
  }

  closeOnSignal(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    return this.close({ signal }, graceMs);
  }

  status(): DecisionLogStatus {
    const counts = this.output?.counts() ?? { destination: "none", written: 0, failed: 0, pending: 0, lastError: null, lastErrorAt: null };
    return { enabled: this.output !== null, sampledOut: this.sampledOut, ...counts };
  }
}
