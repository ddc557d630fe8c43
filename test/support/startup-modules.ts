// Run as a child process by startup-lazy.test.ts: builds the middleware as its arguments say, serves
// one page to a reader in Russia (or, with "free-reader", in the US), and prints the CommonJS files
// the process loaded.
import { createRequire } from "node:module";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { geoCompliance, shippedRules } from "../../src/index.js";

const mode = process.argv[2];
const reader = process.argv.includes("free-reader") ? "8.8.8.8" : "77.88.8.8";
const compliance = geoCompliance({
  rules: shippedRules,
  watch: false,
  trustProxy: "loopback",
  decisionLog: mode === "file" ? { destination: process.argv[3]! } : false,
});
const server = createServer((req, res) => compliance(req, res, () => {
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.end('<p>hi <script src="https://www.google-analytics.com/analytics.js"></script></p>');
}));
server.listen(0, "127.0.0.1", async () => {
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { "X-Forwarded-For": reader, Accept: "text/html" } });
  const page = await res.text();
  // A page that was not rewritten when it should have been would make the lists below meaningless.
  if (reader === "77.88.8.8" && !page.includes("geo-compliance")) throw new Error(`the reader in Russia got the page unchanged: ${page}`);
  if (reader === "8.8.8.8" && page.includes("geo-compliance")) throw new Error(`the reader in the US got a changed page: ${page}`);
  server.close();
  await compliance.close();
  process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
});
