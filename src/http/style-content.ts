/**
 * Holds the content of a `<style>` element on its way out and hands it over whole when its end
 * tag comes, so that the CSS can be rewritten. The scanner passes raw text through untouched; its
 * end is found here by the tokenizer's own rule for raw text: `</style` followed by whitespace,
 * `/` or `>`, in any case.
 */
const END = /<\/style[\t\n\f\r />]/i;
/** Bytes of an end tag that a chunk boundary may split. */
const OVERLAP = 8;

export class StyleContentTap {
  /** The start tag's bytes, as the scanner will emit them: content starts after this very buffer. */
  private armed: Buffer | null = null;
  private held: string | null = null;

  constructor(
    private readonly out: (chunk: Buffer) => void,
    /** The CSS as it should go out (Latin-1 text, one character per byte), or null to keep it. */
    private readonly rewrite: (css: string) => string | null,
    private readonly limit: number,
    private readonly abandoned: (what: string) => void,
  ) {}

  /** The next chunk that is this buffer is a `<style>` start tag: what follows it is held. */
  arm(startTag: Buffer): void {
    this.armed = startTag;
  }

  readonly write = (chunk: Buffer): void => {
    if (this.held === null) {
      this.out(chunk);
      if (chunk === this.armed) {
        this.armed = null;
        this.held = "";
      }
      return;
    }
    const from = Math.max(0, this.held.length - OVERLAP);
    this.held += chunk.toString("latin1");
    const m = END.exec(this.held.slice(from));
    if (m) {
      const at = from + m.index;
      const held = this.held;
      this.held = null;
      const css = held.slice(0, at);
      this.out(Buffer.from(this.rewrite(css) ?? css, "latin1"));
      this.out(Buffer.from(held.slice(at), "latin1"));
    } else if (this.held.length > this.limit) {
      this.out(Buffer.from(this.held, "latin1"));
      this.held = null;
      this.abandoned("a <style> element longer than the inspection limit");
    }
  };

  /** End of the body: what is held goes out, rewritten (the browser applies a style sheet the end cuts off), or as it came after a failure. */
  flush(rewrite: boolean): void {
    const held = this.held;
    this.held = null;
    this.armed = null;
    if (held) this.out(Buffer.from((rewrite ? this.rewrite(held) : null) ?? held, "latin1"));
  }
}
