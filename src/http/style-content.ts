/**
 * Holds the content of a `<style>` element on its way out and hands it over whole when its end
 * tag comes, so that the CSS can be rewritten. The scanner passes raw text through untouched; its
 * end is found here by the tokenizer's own rule for raw text: `</style` followed by whitespace,
 * `/` or `>`, in any case.
 */
const END = /<\/style[\t\n\f\r />]/i;
/** Bytes of an end tag that a chunk boundary may split. */
const OVERLAP = 8;

/** Where `END` first matches the chunk's bytes (Latin-1: only ASCII letters fold), or -1. */
function endTagAt(chunk: Buffer): number {
  for (let i = chunk.indexOf(0x3c); i !== -1 && i + 7 < chunk.length; i = chunk.indexOf(0x3c, i + 1)) {
    if (chunk[i + 1] !== 0x2f || (chunk[i + 2]! | 0x20) !== 0x73 || (chunk[i + 3]! | 0x20) !== 0x74 || (chunk[i + 4]! | 0x20) !== 0x79) continue;
    if ((chunk[i + 5]! | 0x20) !== 0x6c || (chunk[i + 6]! | 0x20) !== 0x65) continue;
    const d = chunk[i + 7];
    if (d === 0x09 || d === 0x0a || d === 0x0c || d === 0x0d || d === 0x20 || d === 0x2f || d === 0x3e) return i;
  }
  return -1;
}

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
    const held = this.held;
    const from = Math.max(0, held.length - OVERLAP);
    // An end tag cut by the last chunk's boundary is found in the text held and the new chunk together.
    const cut = END.exec(held.slice(from) + chunk.toString("latin1", 0, Math.min(chunk.length, OVERLAP)));
    const at = cut && cut.index < held.length - from ? -1 : endTagAt(chunk);
    if (at >= 0) {
      // Only the content is made text: what follows goes on as the bytes it came in.
      this.held = null;
      const css = held + chunk.toString("latin1", 0, at);
      this.out(Buffer.from(this.rewrite(css) ?? css, "latin1"));
      this.out(chunk.subarray(at));
      return;
    }
    this.held += chunk.toString("latin1");
    const m = cut ? END.exec(this.held.slice(from)) : null;
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
