import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";

export interface Running {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a request listener on 127.0.0.1 on a free port. */
export function listen(app: { listen: (port: number, host: string, cb: () => void) => Server }): Promise<Running> {
  return new Promise((resolve) => {
    const server = app.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A pino destination that keeps the JSON lines in memory. */
export class MemoryLog extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    callback();
  }

  decisions(): Array<Record<string, unknown>> {
    return this.lines.filter((l) => l.type === "decision");
  }

  /** Decision lines are written when the response finishes, which can be just after the client has read it. */
  async waitFor(count: number, timeoutMs = 2000): Promise<Array<Record<string, unknown>>> {
    const deadline = Date.now() + timeoutMs;
    while (this.decisions().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return this.decisions();
  }
}
