/**
 * What the audit asks the page itself, as scripts evaluated in it (the CLI is compiled without the
 * DOM's types, and these run in the browser, not in Node).
 */

export interface NoticeProbe {
  readonly rule: string;
  /** The element's `lang`, or the nearest ancestor's. */
  readonly lang: string;
  readonly text: string;
  /** Laid out and painted: not display:none, visibility:hidden, opacity 0, or inside such. */
  readonly rendered: boolean;
  /** The title (or the whole notice) lies inside the first viewport, scrolled to the top. */
  readonly inFirstViewport: boolean;
  /** At that place, the notice is what is on top: no overlay, banner or element of the page covers it. */
  readonly uncovered: boolean;
  /** The title's text has a size and a colour one can see. */
  readonly legible: boolean;
}

export interface PageProbe {
  /** Every `<a href>` of the document, absolute. */
  readonly links: readonly string[];
  /** Elements that name an absolute URL in an attribute, with the element's start tag, for telling what caused a contact. */
  readonly refs: readonly { readonly url: string; readonly element: string }[];
}

export const NOTICE_PROBE = `(() => {
  window.scrollTo(0, 0);
  const W = document.documentElement.clientWidth || innerWidth, H = document.documentElement.clientHeight || innerHeight;
  return Array.from(document.querySelectorAll("[data-geo-compliance-notice]")).map((el) => {
    const title = el.querySelector(".geo-compliance-notice__title") || el;
    const r = title.getBoundingClientRect();
    const rendered = typeof el.checkVisibility === "function"
      ? el.checkVisibility({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true }) && title.checkVisibility({ opacityProperty: true, visibilityProperty: true })
      : r.width > 0 && r.height > 0;
    const inFirstViewport = rendered && r.width >= 1 && r.height >= 1 && r.top >= 0 && r.left >= -1 && r.bottom <= H + 1 && r.right <= W + 1;
    let uncovered = false;
    if (inFirstViewport) {
      const points = [[(r.left + r.right) / 2, (r.top + r.bottom) / 2], [r.left + 2, r.top + 2], [r.right - 2, r.bottom - 2]];
      uncovered = points.every(([x, y]) => { const hit = document.elementFromPoint(x, y); return !!hit && (hit === el || el.contains(hit)); });
    }
    const style = getComputedStyle(title);
    const alpha = (() => { const m = /rgba?\\(([^)]*)\\)/.exec(style.color); const p = m ? m[1].split(/[ ,\\/]+/).filter(Boolean) : []; return p.length > 3 ? parseFloat(p[3]) : 1; })();
    const legible = parseFloat(style.fontSize) >= 6 && alpha > 0.1;
    const langOf = el.getAttribute("lang") || ((el.parentElement && el.parentElement.closest("[lang]")) ? el.parentElement.closest("[lang]").getAttribute("lang") : "") || "";
    return { rule: el.getAttribute("data-geo-compliance-notice") || "", lang: langOf, text: (el.innerText || el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 300), rendered, inFirstViewport, uncovered, legible };
  });
})()`;

export const PAGE_PROBE = `(() => {
  const links = Array.from(document.querySelectorAll("a[href], area[href]")).map((a) => a.href).filter((h) => /^https?:/i.test(h)).slice(0, 5000);
  const refs = [];
  const attrs = ["src", "href", "srcset", "poster", "data", "action", "formaction", "background", "imagesrcset"];
  for (const el of Array.from(document.querySelectorAll("*")).slice(0, 20000)) {
    for (const a of attrs) {
      const v = el.getAttribute(a);
      if (!v || !/(^|[\\s,])(https?:|wss?:)?\\/\\//i.test(v)) continue;
      const tag = el.outerHTML.slice(0, el.outerHTML.indexOf(">") + 1 || 200).slice(0, 240);
      for (const part of v.split(/,\\s*/)) {
        const u = part.trim().split(/\\s+/)[0];
        try { refs.push({ url: new URL(u, document.baseURI).href, element: tag }); } catch (e) {}
      }
      if (refs.length > 5000) break;
    }
  }
  return { links, refs };
})()`;
