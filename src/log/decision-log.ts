import type { Logger } from "pino";
import { LoggerOutput, type PinoLike } from "./logger-output.js";
import type { DecisionMetrics } from "./metrics.js";
import type { DecisionLogOptions } from "./options.js";
import { LineOutput, type OutputCounts } from "./output.js";
import { decisionJsonFields, decisionLine, type DecisionRecord, type LineSettings } from "./record.js";
import { unwatchSignals, watchSignals, type Flushable } from "./signals.js";
import { requireCjs } from "../require-cjs.js";

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
  /** False when no line will say how many bytes a response sent, so they need not be counted. */
  readonly countsBytes?: boolean;
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
  /** Flush on exit and close on SIGTERM by itself (`handleSignals: true`); otherwise the app calls close(). */
  readonly handleSignals?: boolean;
  /** The app's pino logger (the `logger` option): lines go through it instead of a destination of the log's own. */
  readonly logger?: PinoLike | undefined;
}

/** How long `close()` waits for responses still in flight before closing the log anyway. */
const CLOSE_GRACE_MS = 5000;

/** pino, loaded when the log opens a destination of its own: with the log off or the app's logger it is not needed. */
function loadPino(): typeof import("pino").default {
  return requireCjs("pino") as typeof import("pino").default;
}

/** Events that mean something was refused are written at level `warn`. */
function levelOf(event: string): "info" | "warn" {
  return event === "warning" || event.endsWith("-rejected") || event.endsWith("-failed") || event.endsWith("-mismatch") ? "warn" : "info";
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
 * The decision log: one JSON line per decision, lifecycle events in the same stream (through
 * pino), metrics for every decision. A finished response only queues its record; the records
 * queued in one turn of the event loop are counted and serialized together after it, off the
 * request path, and the destination writes asynchronously. Whatever asks for the log's state
 * (status, flush, close, a metrics scrape, a signal) first serializes what is queued.
 */
export class DecisionLog implements DecisionSink, Flushable {
  private readonly logger: Logger | null;
  private readonly output: LineOutput | null;
  /** Lines through the app's logger (`logger` option), in place of `output` and `logger`. */
  private readonly appLog: LoggerOutput | null = null;
  private readonly settings: LineSettings;
  private readonly sampleRate: number;
  private sampledOut = 0;
  private metricsFailed = false;
  private inflight = 0;
  private closing: Promise<void> | null = null;

  private readonly metrics: DecisionMetrics | null;
  private readonly random: () => number;
  private readonly clock: () => Date;
  /** Records of finished responses, and when each finished, waiting for the end of this turn. */
  private queued: DecisionRecord[] = [];
  private queuedAt: Date[] = [];
  private drainScheduled = false;
  /** What pino puts after `time` in every line: the instance. */
  private readonly bindings: string;
  private lastTime = NaN;
  private lastIso = "";

  constructor(options: DecisionLogOptions | false, edges: DecisionLogEdges) {
    this.metrics = edges.metrics ?? null;
    this.metrics?.countLogLines(() => this.status());
    this.metrics?.beforeCollect(() => this.drain());
    this.random = edges.random ?? Math.random;
    const clock = edges.clock ?? (() => new Date());
    this.clock = clock;
    this.bindings = edges.instance === undefined ? "" : `,"instance":${JSON.stringify(edges.instance)}`;
    const o = options === false ? {} : options;
    this.settings = { client: o.client ?? "prefix", hashKey: o.hashKey };
    this.sampleRate = o.sampleUnmatched ?? 1;
    if (options === false) {
      this.output = null;
      this.logger = null;
      return;
    }
    if (edges.logger) {
      this.output = null;
      this.logger = null;
      this.appLog = new LoggerOutput(edges.logger, edges.instance === undefined ? {} : { instance: edges.instance });
      if (edges.handleSignals === true) watchSignals(this);
      return;
    }
    const output = new LineOutput(options);
    this.output = output;
    this.logger = loadPino()(
      {
        base: { instance: edges.instance },
        // pino's numeric levels (30 info, 40 warn): a label formatter would cost more than the rest of the line.
        // The middleware's clock, so that a line's time and its decision's time agree.
        timestamp: () => `,"time":"${clock().toISOString()}"`,
      },
      { write: (line: string) => output.write(line) },
    );
    if (edges.handleSignals === true) watchSignals(this);
  }

  get countsBytes(): boolean {
    return this.output !== null || this.appLog !== null;
  }

  /** Where lines go, whichever kind it is. */
  private get sink(): LineOutput | LoggerOutput | null {
    return this.output ?? this.appLog;
  }

  begin(): void {
    this.inflight++;
  }

  write(record: DecisionRecord): void {
    if (this.inflight > 0) this.inflight--;
    if (!this.metrics && !this.sink) return;
    this.queued.push(record);
    this.queuedAt.push(this.clock());
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Counts and serializes the queued records, in the order their responses finished. */
  readonly drain = (): void => {
    this.drainScheduled = false;
    const records = this.queued;
    if (records.length === 0) return;
    const times = this.queuedAt;
    this.queued = [];
    this.queuedAt = [];
    // The turn's lines reach the destination now, as one write, rather than after another turn.
    this.output?.hold();
    try {
      for (let i = 0; i < records.length; i++) this.record(records[i]!, times[i]!);
    } finally {
      this.output?.release();
    }
  };

  private record(record: DecisionRecord, at: Date): void {
    // This runs from setImmediate, where a throw would end the process. Counting comes second to
    // the line, so a metrics failure is reported once and costs nothing else.
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
    if (!this.sink) return;
    let rate: number | undefined;
    if (record.decision.matched.length === 0 && this.sampleRate < 1) {
      if (this.random() >= this.sampleRate) {
        this.sampledOut++;
        return;
      }
      rate = this.sampleRate;
    }
    if (this.appLog) {
      // The same fields as a line of the log's own; the logger adds its time, level and bindings.
      try {
        this.appLog.write("info", decisionLine(record, this.settings, rate));
      } catch (error) {
        this.appLog.lose(`a decision line could not be written: ${error instanceof Error ? error.message : String(error)}`);
      }
      return;
    }
    if (!this.output) return;
    try {
      // The line pino writes for logger.info(decisionLine(…)) (level, time, instance, then the
      // fields), made here: it is the one thing logged per request, and pino's field-by-field
      // serializing would cost it several times as much.
      this.output.write(`{"level":30,"time":"${this.iso(at)}"${this.bindings},${decisionJsonFields(record, this.settings, rate)}\n`);
    } catch (error) {
      this.output.lose(`a decision line could not be written: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Lines share milliseconds under load; each millisecond's ISO form is made once. */
  private iso(at: Date): string {
    const ms = at.getTime();
    if (ms !== this.lastTime) {
      this.lastIso = at.toISOString();
      this.lastTime = ms;
    }
    return this.lastIso;
  }

  lifecycle(event: string, fields: Record<string, unknown> = {}): void {
    // Decisions that finished before the event come before it in the stream.
    this.drain();
    if ((event === "start" || event === "rules-loaded") && typeof fields.revision === "string") this.metrics?.setRevision(fields.revision);
    const line = { type: "lifecycle", event, ...lifecycleFields(fields) };
    if (this.appLog) this.appLog.write(levelOf(event), line);
    else this.logger?.[levelOf(event)](line);
  }

  flush(): Promise<void> {
    this.drain();
    return this.sink?.flush() ?? Promise.resolve();
  }

  flushSync(): void {
    this.drain();
    this.sink?.flushSync();
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
        await this.sink?.close();
      })();
    }
    return this.closing;
  }

  closeOnSignal(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    return this.close({ signal }, graceMs);
  }

  status(): DecisionLogStatus {
    this.drain();
    const counts = this.sink?.counts() ?? { destination: "none", file: null, written: 0, failed: 0, pending: 0, lastError: null, lastErrorAt: null };
    return { enabled: this.sink !== null, sampledOut: this.sampledOut, ...counts };
  }
}
