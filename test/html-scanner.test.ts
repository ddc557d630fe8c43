import { expect } from "chai";
import { countNotices } from "./support/pages.js";
import fc from "fast-check";
import { asciiHtml, renderNotice } from "../src/actions/notice.js";
import { parseSimpleSelector, SelectorError } from "../src/actions/notice-selector.js";
import type { CompiledRule } from "../src/rules/types.js";
import { loadShippedTrackerList, TrackerList } from "../src/actions/trackers/list.js";
import { consent, notice, trackers } from "./support/decisions.js";
import { newsPage } from "./support/news-page.js";
import { isInputWithClosings } from "./support/closings.js";
import { count, noticeBytes, planOf, rewrite, rewriteInChunks } from "./support/rewrite.js";
import { read, TRACKER_HOST } from "./support/tree-reading.js";

const NOTICE = 'data-geo-compliance-notice="ru-undesirable-organization"';
const plan = planOf([notice()]);
const N = noticeBytes(plan).toString();

/** The page with the notice put at `at` (a marker string that is replaced by itself plus the notice). */
function expectInsertedAfter(page: string, marker: string): void {
  const { out } = rewrite(page, plan);
  const i = page.indexOf(marker) + marker.length;
  expect(out.toString()).to.equal(page.slice(0, i) + N + page.slice(i));
}

describe("HTML scanner: where the notice goes", () => {
  it("goes right after <body>, once, everything else byte for byte", () => {
    expectInsertedAfter('<!doctype html><html><head><title>t</title></head><body class="a">\n<p>x</p></body></html>', '<body class="a">');
  });

  it("finds upper-case and mixed-case tags", () => {
    expectInsertedAfter("<!DOCTYPE HTML><HTML><HEAD><TITLE>T</TITLE></HEAD><BODY CLASS=X><P>x</BODY></HTML>", "<BODY CLASS=X>");
    expectInsertedAfter("<Html><Body\tonload=\"f()\">x</Body>", '<Body\tonload="f()">');
  });

  it("is not fooled by '>' inside quoted attribute values", () => {
    expectInsertedAfter(`<body data-x="a>b" title='c>d' data-y=">">text`, `<body data-x="a>b" title='c>d' data-y=">">`);
    // A quote inside an attribute name or an unquoted value does not open a value.
    expectInsertedAfter(`<body a"b=">" c=d"e f='>'>x`, `<body a"b=">" c=d"e f='>'>`);
  });

  it("is not fooled by <body> or </body> in comments, scripts, styles, textareas and titles", () => {
    const page =
      '<html><head><title>a <body> b</title><!-- <body> --><script>var s = "<body></body>"; if (a<b) document.write("<body>");</script>' +
      "<style>body>p{color:red}</style><!-- a > b <body-x> --!> <noscript>x</noscript>" +
      '</head><body id="real"><textarea><body></textarea></body></html>';
    const { out } = rewrite(page, plan);
    expect(count(out.toString(), NOTICE)).to.equal(1);
    expect(out.toString().indexOf(NOTICE)).to.be.greaterThan(page.indexOf('<body id="real">'));
  });

  it("follows the script escape states: </script> inside <!-- <script> … --> does not end the script", () => {
    const page = '<script><!--\ndocument.write("<script src=x></script><body id=fake>");\n//--></script><body id="real">x';
    expectInsertedAfter(page, '<body id="real">');
    // Without the inner <script>, the first </script> ends it, and the tag after it is real.
    expectInsertedAfter('<script><!-- x </script><body id="first">', '<body id="first">');
  });

  it("ends comments the way browsers do: -->, --!>, <!--> and <!--->", () => {
    expectInsertedAfter("<!--> <body id=a><!---> <body id=b><!-- x --!> <body id=c>", "<!--> <body id=a>");
    expectInsertedAfter("<!-- <body id=a> --!><body id=b>", "<body id=b>");
  });

  it("keeps a byte order mark first", () => {
    const page = "\ufeff<!doctype html><title>t</title><body>x";
    const { out } = rewrite(page, plan);
    expect(out.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).to.equal(true);
    expect(out.toString()).to.equal(page.replace("<body>", `<body>${N}`));
  });

  it("with no <body> tag, goes where the body begins: before the first element or text that is not head content", () => {
    const p1 = "<!doctype html><html><head><title>t</title><meta charset=utf-8><script>x()</script></head><div>hi</div>";
    expect(rewrite(p1, plan).out.toString()).to.equal(p1.replace("<div>", `${N}<div>`));
    const p2 = "<title>t</title>\n  Hello world";
    expect(rewrite(p2, plan).out.toString()).to.equal(p2.replace("Hello", `${N}Hello`));
    const p3 = "<title>only a head</title>";
    expect(rewrite(p3, plan).out.toString()).to.equal(p3 + N);
    // Text inside <noscript> in the head is not where the body starts.
    const p4 = "<head><noscript><img src=/p.gif>Enable JS</noscript></head><p>x";
    expect(rewrite(p4, plan).out.toString()).to.equal(p4.replace("<p>", `${N}<p>`));
  });

  it("survives invalid markup: stray '<', unclosed tags, bogus comments, a page cut inside a tag or comment", () => {
    const pages = [
      "<p>1 < 2 and 3 <> 4 </> <? php ?> <!x> <a href=x <b>bold</b><body>tail",
      "<div><span><p>unclosed<body><div",
      "<body>x<!-- never closed",
      '<body>x<img alt="never closed',
      "<body>x<script>never closed",
    ];
    for (const page of pages) {
      const { out, outcome } = rewrite(page, plan);
      const text = out.toString();
      expect(count(text, NOTICE), page).to.equal(1);
      expect(outcome.error, page).to.equal(undefined);
      // Nothing of the page is lost or changed.
      expect(text.replace(N, ""), page).to.satisfy((t: string) => t.startsWith(page) || t.replace(/(-->|">|<\/script>)$/, "") === page);
    }
    // The notice after an unclosed comment is not inside it.
    expect(rewrite("<!-- x", plan).out.toString()).to.equal(`<!-- x-->${N}`);
  });

  it("scans SVG and MathML without raw-text elements, with CDATA", () => {
    const end = planOf([notice({ at: "body-end" })]);
    const page = "<body><svg><![CDATA[ a > </body> ]]><style> a > b {} </style></svg><math><mi>x</mi></math></body>";
    expect(rewrite(page, end).out.toString()).to.equal(page.replace("</math></body>", `</math>${noticeBytes(end)}</body>`));
  });

  it("gives the same bytes whatever the chunking", () => {
    const actions = [notice(), trackers("list"), consent()];
    const full = planOf(actions);
    const page = Buffer.from(newsPage(30 * 1024));
    const whole = rewrite(page, full).out;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: page.length - 1 }), { maxLength: 40 }), (cuts) => {
        expect(rewriteInChunks(page, cuts, full).out.equals(whole)).to.equal(true);
      }),
      { numRuns: 60 },
    );
    // Every byte on its own is the worst case.
    expect(rewriteInChunks(page, Array.from({ length: page.length }, (_, i) => i), full).out.equals(whole)).to.equal(true);
  });

  it("on arbitrary markup, adds exactly one notice and changes nothing else", () => {
    const pieces = ["<", ">", "</", "<!--", "-->", "--!>", "<!", "<?", '"', "'", "=", " ", "\n", "a", "<body>", "</body>", "<BODY x='>'>", "<script>", "</script>", "<style>", "</style>", "<title>", "</title>", "<textarea>", "<svg>", "</svg>", "<![CDATA[", "]]>", "<p>", "<div id=x>", "<head>", "é", "\u00a0"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 60 }), fc.array(fc.nat(400), { maxLength: 6 }), (parts, cuts) => {
        const page = Buffer.from(parts.join(""));
        const { out, outcome } = rewriteInChunks(page, cuts, plan);
        expect(outcome.error).to.equal(undefined);
        const text = out.toString("latin1");
        const n = noticeBytes(plan).toString("latin1");
        expect(count(text, n)).to.equal(1);
        const at = text.indexOf(n);
        const rest = text.slice(0, at) + text.slice(at + n.length);
        // What the page had is there unchanged; at most end tags closing SVG (and a closing sequence at the end) were added.
        expect(isInputWithClosings(rest, page.toString("latin1"))).to.equal(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("HTML scanner: placements", () => {
  const page = '<body><header id="top"><div class="slot wide" data-slot=notice><p>old</p><div>inner</div></div></header><main>m</main></body>';

  it("puts the notice at the end of <body>, before the first real </body>", () => {
    const p = planOf([notice({ at: "body-end" })]);
    const n = noticeBytes(p).toString();
    const html = "<body><p>x</p><!-- </body> --><script>'</body>'</script></body></html>";
    expect(rewrite(html, p).out.toString()).to.equal(html.replace("</body></html>", `${n}</body></html>`));
    expect(n).to.contain('data-geo-compliance-placement="bottom"').and.contain("position:sticky;bottom:0");
  });

  it("prepends, appends and replaces at a simple selector, counting nested elements of the same name", () => {
    const pre = planOf([notice({ at: "selector", selector: "div.slot[data-slot=notice]", mode: "prepend" })]);
    expect(rewrite(page, pre).out.toString()).to.equal(page.replace("<div class=\"slot wide\" data-slot=notice>", `$&${noticeBytes(pre)}`));
    const app = planOf([notice({ at: "selector", selector: ".wide", mode: "append" })]);
    expect(rewrite(page, app).out.toString()).to.equal(page.replace("<div>inner</div></div>", `<div>inner</div>${noticeBytes(app)}</div>`));
    const rep = planOf([notice({ at: "selector", selector: "[data-slot=notice]", mode: "replace" })]);
    expect(rewrite(page, rep).out.toString()).to.equal(page.replace('<div class="slot wide" data-slot=notice><p>old</p><div>inner</div></div>', noticeBytes(rep).toString()));
    const id = planOf([notice({ at: "selector", selector: "#top", mode: "prepend" })]);
    expect(rewrite(page, id).out.toString()).to.equal(page.replace('<header id="top">', `$&${noticeBytes(id)}`));
  });

  it("replaces a void element, and falls back to the end of <body> with a note when nothing matches", () => {
    const rep = planOf([notice({ at: "selector", selector: "hr#slot", mode: "replace" })]);
    expect(rewrite("<body><hr id=slot><p>x</p></body>", rep).out.toString()).to.equal(`<body>${noticeBytes(rep)}<p>x</p></body>`);
    const none = planOf([notice({ at: "selector", selector: "#missing", mode: "prepend" })]);
    const { out, outcome } = rewrite(page, none);
    expect(out.toString()).to.equal(page.replace("</body>", `${none.notices[0]!.fallback.utf8}</body>`));
    expect(outcome.notes.join()).to.contain('no element matches "#missing"');
  });

  it("accepts only the simple-selector subset, and says what is wrong and where", () => {
    expect(parseSimpleSelector("main#content.wide[data-x='y z'][hidden]")).to.deep.include({ tag: "main", id: "content", classes: ["wide"] });
    for (const [bad, where] of [
      ["main .x", 5],
      ["div > p", 4],
      ["a:hover", 2],
      ["a, b", 2],
      ["[x~=y]", 3],
      ["", 1],
    ] as const) {
      expect(() => parseSimpleSelector(bad), bad).to.throw(SelectorError, `at character ${where}`);
    }
  });
});

describe("notice markup", () => {
  const rule = (texts: Record<string, { title: string; text: string; html?: string }>, defaultLanguage = "en"): CompiledRule =>
    ({ id: "r-1", notice: { defaultLanguage, languages: Object.keys(texts), texts } }) as unknown as CompiledRule;

  it("escapes plain text, marks the language and the direction, and labels the landmark", () => {
    const { html } = renderNotice(rule({ he: { title: "אזהרה", text: "<script>alert(1)</script> & more" } }, "he"), "he");
    expect(html).to.contain('lang="he" dir="rtl"').and.contain('role="region" aria-label="אזהרה"').and.contain('data-geo-compliance-notice="r-1"');
    expect(html).to.contain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more").and.not.contain("<script>");
    expect(asciiHtml("אז")).to.equal("&#1488;&#1494;");
  });

  it("uses the checked markup a rule gives, and a dismiss button only when dismissible", () => {
    const r = rule({ en: { title: "T", text: "plain", html: '<p>See <a href="https://example.org/law">the law</a>.</p>' } });
    const plain = renderNotice(r, "en");
    expect(plain.html).to.contain('<a href="https://example.org/law">the law</a>').and.not.contain("geo-compliance-notice__dismiss");
    expect(plain.scripts).to.deep.equal([]);
    const dismissible = renderNotice(r, "en", { dismissible: true });
    expect(dismissible.html).to.contain('class="geo-compliance-notice__dismiss" aria-label="Close"');
    expect(dismissible.scripts).to.have.length(1);
  });
});

describe("HTML scanner: charsets", () => {
  it("writes the notice as ASCII with numeric character references when the page is not UTF-8", () => {
    const ru = planOf([notice({ at: "body-start" }, { language: "ru" })]);
    const ascii = noticeBytes(ru, true);
    expect([...ascii].every((b) => b < 0x80)).to.equal(true);
    expect(ascii.toString()).to.contain("&#1055;"); // П
    const page = Buffer.concat([Buffer.from("<html><head><meta charset=windows-1251></head><body>"), Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]), Buffer.from("</body>")]);
    // No charset in the header: the <meta> decides.
    const { out } = rewrite(page, ru, null);
    expect(out.equals(Buffer.concat([page.subarray(0, page.indexOf("<body>") + 6), ascii, page.subarray(page.indexOf("<body>") + 6)]))).to.equal(true);
    // A UTF-8 page gets UTF-8.
    expect(rewrite("<meta charset=utf-8><body>", ru, null).out.toString()).to.contain("Предупреждение");
  });

  it("leaves UTF-16 pages as they are", () => {
    const page = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("<body>x</body>", "utf16le")]);
    const { out, outcome } = rewrite(page, plan, null);
    expect(out.equals(page)).to.equal(true);
    expect(outcome.notes.join()).to.contain("UTF-16");
  });
});

describe("HTML scanner: trackers", () => {
  const list = planOf([trackers("list")]);
  /** The rewrite without the guard script, which goes in first everywhere. */
  const rewriteBody = (page: string, p = list): { text: string; outcome: ReturnType<typeof rewrite>["outcome"] } => {
    const { out, outcome } = rewrite(page, p);
    const text = out.toString("latin1");
    const head = p.head!.toString("latin1");
    expect(text, "the guard goes in once").to.satisfy((t: string) => count(t, head) === 1);
    return { text: Buffer.from(text.replace(head, ""), "latin1").toString(), outcome };
  };

  it("neutralizes script src, iframes, pixels, preconnects, noscript pixels and pings in the consent-manager form", () => {
    const cases: Array<[string, string]> = [
      ['<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>', '<script type="text/plain" data-geo-compliance-blocked="Google Tag Manager" async data-geo-compliance-src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>'],
      ["<SCRIPT TYPE=text/javascript SRC=//mc.yandex.ru/metrika/tag.js></SCRIPT>", '<SCRIPT type="text/plain" data-geo-compliance-blocked="Yandex Metrica and Yandex Advertising Network" data-geo-compliance-type=text/javascript data-geo-compliance-src=//mc.yandex.ru/metrika/tag.js></SCRIPT>'],
      ['<iframe src="https://www.facebook.com/plugins/like.php" width=90></iframe>', '<iframe data-geo-compliance-blocked="Meta Pixel and Facebook SDK" data-geo-compliance-src="https://www.facebook.com/plugins/like.php" width=90></iframe>'],
      ['<img src="https://www.facebook.com/tr?id=1&amp;ev=PageView" height=1 width=1>', '<img data-geo-compliance-blocked="Meta Pixel and Facebook SDK" data-geo-compliance-src="https://www.facebook.com/tr?id=1&amp;ev=PageView" height=1 width=1>'],
      ['<link rel="preconnect" href="https://www.google-analytics.com">', '<link data-geo-compliance-blocked="Google Analytics" rel="preconnect" data-geo-compliance-href="https://www.google-analytics.com">'],
      ['<link rel=dns-prefetch href="//connect.facebook.net">', '<link data-geo-compliance-blocked="Meta Pixel and Facebook SDK" rel=dns-prefetch data-geo-compliance-href="//connect.facebook.net">'],
      ['<a href="/subscribe" ping="https://ping.chartbeat.net/p">S</a>', '<a data-geo-compliance-blocked="Chartbeat" href="/subscribe" data-geo-compliance-ping="https://ping.chartbeat.net/p">S</a>'],
      // Attribution Reporting: each URL of the list is requested, as the page loads or on a click.
      ['<img src="/p.gif" attributionsrc="/ok https://www.facebook.com/tr">', '<img data-geo-compliance-blocked="Meta Pixel and Facebook SDK" src="/p.gif" data-geo-compliance-attributionsrc="/ok https://www.facebook.com/tr">'],
      // A script that registers with a tracker is switched off whole, as one loaded from it is.
      ['<script src="/app.js" attributionsrc="https://mc.yandex.ru/a"></script>', '<script type="text/plain" data-geo-compliance-blocked="Yandex Metrica and Yandex Advertising Network" src="/app.js" data-geo-compliance-attributionsrc="https://mc.yandex.ru/a"></script>'],
      ['<a href="/s" attributionsrc="https://ping.chartbeat.net/p">S</a>', '<a data-geo-compliance-blocked="Chartbeat" href="/s" data-geo-compliance-attributionsrc="https://ping.chartbeat.net/p">S</a>'],
      ['<noscript><img src="https://mc.yandex.ru/watch/1" alt=""></noscript>', '<noscript><img data-geo-compliance-blocked="Yandex Metrica and Yandex Advertising Network" data-geo-compliance-src="https://mc.yandex.ru/watch/1" alt=""></noscript>'],
      // Entities and tabs do not hide a host from the browser, so they do not hide it here.
      ['<img src="https&colon;//www.google&#x2d;analytics.com/collect">', '<img data-geo-compliance-blocked="Google Analytics" data-geo-compliance-src="https&colon;//www.google&#x2d;analytics.com/collect">'],
    ];
    for (const [input, expected] of cases) {
      const page = `<body>${input}</body>`;
      const { text, outcome } = rewriteBody(page);
      expect(text, input).to.equal(`<body>${expected}</body>`);
      expect(outcome.trackersNeutralized, input).to.equal(1);
    }
  });

  it("leaves first-party and look-alike hosts, relative URLs, links without ping and data scripts alone", () => {
    const page =
      '<body><script src="/static/app.js"></script><img src="https://google-analytics.com.evil.example/x.gif"><a href="https://www.facebook.com/ledger">f</a>' +
      '<script type="application/ld+json">{"url":"https://www.googletagmanager.com/"}</script><link rel="canonical" href="https://twitter.com/x"></body>';
    const { text, outcome } = rewriteBody(page);
    expect(text).to.equal(page);
    expect(outcome.trackersNeutralized).to.equal(0);
  });

  it("neutralizes the usual inline snippets: gtag/GTM, fbq, ym, _tmr, twq, lintrk, ttq, hj, clarity", () => {
    const snippets = [
      "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());gtag('config','G-1');",
      "(function(w,d,s,l,i){j.src='https://www.googletagmanager.com/gtm.js?id='+i;})(window,document,'script','dataLayer','GTM-1');",
      "fbq('init','1');fbq('track','PageView');",
      'ym(12345, "init", {clickmap:true});',
      'var _tmr = window._tmr || (window._tmr = []); _tmr.push({id: "1", type: "pageView"});',
      "twq('config','abc');",
      '_linkedin_partner_id = "1"; window.lintrk = function(a,b){};',
      "ttq.load('C1'); ttq.page();",
      "(function(h,o,t,j,a,r){h.hj=h.hj||function(){};h._hjSettings={hjid:1,hjsv:6};})(window,document,'https://static.hotjar.com/c/hotjar-','.js?sv=');",
      '(function(c,l,a,r,i,t,y){c[a]=c[a]||function(){};})(window, document, "clarity", "script", "abc");',
      'var nr = {beacon:"bam.nr-data.net"};',
    ];
    for (const code of snippets) {
      const page = `<body><script>${code}</script></body>`;
      const { text, outcome } = rewriteBody(page);
      expect(text, code).to.match(/^<body><script type="text\/plain" data-geo-compliance-blocked="[^"]+">/);
      expect(text, code).to.contain(code);
      expect(outcome.trackersNeutralized, code).to.equal(1);
    }
    const own = "<body><script>document.body.className += ' js'; if (a < b) { gtagLike = 1 }</script></body>";
    expect(rewriteBody(own).text).to.equal(own);
  });

  it("in third-party mode, blocks every host but the site's own and the allowlist", () => {
    const tp = planOf([trackers("third-party", ["cdn-ledger.net"])], { host: "www.ledger.example" });
    const page =
      '<body><script src="https://static.ledger.example/app.js"></script><script src="https://assets.cdn-ledger.net/x.js"></script>' +
      '<script src="https://widgets.example-comments.com/embed.js"></script><img src="https://images.unknown-cdn.org/a.jpg"><script src="/rel.js"></script></body>';
    const { text, outcome } = rewriteBody(page, tp);
    expect(outcome.trackersNeutralized).to.equal(2);
    expect(text).to.contain('<script src="https://static.ledger.example/app.js">').and.contain('<script src="https://assets.cdn-ledger.net/x.js">');
    expect(text).to.contain('<script type="text/plain" data-geo-compliance-blocked="third-party" data-geo-compliance-src="https://widgets.example-comments.com/embed.js">');
    expect(text).to.contain('<img data-geo-compliance-blocked="third-party" data-geo-compliance-src="https://images.unknown-cdn.org/a.jpg">');
  });

  it("puts the guard and the consent defaults first in <head>, before any tag that loads or runs anything", () => {
    const p = planOf([trackers("list"), consent({ analytics_storage: "granted" })]);
    const page = '<!doctype html><html><head><meta charset="utf-8"><title>t</title><script src="/a.js"></script></head><body></body></html>';
    const text = rewrite(page, p).out.toString();
    const head = p.head!.toString();
    expect(text).to.equal(page.replace('<script src="/a.js">', `${head}<script src="/a.js">`));
    expect(head.indexOf('data-geo-compliance="guard"')).to.be.lessThan(head.indexOf('data-geo-compliance="consent"'));
    expect(head).to.contain('"analytics_storage":"granted"').and.contain('"ad_storage":"denied"').and.contain('window.gtag("consent","default"');
    // Before a <meta http-equiv=Content-Security-Policy>, which would apply to scripts after it.
    const csp = '<head><meta charset=utf-8><meta http-equiv="Content-Security-Policy" content="script-src \'self\'"></head>';
    expect(rewrite(csp, p).out.toString()).to.equal(csp.replace("<meta http-equiv", `${head}<meta http-equiv`));
  });

  it("sends the page unchanged when the rewrite throws, with the notice it owes after it, and says so", () => {
    const shipped = loadShippedTrackerList();
    const faulty = Object.create(shipped, {
      match: {
        value(host: string) {
          if (String(host).includes("facebook")) throw new Error("list exploded");
          return shipped.match(host);
        },
      },
    }) as TrackerList;
    const p = planOf([notice(), trackers("list")], {}, faulty);
    const page = Buffer.from(newsPage(40 * 1024));
    const { out, outcome } = rewrite(page, p);
    expect(out.subarray(0, page.length).equals(page)).to.equal(true);
    // The notice, owed since nothing of the rewrite was kept, as the script that shows it.
    expect(out.subarray(page.length).toString()).to.match(/^<script>[^<]*<\/script>$/);
    expect(countNotices(out.toString())).to.equal(1);
    expect(outcome.error).to.contain("list exploded");
    // Streamed, what was not yet sent goes out unchanged from the point of failure (in <head>, before the notice's place), and the notice's script follows.
    const streamed = rewriteInChunks(page, [1000, 5000, 20000], p);
    expect(streamed.outcome.error).to.contain("list exploded").and.contain("with its notice shown by a script at its end");
    const text = streamed.out.toString();
    const tail = page.toString().slice(page.toString().indexOf("connect.facebook.net") - 200);
    expect(text.includes(tail)).to.equal(true);
    expect(text.slice(text.indexOf(tail) + tail.length)).to.match(/^<script>[^<]*<\/script>$/);
    expect(countNotices(text)).to.equal(1);
  });

  it("switches off an inline script too long to inspect under a list rule, and sends it as it is under a third-party rule, noting each", () => {
    const big = `<body><script>${"x=1;".repeat(200_000)}fbq('init','1')</script></body>`;
    const page = Buffer.from(big);
    const cuts = Array.from({ length: Math.ceil(page.length / 65536) }, (_, i) => i * 65536);
    const listed = rewriteInChunks(page, cuts, list);
    const text = listed.out.toString().replace(list.head!.toString(), "");
    // In list mode nothing but the rewrite stops it: it may be a tracker's, so it does not run.
    expect(text).to.equal(big.replace("<script>", '<script type="text/plain" data-geo-compliance-blocked="uninspected">'));
    expect(listed.outcome.notes.join()).to.contain("an inline script longer than the inspection limit was switched off");
    // In third-party mode the policy holds whatever the script does: it runs.
    const thirdParty = planOf([trackers("third-party")]);
    const sent = rewriteInChunks(page, cuts, thirdParty);
    expect(sent.out.toString().replace(thirdParty.head!.toString(), "") === big, "unchanged").to.equal(true);
    expect(sent.outcome.notes.join()).to.contain("an inline script longer than the inspection limit went out uninspected");
  });

  it("switches off a start tag too long to inspect under a list rule, by attributes put before its own, and sends it as it is under a third-party rule", () => {
    // Any URL: what the tag holds is not read.
    const tracker = `https://${TRACKER_HOST}/collect`;
    const filler = "x".repeat(70_000);
    const cases: Array<[string, string]> = [
      [`<img data-a="${filler}" src="${tracker}" srcset="${tracker} 2x">`, ' data-geo-compliance-blocked="uninspected" src="" srcset="" attributionsrc="" style=""'],
      [`<script data-a="${filler}" src="${tracker}"></script>`, ' data-geo-compliance-blocked="uninspected" type="text/plain" src="" href="" xlink:href="" attributionsrc="" style=""'],
      [`<link data-a="${filler}" rel=preconnect href="${tracker}">`, ' data-geo-compliance-blocked="uninspected" rel="" href="" imagesrcset="" style=""'],
      [`<iframe data-a="${filler}" srcdoc="<img src=${tracker}>"></iframe>`, ' data-geo-compliance-blocked="uninspected" srcdoc="" src="" style=""'],
      [`<div data-a="${filler}" style="background:url(${tracker})">t</div>`, ' data-geo-compliance-blocked="uninspected" style=""'],
      [`<IMG\ndata-a="${filler}" src=${tracker}>`, ' data-geo-compliance-blocked="uninspected" src="" srcset="" attributionsrc="" style=""'],
    ];
    for (const [tag, first] of cases) {
      const big = `<body><p>a</p>${tag}<p>b</p></body>`;
      const page = Buffer.from(big);
      const name = /^<(\w+)/.exec(tag)![1]!;
      const at = big.indexOf(tag) + 1 + name.length;
      // Within one chunk a tag is read however long it is; the limit is on what is held across chunks.
      for (const cuts of [[at - 2, at + 30_000, at + 66_000], Array.from({ length: 40 }, (_, i) => 20 + i * 2_000)]) {
        const listed = rewriteInChunks(page, cuts, list);
        const text = listed.out.toString().replace(list.head!.toString(), "");
        expect(text, `${name} cut at ${cuts.join()}`).to.equal(big.slice(0, at) + first + big.slice(at));
        // As the standard's tree builder reads it: the first attribute of each name counts.
        expect(read(listed.out, list.head).active, name).to.deep.equal([]);
        expect(listed.outcome.notes.join()).to.contain(`a <${name.toLowerCase()}> tag longer than the inspection limit was switched off`);
      }
      const thirdParty = planOf([trackers("third-party")]);
      const sent = rewriteInChunks(page, [at + 66_000], thirdParty);
      expect(sent.out.toString().replace(thirdParty.head!.toString(), "") === big, "unchanged").to.equal(true);
      expect(sent.outcome.notes.join()).to.contain("tag longer than the inspection limit went out uninspected");
    }
  });

});
