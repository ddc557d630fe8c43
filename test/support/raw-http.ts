import { connect } from "node:net";

export interface RawResponse {
  readonly status: number;
  /** Header lines as received, names in lower case; repeated headers keep every value. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

/**
 * Sends one request exactly as written (repeated headers, bytes fetch would refuse or merge) to a
 * server on 127.0.0.1 and reads the whole answer (`Connection: close` is added).
 */
export function rawRequest(url: string, head: string, body = ""): Promise<RawResponse> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => {
      socket.end(`${head.replace(/\r\n$/, "")}\r\nConnection: close\r\n\r\n${body}`);
    });
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error("no answer within 10 s")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf("\r\n\r\n");
      const lines = (end === -1 ? raw : raw.subarray(0, end)).toString("latin1").split("\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? 0);
      const headers = lines.slice(1).map((l): [string, string] => {
        const colon = l.indexOf(":");
        return [l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim()];
      });
      let rest: Buffer = end === -1 ? Buffer.alloc(0) : raw.subarray(end + 4);
      if (headers.some(([n, v]) => n === "transfer-encoding" && /chunked/i.test(v))) rest = unchunk(rest);
      resolve({ status, headers, body: rest.toString("utf8") });
    });
  });
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = data.indexOf("\r\n", i);
    if (eol === -1) break;
    const size = parseInt(data.subarray(i, eol).toString("latin1"), 16);
    if (!(size > 0)) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** A request head: the request line, then each `[name, value]` as its own header line. */
export function head(requestLine: string, headers: ReadonlyArray<readonly [string, string]>): string {
  return [requestLine, "Host: 127.0.0.1", ...headers.map(([n, v]) => `${n}: ${v}`)].join("\r\n");
}
