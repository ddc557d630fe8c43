import pino, { type DestinationStream, type Logger } from "pino";
import type { Decision } from "../rules/decide.js";

export type DecisionLogDestination = string | 1 | 2 | DestinationStream;

export interface DecisionLogOptions {
  /** A file path, 1 for stdout, 2 for stderr, or any pino destination. Default: stdout. */
  readonly destination?: DecisionLogDestination;
  /** Set to false to turn the decision log off. */
  readonly enabled?: boolean;
}

/** One decision as it is written: no raw address, no query string. */
export interface DecisionRecord {
  readonly decisionId: string;
  readonly decision: Decision;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly rewritten: boolean;
  readonly error?: string | undefined;
  /** Trackers switched off in the page. */
  readonly trackersNeutralized?: number;
  /** What the rewrite noted that is not an error (a selector that matched nothing…). */
  readonly notes?: readonly string[];
  /** Whether the rewritten page came from the rewrite cache. */
  readonly cache?: "hit" | "miss" | "stored" | undefined;
  readonly durationMicros: number;
}

export interface DecisionSink {
  write(record: DecisionRecord): void;
  lifecycle(event: string, fields?: Record<string, unknown>): void;
  flush(): Promise<void>;
}

/** Writes one JSON line per decision through pino, whose asynchronous destination keeps I/O off the request path. */
export class PinoDecisionLog implements DecisionSink {
  private readonly logger: Logger;
  private readonly destination: DestinationStream & { flushSync?: () => void; flush?: (cb?: (err?: Error) => void) => void; end?: () => void };
  private readonly ownsDestination: boolean;

  constructor(options: DecisionLogOptions, private readonly instance: string) {
    const dest = options.destination ?? 1;
    this.ownsDestination = typeof dest === "string" || typeof dest === "number";
    this.destination =
      typeof dest === "string"
        ? pino.destination({ dest, mkdir: true, sync: false })
        : typeof dest === "number"
          ? pino.destination({ dest, sync: false })
          : dest;
    this.logger = pino(
      {
        base: { instance },
        messageKey: "msg",
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      this.destination,
    );
  }

  write(r: DecisionRecord): void {
    const d = r.decision;
    const full = d.log === "full";
    this.logger.info({
      type: "decision",
      decision_id: r.decisionId,
      revision: d.revision,
      region: { country: d.region.country, subdivision: d.region.subdivision, source: d.region.source, ...(d.region.reason ? { reason: d.region.reason } : {}) },
      method: r.method,
      ...(full ? { path: r.path } : {}),
      rules: d.matched,
      actions: d.actions.map((a) => ({ kind: a.kind, rule: a.rule, ...(a.kind === "notice" ? { language: a.language } : {}) })),
      status: r.status,
      rewritten: r.rewritten,
      ...(r.trackersNeutralized ? { trackers_neutralized: r.trackersNeutralized } : {}),
      ...(r.notes && r.notes.length > 0 ? { notes: r.notes } : {}),
      ...(r.cache ? { cache: r.cache } : {}),
      duration_us: r.durationMicros,
      ...(r.error ? { error: r.error } : {}),
    });
  }

  lifecycle(event: string, fields: Record<string, unknown> = {}): void {
    this.logger.info({ type: "lifecycle", event, ...fields });
  }

  flush(): Promise<void> {
    const dest = this.destination;
    return new Promise<void>((resolve) => {
      if (typeof dest.flush === "function") {
        dest.flush(() => resolve());
      } else {
        resolve();
      }
    }).then(() => {
      if (this.ownsDestination && typeof dest.end === "function") dest.end();
    });
  }
}
