import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { BodySink, BodyStream } from "./content-encoding.js";

/**
 * A body as the pieces it was made of (slices of the app's body and the bytes put in between), and
 * its length: written as they are, with the socket corked, rather than first copied into one buffer.
 */
export interface BodyPieces {
  readonly pieces: readonly Buffer[];
  readonly length: number;
}

/** The pieces as one buffer. */
export function joined(body: Buffer | BodyPieces): Buffer {
  return Buffer.isBuffer(body) ? body : body.pieces.length === 1 ? body.pieces[0]! : Buffer.concat(body.pieces as Buffer[], body.length);
}

/** How one response body is handled, chosen when its headers are final. */
export interface BodyPlan {
  /**
   * For a body the app gave in one call (`res.send`, `res.end(body)`): the bytes to send instead.
   * Absent when the plan can only stream (an encoded body).
   */
  whole?(body: Buffer): Buffer | BodyPieces;
  /** Starts streaming the body the app writes in parts. */
  stream(sink: BodySink): BodyStream;
}

export interface InterceptHooks {
  /**
   * Called once, when the headers are final and before any byte leaves. `whole` is the entire
   * body when the app gave it in one call. Returns how to handle the body, or null to leave it.
   */
  onHeaders(res: ServerResponse, whole: Buffer | null): BodyPlan | null;
}

/** Body bytes handed to the socket so far. */
export interface BytesOut {
  readonly bytes: number;
}

type WriteCallback = (error?: Error | null) => void;
type Listener = (...args: unknown[]) => void;
type Write = (this: ServerResponse, ...args: unknown[]) => boolean;
type End = (this: ServerResponse, ...args: unknown[]) => ServerResponse;
type On = (this: ServerResponse, event: string | symbol, listener: Listener) => ServerResponse;
type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
}

function size(chunk: unknown, encoding: unknown): number {
  if (chunk === undefined || chunk === null || typeof chunk === "function") return 0;
  if (typeof chunk === "string") return Buffer.byteLength(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

/** Statuses whose responses carry no body whatever the app writes (Node drops it). */
function bodiless(res: ServerResponse): boolean {
  const s = res.statusCode;
  return s === 204 || s === 304 || (s >= 100 && s < 200);
}

/** Headers passed to writeHead, in any form Node or older apps use: object, flat list, or pairs. */
function applyHeaders(res: ServerResponse, headers: OutgoingHttpHeaders | readonly unknown[] | undefined): void {
  if (!headers) return;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as Array<[string, string | string[]]>) if (pair[0]) res.setHeader(pair[0], pair[1]);
      return;
    }
    if (headers.length % 2 !== 0) throw new TypeError("headers array is malformed");
    // A flat list may name a header twice (two Set-Cookie): the second adds to the first.
    for (let i = 0; i < headers.length; i += 2) res.removeHeader(String(headers[i]));
    for (let i = 0; i < headers.length; i += 2) if (headers[i]) res.appendHeader(String(headers[i]), headers[i + 1] as string | string[]);
    return;
  }
  for (const name of Object.keys(headers)) {
    const value = (headers as OutgoingHttpHeaders)[name];
    if (name && value !== undefined && value !== null) res.setHeader(name, value);
  }
}

const taps = new WeakMap<ServerResponse, ResponseTap>();
const SCRATCH_A = Symbol("geo-compliance scratch");
const SCRATCH_B = Symbol("geo-compliance scratch");

/**
 * Turns the response object's properties into a dictionary. Express sets the prototype of every
 * response, after which V8 gives each response a hidden class of its own: every property added
 * copies the object's ~40-entry layout, and every property access (ours, Node's, Express's) misses
 * V8's caches, since no two responses look alike. In dictionary mode an added property is a hash
 * insert and responses share their hidden class again, so the accesses that follow are cached: the
 * switch before the first method the tap adds saves more than it costs (measured with the decision
 * id header and one writeHead wrapper: fewer instructions per request than the app without the
 * middleware). Deleting a property other than the last one added is what makes V8 switch: here
 * the emitter's `_maxListeners`, put back at once with its value, or else two scratch properties.
 */
function useDictionaryProperties(res: ServerResponse): void {
  const o = res as unknown as Record<string | symbol, unknown>;
  const own = Object.getOwnPropertyDescriptor(o, "_maxListeners");
  if (own && "value" in own && own.writable && own.configurable && own.enumerable) {
    delete o._maxListeners;
    o._maxListeners = own.value;
    return;
  }
  o[SCRATCH_A] = 0;
  o[SCRATCH_B] = 0;
  delete o[SCRATCH_A];
  delete o[SCRATCH_B];
}

/**
 * Everything the middleware needs from one response as it is sent: a moment when the headers are
 * final (header actions), the body routed through a plan (the rewrite), and the body bytes counted
 * (the log). Whatever is asked, the response's writeHead, write and end are each replaced at most
 * once: every method added to a response object costs the whole server, since Node's own code then
 * meets an object shape it has not seen. Works whatever the app uses to write (res.write/end,
 * res.send, sendFile, express.static, pipe). A body given whole is rewritten at once and sent with
 * its new Content-Length; a streamed body is rewritten as it passes, each chunk leaving before the
 * next arrives, with the socket's backpressure passed back to the app. The wrapping follows the
 * `compression` middleware and `on-headers`.
 */
export class ResponseTap implements BytesOut {
  bytes = 0;
  private counting = false;
  /** Header listeners, the last registered first. */
  private readonly listeners: Array<(res: ServerResponse) => void> = [];
  private fired = false;
  private hooks: InterceptHooks | null = null;
  private decided = false;
  private ended = false;
  private plan: BodyPlan | null = null;
  private stream: BodyStream | null = null;
  // 'drain' listeners added before the plan is known (pipe adds one early) wait to learn where they belong.
  private pendingDrain: Listener[] | null = [];
  private originalWrite: Write | null = null;
  private originalEnd: End | null = null;
  private originalOn: On | null = null;
  private originalWriteHead: WriteHead | null = null;

  private constructor(private readonly res: ServerResponse) {}

  /** A tap for a response that has none; whoever makes it hands it to the other stages. */
  static create(res: ServerResponse): ResponseTap {
    return new ResponseTap(res);
  }

  /** The tap of this response, made on first use, for stages used on their own. */
  static of(res: ServerResponse): ResponseTap {
    let tap = taps.get(res);
    if (!tap) {
      tap = new ResponseTap(res);
      taps.set(res, tap);
    }
    return tap;
  }

  /** Counts the body bytes that reach Node from here on: after any rewrite, so what actually leaves. */
  countBytes(method: string): BytesOut {
    if (method !== "HEAD") {
      this.counting = true;
      this.wrapBody();
    }
    return this;
  }

  /**
   * Runs `listener` once, when the response headers are final and just before they are written:
   * the only moment a header decision can see what the app set (Cache-Control, Set-Cookie,
   * Content-Security-Policy). Headers passed to writeHead are applied before it runs. Listeners
   * registered later run first.
   */
  onHeaders(listener: (res: ServerResponse) => void): void {
    this.listeners.unshift(listener);
    this.wrapHead();
  }

  /** Routes the body through the plan `hooks` chooses when the headers are final. */
  body(hooks: InterceptHooks): void {
    this.hooks = hooks;
    this.wrapBody();
    this.wrapHead();
    this.wrapOn();
  }

  private fire(): void {
    if (this.fired) return;
    this.fired = true;
    for (const listener of this.listeners) listener(this.res);
  }

  private decide(whole: Buffer | null): void {
    if (this.decided || !this.hooks) return;
    this.decided = true;
    this.plan = this.hooks.onHeaders(this.res, whole);
    if (!this.plan) this.placeDrainListeners();
  }

  /**
   * Something of the body's plan threw, a bug (what a rewrite can fail on is caught where it
   * happens). Before any byte went out, the tap steps aside and the error goes to the app, whose
   * error handler answers (closed, as for any error inside the middleware); after, the response is
   * cut off: the rest of the page must not go out unread, and the process must not go down.
   */
  private broke(error: unknown): void {
    if (!this.res.headersSent) {
      this.hooks = null;
      this.plan = null;
      this.stream = null;
      this.ended = false;
      throw error;
    }
    this.res.destroy();
  }

  private placeDrainListeners(): void {
    const listeners = this.pendingDrain ?? [];
    this.pendingDrain = null;
    const emitter = this.stream?.drainEmitter;
    for (const l of listeners) {
      if (emitter) emitter.on("drain", l as () => void);
      else this.originalOn!.call(this.res, "drain", l);
    }
  }

  /** Node's write, counting what passes. */
  private rawWrite(args: unknown[]): boolean {
    const res = this.res;
    if (this.counting && !res.writableEnded && !bodiless(res)) this.bytes += size(args[0], args[1]);
    return this.originalWrite!.apply(res, args);
  }

  /** Node's end, counting what passes. */
  private rawEnd(args: unknown[]): ServerResponse {
    const res = this.res;
    if (this.counting && !res.writableEnded && !bodiless(res)) this.bytes += size(args[0], args[1]);
    return this.originalEnd!.apply(res, args);
  }

  private startStream(): BodyStream {
    const res = this.res;
    const sink: BodySink = {
      write: (chunk) => this.rawWrite([chunk]),
      end: () => void this.rawEnd([]),
      onDrain: (listener) => void this.originalOn!.call(res, "drain", listener),
    };
    const s = this.plan!.stream(sink);
    this.stream = s;
    this.placeDrainListeners();
    // A reader who goes away must not leave a decoder or encoder holding memory.
    this.originalOn!.call(res, "close", () => {
      if (!res.writableFinished) s.destroy();
    });
    return s;
  }

  /** Before the first method the tap adds to the response; see useDictionaryProperties. */
  private beforeAdding(): void {
    if (this.originalWriteHead || this.originalWrite || this.originalOn) return;
    useDictionaryProperties(this.res);
  }

  private wrapHead(): void {
    if (this.originalWriteHead) return;
    this.beforeAdding();
    const res = this.res;
    const original = res.writeHead as WriteHead;
    this.originalWriteHead = original;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const tap = this;
    res.writeHead = function writeHead(this: ServerResponse, statusCode: number, ...rest: unknown[]): ServerResponse {
      let reason: string | undefined;
      let headers: OutgoingHttpHeaders | readonly unknown[] | undefined;
      if (typeof rest[0] === "string") {
        reason = rest[0];
        headers = rest[1] as typeof headers;
      } else {
        headers = rest[0] as typeof headers;
      }
      if (!this.headersSent) {
        applyHeaders(this, headers);
        this.statusCode = statusCode;
        tap.fire();
        // A listener that changed the status changed what the reason phrase should say.
        if (this.statusCode !== statusCode) reason = undefined;
        tap.decide(null);
      }
      return reason !== undefined ? original.call(this, this.statusCode, reason) : original.call(this, this.statusCode);
    } as ServerResponse["writeHead"];
  }

  private wrapBody(): void {
    if (this.originalWrite) return;
    this.beforeAdding();
    const res = this.res;
    this.originalWrite = res.write as Write;
    this.originalEnd = res.end as End;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const tap = this;

    res.write = function write(this: ServerResponse, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      if (!tap.hooks) return tap.rawWrite([chunk, encoding, callback]);
      if (tap.ended) return false;
      let ok: boolean;
      try {
        if (!tap.decided && !this.headersSent) tap.decide(null);
        if (!tap.plan) return tap.rawWrite([chunk, encoding, callback]);
        if (typeof encoding === "function") callback = encoding;
        ok = (tap.stream ?? tap.startStream()).write(toBuffer(chunk, encoding));
      } catch (error) {
        tap.broke(error);
        return false;
      }
      if (typeof callback === "function") process.nextTick(callback as WriteCallback);
      return ok;
    } as ServerResponse["write"];

    res.end = function end(this: ServerResponse, chunk?: unknown, encoding?: unknown, callback?: unknown): ServerResponse {
      if (!tap.hooks) return tap.rawEnd([chunk, encoding, callback]);
      if (tap.ended) return this;
      tap.ended = true;
      if (typeof chunk === "function") {
        callback = chunk;
        chunk = undefined;
      } else if (typeof encoding === "function") {
        callback = encoding;
        encoding = undefined;
      }
      const hasChunk = chunk !== undefined && chunk !== null;
      try {
        if (!tap.decided && !this.headersSent) tap.decide(hasChunk ? toBuffer(chunk, encoding) : Buffer.alloc(0));
        if (!tap.plan) return tap.rawEnd([chunk, encoding, callback]);
        const plan: BodyPlan = tap.plan;
        if (!tap.stream && plan.whole && !this.headersSent) {
          const body = plan.whole(hasChunk ? toBuffer(chunk, encoding) : Buffer.alloc(0));
          if (this.statusCode !== 304) this.setHeader("Content-Length", body.length);
          if (Buffer.isBuffer(body)) return tap.rawEnd([body, callback]);
          // end() uncorks: the pieces leave in one write, after the headers.
          this.cork();
          for (const piece of body.pieces) tap.rawWrite([piece]);
          return tap.rawEnd([callback]);
        }
        const s = tap.stream ?? tap.startStream();
        if (typeof callback === "function") tap.originalOn!.call(this, "finish", callback as Listener);
        if (hasChunk) s.write(toBuffer(chunk, encoding));
        s.end();
      } catch (error) {
        tap.broke(error);
      }
      return this;
    } as ServerResponse["end"];
  }

  private wrapOn(): void {
    if (this.originalOn) return;
    this.beforeAdding();
    const res = this.res;
    const original = res.on as On;
    this.originalOn = original;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const tap = this;
    res.on = function on(this: ServerResponse, event: string | symbol, listener: Listener): ServerResponse {
      if (event === "drain") {
        if (tap.pendingDrain) {
          tap.pendingDrain.push(listener);
          return this;
        }
        if (tap.stream?.drainEmitter) {
          tap.stream.drainEmitter.on("drain", listener as () => void);
          return this;
        }
      }
      return original.call(this, event, listener);
    } as ServerResponse["on"];
  }
}
