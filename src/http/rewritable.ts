import type { ServerResponse } from "node:http";

const HTML_TYPES = /^\s*(text\/html|application\/xhtml\+xml)\s*(;|$)/i;

/** Why a response body is left alone, or null when it may be rewritten. */
export function notRewritableBecause(method: string, res: ServerResponse): string | null {
  if (method === "HEAD") return "HEAD request";
  const status = res.statusCode;
  if (status < 200 || status >= 300 || status === 204 || status === 206) return `status ${status}`;
  const type = res.getHeader("content-type");
  if (typeof type !== "string" || !HTML_TYPES.test(type)) return "not HTML";
  const encoding = res.getHeader("content-encoding");
  if (encoding !== undefined && String(encoding).toLowerCase() !== "identity") return `content-encoding ${String(encoding)}`;
  return null;
}
