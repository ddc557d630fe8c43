import type { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import pino from "pino";
import pinoRoll from "pino-roll";
import type { DecisionLogOptions } from "./options.js";

/**
 * Past this many bytes waiting for a slow destination, lines are dropped and counted as failed
 * rather than held: a stalled disk must not become a memory leak in the web process.
 */
export const BUFFER_LIMIT = 32 * 1024 * 1024;
/** How long closing waits for a destination to take what it was given. */
const CLOSE_TIMEOUT_MS = 10_000;

interface Target extends Partial<EventEmitter> {
  write(data: string, callback?: (error?: Error | null) => void): unknown;
  flush?: (callback?: (error?: Error | null) => void) => void;
  flushSync?: () => void;
  end?: () => void;
  /** SonicBoom's count of bytes not yet written. */
  _len?: number;
}

/**
 * How a line is known to have arrived: `bytes` for SonicBoom streams (pino.destination, pino-roll),
 * which report each completed write; `callback` for Node writable streams; `handoff` for anything
 * else, where a line counts as written once the destination took it.
 */
type Accounting = "bytes" | "callback" | "handoff";

export interface OutputCounts {
  /** Where lines go: `stdout`, `stderr`, `file:PATH`, `rotating-file:PATH`, `stream`. */
  readonly destination: string;
  /** Lines the destination confirmed. */
  readonly written: number;
  /** Lines lost: the destination failed, was too slow, or the log was closed. */
  readonly failed: number;
  /** Lines handed over and not yet confirmed. */
  readonly pending: number;
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
}

function isSonicBoom(t: Target): boolean {
  return (t as { constructor?: { name?: string } }).constructor?.name === "SonicBoom";
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves once `done()` holds, checking every few milliseconds. */
function until(done: () => boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = (): void => {
      if (done()) resolve();
      else setTimeout(check, 5).unref();
    };
    check();
  });
}

/**
 * The end of the pipe pino writes into. It opens the destination, counts every line as written or
 * failed, and makes sure no failure of the destination ever reaches the request that logged.
 */
export class LineOutput {
  readonly destination: string;
  private written = 0;
  private failed = 0;
  private lastError: string | null = null;
  private lastErrorAt: Date | null = null;
  private target: Target | null = null;
  private accounting: Accounting = "handoff";
  private readonly owned: boolean;
  private broken = false;
  private closed = false;
  /** Lines that arrive while a rotating file is being opened. */
  private queue: string[] = [];
  private opening: Promise<void> | null = null;
  // `bytes` accounting: the sizes of lines not yet confirmed, oldest first.
  private sizes: number[] = [];
  private head = 0;
  private confirmedBytes = 0;
  private dropped = false;
  // `callback` accounting: writes whose callback has not come yet.
  private inflight = 0;

  constructor(options: DecisionLogOptions) {
    const dest = options.destination ?? 1;
    this.owned = typeof dest === "string" || typeof dest === "number";
    if (typeof dest === "number") {
      this.destination = dest === 2 ? "stderr" : "stdout";
      this.attach(pino.destination({ dest, sync: false, maxLength: BUFFER_LIMIT }) as unknown as Target, "bytes");
    } else if (typeof dest === "string" && options.rotate) {
      this.destination = `rotating-file:${dest}`;
      const r = options.rotate;
      this.opening = pinoRoll({
        file: dest,
        ...(r.size !== undefined ? { size: r.size } : {}),
        ...(r.frequency !== undefined ? { frequency: r.frequency } : {}),
        ...(r.keep !== undefined ? { limit: { count: r.keep } } : {}),
        mkdir: true,
        sync: false,
        maxLength: BUFFER_LIMIT,
      }).then(
        (stream) => this.attach(stream as unknown as Target, "bytes"),
        (error: unknown) => this.fail(error),
      );
    } else if (typeof dest === "string") {
      this.destination = `file:${dest}`;
      this.attach(pino.destination({ dest, mkdir: true, sync: false, maxLength: BUFFER_LIMIT }) as unknown as Target, "bytes");
    } else {
      this.destination = "stream";
      const t = dest as unknown as Target;
      this.attach(t, t instanceof Writable ? "callback" : isSonicBoom(t) ? "bytes" : "handoff");
    }
  }

  private attach(target: Target, accounting: Accounting): void {
    this.target = target;
    this.accounting = accounting;
    this.opening = null;
    // Without a listener, an 'error' event would throw and take the process down with it.
    target.on?.("error", (error: unknown) => this.fail(error));
    if (accounting === "bytes") {
      target.on?.("write", (n: number) => this.confirm(n));
      target.on?.("drop", () => {
        this.dropped = true;
      });
    }
    const queued = this.queue;
    this.queue = [];
    for (const line of queued) this.write(line);
  }

  write(line: string): void {
    if (this.broken || this.closed) {
      this.failed++;
      if (this.closed && !this.broken) this.setError("a line came after the decision log was closed");
      return;
    }
    const target = this.target;
    if (!target) {
      this.queue.push(line);
      return;
    }
    try {
      switch (this.accounting) {
        case "bytes":
          this.dropped = false;
          target.write(line);
          if (this.dropped) this.lose("the destination is not keeping up: its buffer is full");
          else this.sizes.push(Buffer.byteLength(line));
          break;
        case "callback":
          if ((target as unknown as Writable).writableLength > BUFFER_LIMIT) {
            this.lose("the destination is not keeping up: its buffer is full");
            break;
          }
          this.inflight++;
          target.write(line, (error) => {
            this.inflight--;
            if (error) {
              this.failed++;
              this.setError(error);
            } else {
              this.written++;
            }
          });
          break;
        case "handoff":
          target.write(line);
          this.written++;
          break;
      }
    } catch (error) {
      this.failed++;
      this.fail(error);
    }
  }

  private lose(reason: string): void {
    this.failed++;
    this.setError(reason);
  }

  private confirm(n: number): void {
    this.confirmedBytes += n;
    const sizes = this.sizes;
    while (this.head < sizes.length && sizes[this.head]! <= this.confirmedBytes) {
      this.confirmedBytes -= sizes[this.head]!;
      this.head++;
      this.written++;
    }
    if (this.head > 4096 && this.head * 2 > sizes.length) {
      this.sizes = sizes.slice(this.head);
      this.head = 0;
    }
  }

  private setError(error: unknown): void {
    this.lastError = error instanceof Error ? error.message : String(error);
    this.lastErrorAt = new Date();
  }

  /** The destination failed: what it had not confirmed is lost, and nothing more is sent to it. */
  private fail(error: unknown): void {
    this.setError(error);
    if (this.broken) return;
    this.broken = true;
    this.opening = null;
    if (this.accounting === "bytes") {
      this.failed += this.sizes.length - this.head;
      this.sizes = [];
      this.head = 0;
    }
    this.failed += this.queue.length;
    this.queue = [];
  }

  counts(): OutputCounts {
    const pending = this.queue.length + (this.accounting === "bytes" ? this.sizes.length - this.head : this.accounting === "callback" ? this.inflight : 0);
    return { destination: this.destination, written: this.written, failed: this.failed, pending, lastError: this.lastError, lastErrorAt: this.lastErrorAt };
  }

  /** Writes out what is buffered before returning: for a signal or process exit, when nothing asynchronous can be trusted to finish. */
  flushSync(): void {
    const target = this.target;
    if (!target || this.broken || typeof target.flushSync !== "function") return;
    try {
      target.flushSync();
    } catch {
      return; // not open yet, or already closed: nothing to flush
    }
    // flushSync reports no 'write' events; what is no longer buffered has been written.
    if (this.accounting === "bytes" && typeof target._len === "number") {
      let outstanding = -this.confirmedBytes;
      for (let i = this.head; i < this.sizes.length; i++) outstanding += this.sizes[i]!;
      const writtenNow = outstanding - target._len;
      if (writtenNow > 0) this.confirm(writtenNow);
    }
  }

  /** Resolves when everything handed over so far has been confirmed (or has failed). */
  async flush(): Promise<void> {
    if (this.opening) await this.opening;
    const target = this.target;
    if (!target || this.broken) return;
    const settled = (): boolean => this.broken || this.counts().pending === 0;
    if (this.accounting === "handoff" && typeof target.flush === "function") {
      await withTimeout(new Promise<void>((resolve) => target.flush!(() => resolve())), CLOSE_TIMEOUT_MS);
      return;
    }
    if (this.accounting === "bytes" && typeof target.flush === "function" && !settled()) {
      // SonicBoom's flush throws when the file is not open yet; waiting for the count covers that case too.
      try {
        target.flush(() => {});
      } catch {
        // counted below
      }
    }
    await withTimeout(until(settled), CLOSE_TIMEOUT_MS);
  }

  /** Flushes, then closes a destination this log opened; one the app passed is left open. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    const target = this.target;
    if (!this.owned || !target || this.broken || typeof target.end !== "function") return;
    const ended = new Promise<void>((resolve) => {
      target.once?.("close", () => resolve());
      target.once?.("error", () => resolve());
    });
    try {
      target.end();
    } catch {
      return;
    }
    await withTimeout(ended, CLOSE_TIMEOUT_MS);
  }
}
