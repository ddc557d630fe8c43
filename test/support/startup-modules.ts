// Run as a child process by startup-lazy.test.ts: builds the middleware as its argument says, serves
// one request, and prints the CommonJS files the process loaded.
import { createRequire } from "node:module";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { geoCompliance, shippedRules } from "../../src/index.js";

const mode = process.argv[2];
const compliance = geoCompliance({
  rules: shippedRules,
  watch: false,
  trustProxy: "loopback",
  decisionLog: mode === "file" ? { destination: process.argv[3]! } : false,
});
const server = createServer((req, res) => compliance(req, res, () => void res.end("<p>hi</p>")));
server.listen(0, "127.0.0.1", async () => {
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { "X-Forwarded-For": "77.88.8.8" } });
  await res.text();
  server.close();
  await compliance.close();
  process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
});
