import { Transform, type TransformCallback } from "node:stream";
import { HTMLRewriter } from "html-rewriter-wasm";

export interface HtmlEdits {
  /** Markup to put right after the opening `<body>` tag (or at the end of a page that has none). */
  readonly bodyStart: string;
}

/** What happened to one body, for the decision log. */
export interface RewriteOutcome {
  rewritten: boolean;
  error?: string;
}

/**
 * A streaming rewrite with lol-html (WebAssembly): bytes outside the edits pass through unchanged,
 * and each chunk leaves as soon as it is tokenized. A rewriter failure lets the rest of the body
 * through unchanged rather than break the page.
 */
export class HtmlRewriteStream extends Transform {
  private rewriter: HTMLRewriter | null;
  private inserted = false;
  private failed = false;
  private busy = false;

  constructor(edits: HtmlEdits, private readonly outcome: RewriteOutcome) {
    super();
    const rewriter = new HTMLRewriter((chunk) => {
      if (chunk.length > 0) this.push(Buffer.from(chunk));
    });
    rewriter.on("body", {
      element: (el) => {
        if (this.inserted) return;
        this.inserted = true;
        el.prepend(edits.bodyStart, { html: true });
      },
    });
    rewriter.onDocument({
      end: (end) => {
        if (this.inserted) return;
        this.inserted = true;
        end.append(edits.bodyStart, { html: true });
      },
    });
    this.rewriter = rewriter;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const rewriter = this.rewriter;
    if (this.failed || !rewriter) {
      callback(null, chunk);
      return;
    }
    this.busy = true;
    rewriter.write(chunk).then(
      () => {
        this.busy = false;
        if (this.destroyed) this.release();
        callback();
      },
      (error: unknown) => {
        this.busy = false;
        this.fail(error);
        callback(null, chunk);
      },
    );
  }

  override _flush(callback: TransformCallback): void {
    const rewriter = this.rewriter;
    if (this.failed || !rewriter) {
      callback();
      return;
    }
    this.busy = true;
    rewriter.end().then(
      () => {
        this.busy = false;
        this.outcome.rewritten = this.inserted;
        this.release();
        callback();
      },
      (error: unknown) => {
        this.busy = false;
        this.fail(error);
        callback();
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // The wasm memory is freed only when no write is in flight inside it.
    if (!this.busy) this.release();
    callback(error);
  }

  private fail(error: unknown): void {
    this.failed = true;
    this.outcome.error = `rewrite failed: ${(error as Error)?.message ?? String(error)}`;
    this.release();
  }

  private release(): void {
    const rewriter = this.rewriter;
    this.rewriter = null;
    rewriter?.free();
  }
}
