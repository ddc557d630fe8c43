/** What the process-wide handlers need from an open decision log. */
export interface Flushable {
  /** Writes out what is buffered before returning. */
  flushSync(): void;
  /** Writes the stop event and closes, waiting at most `graceMs` for responses still in flight. */
  closeOnSignal(signal: NodeJS.Signals, graceMs: number): Promise<void>;
}

/** Time a SIGTERM leaves responses in flight to finish and be logged, when the app does not handle SIGTERM. */
const SIGNAL_GRACE_MS = 1000;

const open = new Set<Flushable>();

function onExit(): void {
  for (const log of open) log.flushSync();
}

/**
 * SIGTERM: what is buffered is written out at once. When the app has its own SIGTERM handler,
 * shutting down is its call (it is expected to call `close()`); when it has none, the logs are
 * closed and the signal raised again, so the process ends as it would have, minus no line.
 */
function onSigterm(): void {
  for (const log of open) log.flushSync();
  if (process.listenerCount("SIGTERM") > 1) return;
  const logs = [...open];
  detach();
  void Promise.allSettled(logs.map((log) => log.closeOnSignal("SIGTERM", SIGNAL_GRACE_MS))).then(() => {
    process.kill(process.pid, "SIGTERM");
  });
}

function detach(): void {
  open.clear();
  process.removeListener("SIGTERM", onSigterm);
  process.removeListener("exit", onExit);
}

export function watchSignals(log: Flushable): void {
  if (open.size === 0) {
    process.on("SIGTERM", onSigterm);
    process.on("exit", onExit);
  }
  open.add(log);
}

export function unwatchSignals(log: Flushable): void {
  if (!open.delete(log)) return;
  if (open.size === 0) detach();
}
