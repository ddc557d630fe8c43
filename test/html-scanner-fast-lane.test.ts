import { expect } from "chai";
import fc from "fast-check";
import { HtmlScanner, type ScanHandler, type ScannedTag, type TagEdit, type ValueNeedles } from "../src/http/html-scanner.js";

// ---------------------------------------------------------------------------------------------
// Once a handler's answers are settled, the scanner reads over the tags it does not want with a
// lighter reader than its state machine. Both must find the same tags at the same bytes: the same
// handler, settled and not, sees the same tags and gets the same output, whole and in chunks, on
// generated markup that is hard on the attribute states (quotes in names and unquoted values, '='
// where no value may start, '/' before anything, '>' in quoted values) and on the comment states.

const names = fc.constantFrom("p", "P", "a", "A", "img", "div", "span", "b", "br", "x-y", "template", "svg", "math", "script", "style", "title", "textarea", "image", "noscript", "font", "plaintext");
const attrName = fc.constantFrom("ping", "PING", "style", "src", "class", "data-x", "p", '"', "'", "=", "==", "a'b", 'x"', "<", "pin", "pings");
const gap = fc.constantFrom(" ", "\t", "\n", "/", " / ", "", "\f", "\r");
const value = fc.constantFrom("", "x", "xy", "y", ">", "a>b", "'", '"', "=", "/", " ", "ping", "<p>");
const attribute = fc
  .tuple(gap, attrName, fc.constantFrom("", "=", " = ", "=="), fc.constantFrom('"', "'", ""), value)
  .map(([g, n, eq, q, v]) => (eq === "" ? `${g || " "}${n}` : `${g || " "}${n}${eq}${q}${q === "" ? v.replace(/[\s>]/g, "") : v.replaceAll(q, "")}${q}`));
const tag = fc
  .tuple(fc.boolean(), names, fc.array(attribute, { maxLength: 4 }), fc.constantFrom(">", "/>", " >", "/ >", "", "'>", '">'))
  .map(([end, name, attrs, close]) => `<${end ? "/" : ""}${name}${attrs.join("")}${close}`);
const text = fc.constantFrom("t", " ", "<", "< p", "</", "<!-- c -->", "<!--", "<!-", "-->", "<!-->", "<!--->", "<!---->", "--!>", "--!", "-", "--", "--t", "--!t", "---t", "!", "<!x>", "<?x>", "</>", "&lt;", "'", '"', ">", "=");
const markup = fc.array(fc.oneof({ weight: 3, arbitrary: tag }, { weight: 2, arbitrary: text }), { maxLength: 40 }).map((parts) => Buffer.from(`<body>${parts.join("")}`));
const cuts = fc.array(fc.nat(), { maxLength: 6 });

/** <img> with a style, or a src whose value starts with "x". */
const IMG: ValueNeedles = { names: ["style"], values: ["src"], needed: (buf, start, end) => end > start && buf[start] === 0x78, all: ["style", "src"] };

/** A handler that wants <div>, <a> with a ping, <p> with a style, <img> as `IMG` says and </b>, and marks each tag it sees in the output. */
function recorder(settled: boolean): { handler: ScanHandler; seen: string[] } {
  const seen: string[] = [];
  const mark = (tag: ScannedTag): TagEdit => {
    const attrs = tag.attrs.map((a) => `${a.name}${a.valueStart >= 0 ? `=${tag.raw.slice(a.valueStart, a.valueEnd)}` : ""}`);
    seen.push(`${tag.end ? "/" : ""}${tag.name} [${attrs.join(" ")}] ${JSON.stringify(tag.raw)}`);
    return { before: Buffer.from("[") , after: Buffer.from("]") };
  };
  const handler: ScanHandler = {
    settled,
    wants: (name, end) => (end ? name === "b" : name === "div" ? true : name === "img" ? IMG : name === "a" ? ["ping"] : name === "p" ? ["style"] : false),
    startTag: mark,
    endTag: mark,
    scriptContent: () => undefined,
    watchText: false,
    text: () => undefined,
    end: () => undefined,
  };
  return { handler, seen };
}

function scan(page: Buffer, offsets: readonly number[], settled: boolean): { out: string; seen: string[] } {
  const { handler, seen } = recorder(settled);
  const pieces: Buffer[] = [];
  const scanner = new HtmlScanner(handler, (c) => void pieces.push(Buffer.from(c)));
  const at = [...new Set(offsets.map((o) => (page.length > 1 ? 1 + (o % (page.length - 1)) : 0)))].sort((a, b) => a - b);
  let last = 0;
  for (const cut of at) {
    scanner.write(page.subarray(last, cut));
    last = cut;
  }
  scanner.write(page.subarray(last));
  scanner.end();
  return { out: Buffer.concat(pieces).toString("latin1"), seen };
}

describe("HTML scanner: the fast lane for settled answers", () => {
  it("finds the tags the state machine finds, at the same bytes, whole and in chunks", () => {
    fc.assert(
      fc.property(markup, cuts, (page, offsets) => {
        // Chunked alike: an attribute name cut by a chunk's end may count as wanted (to be safe) in either.
        for (const cut of [[], offsets]) {
          const reference = scan(page, cut, false);
          const fast = scan(page, cut, true);
          expect(fast.seen, page.toString("latin1")).to.deep.equal(reference.seen);
          expect(fast.out, page.toString("latin1")).to.equal(reference.out);
        }
      }),
      { numRuns: 10000 },
    );
  });

  it("ends comments where the tokenizer does: -->, --!>, <!--> and <!--->, not at --!x or -- x", () => {
    for (const comment of ["<!---->", "<!-->", "<!--->", "<!-- --!>", "<!-- --!-->", "<!-- ---->", "<!-- --!x -->", "<!-- -- x -->", "<!----!>"]) {
      const page = Buffer.from(`<body>${comment}<div>`);
      expect(scan(page, [], true).seen, comment).to.deep.equal(['div [] "<div>"']);
    }
    for (const open of ["<!-- --!x <div>", "<!-- -- x <div> ->", "<!-- - <div>"]) {
      expect(scan(Buffer.from(`<body>${open}`), [], true).seen, open).to.deep.equal([]);
    }
  });

  it("reads over tags whose quoted values hide '>', and stops at a wanted attribute (or value) whatever its case", () => {
    const page = Buffer.from(`<body><div title="a>b" data-x='<p style=x>'>t</div><a href=/x>l</a><a PING=/p href=/y>m</a><p class=">" STYLE=color:red>s<img src=y><img SRC="x.png">`);
    const fast = scan(page, [], true);
    expect(fast.seen).to.deep.equal([
      `div [title=a>b data-x=<p style=x>] "<div title=\\"a>b\\" data-x='<p style=x>'>"`,
      'a [ping=/p href=/y] "<a PING=/p href=/y>"',
      'p [class=> style=color:red] "<p class=\\">\\" STYLE=color:red>"',
      'img [src=x.png] "<img SRC=\\"x.png\\">"',
    ]);
    expect(fast.out).to.equal(`<body>[<div title="a>b" data-x='<p style=x>'>]t</div><a href=/x>l</a>[<a PING=/p href=/y>]m</a>[<p class=">" STYLE=color:red>]s<img src=y>[<img SRC="x.png">]`);
  });
});
