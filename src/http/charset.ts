/**
 * What the rewrite needs to know about a page's character encoding: whether inserted markup may be
 * written as UTF-8, must be written as ASCII (non-ASCII as numeric character references, right in
 * every ASCII-compatible encoding), or whether the bytes cannot be scanned at all because '<' and
 * '>' are not single ASCII bytes in them.
 */
export type CharsetMode = "utf8" | "ascii" | "unsupported";

const cache = new Map<string, CharsetMode>();

/** The mode for a charset label (WHATWG Encoding labels, as browsers read them). */
export function charsetMode(label: string): CharsetMode {
  const key = label.trim().toLowerCase();
  let mode = cache.get(key);
  if (mode !== undefined) return mode;
  let encoding: string;
  try {
    encoding = new TextDecoder(key).encoding;
  } catch {
    // A label browsers do not know: they fall back to their default, which is ASCII-compatible.
    encoding = "unknown";
  }
  if (encoding === "utf-8") mode = "utf8";
  else if (encoding === "utf-16le" || encoding === "utf-16be" || encoding === "iso-2022-jp" || encoding === "replacement") mode = "unsupported";
  else mode = "ascii";
  if (cache.size < 256) cache.set(key, mode);
  return mode;
}

/** The charset parameter of a Content-Type value, or null. */
export function contentTypeCharset(contentType: string | undefined): string | null {
  if (!contentType) return null;
  const m = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const value = m ? (m[1] ?? m[2] ?? "") : "";
  return value === "" ? null : value;
}

/** The charset a `<meta http-equiv="Content-Type" content="…">` declares, or null. */
export function metaContentCharset(content: string): string | null {
  const m = /charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;"']+))/i.exec(content);
  return m ? (m[1] ?? m[2] ?? m[3] ?? null) : null;
}

/** The byte order mark at the start of a body: "utf8", "utf16" or null. */
export function byteOrderMark(start: Buffer): "utf8" | "utf16" | null {
  if (start.length >= 3 && start[0] === 0xef && start[1] === 0xbb && start[2] === 0xbf) return "utf8";
  if (start.length >= 2 && ((start[0] === 0xfe && start[1] === 0xff) || (start[0] === 0xff && start[1] === 0xfe))) return "utf16";
  return null;
}
