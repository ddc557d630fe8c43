import { expect } from "chai";
import express from "express";
import fc from "fast-check";
import { NoticeRenderer } from "../src/actions/notice.js";
import { HtmlBodyRewriter, newOutcome } from "../src/http/body-rewriter.js";
import { framesetNoticeScript } from "../src/http/frameset-notice.js";
import type { CharsetMode } from "../src/http/charset.js";
import { DECISION_HEADER, geoCompliance } from "../src/index.js";
import { RuleStore } from "../src/rules/store.js";
import { russiaNoticeOnlyRules } from "./support/rules.js";
import { isInputWithClosings } from "./support/closings.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

// ---------------------------------------------------------------------------------------------
// HTML-like input: real tags and broken ones, raw-text elements, comments, entities, every script of
// text, and (where asked for) bytes that are not UTF-8, all cut into chunks at arbitrary bytes.

const text = fc.constantFrom("Hello", " world ", "a < b", "x > y", "&amp;", "&#x41;", "&bogus;", "&", "\n", "\r\n", "\t", "é", "Привет", "漢字", "😀", "\u00a0", "\u2028", "</ p>");
const tagName = fc.constantFrom("p", "div", "span", "a", "img", "br", "script", "style", "title", "textarea", "body", "head", "html", "svg", "math", "noscript", "template", "iframe", "meta", "BODY", "Script", "x-custom", "b", "plaintext", "xmp", "noembed", "noframes", "select", "table", "frameset");
const attrValue = fc.oneof(
  fc.constantFrom("", "x", "a b", ">", "<", "/>", '"', "'", "=", "`", "javascript:x()", "https://www.googletagmanager.com/gtag/js?id=G-1", "utf-8", "text/html; charset=windows-1251", "windows-1251"),
  text,
);
const attribute = fc.tuple(fc.constantFrom("id", "class", "src", "href", "charset", "http-equiv", "content", "onload", "data-x", "x"), attrValue, fc.constantFrom('"', "'", "", "none")).map(([name, value, quote]) => (quote === "none" ? ` ${name}` : ` ${name}=${quote}${value}${quote}`));
const openTag = fc.tuple(tagName, fc.array(attribute, { maxLength: 3 }), fc.constantFrom("", "/", " ")).map(([name, attrs, end]) => `<${name}${attrs.join("")}${end}>`);
const closeTag = tagName.map((name) => `</${name}>`);
const odd = fc.constantFrom("<!--", "-->", "<!-- c -->", "--!>", "<!doctype html>", "<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0//EN'>", "<![CDATA[", "]]>", "<?xml version='1.0'?>", "</", "<", ">", "<!", "</script", "<script", "<body", "<body ", "'", '"', "=", "<p", '<a href="');
const token = fc.oneof({ weight: 3, arbitrary: text }, { weight: 3, arbitrary: openTag }, { weight: 2, arbitrary: closeTag }, { weight: 2, arbitrary: odd });
const markup = fc.array(token, { maxLength: 80 }).map((tokens) => tokens.join(""));

/** Bytes no UTF-8 decoder accepts: a lone continuation byte, a lead byte cut short, surrogates, 0xFF, NUL. */
const invalidBytes = fc.constantFrom([0x80], [0xbf], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0xff], [0xc0, 0xaf], [0x00]);

/** Markup with invalid bytes put in (never first: a page that opens with FF FE is UTF-16, sent as it is). */
const page = (withInvalid: boolean): fc.Arbitrary<Buffer> =>
  fc.tuple(markup, withInvalid ? fc.array(fc.tuple(fc.nat(), invalidBytes), { maxLength: 6 }) : fc.constant([])).map(([html, inserts]) => {
    let bytes = Buffer.from(html);
    for (const [at, bad] of inserts) {
      const i = 2 + (bytes.length > 2 ? at % (bytes.length - 1) : 0);
      bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from(bad), bytes.subarray(i)]);
    }
    return bytes;
  });

/** Where the app's writes end: byte offsets, anywhere, in a multi-byte character as well. */
const cuts = fc.array(fc.nat(), { maxLength: 8 });

function chunks(body: Buffer, offsets: readonly number[]): Buffer[] {
  const at = [...new Set(offsets.map((o) => (body.length > 0 ? o % body.length : 0)))].filter((o) => o > 0).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const o of at) {
    out.push(body.subarray(last, o));
    last = o;
  }
  out.push(body.subarray(last));
  return out;
}

const CONTENT_TYPES = ["text/html; charset=utf-8", "text/html", "text/html; charset=windows-1251", "application/xhtml+xml; charset=utf-8"];


// ---------------------------------------------------------------------------------------------

describe("hostile HTML, property-based: generated pages cut into random chunks", () => {
  const log = new MemoryLog();
  let server: Running;
  let compliance: ReturnType<typeof geoCompliance>;
  /** The case the next request is served: the app writes these chunks with this type. */
  let serving: { type: string; parts: Buffer[] } = { type: "text/html", parts: [] };
  const rules = russiaNoticeOnlyRules();
  const rule = new RuleStore([rules], () => new Date()).current.rules[0]!;
  const notice = new NoticeRenderer().render(rule, "en", { style: "top", dismissible: false });
  // The notice as a UTF-8 page gets it, and as any other page does (the same bytes when its text is ASCII).
  // A frameset page gets it from a script.
  const forms = [...new Set([notice.utf8.toString("latin1"), notice.ascii.toString("latin1")]), `<script>${framesetNoticeScript(notice.utf8.toString("utf8"))}</script>`];

  before(async () => {
    compliance = geoCompliance({ rules, trustProxy: "loopback", decisionLog: { destination: log }, watch: false });
    const app = express();
    app.use(compliance);
    app.get("/page", (_req, res) => {
      const { type, parts } = serving;
      res.setHeader("Content-Type", type);
      // One piece is sent as a whole body (rewritten at once); several are streamed.
      if (parts.length === 1) {
        res.end(parts[0]);
        return;
      }
      for (const part of parts) res.write(part);
      res.end();
    });
    server = await listen(app);
  });
  after(async () => {
    await server.close();
    await compliance.close();
  });

  async function serve(body: Buffer, offsets: readonly number[], type: string, ip: string): Promise<{ status: number; body: Buffer; line: Record<string, unknown> | undefined }> {
    serving = { type, parts: chunks(body, offsets) };
    const res = await fetch(`${server.url}/page`, { headers: { "X-Forwarded-For": ip, "Accept-Language": "en" } });
    const out = Buffer.from(await res.arrayBuffer());
    const id = res.headers.get(DECISION_HEADER);
    const deadline = Date.now() + 2000;
    let line: Record<string, unknown> | undefined;
    while (!(line = log.decisions().find((l) => l.decision_id === id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    return { status: res.status, body: out, line };
  }

  it("with no actions, the output is the input, byte for byte: through the middleware, and through the rewriter itself", async () => {
    await fc.assert(
      fc.asyncProperty(page(true), cuts, fc.constantFrom(...CONTENT_TYPES), async (body, offsets, type) => {
        // A reader no rule applies to (California, with the Russia rule alone).
        const served = await serve(body, offsets, type, "8.8.8.8");
        expect(served.status).to.equal(200);
        expect(served.body.equals(body)).to.equal(true);
        expect(served.line?.rules).to.deep.equal([]);
        // The rewriter with a plan that asks for nothing: every byte passes as it came.
        const pieces: Buffer[] = [];
        const outcome = newOutcome();
        const mode: CharsetMode | null = type.includes("windows-1251") ? "ascii" : type.includes("utf-8") ? "utf8" : null;
        const rewriter = new HtmlBodyRewriter({ head: null, notices: [], trackers: null }, mode, outcome, (c) => (pieces.push(Buffer.from(c)), true));
        for (const part of chunks(body, offsets)) rewriter.write(part);
        rewriter.end();
        expect(Buffer.concat(pieces).equals(body)).to.equal(true);
        expect(outcome).to.include({ rewritten: false });
        expect(outcome.error).to.equal(undefined);
      }),
      { numRuns: 200 },
    );
  });

  it("with a notice, the output holds exactly one notice and, without it, is the input (with at most end tags closing SVG, MathML or templates, and the closing of a construct left open)", async () => {
    await fc.assert(
      fc.asyncProperty(page(false), cuts, fc.constantFrom(...CONTENT_TYPES), async (body, offsets, type) => {
        const served = await serve(body, offsets, type, "77.88.8.8");
        expect(served.status).to.equal(200);
        expect(served.line?.error).to.equal(undefined);
        const text = served.body.toString("latin1");
        expect(forms.reduce((n, f) => n + text.split(f).length - 1, 0), "notices").to.equal(1);
        const form = forms.find((f) => text.includes(f))!;
        const at = text.indexOf(form);
        const rest = text.slice(0, at) + text.slice(at + form.length);
        const input = body.toString("latin1");
        expect(isInputWithClosings(rest, input), "everything else unchanged").to.equal(true);
      }),
      { numRuns: 200 },
    );
  });

  it("invalid UTF-8 and tags, comments, scripts and attributes left unterminated never reach the reader as an error", async () => {
    const unterminated = fc.constantFrom("<script>var a = '<!--", "<!-- never closed", '<img alt="never closed', "<textarea>", "<style>p{", "<![CDATA[ x", "<body", "<p class='x", "</bo", "<", "<!doctype", "<title>t");
    await fc.assert(
      fc.asyncProperty(page(true), unterminated, invalidBytes, cuts, fc.constantFrom(...CONTENT_TYPES), async (start, end, bad, offsets, type) => {
        const body = Buffer.concat([start, Buffer.from(end), Buffer.from(bad)]);
        const served = await serve(body, offsets, type, "77.88.8.8");
        expect(served.status).to.equal(200);
        expect(served.line, "a decision line").to.not.equal(undefined);
        expect(served.line?.error, "no error in the line").to.equal(undefined);
        expect(served.line?.status).to.equal(200);
        // Every byte of the page arrived, unchanged, around the one notice.
        const text = served.body.toString("latin1");
        const form = forms.find((f) => text.includes(f))!;
        expect(forms.reduce((n, f) => n + text.split(f).length - 1, 0), "one notice").to.equal(1);
        const at = text.indexOf(form);
        const rest = text.slice(0, at) + text.slice(at + form.length);
        const input = body.toString("latin1");
        expect(isInputWithClosings(rest, input)).to.equal(true);
      }),
      { numRuns: 200 },
    );
  });
});
