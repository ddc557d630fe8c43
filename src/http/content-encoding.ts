import type { Transform } from "node:stream";
import zlib from "node:zlib";

export type Coding = "gzip" | "deflate" | "br";

/** The single content coding the rewrite can undo and redo, null for none, or the reason it cannot. */
export function parseContentEncoding(header: unknown): { coding: Coding | null } | { unsupported: string } {
  if (header === undefined || header === null) return { coding: null };
  const codings = String(header)
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  if (codings.length === 0) return { coding: null };
  if (codings.length > 1) return { unsupported: `content-encoding ${String(header)} (more than one coding)` };
  const c = codings[0]!;
  if (c === "gzip" || c === "x-gzip") return { coding: "gzip" };
  if (c === "deflate") return { coding: "deflate" };
  if (c === "br") return { coding: "br" };
  return { unsupported: `content-encoding ${c}` };
}

/** Where a body stream writes: the response as the app would have written it. */
export interface BodySink {
  write(chunk: Buffer): boolean;
  end(): void;
  /** Registers a listener for the response's own 'drain'. */
  onDrain(listener: () => void): void;
}

/** One response body on its way out, written by the app. */
export interface BodyStream {
  /** Returns false when the app should wait for 'drain'. */
  write(chunk: Buffer): boolean;
  end(): void;
  destroy(): void;
  /** Set when the stream buffers on its own: the app's 'drain' listeners belong here, not on the response. */
  readonly drainEmitter?: { on(event: "drain", listener: () => void): unknown };
}

/** A synchronous stage (the HTML rewrite) between decoder and encoder. */
export interface SyncStage {
  write(chunk: Buffer): boolean;
  end(): void;
}

function decoderFor(coding: Coding, first: Buffer): Transform {
  if (coding === "gzip") return zlib.createGunzip();
  if (coding === "br") return zlib.createBrotliDecompress();
  // "deflate" is zlib-wrapped by the standard, but some servers send raw deflate.
  const b0 = first[0] ?? 0;
  const b1 = first[1] ?? 0;
  const zlibWrapped = (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
  return zlibWrapped ? zlib.createInflate() : zlib.createInflateRaw();
}

type ZlibTransform = Transform & { flush(kind?: number, callback?: () => void): void };

function encoderFor(coding: Coding): ZlibTransform {
  if (coding === "gzip") return zlib.createGzip();
  if (coding === "deflate") return zlib.createDeflate();
  // Quality 11 (the default) is for static files; on the fly, 5 is close to gzip's speed and beats its size.
  return zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
}

/**
 * Decodes a gzip, deflate or br body, passes it through a synchronous stage (the HTML rewrite)
 * and encodes it again, with backpressure at every step: the app's writes wait on the decoder,
 * the decoder on the encoder, the encoder on the socket. Output is flushed whenever the app pauses,
 * so a page streamed in parts reaches the reader in parts.
 *
 * A body that cannot be decoded goes out as it came if nothing has been sent yet; otherwise what
 * was decoded is finished properly and the error is recorded.
 */
export class EncodedBodyStream implements BodyStream {
  private decoder: Transform | null = null;
  private readonly encoder: ZlibTransform;
  private stage: SyncStage | null = null;
  /** The app's bytes, kept until the first encoded byte leaves, to fall back on. */
  private original: Buffer[] | null = [];
  private originalBytes = 0;
  private passthrough = false;
  private flushScheduled = false;
  private done = false;
  private pendingDrain: Array<() => void> = [];
  private endRequested = false;

  constructor(
    private readonly coding: Coding,
    private readonly makeStage: (out: (chunk: Buffer) => boolean) => SyncStage,
    private readonly sink: BodySink,
    private readonly onError: (message: string) => void,
  ) {
    this.encoder = encoderFor(coding);
    this.encoder.on("data", (chunk: Buffer) => {
      this.original = null;
      if (!this.sink.write(chunk)) this.encoder.pause();
    });
    this.encoder.on("end", () => this.finish());
    this.encoder.on("error", (error: Error) => this.fail(error));
    this.sink.onDrain(() => this.encoder.resume());
  }

  get drainEmitter(): { on(event: "drain", listener: () => void): unknown } {
    // The decoder does not exist before the first write; listeners wait for it.
    return {
      on: (_event: "drain", listener: () => void) => {
        if (this.decoder) this.decoder.on("drain", listener);
        else this.pendingDrain.push(listener);
      },
    };
  }

  write(chunk: Buffer): boolean {
    if (this.done) return true;
    if (this.passthrough) return this.sink.write(chunk);
    if (this.original) {
      this.original.push(chunk);
      this.originalBytes += chunk.length;
      // Past this much nothing can be given back anyway.
      if (this.originalBytes > 1024 * 1024) this.original = null;
    }
    const decoder = this.decoder ?? this.startDecoder(chunk);
    return decoder.write(chunk);
  }

  end(): void {
    if (this.done) return;
    this.endRequested = true;
    if (this.passthrough) {
      this.finish();
      return;
    }
    (this.decoder ?? this.startDecoder(Buffer.alloc(0))).end();
  }

  destroy(): void {
    this.done = true;
    this.decoder?.destroy();
    this.encoder.destroy();
  }

  private startDecoder(first: Buffer): Transform {
    const decoder = decoderFor(this.coding, first);
    this.decoder = decoder;
    const encoder = this.encoder;
    this.stage = this.makeStage((out) => encoder.write(out));
    decoder.on("data", (chunk: Buffer) => {
      if (this.passthrough || this.done) return;
      if (!this.stage!.write(chunk)) {
        decoder.pause();
        encoder.once("drain", () => decoder.resume());
      }
      this.scheduleFlush();
    });
    decoder.on("end", () => {
      if (this.passthrough || this.done) return;
      this.stage!.end();
      encoder.end();
    });
    decoder.on("error", (error: Error) => this.fail(error));
    for (const listener of this.pendingDrain) decoder.on("drain", listener);
    this.pendingDrain = [];
    return decoder;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.done || this.passthrough || this.encoder.writableEnded) return;
      // A sync flush keeps the compression dictionary; only the bytes so far are pushed out.
      if (this.coding === "br") this.encoder.flush(zlib.constants.BROTLI_OPERATION_FLUSH);
      else this.encoder.flush(zlib.constants.Z_SYNC_FLUSH);
    });
  }

  private fail(error: Error): void {
    if (this.done || this.passthrough) return;
    const kept = this.original;
    this.decoder?.destroy();
    if (kept) {
      // Nothing has left yet: the reader gets the body exactly as the app encoded it.
      this.onError(`could not decode the ${this.coding} body (${error.message}); sent as it came`);
      this.encoder.destroy();
      this.passthrough = true;
      for (const chunk of kept) this.sink.write(chunk);
      this.original = null;
      if (this.endRequested) this.finish();
      return;
    }
    this.onError(`could not decode the ${this.coding} body (${error.message}); the page was cut where decoding failed`);
    this.passthrough = true;
    this.done = true;
    // The encoder finishes a valid stream of what was decoded, then the response ends.
    if (!this.encoder.destroyed && !this.encoder.writableEnded) this.encoder.end();
    else this.finish();
  }

  private sinkEnded = false;

  private finish(): void {
    this.done = true;
    if (this.sinkEnded) return;
    this.sinkEnded = true;
    this.sink.end();
  }
}
