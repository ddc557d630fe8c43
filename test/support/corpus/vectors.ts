/**
 * The reader-safety corpus: each vector is a page (and the first-party files it needs) that makes
 * the browser reach a third party by one channel, without any gesture of the reader's. Vectors are
 * rendered per run, so every run has its own third-party names and port (see RunContext).
 */
import type { Mode, RunContext } from "./run-context.js";

export type Channel =
  | "markup"
  | "css"
  | "svg"
  | "base-and-srcdoc"
  | "modules"
  | "workers"
  | "popups-and-fresh-globals"
  | "parse-differentials"
  | "url-parser"
  | "navigations"
  | "preconnect-by-script"
  | "response-headers"
  | "speculation-rules"
  | "webrtc"
  | "prehiding"
  | "script-apis"
  | "dom-insertion"
  | "host-classification";

export interface CorpusFile {
  readonly type: string;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

export interface Vector {
  /** Lower-case letters, digits and dashes: it is part of the run's host names. */
  readonly id: string;
  readonly channel: Channel;
  /** Markup for `<head>` and `<body>` of the page; `document` replaces the whole page. */
  readonly head?: (c: RunContext) => string;
  readonly body?: (c: RunContext) => string;
  readonly document?: (c: RunContext) => string;
  /** Response headers of the page. */
  readonly headers?: (c: RunContext) => Record<string, string>;
  /** First-party files, served at `/v/<id>/<name>`. */
  readonly files?: (c: RunContext) => Record<string, CorpusFile>;
  /** The modes this vector runs in (default all); a host no list can name skips `list`. */
  readonly modes?: readonly Mode[];
  /**
   * Chromium acts on this channel when it is idle, after the load (speculation rules, preconnects
   * from response headers): the run waits this long instead of the usual settle.
   */
  readonly settleMs?: number;
  /** Chromium starts fewer speculative loads while other pages load: the run has the browser to itself. */
  readonly alone?: boolean;
  /** The third party is reached over UDP (STUN). */
  readonly udp?: boolean;
  /** The page is written in parts of this many bytes, as a streamed page is, rather than sent whole. */
  readonly chunkBytes?: number;
}

const js = (body: string): CorpusFile => ({ type: "text/javascript", body });
const script = (code: string): string => `<script>${code}</script>`;
const IDLE_MS = 2500;
const NOT_LIST: readonly Mode[] = ["plain", "free", "third-party", "github"];

/** A vector whose body is one script. */
function scripted(id: string, channel: Channel, code: (c: RunContext) => string): Vector {
  return { id, channel, body: (c) => script(code(c)) };
}

/** A vector whose body is one piece of markup. */
function marked(id: string, channel: Channel, markup: (c: RunContext) => string): Vector {
  return { id, channel, body: markup };
}

/** A preconnect or dns-prefetch link built by script through some DOM path. */
function linkBy(id: string, code: (c: RunContext) => string): Vector {
  return scripted(id, "preconnect-by-script", code);
}

export const VECTORS: readonly Vector[] = [
  // --- markup the server rewrite sees -------------------------------------------------------
  marked("script-src", "markup", (c) => `<script src="${c.url("t", "/a.js")}"></script>`),
  marked("script-async", "markup", (c) => `<script async src="${c.url("t", "/a.js")}"></script>`),
  marked("script-upper", "markup", (c) => `<SCRIPT SRC="${c.url("t", "/a.js")}"></SCRIPT>`),
  marked("script-module", "markup", (c) => `<script type="module" src="${c.url("t", "/m.js")}"></script>`),
  marked("img", "markup", (c) => `<img src="${c.url("t", "/p.gif")}" alt="">`),
  // A tag held across the parts of a streamed page past the inspection limit (64 KB) is not read.
  { ...marked("img-oversized", "markup", (c) => `<img data-props="${"x".repeat(70_000)}" src="${c.url("t", "/p.gif")}" alt="">`), chunkBytes: 16 * 1024 },
  { ...marked("link-oversized", "markup", (c) => `<link data-props="${"x".repeat(70_000)}" rel="preconnect" href="${c.url("t", "")}">`), chunkBytes: 16 * 1024 },
  { ...marked("script-oversized", "markup", (c) => `<script data-props="${"x".repeat(70_000)}" src="${c.url("t", "/a.js")}"></script>`), chunkBytes: 16 * 1024 },
  marked("img-slash", "markup", (c) => `<img/src=${c.url("t", "/p.gif")} alt="">`),
  marked("img-srcset", "markup", (c) => `<img srcset="${c.url("t", "/p.gif")} 1x" alt="">`),
  marked("picture-source", "markup", (c) => `<picture><source srcset="${c.url("t", "/p.gif")}"><img alt=""></picture>`),
  marked("iframe", "markup", (c) => `<iframe src="${c.url("t", "/frame")}"></iframe>`),
  marked("object-data", "markup", (c) => `<object data="${c.url("t", "/o.html")}" type="text/html"></object>`),
  marked("embed-src", "markup", (c) => `<embed src="${c.url("t", "/e.html")}" type="text/html">`),
  marked("video-poster", "markup", (c) => `<video poster="${c.url("t", "/poster.gif")}"></video>`),
  marked("video-src", "markup", (c) => `<video src="${c.url("t", "/v.mp4")}" preload="auto"></video>`),
  marked("audio-src", "markup", (c) => `<audio src="${c.url("t", "/a.mp3")}" preload="auto"></audio>`),
  marked("media-source", "markup", (c) => `<video preload="auto"><source src="${c.url("t", "/v.mp4")}"></video>`),
  marked("input-image", "markup", (c) => `<input type="image" src="${c.url("t", "/b.gif")}" alt="go">`),
  marked("body-background", "markup", (c) => `<table background="${c.url("t", "/bg.gif")}"><tr><td>cell</td></tr></table>`),
  marked("link-stylesheet", "markup", (c) => `<link rel="stylesheet" href="${c.url("t", "/s.css")}">`),
  marked("link-stylesheet-print", "markup", (c) => `<link rel="stylesheet" media="print" href="${c.url("t", "/s.css")}">`),
  marked("link-preload", "markup", (c) => `<link rel="preload" as="script" href="${c.url("t", "/a.js")}">`),
  marked("link-prefetch", "markup", (c) => `<link rel="prefetch" href="${c.url("t", "/next")}">`),
  marked("link-modulepreload", "markup", (c) => `<link rel="modulepreload" href="${c.url("t", "/m.js")}">`),
  marked("link-preconnect", "markup", (c) => `<link rel="preconnect" href="${c.url("t", "")}">`),
  marked("link-dns-prefetch", "markup", (c) => `<link rel="dns-prefetch" href="${c.url("t", "")}">`),
  marked("link-imagesrcset", "markup", (c) => `<link rel="preload" as="image" imagesrcset="${c.url("t", "/p.gif")} 1x" href="/none.gif">`),

  // --- CSS ------------------------------------------------------------------------------------
  marked("style-url", "css", (c) => `<style>body{background:url(${c.url("t", "/bg.gif")})}</style>`),
  marked("style-attr-url", "css", (c) => `<div style="background-image:url('${c.url("t", "/bg.gif")}')">x</div>`),
  marked("style-import", "css", (c) => `<style>@import "${c.url("t", "/i.css")}";</style>`),
  marked("style-import-url", "css", (c) => `<style>@import url(${c.url("t", "/i.css")}) screen;</style>`),
  marked("style-font-face", "css", (c) => `<style>@font-face{font-family:corpus;src:url(${c.url("t", "/f.woff2")})}p{font-family:corpus}</style><p>text</p>`),
  marked("style-image-set", "css", (c) => `<style>div{background-image:image-set("${c.url("t", "/bg.gif")}" 1x)}</style><div>x</div>`),
  marked("style-content-url", "css", (c) => `<style>p::before{content:url(${c.url("t", "/c.gif")})}</style><p>x</p>`),
  marked("style-list-style", "css", (c) => `<style>li{list-style-image:url(${c.url("t", "/li.gif")})}</style><ul><li>x</li></ul>`),
  marked("style-escaped-url", "css", (c) => `<style>body{background:u\\72l(${c.url("t", "/bg.gif")})}</style>`),
  {
    id: "css-file-url",
    channel: "css",
    head: (c) => `<link rel="stylesheet" href="${c.fp("site.css")}">`,
    files: (c) => ({ "site.css": { type: "text/css", body: `body{background:url(${c.url("t", "/bg.gif")})}` } }),
  },
  {
    id: "css-file-import",
    channel: "css",
    head: (c) => `<link rel="stylesheet" href="${c.fp("site.css")}">`,
    files: (c) => ({ "site.css": { type: "text/css", body: `@import "${c.url("t", "/i.css")}";` } }),
  },
  {
    id: "css-file-font-face",
    channel: "css",
    head: (c) => `<link rel="stylesheet" href="${c.fp("site.css")}">`,
    body: () => `<p>text</p>`,
    files: (c) => ({ "site.css": { type: "text/css", body: `@font-face{font-family:corpus;src:url(${c.url("t", "/f.woff2")})}p{font-family:corpus}` } }),
  },
  {
    // The file the page names is clean; the first-party file it imports is not.
    id: "css-file-nested-import",
    channel: "css",
    head: (c) => `<link rel="stylesheet" href="${c.fp("site.css")}">`,
    files: (c) => ({ "site.css": { type: "text/css", body: `@import "more.css";` }, "more.css": { type: "text/css", body: `body{background:url(${c.url("t", "/bg.gif")})}` } }),
  },
  scripted("cssom-style", "css", (c) => `document.body.style.backgroundImage="url("+${c.js("t", "/bg.gif")}+")"`),
  scripted("cssom-insert-rule", "css", (c) => `var s=document.createElement("style");document.head.append(s);s.sheet.insertRule("body{background:url("+${c.js("t", "/bg.gif")}+")}")`),
  scripted("constructed-sheet", "css", (c) => `var s=new CSSStyleSheet();s.replaceSync("body{background:url("+${c.js("t", "/bg.gif")}+")}");document.adoptedStyleSheets=[s]`),
  scripted("font-face-api", "css", (c) => `new FontFace("corpus","url("+${c.js("t", "/f.woff2")}+")").load().catch(function(){})`),

  // --- SVG ------------------------------------------------------------------------------------
  marked("svg-image-href", "svg", (c) => `<svg width="10" height="10"><image href="${c.url("t", "/i.png")}" width="10" height="10"/></svg>`),
  marked("svg-image-xlink", "svg", (c) => `<svg width="10" height="10" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="${c.url("t", "/i.png")}" width="10" height="10"/></svg>`),
  marked("svg-script-href", "svg", (c) => `<svg><script href="${c.url("t", "/s.js")}"></script></svg>`),
  marked("svg-script-xlink", "svg", (c) => `<svg xmlns:xlink="http://www.w3.org/1999/xlink"><script xlink:href="${c.url("t", "/s.js")}"></script></svg>`),
  marked("svg-feimage", "svg", (c) => `<svg width="10" height="10"><filter id="f"><feImage href="${c.url("t", "/fe.png")}"/></filter><rect width="10" height="10" filter="url(#f)"/></svg>`),
  marked("svg-set", "svg", (c) => `<svg width="10" height="10"><image width="10" height="10"><set attributeName="href" to="${c.url("t", "/set.png")}" begin="0s"/></image></svg>`),
  marked("svg-animate", "svg", (c) => `<svg width="10" height="10"><image width="10" height="10"><animate attributeName="href" values="${c.url("t", "/anim.png")}" dur="1s"/></image></svg>`),
  marked("svg-style-url", "svg", (c) => `<svg width="10" height="10"><style>rect{fill:url(${c.url("t", "/p.svg#g")})}</style><rect width="10" height="10"/></svg>`),
  marked("svg-foreignobject-img", "svg", (c) => `<svg><foreignObject width="10" height="10"><img src="${c.url("t", "/p.gif")}"></foreignObject></svg>`),

  // --- base href, srcdoc, track ---------------------------------------------------------------
  { id: "base-img", channel: "base-and-srcdoc", head: (c) => `<base href="${c.url("t", "/")}">`, body: () => `<img src="p.gif" alt="">` },
  { id: "base-script", channel: "base-and-srcdoc", head: (c) => `<base href="${c.url("t", "/")}">`, body: () => `<script src="app.js"></script>` },
  { id: "base-dynamic", channel: "base-and-srcdoc", head: (c) => `<base href="${c.url("t", "/")}">`, body: () => script(`var i=new Image();i.src="late.gif"`) },
  marked("srcdoc-img", "base-and-srcdoc", (c) => `<iframe srcdoc="<img src='${c.url("t", "/p.gif")}'>"></iframe>`),
  marked("srcdoc-script", "base-and-srcdoc", (c) => `<iframe srcdoc="<script src='${c.url("t", "/a.js")}'></script>"></iframe>`),
  marked("srcdoc-entities", "base-and-srcdoc", (c) => `<iframe srcdoc="&lt;img src=&quot;${c.url("t", "/p.gif")}&quot;&gt;"></iframe>`),
  // data: documents have an opaque origin: nothing of the page's guard reaches into them.
  marked("data-iframe", "base-and-srcdoc", (c) => `<iframe src="data:text/html,${encodeURIComponent(`<img src="${c.url("t", "/p.gif")}">`)}"></iframe>`),
  marked("data-iframe-base64", "base-and-srcdoc", (c) => `<iframe src="data:text/html;base64,${Buffer.from(`<img src="${c.url("t", "/p.gif")}">`).toString("base64")}"></iframe>`),
  // The data: document's script computes the host: no string names it.
  marked("data-iframe-computed", "base-and-srcdoc", (c) => `<iframe src="data:text/html,${encodeURIComponent(`<script>fetch("http://"+${JSON.stringify([...c.host("t")].reverse().join(""))}.split("").reverse().join("")+"/d").catch(function(){})</script>`)}"></iframe>`),
  scripted("data-iframe-by-script", "base-and-srcdoc", (c) => `var f=document.createElement("iframe");f.src="data:text/html,"+encodeURIComponent("<img src='"+${c.js("t", "/p.gif")}+"'>");document.body.append(f)`),
  scripted("blob-iframe", "base-and-srcdoc", (c) => `var f=document.createElement("iframe");f.src=URL.createObjectURL(new Blob(["<img src='"+${c.js("t", "/p.gif")}+"'>"],{type:"text/html"}));document.body.append(f)`),
  {
    id: "track",
    channel: "markup",
    body: (c) => `<video crossorigin="anonymous" src="${c.fp("clip.webm")}" preload="auto"><track default kind="subtitles" srclang="en" src="${c.url("t", "/t.vtt")}"></video>`,
    files: () => ({ "clip.webm": { type: "video/webm", body: "" } }),
  },

  // --- modules --------------------------------------------------------------------------------
  marked("import-map", "modules", (c) => `<script type="importmap">{"imports":{"lib":"${c.url("t", "/lib.js")}"}}</script><script type="module">import "lib";</script>`),
  marked("import-map-prefix", "modules", (c) => `<script type="importmap">{"imports":{"cdn/":"${c.url("t", "/")}"}}</script><script type="module">import "cdn/x.js";</script>`),
  scripted("dynamic-import", "modules", (c) => `import(${c.js("t", "/m.js")}).catch(function(){})`),
  // The host is computed, so no string in the page names it.
  scripted("dynamic-import-computed", "modules", (c) => `var h="http://"+${JSON.stringify([...c.host("t")].reverse().join(""))}.split("").reverse().join("");import(h+"/m.js").catch(function(){})`),
  marked("module-import-static", "modules", (c) => `<script type="module">import ${c.js("t", "/m.js")};</script>`),
  {
    id: "first-party-module-imports",
    channel: "modules",
    body: (c) => `<script type="module" src="${c.fp("main.js")}"></script>`,
    files: (c) => ({ "main.js": js(`import(${c.js("t", "/m.js")}).catch(function(){});`) }),
  },

  // --- workers --------------------------------------------------------------------------------
  {
    id: "worker-fetch",
    channel: "workers",
    body: (c) => script(`new Worker(${JSON.stringify(c.fp("w.js"))})`),
    files: (c) => ({ "w.js": js(`fetch(${c.js("t", "/w")}).catch(function(){});`) }),
  },
  {
    id: "worker-import-scripts",
    channel: "workers",
    body: (c) => script(`new Worker(${JSON.stringify(c.fp("w.js"))})`),
    files: (c) => ({ "w.js": js(`try{importScripts(${c.js("t", "/i.js")})}catch(e){}`) }),
  },
  {
    id: "module-worker-import",
    channel: "workers",
    body: (c) => script(`new Worker(${JSON.stringify(c.fp("w.js"))},{type:"module"})`),
    files: (c) => ({ "w.js": js(`import(${c.js("t", "/m.js")}).catch(function(){});`) }),
  },
  {
    id: "shared-worker",
    channel: "workers",
    body: (c) => script(`new SharedWorker(${JSON.stringify(c.fp("sw.js"))})`),
    files: (c) => ({ "sw.js": js(`fetch(${c.js("t", "/shared")}).catch(function(){});`) }),
  },
  {
    id: "service-worker-fetch",
    channel: "workers",
    body: (c) => script(`navigator.serviceWorker.register(${JSON.stringify(c.fp("sw.js"))},{scope:${JSON.stringify(c.fp())}})`),
    files: (c) => ({ "sw.js": js(`self.addEventListener("install",function(e){e.waitUntil(fetch(${c.js("t", "/sw")}).catch(function(){}))});`) }),
  },
  {
    id: "service-worker-import",
    channel: "workers",
    body: (c) => script(`navigator.serviceWorker.register(${JSON.stringify(c.fp("sw.js"))},{scope:${JSON.stringify(c.fp())}}).catch(function(){})`),
    files: (c) => ({ "sw.js": js(`try{importScripts(${c.js("t", "/i.js")})}catch(e){}`) }),
  },
  {
    id: "nested-worker",
    channel: "workers",
    // A worker started by a worker (or a module) fetches late: the run waits longer for it.
    settleMs: IDLE_MS,
    body: (c) => script(`new Worker(${JSON.stringify(c.fp("w.js"))})`),
    files: (c) => ({ "w.js": js(`new Worker("w2.js");`), "w2.js": js(`fetch(${c.js("t", "/nested")}).catch(function(){});`) }),
  },
  {
    id: "module-starts-worker",
    channel: "workers",
    settleMs: IDLE_MS,
    body: (c) => `<script type="module" src="${c.fp("main.js")}"></script>`,
    files: (c) => ({ "main.js": js(`new Worker(new URL("w.js", import.meta.url));`), "w.js": js(`fetch(${c.js("t", "/w")}).catch(function(){});`) }),
  },
  {
    // The child module runs before the root module's first line.
    id: "module-worker-child",
    channel: "workers",
    settleMs: IDLE_MS,
    body: (c) => script(`new Worker(${JSON.stringify(c.fp("w.js"))},{type:"module"})`),
    files: (c) => ({ "w.js": js(`import "./child.js";`), "child.js": js(`fetch(${c.js("t", "/child")}).catch(function(){});import(${c.js("t", "/m.js")}).catch(function(){});`) }),
  },
  scripted("blob-worker", "workers", (c) => `new Worker(URL.createObjectURL(new Blob(["fetch("+JSON.stringify(${c.js("t", "/blob")})+").catch(function(){})"],{type:"text/javascript"})))`),
  scripted("data-worker", "workers", (c) => `new Worker("data:text/javascript,"+encodeURIComponent("fetch("+JSON.stringify(${c.js("t", "/data")})+").catch(function(){})"))`),

  // --- popups and about:blank's fresh globals -----------------------------------------------
  scripted("popup-written", "popups-and-fresh-globals", (c) => `var w=window.open("");if(w){w.document.write("<img src='"+${c.js("t", "/p.gif")}+"'>");w.document.close()}`),
  scripted("blank-iframe-write", "popups-and-fresh-globals", (c) => `var f=document.createElement("iframe");document.body.append(f);f.contentDocument.write("<img src='"+${c.js("t", "/p.gif")}+"'>");f.contentDocument.close()`),
  scripted("blank-iframe-fetch", "popups-and-fresh-globals", (c) => `var f=document.createElement("iframe");document.body.append(f);f.contentWindow.fetch(${c.js("t", "/f")}).catch(function(){})`),
  scripted("blank-iframe-image", "popups-and-fresh-globals", (c) => `var f=document.createElement("iframe");document.body.append(f);new f.contentWindow.Image().src=${c.js("t", "/p.gif")}`),
  scripted("blank-iframe-beacon", "popups-and-fresh-globals", (c) => `var f=document.createElement("iframe");document.body.append(f);f.contentWindow.navigator.sendBeacon(${c.js("t", "/b")},"x")`),
  scripted("blank-iframe-script", "popups-and-fresh-globals", (c) => `var f=document.createElement("iframe");document.body.append(f);var s=f.contentDocument.createElement("script");s.src=${c.js("t", "/a.js")};document.body.append(s)`),
  scripted("blank-iframe-xhr", "popups-and-fresh-globals", (c) => `var f=document.createElement("iframe");document.body.append(f);var x=new f.contentWindow.XMLHttpRequest();x.open("GET",${c.js("t", "/x")});x.send()`),

  // --- noscript and other parse differentials (scripting on) ---------------------------------
  // Names a table keyed by plain objects would find on Object.prototype: the rewrite must not throw on them.
  marked("element-constructor", "parse-differentials", (c) => `<constructor style="color:red">x</constructor><img src="${c.url("t", "/p.gif")}">`),
  marked("style-id-constructor", "parse-differentials", (c) => `<style id="constructor">p{}</style><img src="${c.url("t", "/p.gif")}">`),
  marked("element-proto", "parse-differentials", (c) => `<__proto__ src="${c.url("t", "/x.gif")}" style="x">x</__proto__><svg><SET attributeName="href" hasOwnProperty="x"/></svg><script src="${c.url("t", "/a.js")}"></script>`),
  marked("noscript-comment", "parse-differentials", (c) => `<noscript><!--</noscript><img src="${c.url("t", "/p.gif")}">-->`),
  marked("noscript-iframe", "parse-differentials", (c) => `<noscript><iframe></noscript><img src="${c.url("t", "/p.gif")}">`),
  marked("noscript-noframes", "parse-differentials", (c) => `<noscript><noframes></noscript><img src="${c.url("t", "/p.gif")}">`),
  marked("noframes-comment", "parse-differentials", (c) => `<noframes><!--</noframes><img src="${c.url("t", "/p.gif")}">`),
  marked("svg-p-style", "parse-differentials", (c) => `<svg><p><style><!--</style><img src="${c.url("t", "/p.gif")}">`),
  marked("svg-font-color", "parse-differentials", (c) => `<svg><font color="red"><style><!--</style><img src="${c.url("t", "/p.gif")}">`),
  marked("svg-end-p", "parse-differentials", (c) => `<svg></p><style><!--</style><img src="${c.url("t", "/p.gif")}">`),
  marked("svg-foreignobject-style", "parse-differentials", (c) => `<svg><foreignObject><style><!--</style><img src="${c.url("t", "/p.gif")}">`),
  marked("svg-desc-style", "parse-differentials", (c) => `<svg><desc><style><!--</style><img src="${c.url("t", "/p.gif")}">`),
  marked("svg-title-textarea", "parse-differentials", (c) => `<svg><title><textarea><!--</textarea><img src="${c.url("t", "/p.gif")}">`),
  marked("math-mi-style", "parse-differentials", (c) => `<math><mi><style><!--</style><img src="${c.url("t", "/p.gif")}">`),
  marked("annotation-xml-style", "parse-differentials", (c) => `<math><annotation-xml encoding="text/html"><style><!--</style><img src="${c.url("t", "/p.gif")}">`),
  marked("image-tag", "parse-differentials", (c) => `<image src="${c.url("t", "/p.gif")}">`),
  marked("select-img", "parse-differentials", (c) => `<select><img src="${c.url("t", "/p.gif")}"></select>`),
  {
    id: "bom-lookalike",
    channel: "parse-differentials",
    document: (c) => `\uFDE6<!doctype html><html><head><title>x</title></head><body><p>article</p>${script(`var i=new Image();i.src=${c.js("t", "/p.gif")}`)}</body></html>`,
  },

  // --- URLs the browser's URL parser cleans --------------------------------------------------
  marked("url-leading-control", "url-parser", (c) => `<img src="\u0001${c.url("t", "/p.gif")}" alt="">`),
  marked("url-leading-space", "url-parser", (c) => `<img src="\n  ${c.url("t", "/p.gif")}" alt="">`),
  marked("url-tab-in-scheme", "url-parser", (c) => `<img src="ht&#9;tp://${c.host("t")}/p.gif" alt="">`),
  marked("url-backslashes", "url-parser", (c) => `<img src="http:\\\\${c.host("t")}\\p.gif" alt="">`),
  marked("url-percent-host", "url-parser", (c) => `<img src="http://%74.${c.host("").slice(1)}/p.gif" alt="">`),
  marked("url-fullwidth-host", "url-parser", (c) => `<img src="http://\uFF54.${c.host("").slice(1)}/p.gif" alt="">`),
  marked("url-upper-case", "url-parser", (c) => `<img src="HTTP://${c.host("t").toUpperCase()}/p.gif" alt="">`),
  marked("url-protocol-relative", "url-parser", (c) => `<img src="//${c.host("t")}/p.gif" alt="">`),
  marked("url-entities", "url-parser", (c) => `<img src="&#104;ttp&colon;//${c.host("t")}/p.gif" alt="">`),

  // --- navigations without a gesture ---------------------------------------------------------
  { id: "meta-refresh", channel: "navigations", head: (c) => `<meta http-equiv="refresh" content="0;url=${c.url("t", "/landing")}">` },
  { id: "meta-refresh-quoted", channel: "navigations", head: (c) => `<meta http-equiv="Refresh" content="0; URL='${c.url("t", "/landing")}'">` },
  marked("meta-refresh-body", "navigations", (c) => `<meta http-equiv="refresh" content="0;${c.url("t", "/landing")}">`),
  { id: "refresh-header", channel: "response-headers", headers: (c) => ({ Refresh: `0;url=${c.url("t", "/landing")}` }) },
  scripted("location-assign", "navigations", (c) => `location=${c.js("t", "/landing")}`),
  scripted("location-href", "navigations", (c) => `location.href=${c.js("t", "/landing")}`),
  scripted("location-replace", "navigations", (c) => `location.replace(${c.js("t", "/landing")})`),
  scripted("window-open", "navigations", (c) => `window.open(${c.js("t", "/popup")})`),
  scripted("form-submit", "navigations", (c) => `var f=document.createElement("form");f.method="post";f.action=${c.js("t", "/collect")};document.body.append(f);f.submit()`),
  marked("form-markup-submit", "navigations", (c) => `<form id="f" action="${c.url("t", "/collect")}" method="get"><input name="q" value="x"></form>${script("document.getElementById('f').submit()")}`),
  scripted("form-request-submit", "navigations", (c) => `var f=document.createElement("form");f.action=${c.js("t", "/collect")};document.body.append(f);f.requestSubmit()`),
  scripted("anchor-click", "navigations", (c) => `var a=document.createElement("a");a.href=${c.js("t", "/landing")};document.body.append(a);a.click()`),
  scripted("iframe-location", "navigations", (c) => `var f=document.createElement("iframe");document.body.append(f);f.contentWindow.location=${c.js("t", "/frame")}`),

  // --- preconnect / dns-prefetch made by script through any DOM path -------------------------
  linkBy("preconnect-properties", (c) => `var l=document.createElement("link");l.rel="preconnect";l.href=${c.js("t", "")};document.head.append(l)`),
  linkBy("preconnect-set-attribute", (c) => `var l=document.createElement("link");l.setAttribute("rel","preconnect");l.setAttribute("href",${c.js("t", "")});document.head.append(l)`),
  linkBy("preconnect-attribute-node", (c) => `var l=document.createElement("link");var r=document.createAttribute("rel");r.value="preconnect";l.setAttributeNode(r);var h=document.createAttribute("href");h.value=${c.js("t", "")};l.setAttributeNode(h);document.head.append(l)`),
  linkBy("preconnect-attribute-value-later", (c) => `var l=document.createElement("link");l.rel="preconnect";var h=document.createAttribute("href");l.setAttributeNode(h);document.head.append(l);h.value=${c.js("t", "")}`),
  linkBy("preconnect-domparser-adopt", (c) => `var d=new DOMParser().parseFromString("<link rel=preconnect href="+${c.js("t", "")}+">","text/html");document.head.append(document.adoptNode(d.querySelector("link")))`),
  linkBy("preconnect-domparser-import", (c) => `var d=new DOMParser().parseFromString("<link rel=preconnect href="+${c.js("t", "")}+">","text/html");document.head.append(document.importNode(d.querySelector("link"),true))`),
  linkBy("preconnect-template", (c) => `var t=document.createElement("template");t.innerHTML="<link rel=preconnect href="+${c.js("t", "")}+">";document.head.append(t.content.cloneNode(true))`),
  linkBy("preconnect-range-fragment", (c) => `document.head.append(document.createRange().createContextualFragment("<link rel=preconnect href="+${c.js("t", "")}+">"))`),
  linkBy("preconnect-rel-list", (c) => `var l=document.createElement("link");l.href=${c.js("t", "")};document.head.append(l);l.relList.add("preconnect")`),
  linkBy("dns-prefetch-script", (c) => `var l=document.createElement("link");l.rel="dns-prefetch";l.href=${c.js("t", "")};document.head.append(l)`),
  linkBy("dns-prefetch-template", (c) => `var t=document.createElement("template");t.innerHTML="<link rel=dns-prefetch href="+${c.js("t", "")}+">";document.head.append(t.content.cloneNode(true))`),
  linkBy("preconnect-set-html-unsafe", (c) => `var d=document.createElement("div");d.setHTMLUnsafe("<link rel=preconnect href="+${c.js("t", "")}+">");document.head.append(d.firstChild)`),

  // --- response headers the app sends ---------------------------------------------------------
  { id: "link-header-preconnect", channel: "response-headers", settleMs: IDLE_MS, headers: (c) => ({ Link: `<${c.url("t", "")}>; rel=preconnect` }) },
  { id: "link-header-preload", channel: "response-headers", headers: (c) => ({ Link: `<${c.url("t", "/a.js")}>; rel=preload; as=script` }) },
  { id: "link-header-dns-prefetch", channel: "response-headers", headers: (c) => ({ Link: `<${c.url("t", "")}>; rel=dns-prefetch` }) },
  { id: "link-header-stylesheet-preload", channel: "response-headers", headers: (c) => ({ Link: `</local.css>; rel=preload; as=style, <${c.url("t", "/s.css")}>; rel="preload"; as="style"` }) },

  // --- speculation rules ----------------------------------------------------------------------
  { id: "speculationrules-prefetch", channel: "speculation-rules", settleMs: IDLE_MS, alone: true, body: (c) => `<script type="speculationrules">{"prefetch":[{"source":"list","urls":["${c.url("t", "/next")}"]}]}</script>` },
  {
    id: "speculationrules-by-script",
    channel: "speculation-rules",
    settleMs: IDLE_MS,
    alone: true,
    body: (c) => script(`var s=document.createElement("script");s.type="speculationrules";s.textContent=JSON.stringify({prefetch:[{source:"list",urls:[${c.js("t", "/next")}]}]});document.head.append(s)`),
  },
  {
    id: "speculation-rules-header",
    channel: "speculation-rules",
    settleMs: IDLE_MS,
    alone: true,
    headers: (c) => ({ "Speculation-Rules": `"${c.fp("rules.json")}"` }),
    files: (c) => ({ "rules.json": { type: "application/speculationrules+json", body: JSON.stringify({ prefetch: [{ source: "list", urls: [c.url("t", "/next")] }] }) } }),
  },

  // --- WebRTC ---------------------------------------------------------------------------------
  {
    id: "webrtc-stun",
    channel: "webrtc",
    udp: true,
    body: (c) => script(`var p=new RTCPeerConnection({iceServers:[{urls:"stun:${c.host("t")}"}]});p.createDataChannel("d");p.createOffer().then(function(o){return p.setLocalDescription(o)})`),
  },
  {
    id: "webrtc-turn-tcp",
    channel: "webrtc",
    body: (c) => script(`var p=new RTCPeerConnection({iceServers:[{urls:"turn:${c.host("t")}?transport=tcp",username:"u",credential:"c"}]});p.createDataChannel("d");p.createOffer().then(function(o){return p.setLocalDescription(o)})`),
  },

  // --- prehiding snippets of A/B testing tools -------------------------------------------------
  {
    id: "prehide-optimize",
    channel: "prehiding",
    head: (c) =>
      `<style>.async-hide{opacity:0!important}</style>${script(`(function(a,s,y,n,c,h,i,d,e){s.className+=" "+y;h.start=1*new Date;h.end=i=function(){s.className=s.className.replace(RegExp(" ?"+y),"")};(a[n]=a[n]||[]).hide=h;setTimeout(function(){i();h.end=null},c);h.timeout=c})(window,document.documentElement,"async-hide","dataLayer",4000,{"OPT-X":true});`)}<script src="${c.url("t", "/optimize.js?id=OPT-X")}"></script>`,
  },
  {
    id: "prehide-vwo",
    channel: "prehiding",
    head: (c) => script(`window._vwo_code=(function(){var d=document,s=d.createElement("style");s.id="_vis_opt_path_hides";s.textContent="body{opacity:0 !important}";d.head.appendChild(s);var j=d.createElement("script");j.src=${c.js("t", "/j.php?a=1")};d.head.appendChild(j);return{finish:function(){s.remove()}}})();`),
  },
  {
    id: "prehide-adobe-target",
    channel: "prehiding",
    head: (c) => `${script(`(function(d){var s=d.createElement("style");s.id="at-body-style";s.textContent="body{opacity:0 !important}";d.head.appendChild(s);setTimeout(function(){s.remove()},3000)})(document)`)}<script src="${c.url("t", "/at.js")}"></script>`,
  },

  // --- network APIs page scripts call --------------------------------------------------------
  scripted("fetch", "script-apis", (c) => `fetch(${c.js("t", "/f")}).catch(function(){})`),
  scripted("fetch-request", "script-apis", (c) => `fetch(new Request(${c.js("t", "/f")})).catch(function(){})`),
  scripted("fetch-keepalive", "script-apis", (c) => `fetch(${c.js("t", "/k")},{method:"POST",body:"x",keepalive:true,mode:"no-cors"}).catch(function(){})`),
  scripted("xhr", "script-apis", (c) => `var x=new XMLHttpRequest();x.open("GET",${c.js("t", "/x")});x.send()`),
  scripted("send-beacon", "script-apis", (c) => `navigator.sendBeacon(${c.js("t", "/b")},"x")`),
  scripted("send-beacon-blob", "script-apis", (c) => `navigator.sendBeacon(${c.js("t", "/b")},new Blob(["x"],{type:"text/plain"}))`),
  scripted("websocket", "script-apis", (c) => `try{new WebSocket("ws://${c.host("t")}/ws")}catch(e){}`),
  scripted("event-source", "script-apis", (c) => `try{new EventSource(${c.js("t", "/es")})}catch(e){}`),
  scripted("image-object", "script-apis", (c) => `new Image().src=${c.js("t", "/p.gif")}`),

  // --- DOM insertion by page scripts ----------------------------------------------------------
  scripted("create-script", "dom-insertion", (c) => `var s=document.createElement("script");s.src=${c.js("t", "/a.js")};document.head.append(s)`),
  scripted("create-script-set-attribute", "dom-insertion", (c) => `var s=document.createElement("script");s.setAttribute("src",${c.js("t", "/a.js")});document.head.append(s)`),
  scripted("create-img-srcset", "dom-insertion", (c) => `var i=document.createElement("img");i.srcset=${c.js("t", "/p.gif")}+" 1x";document.body.append(i)`),
  scripted("create-iframe", "dom-insertion", (c) => `var f=document.createElement("iframe");f.src=${c.js("t", "/frame")};document.body.append(f)`),
  scripted("create-stylesheet", "dom-insertion", (c) => `var l=document.createElement("link");l.rel="stylesheet";l.href=${c.js("t", "/s.css")};document.head.append(l)`),
  scripted("inner-html-img", "dom-insertion", (c) => `document.body.insertAdjacentHTML("beforeend","<div></div>");document.body.lastChild.innerHTML="<img src='"+${c.js("t", "/p.gif")}+"'>"`),
  scripted("outer-html-img", "dom-insertion", (c) => `var d=document.createElement("div");document.body.append(d);d.outerHTML="<img src='"+${c.js("t", "/p.gif")}+"'>"`),
  scripted("insert-adjacent-html", "dom-insertion", (c) => `document.body.insertAdjacentHTML("beforeend","<img src='"+${c.js("t", "/p.gif")}+"'>")`),
  scripted("document-write-script", "dom-insertion", (c) => `document.write("<script src='"+${c.js("t", "/a.js")}+"'><\\/script>")`),
  scripted("document-write-img", "dom-insertion", (c) => `document.write("<img src='"+${c.js("t", "/p.gif")}+"'>")`),
  scripted("document-writeln-iframe", "dom-insertion", (c) => `document.writeln("<iframe src='"+${c.js("t", "/frame")}+"'></iframe>")`),
  scripted("domparser-adopt-img", "dom-insertion", (c) => `var d=new DOMParser().parseFromString("<img src='"+${c.js("t", "/p.gif")}+"'>","text/html");document.body.append(document.adoptNode(d.querySelector("img")))`),
  scripted("template-clone-img", "dom-insertion", (c) => `var t=document.createElement("template");t.innerHTML="<img src='"+${c.js("t", "/p.gif")}+"'>";document.body.append(t.content.cloneNode(true))`),
  scripted("svg-image-by-script", "dom-insertion", (c) => `var s=document.createElementNS("http://www.w3.org/2000/svg","svg");var i=document.createElementNS("http://www.w3.org/2000/svg","image");i.setAttribute("href",${c.js("t", "/i.png")});i.setAttribute("width","5");i.setAttribute("height","5");s.append(i);document.body.append(s)`),
  scripted("object-by-script", "dom-insertion", (c) => `var o=document.createElement("object");o.type="text/html";o.data=${c.js("t", "/o.html")};document.body.append(o)`),
  scripted("style-text-by-script", "dom-insertion", (c) => `var s=document.createElement("style");s.textContent="body{background:url("+${c.js("t", "/bg.gif")}+")}";document.head.append(s)`),
  scripted("set-timeout-string", "dom-insertion", (c) => `setTimeout("new Image().src="+JSON.stringify(${c.js("t", "/p.gif")}),0)`),

  // --- hosts that have no registrable domain of their own ------------------------------------
  marked("s3-bucket-script", "host-classification", (c) => `<script src="http://${c.suffixHost("s3.amazonaws.com")}/lib.js"></script>`),
  marked("appspot-img", "host-classification", (c) => `<img src="http://${c.suffixHost("appspot.com")}/p.gif" alt="">`),
  marked("pages-dev-iframe", "host-classification", (c) => `<iframe src="http://${c.suffixHost("pages.dev")}/frame"></iframe>`),
  { id: "single-label-img", channel: "host-classification", modes: NOT_LIST, body: (c) => `<img src="http://${c.suffixHost("single-label")}/p.gif" alt="">` },
  { id: "single-label-fetch", channel: "host-classification", modes: NOT_LIST, body: (c) => script(`fetch("http://${c.suffixHost("single-label")}/f").catch(function(){})`) },
  // An address cannot be listed: no list-mode run.
  { id: "ip-literal-img", channel: "host-classification", modes: NOT_LIST, body: (c) => `<img src="http://127.0.0.2:${c.port}/p.gif" alt="">` },
];
