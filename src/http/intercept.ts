import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Transform } from "node:stream";

export interface InterceptHooks {
  /** Called once, when the headers are final and before any byte leaves; returns a transform to rewrite the body, or null. */
  onHeaders(res: ServerResponse): Transform | null;
}

type WriteCallback = (error?: Error | null) => void;

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
}

/**
 * Routes the body through a transform when `onHeaders` asks for one, whatever the app uses to write
 * (res.write/end, res.send, sendFile, static, pipe). Modelled on the `compression` middleware:
 * the transform's output goes to the real socket with backpressure, and `drain` listeners
 * follow the transform, so nothing is ever queued in full.
 */
export function interceptBody(res: ServerResponse, hooks: InterceptHooks): void {
  // Loosely typed on purpose: these are re-applied with whatever arguments the app passed.
  const originalWrite = res.write as (this: ServerResponse, ...args: unknown[]) => boolean;
  const originalEnd = res.end as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  const originalOn = res.on as (this: ServerResponse, event: string | symbol, listener: (...args: unknown[]) => void) => ServerResponse;
  const originalWriteHead = res.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  let decided = false;
  let ended = false;
  let stream: Transform | null = null;

  const decideOnce = (): void => {
    if (decided) return;
    decided = true;
    stream = hooks.onHeaders(res);
    if (!stream) return;
    const out = stream;
    out.on("data", (chunk: Buffer) => {
      if (originalWrite.call(res, chunk) === false) out.pause();
    });
    out.on("end", () => {
      originalEnd.call(res);
    });
    originalOn.call(res, "drain", () => {
      out.resume();
    });
    // A reader who goes away must not leave a transform holding memory.
    originalOn.call(res, "close", () => {
      if (!out.writableFinished) out.destroy();
    });
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
      decideOnce();
    }
    return reason !== undefined ? originalWriteHead.call(this, this.statusCode, reason) : originalWriteHead.call(this, this.statusCode);
  } as ServerResponse["writeHead"];

  res.write = function write(this: ServerResponse, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    if (ended) return false;
    if (!this.headersSent) decideOnce();
    if (!stream) return originalWrite.call(this, chunk, encoding, callback);
    if (typeof encoding === "function") callback = encoding;
    return stream.write(toBuffer(chunk, encoding), callback as WriteCallback | undefined);
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
    if (!this.headersSent) decideOnce();
    if (!stream) return originalEnd.call(this, chunk, encoding, callback);
    if (typeof callback === "function") originalOn.call(this, "finish", callback as () => void);
    if (chunk !== undefined && chunk !== null) stream.end(toBuffer(chunk, encoding));
    else stream.end();
    return this;
  } as ServerResponse["end"];

  res.on = function on(this: ServerResponse, event: string | symbol, listener: (...args: unknown[]) => void): ServerResponse {
    if (event === "drain" && stream) {
      stream.on("drain", listener);
      return this;
    }
    return originalOn.call(this, event, listener);
  } as ServerResponse["on"];
}
