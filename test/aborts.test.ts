import { expect } from "chai";
import { fork, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { ask } from "./support/child.js";

const TOTAL = 10_000;
const WARM_UP = 2500;
const CONCURRENCY = 48;
const ROUTES = ["/write", "/pipe", "/file", "/gzip"];
const RU = "77.88.8.8";

interface Measured {
  heapUsed: number;
  fds: number;
  resources: Record<string, number>;
  serverListeners: Record<string, number>;
  processListeners: Record<string, number>;
  logListeners: Record<string, number>;
  connections: number;
  alive: number;
  tracked: number;
  entered: number;
  decisions: number;
  closedEarly: number;
  finished: number;
}

/**
 * One request, aborted by the reader: most once the page has begun to arrive (the rewrite is then
 * under way), some as soon as the request is sent.
 */
function abortedRequest(port: number, path: string, early: boolean): Promise<"mid-stream" | "early"> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    const done = (how: "mid-stream" | "early"): void => {
      socket.destroy();
      resolve(how);
    };
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${path}`)));
    socket.on("error", reject);
    socket.on("connect", () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: ${RU}\r\nAccept: text/html\r\nAccept-Language: en\r\n\r\n`);
      if (early) setImmediate(() => done("early"));
    });
    socket.on("data", (chunk: Buffer) => {
      if (early) return;
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      // Headers in, and some of the body: the response is mid-stream.
      if (end !== -1 && received.length > end + 4) done("mid-stream");
    });
  });
}

async function run(port: number, count: number): Promise<{ midStream: number; early: number }> {
  let next = 0;
  const counts = { midStream: 0, early: 0 };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const how = await abortedRequest(port, ROUTES[i % ROUTES.length]!, i % 10 === 9);
        if (how === "early") counts.early++;
        else counts.midStream++;
      }
    }),
  );
  return counts;
}

async function settled(child: ChildProcess): Promise<Measured> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const m = await ask<Measured>(child, "measure", "measured");
    if ((m.connections === 0 && m.alive === 0) || Date.now() > deadline) return m;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("aborted requests", () => {
  let child: ChildProcess;
  let port: number;

  before(async function () {
    this.timeout(30_000);
    child = fork(fileURLToPath(new URL("./support/abort-server.js", import.meta.url)), [], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    port = await ask<number>(child, "", "port");
  });
  after(() => {
    child.disconnect();
  });

  it(`${TOTAL} readers who leave mid-stream leave no listener, stream, file descriptor or memory behind`, async function () {
    this.timeout(180_000);
    // Warm up: caches filled, code compiled, lazy state made; then the baseline.
    await run(port, WARM_UP);
    const baseline = await settled(child);
    expect(baseline.connections).to.equal(0);

    const started = Date.now();
    const counts = await run(port, TOTAL);
    const seconds = (Date.now() - started) / 1000;
    const after = await settled(child);

    expect(counts.midStream + counts.early).to.equal(TOTAL);
    expect(counts.midStream, "most readers left after the page had begun").to.be.at.least(TOTAL * 0.85);
    expect(after.connections, "open connections").to.equal(0);
    expect(after.tracked, "responses and streams made during the run").to.be.at.least(TOTAL * 0.85);
    expect(after.alive, "responses and app streams still reachable after a full collection").to.equal(0);
    expect(after.fds, "open file descriptors").to.equal(baseline.fds);
    expect(after.resources, "active handles and requests (process.getActiveResourcesInfo)").to.deep.equal(baseline.resources);
    expect(after.serverListeners, "listeners on the server").to.deep.equal(baseline.serverListeners);
    expect(after.processListeners, "listeners on the process").to.deep.equal(baseline.processListeners);
    expect(after.logListeners, "listeners on the log destination").to.deep.equal(baseline.logListeners);
    // Nothing lost: every request the app saw has its decision line, marked as closed early.
    const entered = after.entered - baseline.entered;
    expect(after.decisions - baseline.decisions, "one decision line per request").to.equal(entered);
    // A reader whose page went out whole before it left has a plain line; every other line says why it ended early.
    const closedEarly = after.closedEarly - baseline.closedEarly;
    expect(closedEarly + (after.finished - baseline.finished), "lines that say the response closed before it finished, or of a response sent whole").to.equal(entered);
    expect(closedEarly, "lines that say the response closed before it finished").to.be.at.least(entered * 0.99);
    // Back to the baseline: 50 bytes kept per request would be 500 KB; after the warm-up, runs here
    // move the heap by a few hundred KB either way.
    const grown = after.heapUsed - baseline.heapUsed;
    expect(grown, `heap after a full collection grew by ${(grown / 1024).toFixed(0)} KB`).to.be.below(512 * 1024);
    console.log(`      ${TOTAL} aborted in ${seconds.toFixed(1)} s (${counts.midStream} mid-stream, ${counts.early} at once); heap ${(baseline.heapUsed / 1048576).toFixed(1)} MB → ${(after.heapUsed / 1048576).toFixed(1)} MB; ${after.fds} fds`);
  });
});
