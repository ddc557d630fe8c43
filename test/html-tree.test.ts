import { expect } from "chai";
import type { NoticePlacement } from "../src/rules/actions.js";
import { notice, trackers } from "./support/decisions.js";
import { noticeBytes, planOf, rewrite, rewriteInChunks } from "./support/rewrite.js";
import { read, TRACKER_HOST } from "./support/tree-reading.js";

// Pages the scanner once read differently from the HTML standard's tree builder (scripting on),
// and pages whose notice ended where a browser shows it as text or not at all. Each is read back
// with parse5, whole and cut at every byte.

const PIXEL = `<img src="https://${TRACKER_HOST}/p.gif">`;

function expectSafe(page: string, placement: NoticePlacement = { at: "body-start" }): void {
  const plan = planOf([notice(placement), trackers("third-party")]);
  const body = Buffer.from(page);
  const outs = [rewrite(body, plan).out];
  for (let cut = 1; cut < body.length; cut++) outs.push(rewriteInChunks(body, [cut], plan).out);
  for (const out of outs) {
    const reading = read(out, plan.head);
    expect(reading.active, `${page} became ${out.toString()}`).to.deep.equal([]);
    expect(reading.notices, `${page} became ${out.toString()}`).to.equal(1);
  }
}

describe("HTML scanner: tree construction the tokenizer depends on (scripting on)", () => {
  it("reads <noscript> as raw text: what looks like a comment or an <iframe> in it does not hide what follows", () => {
    expectSafe(`<noscript><!--</noscript>${PIXEL}-->`);
    expectSafe(`<noscript><iframe></noscript>${PIXEL}`);
    expectSafe(`<body><p>x<noscript><iframe></noscript>${PIXEL}</iframe>`);
    expectSafe(`<head><noscript><style></noscript>${PIXEL}</style>`);
  });

  it("still neutralizes the markup inside <noscript>, which loads for a reader without scripting", () => {
    const { out } = rewrite(`<noscript>${PIXEL}</noscript>`, planOf([trackers("third-party")]));
    expect(out.toString()).to.include(`data-geo-compliance-src="https://${TRACKER_HOST}/p.gif"`);
  });

  it("drops a <noscript>'s rewritten content that would end it early: an SVG <noscript> closed there to leave SVG", () => {
    const page = `<noscript><svg><NoScript></foreignObject><frameset><frame src="https://${TRACKER_HOST}/f"></frameset><plaintext>`;
    expectSafe(page);
    const { out, outcome } = rewrite(page, planOf([trackers("third-party")]));
    expect(out.toString()).to.match(/<noscript>$/);
    expect(outcome.notes.join(" ")).to.include("<noscript>'s content was dropped");
  });

  it("leaves SVG and MathML where the tree builder does: breakout tags, </p>, </br>, <font> with color, face or size", () => {
    for (const out of ["<p>", "<b>", "<div>", "<span>", "<font color=red>", "<FONT SIZE=2>", "</p>", "</br>", "<table>"]) {
      expectSafe(`<body><svg>${out}<style><!--</style>${PIXEL}-->`);
      expectSafe(`<body><math><mrow>${out}<textarea><!--</textarea>${PIXEL}-->`);
    }
  });

  it("reads raw text again at HTML integration points, and markup elsewhere in foreign content", () => {
    for (const point of ["<foreignObject>", "<foreignobject>", "<desc>", "<title>"]) {
      expectSafe(`<body><svg>${point}<style><!--</style>${PIXEL}-->`);
      expectSafe(`<body><svg><g>${point}<textarea><!--</textarea>${PIXEL}-->`);
    }
    for (const point of ["<mi>", "<mo>", "<mn>", "<ms>", "<mtext>", "<annotation-xml encoding=text/html>", "<annotation-xml encoding='APPLICATION/XHTML+XML'>"]) {
      expectSafe(`<body><math>${point}<style><!--</style>${PIXEL}-->`);
    }
    // In SVG <style> is markup and CDATA hides a '>': the pixel after ]]> loads.
    expectSafe(`<body><svg><style><![CDATA[ > <!-- ]]>${PIXEL}</style></svg>`);
    expectSafe(`<body><math><annotation-xml><![CDATA[ > <!-- ]]>${PIXEL}`);
  });

  it("treats <image> as the <img> the tree builder makes of it", () => {
    expectSafe(`<body><image src="https://${TRACKER_HOST}/i.png">`);
    expectSafe(`<body><IMAGE SRC=//${TRACKER_HOST}/i.png alt=x>`);
  });

  it("closes SVG for sure when an end tag may have closed it from below, before a tag that reads differently in each", () => {
    expectSafe(`<body><div><svg></div><style><!--</style>${PIXEL}-->`);
    expectSafe(`<body><div><svg></div><![CDATA[ > <!-- ]]>${PIXEL}-->`);
    expectSafe(`<annotation-xml><svg><plaintext></annotation-xml><image src="//${TRACKER_HOST}/i.png">`);
  });

  it("writes the end tags it puts in with the bytes of the names they close, also bytes that are not ASCII", () => {
    const odd = Buffer.from([0x73, 0x80, 0x76, 0x67]); // "s", a byte that is no UTF-8 on its own, "vg"
    const page = Buffer.concat([Buffer.from("Hello<svg></frameset><"), odd, Buffer.from(" x><script>var a = 1</script>")]);
    const out = rewrite(page, planOf([notice({ at: "body-start" })])).out;
    const closed = Buffer.concat([Buffer.from("<"), odd, Buffer.from(" x></"), odd, Buffer.from("></svg><script>")]);
    expect(out.includes(closed), out.toString("latin1")).to.equal(true);
  });

  it("takes only EF BB BF at the start for a byte order mark: a page starting with U+FDE6 gets the notice before that character", () => {
    const plan = planOf([notice()]);
    const { out } = rewrite("\ufde6 text", plan);
    expect(out.toString()).to.equal(noticeBytes(plan).toString() + "\ufde6 text");
  });
});

describe("HTML scanner: one rendered notice in every document shape", () => {
  it("at the end of a page left inside a script, also in its double-escaped state", () => {
    expectSafe("<title>t</title><script>var a = 1;");
    expectSafe("<title>t</title><script><!--<script ");
    expectSafe("<title>t</title><script><!--<script>x</script>y");
    expectSafe("<title>t</title><script><!--<script>x</scr");
    expectSafe("<p>x<script><!--<script>", { at: "body-end" });
  });

  it("at the end of a page left inside <template>, <noscript>, SVG or MathML", () => {
    expectSafe("<title>t</title><template><p>x");
    expectSafe("<head><template><template><svg><g>");
    expectSafe("<title>t</title><template>a<b");
    expectSafe("<title>t</title><noscript><p>x");
    expectSafe("<body><svg><g><text>x", { at: "body-end" });
    expectSafe("<body><math><mi><div>x", { at: "body-end" });
    expectSafe("<body><svg><g></body></html>", { at: "body-end" });
  });

  it("before <plaintext>, since nothing after it is markup, also when it is in a template", () => {
    expectSafe("<p>x<plaintext>y", { at: "body-end" });
    expectSafe("<head><template><plaintext>y");
    expectSafe('<p>x<plaintext>y', { at: "selector", selector: "#none", mode: "append" });
  });
});

describe("HTML scanner: frameset documents keep their frames and get the notice", () => {
  const FRAMES = `<frameset rows="50%,50%"><frame src="/a"><frame src="/b"></frameset>`;

  function framesOf(out: Buffer): number {
    return (out.toString().match(/<frame /g) ?? []).length;
  }

  it("puts the notice in a script before <frameset>, also after <svg> or <span> that began the body, whole and in chunks", () => {
    for (const page of [`<title>f</title>${FRAMES}`, `<title>f</title><svg></svg>${FRAMES}`, `<title>f</title><span> </span>${FRAMES}`, `<title>f</title><template>x</template>${FRAMES}`]) {
      expectSafe(page);
      const plan = planOf([notice()]);
      const { out } = rewrite(page, plan);
      expect(framesOf(out)).to.equal(2);
      expect(out.toString()).to.not.include("<section");
    }
  });

  it("keeps the notice before the body's first element once text or an <img> says the page has a body", () => {
    const plan = planOf([notice()]);
    const N = noticeBytes(plan).toString();
    expect(rewrite("<title>t</title><svg></svg>hi" + FRAMES, plan).out.toString()).to.equal(`<title>t</title>${N}<svg></svg>hi${FRAMES}`);
    expect(rewrite("<title>t</title><span><img src=/i.png>", plan).out.toString()).to.equal(`<title>t</title>${N}<span><img src=/i.png>`);
    expectSafe(`<title>t</title><span><input type=hidden>${FRAMES}`);
    expectSafe(`<html><head><title>t</title></head><noscript></noscript>${FRAMES}`);
  });
});
