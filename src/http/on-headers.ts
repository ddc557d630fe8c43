import type { ServerResponse } from "node:http";
import { createRequire } from "node:module";

type Listener = (this: ServerResponse) => void;

// jshttp's on-headers (as used by compression and morgan): it patches writeHead, which Node calls
// for every way of sending (explicit writeHead, the implicit header of write/end, flushHeaders), and
// applies headers passed to writeHead — object, flat array or pairs — before the listener runs.
const onHeadersPackage = createRequire(import.meta.url)("on-headers") as (res: ServerResponse, listener: Listener) => void;

/**
 * Runs `listener` once, when the response headers are final and just before they are written.
 * This is the only moment a header decision can see what the app set (Cache-Control, Set-Cookie,
 * Content-Security-Policy). Hooks registered later run first.
 */
export function onResponseHeaders(res: ServerResponse, listener: (res: ServerResponse) => void): void {
  onHeadersPackage(res, function fire(this: ServerResponse) {
    listener(this);
  });
}
