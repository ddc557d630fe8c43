import type { ServerResponse } from "node:http";
import type { RedirectAction } from "../rules/actions.js";

/** Why a redirect target cannot be used, or null. Shared with the rule loader. */
export function redirectProblem(location: unknown, status?: unknown): string | null {
  if (status !== undefined && status !== 302 && status !== 307) return `redirect status must be 302 or 307, not ${JSON.stringify(status)}`;
  if (typeof location !== "string" || location.length === 0) return "redirect needs a location: a path such as /ru/ or a URL such as https://example.org/";
  if (/[\x00-\x20\x7f]/.test(location)) return `redirect location ${JSON.stringify(location)} contains a space, tab, line break or control character`;
  if (/[^\x21-\x7e]/.test(location)) return `redirect location ${JSON.stringify(location)} contains characters outside ASCII; percent-encode them`;
  if (location.startsWith("//") || location.startsWith("/\\")) return `redirect location ${JSON.stringify(location)} starts with // and would leave the site for another host; write https://host/… if that is meant`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(location) && !/^https?:\/\//i.test(location)) return `redirect location ${JSON.stringify(location)} must be an http or https URL, or a path`;
  return null;
}

/**
 * Answers with the redirect in place of the app, which never runs. Returns a problem to log when
 * the location is unusable; then nothing is sent and the caller lets the request through.
 */
export function sendRedirect(res: ServerResponse, method: string, action: RedirectAction): string | null {
  const problem = redirectProblem(action.location, action.status);
  if (problem) return `rule ${action.rule}: ${problem}`;
  res.statusCode = action.status;
  res.setHeader("Location", action.location);
  res.setHeader("Content-Length", 0);
  res.end(method === "HEAD" ? undefined : "");
  return null;
}
