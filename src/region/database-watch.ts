import { statSync, unwatchFile, watch, watchFile, type FSWatcher, type Stats } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { GeoIpDatabase } from "./geoip.js";

/** Where database events go: the decision log's lifecycle stream. */
export interface LifecycleLog {
  lifecycle(event: string, fields?: Record<string, unknown>): void;
}

export interface DatabaseSourceOptions {
  /** Watch the file and swap in a new database when it changes. */
  readonly watch: boolean;
  readonly log: LifecycleLog;
  /** Quiet time after the last change event before the file is read; a copy in progress fires many. */
  readonly settleMs?: number;
}

export type CheckOutcome = "unchanged" | "swapped" | "rejected";

const signatureOf = (s: Stats): string => `${s.ino}:${s.size}:${s.mtimeMs}`;

function describe(db: GeoIpDatabase): Record<string, unknown> {
  return { file: db.file, database_type: db.databaseType, built_at: db.buildEpoch.toISOString() };
}

/**
 * The database in force, and the watcher that replaces it. A new file is read and checked whole
 * before it is used; until then, and if it is rejected, requests keep the reader they had, so no
 * request fails or waits during a swap. Replace the file atomically (write elsewhere, then rename
 * over it, as geoipupdate does); a file copied in place is read once it has been quiet for `settleMs`.
 */
export class DatabaseSource {
  private db: GeoIpDatabase;
  private signature: string;
  /** The file's signature at the last directory event, to tell its own changes from its neighbours'. */
  private lastSeen: string;
  private watcher: FSWatcher | null = null;
  private polling: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<CheckOutcome> | null = null;
  private again = false;
  private closed = false;
  private readonly settleMs: number;
  private readonly swapListeners: ((db: GeoIpDatabase) => void)[] = [];

  /** Opens the file now: a missing, corrupt or unsupported database throws a GeoIpError naming it. */
  constructor(readonly file: string, private readonly options: DatabaseSourceOptions) {
    this.db = GeoIpDatabase.open(file);
    this.signature = safeSignature(file);
    this.lastSeen = this.signature;
    this.settleMs = options.settleMs ?? 200;
  }

  get current(): GeoIpDatabase {
    return this.db;
  }

  /** Calls `listener` with each database swapped in, after its `database-swapped` event. */
  onSwap(listener: (db: GeoIpDatabase) => void): void {
    this.swapListeners.push(listener);
  }

  get watching(): boolean {
    return this.watcher !== null || this.polling !== null;
  }

  /** Logs the database in force and starts watching (when asked to). */
  start(): void {
    this.options.log.lifecycle("database-loaded", describe(this.db));
    if (!this.options.watch || this.closed || this.watching) return;
    try {
      // The directory, not the file: a rename over the file replaces the inode a file watch would follow.
      // Any entry's change is checked (a stat, then nothing if the file is the same): a symlinked file
      // whose link is switched elsewhere in the directory (a Kubernetes volume's ..data) changes too.
      const watcher = watch(dirname(this.file), { persistent: false }, () => this.onDirectoryEvent());
      watcher.on("error", (error) => {
        this.options.log.lifecycle("database-watch-failed", { file: this.file, error: error.message });
        this.stopWatching();
      });
      this.watcher = watcher;
    } catch {
      // No inotify (or its limit reached): poll the file instead.
      const listener = (): void => this.schedule();
      watchFile(this.file, { persistent: false, interval: 2000 }, listener);
      this.polling = () => unwatchFile(this.file, listener);
    }
  }

  /**
   * Another file in the folder (a log written beside the database) fires events without end: they
   * must not keep pushing back the read of a replaced database. The quiet time restarts only while
   * the database file itself is still changing.
   */
  private onDirectoryEvent(): void {
    if (this.closed) return;
    const now = safeSignature(this.file);
    const moving = now !== this.lastSeen;
    this.lastSeen = now;
    if (moving || (this.timer === null && now !== this.signature)) this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check();
    }, this.settleMs);
    this.timer.unref();
  }

  /** Reads the file again if it changed. Never throws; concurrent calls share one read and queue one more. */
  check(): Promise<CheckOutcome> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.load().finally(() => {
      this.running = null;
      if (this.again && !this.closed) {
        this.again = false;
        void this.check();
      }
    });
    return this.running;
  }

  private async load(): Promise<CheckOutcome> {
    let signature: string;
    let next: GeoIpDatabase;
    try {
      const before = await stat(this.file);
      signature = signatureOf(before);
      if (signature === this.signature) return "unchanged";
      next = GeoIpDatabase.fromBuffer(this.file, await readFile(this.file));
    } catch (error) {
      if (this.closed) return "unchanged";
      const code = (error as NodeJS.ErrnoException).code;
      const message = code ? `GeoIP database ${this.file}: cannot be read (${code})` : (error as Error).message;
      // Remember the bad file so it is reported once, not on every event, until it changes again.
      this.signature = safeSignature(this.file);
      this.options.log.lifecycle("database-rejected", { file: this.file, error: message, kept_database_type: this.db.databaseType, kept_built_at: this.db.buildEpoch.toISOString() });
      return "rejected";
    }
    if (this.closed) return "unchanged";
    const previous = this.db;
    this.db = next;
    this.signature = signature;
    this.options.log.lifecycle("database-swapped", { ...describe(next), previous_database_type: previous.databaseType, previous_built_at: previous.buildEpoch.toISOString() });
    for (const listener of this.swapListeners) listener(next);
    return "swapped";
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = null;
    this.polling?.();
    this.polling = null;
  }

  /** Stops watching; the current database stays usable. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopWatching();
  }
}

function safeSignature(file: string): string {
  try {
    return signatureOf(statSync(file));
  } catch {
    return "missing";
  }
}
