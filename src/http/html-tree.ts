/**
 * The little of the HTML standard's tree construction that the tokenizer's state depends on
 * (scripting on): whether a start tag is made in the HTML namespace or in SVG/MathML, which
 * decides whether `<style>`, `<textarea>`, `<script>`… start raw text and whether `<![CDATA[`
 * opens a CDATA section; and the templates left open. Outside SVG and MathML nothing is tracked:
 * the scanner asks at every tag, and for names that do not matter the answer is one Set lookup.
 *
 * Inside foreign content the open elements are kept (both foreign ones and the HTML ones inside
 * integration points), as the standard's "in foreign content" insertion mode needs them. What is
 * below the outermost `<svg>`/`<math>` is not known: an end tag that could close it from there
 * (`<div><svg></div>`) leaves the tree "unsure", and before the next tag whose meaning depends on
 * it the scanner puts in end tags that close the foreign content for sure (see `leave`), so that
 * the page and the scanner agree. Only pages with such a stray end tag are changed by this.
 */

export const enum Ns {
  Html,
  Svg,
  MathMl,
}

interface Open {
  readonly name: string;
  readonly ns: Ns;
  /** An HTML integration point, or a MathML text integration point. */
  readonly integration: "html" | "text" | null;
}

/** Start tags that leave foreign content ("in foreign content", the breakout list). */
const BREAKOUT = new Set([
  "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em", "embed", "h1", "h2", "h3", "h4", "h5", "h6",
  "head", "hr", "i", "img", "li", "listing", "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike",
  "sub", "sup", "table", "tt", "u", "ul", "var",
]);

/** HTML elements that make the tokenizer read raw text or RCDATA (scripting on). */
export const RAW_TEXT: ReadonlySet<string> = new Set(["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"]);

const VOID = new Set(["area", "base", "basefont", "bgsound", "br", "col", "embed", "hr", "img", "image", "input", "keygen", "link", "meta", "param", "source", "track", "wbr", "frame"]);

/** HTML elements that bound the scope an end tag looks for its element in (beside the integration points). */
const SCOPE = new Set(["applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "body"]);

/** Names whose start tag matters with no foreign content open. */
const HTML_NAMES_THAT_MATTER = new Set(["svg", "math", "template", "image", "plaintext", ...RAW_TEXT]);

const MATHML_TEXT = new Set(["mi", "mo", "mn", "ms", "mtext"]);

/** What a start tag makes, for the tokenizer. */
export const enum Made {
  /** An element whose content is markup. */
  Markup,
  /** An HTML raw-text or RCDATA element (`RAW_TEXT`). */
  RawText,
  Plaintext,
}

export class HtmlTree {
  private stack: Open[] = [];
  /** HTML templates open outside foreign content. */
  templates = 0;
  /** An end tag may have closed the foreign content from below: the stack may be stale. */
  unsure = false;
  /**
   * A <frameset> took the body's place (the caller knows: it follows frameset-ok): from then on the
   * tree builder ignores every start tag but frameset, frame and noframes, so none starts raw text.
   */
  frameset = false;

  /** Whether the next start tag would be made in SVG or MathML, and not as HTML. */
  get foreign(): boolean {
    const top = this.stack[this.stack.length - 1];
    return top !== undefined && top.ns !== Ns.Html && top.integration === null;
  }

  /** Whether `<![CDATA[` opens a CDATA section: the adjusted current node is not an HTML element. */
  get cdata(): boolean {
    const top = this.stack[this.stack.length - 1];
    return top !== undefined && top.ns !== Ns.Html;
  }

  /** Whether the start tag `name` needs its attributes for this (`<font>` and `<annotation-xml>` in foreign content). */
  needsAttributes(name: string): boolean {
    if (this.stack.length === 0) return false;
    return name === "font" || name === "annotation-xml";
  }

  /** Whether a start tag is made in the HTML namespace; a breakout tag leaves foreign content here. */
  isHtml(name: string, attrs: readonly { readonly name: string }[]): boolean {
    const attr = (n: string): boolean => attrs.some((a) => a.name === n);
    const top = this.stack[this.stack.length - 1];
    if (top === undefined || top.ns === Ns.Html || top.integration === "html") return true;
    if (top.integration === "text" && name !== "mglyph" && name !== "malignmark") return true;
    if (top.name === "annotation-xml" && name === "svg") return true;
    if (BREAKOUT.has(name) || (name === "font" && (attr("color") || attr("face") || attr("size")))) {
      // Pop until an HTML element or an integration point is current, then the tag is HTML.
      this.popForeign();
      return true;
    }
    return false;
  }

  private popForeign(): void {
    const s = this.stack;
    while (s.length > 0) {
      const top = s[s.length - 1]!;
      if (top.ns === Ns.Html || top.integration !== null) break;
      s.pop();
    }
  }

  /** Whether the tokenizer reads what follows this start tag differently as HTML and as SVG/MathML. */
  readsDifferently(name: string): boolean {
    return !this.frameset && (RAW_TEXT.has(name) || name === "plaintext");
  }

  /** Whether the tokenizer needs to hear about a start tag with this name. */
  matters(name: string): boolean {
    if (this.frameset) return name === "noframes";
    return this.stack.length > 0 || HTML_NAMES_THAT_MATTER.has(name);
  }

  /**
   * A start tag: updates the tree and says what the tokenizer reads next. `html` is what
   * `isHtml` answered for it. `encoding` is the annotation-xml's encoding attribute, if any.
   */
  start(name: string, html: boolean, selfClosing: boolean, encoding: string | null): Made {
    if (!html) {
      const ns = this.stack[this.stack.length - 1]!.ns;
      if (!selfClosing) this.stack.push({ name, ns, integration: foreignIntegration(ns, name, encoding) });
      return Made.Markup;
    }
    if (name === "svg" || name === "math") {
      const ns = name === "svg" ? Ns.Svg : Ns.MathMl;
      if (!selfClosing) this.stack.push({ name, ns, integration: null });
      return Made.Markup;
    }
    if (RAW_TEXT.has(name)) return Made.RawText;
    if (name === "plaintext") return Made.Plaintext;
    if (this.stack.length === 0) {
      if (name === "template") this.templates++;
    } else if (!VOID.has(name)) {
      this.stack.push({ name, ns: Ns.Html, integration: null });
    }
    return Made.Markup;
  }

  /** An end tag (outside raw text: the end tag of a raw-text element never comes here). */
  end(name: string): void {
    const s = this.stack;
    if (name === "template") {
      // Closes the nearest template, whatever is open above it.
      for (let i = s.length - 1; i >= 0; i--) {
        if (s[i]!.ns === Ns.Html && s[i]!.name === "template") {
          s.length = i;
          return;
        }
      }
      if (this.templates > 0) {
        this.templates--;
        this.stack = [];
        this.unsure = false;
      }
      return;
    }
    if (s.length === 0) return;
    if (s[s.length - 1]!.ns !== Ns.Html) {
      // "In foreign content": </br> and </p> leave it; otherwise the nearest foreign element of that name closes.
      if (name === "br" || name === "p") {
        this.popForeign();
        return;
      }
      for (let i = s.length - 1; i >= 0 && s[i]!.ns !== Ns.Html; i--) {
        if (s[i]!.name.toLowerCase() === name) {
          s.length = i;
          return;
        }
      }
    }
    // The rules of the body, from the current node down.
    for (let i = s.length - 1; i >= 0; i--) {
      const node = s[i]!;
      if (node.ns === Ns.Html) {
        if (node.name === name) {
          s.length = i;
          return;
        }
        if (SCOPE.has(node.name)) return;
      } else if (node.integration !== null || node.name === "annotation-xml") {
        return;
      }
    }
    this.below(name);
  }

  /** An end tag that reached below the outermost foreign element: whether it closes it is not known here. */
  private below(name: string): void {
    if (name === "body" || name === "html" || name === "br" || name === "p") return;
    this.unsure = true;
  }

  /**
   * End tags that close everything the tree holds open, so that what follows is HTML in the body
   * (or the template it is in): a notice put there, or a raw-text element after an unsure end tag.
   */
  leave(): string {
    let out = "";
    for (let i = this.stack.length - 1; i >= 0; i--) out += `</${this.stack[i]!.name}>`;
    this.stack = [];
    this.unsure = false;
    return out;
  }

  /** Whether anything is open that a notice must not go inside. */
  get open(): boolean {
    return this.stack.length > 0;
  }
}

function foreignIntegration(ns: Ns, name: string, encoding: string | null): Open["integration"] {
  if (ns === Ns.Svg) return name === "foreignobject" || name === "desc" || name === "title" ? "html" : null;
  if (MATHML_TEXT.has(name)) return "text";
  if (name === "annotation-xml" && encoding !== null) {
    // Compared as it is, ASCII case-insensitively: no trimming.
    const e = encoding.toLowerCase();
    if (e === "text/html" || e === "application/xhtml+xml") return "html";
  }
  return null;
}
