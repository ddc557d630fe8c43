import type { GuardRule } from "./matcher.js";

export interface GuardConfig {
  readonly rules: readonly GuardRule[];
  /** Tracker list domains, needed when a rule is in `list` mode. */
  readonly listDomains: readonly string[];
  readonly firstPartyDomain: string | null;
  readonly firstPartyHost: string | null;
}

/**
 * The body of the guard script (the part that does not depend on the configuration). It runs
 * before any other script in the page and stops listed hosts in what page scripts add later:
 *
 * - URL properties and `setAttribute` of script, img, iframe, frame, source, video, audio,
 *   embed, object, input, link and a/area ping (so `new Image().src`, `script.src = …` and
 *   the like never reach the network), with the consent-manager neutral form;
 * - HTML strings given to `document.write`, `innerHTML`, `outerHTML`, `insertAdjacentHTML`,
 *   `Range#createContextualFragment` (their tags are rewritten as the server does);
 * - `fetch`, `XMLHttpRequest`, `navigator.sendBeacon`, `WebSocket` and `EventSource`.
 *
 * `window.geoCompliance.blocked` lists what it stopped; in `list` mode
 * `window.geoCompliance.allow(domain)` lets a consent manager turn a vendor back on.
 */
const GUARD_BODY = String.raw`
var G=w.geoCompliance=w.geoCompliance||{};G.blocked=G.blocked||[];
function set(a){var s=Object.create(null);for(var i=0;i<a.length;i++)s[a[i]]=1;return s}
var list=L?set(L.split("|")):null;
for(var i=0;i<R.length;i++)R[i].a=set(R[i].a);
function under(h,s){for(;;){if(s[h])return true;var k=h.indexOf(".");if(k<0)return false;h=h.slice(k+1)}}
function hostBlocked(h){
for(var i=0;i<R.length;i++){var r=R[i];if(under(h,r.a))continue;
if(r.m==="list"){if(list&&under(h,list))return true}
else{if(h===FH||h===location.hostname)continue;if(FP&&(h===FP||h.slice(-FP.length-1)==="."+FP))continue;
if(h.indexOf(".")<0&&h.charAt(0)!=="[")continue;return true}}
return false}
function blocked(u){if(u==null||u==="")return false;var x;try{x=new URL(String(u),d.baseURI)}catch(e){return false}
if(!/^(https?|wss?):$/.test(x.protocol))return false;return hostBlocked(x.hostname.toLowerCase().replace(/\.$/,""))}
G.isBlocked=blocked;
if(L)G.allow=function(dom){dom=String(dom).toLowerCase();for(var i=0;i<R.length;i++)if(R[i].m==="list")R[i].a[dom]=1};
var E=Element.prototype,SA=E.setAttribute,GA=E.getAttribute,HA=E.hasAttribute,SANS=E.setAttributeNS;
var A={SCRIPT:["src"],IMG:["src","srcset"],IFRAME:["src"],FRAME:["src"],SOURCE:["src","srcset"],VIDEO:["src","poster"],AUDIO:["src"],EMBED:["src"],OBJECT:["data"],INPUT:["src"],LINK:["href"],A:["ping"],AREA:["ping"]};
function urls(n,v){v=String(v);if(n==="srcset")return v.split(",").map(function(c){return c.trim().split(/\s+/)[0]});if(n==="ping")return v.split(/\s+/);return[v]}
function hit(tag,n,v){var a=A[tag];if(!a||a.indexOf(n)<0)return false;var us=urls(n,v);for(var i=0;i<us.length;i++)if(blocked(us[i]))return true;return false}
function stop(el,n,v){SA.call(el,"data-geo-compliance-"+n,String(v));SA.call(el,"data-geo-compliance-blocked","guard");if(el.tagName==="SCRIPT")SA.call(el,"type","text/plain");G.blocked.push(String(v))}
function check(el,n,v){if(hit(el.tagName,n,v)){stop(el,n,v);return true}return false}
function stillBlocked(el){return el.tagName==="SCRIPT"&&HA.call(el,"data-geo-compliance-blocked")&&blocked(GA.call(el,"data-geo-compliance-src"))}
function wrap(p,prop){try{var ds=p&&Object.getOwnPropertyDescriptor(p,prop);if(!ds||!ds.set)return;
Object.defineProperty(p,prop,{configurable:true,enumerable:ds.enumerable,get:ds.get,set:function(v){if(check(this,prop,v))return;ds.set.call(this,v)}})}catch(e){}}
wrap(w.HTMLScriptElement&&HTMLScriptElement.prototype,"src");wrap(w.HTMLImageElement&&HTMLImageElement.prototype,"src");
wrap(w.HTMLImageElement&&HTMLImageElement.prototype,"srcset");wrap(w.HTMLIFrameElement&&HTMLIFrameElement.prototype,"src");
wrap(w.HTMLFrameElement&&HTMLFrameElement.prototype,"src");wrap(w.HTMLSourceElement&&HTMLSourceElement.prototype,"src");
wrap(w.HTMLSourceElement&&HTMLSourceElement.prototype,"srcset");wrap(w.HTMLMediaElement&&HTMLMediaElement.prototype,"src");
wrap(w.HTMLVideoElement&&HTMLVideoElement.prototype,"poster");wrap(w.HTMLEmbedElement&&HTMLEmbedElement.prototype,"src");
wrap(w.HTMLObjectElement&&HTMLObjectElement.prototype,"data");wrap(w.HTMLInputElement&&HTMLInputElement.prototype,"src");
wrap(w.HTMLLinkElement&&HTMLLinkElement.prototype,"href");wrap(w.HTMLAnchorElement&&HTMLAnchorElement.prototype,"ping");
wrap(w.HTMLAreaElement&&HTMLAreaElement.prototype,"ping");
try{var td=Object.getOwnPropertyDescriptor(HTMLScriptElement.prototype,"type");Object.defineProperty(HTMLScriptElement.prototype,"type",{configurable:true,enumerable:td.enumerable,get:td.get,set:function(v){if(stillBlocked(this))return;td.set.call(this,v)}})}catch(e){}
E.setAttribute=function(n,v){var l=String(n).toLowerCase();if(check(this,l,v))return;if(l==="type"&&stillBlocked(this))return;return SA.apply(this,arguments)};
E.setAttributeNS=function(ns,n,v){var l=String(n).toLowerCase().replace(/^.*:/,"");if(check(this,l,v))return;return SANS.apply(this,arguments)};
var TX=d.createElement("textarea"),IH=Object.getOwnPropertyDescriptor(E,"innerHTML");
function dec(v){if(v.indexOf("&")<0)return v;IH.set.call(TX,v);return TX.value}
var TAG=/<([a-zA-Z][a-zA-Z0-9-]*)((?:"[^"]*"|'[^']*'|[^'">])*)>/g,AT=/(\s)(src|srcset|href|data|poster|ping)(\s*=\s*)("([^"]*)"|'([^']*)'|([^\s"'=<>\x60]+))/gi;
function filter(h){if(typeof h!=="string")return h;return h.replace(TAG,function(all,name,rest){var tag=name.toUpperCase(),a=A[tag];if(!a)return all;var found=false;
var r=rest.replace(AT,function(m,sp,n,eq,q,v1,v2,v3){var ln=n.toLowerCase(),v=v1!=null?v1:v2!=null?v2:v3;if(!hit(tag,ln,dec(v)))return m;found=true;G.blocked.push(dec(v));return sp+"data-geo-compliance-"+ln+eq+q});
if(!found)return all;return "<"+name+(tag==="SCRIPT"?' type="text/plain"':"")+' data-geo-compliance-blocked="guard"'+r+">"})}
function wrapHtml(p,prop){try{var ds=p&&Object.getOwnPropertyDescriptor(p,prop);if(!ds||!ds.set)return;
Object.defineProperty(p,prop,{configurable:true,enumerable:ds.enumerable,get:ds.get,set:function(v){ds.set.call(this,this.tagName==="SCRIPT"||this.tagName==="STYLE"?v:filter(v))}})}catch(e){}}
wrapHtml(E,"innerHTML");wrapHtml(E,"outerHTML");wrapHtml(w.ShadowRoot&&ShadowRoot.prototype,"innerHTML");
var IAH=E.insertAdjacentHTML;E.insertAdjacentHTML=function(p,h){return IAH.call(this,p,filter(h))};
if(E.setHTMLUnsafe){var SHU=E.setHTMLUnsafe;E.setHTMLUnsafe=function(h){return SHU.call(this,filter(h))}}
if(w.Range){var CCF=Range.prototype.createContextualFragment;Range.prototype.createContextualFragment=function(h){return CCF.call(this,filter(h))}}
var DW=d.write,DWL=d.writeln;d.write=function(){return DW.apply(d,[].map.call(arguments,filter))};d.writeln=function(){return DWL.apply(d,[].map.call(arguments,filter))};
if(w.fetch){var F=w.fetch;w.fetch=function(i){var u=i&&typeof i==="object"&&"url" in i?i.url:i;if(blocked(u)){G.blocked.push(String(u));return Promise.reject(new TypeError("Failed to fetch"))}return F.apply(this,arguments)}}
var XB=new WeakSet(),XO=XMLHttpRequest.prototype.open,XS=XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.open=function(m,u){if(blocked(u)){XB.add(this);G.blocked.push(String(u))}else XB.delete(this);return XO.apply(this,arguments)};
XMLHttpRequest.prototype.send=function(){if(XB.has(this)){var x=this;setTimeout(function(){x.dispatchEvent(new ProgressEvent("error"));x.dispatchEvent(new ProgressEvent("loadend"))},0);return}return XS.apply(this,arguments)};
if(navigator.sendBeacon){var SB=navigator.sendBeacon;navigator.sendBeacon=function(u){if(blocked(u)){G.blocked.push(String(u));return true}return SB.apply(navigator,arguments)}}
["WebSocket","EventSource"].forEach(function(k){var C=w[k];if(!C)return;var P=function(u,o){if(blocked(u)){G.blocked.push(String(u));throw new DOMException("blocked by geo-compliance","SecurityError")}return new C(u,o)};P.prototype=C.prototype;Object.setPrototypeOf(P,C);w[k]=P});
`;

/** The guard script for one configuration: ASCII only, so it is right in a page of any charset. */
export function guardScript(config: GuardConfig): string {
  const needsList = config.rules.some((r) => r.mode === "list");
  const rules = config.rules.map((r) => ({ m: r.mode, a: r.allow }));
  const head =
    `var R=${JSON.stringify(rules)},L=${JSON.stringify(needsList ? config.listDomains.join("|") : "")},` +
    `FP=${JSON.stringify(config.firstPartyDomain ?? "")},FH=${JSON.stringify(config.firstPartyHost ?? "")};`;
  const source = `(function(w,d){"use strict";${head}${GUARD_BODY.trim()}})(window,document);`;
  return source.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
