import type { ServerResponse } from "node:http";

const HTML_TYPES = /^\s*(text\/html|application\/xhtml\+xml)\s*(;|$)/i;

export function isHtml(res: ServerResponse): boolean {
  const type = res.getHeader("content-type");
  return typeof type === "string" && HTML_TYPES.test(type);
}

/**
 * Why a response body is left alone, or null when it may be rewritten. Error pages are pages a
 * reader sees too (and carry the site's trackers), so 4xx and 5xx HTML is rewritten; redirects,
 * 204, 206 and 304 are not.
 */
export function notRewritableBecause(method: string, res: ServerResponse): string | null {
  if (method === "HEAD") return "HEAD request";
  const status = res.statusCode;
  if (status < 200 || (status >= 300 && status < 400) || status === 204 || status === 206 || status >= 600) return `status ${status}`;
  if (!isHtml(res)) return "not HTML";
  return null;
}
