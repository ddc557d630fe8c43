import type { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import type SonicBoomTypes from "sonic-boom";
import type { SonicBoom as SonicBoomType } from "sonic-boom";
import { requireCjs } from "../require-cjs.js";
import type { DecisionLogOptions } from "./options.js";

const SonicBoomModule = requireCjs("sonic-boom") as typeof SonicBoomTypes;

// sonic-boom is CommonJS whose module.exports is the class; its types describe an ES default export.
const SonicBoom = SonicBoomModule as unknown as typeof SonicBoomType;

/**
 * Past this many bytes waiting for a slow destination, lines are dropped and counted as failed
 * rather than held: a stalled disk must not become a memory leak in the web process.
 */
export const BUFFER_LIMIT = 32 * 1024 * 1024;
/**
 * Lines are written in batches of at least this many bytes, and at least every FLUSH_MS: far fewer
 * write calls under load, at most a second's delay when quiet. close() and SIGTERM flush the rest.
 * The destinations this log opens take bytes: given strings, SonicBoom measures and appends to a
 * string of up to 16 KB on every write, copying it each time; given bytes, it keeps a list.
 */
const BATCH = { minLength: 8192, contentMode: "buffer" } as const;
const FLUSH_MS = 1000;
/** How long closing waits for a destination to take what it was given. */
const CLOSE_TIMEOUT_MS = 10_000;

interface Target extends Partial<EventEmitter> {
  write(data: string | Buffer, callback?: (error?: Error | null) => void): unknown;
  flush?: (callback?: (error?: Error | null) => void) => void;
  flushSync?: () => void;
  end?: () => void;
  /** SonicBoom's count of bytes not yet written. */
  _len?: number;
  /** SonicBoom's file, which pino-roll reopens on each new file. */
  file?: unknown;
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
  /**
   * The file lines are written to now: the `destination` path, or under rotation the numbered file
   * pino-roll opened (`decisions.3.jsonl`; null until it is open); null for streams.
   */
  readonly file: string | null;
  /** Lines the destination confirmed. */
  readonly written: number;
  /** Lines lost: the destination failed, was too slow, or the log was closed. */
  readonly failed: number;
  /** Lines handed over and not yet confirmed. */
  readonly pending: number;
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
}

export function isSonicBoom(t: object): boolean {
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

/**
 * Resolves once `done()` holds or `ms` have passed, checking every few milliseconds. The timers are
 * not unref'd: a script that awaits close() must stay alive until the lines are out.
 */
export function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise<void>((resolve) => {
    const check = (): void => {
      if (done() || Date.now() >= deadline) resolve();
      else setTimeout(check, 5);
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
  /** The destination was opened here, in SonicBoom's buffer mode (BATCH): batches go to it as bytes. */
  private readonly owned: boolean;
  private broken = false;
  private closed = false;
  /** Lines that arrive while a rotating file is being opened. */
  private queue: string[] = [];
  private opening: Promise<void> | null = null;
  // `bytes` accounting: lines wait in `batch` until the next turn of the event loop, then go to
  // the destination as one string; `groups` are the batches it has not confirmed, oldest first.
  private batch: string[] = [];
  private batchScheduled = false;
  /** Lines written while held wait for release(), which sends them at once. */
  private holding = false;
  private groups: Array<{ bytes: number; lines: number }> = [];
  private groupHead = 0;
  private unconfirmedLines = 0;
  private confirmedBytes = 0;
  private dropped = false;
  private flushTimer: NodeJS.Timeout | null = null;
  // `callback` accounting: writes whose callback has not come yet.
  private inflight = 0;

  constructor(options: DecisionLogOptions) {
    const dest = options.destination ?? 1;
    this.owned = typeof dest === "string" || typeof dest === "number";
    if (typeof dest === "number") {
      this.destination = dest === 2 ? "stderr" : "stdout";
      this.attach(new SonicBoom({ fd: dest, sync: false, maxLength: BUFFER_LIMIT, ...BATCH }) as unknown as Target, "bytes");
    } else if (typeof dest === "string" && options.rotate) {
      this.destination = `rotating-file:${dest}`;
      const r = options.rotate;
      // Loaded only for rotation: it brings date-fns, hundreds of files a plain file does not need.
      this.opening = import("pino-roll").then(({ default: pinoRoll }) => pinoRoll({
        file: dest,
        ...(r.size !== undefined ? { size: r.size } : {}),
        ...(r.frequency !== undefined ? { frequency: r.frequency } : {}),
        ...(r.keep !== undefined ? { limit: { count: r.keep } } : {}),
        mkdir: true,
        sync: false,
        maxLength: BUFFER_LIMIT,
        ...BATCH,
      })).then(
        (stream) => this.attach(stream as unknown as Target, "bytes"),
        (error: unknown) => this.fail(error),
      );
    } else if (typeof dest === "string") {
      this.destination = `file:${dest}`;
      // SonicBoom itself rather than pino.destination(), whose exit hook throws when the file never opened;
      // flushing on exit is ours (signals.ts).
      this.attach(new SonicBoom({ dest, mkdir: true, sync: false, maxLength: BUFFER_LIMIT, ...BATCH }) as unknown as Target, "bytes");
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
      if (this.owned) {
        // Our own timer rather than SonicBoom's periodicFlush, which would go on writing to a file that failed to open.
        this.flushTimer = setInterval(() => {
          if (this.broken || this.closed) return;
          try {
            target.flush?.();
          } catch (error) {
            this.fail(error);
          }
        }, FLUSH_MS);
        this.flushTimer.unref();
      }
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
          // One write per batch: the destination's per-write bookkeeping is paid once, not per line.
          this.batch.push(line);
          if (!this.batchScheduled && !this.holding) {
            this.batchScheduled = true;
            setImmediate(this.sendBatch);
          }
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

  /** Lines written from now until release() go to the destination together, when it is called. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    if (!this.batchScheduled) this.sendBatch();
  }

  /** A line that never reached the destination: counted as failed, with why. */
  lose(reason: string): void {
    this.failed++;
    this.setError(reason);
  }

  private readonly sendBatch = (): void => {
    this.batchScheduled = false;
    const lines = this.batch;
    if (lines.length === 0) return;
    this.batch = [];
    if (this.broken || !this.target) {
      this.failed += lines.length;
      return;
    }
    const text = lines.length === 1 ? lines[0]! : lines.join("");
    const data = this.owned ? Buffer.from(text) : text;
    this.dropped = false;
    try {
      this.target.write(data);
    } catch (error) {
      this.failed += lines.length;
      this.fail(error);
      return;
    }
    if (this.dropped) {
      this.failed += lines.length;
      this.setError("the destination is not keeping up: its buffer is full");
      return;
    }
    this.groups.push({ bytes: typeof data === "string" ? Buffer.byteLength(data) : data.length, lines: lines.length });
    this.unconfirmedLines += lines.length;
  };

  private confirm(n: number): void {
    this.confirmedBytes += n;
    const groups = this.groups;
    while (this.groupHead < groups.length && groups[this.groupHead]!.bytes <= this.confirmedBytes) {
      const g = groups[this.groupHead++]!;
      this.confirmedBytes -= g.bytes;
      this.written += g.lines;
      this.unconfirmedLines -= g.lines;
    }
    if (this.groupHead > 1024 && this.groupHead * 2 > groups.length) {
      this.groups = groups.slice(this.groupHead);
      this.groupHead = 0;
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
    this.stopTimer();
    if (this.accounting === "bytes") {
      this.failed += this.unconfirmedLines + this.batch.length;
      this.unconfirmedLines = 0;
      this.groups = [];
      this.groupHead = 0;
      this.batch = [];
    }
    this.failed += this.queue.length;
    this.queue = [];
  }

  private stopTimer(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
  }

  private file(): string | null {
    if (this.destination.startsWith("file:")) return this.destination.slice("file:".length);
    if (!this.destination.startsWith("rotating-file:")) return null;
    const file = this.target?.file;
    return typeof file === "string" ? file : null;
  }

  counts(): OutputCounts {
    const pending = this.queue.length + (this.accounting === "bytes" ? this.unconfirmedLines + this.batch.length : this.accounting === "callback" ? this.inflight : 0);
    return { destination: this.destination, file: this.file(), written: this.written, failed: this.failed, pending, lastError: this.lastError, lastErrorAt: this.lastErrorAt };
  }

  /** Writes out what is buffered before returning: for a signal or process exit, when nothing asynchronous can be trusted to finish. */
  flushSync(): void {
    const target = this.target;
    if (!target || this.broken || typeof target.flushSync !== "function") return;
    this.sendBatch();
    try {
      target.flushSync();
    } catch {
      return; // not open yet, or already closed: nothing to flush
    }
    // flushSync reports no 'write' events; what is no longer buffered has been written.
    if (this.accounting === "bytes" && typeof target._len === "number") {
      let outstanding = -this.confirmedBytes;
      for (let i = this.groupHead; i < this.groups.length; i++) outstanding += this.groups[i]!.bytes;
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
    if (this.accounting === "bytes") this.sendBatch();
    await until(
      () => {
        if (settled()) return true;
        // SonicBoom holds back less than minLength bytes, and a flush asked for during a write
        // does not carry over: ask again until nothing is held. It throws while the file is not open yet.
        if (this.accounting === "bytes") {
          try {
            target.flush?.();
          } catch {
            // still opening; the next round asks again
          }
        }
        return false;
      },
      CLOSE_TIMEOUT_MS,
    );
  }

  /** Flushes, then closes a destination this log opened; one the app passed is left open. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    this.stopTimer();
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
