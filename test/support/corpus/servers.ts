/** The corpus's servers, all on 127.0.0.1: the third-party recorder, the site, and the proxies readers come through. */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express, { type Express } from "express";
import { parseDocument } from "yaml";
import { RUSSIA_RULE_FILE } from "../rules.js";
import { listen, type Running } from "../server.js";
import type { Mode, RunContext } from "./run-context.js";
import type { Vector } from "./vectors.js";

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

const portOf = (running: Running): number => Number(new URL(running.url).port);

/** What reached one run's third-party port. */
export interface Reached {
  connections: number;
  /** `METHOD host path`, and `UPGRADE host path` for WebSocket handshakes. */
  requests: string[];
  datagrams: number;
}

/** A "third party" that answers anything, one port per run, and records what reached each port. */
export class Recorder {
  private readonly servers: Running[] = [];
  private readonly udp: UdpSocket[] = [];
  readonly reached = new Map<number, Reached>();

  async open(udp: boolean): Promise<number> {
    const record: Reached = { connections: 0, requests: [], datagrams: 0 };
    const server = createServer((req, res) => {
      record.requests.push(`${req.method} ${req.headers.host ?? ""} ${req.url ?? ""}`);
      req.resume();
      const path = req.url ?? "";
      const type = /\.(gif|png)(\?|$)/.test(path) ? "image/gif" : /\.m?js(\?|$)|\.php/.test(path) ? "text/javascript" : /\.css/.test(path) ? "text/css" : "text/html";
      res.writeHead(200, { "Content-Type": type, "Access-Control-Allow-Origin": "*", "Cache-Control": "no-store" });
      res.end(type === "image/gif" ? GIF : type === "text/html" ? "<!doctype html><p>third party</p>" : "");
    });
    server.on("connection", () => void record.connections++);
    server.on("upgrade", (req, socket) => {
      record.requests.push(`UPGRADE ${req.headers.host ?? ""} ${req.url ?? ""}`);
      socket.destroy();
    });
    const running = await listen(server);
    const port = portOf(running);
    this.servers.push(running);
    this.reached.set(port, record);
    if (udp) {
      const socket = createSocket("udp4");
      socket.on("message", () => void record.datagrams++);
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(port, "127.0.0.1", () => resolve());
      });
      this.udp.push(socket);
    }
    return port;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
    for (const s of this.udp) s.close();
  }
}

export interface Rendered {
  readonly status: number;
  readonly type: string;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer;
  /** Written in parts of this many bytes (see `Vector.chunkBytes`). */
  readonly chunkBytes?: number;
}

/** The page or a first-party file of a vector, for one run. */
export function render(vector: Vector, c: RunContext, file: string): Rendered | null {
  const base = { "Cache-Control": "no-store" };
  if (file === "") {
    const html =
      vector.document?.(c) ??
      `<!doctype html><html><head><meta charset="utf-8"><title>${vector.id}</title>${vector.head?.(c) ?? ""}</head>` +
        `<body><h1>An article</h1><p>The text of the article.</p><img src="${c.fp("first.gif")}" alt="">${vector.body?.(c) ?? ""}</body></html>`;
    return { status: 200, type: "text/html; charset=utf-8", headers: { ...base, ...(vector.headers?.(c) ?? {}) }, body: html, chunkBytes: vector.chunkBytes };
  }
  if (file === "first.gif") return { status: 200, type: "image/gif", headers: base, body: GIF };
  const f = vector.files?.(c)[file];
  return f ? { status: 200, type: f.type, headers: { ...base, ...(f.headers ?? {}) }, body: f.body } : null;
}

/** Finds the vector and run a request is for, from its path and the mode the proxy named. */
export type RunLookup = (vector: string, mode: Mode) => { vector: Vector; context: RunContext } | undefined;

/** The site's routes: `/v/<vector>/` and its files. Every request is recorded as `mode path`. */
export function siteRoutes(app: Express, lookup: RunLookup, seen: string[]): void {
  app.use((req, _res, next) => {
    seen.push(`${String(req.headers["x-corpus-mode"])} ${req.path}`);
    next();
  });
  app.get(/^\/v\/([a-z0-9-]+)\/(.*)$/, (req, res) => {
    const params = req.params as unknown as Record<string, string>;
    const run = lookup(params[0] ?? "", String(req.headers["x-corpus-mode"]) as Mode);
    const out = run ? render(run.vector, run.context, params[1] ?? "") : null;
    if (!out) return void res.status(404).type("text").send("not found");
    res.status(out.status).set(out.headers).type(out.type);
    if (out.chunkBytes === undefined) return void res.send(out.body);
    const body = Buffer.from(out.body);
    for (let at = 0; at < body.length; at += out.chunkBytes) res.write(body.subarray(at, at + out.chunkBytes));
    res.end();
  });
  app.use((_req, res) => void res.status(404).type("text").send("not found"));
}

export function siteApp(lookup: RunLookup, seen: string[], middleware?: express.RequestHandler): Express {
  const app = express();
  if (middleware) app.use(middleware);
  siteRoutes(app, lookup, seen);
  return app;
}

export interface Listening {
  readonly port: number;
  close(): Promise<void>;
}

export async function serve(app: Express): Promise<Listening> {
  const running = await listen(app);
  return { port: portOf(running), close: () => running.close() };
}

/**
 * The site's front proxy on loopback, which the middleware trusts: it names the reader's address
 * in X-Forwarded-For (a place in the test GeoIP database) and the corpus mode, and passes the rest on.
 */
export async function proxy(appPort: number, mode: Mode, readerAddress: string | null): Promise<Listening> {
  const server = createServer((req, res) => {
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, "x-corpus-mode": mode };
    if (readerAddress) headers["x-forwarded-for"] = readerAddress;
    const upstream = request({ host: "127.0.0.1", port: appPort, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.rawHeaders);
      up.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  const running = await listen(server);
  return { port: portOf(running), close: () => running.close() };
}

/**
 * The shipped Russia rule with its trackers in `list` mode, and a host list naming the given
 * registrable domains: the list-mode reader's rules.
 */
export function listModeRules(domains: readonly string[]): { rules: string; trackers: string } {
  const dir = mkdtempSync(join(tmpdir(), "gc-corpus-list-"));
  const doc = parseDocument(readFileSync(RUSSIA_RULE_FILE, "utf8"));
  doc.setIn(["rules", 0, "actions", "trackers", "mode"], "list");
  doc.deleteIn(["tests"]);
  const rules = join(dir, "ru-list-mode.yaml");
  writeFileSync(rules, doc.toString());
  const trackers = join(dir, "corpus-hosts.txt");
  writeFileSync(trackers, `# the third parties of the corpus's list-mode runs\n${[...new Set(domains)].sort().join("\n")}\n`);
  return { rules, trackers };
}
