import { isSonicBoom, until, type OutputCounts } from "./output.js";

/** The part of a pino logger (an instance or a child) the decision log writes through. */
export interface PinoLike {
  info(object: object): void;
  warn(object: object): void;
  child(bindings: Record<string, unknown>): PinoLike;
  flush(callback?: (error?: Error) => void): void;
  isLevelEnabled(level: string): boolean;
  readonly level: string;
}

const METHODS = ["info", "warn", "child", "flush", "isLevelEnabled"] as const;

/** How long closing waits for the logger to flush, as for a destination the log opened. */
const FLUSH_TIMEOUT_MS = 10_000;

/** What a logger writes into, as far as waiting for it to be written out goes. */
interface LoggerStream {
  flush?: () => void;
  /** SonicBoom: a write to the file is under way, and the bytes not yet written. */
  _writing?: boolean;
  _len?: number;
  /** A Node writable stream: bytes it has not passed on. */
  writableLength?: number;
}

/**
 * The logger's destination: pino keeps it under a symbol of its own (`pino.stream`), on the root
 * logger its children inherit from. Found by the symbol's name, since the app's pino need not be
 * the copy installed with this package.
 */
function streamOf(logger: object): LoggerStream | null {
  for (let o: object | null = logger; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    for (const symbol of Object.getOwnPropertySymbols(o)) {
      if (symbol.description === "pino.stream") {
        const stream = (o as Record<symbol, unknown>)[symbol];
        return typeof stream === "object" && stream !== null ? (stream as LoggerStream) : null;
      }
    }
  }
  return null;
}

/**
 * Whether the destination has written out all it was given. pino's flush(cb) does not wait for
 * that: an asynchronous pino.destination() calls back at once while a write is still under way.
 */
function drained(stream: LoggerStream | null): boolean {
  if (stream === null) return true;
  if (isSonicBoom(stream)) {
    if (stream._writing) return false;
    if ((stream._len ?? 0) === 0) return true;
    // Bytes held back below minLength go out only when asked for.
    try {
      stream.flush?.();
    } catch {
      return true; // destroyed or never opened: nothing more will be written
    }
    return false;
  }
  return typeof stream.writableLength === "number" ? stream.writableLength === 0 : true;
}

/**
 * Checks the `logger` option at construction. `fail` throws the caller's error type. A logger whose
 * level leaves out `info` would drop every decision line, so it is refused here rather than found
 * out from an empty log.
 */
export function checkLogger(value: unknown, fail: (message: string) => never): PinoLike | undefined {
  if (value === undefined) return undefined;
  const missing = typeof value === "object" && value !== null ? METHODS.filter((m) => typeof (value as Record<string, unknown>)[m] !== "function") : METHODS;
  if (missing.length > 0) {
    fail(`logger must be a pino logger, such as pino() or logger.child({ … }) (pino 8 or later): ${typeof value === "object" && value !== null ? `it has no ${missing.join(", ")}` : `got ${value === null ? "null" : typeof value}`}`);
  }
  const logger = value as PinoLike;
  if (!logger.isLevelEnabled("info")) {
    fail(`logger: its level is "${logger.level}", which leaves out the decision lines (written at info); pass a child at info: logger.child({}, { level: "info" })`);
  }
  return logger;
}

/**
 * The decision log written through the app's pino logger: each decision line and lifecycle event
 * is one call on it, so it gets the logger's bindings, time and level format and destination. The
 * destination is the app's and stays open; what the log guarantees is that every line was handed
 * to the logger and, once `close()` resolves, flushed by it.
 */
export class LoggerOutput {
  readonly destination = "logger";
  private readonly logger: PinoLike;
  private written = 0;
  private failed = 0;
  private lastError: string | null = null;
  private lastErrorAt: Date | null = null;
  private closed = false;

  constructor(logger: PinoLike, bindings: Record<string, unknown>) {
    this.logger = logger.child(bindings);
  }

  /** One line, at `level`; counted as written once the logger took it. */
  write(level: "info" | "warn", object: object): void {
    if (this.closed) {
      this.lose("a line came after the decision log was closed");
      return;
    }
    // The level can be changed after start-up; a line it leaves out is a line lost, and said so.
    if (!this.logger.isLevelEnabled(level)) {
      this.lose(`the logger's level ("${this.logger.level}") leaves out lines at ${level}`);
      return;
    }
    try {
      this.logger[level](object);
      this.written++;
    } catch (error) {
      this.lose(error instanceof Error ? error.message : String(error));
    }
  }

  /** A line that never reached the logger: counted as failed, with why. */
  lose(reason: string): void {
    this.failed++;
    this.lastError = reason;
    this.lastErrorAt = new Date();
  }

  counts(): OutputCounts {
    return { destination: this.destination, file: null, written: this.written, failed: this.failed, pending: 0, lastError: this.lastError, lastErrorAt: this.lastErrorAt };
  }

  /** Resolves when the logger's destination has written out what it was given (or after FLUSH_TIMEOUT_MS). */
  async flush(): Promise<void> {
    const started = Date.now();
    await this.flushLogger();
    const stream = streamOf(this.logger);
    await until(() => drained(stream), Math.max(0, FLUSH_TIMEOUT_MS - (Date.now() - started)));
  }

  /** pino's own flush: for a transport, it waits for the worker to take the lines. */
  private flushLogger(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
      timer.unref();
      const done = (error?: Error | null): void => {
        clearTimeout(timer);
        if (error) {
          this.lastError = error.message;
          this.lastErrorAt = new Date();
        }
        resolve();
      };
      try {
        this.logger.flush(done);
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Nothing to do: at exit, pino flushes the destinations it opened itself. */
  flushSync(): void {}

  /** Flushes; the logger and its destination are the app's and stay open. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }
}
