// The server of test/aborts.test.ts, in a process of its own started with --expose-gc, so that what
// it reports (file descriptors, active handles, listeners, live response objects, heap after a full
// collection) is about the middleware alone. Each route streams a page that never ends on its own:
// only the reader going away stops it.
import { createReadStream, readdirSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable, pipeline } from "node:stream";
import { createGzip } from "node:zlib";
import express from "express";
import { geoCompliance } from "../../src/index.js";
import { shippedRulesDir } from "../../src/package-root.js";
import { newsPage } from "./news-page.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("start this process with --expose-gc");

/** Decision lines, counted as they arrive; kept in memory only as counts. */
class CountingLog extends Writable {
  decisions = 0;
  closedEarly = 0;
  /** Lines of responses that went out whole before the reader left (possible on a busy machine). */
  finished = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.includes('"type":"decision"')) continue;
      this.decisions++;
      if (line.includes("response closed before it finished")) this.closedEarly++;
      else if (!line.includes('"error":')) this.finished++;
    }
    callback();
  }
}

const log = new CountingLog();
const compliance = geoCompliance({ rules: shippedRulesDir(), trustProxy: "loopback", decisionLog: { destination: log }, watch: false });

const page = newsPage(256 * 1024);
const cut = page.indexOf("<body");
const file = join(tmpdir(), `gc-aborts-${process.pid}.html`);
writeFileSync(file, page);

/** Every response and every stream the app made, held weakly: after a collection, none may be alive. */
const alive: Array<WeakRef<object>> = [];
let entered = 0;

const app = express();
app.use((_req, res, next) => {
  entered++;
  alive.push(new WeakRef(res));
  next();
});
app.use(compliance);

/** res.write on a timer until the reader goes away. */
app.get("/write", (_req, res) => {
  res.type("html");
  res.write(page.slice(0, cut));
  let i = 0;
  const timer = setInterval(() => res.write(`<p>paragraph ${i++} of a page that goes on</p>\n`), 2);
  res.on("close", () => clearInterval(timer));
});

/** A stream piped in, as templating engines do; pipeline destroys it when the response closes. */
app.get("/pipe", (_req, res) => {
  res.type("html");
  const source = Readable.from(
    (async function* () {
      yield page.slice(0, cut);
      for (let i = 0; ; i++) {
        await new Promise((r) => setTimeout(r, 2));
        yield `<p>more ${i}</p>`;
      }
    })(),
  );
  alive.push(new WeakRef(source));
  pipeline(source, res, () => {});
});

/** A page sent from disk, large enough that it is still being read when the reader goes away. */
app.get("/file", (_req, res) => {
  res.type("html");
  const source = createReadStream(file, { highWaterMark: 4096 });
  alive.push(new WeakRef(source));
  pipeline(source, res, () => {});
});

/** A page the app compresses itself: the rewrite decodes and encodes it again. */
app.get("/gzip", (_req, res) => {
  res.type("html");
  res.setHeader("Content-Encoding", "gzip");
  const gzip = createGzip();
  alive.push(new WeakRef(gzip));
  pipeline(gzip, res, () => {});
  gzip.write(page.slice(0, cut));
  gzip.flush();
  let i = 0;
  const timer = setInterval(() => {
    gzip.write(`<p>zipped ${i++}</p>`);
    gzip.flush();
  }, 2);
  res.on("close", () => {
    clearInterval(timer);
    gzip.destroy();
  });
});

const server = app.listen(0, "127.0.0.1", () => process.send?.({ port: (server.address() as AddressInfo).port }));

function countBy(items: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}

function listeners(emitter: NodeJS.EventEmitter): Record<string, number> {
  return Object.fromEntries(emitter.eventNames().map((e) => [String(e), emitter.listenerCount(e)]));
}

/** A full collection; weak references and finalization need turns of the event loop between them. */
async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
}

async function measure(): Promise<Record<string, unknown>> {
  await collect();
  const connections = await new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)));
  const stillAlive = alive.filter((r) => r.deref() !== undefined).length;
  const tracked = alive.length;
  // The weak references are this test's own: dropped before the heap is read.
  if (stillAlive === 0 && connections === 0) alive.length = 0;
  await collect();
  return {
    heapUsed: process.memoryUsage().heapUsed,
    fds: readdirSync("/proc/self/fd").length,
    resources: countBy(process.getActiveResourcesInfo()),
    serverListeners: listeners(server),
    processListeners: listeners(process),
    logListeners: listeners(log),
    connections,
    alive: stillAlive,
    tracked,
    entered,
    decisions: log.decisions,
    closedEarly: log.closedEarly,
    finished: log.finished,
  };
}

process.on("message", (m) => {
  if (m === "measure") void measure().then((result) => process.send?.({ measured: result }));
});
process.on("disconnect", () => {
  server.close();
  void compliance.close().then(() => process.exit(0));
});
