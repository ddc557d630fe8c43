import type { IncomingMessage } from "node:http";

/** The path the app was asked for, without its query: Express's `originalUrl` when mounted under a prefix. */
export function requestPath(req: IncomingMessage): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? "/";
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}
