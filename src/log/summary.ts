import hdr from "hdr-histogram-js";
import { outcomeOf } from "./record.js";
import type { FileRead, LineRef } from "./read.js";

/** Past this many distinct keys a tally folds the rest into "(other)": garbage input must not grow memory. */
const MAX_KEYS = 10_000;
const MAX_EXAMPLES = 5;

class Tally {
  private readonly counts = new Map<string, number>();
  constructor(private readonly cap = MAX_KEYS) {}
  add(key: string, n = 1): void {
    if (!this.counts.has(key) && this.counts.size >= this.cap) key = "(other)";
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  get total(): number {
    let t = 0;
    for (const n of this.counts.values()) t += n;
    return t;
  }
  /** Largest first, then by name. */
  toJSON(): Record<string, number> {
    const entries = [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return Object.fromEntries(entries);
  }
}

interface RevisionSeen {
  decisions: number;
  first: number;
  last: number;
  instances: Set<string>;
}

export interface LogSummaryJSON {
  readonly files: readonly FileRead[];
  readonly lines: number;
  readonly decisions: number;
  readonly lifecycle: number;
  readonly malformed: { readonly count: number; readonly examples: readonly string[] };
  /** Lines kept by sampling, and how many decisions they stand for. */
  readonly sampled: { readonly lines: number; readonly estimatedDecisions: number };
  readonly time: { readonly from: string | null; readonly to: string | null };
  readonly revisions: ReadonlyArray<{ revision: string; decisions: number; first: string; last: string; instances: string[] }>;
  readonly byRule: Record<string, number>;
  readonly byRegion: Record<string, number>;
  readonly byRegionSource: Record<string, number>;
  readonly byAction: Record<string, number>;
  readonly byStatus: Record<string, number>;
  readonly byOutcome: Record<string, number>;
  readonly unknownRegion: { readonly count: number; readonly share: number };
  readonly rewritten: number;
  readonly rewriteFailures: { readonly count: number; readonly messages: Record<string, number> };
  readonly errors: Record<string, number>;
  readonly durationUs: { readonly count: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number } | null;
  readonly bytes: number;
  readonly lifecycleEvents: Record<string, number>;
  /** Rule sets and databases refused, newest last (at most 20). */
  readonly rejected: ReadonlyArray<{ time: string; instance: string; event: string; error: string }>;
}

type Json = Record<string, unknown>;

const isString = (v: unknown): v is string => typeof v === "string";

/**
 * Folds decision log lines into the figures operations ask for first. Memory depends on how many
 * rules, regions, revisions and instances there are, never on how many lines.
 */
export class LogSummary {
  private lines = 0;
  private decisions = 0;
  private lifecycle = 0;
  private malformed = 0;
  private readonly examples: string[] = [];
  private sampledLines = 0;
  private estimated = 0;
  private from = Infinity;
  private to = -Infinity;
  private readonly revisions = new Map<string, RevisionSeen>();
  private readonly byRule = new Tally();
  private readonly byRegion = new Tally();
  private readonly bySource = new Tally();
  private readonly byAction = new Tally();
  private readonly byStatus = new Tally();
  private readonly byOutcome = new Tally();
  private readonly errors = new Tally(50);
  private readonly rewriteFailures = new Tally(50);
  private readonly events = new Tally();
  private readonly rejected: Array<{ time: string; instance: string; event: string; error: string }> = [];
  private unknown = 0;
  private rewritten = 0;
  private bytes = 0;
  // Microseconds from 1 to an hour, to three significant digits, in a few kilobytes.
  private readonly durations = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: false });

  malformedLine(where: LineRef, reason: string): void {
    this.lines++;
    this.malformed++;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(`${where.file}:${where.line}: ${reason}`);
  }

  /** Adds one line of text; returns the parsed line when it is a log line, for callers that filter. */
  addText(text: string, where: LineRef): Json | null {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.malformedLine(where, "not JSON");
      return null;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      this.malformedLine(where, "not a JSON object");
      return null;
    }
    const line = parsed as Json;
    if (line.type === "decision") this.addDecision(line, where);
    else if (line.type === "lifecycle") this.addLifecycle(line, where);
    else {
      this.malformedLine(where, `no "type" of "decision" or "lifecycle"`);
      return null;
    }
    return line;
  }

  private seeTime(line: Json): number | null {
    const t = isString(line.time) ? Date.parse(line.time) : NaN;
    if (Number.isNaN(t)) return null;
    if (t < this.from) this.from = t;
    if (t > this.to) this.to = t;
    return t;
  }

  private addDecision(line: Json, where: LineRef): void {
    if (!isString(line.decision_id) || !isString(line.revision) || typeof line.region !== "object" || line.region === null) {
      this.malformedLine(where, "a decision line without decision_id, revision or region");
      return;
    }
    this.lines++;
    this.decisions++;
    const time = this.seeTime(line);
    const rate = typeof line.sample_rate === "number" && line.sample_rate > 0 ? line.sample_rate : 1;
    if (rate < 1) {
      this.sampledLines++;
      this.estimated += 1 / rate;
    }
    const instance = isString(line.instance) ? line.instance : "?";
    let rev = this.revisions.get(line.revision);
    if (!rev) {
      rev = { decisions: 0, first: time ?? Infinity, last: time ?? -Infinity, instances: new Set() };
      if (this.revisions.size < MAX_KEYS) this.revisions.set(line.revision, rev);
    }
    rev.decisions++;
    if (time !== null) {
      rev.first = Math.min(rev.first, time);
      rev.last = Math.max(rev.last, time);
    }
    if (rev.instances.size < 1000) rev.instances.add(instance);

    const rules = Array.isArray(line.rules) ? line.rules.filter(isString) : [];
    if (rules.length === 0) this.byRule.add("(none)");
    for (const r of rules) this.byRule.add(r);
    const region = line.region as Json;
    const key = isString(region.subdivision) ? region.subdivision : isString(region.country) ? region.country : "unknown";
    this.byRegion.add(key);
    if (key === "unknown") this.unknown++;
    this.bySource.add(isString(region.source) ? region.source : "?");
    const actions = Array.isArray(line.actions) ? (line.actions as Json[]).filter((a) => typeof a === "object" && a !== null && isString(a.kind)) : [];
    for (const a of actions) this.byAction.add(a.kind as string);
    this.byStatus.add(String(line.status ?? "?"));
    const error = isString(line.error) ? line.error : undefined;
    const rewritten = line.rewritten === true;
    this.byOutcome.add(outcomeOf({ rules, actions: actions as Array<{ kind: string }>, rewritten, error }));
    if (rewritten) this.rewritten++;
    if (error) {
      this.errors.add(error);
      if (error.startsWith("rewrite failed")) this.rewriteFailures.add(error);
    }
    if (typeof line.duration_us === "number" && line.duration_us >= 0) this.durations.recordValue(Math.min(Math.max(1, Math.round(line.duration_us)), 3_600_000_000));
    if (typeof line.bytes === "number") this.bytes += line.bytes;
  }

  private addLifecycle(line: Json, where: LineRef): void {
    if (!isString(line.event)) {
      this.malformedLine(where, 'a lifecycle line without "event"');
      return;
    }
    this.lines++;
    this.lifecycle++;
    this.seeTime(line);
    this.events.add(line.event);
    if (line.event.endsWith("-rejected")) {
      this.rejected.push({ time: isString(line.time) ? line.time : "?", instance: isString(line.instance) ? line.instance : "?", event: line.event, error: isString(line.error) ? line.error : "" });
      if (this.rejected.length > 20) this.rejected.shift();
    }
  }

  toJSON(files: readonly FileRead[] = []): LogSummaryJSON {
    const iso = (t: number): string => new Date(t).toISOString();
    const count = this.durations.totalCount;
    return {
      files,
      lines: this.lines,
      decisions: this.decisions,
      lifecycle: this.lifecycle,
      malformed: { count: this.malformed, examples: [...this.examples] },
      sampled: { lines: this.sampledLines, estimatedDecisions: Math.round(this.decisions - this.sampledLines + this.estimated) },
      time: { from: Number.isFinite(this.from) ? iso(this.from) : null, to: Number.isFinite(this.to) ? iso(this.to) : null },
      revisions: [...this.revisions]
        .sort((a, b) => a[1].first - b[1].first)
        .map(([revision, r]) => ({
          revision,
          decisions: r.decisions,
          first: Number.isFinite(r.first) ? iso(r.first) : "?",
          last: Number.isFinite(r.last) ? iso(r.last) : "?",
          instances: [...r.instances].sort(),
        })),
      byRule: this.byRule.toJSON(),
      byRegion: this.byRegion.toJSON(),
      byRegionSource: this.bySource.toJSON(),
      byAction: this.byAction.toJSON(),
      byStatus: this.byStatus.toJSON(),
      byOutcome: this.byOutcome.toJSON(),
      unknownRegion: { count: this.unknown, share: this.decisions > 0 ? this.unknown / this.decisions : 0 },
      rewritten: this.rewritten,
      rewriteFailures: { count: this.rewriteFailures.total, messages: this.rewriteFailures.toJSON() },
      errors: this.errors.toJSON(),
      durationUs:
        count > 0
          ? {
              count,
              // A percentile is reported as the top of its bucket; never above the largest value seen.
              p50: Math.min(this.durations.getValueAtPercentile(50), this.durations.maxValue),
              p90: Math.min(this.durations.getValueAtPercentile(90), this.durations.maxValue),
              p99: Math.min(this.durations.getValueAtPercentile(99), this.durations.maxValue),
              max: this.durations.maxValue,
            }
          : null,
      bytes: this.bytes,
      lifecycleEvents: this.events.toJSON(),
      rejected: [...this.rejected],
    };
  }
}
