import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { BodySink, BodyStream } from "./content-encoding.js";

/** How one response body is handled, chosen when its headers are final. */
export interface BodyPlan {
  /**
   * For a body the app gave in one call (`res.send`, `res.end(body)`): the bytes to send instead.
   * Absent when the plan can only stream (an encoded body).
   */
  whole?(body: Buffer): Buffer;
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

type WriteCallback = (error?: Error | null) => void;
type Listener = (...args: unknown[]) => void;

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
}

/**
 * Routes the body through a plan, whatever the app uses to write (res.write/end, res.send,
 * sendFile, express.static, pipe). A body given whole is rewritten at once and sent with its new
 * Content-Length; a streamed body is rewritten as it passes, each chunk leaving before the next
 * arrives, with the socket's backpressure passed back to the app. Modelled on the `compression`
 * middleware, whose wrapping of write/end/on('drain') it follows.
 */
export function interceptBody(res: ServerResponse, hooks: InterceptHooks): void {
  // Loosely typed on purpose: these are re-applied with whatever arguments the app passed.
  const originalWrite = res.write as (this: ServerResponse, ...args: unknown[]) => boolean;
  const originalEnd = res.end as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  const originalOn = res.on as (this: ServerResponse, event: string | symbol, listener: Listener) => ServerResponse;
  const originalWriteHead = res.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  let decided = false;
  let ended = false;
  let plan: BodyPlan | null = null;
  let stream: BodyStream | null = null;
  // 'drain' listeners added before the plan is known (pipe adds one early) wait to learn where they belong.
  let pendingDrain: Listener[] | null = [];

  const placeDrainListeners = (): void => {
    const listeners = pendingDrain ?? [];
    pendingDrain = null;
    const emitter = stream?.drainEmitter;
    for (const l of listeners) {
      if (emitter) emitter.on("drain", l as () => void);
      else originalOn.call(res, "drain", l);
    }
  };

  const decide = (whole: Buffer | null): void => {
    if (decided) return;
    decided = true;
    plan = hooks.onHeaders(res, whole);
    if (!plan) placeDrainListeners();
  };

  const startStream = (): BodyStream => {
    const sink: BodySink = {
      write: (chunk) => originalWrite.call(res, chunk),
      end: () => void originalEnd.call(res),
      onDrain: (listener) => void originalOn.call(res, "drain", listener),
    };
    const s = plan!.stream(sink);
    stream = s;
    placeDrainListeners();
    // A reader who goes away must not leave a decoder or encoder holding memory.
    originalOn.call(res, "close", () => {
      if (!res.writableFinished) s.destroy();
    });
    return s;
  };

  res.writeHead = function writeHead(this: ServerResponse, statusCode: number, ...rest: unknown[]): ServerResponse {
    // Headers passed to writeHead are applied first so that onHeaders sees the final set.
    let reason: string | undefined;
    let headers: OutgoingHttpHeaders | readonly unknown[] | undefined;
    if (typeof rest[0] === "string") {
      reason = rest[0];
      headers = rest[1] as typeof headers;
    } else {
      headers = rest[0] as typeof headers;
    }
    if (!this.headersSent) {
      if (Array.isArray(headers)) {
        for (let i = 0; i + 1 < headers.length; i += 2) this.setHeader(String(headers[i]), headers[i + 1] as string | string[]);
      } else if (headers) {
        for (const [name, value] of Object.entries(headers)) if (value !== undefined && value !== null) this.setHeader(name, value as string | number | readonly string[]);
      }
      this.statusCode = statusCode;
      if (reason !== undefined) this.statusMessage = reason;
      decide(null);
    }
    return reason !== undefined ? originalWriteHead.call(this, this.statusCode, reason) : originalWriteHead.call(this, this.statusCode);
  } as ServerResponse["writeHead"];

  res.write = function write(this: ServerResponse, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    if (ended) return false;
    if (!decided && !this.headersSent) decide(null);
    if (!plan) return originalWrite.call(this, chunk, encoding, callback);
    if (typeof encoding === "function") callback = encoding;
    const ok = (stream ?? startStream()).write(toBuffer(chunk, encoding));
    if (typeof callback === "function") process.nextTick(callback as WriteCallback);
    return ok;
  } as ServerResponse["write"];

  res.end = function end(this: ServerResponse, chunk?: unknown, encoding?: unknown, callback?: unknown): ServerResponse {
    if (ended) return this;
    ended = true;
    if (typeof chunk === "function") {
      callback = chunk;
      chunk = undefined;
    } else if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    const hasChunk = chunk !== undefined && chunk !== null;
    if (!decided && !this.headersSent) decide(hasChunk ? toBuffer(chunk, encoding) : Buffer.alloc(0));
    if (!plan) return originalEnd.call(this, chunk, encoding, callback);
    const p: BodyPlan = plan;
    if (!stream && p.whole && !this.headersSent) {
      const body = p.whole(hasChunk ? toBuffer(chunk, encoding) : Buffer.alloc(0));
      if (this.statusCode !== 304) this.setHeader("Content-Length", body.length);
      return originalEnd.call(this, body, callback);
    }
    const s = stream ?? startStream();
    if (typeof callback === "function") originalOn.call(this, "finish", callback as Listener);
    if (hasChunk) s.write(toBuffer(chunk, encoding));
    s.end();
    return this;
  } as ServerResponse["end"];

  res.on = function on(this: ServerResponse, event: string | symbol, listener: Listener): ServerResponse {
    if (event === "drain") {
      if (pendingDrain) {
        pendingDrain.push(listener);
        return this;
      }
      if (stream?.drainEmitter) {
        stream.drainEmitter.on("drain", listener as () => void);
        return this;
      }
    }
    return originalOn.call(this, event, listener);
  } as ServerResponse["on"];
}
