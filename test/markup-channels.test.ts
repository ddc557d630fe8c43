import { expect } from "chai";
import { cssUrls, neutralizeCss } from "../src/actions/trackers/css.js";
import { refreshUrl } from "../src/actions/trackers/neutralize.js";
import { UNHIDE_STYLE } from "../src/actions/trackers/prehiding.js";
import type { ResponsePlan } from "../src/http/body-rewrite.js";
import { notice, trackers } from "./support/decisions.js";
import { count, planOf, rewrite, rewriteInChunks } from "./support/rewrite.js";

const LIST = planOf([trackers("list")]);
const THIRD_PARTY = planOf([trackers("third-party")], { host: "www.ledger.example" });
const GA = "Google Analytics";

/** The rewritten page without the guard script, which goes in first everywhere. */
function body(page: string, plan: ResponsePlan): { text: string; neutralized: number } {
  const { out, outcome } = rewrite(page, plan);
  const text = out.toString("latin1");
  const head = plan.head?.toString("latin1") ?? "";
  return { text: Buffer.from(head === "" ? text : text.replace(head, ""), "latin1").toString(), neutralized: outcome.trackersNeutralized };
}

/** The same rewrite when the page comes in chunks of these sizes, which the scanner and the style tap must carry across. */
function expectInChunks(page: string, plan: ResponsePlan, want: string, steps: number[]): void {
  const bytes = Buffer.from(page);
  for (const step of steps) {
    const cuts = Array.from({ length: Math.ceil(bytes.length / step) }, (_, i) => i * step);
    expect(rewriteInChunks(bytes, cuts, plan).out.toString().replace(plan.head!.toString(), ""), `chunks of ${step}`).to.equal(want);
  }
}

describe("markup channels: CSS", () => {
  it("finds URLs as the CSS tokenizer does: url(), quoted or not, escapes, image-set strings, @import strings, comments skipped", () => {
    const css = `a{background:URL( "https://a.example/1" )}/* url(https://no.example/) */b{background:\\75 rl(https\\:\\/\\/b.example/2)}` + `c{background-image:-webkit-image-set("https://c.example/3" 1x, url(d.png) 2x)}@import 'https://e.example/4.css';d{content:"url(https://no.example/)"}`;
    expect(cssUrls(css).map((u) => u.url)).to.deep.equal(["https://a.example/1", "https://b.example/2", "https://c.example/3", "d.png", "https://e.example/4.css"]);
  });

  it("makes only the blocked URLs inert and keeps the rest of the style sheet", () => {
    const matcher = LIST.trackers!;
    const css = '@font-face{font-family:X;src:url(https://www.google-analytics.com/f.woff2) format("woff2"),url(/fonts/x.woff2)}p{color:red;background:url(/own.png)}';
    expect(neutralizeCss(css, matcher)).to.deep.equal({ css: '@font-face{font-family:X;src:url(about:invalid) format("woff2"),url(/fonts/x.woff2)}p{color:red;background:url(/own.png)}', label: GA });
    expect(neutralizeCss("p{background:url(/own.png)}", matcher)).to.equal(null);
  });

  for (const [mode, plan] of [["list", LIST], ["third-party", THIRD_PARTY]] as const) {
    it(`${mode} mode: a style attribute loading a blocked URL gets the URL made inert and keeps the original aside`, () => {
      const { text, neutralized } = body('<body><div class="hero" style="color:red;background-image:url(\'https://www.google-analytics.com/p.gif\')">x</div><p style="color:blue">y</p></body>', plan);
      const label = mode === "list" ? GA : "Google Analytics";
      expect(text).to.equal(
        `<body><div data-geo-compliance-blocked="${label}" style="color:red;background-image:url(about:invalid)" class="hero" data-geo-compliance-style="color:red;background-image:url('https://www.google-analytics.com/p.gif')">x</div><p style="color:blue">y</p></body>`,
      );
      expect(neutralized).to.equal(1);
    });
  }

  for (const [mode, plan] of [["list", LIST], ["third-party", THIRD_PARTY]] as const) {
    it(`${mode} mode: <style> content: blocked @import, @font-face src and url() are made inert, whole and in chunks, and the rest of the sheet stays`, () => {
      const css =
        '@import url("https://www.google-analytics.com/a.css");@import "/own.css";' +
        "@font-face{font-family:T;src:url(//www.google-analytics.com/t.woff2) format('woff2'),url(/t.woff2)}" +
        "h1{color:#123;background:image-set('https://www.google-analytics.com/h.png' 1x)}p::after{content:'</styl'}";
      const page = `<head><style media=screen>${css}</style></head><body><STYLE>b{background:URL(https://www.google-analytics.com/b.gif)}</STYLE ><p>x</p></body>`;
      const want =
        '<head><style media=screen>@import url(about:invalid);@import "/own.css";' +
        "@font-face{font-family:T;src:url(about:invalid) format('woff2'),url(/t.woff2)}" +
        "h1{color:#123;background:image-set(url(about:invalid) 1x)}p::after{content:'</styl'}</style></head><body><STYLE>b{background:url(about:invalid)}</STYLE ><p>x</p></body>";
      expect(body(page, plan)).to.deep.equal({ text: want, neutralized: 2 });
      expectInChunks(page, plan, want, [1, 5, 64]);
    });
  }

  it("<style> content that loads nothing blocked, and a <style> left open at the end, go out as they came", () => {
    const page = "<head><style>p{background:url(/own.png)}</style></head><body><style>i{color:red}";
    expect(body(page, LIST)).to.deep.equal({ text: page, neutralized: 0 });
    const open = "<body><style>i{background:url(https://www.google-analytics.com/i.gif)}";
    expect(body(open, LIST).text).to.equal("<body><style>i{background:url(about:invalid)}");
  });

  it("a style attribute that hides a blocked URL behind character references goes whole", () => {
    const { text } = body('<body><span style="background:url(https&#x3a;//www.google-analytics.com/p.gif)">x</span></body>', LIST);
    expect(text).to.equal(`<body><span data-geo-compliance-blocked="${GA}" data-geo-compliance-style="background:url(https&#x3a;//www.google-analytics.com/p.gif)">x</span></body>`);
  });
});

describe("markup channels: elements and attributes", () => {
  const cases: Array<[string, string, string]> = [
    ["SVG image href", '<svg><image href="https://www.google-analytics.com/i.png"/></svg>', '<svg><image data-geo-compliance-blocked="L" data-geo-compliance-href="https://www.google-analytics.com/i.png"/></svg>'],
    ["SVG use xlink:href", '<svg><use xlink:href="https://www.google-analytics.com/s.svg#a"/></svg>', '<svg><use data-geo-compliance-blocked="L" data-geo-compliance-xlink:href="https://www.google-analytics.com/s.svg#a"/></svg>'],
    ["SVG feImage", '<svg><filter><feImage href="https://www.google-analytics.com/f.png"/></filter></svg>', '<svg><filter><feImage data-geo-compliance-blocked="L" data-geo-compliance-href="https://www.google-analytics.com/f.png"/></filter></svg>'],
    ["SVG script href", '<svg><script href="https://www.google-analytics.com/s.js"></script></svg>', '<svg><script type="text/plain" data-geo-compliance-blocked="L" data-geo-compliance-href="https://www.google-analytics.com/s.js"></script></svg>'],
    ["SVG set to", '<svg><image><set attributeName="href" to="https://www.google-analytics.com/x.png"/></image></svg>', '<svg><image><set data-geo-compliance-blocked="L" attributeName="href" data-geo-compliance-to="https://www.google-analytics.com/x.png"/></image></svg>'],
    ["SVG animate values", '<svg><image><animate attributeName="xlink:href" values="/a.png; https://www.google-analytics.com/x.png"/></image></svg>', '<svg><image><animate data-geo-compliance-blocked="L" attributeName="xlink:href" data-geo-compliance-values="/a.png; https://www.google-analytics.com/x.png"/></image></svg>'],
    ["base href", '<base href="https://www.google-analytics.com/"><img src="pixel/x.gif">', '<base data-geo-compliance-blocked="L" data-geo-compliance-href="https://www.google-analytics.com/"><img src="pixel/x.gif">'],
    ["track src", '<video><track src="https://www.google-analytics.com/t.vtt"></video>', '<video><track data-geo-compliance-blocked="L" data-geo-compliance-src="https://www.google-analytics.com/t.vtt"></video>'],
    ["link imagesrcset", '<link rel=preload as=image imagesrcset="/a.png 1x, https://www.google-analytics.com/b.png 2x">', '<link data-geo-compliance-blocked="L" rel=preload as=image data-geo-compliance-imagesrcset="/a.png 1x, https://www.google-analytics.com/b.png 2x">'],
    ["a full-width host letter, as UTF-8 bytes", '<img src="https://www.google-analytic\uFF53.com/p.gif">', '<img data-geo-compliance-blocked="L" data-geo-compliance-src="https://www.google-analytic\uFF53.com/p.gif">'],
    ["input image", '<input type=image src="https://www.google-analytics.com/b.png">', '<input data-geo-compliance-blocked="L" type=image data-geo-compliance-src="https://www.google-analytics.com/b.png">'],
    ["video poster", '<video poster="https://www.google-analytics.com/p.jpg"></video>', '<video data-geo-compliance-blocked="L" data-geo-compliance-poster="https://www.google-analytics.com/p.jpg"></video>'],
    ["object data", '<object data="https://www.google-analytics.com/o.swf"></object>', '<object data-geo-compliance-blocked="L" data-geo-compliance-data="https://www.google-analytics.com/o.swf"></object>'],
    ["embed src", '<embed src="https://www.google-analytics.com/e.swf">', '<embed data-geo-compliance-blocked="L" data-geo-compliance-src="https://www.google-analytics.com/e.swf">'],
    ["table background", '<table background="https://www.google-analytics.com/bg.gif"><tr><td>x</td></tr></table>', '<table data-geo-compliance-blocked="L" data-geo-compliance-background="https://www.google-analytics.com/bg.gif"><tr><td>x</td></tr></table>'],
    ["meta refresh", '<meta http-equiv="refresh" content="0; URL=\'https://www.google-analytics.com/r\'">', '<meta data-geo-compliance-blocked="L" data-geo-compliance-http-equiv="refresh" content="0; URL=\'https://www.google-analytics.com/r\'">'],
    ["speculation rules", '<script type="speculationrules">{"prefetch":[{"source":"list","urls":["/next"]}]}</script>', '<script type="text/plain" data-geo-compliance-blocked="speculation rules" data-geo-compliance-type="speculationrules">{"prefetch":[{"source":"list","urls":["/next"]}]}</script>'],
    ["import map", '<script type="importmap">{"imports":{"a":"/a.js","t":"https://www.google-analytics.com/t.js"}}</script>', '<script type="text/plain" data-geo-compliance-blocked="L" data-geo-compliance-type="importmap">{"imports":{"a":"/a.js","t":"https://www.google-analytics.com/t.js"}}</script>'],
    ["import map scopes", '<script type=importmap>{"scopes":{"/x/":{"t":"//www.google-analytics.com/t.js"}}}</script>', '<script type="text/plain" data-geo-compliance-blocked="L" data-geo-compliance-type=importmap>{"scopes":{"/x/":{"t":"//www.google-analytics.com/t.js"}}}</script>'],
    ["srcdoc", '<iframe srcdoc="<img src=&quot;https://www.google-analytics.com/p.gif&quot;>"></iframe>', '<iframe data-geo-compliance-blocked="L" data-geo-compliance-srcdoc="<img src=&quot;https://www.google-analytics.com/p.gif&quot;>"></iframe>'],
    ["srcdoc with a style", "<iframe srcdoc='<p style=\"background:url(//www.google-analytics.com/p.gif)\">x'></iframe>", "<iframe data-geo-compliance-blocked=\"L\" data-geo-compliance-srcdoc='<p style=\"background:url(//www.google-analytics.com/p.gif)\">x'></iframe>"],
  ];
  for (const [mode, plan, label] of [["list", LIST, GA], ["third-party", THIRD_PARTY, GA]] as const) {
    for (const [what, input, expected] of cases) {
      it(`${mode} mode: ${what}`, () => {
        const page = `<body>${input}</body>`;
        const want = `<body>${expected.replace('blocked="L"', `blocked="${label}"`)}</body>`;
        expect(body(page, plan)).to.deep.equal({ text: want, neutralized: 1 });
        expectInChunks(page, plan, want, [1, 7]);
      });
    }
  }

  it("leaves first-party and harmless markup of the same kinds alone", () => {
    const page =
      '<body><svg><image href="/i.png"/><use href="#a"/><set attributeName="fill" to="red"/><animate attributeName="href" values="/a.png;/b.png"/></svg><base href="/sub/">' +
      '<meta http-equiv="refresh" content="30"><meta http-equiv="refresh" content="5;url=/next"><track src="/t.vtt"><iframe srcdoc="<p>hello</p><img src=/x.png>"></iframe>' +
      '<script type="importmap">{"imports":{"a":"/a.js"}}</script><script type="importmap">not json https://www.google-analytics.com/</script><div style="background:url(/own.png)"></div></body>';
    expect(body(page, LIST)).to.deep.equal({ text: page, neutralized: 0 });
  });

  it("third-party mode: resolves URLs against the page as the browser does, so same-folder files stay and cleaned-up hosts do not", () => {
    const own = '<body><script src="app.js"></script><img src="logo.png"><div style="background:url(hero.jpg)"></div><video poster="poster.jpg"></video></body>';
    expect(body(own, THIRD_PARTY)).to.deep.equal({ text: own, neutralized: 0 });
    const { text } = body('<body><img src=" &#1;https://www.google-analytics.com/p.gif"></body>', THIRD_PARTY);
    expect(text).to.contain("data-geo-compliance-src=");
  });

  it("reads the refresh URL as the HTML standard does", () => {
    expect(refreshUrl("0;url=https://a.example/")).to.equal("https://a.example/");
    expect(refreshUrl(" 5 , URL = 'https://b.example/x' ")).to.equal("https://b.example/x");
    expect(refreshUrl("0; https://c.example/")).to.equal("https://c.example/");
    expect(refreshUrl("30")).to.equal(null);
  });

  it("leaves every byte alone for a reader no tracker rule applies to", () => {
    const page = '<body><div style="background:url(https://www.google-analytics.com/p.gif)" autofocus></div><script type="speculationrules">{}</script></body>';
    const free = planOf([notice({ at: "body-end" })]);
    const { out } = rewrite(page, free);
    expect(out.toString().replace(free.notices[0]!.rendered.utf8.toString(), "")).to.equal(page);
  });
});

describe("markup channels: names a page chooses", () => {
  // Element names and ids are the page's: one that is also the name of a property every object
  // has must not be taken for an entry of a table (nor stop the rewrite of the rest of the page).
  for (const [what, markup] of [
    ["an element named constructor, with a style", '<constructor style="color:red">x</constructor>'],
    ["an element named constructor, with a URL-like attribute", '<constructor src="https://www.google-analytics.com/c.js" style="x">x</constructor>'],
    ["a <style> with the id constructor", '<style id="constructor">p{}</style>'],
    ["an SVG animation named in upper case, with an attribute named constructor", '<svg><SET attributeName="href" constructor="x"/></svg>'],
  ] as const) {
    it(`${what} leaves the page's trackers switched off`, () => {
      const page = `<!doctype html><html><head></head><body>${markup}<script src="https://www.google-analytics.com/analytics.js"></script></body></html>`;
      const { out, outcome } = rewrite(page, LIST);
      expect(outcome.error).to.equal(undefined);
      expect(out.toString()).to.include(`<script type="text/plain" data-geo-compliance-blocked="${GA}" data-geo-compliance-src="https://www.google-analytics.com/analytics.js">`);
      expect(out.toString(), "the markup itself is left as it is").to.include(markup);
    });
  }
});

describe("markup channels: prehiding snippets and autofocus", () => {
  const SNIPPETS: Array<[string, string]> = [
    [
      "Google Optimize",
      "<style>.async-hide { opacity: 0 !important} </style><script>(function(a,s,y,n,c,h,i,d,e){s.className+=' '+y;h.start=1*new Date;h.end=i=function(){s.className=s.className.replace(RegExp(' ?'+y),'')};(a[n]=a[n]||[]).hide=h;setTimeout(function(){i();h.end=null},c);h.timeout=c;})(window,document.documentElement,'async-hide','dataLayer',4000,{'OPT-1':true});</script>",
    ],
    ["VWO", "<script id='vwoCode'>window._vwo_code || (function(){var hide_element='body',hide_element_style='opacity:0 !important';var s=document.createElement('style');s.id='_vis_opt_path_hides';document.head.appendChild(s)})();</script>"],
    ["Adobe Target", '<script>(function(g,b,d,f){(function(a,c,d){if(a){var e=b.createElement("style");e.id=c;e.innerHTML=d;a.appendChild(e)}})(b.getElementsByTagName("head")[0],"at-body-style",d);setTimeout(function(){},f)})(window,document,"body {opacity: 0 !important}",3E3);</script>'],
    ["Optimizely", "<script>window.optimizely = window.optimizely || []; document.documentElement.style.opacity = '0';</script>"],
    ["Chartbeat", "<script>var _sf_async_config = window._sf_async_config = (window._sf_async_config || {}); _sf_async_config.flickerControl = true;</script>"],
  ];
  for (const [mode, plan] of [["list", LIST], ["third-party", THIRD_PARTY]] as const) {
    for (const [tool, snippet] of SNIPPETS) {
      it(`${mode} mode: ${tool}: the snippet is switched off and the page shown again`, () => {
        const { text } = body(`<head>${snippet}</head><body>x</body>`, plan);
        expect(text).to.match(/<script type="text\/plain" data-geo-compliance-blocked="[^"]+"/);
        expect(count(text, UNHIDE_STYLE)).to.equal(1);
      });
    }
  }

  it("a hiding style the tools name by id applies nowhere", () => {
    const { text } = body('<head><style id="at-body-style">body {opacity: 0 !important}</style><style id=_vis_opt_path_hides>body{opacity:0}</style></head><body>x</body>', LIST);
    expect(text).to.contain('<style data-geo-compliance-blocked="Adobe Analytics (Omniture)" media="not all" id="at-body-style">');
    expect(text).to.contain('<style data-geo-compliance-blocked="VWO (Visual Website Optimizer)" media="not all" id=_vis_opt_path_hides>');
  });

  it("drops autofocus for a reader with a notice at the start of <body>, and only then", () => {
    const page = '<body><p>intro</p><input name=q autofocus><textarea AUTOFOCUS></textarea></body>';
    const top = planOf([notice({ at: "body-start" })]);
    const text = rewrite(page, top).out.toString();
    expect(text).to.contain("<input name=q data-geo-compliance-autofocus>");
    expect(text).to.contain("<textarea data-geo-compliance-autofocus></textarea>");
    const bottom = planOf([notice({ at: "body-end" })]);
    expect(rewrite(page, bottom).out.toString()).to.contain("<input name=q autofocus>");
  });
});
