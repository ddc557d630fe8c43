import type { GuardRule } from "./matcher.js";

export interface GuardConfig {
  readonly rules: readonly GuardRule[];
  /** Tracker list domains, needed when a rule is in `list` mode. */
  readonly listDomains: readonly string[];
  readonly firstPartyDomain: string | null;
  readonly firstPartyHost: string | null;
}

/**
 * What stops network use in any realm: the window, a same-origin child window, a worker. It is
 * turned back into source (`net.toString()`) to run first inside blob: and data: workers, so it
 * depends on nothing outside itself. Hooks: `fetch`, `fetchLater`, `XMLHttpRequest`, `sendBeacon`,
 * `WebSocket`, `EventSource`, `WebTransport`, `Cache#add`, worklets, `importScripts`, workers and
 * service workers, `FontFace` sources, and STUN/TURN servers given to `RTCPeerConnection`.
 *
 * `import()` cannot be hooked: it is a keyword. The server rewrite wraps every `import(expr)` of the
 * site's own scripts (files and inline) in a call of the check defined here under
 * `Symbol.for("geo-compliance.import")`, which returns a URL that loads nothing for a blocked host;
 * where the check is missing the wrapped call throws. First-party worker scripts get this same code
 * first (`workerGuardScript`), since nothing from the page reaches a worker's global; static
 * imports of a module worker are fetched before any of its code runs, and are rewritten on the
 * server. In `third-party` mode the Content-Security-Policy, sent on worker scripts too, stands
 * behind all of it.
 */
const NET = String.raw`
function net(w,R,L,FP,FH){
var G=w.geoCompliance=w.geoCompliance||{};G.blocked=G.blocked||[];
function set(a){if(!Array.isArray(a))return a;var s=Object.create(null);for(var i=0;i<a.length;i++)s[a[i]]=1;return s}
var list=L?set(L.split("|")):null;for(var i=0;i<R.length;i++)R[i].a=set(R[i].a);
var OH="";try{OH=w.location.hostname}catch(e){}
function under(h,s){for(;;){if(s[h])return 1;var k=h.indexOf(".");if(k<0)return 0;h=h.slice(k+1)}}
function host(h){h=String(h).toLowerCase().replace(/\.$/,"");
for(var i=0;i<R.length;i++){var r=R[i];if(h&&under(h,r.a))continue;
if(r.m==="list"){if(list&&h&&under(h,list))return 1}
else if(!h||h!==FH&&h!==OH&&!(FP&&(h===FP||h.slice(-FP.length-1)==="."+FP)))return 1}
return 0}
function base(){try{return w.document?w.document.baseURI:w.location.href}catch(e){}}
function blocked(u){if(u==null)return 0;var x;try{x=new w.URL(String(u),base())}catch(e){return 0}
return /^(https?|wss?):$/.test(x.protocol)&&host(x.hostname)}
function deny(u){G.blocked.push(String(u))}
function err(){return new w.DOMException("blocked by geo-compliance","SecurityError")}
function unesc(t){return t.replace(/\\([0-9a-fA-F]{1,6})[ \t\n]?/g,function(m,h){h=parseInt(h,16);return String.fromCodePoint(h>0&&h<0x110000?h:65533)}).replace(/\\([^\n])/g,"$1")}
function css(t){if(t==null)return 0;t=String(t);if(!/[\/\\:]/.test(t))return 0;t=unesc(t);
var re=/url\(\s*(["']?)([^"')\s]*)|"([^"]*)"|'([^']*)'/gi,m;
while(m=re.exec(t)){var u=m[2]!=null?m[2]:m[3]!=null?m[3]:m[4];if(u&&blocked(u.trim()))return 1}return 0}
function url(i){return i&&typeof i==="object"&&"url" in i?i.url:i}
function hook(o,k,f){var n=o&&o[k];if(typeof n==="function")o[k]=f(n)}
function ctor(k,pre){var C=w[k];if(!C)return;var P=function(){if(!new.target)return C.apply(this,arguments);
var a=[].slice.call(arguments),b=pre(a);if(b!=null){deny(b);throw err()}return Reflect.construct(C,a,new.target===P?C:new.target)};
P.prototype=C.prototype;Object.setPrototypeOf(P,C);w[k]=P;return P}
hook(w,"fetch",function(n){return function(i){var u=url(i);if(blocked(u)){deny(u);return Promise.reject(new TypeError("Failed to fetch"))}return n.apply(this,arguments)}});
hook(w,"fetchLater",function(n){return function(i){var u=url(i);if(blocked(u)){deny(u);throw err()}return n.apply(this,arguments)}});
var X=w.XMLHttpRequest&&w.XMLHttpRequest.prototype,XO=X&&X.open,XS=X&&X.send,XB=new WeakSet();
hook(X,"open",function(n){return function(m,u){if(blocked(u)){XB.add(this);deny(u)}else XB.delete(this);return n.apply(this,arguments)}});
hook(X,"send",function(n){return function(){if(XB.has(this)){var x=this;w.setTimeout(function(){x.dispatchEvent(new w.ProgressEvent("error"));x.dispatchEvent(new w.ProgressEvent("loadend"))},0);return}return n.apply(this,arguments)}});
hook(w.Navigator&&w.Navigator.prototype,"sendBeacon",function(n){return function(u){if(blocked(u)){deny(u);return true}return n.apply(this,arguments)}});
["WebSocket","EventSource","WebTransport"].forEach(function(k){ctor(k,function(a){return blocked(a[0])?a[0]:null})});
["add","addAll"].forEach(function(k){hook(w.Cache&&w.Cache.prototype,k,function(n){return function(r){var l=[].concat(k==="add"?[r]:Array.from(r||[]));for(var i=0;i<l.length;i++)if(blocked(url(l[i]))){deny(url(l[i]));return Promise.reject(err())}return n.apply(this,arguments)}})});
hook(w.Worklet&&w.Worklet.prototype,"addModule",function(n){return function(u){if(blocked(u)){deny(u);return Promise.reject(err())}return n.apply(this,arguments)}});
hook(w.ServiceWorkerContainer&&w.ServiceWorkerContainer.prototype,"register",function(n){return function(u){if(blocked(u)){deny(u);return Promise.reject(err())}return n.apply(this,arguments)}});
hook(w,"importScripts",function(n){return function(){for(var i=0;i<arguments.length;i++)if(blocked(arguments[i])){deny(arguments[i]);throw err()}return n.apply(this,arguments)}});
var WC=Object.create(null);
function inner(u){var s=String(u);if(!/^\s*(blob|data):/i.test(s)||!X)return u;if(WC[s])return WC[s];
try{var x=new w.XMLHttpRequest();XO.call(x,"GET",s,false);XS.call(x);
var g="("+net+")(self,"+JSON.stringify(R.map(function(r){return{m:r.m,a:Object.keys(r.a)}}))+","+JSON.stringify(L)+","+JSON.stringify(FP)+","+JSON.stringify(FH||OH)+");\n";
return WC[s]=w.URL.createObjectURL(new w.Blob([g,x.responseText],{type:"text/javascript"}))}catch(e){return u}}
["Worker","SharedWorker"].forEach(function(k){ctor(k,function(a){if(blocked(a[0]))return a[0];a[0]=inner(a[0]);return null})});
function ice(c){var s=c&&c.iceServers;if(!s)return null;s=[].concat(s);for(var i=0;i<s.length;i++){var l=[].concat(s[i]&&(s[i].urls||s[i].url)||[]);
for(var j=0;j<l.length;j++){var m=/^\s*(?:stuns?|turns?):(\[[^\]]*\]|[^:?\/]*)/i.exec(String(l[j]));if(!m||host(m[1]))return l[j]}}return null}
var PC=w.RTCPeerConnection,P2=ctor("RTCPeerConnection",function(a){return ice(a[0])});if(P2&&w.webkitRTCPeerConnection===PC)w.webkitRTCPeerConnection=P2;
hook(PC&&PC.prototype,"setConfiguration",function(n){return function(c){var b=ice(c);if(b!=null){deny(b);throw err()}return n.apply(this,arguments)}});
ctor("FontFace",function(a){if(typeof a[1]==="string"&&css(a[1])){deny(a[1]);a[1]="local(geo-compliance-blocked)"}return null});
try{Object.defineProperty(w,w.Symbol.for("geo-compliance.import"),{configurable:true,value:function(u){var s=String(u);if(blocked(s)){deny(s);return"about:invalid"}return s}})}catch(e){}
return{b:blocked,d:deny,c:css,h:hook,G:G,k:ctor}}
`;

/**
 * The rest of the guard, for a window: it runs before any other script in the page and, for hosts
 * the rules block, stops what page scripts do later.
 *
 * - Markup: every node is checked before the browser connects it (`appendChild`, `append`,
 *   `before`, `replaceWith`, `insertAdjacentElement`, `Range#insertNode`…, also `adoptNode`,
 *   `importNode` and `cloneNode`, so nodes from `DOMParser`, `<template>` or another document are
 *   checked too), and every attribute write (`setAttribute*`, attribute nodes, URL properties,
 *   `srcdoc`). HTML strings (`innerHTML`, `outerHTML`, `insertAdjacentHTML`, `setHTMLUnsafe`,
 *   `setHTML`, `createContextualFragment`) are parsed in an inert document, checked there and
 *   only then moved in; `document.write` is checked the same way and written unchanged when
 *   nothing in it is blocked (a tag cut between two writes is checked once whole). Declarative
 *   shadow roots given by script are parsed as plain templates: a closed one could not be
 *   checked. A blocked URL gets the consent-manager neutral form.
 * - CSS: inline styles (through a proxy of `style`), `<style>` text by any path, CSSOM rules,
 *   typed OM, `FontFace`.
 * - `<script type=speculationrules|importmap>` made by script never take effect.
 * - Navigations without a user gesture: the Navigation API's `navigate` event for the window
 *   itself, and before it `window.open`, `click()`, synthetic clicks and form submission, which
 *   may open another window.
 * - Same-origin child windows (`about:blank` frames, `window.open('')`) get the guard as soon as
 *   they exist. The Navigation API has no events in an initial `about:blank` document, so a frame
 *   the page points elsewhere (`frame.contentWindow.location = …`) is not stopped here (in
 *   `third-party` mode the policy's `frame-src` is); a blank popup without a gesture is refused,
 *   as the browser's popup blocker would; `srcdoc` documents get it as their first script, and so do
 *   HTML blobs (a `blob:` document is the page's origin, but a new global). A `data:` document set
 *   on a frame, object or embed has an opaque origin the guard cannot enter: it is refused when it
 *   loads a blocked host or runs script. A mutation observer checks
 *   whatever got in by another path (the parser included) before the next rendering.
 *
 * `window.geoCompliance.blocked` lists what it stopped; in `list` mode
 * `window.geoCompliance.allow(domain)` lets a consent manager turn a vendor back on.
 */
const PAGE = String.raw`
var DONE=new WeakSet(),SELF=document.currentScript&&document.currentScript.text||"";
FH=FH||W.location.hostname;
function active(){try{return W.navigator.userActivation.isActive}catch(e){return false}}
function page(w){var d;try{d=w.document;if(!d||DONE.has(w.EventTarget))return}catch(e){return}DONE.add(w.EventTarget);if(w.geoCompliance&&w.geoCompliance.isBlocked)return;
var B=net(w,R,L,FP,FH),blocked=B.b,deny=B.d,css=B.c,hook=B.h,G=B.G,ctor=B.k;
G.isBlocked=blocked;if(L)G.allow=function(dom){dom=String(dom).toLowerCase();for(var i=0;i<R.length;i++)if(R[i].m==="list")R[i].a[dom]=1};
function pd(p,k){return p&&Object.getOwnPropertyDescriptor(p,k)}
function acc(p,k,get,set){var ds=pd(p,k);if(!ds||!ds.get)return;try{Object.defineProperty(p,k,{configurable:true,enumerable:ds.enumerable,
get:get?function(){return get.call(this,ds.get.call(this))}:ds.get,set:ds.set&&(set?function(v){if(!set.call(this,v))ds.set.call(this,v)}:ds.set)})}catch(e){}return ds}
var E=w.Element.prototype,NP=w.Node.prototype,DP=w.Document.prototype,FP_=w.DocumentFragment.prototype,HE=w.HTMLElement.prototype;
var RC=E.replaceChildren,FRC=FP_.replaceChildren,BF=E.before,AF=E.after,PR=E.prepend,AP=E.append,RW=E.replaceWith;
var SA=E.setAttribute,GA=E.getAttribute,HA=E.hasAttribute,RAN=E.removeAttributeNode,GAS=pd(E,"attributes").get,TC=pd(NP,"textContent");
var SVG="http://www.w3.org/2000/svg",MK="data-geo-compliance-";
function ln(n){return n&&n.localName?String(n.localName).toLowerCase():""}
function ss(a){var o=Object.create(null);a.split(" ").forEach(function(k){o[k]=1});return o}
var U=Object.create(null),T="script:src href attributionsrc|img:src srcset attributionsrc|iframe:src|frame:src|source:src srcset|track:src|video:src poster|audio:src|embed:src|object:data|input:src|link:href imagesrcset|a:ping attributionsrc|area:ping attributionsrc|base:href|body:background|table:background|thead:background|tbody:background|tfoot:background|tr:background|td:background|th:background|meta:content http-equiv|set:to from values by|animate:to from values by".split("|");
T.forEach(function(e){e=e.split(":");U[e[0]]=ss(e[1])});
function refresh(v){var m=/^\s*[\d.]*\s*(?:[;,]\s*)?(?:url\s*=\s*)?(.*)$/i.exec(String(v==null?"":v)),u=m?m[1].trim():"";if(/^['"]/.test(u))u=u.slice(1).replace(/['"][^]*$/,"");return u}
function bad(el,n,v){var t=ln(el),svg=el.namespaceURI===SVG;v=v==null?"":String(v);n=n.replace(/^.*:/,"");
if(n==="style"||svg&&n!=="href"&&v.indexOf("url(")>=0)return css(v);
var a=U[t];if(!(a&&a[n])&&!(svg&&n==="href"&&t!=="a"))return 0;if(DD[t]===n&&ddoc(v))return 1;
if(t==="meta")return n==="content"?String(GA.call(el,"http-equiv")).toLowerCase()==="refresh"&&blocked(refresh(v)):v.toLowerCase()==="refresh"&&blocked(refresh(GA.call(el,"content")));
var us=n==="srcset"||n==="imagesrcset"?v.split(",").map(function(c){return c.trim().split(/\s+/)[0]}):n==="ping"||n==="attributionsrc"?v.split(/\s+/):n==="values"?v.split(";"):[v];
for(var i=0;i<us.length;i++)if(us[i].trim()&&blocked(us[i].trim()))return 1;return 0}
var DD=Object.assign(Object.create(null),{iframe:"src",frame:"src",object:"data",embed:"src"}),DT=/^\s*(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|multipart\/related)\s*(;|$)/i,RS=/<script|[\s"'\/]on[a-z]+\s*=|javascript:/i;
function dbad(h,html){if(RS.test(h))return 1;try{return clean(new w.DOMParser().parseFromString(h,html?"text/html":"application/xml"))}catch(e){return 1}}
function ddoc(v){var m=/^[\x00-\x20]*data:([^,]*),([^]*)$/i.exec(v);if(!m)return 0;var ty=m[1],b=/;\s*base64\s*$/i.test(ty);ty=ty.replace(/;\s*base64\s*$/i,"");if(!DT.test(ty))return 0;
var h;try{h=m[2].replace(/[\t\n\r]/g,"");h=b?w.atob(decodeURIComponent(h).replace(/\s/g,"")):decodeURIComponent(h)}catch(e){return 1}return dbad(h,1)}
function stop(el,n,v){n=String(n).toLowerCase().replace(":","-");SA.call(el,MK+n,String(v));SA.call(el,MK+"blocked","guard");if(ln(el)==="script")SA.call(el,"type","text/plain");deny(v)}
function spec(el,v){var t=String(v).trim().toLowerCase();if(t!=="speculationrules"&&t!=="importmap")return 0;SA.call(el,MK+"type",t);SA.call(el,"type","text/plain");SA.call(el,MK+"blocked","guard");deny(t);return 1}
function held(el){return ln(el)==="script"&&HA.call(el,MK+"blocked")}
var SD=new WeakMap(),SDS=pd(w.HTMLIFrameElement.prototype,"srcdoc");
function doc(h){try{var x=new w.DOMParser().parseFromString(String(h),"text/html");clean(x);var ns=x.querySelectorAll("noscript");for(var i=0;i<ns.length;i++)ns[i].remove();
if(SELF){var s=x.createElement("script");s.text=SELF;x.head.insertBefore(s,x.head.firstChild)}
return(x.compatMode==="CSS1Compat"?"<!DOCTYPE html>":"")+x.documentElement.outerHTML}catch(e){return""}}
function setdoc(el,h){var v=doc(h);SD.set(el,v);SDS.set.call(el,v)}
var Q=[];
function chk(el){var t=ln(el),as=GAS.call(el),hit=0;
for(var i=as.length-1;i>=0;i--){var a=as[i],n=a.name.toLowerCase();if(n.indexOf(MK)===0)continue;if(bad(el,n,a.value)){var v=a.value;RAN.call(el,a);stop(el,n,v);hit=1}}
if(t==="style"&&css(TC.get.call(el))){TC.set.call(el,"");SA.call(el,MK+"blocked","guard");deny("style");hit=1}
if(t==="script"&&!held(el)&&HA.call(el,"type")&&spec(el,GA.call(el,"type")))hit=1;
if(t==="iframe"&&HA.call(el,"srcdoc")&&GA.call(el,"srcdoc")!==SD.get(el)){setdoc(el,GA.call(el,"srcdoc"));hit=1}
if(FT[t])Q.push(el);return hit}
var OK=new WeakSet(),FT=ss("iframe frame object");
function one(e){var hit=0,t=ln(e);if(OK.has(e)){if(FT[t])Q.push(e)}else{hit=chk(e);OK.add(e)}if(t==="template")hit|=clean(e.content);if(e.shadowRoot)hit|=clean(e.shadowRoot);return hit}
function clean(n){if(!n||typeof n!=="object"||!n.nodeType)return 0;var t=n.nodeType,hit=0;if(t===1)hit=one(n);
if((t===1||t===9||t===11)&&(n.firstElementChild||t===9)){var all=n.querySelectorAll("*");for(var i=0;i<all.length;i++)hit|=one(all[i])}
return hit}
var FR=new WeakSet();function frame(el){try{page(el.contentWindow)}catch(e){}if(!FR.has(el)){FR.add(el);el.addEventListener("load",function(){try{page(el.contentWindow)}catch(e){}})}}
function flush(){while(Q.length){var el=Q.shift();if(el.isConnected)frame(el)}}
function text(a,i){var s="";for(var j=i<0?0:i;j<(i<0?a.length:i+1);j++){var x=a[j];s+=typeof x==="string"?x:x&&x.nodeType?TC.get.call(x)||"":""}return s}
function ins(p,k,i,up){hook(p,k,function(n){return function(){var a=arguments,j,par=up?this.parentNode:this,e=i<0?a.length:i+1;
for(j=i<0?0:i;j<e;j++)clean(a[j]);
if(par&&ln(par)==="style"){var s=text(a,i),o=TC.get.call(par);if(css(o+s)||css(s+o)){deny("style");return i<0?void 0:a[i]}}
var r=n.apply(this,a);flush();return r}})}
[E,FP_,DP].forEach(function(p){["append","prepend","replaceChildren"].forEach(function(k){ins(p,k,-1)})});
[E,w.CharacterData.prototype,w.DocumentType.prototype].forEach(function(p){["before","after","replaceWith"].forEach(function(k){ins(p,k,-1,1)})});
ins(NP,"appendChild",0);ins(NP,"insertBefore",0);ins(NP,"replaceChild",0);ins(E,"insertAdjacentElement",1);
ins(w.Range.prototype,"insertNode",0);ins(w.Range.prototype,"surroundContents",0);ins(DP,"adoptNode",0);ins(DP,"importNode",0);
hook(NP,"cloneNode",function(n){return function(){if(!this.isConnected)clean(this);return n.apply(this,arguments)}});
hook(E,"setAttribute",function(n){return function(k,v){var l=String(k).toLowerCase();if(bad(this,l,v)){stop(this,l,v);return}
if(l==="type"&&ln(this)==="script"&&(held(this)||spec(this,v)))return;if(l==="srcdoc"&&ln(this)==="iframe")return setdoc(this,v);return n.apply(this,arguments)}});
hook(E,"setAttributeNS",function(n){return function(ns,k,v){var l=String(k).toLowerCase();if(bad(this,l,v)){stop(this,l,v);return}
if(l==="type"&&ln(this)==="script"&&(held(this)||spec(this,v)))return;if(l==="srcdoc"&&ln(this)==="iframe")return setdoc(this,v);return n.apply(this,arguments)}});
function attrNode(n){return function(a){if(a&&a.nodeType===2){var o=this.nodeType===1?this:NM.get(this),l=a.name.toLowerCase();if(o&&bad(o,l,a.value)){stop(o,l,a.value);return null}}return n.apply(this,arguments)}}
var NM=new WeakMap();acc(E,"attributes",function(m){if(m)NM.set(m,this);return m});
hook(E,"setAttributeNode",attrNode);hook(E,"setAttributeNodeNS",attrNode);
hook(w.NamedNodeMap.prototype,"setNamedItem",attrNode);hook(w.NamedNodeMap.prototype,"setNamedItemNS",attrNode);
function txt(node,v){var p=node.parentNode;if(!p||ln(p)!=="style")return 0;var s="";for(var c=p.firstChild;c;c=c.nextSibling)s+=c===node?v:c.nodeType===3?c.data:"";if(css(s)){deny("style");return 1}return 0}
function nodeSet(v){var t=this.nodeType;if(t===2){var o=this.ownerElement,l=this.name.toLowerCase();if(o&&bad(o,l,v)){stop(o,l,v);return 1}return 0}
if(t===3)return txt(this,v);if(t===1&&ln(this)==="style"&&css(v)){deny("style");return 1}return 0}
acc(NP,"textContent",null,nodeSet);acc(NP,"nodeValue",null,nodeSet);acc(w.Attr.prototype,"value",null,nodeSet);
acc(w.CharacterData.prototype,"data",null,function(v){return this.nodeType===3&&txt(this,v)});
function cd(k,f){hook(w.CharacterData.prototype,k,function(n){return function(){if(this.nodeType===3&&txt(this,f(String(this.data),arguments)))return;return n.apply(this,arguments)}})}
cd("appendData",function(s,a){return s+a[0]});cd("insertData",function(s,a){return s.slice(0,a[0])+a[1]+s.slice(a[0])});cd("replaceData",function(s,a){return s.slice(0,a[0])+a[2]+s.slice(a[0]+a[1])});
["innerText","outerText"].forEach(function(k){acc(HE,k,null,function(v){if(ln(this)==="style"&&css(v)){deny("style");return 1}})});
"HTMLScriptElement:src attributionSrc|HTMLImageElement:src srcset attributionSrc|HTMLIFrameElement:src|HTMLFrameElement:src|HTMLSourceElement:src srcset|HTMLTrackElement:src|HTMLMediaElement:src|HTMLVideoElement:poster|HTMLEmbedElement:src|HTMLObjectElement:data|HTMLInputElement:src|HTMLLinkElement:href imageSrcset|HTMLAnchorElement:ping attributionSrc|HTMLAreaElement:ping attributionSrc|HTMLBaseElement:href|HTMLBodyElement:background|HTMLMetaElement:content httpEquiv".split("|").forEach(function(e){
e=e.split(":");var C=w[e[0]];if(C)e[1].split(" ").forEach(function(k){var an=k.toLowerCase().replace("httpequiv","http-equiv");acc(C.prototype,k,null,function(v){if(bad(this,an,v)){stop(this,an,v);return 1}})})});
acc(w.HTMLScriptElement.prototype,"type",null,function(v){return held(this)||spec(this,v)});
acc(w.HTMLIFrameElement.prototype,"srcdoc",null,function(v){setdoc(this,v);return 1});
if(w.SVGAnimatedString)acc(w.SVGAnimatedString.prototype,"baseVal",null,function(v){if(blocked(v)){deny(v);return 1}});
["HTMLIFrameElement","HTMLFrameElement","HTMLObjectElement"].forEach(function(k){var C=w[k];if(!C)return;
acc(C.prototype,"contentWindow",function(r){if(r)try{page(r)}catch(e){}return r});acc(C.prototype,"contentDocument",function(r){if(r)try{page(r.defaultView)}catch(e){}return r})});
var SP=new WeakMap(),RAW=new WeakMap();
function sp(s){if(!s||typeof s!=="object")return s;var p=SP.get(s);if(p)return p;
p=new Proxy(s,{get:function(t,k){var v=t[k];if(typeof v!=="function"||k==="constructor")return v;return function(){if(k==="setProperty"&&css(arguments[1])){deny(arguments[1]);return}return v.apply(t,arguments)}},
set:function(t,k,v){if(typeof k==="string"&&css(v)){deny(v);return true}t[k]=v;return true}});SP.set(s,p);RAW.set(p,s);return p}
"HTMLElement SVGElement MathMLElement CSSStyleRule CSSFontFaceRule CSSPageRule CSSKeyframeRule CSSNestedDeclarations".split(" ").forEach(function(k){var C=w[k];
if(C)acc(C.prototype,"style",function(s){return sp(s)},function(v){if(css(v)){deny(v);return 1}})});
var CS=w.CSSStyleDeclaration.prototype,CT=pd(CS,"cssText");if(CT)Object.defineProperty(CS,"cssText",{configurable:true,enumerable:CT.enumerable,get:function(){return CT.get.call(RAW.get(this)||this)},set:function(v){if(css(v))return deny(v);CT.set.call(RAW.get(this)||this,v)}});
hook(CS,"setProperty",function(n){return function(k,v){if(css(v)){deny(v);return}return n.apply(RAW.get(this)||this,arguments)}});
function cssArgs(n){return function(){var s=[].slice.call(arguments).map(String).join(" ");if(css(s)){deny(s);throw new w.DOMException("blocked by geo-compliance","SecurityError")}return n.apply(this,arguments)}}
[[w.CSSStyleSheet,"insertRule addRule replace replaceSync"],[w.CSSGroupingRule,"insertRule"],[w.CSSKeyframesRule,"appendRule"],[w.StylePropertyMap,"set append"]].forEach(function(e){if(e[0])e[1].split(" ").forEach(function(k){hook(e[0].prototype,k,cssArgs)})});
var IH=pd(E,"innerHTML"),ID=d.implementation.createHTMLDocument("");
function inert(ctx,h,f){var c;try{c=ctx&&ctx.nodeType===1?ID.createElementNS(ctx.namespaceURI,ctx.localName):ID.createElement("body")}catch(e){c=ID.createElement("body")}
if(f)f(c);else IH.set.call(c,h);var ns=c.querySelectorAll("noscript");for(var i=0;i<ns.length;i++)TC.set.call(ns[i],IH.get.call(ns[i]));clean(c);return[].slice.call((ln(c)==="template"?c.content:c).childNodes)}
var RAWTEXT=ss("style script textarea title xmp iframe noembed noframes noscript plaintext template");
function into(v){if(this.nodeType===1&&RAWTEXT[ln(this)])return ln(this)==="style"&&css(v)?(deny("style"),1):0;
var ctx=this.nodeType===11?this.host:this;(this.nodeType===11?FRC:RC).apply(this,inert(ctx,v));return 1}
acc(E,"innerHTML",null,into);if(w.ShadowRoot)acc(w.ShadowRoot.prototype,"innerHTML",null,into);
acc(E,"outerHTML",null,function(v){var p=this.parentNode;if(!p||p.nodeType===9)return 0;RW.apply(this,inert(p.nodeType===1?p:null,v));return 1});
hook(E,"insertAdjacentHTML",function(n){return function(pos,h){var q=String(pos).toLowerCase(),out=q==="beforebegin"||q==="afterend",ctx=out?this.parentNode:q==="afterbegin"||q==="beforeend"?this:null;
if(!ctx||ctx.nodeType===9)return n.apply(this,arguments);({beforebegin:BF,afterend:AF,afterbegin:PR,beforeend:AP})[q].apply(this,inert(ctx.nodeType===1?ctx:null,h))}});
function unsafe(n,f){return function(h){if(this.nodeType===1&&ln(this)==="template")return n.apply(this,arguments);var a=arguments;
(this.nodeType===11?FRC:RC).apply(this,inert(this.nodeType===11?this.host:this,h,f&&function(c){f.apply(c,a)}))}}
[E,w.ShadowRoot&&w.ShadowRoot.prototype].forEach(function(p){hook(p,"setHTMLUnsafe",function(n){return unsafe(n)});hook(p,"setHTML",function(n){return unsafe(n,n)})});
hook(w.Document,"parseHTMLUnsafe",function(n){return function(h){return /shadowrootmode/i.test(String(h))?new w.DOMParser().parseFromString(String(h),"text/html"):n.apply(this,arguments)}});
hook(w.Range.prototype,"createContextualFragment",function(n){return function(h){var s=this.startContainer,ctx=s.nodeType===1?s:s.parentNode,c;
try{c=ctx&&ctx.nodeType===1?ID.createElementNS(ctx.namespaceURI,ctx.localName):ID.createElement("body")}catch(e){c=ID.createElement("body")}
var r=ID.createRange();r.selectNodeContents(c);var f=n.call(r,h);clean(f);return(s.ownerDocument||s).adoptNode(f)}});
var OPEN=/<[a-zA-Z!\/?](?:"[^"]*(?:"|$)|'[^']*(?:'|$)|[^'">])*$/,pend="",PQ=0;
function safe(s){var c=ID.createElement("body");IH.set.call(c,s);return clean(c)?IH.get.call(c):s}
function dw(n,nl){return function(){var s=pend+[].join.call(arguments,"")+(nl?"\n":""),self=this;pend="";
if(OPEN.test(s)){pend=s;if(!PQ){PQ=1;w.queueMicrotask(function(){PQ=0;var p=pend;pend="";if(p)n.call(self,safe(p))})}return}
return n.call(this,safe(s))}}
hook(DP,"write",function(n){return dw(n)});hook(DP,"writeln",function(n){return dw(n,1)});
function go(el){for(var n=el;n&&n.nodeType===1;n=n.parentNode){var t=ln(n);if(t==="a"||t==="area"){var u=GA.call(n,"href");if(u==null)u=n.getAttributeNS("http://www.w3.org/1999/xlink","href");if(u!=null)return u}}
var f=el.form;if(f&&/^(submit|image)$/i.test(el.type||""))return HA.call(el,"formaction")?GA.call(el,"formaction"):GA.call(f,"action");return null}
function nav(u){if(active()||u==null||!blocked(u))return 0;deny(u);return 1}
hook(HE,"click",function(n){return function(){if(nav(go(this)))return;return n.apply(this,arguments)}});
hook(w.EventTarget.prototype,"dispatchEvent",function(n){return function(e){if(e&&e.type==="click"&&this.nodeType===1&&nav(go(this)))return false;return n.apply(this,arguments)}});
function act(f,s){return s&&HA.call(s,"formaction")?GA.call(s,"formaction"):GA.call(f,"action")}
hook(w.HTMLFormElement.prototype,"submit",function(n){return function(){if(nav(act(this)))return;return n.apply(this,arguments)}});
hook(w.HTMLFormElement.prototype,"requestSubmit",function(n){return function(s){if(nav(act(this,s)))return;return n.apply(this,arguments)}});
w.addEventListener("submit",function(e){if(e.target&&e.target.nodeType===1&&nav(act(e.target,e.submitter)))e.preventDefault()},true);
w.addEventListener("click",function(e){if(!e.isTrusted&&nav(go(e.target)))e.preventDefault()},true);
function opener(n){return function(u){if(arguments.length<3&&this&&this.nodeType===9)return n.apply(this,arguments);if(nav(u)||!active()&&(u==null||/^\s*(about:blank)?\s*$/i.test(String(u)))){deny("popup");return null}var r=n.apply(this,arguments);if(r)try{page(r)}catch(e){}return r}}
hook(w,"open",opener);hook(DP,"open",opener);
ctor("Blob",function(a){var ty=a[1]&&a[1].type!=null?String(a[1].type):"";if(!DT.test(ty)||a[0]==null)return null;var ps=[].slice.call(a[0]),s="";
for(var i=0;i<ps.length;i++){var x=ps[i];if(typeof x==="string")s+=x;else if(x instanceof w.ArrayBuffer||w.ArrayBuffer.isView(x))s+=new w.TextDecoder().decode(x);else{deny("blob");a[0]=[];return null}}
if(/^\s*text\/html/i.test(ty))a[0]=[doc(s)];else if(dbad(s,0)){deny("blob");a[0]=[]}return null});
ctor2("Audio");function ctor2(k){var C=w[k];if(!C)return;var P=function(u){if(!new.target)return C.apply(this,arguments);if(u!==void 0&&bad({localName:"audio"},"src",u)){var a=Reflect.construct(C,[],new.target===P?C:new.target);stop(a,"src",u);return a}return Reflect.construct(C,arguments,new.target===P?C:new.target)};P.prototype=C.prototype;Object.setPrototypeOf(P,C);w[k]=P}
if(w.navigation)w.navigation.addEventListener("navigate",function(e){if(e.userInitiated||!e.cancelable)return;var u=e.destination&&e.destination.url;if(nav(u))e.preventDefault()});
var AF_="src srcset href data poster background imagesrcset ping attributionsrc style content http-equiv to from values by type srcdoc".split(" ");
if(w.MutationObserver)new w.MutationObserver(function(ms){for(var i=0;i<ms.length;i++){var m=ms[i],x=m.target;
if(m.type==="childList"){for(var j=0;j<m.addedNodes.length;j++){var a=m.addedNodes[j];if(a.nodeType===1)clean(a);else if(a.nodeType===3&&a.parentNode&&ln(a.parentNode)==="style")chk(a.parentNode)}}
else if(m.type==="characterData"){if(x.parentNode&&ln(x.parentNode)==="style")chk(x.parentNode)}
else if(x.nodeType===1&&!(m.attributeName==="type"&&held(x)))chk(x)}flush()}).observe(d,{childList:true,subtree:true,characterData:true,attributes:true,attributeFilter:AF_});
}
page(W);
`;

/** The guard script of a page for one configuration. */
export function guardScript(config: GuardConfig): string {
  return ascii(`(function(W,R,L,FP,FH){"use strict";${NET.trim()}\n${PAGE.trim()}})(window,${guardArgs(config)});`);
}

/** The arguments R, L, FP, FH of the guard's function, as source. */
function guardArgs(config: GuardConfig): string {
  const needsList = config.rules.some((r) => r.mode === "list");
  const rules = config.rules.map((r) => ({ m: r.mode, a: r.allow }));
  return [rules, needsList ? config.listDomains.join("|") : "", config.firstPartyDomain ?? "", config.firstPartyHost ?? ""].map((a) => JSON.stringify(a)).join(",");
}

/** ASCII only, so the script is right in a page or a script file of any charset. */
function ascii(source: string): string {
  return source.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The key of the `import()` check on a realm's global; the server rewrite of scripts calls it. */
export const IMPORT_CHECK = "geo-compliance.import";

/**
 * The guard for a worker's global (dedicated, shared, service, module), put first in a first-party
 * worker script: `fetch`, XHR, `importScripts`, WebSocket, EventSource, nested workers, and the
 * `import()` check. One line, so the script's line numbers stay. `onlyInWorker`: for a script whose
 * request did not say where it runs (no `Sec-Fetch-Dest`), the guard checks that itself. Installed
 * once per global: every module of a module worker's graph carries it, and the first that runs
 * installs it.
 */
export function workerGuardScript(config: GuardConfig, onlyInWorker: boolean): string {
  const when = onlyInWorker ? `typeof WorkerGlobalScope!=="function"||!(W instanceof WorkerGlobalScope)||` : "";
  // NET's lines end where a statement does, so joined they read the same.
  return ascii(`(function(W,R,L,FP,FH){"use strict";if(${when}W[Symbol.for(${JSON.stringify(IMPORT_CHECK)})])return;${NET.trim().replace(/\n/g, "")}net(W,R,L,FP,FH)})(self,${guardArgs(config)});`);
}
