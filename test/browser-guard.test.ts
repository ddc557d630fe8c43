import { expect } from "chai";
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { guardScript, type GuardConfig } from "../src/actions/trackers/guard.js";
import { CHROMIUM, requireChromium } from "./support/browser.js";

/**
 * The guard script alone (wall 2), in Chromium: page scripts try every channel to a third party.
 * Every host name resolves to 127.0.0.1, where one server answers the page (Host 127.0.0.1) and
 * records every other Host it is asked for; preconnects, DNS prefetches and STUN lookups never make
 * a request, so Chromium's net log is read too. Each vector runs three times with its own host:
 * without the guard (it must reach its host, so the test can fail), then under a `third-party`
 * rule and under a `list` rule whose list holds `list.example`.
 */

type Mode = "none" | "tp" | "list";
const MODES: readonly Mode[] = ["none", "tp", "list"];

interface Vector {
  readonly name: string;
  /** Script run in the page; `O` is the third party's origin, `H` its host name, `P` the port. */
  readonly code: string;
  /** A navigation: it gets a page of its own. */
  readonly nav?: boolean;
  /** The host it reaches, when not `<name>.<mode>.example` (single-label hosts). */
  readonly host?: (mode: Mode) => string;
  /** STUN/TURN: `P` is a UDP port of its own, and a packet there is the leak. */
  readonly udp?: boolean;
  /** Modes in which the guard must stop it (default: both). */
  readonly stoppedIn?: readonly Mode[];
}

const V = (name: string, code: string, more: Partial<Vector> = {}): Vector => ({ name, code, ...more });
const later = (code: string): string => `setTimeout(function(){${code}},30)`;

const NAVIGATIONS: Vector[] = [
  V("nav-location-href", later(`location.href=O+"/n"`)),
  V("nav-location-assign", later(`location.assign(O+"/n")`)),
  V("nav-location-replace", later(`location.replace(O+"/n")`)),
  V("nav-location-set", later(`window.location=O+"/n"`)),
  V("nav-window-open", later(`window.open(O+"/n")`)),
  V("nav-anchor-click-detached", later(`var a=document.createElement("a");a.href=O+"/n";a.click()`)),
  V("nav-anchor-click-blank", later(`var a=document.createElement("a");a.href=O+"/n";a.target="_blank";document.body.append(a);a.click()`)),
  V("nav-anchor-synthetic-click", later(`var a=document.createElement("a");a.href=O+"/n";document.body.append(a);a.dispatchEvent(new MouseEvent("click",{bubbles:true,cancelable:true}))`)),
  V("nav-span-in-anchor-click", later(`var a=document.createElement("a");a.href=O+"/n";var s=document.createElement("span");a.append(s);document.body.append(a);s.click()`)),
  V("nav-form-submit", later(`var f=document.createElement("form");f.method="post";f.action=O+"/n";document.body.append(f);f.submit()`)),
  V("nav-form-request-submit-blank", later(`var f=document.createElement("form");f.action=O+"/n";f.target="_blank";document.body.append(f);f.requestSubmit()`)),
  V("nav-meta-refresh", later(`var m=document.createElement("meta");m.httpEquiv="refresh";m.content="0;url="+O+"/n";document.head.append(m)`)),
  V("nav-meta-refresh-html", later(`document.head.insertAdjacentHTML("beforeend",'<meta http-equiv="refresh" content="0; URL=\\''+O+'/n\\'">')`)),
  V("nav-child-sets-top", later(`var f=document.createElement("iframe");document.body.append(f);f.contentWindow.eval("top.location=\\""+O+"/n\\"")`)),
  // Alone: it changes the base URL of what follows.
  V("base-href", `var b=document.createElement("base");b.href=O+"/";document.head.prepend(b);var i=new Image();i.src="rel-after-base.gif"`),
  V("nav-popup-blank-then-location", later(`var w=window.open("");w.location=O+"/n"`)),
];

const LINK = (how: string): string => `var l=document.createElement("link");l.rel="preconnect";${how}`;
const SVG = "http://www.w3.org/2000/svg";
/** A visible box for the CSS vectors: a background loads only for what is rendered. */
const BOX = `var d=document.createElement("div");d.className="box";document.body.append(d);`;
const XLINK = "http://www.w3.org/1999/xlink";

const VECTORS: Vector[] = [
  // Network APIs.
  V("fetch", `fetch(O+"/f")`),
  V("fetch-request", `fetch(new Request(O+"/f"))`),
  V("xhr", `var x=new XMLHttpRequest();x.open("GET",O+"/x");x.send()`),
  V("beacon", `navigator.sendBeacon(O+"/b","x")`),
  V("websocket", `new WebSocket("ws://"+H+":"+P+"/ws")`),
  V("eventsource", `new EventSource(O+"/es")`),
  V("audio-constructor", `new Audio(O+"/a.mp3").play().catch(function(){})`),
  // URL forms the browser's parser cleans.
  V("url-backslashes", `fetch("\\\\\\\\"+H+":"+P+"/f")`),
  V("url-leading-controls", `fetch(" \\t\\n"+O+"/f")`),
  V("url-percent-encoded-host", `fetch("http://"+H.replace(/^./,function(c){return "%"+c.charCodeAt(0).toString(16)})+":"+P+"/f")`),
  V("url-single-label-host", `fetch("http://"+H+":"+P+"/f")`, { host: (m) => `singlelabel${m}`, stoppedIn: ["tp"] }),
  // Preconnects and DNS prefetches by every DOM path.
  V("link-preconnect-property", LINK(`l.href=O;document.head.append(l)`)),
  V("link-preconnect-setattribute", `var l=document.createElement("link");l.setAttribute("rel","preconnect");l.setAttribute("href","//"+H+":"+P);document.head.appendChild(l)`),
  V("link-attribute-node", LINK(`var a=document.createAttribute("href");a.value=O;l.setAttributeNode(a);document.head.append(l)`)),
  V("link-attribute-node-value-later", LINK(`var a=document.createAttribute("href");a.value="/fp/none";l.setAttributeNode(a);document.head.append(l);a.value=O`)),
  V("link-attribute-nodevalue", LINK(`var a=document.createAttribute("href");l.setAttributeNode(a);document.head.append(l);a.nodeValue=O`)),
  V("link-attribute-textcontent", LINK(`var a=document.createAttribute("href");l.setAttributeNode(a);document.head.append(l);a.textContent=O`)),
  V("link-named-node-map", LINK(`var a=document.createAttribute("href");a.value=O;l.attributes.setNamedItem(a);document.head.append(l)`)),
  V("link-domparser-adopt", `var x=new DOMParser().parseFromString('<link rel="preconnect" href="'+O+'">',"text/html");document.head.appendChild(document.adoptNode(x.head.firstChild))`),
  V("link-domparser-import", `var x=new DOMParser().parseFromString('<link rel="preconnect" href="'+O+'">',"text/html");document.head.appendChild(document.importNode(x.head.firstChild,true))`),
  V("link-domparser-append", `var x=new DOMParser().parseFromString('<link rel="preconnect" href="'+O+'">',"text/html");document.head.append(x.head.firstChild)`),
  V("link-template-clone", `var t=document.createElement("template");t.innerHTML='<link rel="preconnect" href="'+O+'">';document.head.appendChild(t.content.cloneNode(true))`),
  V("link-template-import", `var t=document.createElement("template");t.innerHTML='<link rel="preconnect" href="'+O+'">';document.head.appendChild(document.importNode(t.content,true))`),
  V("link-template-content", `var t=document.createElement("template");t.innerHTML='<link rel="preconnect" href="'+O+'">';document.head.append(t.content)`),
  V("link-clone-node", LINK(`var x=new DOMParser().parseFromString('<link rel="preconnect" href="'+O+'">',"text/html");document.head.append(x.head.firstChild.cloneNode())`)),
  V("link-prepend", LINK(`l.href=O;document.head.prepend(l)`)),
  V("link-before", LINK(`l.href=O;document.head.firstChild.before(l)`)),
  V("link-after", LINK(`l.href=O;document.head.lastChild.after(l)`)),
  V("link-replace-with", LINK(`l.href=O;var s=document.createElement("span");document.body.append(s);s.replaceWith(l)`)),
  V("link-insert-before", LINK(`l.href=O;document.head.insertBefore(l,null)`)),
  V("link-replace-child", LINK(`l.href=O;var s=document.createElement("span");document.body.append(s);document.body.replaceChild(l,s)`)),
  V("link-insert-adjacent-element", LINK(`l.href=O;document.body.insertAdjacentElement("beforeend",l)`)),
  V("link-range-insert-node", LINK(`l.href=O;var r=document.createRange();r.selectNodeContents(document.body);r.insertNode(l)`)),
  V("link-preload", `var l=document.createElement("link");l.rel="preload";l.as="image";l.href=O+"/p.gif";document.head.append(l)`),
  V("link-prefetch", `var l=document.createElement("link");l.rel="prefetch";l.href=O+"/p";document.head.append(l)`),
  V("link-modulepreload", `var l=document.createElement("link");l.rel="modulepreload";l.href=O+"/m.js";document.head.append(l)`),
  V("link-imagesrcset", `var l=document.createElement("link");l.rel="preload";l.as="image";l.setAttribute("imagesrcset",O+"/p.gif 1x, /fp/x.gif 2x");l.href="/fp/x.gif";document.head.append(l)`),
  // HTML strings.
  V("html-inner-detached-img", `document.createElement("div").innerHTML='<img src="'+O+'/i.gif">'`),
  V("html-inner", `document.body.insertAdjacentHTML("beforeend","<div id=x></div>");document.getElementById("x").innerHTML='<link rel="preconnect" href="'+O+'">'`),
  V("html-outer", `var s=document.createElement("span");document.body.append(s);s.outerHTML='<img src="'+O+'/i.gif">'`),
  V("html-insert-adjacent", `document.body.insertAdjacentHTML("afterbegin",'<img src="'+O+'/i.gif">')`),
  V("html-set-html-unsafe", `var d=document.createElement("div");document.body.append(d);d.setHTMLUnsafe('<img src="'+O+'/i.gif">')`),
  V("html-set-html-unsafe-shadow", `var d=document.createElement("div");document.body.append(d);d.setHTMLUnsafe('<div><template shadowrootmode="closed"><img src="'+O+'/i.gif"></template></div>')`),
  V("html-parse-html-unsafe", `var x=Document.parseHTMLUnsafe('<img src="'+O+'/i.gif">');document.body.append(x.body.firstChild)`),
  V("html-parse-html-unsafe-shadow", `var x=Document.parseHTMLUnsafe('<div><template shadowrootmode="closed"><img src="'+O+'/i.gif"></template></div>');document.body.append(x.body.firstChild)`),
  V("html-contextual-fragment", `var r=document.createRange();r.selectNodeContents(document.body);document.body.append(r.createContextualFragment('<img src="'+O+'/i.gif">'))`),
  V("html-shadow-root", `var d=document.createElement("div");document.body.append(d);d.attachShadow({mode:"closed"}).innerHTML='<img src="'+O+'/i.gif">'`),
  V("html-document-write", `document.write('<img src="'+O+'/i.gif">')`),
  V("html-document-write-split", `document.write('<img alt="a>b" sr');document.write('c="'+O+'/i.gif">')`),
  V("html-document-write-slash", `document.write('<img/src="'+O+'/i.gif">')`),
  V("html-noscript-differential", `document.body.insertAdjacentHTML("beforeend",'<noscript><p title="</noscript><img src=\\''+O+'/i.gif\\'>"></p></noscript>')`),
  // SVG.
  V("svg-image-href", `var s=document.createElementNS("${SVG}","svg"),i=document.createElementNS("${SVG}","image");i.setAttribute("href",O+"/i.gif");s.append(i);document.body.append(s)`),
  V("svg-image-xlink", `var s=document.createElementNS("${SVG}","svg"),i=document.createElementNS("${SVG}","image");i.setAttributeNS("${XLINK}","xlink:href",O+"/i.gif");s.append(i);document.body.append(s)`),
  V("svg-image-baseval", `var s=document.createElementNS("${SVG}","svg"),i=document.createElementNS("${SVG}","image");s.append(i);document.body.append(s);i.href.baseVal=O+"/i.gif"`),
  V("svg-feimage", `document.body.insertAdjacentHTML("beforeend",'<svg><filter id="f"><feImage href="'+O+'/i.gif"/></filter><rect filter="url(#f)" width="9" height="9"/></svg>')`),
  V("svg-script", `var s=document.createElementNS("${SVG}","svg"),c=document.createElementNS("${SVG}","script");c.setAttribute("href",O+"/s.js");s.append(c);document.body.append(s)`),
  V("svg-set-href", `document.body.insertAdjacentHTML("beforeend",'<svg><image width="9" height="9" href="/fp/svg.gif"><set attributeName="href" to="'+O+'/i.gif"/></image></svg>')`),
  V("svg-animate-href", `var s=document.createElementNS("${SVG}","svg"),i=document.createElementNS("${SVG}","image"),a=document.createElementNS("${SVG}","animate");i.setAttribute("width","9");i.setAttribute("height","9");a.setAttribute("attributeName","href");a.setAttribute("values",O+"/i.gif");a.setAttribute("dur","1s");i.append(a);s.append(i);document.body.append(s)`),
  // Other elements with a URL.
  V("srcdoc-property", `var f=document.createElement("iframe");f.srcdoc='<img src="'+O+'/i.gif">';document.body.append(f)`),
  V("srcdoc-attribute-connected", `var f=document.createElement("iframe");document.body.append(f);f.setAttribute("srcdoc",'<link rel="stylesheet" href="'+O+'/s.css">')`),
  V("video-poster", `var v=document.createElement("video");v.poster=O+"/p.gif";document.body.append(v)`),
  V("embed-src", `var e=document.createElement("embed");e.src=O+"/e";document.body.append(e)`),
  V("object-data", `var e=document.createElement("object");e.data=O+"/o";document.body.append(e)`),
  V("body-background", `document.body.setAttribute("background",O+"/bg.gif")`),
  V("image-srcset", `var i=new Image();i.srcset=O+"/i.gif 1x"`),
  V("import-map", `var s=document.createElement("script");s.type="importmap";s.textContent=JSON.stringify({imports:{"gc-mapped":O+"/m.js"}});document.head.append(s);import("gc-mapped").catch(function(){})`, { stoppedIn: ["tp", "list"] }),
  // CSS from script.
  V("css-style-property", `${BOX}d.style.backgroundImage="url("+O+"/bg.gif)"`),
  V("css-style-dashed-property", `${BOX}d.style["background-image"]="url("+O+"/bg.gif)"`),
  V("css-style-csstext", `${BOX}d.style.cssText="background:url('"+O+"/bg.gif')"`),
  V("css-style-setproperty", `${BOX}d.style.setProperty("background-image","url("+O+"/bg.gif)")`),
  V("css-style-attribute", `${BOX}d.setAttribute("style","background-image:url("+O+"/bg.gif)")`),
  V("css-style-assign", `${BOX}d.style="background-image:url("+O+"/bg.gif)"`),
  V("css-style-escaped", `${BOX}d.style.backgroundImage="\\\\75rl("+O+"/bg.gif)"`),
  V("css-style-forced-layout", `${BOX}d.style.backgroundImage="url("+O+"/bg.gif)";getComputedStyle(d).backgroundImage;d.offsetWidth`),
  V("css-typed-om", `${BOX}d.attributeStyleMap.set("background-image","url("+O+"/bg.gif)")`),
  V("css-style-element-text", `var s=document.createElement("style");s.textContent=".box{background:url("+O+"/bg.gif)}";document.head.append(s);var d=document.createElement("div");d.className="box";document.body.append(d)`),
  V("css-style-element-text-later", `var s=document.createElement("style");document.head.append(s);s.textContent="@import url("+O+"/i.css);"`),
  V("css-style-text-node", `var s=document.createElement("style");document.head.append(s);s.appendChild(document.createTextNode("@import '"+O+"/i.css';"))`),
  V("css-style-text-data", `var s=document.createElement("style"),t=document.createTextNode("");s.append(t);document.head.append(s);t.data="@import '"+O+"/i.css';"`),
  V("css-style-append-string", `var s=document.createElement("style");document.head.append(s);s.append("@import '"+O+"/i.css';")`),
  V("css-insert-rule", `var s=document.createElement("style");document.head.append(s);try{s.sheet.insertRule("@import url("+O+"/i.css)",0)}catch(e){}`),
  V("css-insert-rule-background", `var s=document.createElement("style");document.head.append(s);try{s.sheet.insertRule(".box2{background:url("+O+"/bg.gif)}",0)}catch(e){}var d=document.createElement("div");d.className="box2";document.body.append(d)`),
  V("css-rule-style", `var s=document.createElement("style");s.textContent=".box3{width:9px;height:9px}";document.head.append(s);s.sheet.cssRules[0].style.backgroundImage="url("+O+"/bg.gif)";var d=document.createElement("div");d.className="box3";document.body.append(d)`),
  V("css-constructed-sheet", `var c=new CSSStyleSheet();try{c.replaceSync(".box4{background:url("+O+"/bg.gif)}")}catch(e){}document.adoptedStyleSheets=[c];var d=document.createElement("div");d.className="box4";document.body.append(d)`),
  V("css-font-face", `var f=new FontFace("gcf","url("+O+"/f.woff)");document.fonts.add(f);f.load().catch(function(){})`),
  // Workers.
  V("worker-blob", `new Worker(URL.createObjectURL(new Blob(['fetch("'+O+'/w")'],{type:"text/javascript"})))`),
  V("worker-blob-revoked", `var u=URL.createObjectURL(new Blob(['fetch("'+O+'/w")'],{type:"text/javascript"}));new Worker(u);URL.revokeObjectURL(u)`),
  V("worker-blob-module", `new Worker(URL.createObjectURL(new Blob(['fetch("'+O+'/w")'],{type:"text/javascript"})),{type:"module"})`),
  V("worker-data", `new Worker("data:text/javascript,"+encodeURIComponent('fetch("'+O+'/w")'))`),
  V("worker-blob-import-scripts", `new Worker(URL.createObjectURL(new Blob(['try{importScripts("'+O+'/w.js")}catch(e){}'],{type:"text/javascript"})))`),
  V("worker-nested-blob", `new Worker(URL.createObjectURL(new Blob(['new Worker(URL.createObjectURL(new Blob([\\'fetch("'+O+'/w")\\'],{type:"text/javascript"})))'],{type:"text/javascript"})))`),
  V("worker-shared-blob", `new SharedWorker(URL.createObjectURL(new Blob(['fetch("'+O+'/w")'],{type:"text/javascript"})))`),
  // Same-origin child windows.
  V("child-iframe-fetch", `var f=document.createElement("iframe");document.body.append(f);f.contentWindow.fetch(O+"/c")`),
  V("child-iframe-image", `var f=document.createElement("iframe");document.body.append(f);new f.contentWindow.Image().src=O+"/c.gif"`),
  V("child-iframe-document", `var f=document.createElement("iframe");document.body.append(f);f.contentDocument.body.innerHTML='<img src="'+O+'/c.gif">'`),
  V("child-iframe-in-fragment", `var f=document.createElement("iframe"),g=document.createDocumentFragment();g.append(f);document.body.append(g);frames[frames.length-1].fetch(O+"/c")`),
  V("child-parser-frame", `frames.pf.fetch(O+"/c")`),
  V("child-popup-blank", `var w=window.open("");if(w)w.fetch(O+"/c")`),
  // WebRTC.
  V("webrtc-stun", `var p=new RTCPeerConnection({iceServers:[{urls:"stun:"+H+":"+P}]});p.createDataChannel("x");p.createOffer().then(function(o){return p.setLocalDescription(o)})`, { udp: true }),
  V("webrtc-set-configuration", `var p=new RTCPeerConnection();p.setConfiguration({iceServers:[{urls:["turn:"+H+":"+P+"?transport=udp"],username:"u",credential:"c"}]});p.createDataChannel("x");p.createOffer().then(function(o){return p.setLocalDescription(o)})`, { udp: true }),
];

/** First-party loads every page makes; each must arrive in every mode. */
const FIRST_PARTY = ["fetch", "xhr", "img.gif", "rel.gif", "app.js", "site.css", "bg.gif", "from-worker", "font.woff"];
/** Pages live under /m/<mode>/, so a same-folder URL without a slash is one of these too. */
const FIRST_PARTY_CODE = (m: Mode): string => `fetch("/m/${m}/fetch");var x=new XMLHttpRequest();x.open("GET","/m/${m}/xhr");x.send();new Image().src="/m/${m}/img.gif";
var d=document.createElement("div");d.innerHTML='<img src="rel.gif">';document.body.append(d);
var s=document.createElement("script");s.src="/m/${m}/app.js";document.head.append(s);
var l=document.createElement("link");l.rel="stylesheet";l.href="/m/${m}/site.css";document.head.append(l);
var b=document.createElement("div");b.className="box";b.style.backgroundImage="url(/m/${m}/bg.gif)";document.body.append(b);
new Worker("/m/${m}/worker.js");new FontFace("fpf","url(/m/${m}/font.woff)").load().catch(function(){});`;

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");
const TYPES: Record<string, string> = { gif: "image/gif", js: "text/javascript", css: "text/css", svg: "image/svg+xml" };

function hostOf(v: Vector, mode: Mode): string {
  return v.host ? v.host(mode) : `${v.name}.${mode}.example`;
}

function config(mode: Mode): GuardConfig | null {
  if (mode === "none") return null;
  return { rules: [{ mode: mode === "tp" ? "third-party" : "list", allow: [] }], listDomains: ["list.example"], firstPartyDomain: null, firstPartyHost: "127.0.0.1" };
}

function wrap(v: Vector, mode: Mode, port: number): string {
  const h = hostOf(v, mode);
  if (v.udp) port = UDP.get(h) ?? 0;
  return `(function(O,H,P){try{${v.code}}catch(e){console.log("vector ${v.name}: "+e)}})(${JSON.stringify(`http://${h}:${port}`)},${JSON.stringify(h)},${port});`;
}

function pageHtml(mode: Mode, vectors: readonly Vector[], port: number, withFirstParty: boolean): string {
  const cfg = config(mode);
  const guard = cfg ? `<script>${guardScript(cfg)}</script>` : "";
  return `<!doctype html><html><head><meta charset="utf-8">${guard}<style>.box{width:20px;height:20px}</style></head><body>
<iframe name="pf"></iframe><a id="reader-link" href="http://gesture.${mode}.example:${port}/n">a link</a>
<script>${withFirstParty ? FIRST_PARTY_CODE(mode) : ""}${vectors.map((v) => wrap(v, mode, port)).join("\n")}
setTimeout(function(){window.__done=true},1200)</script></body></html>`;
}

/** What a site does with the DOM itself, first party only; each step reports what came of it. */
function DOM_WORK(): string[] {
  const out: string[] = [];
  const box = document.createElement("div");
  document.body.append(box);
  const html = (el: Element): string => el.outerHTML;
  box.innerHTML = '<p class="a">x<b>y</b><img src="/fp/i.gif" alt="i"><script>window.__ran=1</script><noscript><img src="n.gif"></noscript>';
  out.push(html(box), String((window as unknown as { __ran?: number }).__ran));
  const tbody = document.createElement("tbody");
  tbody.innerHTML = "<tr><td>1<td>2</tr>";
  out.push(html(tbody));
  const t = document.createElement("template");
  t.innerHTML = "<li>one</li><li>two</li>";
  box.append(t.content.cloneNode(true));
  out.push(html(box), String(t.content.childNodes.length));
  box.insertAdjacentHTML("afterbegin", "<i>first</i>");
  box.insertAdjacentHTML("beforeend", "<i>last</i>");
  box.firstElementChild?.insertAdjacentHTML("beforebegin", "<u>before</u>");
  box.lastElementChild?.insertAdjacentHTML("afterend", "<u>after</u>");
  out.push(html(box));
  const span = document.createElement("span");
  box.append(span);
  span.outerHTML = "<em>o1</em><em>o2</em>";
  out.push(html(box));
  const r = document.createRange();
  r.selectNodeContents(box);
  const f = r.createContextualFragment("<s>frag</s><script>window.__frag=1<\/script>");
  box.append(f);
  out.push(html(box), String((window as unknown as { __frag?: number }).__frag));
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.innerHTML = '<circle r="2" fill="url(#g)"/><use href="#c"/>';
  out.push(html(svg));
  const styled = document.createElement("div");
  styled.style.color = "red";
  styled.style.setProperty("margin-left", "3px");
  styled.style.cssText += ";padding:1px";
  styled.style.backgroundImage = "url(/fp/bg2.gif)";
  box.append(styled);
  out.push(styled.getAttribute("style") ?? "", styled.style.color, String(styled.style.length), styled.style.getPropertyValue("margin-left"), getComputedStyle(styled).color, String(styled.style instanceof CSSStyleDeclaration), String(styled.style === styled.style));
  const st = document.createElement("style");
  st.textContent = ".q{color:blue;background:url(/fp/q.gif)}";
  document.head.append(st);
  st.sheet?.insertRule(".r{color:green}", 0);
  out.push(String(st.sheet?.cssRules.length));
  const a = document.createElement("a");
  a.href = "https://elsewhere.example/page";
  a.setAttribute("target", "_blank");
  box.append(a);
  out.push(html(a));
  const d2 = new DOMParser().parseFromString("<p id=pp>parsed</p>", "text/html");
  box.append(document.adoptNode(d2.getElementById("pp") as Element));
  out.push(html(box));
  const at = document.createAttribute("data-x");
  at.value = "1";
  box.setAttributeNode(at);
  out.push(String(box.getAttribute("data-x")), String(box.attributes.length));
  const frame = document.createElement("iframe");
  box.append(frame);
  const cd = frame.contentDocument as Document;
  cd.body.innerHTML = "<b>in frame</b>";
  out.push(cd.body.innerHTML, String(frame.contentWindow?.document === cd));
  const text = document.createTextNode("t");
  box.append(text);
  text.data = "changed";
  out.push(box.lastChild?.textContent ?? "");
  return out;
}

/** The UDP port standing for each STUN/TURN host: a packet that arrives there is a leak. */
const UDP = new Map<string, number>();

/** One server for the page and every third party; it records each request by its Host. */
class Recorder {
  readonly hosts = new Set<string>();
  readonly firstParty = new Map<string, Set<string>>();
  private readonly server: Server;
  private readonly sockets: Socket[] = [];
  private readonly pages = new Map<string, string>();
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const host = (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const ext = path.split(".").pop() ?? "";
      if (host !== "127.0.0.1") {
        this.hosts.add(host);
        res.setHeader("content-type", TYPES[ext] ?? "text/html");
        res.setHeader("access-control-allow-origin", "*");
        res.end(ext === "gif" ? GIF : "");
        return;
      }
      const page = this.pages.get(path);
      if (page !== undefined) {
        res.setHeader("content-type", "text/html");
        res.end(page);
        return;
      }
      const match = /^\/m\/(\w+)\/(.*)$/.exec(path);
      const mode = match?.[1] ?? "?";
      const name = match?.[2] ?? path;
      const seen = this.firstParty.get(mode) ?? new Set<string>();
      seen.add(name);
      this.firstParty.set(mode, seen);
      res.setHeader("content-type", TYPES[ext] ?? "text/plain");
      if (name === "worker.js") res.end(`fetch("from-worker")`);
      else res.end(ext === "gif" ? GIF : "");
    });
  }

  async start(udpHosts: readonly string[]): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as AddressInfo).port;
    for (const host of udpHosts) {
      const socket = createSocket("udp4");
      socket.on("message", () => void this.hosts.add(host));
      await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
      UDP.set(host, socket.address().port);
      this.sockets.push(socket);
    }
  }

  page(path: string, html: string): string {
    this.pages.set(path, html);
    return `http://127.0.0.1:${this.port}${path}`;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.close();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe("browser: the guard script stops every channel page scripts have to a third party", function () {
  this.timeout(300000);
  const recorder = new Recorder();
  const profile = mkdtempSync(join(tmpdir(), "gc-guard-"));
  const netLog = join(profile, "..", `${profile.split("/").pop()}-net.json`);
  let netHosts = new Set<string>();
  const blockedCounts: Record<string, number> = {};
  const speculation: Record<string, string> = {};
  const dom: Record<string, string[]> = {};

  before(async function () {
    requireChromium(this);
    await recorder.start(VECTORS.filter((v) => v.udp).flatMap((v) => MODES.map((m) => hostOf(v, m))));
    const port = recorder.port;
    const context: BrowserContext = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--host-resolver-rules=MAP * 127.0.0.1", `--log-net-log=${netLog}`, "--net-log-capture-mode=Everything"],
    });
    try {
      for (const mode of MODES) {
        const page = await context.newPage();
        await page.goto(recorder.page(`/m/${mode}/bundle`, pageHtml(mode, VECTORS, port, true)), { waitUntil: "load" });
        await page.waitForFunction(() => (window as unknown as { __done?: boolean }).__done === true, undefined, { timeout: 15000 });
        await page.waitForTimeout(500);
        blockedCounts[mode] = await page.evaluate(() => (window as unknown as { geoCompliance?: { blocked: string[] } }).geoCompliance?.blocked.length ?? 0);
        dom[mode] = await page.evaluate(DOM_WORK);
        // Speculative loads are never needed for a protected reader: the rules never take effect.
        speculation[mode] = await page.evaluate(() => {
          const s = document.createElement("script");
          s.type = "speculationrules";
          s.text = JSON.stringify({ prefetch: [{ source: "list", urls: ["http://spec.example/"] }] });
          document.head.append(s);
          return s.type;
        });
        // A link the reader clicks is the reader's choice.
        await page.click("#reader-link");
        await page.waitForTimeout(300);
        await page.close();
        for (const v of NAVIGATIONS) {
          const p = await context.newPage();
          await p.goto(recorder.page(`/m/${mode}/${v.name}`, pageHtml(mode, [v], port, false)), { waitUntil: "load" });
          await p.waitForTimeout(400);
          await p.close();
        }
        for (const p of context.pages()) await p.close();
      }
    } finally {
      await context.close();
    }
    // Chromium writes the log as it goes and finishes it on exit: one event per line.
    netHosts = new Set<string>();
    const text = readFileSync(netLog, "utf8");
    const named = new Set(text.match(/[a-z0-9.-]+\.(?:none|tp|list)\.example/g) ?? []);
    for (const v of [...VECTORS, ...NAVIGATIONS]) for (const m of MODES) if (named.has(hostOf(v, m))) netHosts.add(hostOf(v, m));
  });

  after(async () => {
    await recorder.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(netLog, { force: true });
  });

  const reached = (host: string): boolean => recorder.hosts.has(host) || netHosts.has(host);

  for (const v of [...NAVIGATIONS, ...VECTORS]) {
    const stopped = v.stoppedIn ?? ["tp", "list"];
    it(`${v.name}: reaches its host without the guard, nothing with it (${stopped.join(", ")})`, () => {
      expect(reached(hostOf(v, "none")), `${hostOf(v, "none")} without the guard`).to.equal(true);
      for (const m of stopped) expect(reached(hostOf(v, m)), `${hostOf(v, m)} with the guard`).to.equal(false);
    });
  }

  it("keeps the site's own requests: every first-party load arrives in every mode", () => {
    const missing = MODES.map((m) => `${m}: ${FIRST_PARTY.filter((p) => !recorder.firstParty.get(m)?.has(p)).join(" ")}`);
    expect(missing).to.deep.equal(MODES.map((m) => `${m}: `));
    expect(blockedCounts.tp, "what the guard stopped is listed").to.be.greaterThan(VECTORS.length / 2);
  });

  it("leaves the page's own DOM work as it is without the guard", () => {
    expect(dom.tp).to.deep.equal(dom.none);
    expect(dom.list).to.deep.equal(dom.none);
    expect(dom.none?.length).to.be.greaterThan(10);
  });

  it("never lets speculation rules made by script take effect", () => {
    expect(speculation).to.deep.equal({ none: "speculationrules", tp: "text/plain", list: "text/plain" });
  });

  it("lets the reader follow a link: a click with a gesture navigates to a third party", () => {
    for (const m of MODES) expect(recorder.hosts.has(`gesture.${m}.example`), m).to.equal(true);
  });

  it("in list mode, blocks listed hosts only: a single-label host not on the list is reached", () => {
    expect(recorder.hosts.has("singlelabellist")).to.equal(true);
  });
});
