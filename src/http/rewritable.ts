import type { ServerResponse } from "node:http";

const HTML_TYPES = /^\s*(text\/html|application\/xhtml\+xml)\s*(;|$)/i;

export function isHtml(res: ServerResponse): boolean {
  const type = res.getHeader("content-type");
  return typeof type === "string" && HTML_TYPES.test(type);
}

/** Why a response body is left alone, or null when it may be rewritten. */
export function notRewritableBecause(method: string, res: ServerResponse): string | null {
  if (method === "HEAD") return "HEAD request";
  const status = res.statusCode;
  if (status < 200 || status >= 300 || status === 204 || status === 206) return `status ${status}`;
  if (!isHtml(res)) return "not HTML";
  return null;
}
