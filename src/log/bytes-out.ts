import type { ServerResponse } from "node:http";

export interface BytesOut {
  /** Body bytes handed to the socket so far. */
  bytes: number;
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

/**
 * Counts the body bytes of a response. Installed before any body interception, so the count is
 * what actually leaves (a rewritten page is counted as rewritten), not what the app wrote.
 */
export function countBytesOut(res: ServerResponse, method: string): BytesOut {
  const counter: BytesOut = { bytes: 0 };
  if (method === "HEAD") return counter;
  const write = res.write as (this: ServerResponse, ...args: unknown[]) => boolean;
  const end = res.end as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  res.write = function countedWrite(this: ServerResponse, ...args: unknown[]): boolean {
    if (!this.writableEnded && !bodiless(this)) counter.bytes += size(args[0], args[1]);
    return write.apply(this, args);
  } as ServerResponse["write"];
  res.end = function countedEnd(this: ServerResponse, ...args: unknown[]): ServerResponse {
    if (!this.writableEnded && !bodiless(this)) counter.bytes += size(args[0], args[1]);
    return end.apply(this, args);
  } as ServerResponse["end"];
  return counter;
}
