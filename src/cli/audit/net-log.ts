/**
 * A reader for Chromium's net log (`--log-net-log=FILE --net-log-capture-mode=Everything`): the
 * hosts a browser resolved, preconnected, connected to, requested or opened a WebSocket to.
 *
 * Route handlers and request interception never see preconnects, DNS prefetches or the sockets a
 * browser opens on speculation; the net log does. The file is one JSON object, `{"constants":…,`
 * on the first line, `"events": [` on the next, then one event per line; Chromium writes the
 * closing `]` and `polledData` only when it exits, so a browser that is still running or that
 * crashed leaves a file without its end. Both are read: the constants and every whole event line.
 */

export type ContactKind = "dns" | "preconnect" | "socket" | "request" | "websocket";

export interface NetLogEvent {
  readonly type: string;
  readonly sourceId: number;
  readonly sourceType: string;
  readonly phase: "begin" | "end" | "none";
  /** Milliseconds, as Chromium counts them (relative to its own tick clock). */
  readonly time: number;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface NetLog {
  readonly events: readonly NetLogEvent[];
  /** False when the file ended before Chromium wrote its closing part (still running, or crashed). */
  readonly complete: boolean;
  /** The source that each source was started for (a socket's connect job, a stream job's URL request). */
  readonly parents: ReadonlyMap<number, number>;
}

export interface Contact {
  readonly kind: ContactKind;
  /** Lower-case host name or address, without brackets. */
  readonly host: string;
  /** The port, with the scheme's default filled in; null when the event names none. */
  readonly port: number | null;
  /** `http://host:port/path` for requests and WebSockets, `scheme://host:port` otherwise. */
  readonly target: string;
  /** For a DNS resolution: whether the browser asked on speculation (dns-prefetch, preconnect, link hover). */
  readonly speculative?: boolean;
  /**
   * For a URL request: the origin that asked for it (`initiator`, "not an origin" for what the
   * browser itself starts: navigations it was told to make, its own update and sign-in traffic) and
   * Chromium's request type ("main frame", "subframe", "other").
   */
  readonly initiator?: string;
  readonly requestType?: string;
  readonly event: string;
  /** This event's source id first, then the sources that it was started for, as far as the log says. */
  readonly chain: readonly number[];
}

export class NetLogError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "NetLogError";
  }
}

interface RawEvent {
  type?: unknown;
  phase?: unknown;
  time?: unknown;
  source?: { id?: unknown; type?: unknown };
  params?: unknown;
}

interface Constants {
  logEventTypes?: Record<string, number>;
  logSourceType?: Record<string, number>;
  logEventPhase?: Record<string, number>;
}

function invert(table: Record<string, number> | undefined): Map<number, string> {
  const names = new Map<number, string>();
  for (const [name, value] of Object.entries(table ?? {})) names.set(value, name);
  return names;
}

/** Splits the text into its constants and its event lines, whether or not Chromium finished the file. */
function splitFile(text: string, file: string): { constants: Constants; raw: RawEvent[]; complete: boolean } {
  try {
    const whole = JSON.parse(text) as { constants?: Constants; events?: RawEvent[] };
    if (whole && typeof whole === "object" && whole.constants && Array.isArray(whole.events)) return { constants: whole.constants, raw: whole.events, complete: true };
  } catch {
    // An unfinished file: read it line by line below.
  }
  const lines = text.split("\n");
  const head = (lines[0] ?? "").trim().replace(/,$/, "");
  let constants: Constants;
  try {
    constants = (JSON.parse(`${head}}`) as { constants?: Constants }).constants ?? {};
  } catch {
    throw new NetLogError(file, 'not a Chromium net log: the first line is not {"constants": …}');
  }
  if (!constants.logEventTypes) throw new NetLogError(file, "not a Chromium net log: its constants have no logEventTypes");
  const raw: RawEvent[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (!line.startsWith("{")) continue; // `"events": [`, the closing `]`, a blank line
    try {
      raw.push(JSON.parse(line.replace(/,$/, "")) as RawEvent);
    } catch {
      // The last line of an unfinished file is cut off; any other broken line is skipped too.
    }
  }
  return { constants, raw, complete: false };
}

const PHASES: Record<number, NetLogEvent["phase"]> = { 0: "none", 1: "begin", 2: "end" };

/** Reads a net log's text. Throws NetLogError when it is not one; an unfinished file is read as far as it goes. */
export function readNetLog(text: string, file = "net log"): NetLog {
  const { constants, raw, complete } = splitFile(text, file);
  const eventNames = invert(constants.logEventTypes);
  const sourceNames = invert(constants.logSourceType);
  const events: NetLogEvent[] = [];
  const parents = new Map<number, number>();
  for (const r of raw) {
    if (typeof r.type !== "number" || typeof r.source?.id !== "number") continue;
    const params = r.params && typeof r.params === "object" ? (r.params as Record<string, unknown>) : {};
    const event: NetLogEvent = {
      type: eventNames.get(r.type) ?? `type ${r.type}`,
      sourceId: r.source.id,
      sourceType: typeof r.source.type === "number" ? (sourceNames.get(r.source.type) ?? `source ${r.source.type}`) : "unknown",
      phase: PHASES[typeof r.phase === "number" ? r.phase : 0] ?? "none",
      time: Number(r.time) || 0,
      params,
    };
    events.push(event);
    const dependency = params.source_dependency as { id?: unknown } | undefined;
    if (typeof dependency?.id === "number" && dependency.id !== event.sourceId && !parents.has(event.sourceId)) parents.set(event.sourceId, dependency.id);
  }
  return { events, complete, parents };
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443 };

/** `scheme://host:port…` at the start of a string or after a space or slash (socket group ids carry prefixes such as `pmpsa/`). */
const ORIGIN = /(?:^|[\s/])([a-z][a-z0-9+.-]*):\/\/(\[[^\]]+\]|[^\s/:?#<>]+)(?::(\d+))?/i;

function locate(text: string): { scheme: string; host: string; port: number | null } | null {
  const m = ORIGIN.exec(text);
  if (!m) return null;
  const scheme = (m[1] ?? "").toLowerCase();
  const host = (m[2] ?? "").toLowerCase().replace(/^\[|\]$/g, "");
  const port = m[3] !== undefined ? Number(m[3]) : (DEFAULT_PORTS[scheme] ?? null);
  return { scheme, host, port };
}

function chainOf(log: NetLog, id: number): number[] {
  const chain = [id];
  for (let next = log.parents.get(id); next !== undefined && !chain.includes(next); next = log.parents.get(next)) chain.push(next);
  return chain;
}

/** The contact an event records, if it records one. */
function contactOf(log: NetLog, e: NetLogEvent): Contact | null {
  const p = e.params;
  let kind: ContactKind | null = null;
  let text: string | null = null;
  let speculative: boolean | undefined;
  switch (e.type) {
    case "HOST_RESOLVER_MANAGER_REQUEST":
    case "HOST_RESOLVER_MANAGER_JOB": // older Chromium names the host here
      if (typeof p.host === "string") {
        kind = "dns";
        text = p.host.includes("://") ? p.host : `dns://${p.host}`;
        if (typeof p.is_speculative === "boolean") speculative = p.is_speculative;
      }
      break;
    case "HTTP_STREAM_JOB_CONTROLLER":
      if (typeof p.url === "string" && p.is_preconnect === true) {
        kind = "preconnect";
        text = p.url;
      }
      break;
    case "SOCKET_POOL_CONNECT_JOB_CREATED":
    case "TCP_CLIENT_SOCKET_POOL_REQUESTED_SOCKET":
    case "TCP_CLIENT_SOCKET_POOL_REQUESTED_SOCKETS":
      if (typeof p.group_id === "string") {
        kind = "socket";
        text = p.group_id;
      }
      break;
    case "URL_REQUEST_START_JOB":
      if (typeof p.url === "string") {
        kind = /^wss?:/i.test(p.url) ? "websocket" : "request";
        text = p.url;
      }
      break;
    default:
      return null;
  }
  if (kind === null || text === null) return null;
  const where = locate(text);
  if (!where) return null;
  const target = kind === "request" || kind === "websocket" ? text : `${where.scheme}://${where.host.includes(":") ? `[${where.host}]` : where.host}${where.port !== null ? `:${where.port}` : ""}`;
  let contact: Contact = { kind, host: where.host, port: where.port, target, event: e.type, chain: chainOf(log, e.sourceId) };
  if (speculative !== undefined) contact = { ...contact, speculative };
  if (e.type === "URL_REQUEST_START_JOB" && typeof p.initiator === "string") contact = { ...contact, initiator: p.initiator };
  if (e.type === "URL_REQUEST_START_JOB" && typeof p.request_type === "string") contact = { ...contact, requestType: p.request_type };
  return contact;
}

/**
 * Every contact with a host in the log, in the order Chromium logged them: DNS resolutions
 * (speculative or not), preconnects, socket requests, URL requests (navigations included) and
 * WebSocket handshakes. Under `--host-resolver-rules` the resolver logs the host it was mapped
 * to; the other events keep the name the page used.
 */
export function netLogContacts(log: NetLog): Contact[] {
  const contacts: Contact[] = [];
  for (const e of log.events) {
    if (e.phase === "end") continue;
    const c = contactOf(log, e);
    if (c) contacts.push(c);
  }
  return contacts;
}
