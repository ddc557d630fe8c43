import { parse, type DefaultTreeAdapterMap } from "parse5";

// What the HTML standard's tree builder (parse5, scripting on) makes of a rewritten page.

type Node = DefaultTreeAdapterMap["node"];
type Element = DefaultTreeAdapterMap["element"];

/** The third party the generated and fixed pages load from. */
export const TRACKER_HOST = "px.tracker-net.example";
const HTML_NS = "http://www.w3.org/1999/xhtml";

/** The attributes through which an HTML element loads something: written out here, not taken from the rewrite, so the check does not trust what it checks. */
const URL_ATTRS: Record<string, readonly string[]> = {
  img: ["src", "srcset"],
  script: ["src"],
  iframe: ["src"],
  frame: ["src"],
  link: ["href"],
  source: ["src", "srcset"],
  video: ["src", "poster"],
  audio: ["src"],
  embed: ["src"],
  object: ["data"],
  input: ["src"],
};

/** The elements of the document a browser makes: not those in template contents. */
function* elements(node: Node): Generator<Element> {
  const children = (node as { childNodes?: Node[] }).childNodes;
  if (!children) return;
  for (const child of children) {
    if ("tagName" in child) {
      yield child;
      yield* elements(child);
    }
  }
}

function scriptText(el: Element): string {
  return el.childNodes.map((n) => ("value" in n ? (n as { value: string }).value : "")).join("");
}

function attr(el: Element, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name && !a.prefix)?.value;
}

/** Whether every ancestor is an HTML element, up to the document: nothing in SVG or MathML hides it. */
function rendered(el: Element): boolean {
  for (let n: Node | null = el; n && "tagName" in n; n = (n as Element).parentNode as Node | null) if ((n as Element).namespaceURI !== HTML_NS) return false;
  return true;
}

export interface Reading {
  /** Elements in the document (not in template contents) that load from the third party. */
  active: string[];
  /** Notice elements in the document whose ancestors are all HTML elements, and scripts that add one. */
  notices: number;
}

/** `head`: the head scripts the plan puts in, left out of the parse (a script element in the head, the same in every page) to keep it quick. */
export function read(out: Buffer, head: Buffer | null = null): Reading {
  // Decoded as a browser decodes it: a byte order mark at the start goes (the Encoding Standard's
  // BOM sniffing), so the tree builder never sees U+FEFF as text that would start the body.
  let html = new TextDecoder("utf-8").decode(out);
  if (head) html = html.replace(head.toString("utf8"), "<script></script>");
  const doc = parse(html, { scriptingEnabled: true });
  const active: string[] = [];
  let notices = 0;
  for (const el of elements(doc)) {
    if (attr(el, "data-geo-compliance-notice") !== undefined && rendered(el)) notices++;
    // The form a frameset document gets: a script that adds the notice in a popover.
    if (el.tagName === "script" && el.namespaceURI === HTML_NS && scriptText(el).includes("showPopover") && scriptText(el).includes("data-geo-compliance-notice")) notices++;
    if (el.namespaceURI !== HTML_NS) continue;
    for (const name of URL_ATTRS[el.tagName] ?? []) {
      const value = attr(el, name);
      if (value !== undefined && value.includes(TRACKER_HOST)) active.push(`<${el.tagName} ${name}=${value}>`);
    }
  }
  return { active, notices };
}

