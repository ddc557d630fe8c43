/**
 * A `data:` URL a frame, an object or an embed shows as a document. Such a document has an opaque
 * origin: the guard cannot reach into it, and in `list` mode no policy stands behind it, so it is
 * judged on the server before it goes out, as a `srcdoc` document is. One that runs script (a
 * `<script>` or an event handler) could compute any host and is refused whole: it fails closed.
 */

/** Media types a browsing context renders as a document that may load things. */
const DOCUMENT_TYPES = /^[\t\n\f\r ]*(?:text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|multipart\/related)[\t\n\f\r ]*(?:;|$)/i;

/** Script in markup: an element or an event handler attribute. */
const RUNS_SCRIPT = /<script|[\s"'/]on[a-z]+[\t\n\f\r ]*=|javascript:/i;

/** Where document elements take a URL that is shown as a document. */
export const DOCUMENT_URL_ATTRS: ReadonlyMap<string, string> = new Map([
  ["iframe", "src"],
  ["frame", "src"],
  ["object", "data"],
  ["embed", "src"],
]);

/**
 * The markup of a `data:` URL of a document type, decoded as the fetch standard's data: URL
 * processor does (percent-decoded, or base64), or null when the URL is not one. Undecodable
 * base64 gives "" (the browser shows nothing).
 */
export function dataDocument(url: string): string | null {
  const m = /^[\x00-\x20]*data:([^,]*),/i.exec(url);
  if (!m) return null;
  let type = m[1]!;
  const base64 = /;[\t\n\f\r ]*base64[\t\n\f\r ]*$/i.test(type);
  if (base64) type = type.replace(/;[\t\n\f\r ]*base64[\t\n\f\r ]*$/i, "");
  if (!DOCUMENT_TYPES.test(type)) return null;
  // The URL parser drops tabs and newlines; percent-escapes are bytes.
  const body = url.slice(m[0].length).replace(/[\t\n\r]/g, "");
  const bytes = Buffer.from(body.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1");
  if (!base64) return bytes.toString("utf8");
  const text = bytes.toString("latin1").replace(/[\t\n\f\r ]/g, "");
  return /^[A-Za-z0-9+/]*={0,2}$/.test(text) ? Buffer.from(text, "base64").toString("utf8") : "";
}

/** Whether a document's markup runs script. */
export function runsScript(html: string): boolean {
  return RUNS_SCRIPT.test(html);
}
