// The server half of `npm run test:load`: the middleware over a watched rule folder and a watched
// GeoIP database, logging decisions to a file, on 127.0.0.1. Started by live-changes.ts with
// --expose-gc, so the memory it reports is measured after a full collection.
import type { AddressInfo } from "node:net";
import express from "express";
import { geoCompliance } from "../../src/index.js";
import { ARTICLE } from "../support/pages.js";

const [rules, database, logFile] = process.argv.slice(2) as [string, string, string];
const compliance = geoCompliance({ rules, geoip: { database }, trustProxy: "loopback", decisionLog: { destination: logFile } });
const app = express();
app.use(compliance);
app.get("/article", (_req, res) => {
  // Streamed in two writes, so that some responses are half-sent when a change lands.
  res.type("html");
  const cut = ARTICLE.indexOf("<body");
  res.write(ARTICLE.slice(0, cut));
  setImmediate(() => res.end(ARTICLE.slice(cut)));
});
const server = app.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});

const gc = (globalThis as { gc?: () => void }).gc;
process.on("message", (m) => {
  if (m === "memory") {
    gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ memory: { rss, heapUsed } });
  }
  if (m === "revision") process.send?.({ revision: compliance.status().revision });
  if (m === "close") {
    server.close();
    server.closeAllConnections();
    void compliance.close().then(() => {
      process.send?.({ closed: compliance.status() }, () => process.exit(0));
    });
  }
});
process.on("disconnect", () => process.exit(0));
