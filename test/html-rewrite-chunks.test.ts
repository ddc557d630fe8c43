import { expect } from "chai";
import fc from "fast-check";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import { TrackerMatcher } from "../src/actions/trackers/matcher.js";
import { blocksFromPage, onlyPageUrls, plainPageBytes } from "../src/actions/trackers/page-url.js";
import { decodeAttribute } from "../src/actions/notice-selector.js";
import { consent, notice, trackers } from "./support/decisions.js";
import { planOf, rewrite, rewriteInChunks } from "./support/rewrite.js";

// A tag that lies whole in one chunk is read by the scanner's one-pass paths (names from a table,
// attributes skipped without being kept, elements assembled only for the attributes they load
// through); a tag cut by a chunk boundary is read by the full state machine. Both must give the
// same bytes, so a page rewritten whole and the same page cut anywhere must come out the same.

const TRACKER = "www.google-analytics.com";
const name = fc.constantFrom("a", "A", "area", "td", "TH", "table", "p", "div", "img", "IMG", "source", "video", "input", "button", "span", "image", "x-y", "svg", "math", "foreignObject", "font", "é");
const attrName = fc.constantFrom("ping", "PING", "Ping", "style", "STYLE", "background", "autofocus", "AutoFocus", "href", "src", "srcset", "poster", "class", "data-ping", "pingx", "x/", "=a", "'q", "type", "color");
const url = fc.constantFrom(
  `https://${TRACKER}/c`, `//${TRACKER}/p`, `\\\\${TRACKER}/p`, `/\t/${TRACKER}/p`, "/own/path.png", "img/x.png 2x", `https&#58;//${TRACKER}/e`, "a:b", `/x, https://${TRACKER}/y 2x`,
  "url(https://www.google-analytics.com/i.png)", "background:url(//connect.facebook.net/x)", "", "a>b", "/ x",
);
const value = fc.oneof(
  url.map((u) => `="${u}"`),
  url.map((u) => `='${u}'`),
  url.filter((u) => !/[\s>'"]/.test(u) && u !== "").map((u) => `=${u}`),
  fc.constant(""),
  fc.constant("= "),
);
const space = fc.constantFrom(" ", "  ", "\n", "\t", "/", " / ", "");
const attribute = fc.tuple(space, attrName, value).map(([s, n, v]) => `${s === "" ? " " : s}${n}${v}`);
const tag = fc.tuple(name, fc.array(attribute, { maxLength: 4 }), fc.constantFrom(">", "/>", " >", "/ >")).map(([n, attrs, end]) => `<${n}${attrs.join("")}${end}`);
const filler = fc.constantFrom("text ", "\n", "</a>", "</td>", "</p>", "</svg>", "<!-- c -->", "</div>");
const page = fc.array(fc.oneof(tag, filler), { minLength: 1, maxLength: 12 }).map((parts) => `<!doctype html><html><head><title>t</title></head><body>${parts.join("")}</body></html>`);

describe("HTML rewrite: a page cut anywhere comes out as the page whole", function () {
  this.timeout(120000);

  for (const [label, actions] of [
    ["notice + list trackers + consent (autofocus dropped under the notice)", [notice({ at: "body-start" }), trackers("list"), consent()]],
    ["list trackers alone", [trackers("list")]],
    ["third-party trackers", [trackers("third-party")]],
  ] as const) {
    it(label, () => {
      const plan = planOf([...actions]);
      fc.assert(
        fc.property(page, fc.array(fc.nat(400), { maxLength: 6 }), (html, cuts) => {
          const body = Buffer.from(html);
          // An attribute name cut by a chunk boundary is taken for a needle of its length, to be safe:
          // such a tag may lose its autofocus where the whole page keeps it (and nothing else).
          const cut = (out: Buffer): string => out.toString("latin1").replace(/(data-geo-compliance-)?autofocus/gi, "autofocus");
          const whole = cut(rewrite(body, plan).out);
          expect(cut(rewriteInChunks(body, cuts, plan).out)).to.equal(whole);
          // Cut after every byte: no tag is read by a one-pass path.
          expect(cut(rewriteInChunks(body, [...Array(body.length).keys()], plan).out)).to.equal(whole);
        }),
        { numRuns: 300, seed: 13 },
      );
    });
  }

  it("a tracker in ping, background, style or srcset of an element assembled only for those is still switched off", () => {
    const plan = planOf([notice({ at: "body-start" }), trackers("list")]);
    const cases = [
      `<a href=/x PING="https://${TRACKER}/p">x</a>`,
      `<td background="//${TRACKER}/b.png">`,
      `<table style="background:url(https://${TRACKER}/t.png)">`,
      `<area ping='\\\\${TRACKER}/p'>`,
      `<th Background=https://${TRACKER}/b.png>`,
    ];
    for (const c of cases) {
      const out = rewrite(`<html><body>${c}</body></html>`, plan).out.toString();
      expect(out, c).to.include('data-geo-compliance-blocked=');
    }
    const focus = rewrite(`<html><body><a href=/x AUTOFOCUS>x</a></body></html>`, plan).out.toString();
    expect(focus).to.include("data-geo-compliance-autofocus");
  });

  it("an element left unassembled when its URLs stay on the page is switched off when one leaves it", () => {
    // Media elements are read whole only for a URL attribute whose bytes may name a scheme or a host
    // (a character reference may hide one), for style, or for autofocus under a top notice.
    const plan = planOf([notice({ at: "body-start" }), trackers("list")]);
    const cases = [
      `<img src="https&#58;//${TRACKER}/p.gif">`,
      `<img src="/a.png" srcset="/a.png 1x, //${TRACKER}/b.png 2x">`,
      `<IMG SRC=https://${TRACKER}/p.gif>`,
      `<video poster=https://${TRACKER}/p.jpg src=/v.mp4></video>`,
      `<picture><source SRCSET='\\\\${TRACKER}/x 2x'><img src=/x></picture>`,
      `<audio src="/\t/${TRACKER}/a.mp3"></audio>`,
      `<video><track src="/&#x2F;/${TRACKER}/t.vtt"></video>`,
      `<img src="/x" style="background:url(//${TRACKER}/b)">`,
      `<img src = 'https://${TRACKER}/p.gif' alt=x>`,
    ];
    for (const c of cases) {
      const out = rewrite(`<html><body>${c}</body></html>`, plan).out.toString();
      expect(out, c).to.include("data-geo-compliance-blocked=");
    }
    const own = rewrite(`<html><body><img src="/own.png" srcset="/a.png 2x" alt="a: b"></body></html>`, plan);
    expect(own.out.toString()).to.include(`<img src="/own.png" srcset="/a.png 2x" alt="a: b">`);
    const focus = rewrite(`<html><body><img src=/x autofocus></body></html>`, plan).out.toString();
    expect(focus).to.include("data-geo-compliance-autofocus");
    // On a site the rule blocks, its own paths load from it.
    const blockedSite = planOf([trackers("list")], { host: TRACKER });
    expect(rewrite(`<html><body><img src="/own.png"></body></html>`, blockedSite).out.toString()).to.include("data-geo-compliance-blocked=");
  });
});

describe("<style> content cut anywhere", () => {
  it("is rewritten as the content given whole, up to the end tag the tokenizer reads", () => {
    const plan = planOf([trackers("list")]);
    // Text after the style sheet that reads like CSS stays as it is.
    const text = `<p>url(https://${TRACKER}/t.png)</p>`;
    for (const end of ["</style>", "</STYLE >", "</style/>", "</StYlE\n>"]) {
      const css = `a{background:url(https://${TRACKER}/x.png)} .b{content:"</stylex>"} .d{background:url(//${TRACKER}/y)}`;
      const body = Buffer.from(`<html><head><style>${css}${end}${text}</head></html>`);
      const whole = rewrite(body, plan).out.toString("latin1");
      expect(whole, end).not.to.include(`url(https://${TRACKER}/x.png)`);
      expect(whole, end).not.to.include(`url(//${TRACKER}/y)`);
      expect(whole, end).to.include(`${end}${text}`);
      for (let cut = 1; cut < body.length; cut++) expect(rewriteInChunks(body, [cut], plan).out.toString("latin1"), `${end} cut at ${cut}`).to.equal(whole);
      expect(rewriteInChunks(body, [...Array(body.length).keys()], plan).out.toString("latin1"), end).to.equal(whole);
    }
  });
});

describe("URLs in markup that need no verdict of their own", () => {
  const list = loadShippedTrackerList();
  const piece = fc.constantFrom("a", "/", ".", "?", "#", "%2F", "x.png", " ", ",", "2x", "é", "\u0000", "@", "&", "=", ";", "~");
  const value = fc.array(piece, { maxLength: 10 }).map((p) => p.join(""));

  it("resolve to the page's own host, whichever way the value is split into URLs", () => {
    for (const mode of ["list", "third-party"] as const) {
      const matcher = new TrackerMatcher([trackers(mode)], list, "ledger.example");
      fc.assert(
        fc.property(value, (v) => {
          if (!onlyPageUrls(matcher, v)) return;
          for (const u of [v, ...v.split(/[\s,;]+/)]) {
            expect(new URL(u, "http://ledger.example/").hostname, u).to.equal("ledger.example");
            expect(blocksFromPage(matcher, u), u).to.equal(null);
          }
        }),
        { numRuns: 2000, seed: 13 },
      );
    }
  });

  it("are such by their bytes only when the decoded value is such", () => {
    // The bytes of a value as they are in the markup, before character references are decoded.
    const matcher = new TrackerMatcher([trackers("list")], list, "ledger.example");
    const raw = fc.array(fc.constantFrom("a", "/", ":", "\\", "\t", "\n", "\r", "&", "&#58;", "&colon;", "&sol;", "&#x2F;", "é", " ", "x.png 2x,"), { maxLength: 8 }).map((p) => p.join(""));
    fc.assert(
      fc.property(raw, (v) => {
        const bytes = Buffer.from(v);
        if (!plainPageBytes(bytes, 0, bytes.length)) return;
        expect(onlyPageUrls(matcher, decodeAttribute(bytes.toString("latin1"))), v).to.equal(true);
      }),
      { numRuns: 2000, seed: 13 },
    );
    expect(plainPageBytes(Buffer.from("/a.png 1x, /b.png 2x"), 0, 20)).to.equal(true);
    for (const v of ["https://x/", "//x/", "/\t/x", "\\\\x/", "/&#47;/x", "a:b"]) expect(plainPageBytes(Buffer.from(v), 0, Buffer.byteLength(v)), v).to.equal(false);
  });

  it("are not taken for such when they name a scheme or a host, or the page's own host is blocked", () => {
    const matcher = new TrackerMatcher([trackers("list")], list, "ledger.example");
    for (const v of ["https://x/", "//x/", "\\\\x/", "/\t/x", "/\n/x", "a:b", "/ok, //x/y"]) expect(onlyPageUrls(matcher, v), v).to.equal(false);
    expect(onlyPageUrls(matcher, "/own.png")).to.equal(true);
    const own = new TrackerMatcher([trackers("list")], list, TRACKER);
    expect(onlyPageUrls(own, "/own.png")).to.equal(false);
    expect(blocksFromPage(own, "/own.png")).to.equal("Google Analytics");
  });

  it("that the parser resolves against the page get each page's verdict, however often they come", () => {
    // A leading space is stripped by the URL parser: the path is the page's own, whichever host that is.
    const theirs = new TrackerMatcher([trackers("list")], list, TRACKER);
    const ours = new TrackerMatcher([trackers("list")], list, "ledger.example");
    for (let round = 0; round < 3; round++) {
      expect(blocksFromPage(theirs, " /p.gif"), `round ${round}`).to.equal("Google Analytics");
      expect(blocksFromPage(ours, " /p.gif"), `round ${round}`).to.equal(null);
      expect(blocksFromPage(ours, `https://${TRACKER}/p.gif`), `round ${round}`).to.equal("Google Analytics");
      expect(blocksFromPage(ours, "http://[::1/"), `round ${round}`).to.equal(null);
    }
  });
});

describe("inline scripts judged once and their verdicts kept", () => {
  // The same script text on every request (a nonce changes only the tag): the verdict kept for it
  // must be the one each reader's rules and page host give.
  const script = (nonce: string) => `<!doctype html><html><head><script nonce="${nonce}">fetch("https://cdn.partner.example/x.js")</script></head><body><p>x</p></body></html>`;
  const blocked = (page: string, plan: ReturnType<typeof planOf>) => rewrite(page, plan).out.toString().includes("data-geo-compliance-blocked");

  it("follow the rules, the allowlist and the page's host, not the first reader's", () => {
    const thirdParty = planOf([trackers("third-party")]);
    const allowed = planOf([trackers("third-party", ["partner.example"])]);
    const listOnly = planOf([trackers("list")]);
    const ownSite = planOf([trackers("third-party")], { host: "www.partner.example" });
    for (let round = 0; round < 2; round++) {
      for (const nonce of ["a1", "b2"]) {
        expect(blocked(script(nonce), thirdParty), `third-party, round ${round}`).to.equal(true);
        expect(blocked(script(nonce), allowed), `allowed, round ${round}`).to.equal(false);
        expect(blocked(script(nonce), listOnly), `list, round ${round}`).to.equal(false);
        expect(blocked(script(nonce), ownSite), `own site, round ${round}`).to.equal(false);
      }
    }
  });

  it("tell an import map from a script of the same text", () => {
    // As a script it only holds the URL; as an import map it maps a module to a third party.
    const map = `{"imports":{"a":"https://cdn.partner.example/a.js"}}`;
    const plan = planOf([trackers("third-party")]);
    for (let round = 0; round < 2; round++) {
      expect(rewrite(`<script>${map}</script>`, plan).out.toString(), `script, round ${round}`).not.to.include("data-geo-compliance-blocked");
      expect(rewrite(`<script type="importmap">${map}</script>`, plan).out.toString(), `import map, round ${round}`).to.include("data-geo-compliance-blocked");
    }
  });
});

describe("start tags, <noscript> and <style> content judged once and their verdicts kept", () => {
  // A site sends these parts unchanged on every request: each reader must still get the verdict
  // that reader's rules, page host and notice give, and the count of what was switched off.
  const page = (token: string) =>
    `<!doctype html><html><head><meta name="csrf" content="${token}"><link rel="stylesheet" href="https://cdn.partner.example/a.css">` +
    `<style>body{background:url(https://cdn.partner.example/b.png)}</style></head>` +
    `<body><noscript><img src="https://cdn.partner.example/p.gif"></noscript><input autofocus src="https://cdn.partner.example/i.png" type="image"><p>${token}</p></body></html>`;
  const plans = {
    thirdParty: planOf([trackers("third-party")]),
    allowed: planOf([trackers("third-party", ["partner.example"])]),
    ownSite: planOf([trackers("third-party")], { host: "www.partner.example" }),
    withNotice: planOf([notice({ at: "body-start" }), trackers("third-party")]),
  };

  it("follow the rules, the allowlist, the page's host and the notice, not the first reader's", () => {
    for (let round = 0; round < 2; round++) {
      for (const token of ["a1", "b2"]) {
        for (const [name, plan] of Object.entries(plans)) {
          const { out, outcome } = rewrite(page(token), plan);
          const html = out.toString();
          const blocking = name === "thirdParty" || name === "withNotice";
          const at = `${name}, round ${round}, token ${token}`;
          expect(outcome.trackersNeutralized, at).to.equal(blocking ? 4 : 0);
          expect(html.includes('data-geo-compliance-href="https://cdn.partner.example/a.css"'), at).to.equal(blocking);
          expect(html.includes("url(https://cdn.partner.example/b.png)"), at).to.equal(!blocking);
          expect(html.includes('<img src="https://cdn.partner.example/p.gif">'), at).to.equal(!blocking);
          expect(html.includes("data-geo-compliance-autofocus"), at).to.equal(name === "withNotice");
          expect(html, at).to.include(`<p>${token}</p>`);
        }
      }
    }
  });
});
